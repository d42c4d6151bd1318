# A dictionary's characterization (`synergai profile report --figures DIR`),
# drawn by figures.gp, one call per node and terminal:
#   call 'characterization.gp' NODE png|svg 'ENGINE ...' HAS_THREADS HAS_MODES
# Reads NODE.threads.dat when HAS_THREADS is 1 (block 0: threads, mean
# speed-up, thesis x86 speed-up or NaN; then one block per engine: threads,
# speed-up) and NODE.modes.dat when HAS_MODES is 1 (idx, mode, mean relative QPS).
reset
node = ARG1; term = ARG2; engines = ARG3
threads = node.'.threads.dat'
modes = node.'.modes.dat'
has_threads = int(ARG4)
has_modes = int(ARG5)
panels = has_threads + has_modes

if (term eq 'png') {
  set terminal pngcairo size 750*panels,560 font 'DejaVu Sans,12' noenhanced
} else {
  set terminal svg size 750*panels,560 font 'DejaVu Sans,12' noenhanced dynamic background '#ffffff'
}
set output node.'.'.term
set multiplot layout 1,panels title sprintf('node %s', node) font ',15'
set grid lc rgb '#d0d0d0'
set border 3
set xtics nomirror
set ytics nomirror

if (has_threads) {
  set title 'QPS speed-up over 1 thread'
  set xlabel 'threads'
  set ylabel 'speed-up (x)'
  set logscale x 2
  set key top left
  stats threads index 0 using 1 nooutput
  set xrange [0.9:STATS_max*1.1]
  set yrange [0:*]
  plot x with lines dt 3 lc rgb '#909090' title 'linear', \
       for [i=1:words(engines)] threads index i using 1:2 with linespoints pt 7 ps 0.8 lw 1 title word(engines, i), \
       threads index 0 using 1:2 with linespoints pt 5 ps 1.2 lw 3 lc rgb '#202020' title 'mean', \
       threads index 0 using 1:3 with points pt 6 ps 2 lw 2 lc rgb '#c03030' title 'thesis x86 (mean)'
  unset logscale x
  unset xrange
  unset yrange
}

if (has_modes) {
  set title 'QPS relative to each engine''s best mode (mean over engines)'
  set xlabel 'power mode'
  set ylabel 'QPS (%)'
  set key off
  set style fill solid 0.85 border lc rgb '#404040'
  set boxwidth 0.7
  set yrange [0:110]
  plot modes using 1:($3*100):xtic(2) with boxes lc rgb '#4070b0', \
       modes using 1:($3*100):(sprintf('%.0f', $3*100)) with labels offset 0,0.8 font ',10'
}
unset multiplot
