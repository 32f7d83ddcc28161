#!/bin/bash
# tests/run-book-tests.sh: the tests of the build itself: tangling and its lint,
# the programs' command lines, the book's figures, numbers, links, math and PDF.
# Run by `make check` after the book is built. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
pass=0; fail=0
ok()  { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; local msg; if msg=$("$@" 2>&1); then ok "$name"; else bad "$name"; printf '%s\n' "$msg" | sed 's/^/    /' | head -20; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
CHAPTERS=$(grep -v -e '^#' -e '^appendix$' book/chapters.txt)
CHROMIUM="chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync"

# The documentation chunks of chapters, without code chunks or `code spans`.
prose_of() { awk '/^<<.*>>=[ \t]*$/ { code = 1; next } /^@( |$)/ { code = 0 } !code' "$@" | sed 's/`[^`]*`//g'; }

for t in tests/book/*.sh; do source "$t"; done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
