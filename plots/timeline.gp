# plots/timeline.gp - one power cut, layer by layer (powercut explain --plot).
#   gnuplot -d -c plots/timeline.gp DATA OUT [png|svg] [CAPTION] [DEVICE-LANE-LABEL]
# DATA (written by explain beside OUT): 7 series, blocks separated by two blank lines,
# each block's first line its name; rows "x_ms y dx_ms 0": a bar from x to x+dx
# (ms relative to the cut, which is x = 0) at height y. Lanes: 0 media, 1 drive
# (in flight, then volatile cache), 2 block layer (queued before the drive), 3 file
# system (issued to completed), 4 flushes. Write i of the window has the same row
# offset in every lane, so one write reads straight down the lanes.
#   0 file system   1 block layer   2 drive in flight   3 drive cache   4 media
#   5 lost at the cut (points)   6 flushes
if (ARGC < 2) { print "usage: gnuplot -d -c plots/timeline.gp DATA OUT [png|svg] [CAPTION]"; exit status 2 }
fmt = ARGC >= 3 ? ARG3 : "png"
cap = ARGC >= 4 ? ARG4 : ""
dev = ARGC >= 5 ? ARG5 : "drive: in flight, then cache"
if (fmt eq "svg") {
    set terminal svg size 1280,720 dynamic font "DejaVu Sans,12" noenhanced background rgb "white"
} else {
    set terminal pngcairo size 1280,720 font "DejaVu Sans,10" noenhanced
}
set output ARG2
set title "Where each write was when the power went\n".cap
set xlabel "time relative to the power cut (ms)"
set yrange [-0.1:5.1]
set ytics ("media (durable)" 0.5, dev 1.5, "block layer queue" 2.5, "file system: issue to completion" 3.5, "flushes" 4.5)
set grid xtics
set key outside bottom center horizontal
set arrow from 0, graph 0 to 0, graph 1 nohead lw 3 lc rgb "#c00000" front
set label "power cut" at 0, graph 1.0 right offset -0.5,-1 tc rgb "#c00000" front
set offsets 0, graph 0.02, 0, 0
do for [l=1:4] { set arrow from graph 0, first l to graph 1, first l nohead lc rgb "#999999" dt 2 }
plot ARG1 index 0 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#4060c0" title columnhead(1), \
     ARG1 index 1 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#909090" title columnhead(1), \
     ARG1 index 2 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#20a0a0" title columnhead(1), \
     ARG1 index 3 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#e08000" title columnhead(1), \
     ARG1 index 4 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#20a040" title columnhead(1), \
     ARG1 index 5 using 1:2 with points pt 2 ps 1.6 lw 2 lc rgb "#d00000" title columnhead(1), \
     ARG1 index 6 using 1:2:3:4 with vectors nohead lw 3 lc rgb "#8040a0" title columnhead(1)
