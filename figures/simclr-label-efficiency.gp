# Label efficiency on all ten classes after SimCLR (chapter 6), drawn by
# label-efficiency.gpi; "all" is drawn at the size of the training pool per
# class (results.tsv).
fig_w = 5.5; fig_h = 3.4
@SETTERM
f = data.'/label_efficiency.tsv'
pool = real(system("awk -F'\t' '$1 == \"pool.n\" { print $2 / 10 }' ".data."/results.tsv"))
chance = 0.1
xlab = 'labelled images per class (all ten classes)'
load 'figures/label-efficiency.gpi'
