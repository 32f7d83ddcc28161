# Bytes per token on held-out KJV against vocabulary size (chapter 7), from
# out/data/gpt/tokens.tsv: the trained BPE truncated to 2^k tokens, and
# GPT-2's tokenizer as a single point.
fig_w = 5.0; fig_h = 3.0
@SETTERM
f = data.'/tokens.tsv'
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set logscale x 2
set xrange [200:80000]
set yrange [0:5]
set format x '%g'
set xtics (256, 1024, 4096, 16384, 50257)
set xlabel 'tokens in the vocabulary'
set ylabel 'bytes per token (held-out)'
set grid ytics lc rgb '#dddddd'
set key right bottom box opaque
plot f skip 1 using (strcol(1) ne 'gpt2' ? $2 : NaN):4 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb '#1f5fa8' title 'BPE trained on the KJV', \
     f skip 1 using (strcol(1) eq 'gpt2' ? $2 : NaN):4 with points pt 5 ps 0.9 lc rgb '#c0392b' title "GPT-2's tokenizer"
