# One training image of each Fashion-MNIST class (chapter 2), from
# out/data/fmnist/samples.tsv: class, row, col, value in [0, 1].
fig_w = 5.5; fig_h = 2.6
@SETTERM
array names[10] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", \
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
unset key; unset tics; unset border; unset colorbox
set palette gray negative
set cbrange [0:1]
set size ratio -1
set xrange [-0.5:27.5]
set yrange [27.5:-0.5]
set multiplot layout 2,5 margins 0.01,0.99,0.02,0.90 spacing 0.02,0.12
do for [k = 0:9] {
    set title names[k + 1] offset 0,-0.6
    eval sprintf("plot data.'/samples.tsv' every ::%d::%d using 3:2:4 with image", 784 * k, 784 * k + 783)
}
unset multiplot
