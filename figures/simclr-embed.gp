# The 10,000 test images on their first two principal components (chapter 6),
# from out/data/simclr/embed.tsv: left the pixels, right SimCLR's h. Every
# second image is drawn; the colour is the class.
fig_w = 5.5; fig_h = 2.9
@SETTERM
f = data.'/embed.tsv'
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set palette maxcolors 10
set palette defined (0 '#1f77b4', 1 '#ff7f0e', 2 '#2ca02c', 3 '#d62728', 4 '#9467bd', \
                     5 '#8c564b', 6 '#e377c2', 7 '#7f7f7f', 8 '#bcbd22', 9 '#17becf')
set cbrange [-0.5:9.5]
set cbtics ('T-shirt' 0, 'trouser' 1, 'pullover' 2, 'dress' 3, 'coat' 4, 'sandal' 5, \
            'shirt' 6, 'sneaker' 7, 'bag' 8, 'boot' 9) font ',7'
set xlabel 'first component'
set ylabel 'second component'
set multiplot layout 1,2 margins 0.08,0.86,0.16,0.9 spacing 0.08,0
set title 'pixels' offset 0,-0.5
unset colorbox
plot f skip 1 every 2 using 2:3:1 with points pt 7 ps 0.12 lc palette notitle
set title 'h (SimCLR)' offset 0,-0.5
set colorbox user origin 0.885, 0.16 size 0.02, 0.74
unset ylabel
plot f skip 1 every 2 using 4:5:1 with points pt 7 ps 0.12 lc palette notitle
unset multiplot
