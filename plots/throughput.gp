# plots/throughput.gp - operations and fsyncs per simulated second, per case.
#   gnuplot -d -c plots/throughput.gp DATA OUT [png|svg] [CAPTION]
# DATA (throughput.dat), one row per case: case ops_per_s fsyncs_per_s mb_per_s
if (ARGC < 2) { print "usage: gnuplot -d -c plots/throughput.gp DATA OUT [png|svg] [CAPTION]"; exit status 2 }
fmt = ARGC >= 3 ? ARG3 : "png"
cap = ARGC >= 4 ? ARG4 : ""
if (fmt eq "svg") {
    set terminal svg size 1280,720 dynamic font "DejaVu Sans,12" noenhanced background rgb "white"
} else {
    set terminal pngcairo size 1280,720 font "DejaVu Sans,10" noenhanced
}
set output ARG2
stats ARG1 using 2 nooutput name "O"
stats ARG1 using 3 nooutput name "F"
n = O_records
set title "Throughput per case\n".cap
set style data histograms
set style histogram clustered gap 2
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xlabel "case"
# long case names (sweep points): slanted tic labels, margins that fit the longest
stats ARG1 using (strlen(strcol(1))) nooutput name "L"
if (n > 3 || L_max * n > 120) {
    set xtics rotate by 30 right
    set lmargin (L_max * 0.8 > 10 ? L_max * 0.8 : 10)
}
# a log scale when every bar is positive and they span more than a decade
if (O_min > 0 && F_min > 0 && O_max / F_min > 10) {
    set logscale y
    set ylabel "per simulated second (log scale)"
    set yrange [F_min / 2:*]
    set ytics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, \
               "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000, "20000" 20000, "50000" 50000, \
               "100000" 100000, "200000" 200000, "500000" 500000, "1e6" 1e6)
} else {
    set ylabel "per simulated second"
    set yrange [0:*]
}
plot ARG1 using 2:xtic(1) title "operations/s" lc rgb "#2980b9", \
     ''   using 3 title "fsyncs/s" lc rgb "#27ae60"
