#!/bin/bash
# tangle/tangle.sh CHAPTER.nw [LINES [BOOK.nw...]]
# Extract every root chunk of one chapter into generated/, touching only files
# whose contents change (cpif). With LINES=1, emit #line directives that point
# at the chapter instead of chunk-name comments. The roots are assembled from
# all of BOOK (default: CHAPTER alone), so that a chunk named "... (all
# chapters)" collects what later chapters add to it.
set -euo pipefail
nw=$1
lines=${2:-0}
shift $(( $# < 2 ? $# : 2 ))
book=("$@")
[ ${#book[@]} -gt 0 ] || book=("$nw")
here=$(dirname "$0")
bash "$here/lint.sh" "$nw"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
noroots "$nw" | sed -n 's/^<<\(generated\/.*\)>>$/\1/p' | while IFS= read -r root; do
    case "$root" in
    *.c|*.h|*.cu|*.cuh) style=c ;;
    *.gp|*.sh|*.mk|*.py) style=hash ;;
    *.lua) style=lua ;;
    *) style=hash ;;
    esac
    if [ "$lines" = 1 ]; then
        notangle -L -R"$root" "${book[@]}" > "$tmp"
    else
        notangle -filter "awk -v style=$style -v root='$root' -v nw='$nw' -f $here/comments.awk" \
                 -R"$root" "${book[@]}" > "$tmp"
    fi
    mkdir -p "$(dirname "$root")"
    cpif "$root" < "$tmp"
    chmod 644 "$root"
done
