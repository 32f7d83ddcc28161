# Label efficiency on the target task (five classes), drawn by
# label-efficiency.gpi; "all" is drawn at the size of the training pool per
# class (results.tsv).
fig_w = 5.5; fig_h = 3.4
@SETTERM
f = data.'/label_efficiency.tsv'
pool = real(system("awk -F'\t' '$1 == \"pool.n\" { print $2 / 10 }' ".data."/results.tsv"))
chance = 0.2
xlab = 'labelled images per class (target task)'
load 'figures/label-efficiency.gpi'
