# The book: every figure and number it references exists, every chapter is in
# the PDF, the HTML links resolve, and the math renders in a real browser.
figures_exist() {
    local missing=0
    for f in $(prose_of $CHAPTERS | grep -o '](\([A-Za-z0-9_-]*\)){#fig:' | sed 's/^](\(.*\)){#fig:$/\1/'); do
        for ext in pdf svg; do [ -s "out/figures/$f.$ext" ] || { echo "missing out/figures/$f.$ext"; missing=1; }; done
    done
    return $missing
}
check "book: every referenced figure exists as PDF and SVG" figures_exist
results_exist() {
    local missing=0
    # references in prose, not the ones shown as code between backticks
    for ref in $(prose_of $CHAPTERS | grep -o '{{[A-Za-z0-9_]*:[A-Za-z0-9_.]*' | sed 's/^{{//' | sort -u); do
        exp=${ref%%:*}; key=${ref#*:}
        cut -f1 "out/data/$exp/results.tsv" 2>/dev/null | grep -qxF "$key" || { echo "no $key in out/data/$exp/results.tsv"; missing=1; }
    done
    return $missing
}
check "book: every quoted number exists in its results.tsv" results_exist
pdf_chapters() {
    pdftotext out/book.pdf - | tr -s ' \n' ' ' > "$tmp/book.txt" || return 1
    local missing=0
    for ch in $CHAPTERS; do
        title=$(grep -m1 '^# ' "$ch" | sed 's/^# //; s/ *{#.*}$//')
        grep -qF "$title" "$tmp/book.txt" || { echo "'$title' is not in the PDF"; missing=1; }
    done
    for t in "Contents" "Bibliography" "Index of identifiers"; do grep -qF "$t" "$tmp/book.txt" || { echo "no $t"; missing=1; }; done
    return $missing
}
check "book: the PDF has every chapter, the bibliography and the index" pdf_chapters
pdf_links() {
    pdfinfo out/book.pdf | grep -q '^Pages: *[1-9]' || { echo "no pages"; return 1; }
    local n; n=$(pdftohtml -xml -i -stdout out/book.pdf 2>/dev/null | grep -c '<a href')
    [ "$n" -gt 100 ] || { echo "only $n links in the PDF"; return 1; }
}
check "book: the PDF has pages and hyperlinks" pdf_links
html_links() {
    local broken=0
    for page in out/html/*.html; do
        for ref in $(grep -o -e 'href="[^"]*"' -e 'src="[^"]*"' "$page" | sed 's/^[a-z]*="\(.*\)"$/\1/' | grep -v -e '^https\?:' -e '^mailto:'); do
            file=${ref%%#*}; anchor=${ref#"$file"}; anchor=${anchor#\#}
            [ -n "$file" ] || file=$(basename "$page")
            [ -e "out/html/$file" ] || { echo "$page: $ref: no file $file"; broken=1; continue; }
            if [ -n "$anchor" ] && ! grep -qF "id=\"$anchor\"" "out/html/$file"; then echo "$page: $ref: no id $anchor"; broken=1; fi
        done
    done
    return $broken
}
check "html: every internal link and resource resolves" html_links
html_chunk_links_cross_pages() { grep -q 'href="01-intro.html#NW' out/html/0[2-9]*.html out/html/[A-Z9]*.html 2>/dev/null; }
check "html: identifier links cross chapter pages" html_chunk_links_cross_pages
html_render() {
    local bad=0
    for page in out/html/*.html; do
        timeout 90 $CHROMIUM --user-data-dir="$tmp/chrome" --enable-logging=stderr --v=0 --dump-dom \
            "file://$PWD/$page" > "$tmp/dom.html" 2> "$tmp/chrome.log" || { echo "$page: chromium failed"; bad=1; continue; }
        if grep -q 'INFO:CONSOLE' "$tmp/chrome.log"; then echo "$page: console:"; grep 'INFO:CONSOLE' "$tmp/chrome.log" | head -3; bad=1; fi
        local maths rendered
        maths=$(grep -o 'class="math \(inline\|display\)"' "$tmp/dom.html" | wc -l)
        rendered=$(grep -o 'class="math \(inline\|display\)"><span class="katex' "$tmp/dom.html" | wc -l)
        [ "$maths" -eq "$rendered" ] || { echo "$page: $rendered of $maths formulas rendered"; bad=1; }
        ! grep -q 'katex-error' "$tmp/dom.html" || { echo "$page: KaTeX error:"; grep -o 'katex-error[^>]*title="[^"]*"' "$tmp/dom.html" | head -3; bad=1; }
    done
    return $bad
}
check "html: Chromium loads every page without console errors and renders all math" html_render
