# Per-pixel statistics of the Fashion-MNIST training set (chapter 2), from
# out/data/fmnist/pixels.tsv: row, col, mean, std, correlation with pixel (14, 14).
fig_w = 5.5; fig_h = 2.1
@SETTERM
unset key; unset tics; unset border
set size ratio -1
set xrange [-0.5:27.5]
set yrange [27.5:-0.5]
set cbtics scale 0.5 offset -0.8,0
set lmargin 0.5; set rmargin 7; set tmargin 1.8; set bmargin 0.5
set multiplot layout 1,3
set title 'mean'
set palette gray negative
set cbrange [0:*]
plot data.'/pixels.tsv' using 2:1:3 with image
set title 'standard deviation'
plot data.'/pixels.tsv' using 2:1:4 with image
set title 'correlation with the centre'
set palette positive defined (-1 '#2166ac', 0 'white', 1 '#b2182b')
set cbrange [-1:1]
plot data.'/pixels.tsv' using 2:1:5 with image
unset multiplot
