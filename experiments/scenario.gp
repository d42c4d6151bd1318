# One scenario's comparison panel (reference §6 metrics), drawn by figures.gp:
#   call 'scenario.gp' SCENARIO png|svg POLICIES SEEDS 'LABEL ...' '#rrggbb ...' OPTIMUM|none
# Reads SCENARIO.policies.dat (one row per policy: aggregates over the seeds),
# SCENARIO.violations.dat (one block per policy: each run's violations) and
# SCENARIO.e2e.dat (one block per policy: every finished job's e2e time).
# OPTIMUM, the clairvoyant optimum's mean violations, is drawn as a dashed line.
reset
scen = ARG1; term = ARG2; n = int(ARG3); seeds = ARG4; labels = ARG5; colours = ARG6; optimum = ARG7
pol = scen.'.policies.dat'
viol = scen.'.violations.dat'
e2e = scen.'.e2e.dat'

if (term eq 'png') {
  set terminal pngcairo size 1500,1050 font 'DejaVu Sans,12' noenhanced
} else {
  set terminal svg size 1500,1050 font 'DejaVu Sans,12' noenhanced dynamic background '#ffffff'
}
set output scen.'.'.term

set xtics () nomirror scale 0
do for [i=1:n] { set xtics add (word(labels, i) i-1) }
set xrange [-0.6:n-0.4]
set ytics nomirror
set grid ytics lc rgb '#d0d0d0'
set border 3
set key off
set style fill solid 0.85 border lc rgb '#404040'
set boxwidth 0.7
set bars 1.5
set pointintervalbox 0
lo(m, s) = (m - s < 0) ? 0 : m - s

set multiplot layout 2,2 title sprintf('%s: %d policies, %s seeds (error bars: ± 1 sd over seeds)', scen, n, seeds) font ',15'

set title 'QoS violations per run over the seeds (box: quartiles, whiskers: 1.5 IQR; diamond: mean)'
set ylabel 'violations'
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set style boxplot outliers pointtype 7
set pointsize 0.5
if (optimum ne 'none') {
  set arrow 1 from graph 0, first real(optimum) to graph 1, first real(optimum) nohead dt 2 lw 2 lc rgb '#202020' front
  set label 1 sprintf('clairvoyant optimum, mean %.2f', real(optimum)) at graph 0.01, first real(optimum) offset 0,0.6 font ',10' front
}
plot for [i=0:n-1] viol index i using (i):1 with boxplot lc rgb word(colours, i+1) fs solid 0.6 border lc rgb '#404040', \
     pol using 1:3 with points pt 13 ps 1.3 lc rgb '#202020', \
     pol using 1:6:(sprintf('%.1f', $3)) with labels offset 0,1 font ',10'
unset arrow 1
unset label 1
set pointsize 1

set title 'End-to-end time of every job, all seeds (box: quartiles, whiskers: 1.5 IQR)'
set ylabel 'end-to-end time (s, log scale)'
set logscale y
set offsets 0, 0, 0, 0
set yrange [*:*]
set style boxplot outliers pointtype 7
set pointsize 0.35
plot for [i=0:n-1] e2e index i using (i):1 with boxplot lc rgb word(colours, i+1) fs solid 0.6 border lc rgb '#404040'
unset logscale y
set pointsize 1

set title 'Mean waiting time (submission to start)'
set ylabel 'seconds'
set yrange [0:*]
plot pol using 1:8:(0.7):7 with boxes lc rgb variable, \
     pol using 1:8:(lo($8,$9)):($8+$9) with yerrorbars lc rgb '#202020' pt 7 ps 0 lw 1.5

set title 'Mean excess time max(0, e2e - QoS)'
set ylabel 'seconds'
set key outside top center horizontal samplen 2 reverse Left width 2
set boxwidth 0.36
plot pol using ($1-0.19):10:(0.36):7 with boxes lc rgb variable title 'over all finished jobs', \
     pol using ($1-0.19):10:(lo($10,$11)):($10+$11) with yerrorbars lc rgb '#202020' pt 7 ps 0 lw 1.5 notitle, \
     pol using ($1+0.19):12:(0.36):7 with boxes lc rgb variable fs pattern 4 border lc rgb '#404040' title 'over violating jobs'

unset multiplot
set output
