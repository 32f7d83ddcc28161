# Label efficiency on the target task: test accuracy of each method against
# the labelled images per class (log scale), the mean over seeds with the
# range from the worst to the best seed. Data: label_efficiency.tsv, whose
# methods are found by reading it, so a new method adds a line by itself;
# "all" is drawn at the size of the training pool per class (results.tsv).
fig_w = 5.5; fig_h = 3.4
@SETTERM
f = data.'/label_efficiency.tsv'
pool = real(system("awk -F'\t' '$1 == \"pool.n\" { print $2 / 10 }' ".data."/results.tsv"))
methods = system("awk -F'\t' 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' ".f)
# one method's points: x, mean, min, max over seeds, in increasing x
agg(m) = sprintf("< awk -F'\t' -v m='%s' -v all=%g 'NR > 1 && $1 == m { x = $2 == \"all\" ? all : $2; s[x] += $4; n[x]++; if (!(x in lo) || $4 < lo[x]) lo[x] = $4; if (!(x in hi) || $4 > hi[x]) hi[x] = $4 } END { for (x in s) print x, s[x] / n[x], lo[x], hi[x] }' '%s' | sort -g", m, pool, f)
set border 3 lw 0.8
set xtics nomirror
set ytics nomirror
set logscale x
set xrange [0.7:pool * 1.6]
set yrange [0:1]
set xtics (1, 5, 10, 50, 100, 'all' pool)
set xlabel 'labelled images per class (target task)'
set ylabel 'test accuracy'
set grid ytics lc rgb '#dddddd'
set key right bottom box opaque
set style line 1 lc rgb '#1f5fa8' pt 7 ps 0.6 lw 1.5
set style line 2 lc rgb '#c0392b' pt 5 ps 0.6 lw 1.5
set style line 3 lc rgb '#27ae60' pt 9 ps 0.7 lw 1.5
set style line 4 lc rgb '#8e44ad' pt 11 ps 0.7 lw 1.5
set style line 5 lc rgb '#e67e22' pt 13 ps 0.7 lw 1.5
set style line 6 lc rgb '#555555' pt 3 ps 0.7 lw 1.5
set style line 7 lc rgb '#16a085' pt 15 ps 0.7 lw 1.5
set style increment user
set arrow from 0.7, 0.2 to pool * 1.6, 0.2 nohead dt 2 lc rgb '#999999'
set label 'chance' at 0.8, 0.24 tc rgb '#777777'
plot for [i = 1:words(methods)] agg(word(methods, i)) using 1:2:3:4 \
     with yerrorlines ls i title word(methods, i) noenhanced
