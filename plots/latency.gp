# plots/latency.gp - fsync latency CDF per case.
#   gnuplot -d -c plots/latency.gp DATA OUT [png|svg] [CAPTION]
# DATA (latency.dat): one block per case (blocks separated by two blank lines), its first
# line the case name; then rows: fsync_ms fraction (the quantiles of "fsync_cdf_ms").
if (ARGC < 2) { print "usage: gnuplot -d -c plots/latency.gp DATA OUT [png|svg] [CAPTION]"; exit status 2 }
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
set title "fsync latency, cumulative distribution per case\n".cap
set grid
set key outside right top
if (STATS_min > 0 && STATS_max / STATS_min > 10) {
    set logscale x
    set xlabel "fsync latency (ms, log scale)"
} else {
    set xlabel "fsync latency (ms)"
}
set ylabel "fraction of fsyncs completed within"
set yrange [0:1.02]
plot for [i=0:N-1] ARG1 index i using 1:2 with linespoints lw 2 pt 7 ps 0.6 title columnhead(1)
