# Samples of chapter 8's model against the temperature (chapter 9), from
# out/data/gpt/temperature.tsv: the mean entropy of the distributions the
# tokens were drawn from, and distinct-1 and distinct-2 of the samples.
fig_w = 5.5; fig_h = 2.6
@SETTERM
f = data.'/temperature.tsv'
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set grid ytics lc rgb '#dddddd'
set xlabel 'temperature τ'
set multiplot layout 1,2 margins 0.1,0.98,0.2,0.88 spacing 0.12,0
set title 'entropy (nats)' offset 0,-0.5
set yrange [0:*]
plot f skip 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.5 lc rgb '#1f5fa8' notitle
set title 'distinct n-grams / n-grams' offset 0,-0.5
set yrange [0:1.05]
set key bottom right font ',8'
plot f skip 1 using 1:3 with linespoints lw 1.5 pt 7 ps 0.5 lc rgb '#c0392b' title 'distinct-1', \
     f skip 1 using 1:4 with linespoints lw 1.5 pt 5 ps 0.5 lc rgb '#27ae60' title 'distinct-2'
unset multiplot
