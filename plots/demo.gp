# plots/demo.gp - safety and its price, one bar group per case.
#   gnuplot -d -c plots/demo.gp RESULTS.csv OUT.png
# Left: corruption and lost-fsync rates (%) with their 95% CIs.
# Right: throughput (operations and fsyncs per second).
# Reads the CSV of `powercut run --csv` (one row per case) by column name.
if (ARGC < 2) { print "usage: gnuplot -c plots/demo.gp RESULTS.csv OUT.png"; exit status 2 }
set datafile separator ","
set terminal pngcairo size 1280,560 font "DejaVu Sans,10"
set output ARG2
set multiplot layout 1,2 title "powercut: what survives a power cut (".ARG1.")"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set ylabel "% of power cuts"
set title "Corruption and lost fsyncs, 95% CI"
plot ARG1 using (100*column("corruption_rate")):(100*column("corruption_ci95_lo")):(100*column("corruption_ci95_hi")):xtic(stringcolumn("case")) \
        title "corrupt or unmountable" lc rgb "#c0392b", \
     ''   using (100*column("lost_fsync_rate")):(100*column("lost_fsync_ci95_lo")):(100*column("lost_fsync_ci95_hi")) \
        title "lost fsync" lc rgb "#e67e22"
set style histogram clustered gap 2
set ylabel "per second (log scale)"
set logscale y
set yrange [1:*]
set title "Throughput"
plot ARG1 using (column("ops_per_s")):xtic(stringcolumn("case")) title "operations/s" lc rgb "#2980b9", \
     ''   using (column("fsyncs_per_s")) title "fsyncs/s" lc rgb "#27ae60"
unset multiplot
