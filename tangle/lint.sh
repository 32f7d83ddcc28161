#!/bin/bash
# tangle/lint.sh CHAPTER.nw...
# Fail on what noweb lets pass: a chunk used but never defined, a root that is
# not a path under generated/ (a misspelled definition or a chunk never used),
# and a chunk name defined in two chapters (unless the name ends in "(all
# chapters)": a program that grows over several chapters collects its parts
# in such chunks). Messages point at chapter lines.
set -euo pipefail
status=0
for nw in "$@"; do
    # markup numbers nothing, so count lines ourselves: a chunk header is a
    # line "<<name>>=", a use is "<<name>>" anywhere else.
    awk -v nw="$nw" '
        function report(msg) { print nw ":" FNR ": " msg > "/dev/stderr"; bad = 1 }
        /^<<.*>>=[ \t]*$/ { name = $0; sub(/^<</, "", name); sub(/>>=[ \t]*$/, "", name)
                            if (!(name in def)) { def[name] = FNR }
                            incode = 1; next }
        /^@( |$)/ { incode = 0; next }
        incode {
            line = $0; gsub(/@<</, "", line)
            while (match(line, /<<[^>]*(>[^>][^>]*)*>>/)) {
                u = substr(line, RSTART + 2, RLENGTH - 4)
                if (!(u in use)) use[u] = FNR
                line = substr(line, RSTART + RLENGTH)
            }
        }
        END {
            for (u in use) if (!(u in def)) { FNR = use[u]; report("chunk <<" u ">> is used but never defined") }
            for (d in def) if (!(d in use) && d !~ /^generated\/[A-Za-z0-9_.\/-]+$/ && d !~ /\(all chapters\)$/) {
                FNR = def[d]
                report("chunk <<" d ">> is defined but never used, and it is not a file under generated/ (misspelled?)")
            }
            exit bad
        }' "$nw" || status=1
done
if [ $# -gt 1 ]; then
    # Chunk names are unique across the book: the book is woven as one web.
    grep -H -n -E '^<<.*>>=[[:space:]]*$' "$@" | sed 's/[[:space:]]*$//' |
        awk -F: '{ file = $1; line = $2; name = $0; sub(/^[^:]*:[^:]*:/, "", name)
                   if ((name in where) && where[name] != file && name !~ /\(all chapters\)>>=$/) {
                       print file ":" line ": chunk " name " is also defined in " where[name] > "/dev/stderr"; bad = 1 }
                   else if (!(name in where)) where[name] = file }
             END { exit bad }' || status=1
fi
exit $status
