# Scree plot: eigenvalues of the Fashion-MNIST covariance (left, log scale)
# and the cumulative explained variance (right). Data: explained_variance.tsv.
fig_w = 5.5; fig_h = 3.4
@SETTERM
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set y2tics 0.1 nomirror
set xlabel 'component k'
set ylabel 'eigenvalue {/Symbol l}_k'
set y2label 'cumulative explained variance r_k'
set logscale y
set format y '10^{%L}'
set xrange [0:784]
set yrange [1e-6:100]
set y2range [0:1.02]
set grid y2tics lc rgb '#dddddd'
set key right center box opaque
f = data.'/explained_variance.tsv'
plot f skip 1 using 1:($2 > 0 ? $2 : NaN) with lines lw 1.5 lc rgb '#1f5fa8' title 'eigenvalue', \
     f skip 1 using 1:4 axes x1y2 with lines lw 1.5 lc rgb '#c0392b' title 'cumulative ratio', \
     0.9 axes x1y2 with lines dt 2 lc rgb '#777777' title '90 %, 95 %', \
     0.95 axes x1y2 with lines dt 2 lc rgb '#777777' notitle
