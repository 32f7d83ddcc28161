# Rebuilding: a prose-only edit re-weaves the book and nothing else, and
# weaving the same sources twice gives a byte-identical PDF. Done in a copy.
copy="$tmp/copy"
prose_only_edit() {
    cp -a . "$copy" || return 1
    cd "$copy" || return 1
    local before; before=$(find out/bin out/obj out/lib out/data out/figures generated -type f -printf '%p %T@\n' | sort)
    sed -i '0,/^The paradigm has two phases\./s//The paradigm has two phases, and a sentence added by the rebuild test./' chapters/01-intro.nw
    grep -q 'added by the rebuild test' chapters/01-intro.nw || { echo "edit failed"; cd - >/dev/null; return 1; }
    make -s tangle >/dev/null && make -s book > "$tmp/rebuild.log" 2>&1 || { tail "$tmp/rebuild.log"; cd - >/dev/null; return 1; }
    local after; after=$(find out/bin out/obj out/lib out/data out/figures generated -type f -printf '%p %T@\n' | sort)
    local rc=0
    [ "$before" = "$after" ] || { echo "these changed:"; diff <(echo "$before") <(echo "$after") | head; rc=1; }
    pdftotext out/book.pdf - | tr -s ' \n' ' ' | grep -q 'added by the rebuild test' || { echo "the PDF lacks the edit"; rc=1; }
    tr -s ' \n' ' ' < out/html/01-intro.html | grep -q 'added by the rebuild test' || { echo "the HTML lacks the edit"; rc=1; }
    cd - >/dev/null; return $rc
}
check "rebuild: a prose-only edit recompiles nothing, reruns no experiment, redraws no figure" prose_only_edit
reproducible_pdf() {
    [ -d "$copy" ] || return 1
    cd "$copy" || return 1
    cp out/book.pdf "$tmp/first.pdf"
    rm -rf out/tex out/book.pdf
    make -s out/book.pdf > "$tmp/repro.log" 2>&1 || { tail "$tmp/repro.log"; cd - >/dev/null; return 1; }
    cmp "$tmp/first.pdf" out/book.pdf; local rc=$?
    cd - >/dev/null; return $rc
}
check "rebuild: weaving twice gives a byte-identical PDF" reproducible_pdf
