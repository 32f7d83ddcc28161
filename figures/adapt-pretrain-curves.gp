# Pretraining the CNN of Chapter 4 on the source task (classes 0-4):
# training and validation loss against epochs (left axis), validation
# accuracy (right). Data: pretrain_curves.tsv.
fig_w = 5.5; fig_h = 3.4
@SETTERM
set border 11 lw 0.8
set xtics nomirror
set ytics nomirror
set y2tics nomirror
set xlabel 'epoch'
set ylabel 'cross-entropy loss'
set y2label 'validation accuracy'
set xrange [0:*]
set yrange [0:*]
set y2range [0.5:1]
set grid ytics lc rgb '#dddddd'
set key right center box opaque
f = data.'/pretrain_curves.tsv'
plot f skip 1 using 2:3 with linespoints pt 7 ps 0.4 lw 1.5 lc rgb '#1f5fa8' title 'training loss (since last point)', \
     f skip 1 using 2:5 with linespoints pt 5 ps 0.4 lw 1.5 lc rgb '#c0392b' title 'validation loss', \
     f skip 1 using 2:6 axes x1y2 with lines dt 2 lw 1.2 lc rgb '#2e8b57' title 'validation accuracy'
