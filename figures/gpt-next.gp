# The next-token distribution of chapter 8's model after the prompt of
# chapter 9, from out/data/gpt/next.tsv: the 20 most likely tokens (ranked
# at tau = 1) and their probabilities at tau = 0.5, 1 and 2.
fig_w = 5.5; fig_h = 3.0
@SETTERM
f = data.'/next.tsv'
set datafile separator '\t'
set border 3 lw 0.8
set xtics nomirror rotate by -45 font ',9'
set ytics nomirror
set grid ytics lc rgb '#dddddd'
set ylabel 'probability'
set yrange [0:*]
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set key top right box opaque
plot f skip 1 using 3:xtic(2) lc rgb '#1f5fa8' title 'τ = 0.5', \
     '' skip 1 using 4 lc rgb '#c0392b' title 'τ = 1', \
     '' skip 1 using 5 lc rgb '#27ae60' title 'τ = 2'
