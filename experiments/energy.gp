# Energy per policy and scenario (the model of config/energy.hpp: power cap x
# execution time, an upper bound), drawn by figures.gp:
#   call 'energy.gp' png|svg POLICIES SEEDS 'LABEL ...' '#rrggbb ...'
# Reads energy.dat: one row per (scenario, policy), see its header, and
# energy.tics.dat: each scenario's name at the middle of its group of bars. A
# cell whose figure is unknown (no job with a known cap) is NaN and not drawn.
reset
term = ARG1; n = int(ARG2); seeds = ARG3; labels = ARG4; colours = ARG5
dat = 'energy.dat'

if (term eq 'png') {
  set terminal pngcairo size 1500,1350 font 'DejaVu Sans,12' noenhanced
} else {
  set terminal svg size 1500,1350 font 'DejaVu Sans,12' noenhanced dynamic background '#ffffff'
}
set output 'energy.'.term

set xtics nomirror scale 0
set ytics nomirror
set grid ytics lc rgb '#d0d0d0'
set border 3
stats dat using 1 nooutput
set xrange [-1:STATS_max+1]
set style fill solid 0.85 border lc rgb '#404040'
set boxwidth 0.8
set bars 1.5
set pointintervalbox 0
set key outside top center horizontal samplen 2 reverse Left width 2
lo(m, s) = (m - s < 0) ? 0 : m - s
# x of a bar: scenario * (policies + 1) + policy; the scenario's name under its group.
ticks = "'energy.tics.dat' using 1:(NaN):xtic(2) notitle"

set multiplot layout 3,1 title sprintf('Energy bound (power cap x execution time), mean over %s seeds; jobs without a known cap (x86, MAXN) are left out and counted in the last panel', seeds) font ',13'

set title 'Energy per run of the jobs with a known cap (kJ; error bars: ± 1 sd over seeds)'
set ylabel 'kJ per run'
set yrange [0:*]
plot for [i=0:n-1] dat using ($3 == i ? $1 : NaN):5 with boxes lc rgb word(colours, i+1) title word(labels, i+1), \
     dat using 1:5:(lo($5,$6)):($5+$6) with yerrorbars lc rgb '#202020' pt 7 ps 0 lw 1.2 notitle, \
     @ticks

set title 'Mean energy per job with a known cap (kJ)'
set ylabel 'kJ per job'
set key off
plot for [i=0:n-1] dat using ($3 == i ? $1 : NaN):7 with boxes lc rgb word(colours, i+1) notitle, \
     @ticks

set title 'Jobs per run whose energy is unknown (no known power cap)'
set ylabel 'jobs per run'
plot for [i=0:n-1] dat using ($3 == i ? $1 : NaN):8 with boxes lc rgb word(colours, i+1) notitle, \
     dat using 1:8:(sprintf('%.1f', $8)) with labels offset 0,0.7 font ',9' notitle, \
     @ticks

unset multiplot
set output
