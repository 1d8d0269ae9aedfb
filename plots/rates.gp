# plots/rates.gp - corruption and lost-fsync rate per case, bars with 95% CI error bars.
#   gnuplot -d -c plots/rates.gp DATA OUT [png|svg] [CAPTION]
# DATA (rates.dat, written by `powercut plot` and `powercut run --out`), one row per case:
#   case corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct lost_fsync_lo_pct lost_fsync_hi_pct trials
if (ARGC < 2) { print "usage: gnuplot -d -c plots/rates.gp DATA OUT [png|svg] [CAPTION]"; exit status 2 }
fmt = ARGC >= 3 ? ARG3 : "png"
cap = ARGC >= 4 ? ARG4 : ""
if (fmt eq "svg") {
    set terminal svg size 1280,720 dynamic font "DejaVu Sans,12" noenhanced background rgb "white"
} else {
    set terminal pngcairo size 1280,720 font "DejaVu Sans,10" noenhanced
}
set output ARG2
stats ARG1 using 2 nooutput
n = STATS_records
set title "Corrupt or unmountable, and lost fsyncs, per case (error bars: 95% CI)\n".cap
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set ylabel "power cuts (%)"
set xlabel "case"
# long case names (sweep points): slanted tic labels, margins that fit the longest
stats ARG1 using (strlen(strcol(1))) nooutput name "L"
if (n > 3 || L_max * n > 120) {
    set xtics rotate by 30 right
    set lmargin (L_max * 0.8 > 10 ? L_max * 0.8 : 10)
}
plot ARG1 using 2:3:4:xtic(1) title "corrupt or unmountable" lc rgb "#c0392b", \
     ''   using 5:6:7 title "lost fsync" lc rgb "#e67e22"
