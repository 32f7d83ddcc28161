# The first 16 principal components of Fashion-MNIST as 28x28 images,
# red positive, blue negative, on one symmetric scale. Data: components.tsv.
fig_w = 5.5; fig_h = 5.5
@SETTERM
f = data.'/components.tsv'
stats f using 3 nooutput
m = (abs(STATS_min) > abs(STATS_max) ? abs(STATS_min) : abs(STATS_max))
set palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')
set cbrange [-m:m]
unset colorbox
unset border
unset tics
unset key
set xrange [-0.5:27.5]
set yrange [27.5:-0.5]
set size ratio -1
set multiplot layout 4,4 margins 0.02, 0.98, 0.02, 0.95 spacing 0.02, 0.05
do for [k = 0:15] {
    set title sprintf('PC %d', k + 1) offset 0, -0.8
    plot f index k using 1:2:3 with image
}
unset multiplot
