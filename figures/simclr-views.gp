# Augmented views (chapter 6): out/data/simclr/views.tsv holds one mosaic,
# a row of 29-pixel cells per test image: the original, then five views.
fig_w = 5.5; fig_h = 5.4
@SETTERM
unset key; unset tics; unset border; unset colorbox
set palette gray negative
set cbrange [0:1]
set size ratio -1
set xrange [-0.5:172.5]
set yrange [172.5:-0.5]
set lmargin 0; set rmargin 0; set tmargin 1.5; set bmargin 0
set label 'original' at 14, -3 center font ',8'
set label "five views" at 101, -3 center font ',8'
plot data.'/views.tsv' skip 1 using 2:1:3 with image
