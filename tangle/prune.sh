#!/bin/bash
# tangle/prune.sh CHAPTER.nw...: remove files under generated/ that no chapter
# tangles any more (a renamed or deleted root), so generated/ is exactly the roots.
set -euo pipefail
roots=$(for nw in "$@"; do noroots "$nw"; done | sed 's/^<<\(.*\)>>$/\1/' | sort -u)
find generated -type f 2>/dev/null | sort | while IFS= read -r f; do
    grep -qxF "$f" <<< "$roots" || { echo "removing $f: no chapter tangles it"; rm -f "$f"; }
done
