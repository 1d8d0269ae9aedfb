# plots/tradeoff.gp - what safety costs: one point per case, throughput against corruption.
#   gnuplot -d -c plots/tradeoff.gp DATA OUT [png|svg] [CAPTION]
# DATA (tradeoff.dat): one block per case (blocks separated by two blank lines), its first
# line the case name; then: ops_per_s corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct
if (ARGC < 2) { print "usage: gnuplot -d -c plots/tradeoff.gp DATA OUT [png|svg] [CAPTION]"; exit status 2 }
fmt = ARGC >= 3 ? ARG3 : "png"
cap = ARGC >= 4 ? ARG4 : ""
if (fmt eq "svg") {
    set terminal svg size 1280,720 dynamic font "DejaVu Sans,12" noenhanced background rgb "white"
} else {
    set terminal pngcairo size 1280,720 font "DejaVu Sans,10" noenhanced
}
set output ARG2
stats ARG1 using 1 nooutput
N = STATS_blocks
set title "Throughput against corruption, one point per case (error bars: 95% CI)\n".cap
set grid
set key outside right top
if (STATS_min > 0 && STATS_max / STATS_min > 5) {
    set logscale x
    set xlabel "throughput (operations per simulated second, log scale)"
    set xrange [STATS_min / 1.5:STATS_max * 1.5]
    set xtics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, \
               "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000, "20000" 20000, "50000" 50000, \
               "100000" 100000, "200000" 200000, "500000" 500000, "1e6" 1e6)
} else {
    set xlabel "throughput (operations per simulated second)"
}
set ylabel "corrupt or unmountable power cuts (%)"
set yrange [0:*]
plot for [i=0:N-1] ARG1 index i using 1:2:3:4 with yerrorbars pt (5 + i % 9) ps 1.6 lw 1.5 title columnhead(1)
