# p_tau(k|i) over 255 candidates sorted by raw-pixel cosine (chapter 6),
# from out/data/simclr/temperature.tsv; the anchor's own view is marked.
fig_w = 5.5; fig_h = 3.2
@SETTERM
f = data.'/temperature.tsv'
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set logscale y
set format y '10^{%L}'
set xlabel 'candidates, from the most to the least similar to the anchor'
set ylabel 'p_τ(k | i)'
set xrange [0:256]
set key right top box opaque
set grid ytics lc rgb '#dddddd'
plot f skip 1 using 1:4 with lines lw 1.5 lc rgb '#c0392b' title 'τ = 0.1', \
     f skip 1 using 1:5 with lines lw 1.5 lc rgb '#1f5fa8' title 'τ = 0.5', \
     f skip 1 using 1:6 with lines lw 1.5 lc rgb '#27ae60' title 'τ = 1', \
     f skip 1 using ($3 == 1 ? $1 : 1/0):4 with points pt 7 ps 0.8 lc rgb '#000000' title "the anchor's view", \
     f skip 1 using ($3 == 1 ? $1 : 1/0):5 with points pt 7 ps 0.8 lc rgb '#000000' notitle, \
     f skip 1 using ($3 == 1 ? $1 : 1/0):6 with points pt 7 ps 0.8 lc rgb '#000000' notitle
