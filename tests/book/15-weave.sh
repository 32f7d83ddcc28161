# The weave back end refuses a book that refers to what does not exist, and
# says where: an unknown label, a missing result, a missing figure file.
weave_must_fail() {   # weave_must_fail PROSE EXPECTED-MESSAGE
    printf '# A chapter {#ch:a}\n\n%s\n' "$1" > "$tmp/w.nw"
    mkdir -p "$tmp/wd/x" "$tmp/wout" && printf 'known\t1.5\n' > "$tmp/wd/x/results.tsv"
    if /usr/lib/noweb/markup "$tmp/w.nw" | /usr/lib/noweb/noidx |
        out/tools/nwpandoc --html "$tmp/wout" --data "$tmp/wd" --figures "$tmp/wd" 2> "$tmp/w.err"; then
        echo "the weave accepted it"; return 1
    fi
    grep -q "w.nw:3: .*$2" "$tmp/w.err" || { echo "message was:"; cat "$tmp/w.err"; return 1; }
}
check "weave: an unknown cross-reference fails at its line" weave_must_fail 'See @fig:nothing.' 'no such label'
check "weave: a result never measured fails at its line" weave_must_fail 'It is {{x:unknown}}.' "no key 'unknown'"
check "weave: a missing experiment fails at its line" weave_must_fail 'It is {{y:known}}.' 'cannot read'
check "weave: a missing figure file fails at its line" weave_must_fail '![A picture.](x-none){#fig:p}' 'figure x-none is missing'
check "weave: a figure without a label fails" weave_must_fail '![A picture.](x-none)' 'needs a label'
check "weave: a bad number format fails" weave_must_fail 'It is {{x:known|%s}}.' 'the format must be'
weave_values() {
    printf '# A chapter {#ch:a}\n\nIt is {{x:known|%%.2f}} and {{x:known}}, see @ch:a and `{{x:code}}`.\n' > "$tmp/w.nw"
    mkdir -p "$tmp/wd/x" "$tmp/wout" && printf 'known\t1.5\n' > "$tmp/wd/x/results.tsv"
    /usr/lib/noweb/markup "$tmp/w.nw" | /usr/lib/noweb/noidx | out/tools/nwpandoc --html "$tmp/wout" --data "$tmp/wd" || return 1
    grep -qF 'It is 1.50 and 1.5, see [Chapter 1](#ch:a) and `{{x:code}}`.' "$tmp/wout/w.md" || { cat "$tmp/wout/w.md"; return 1; }
}
check "weave: results and references are replaced, code spans are not" weave_values
