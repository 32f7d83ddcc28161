# One test image of each class (top row) and its reconstruction from
# k = 10, 50 and 200 principal components. Data: reconstructions.tsv.
fig_w = 5.5; fig_h = 2.6
@SETTERM
set palette gray negative
set cbrange [0:1]
unset colorbox
unset border
unset key
set size ratio -1
set xrange [-0.5:297.5]
set yrange [117.5:-0.5]
set xtics scale 0 font ',7' offset 0, 0.3
set xtics ('T-shirt' 13.5, 'Trouser' 43.5, 'Pullover' 73.5, 'Dress' 103.5, \
           'Coat' 133.5, 'Sandal' 163.5, 'Shirt' 193.5, 'Sneaker' 223.5, \
           'Bag' 253.5, 'Boot' 283.5)
set ytics scale 0 ('original' 13.5, 'k = 10' 43.5, 'k = 50' 73.5, 'k = 200' 103.5)
set lmargin 8
plot data.'/reconstructions.tsv' using 1:2:3 with image
