# Bits per byte of interpolated Kneser-Ney n-gram models on held-out KJV
# against their order (chapter 7), from out/data/gpt/ngram.tsv: over bytes
# and over the BPE tokens trained in the same run.
fig_w = 5.0; fig_h = 3.0
@SETTERM
f = data.'/ngram.tsv'
set border 3 lw 0.8
set xtics nomirror 1
set ytics nomirror
set xrange [0.5:7.5]
set yrange [0:*]
set xlabel 'order n'
set ylabel 'bits per byte (held-out)'
set grid ytics lc rgb '#dddddd'
set key right top box opaque
plot f skip 1 using (strcol(1) eq 'bytes' ? $2 : NaN):7 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb '#1f5fa8' title 'over bytes', \
     f skip 1 using (strcol(1) eq 'bpe' ? $2 : NaN):7 with linespoints lw 1.5 pt 5 ps 0.6 lc rgb '#c0392b' title 'over BPE tokens'
