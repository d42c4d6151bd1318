# SynergAI against one other policy across the scenarios, drawn by figures.gp:
#   call 'versus.gp' BASENAME png|svg LABEL_A LABEL_B '#rrggbb' '#rrggbb' SEEDS
# Reads BASENAME.dat: one row per scenario (see its header).
reset
base = ARG1; term = ARG2; a = ARG3; b = ARG4; ca = ARG5; cb = ARG6; seeds = ARG7
dat = base.'.dat'

if (term eq 'png') {
  set terminal pngcairo size 1500,1050 font 'DejaVu Sans,12' noenhanced
} else {
  set terminal svg size 1500,1050 font 'DejaVu Sans,12' noenhanced dynamic background '#ffffff'
}
set output base.'.'.term

set xtics nomirror scale 0
ticks = "dat using 1:(NaN):xtic(2) notitle"
set ytics nomirror
set grid ytics lc rgb '#d0d0d0'
set border 3
stats dat using 1 nooutput
set xrange [-0.6:STATS_max+0.6]
set style fill solid 0.85 border lc rgb '#404040'
set boxwidth 0.36
set key outside top center horizontal samplen 2 reverse Left width 2
set bars 1.5
set pointintervalbox 0
lo(m, s) = (m - s < 0) ? 0 : m - s

set multiplot layout 2,2 title sprintf('%s vs %s across the scenarios (mean over %s seeds)', a, b, seeds) font ',15'

set title 'QoS violations per run (error bars: ± 1 sd)'
set ylabel 'violations'
set yrange [0:*]
plot @ticks, dat using ($1-0.19):3:(0.36) with boxes lc rgb ca title a, \
     dat using ($1-0.19):3:(lo($3,$4)):($3+$4) with yerrorbars lc rgb '#202020' pt 7 ps 0 notitle, \
     dat using ($1+0.19):5:(0.36) with boxes lc rgb cb title b, \
     dat using ($1+0.19):5:(lo($5,$6)):($5+$6) with yerrorbars lc rgb '#202020' pt 7 ps 0 notitle

set title '99th percentile of end-to-end time (mean of per-run p99)'
set ylabel 'seconds'
plot @ticks, dat using ($1-0.19):7:(0.36) with boxes lc rgb ca title a, \
     dat using ($1+0.19):8:(0.36) with boxes lc rgb cb title b

set title 'Mean waiting time'
set ylabel 'seconds'
plot @ticks, dat using ($1-0.19):11:(0.36) with boxes lc rgb ca title a, \
     dat using ($1+0.19):12:(0.36) with boxes lc rgb cb title b

set title 'Mean excess time over all finished jobs'
set ylabel 'seconds'
plot @ticks, dat using ($1-0.19):9:(0.36) with boxes lc rgb ca title a, \
     dat using ($1+0.19):10:(0.36) with boxes lc rgb cb title b

unset multiplot
set output
