# Training the transformer of chapter 8 on the KJV, from out/data/gpt/curves.tsv
# (the mean training loss since the previous row and the loss on 256 windows
# spread over the held-out text, in nats per token, against tokens seen) and the best n-gram model of chapter 7
# in the same unit (its bits per byte times ln 2 and the held-out bytes per token).
fig_w = 5.0; fig_h = 3.0
@SETTERM
f = data.'/curves.tsv'
r = data.'/results.tsv'
key(k) = real(system("awk -F'\t' '$1 == \"".k."\" { print $2 }' ".r))
ngram = key('ngram.val_bpb') * log(2) * key('text.held_bytes') / key('gpt.corpus_held_tokens')
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set grid ytics lc rgb '#dddddd'
set xlabel 'tokens seen (millions)'
set ylabel 'cross-entropy (nats per token)'
set yrange [*:*]
set key top right box opaque
plot f skip 1 using ($6 / 1e6):3 with lines lw 1.5 lc rgb '#1f5fa8' title 'training batches', \
     f skip 1 using ($6 / 1e6):4 with linespoints lw 1.5 pt 7 ps 0.5 lc rgb '#c0392b' title 'held-out windows', \
     ngram with lines dt 2 lw 1.2 lc rgb '#555555' title 'best n-gram (chapter 7)'
