# plots/sweep.gp - a parameter sweep: corruption, lost fsyncs and throughput against the
# swept parameter, one line per value of the other swept parameters (and per scenario case).
#   gnuplot -d -c plots/sweep.gp DATA OUT [png|svg] [CAPTION] [XLABEL] [CATEGORICAL]
# DATA (sweep.dat): one block per line (blocks separated by two blank lines), its first
# line the series name; then rows: x x_label corruption_pct corruption_lo_pct corruption_hi_pct
# lost_fsync_pct lost_fsync_lo_pct lost_fsync_hi_pct ops_per_s fsyncs_per_s case.
# CATEGORICAL = 1: x is the index of a non-numeric value, x_label its text.
if (ARGC < 2) { print "usage: gnuplot -d -c plots/sweep.gp DATA OUT [png|svg] [CAPTION] [XLABEL] [CATEGORICAL]"; exit status 2 }
fmt = ARGC >= 3 ? ARG3 : "png"
cap = ARGC >= 4 ? ARG4 : ""
xl = ARGC >= 5 ? ARG5 : "swept parameter"
cat = ARGC >= 6 && ARG6 eq "1"
if (fmt eq "svg") {
    set terminal svg size 1500,620 dynamic font "DejaVu Sans,12" noenhanced background rgb "white"
} else {
    set terminal pngcairo size 1500,620 font "DejaVu Sans,10" noenhanced
}
set output ARG2
stats ARG1 using 9 nooutput
N = STATS_blocks
omin = STATS_min
omax = STATS_max
set grid
set xlabel xl
set offsets graph 0.03, graph 0.03, 0, 0
set multiplot layout 1,3 title "Sweep of ".xl."\n".cap
set key top left
set ylabel "corrupt or unmountable power cuts (%)"
set yrange [0:*]
set title "Corruption (95% CI)"
if (cat) {
    plot for [i=0:N-1] ARG1 index i using 1:3:4:5:xtic(2) with yerrorlines lw 2 pt (5 + i % 9) title columnhead(1)
} else {
    plot for [i=0:N-1] ARG1 index i using 1:3:4:5 with yerrorlines lw 2 pt (5 + i % 9) title columnhead(1)
}
set key off
set ylabel "power cuts that lost an acknowledged fsync (%)"
set title "Lost fsyncs (95% CI)"
if (cat) {
    plot for [i=0:N-1] ARG1 index i using 1:6:7:8:xtic(2) with yerrorlines lw 2 pt (5 + i % 9) title columnhead(1)
} else {
    plot for [i=0:N-1] ARG1 index i using 1:6:7:8 with yerrorlines lw 2 pt (5 + i % 9) title columnhead(1)
}
set title "Throughput"
if (omin > 0 && omax / omin > 10) {
    set logscale y
    set ylabel "operations per simulated second (log scale)"
    set yrange [omin / 1.5:omax * 1.5]
    set ytics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, \
               "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000, "20000" 20000, "50000" 50000, \
               "100000" 100000, "200000" 200000, "500000" 500000, "1e6" 1e6)
} else {
    set ylabel "operations per simulated second"
    set yrange [0:*]
}
if (cat) {
    plot for [i=0:N-1] ARG1 index i using 1:9:xtic(2) with linespoints lw 2 pt (5 + i % 9) title columnhead(1)
} else {
    plot for [i=0:N-1] ARG1 index i using 1:9 with linespoints lw 2 pt (5 + i % 9) title columnhead(1)
}
unset multiplot
