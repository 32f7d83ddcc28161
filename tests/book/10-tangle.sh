# Tangling: the lint catches what noweb lets pass, and generated/ is in sync.
lint_must_fail() {   # lint_must_fail TEXT EXPECTED-MESSAGE
    printf '%s\n' "$1" > "$tmp/bad.nw"
    if bash tangle/lint.sh "$tmp/bad.nw" 2> "$tmp/lint.err"; then echo "lint accepted it"; return 1; fi
    grep -q "$2" "$tmp/lint.err" || { echo "message was:"; cat "$tmp/lint.err"; return 1; }
}
check "lint: an undefined chunk fails" lint_must_fail $'# T\n\n<<generated/x.c>>=\n<<Missing chunk>>\n@' "used but never defined"
check "lint: a misspelled definition fails" lint_must_fail $'# T\n\n<<generated/x.c>>=\n<<Do it>>\n@\n<<Do  it>>=\nx\n@' "never used"
check "lint: a root that is not a path fails" lint_must_fail $'# T\n\n<<main program>>=\nint main;\n@' "not a file under generated"
dup_fails() {
    printf '# A\n\n<<generated/a.c>>=\n<<Shared name>>\n@\n<<Shared name>>=\n1\n@\n' > "$tmp/a.nw"
    printf '# B\n\n<<generated/b.c>>=\n<<Shared name>>\n@\n<<Shared name>>=\n2\n@\n' > "$tmp/b.nw"
    ! bash tangle/lint.sh "$tmp/a.nw" "$tmp/b.nw" 2>/dev/null
}
check "lint: a chunk name defined in two chapters fails" dup_fails
check "lint: the book's chapters are clean" bash tangle/lint.sh $CHAPTERS
tangle_failure_not_hidden() {
    mkdir -p "$tmp/t" && cp -r tangle "$tmp/t/" && cd "$tmp/t" || return 1
    echo 'exit 0' > tangle/lint.sh          # let the undefined chunk reach notangle
    printf '# T\n\n<<generated/x.c>>=\n<<Missing chunk>>\n@\n' > bad.nw
    local rc=0; bash tangle/tangle.sh bad.nw >/dev/null 2>&1 || rc=$?
    cd - >/dev/null; [ $rc -ne 0 ]
}
check "tangle: a failing notangle stops the build" tangle_failure_not_hidden
in_sync() {
    git rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git checkout: cannot compare generated/ with the last commit"; return 1; }
    local d; d=$(git status --porcelain -- generated)
    [ -z "$d" ] || { echo "generated/ differs from the last commit after re-tangling:"; echo "$d"; echo "commit chapters/ and generated/ together"; return 1; }
}
check "tangle: generated/ is what the chapters tangle to" in_sync
comments_kept() { grep -q '^/\* <Declare error reporting> \*/' generated/include/pt_base.h; }
check "tangle: chunk names are kept as comments" comments_kept
line_directives() {
    mkdir -p "$tmp/l" && cp -r tangle chapters "$tmp/l/" && cd "$tmp/l" || return 1
    bash tangle/tangle.sh chapters/01-intro.nw 1 && grep -q '^#line [0-9]* "chapters/01-intro.nw"' generated/src/base.c
    local rc=$?; cd - >/dev/null; return $rc
}
check "tangle: LINES=1 maps C lines to chapter lines" line_directives
