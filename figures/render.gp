# Render one figure script twice: PDF for print, SVG for the web.
# Usage: gnuplot -e "data='out/data/pca'; out='out/figures/pca-scree'; script='figures/pca-scree.gp'" figures/render.gp
# A figure script sets fig_w and fig_h (inches), then writes @SETTERM, then plots.
SETTERM = "if (fmt eq 'pdf') { set terminal pdfcairo enhanced size fig_w, fig_h font 'Latin Modern Roman,9' } else { set terminal svg enhanced size fig_w*96, fig_h*96 dynamic font 'Latin Modern Roman,12' background rgb 'white' }; set output out.'.'.fmt.'.tmp'"
fmt = 'pdf'; load script; unset output
reset
fmt = 'svg'; load script; unset output
system(sprintf("mv -f '%s.pdf.tmp' '%s.pdf' && mv -f '%s.svg.tmp' '%s.svg'", out, out, out, out))
