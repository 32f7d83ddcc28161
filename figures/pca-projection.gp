# The 10,000 test images projected on the first two principal components,
# coloured by class. Data: projection.tsv (pc1, pc2, label).
fig_w = 5.5; fig_h = 4.2
@SETTERM
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set xlabel 'first principal component z_1'
set ylabel 'second principal component z_2'
set size ratio -1
set key outside right center samplen 0.5 spacing 1.1
array names[10] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', \
                   'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
array colors[10] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', \
                    '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
f = data.'/projection.tsv'
plot for [c = 0:9] f skip 1 using ($3 == c ? $1 : NaN):2 with points pt 7 ps 0.1 \
         lc rgb colors[c+1] notitle, \
     for [c = 0:9] keyentry with points pt 7 ps 0.8 lc rgb colors[c+1] title names[c+1]
