# SimCLR training (chapter 6), from out/data/simclr/curves.tsv: the loss
# (mean since the previous row), the per-dimension sd of u = z/|z|, and
# the alignment and uniformity of Wang & Isola, against epochs.
fig_w = 5.5; fig_h = 2.4
@SETTERM
f = data.'/curves.tsv'
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set grid ytics lc rgb '#dddddd'
set xlabel 'epoch'
set multiplot layout 1,3 margins 0.08,0.98,0.2,0.88 spacing 0.09,0
set title 'loss' offset 0,-0.5
plot f skip 1 using 2:3 with lines lw 1.5 lc rgb '#1f5fa8' notitle
set title 'sd of u per dimension' offset 0,-0.5
plot f skip 1 using 2:4 with lines lw 1.5 lc rgb '#c0392b' notitle
set title 'alignment, uniformity' offset 0,-0.5
set key top right font ',7'
plot f skip 1 using 2:5 with lines lw 1.5 lc rgb '#27ae60' title 'align', \
     f skip 1 using 2:6 with lines lw 1.5 lc rgb '#8e44ad' title 'unif'
unset multiplot
