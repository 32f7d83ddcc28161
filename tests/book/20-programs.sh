# Programs: every chapter program answers --help, rejects bad usage with exit 2,
# says what is missing when its data is, and runs the smoke profile cleanly.
for bin in out/bin/*; do
    prog=$(basename "$bin")
    case "$prog" in bench_*) continue ;; esac
    help_ok() { "$bin" --help > "$tmp/help" && grep -q -- '--profile' "$tmp/help" && grep -q -- '--seed' "$tmp/help"; }
    check "$prog: --help" help_ok
    usage_exit() { local rc=0; "$bin" "$@" >/dev/null 2>"$tmp/err" || rc=$?; [ $rc -eq 2 ] || { echo "exit $rc"; return 1; }; grep -q "$prog" "$tmp/err"; }
    check "$prog: an unknown option exits 2" usage_exit --no-such-option
    check "$prog: a bad number exits 2" usage_exit --threads=two
    check "$prog: a bad profile exits 2" usage_exit --profile=enormous
    if grep -qi 'fashion-mnist' "$tmp/help"; then
        missing_data() {
            local rc=0; "$bin" --profile smoke --data /nonexistent/fmnist --out "$tmp/o-$prog" >/dev/null 2>"$tmp/err" || rc=$?
            [ $rc -eq 1 ] || { echo "exit $rc"; return 1; }
            grep -q 'dataset-fashion-mnist' "$tmp/err" && grep -q '/nonexistent/fmnist' "$tmp/err" || { cat "$tmp/err"; return 1; }
            [ ! -e "$tmp/o-$prog/results.tsv" ] || { echo "left results behind"; return 1; }
        }
        check "$prog: missing data names the Debian package and the path" missing_data
    fi
    smoke() {
        "$bin" --profile smoke --seed 7 --out "$tmp/s-$prog" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
        [ -s "$tmp/s-$prog/results.tsv" ] || { echo "no results.tsv"; return 1; }
        ! ls "$tmp/s-$prog" | grep -q '\.tmp\.' || { echo "temporary files left"; return 1; }
        awk -F'\t' 'NF != 2 { exit 1 }' "$tmp/s-$prog/results.tsv" || { echo "results.tsv is not key<TAB>value"; return 1; }
    }
    check "$prog: smoke profile writes results.tsv and nothing half-written" smoke
    deterministic() {   # the same seed and profile give the same numbers, timings aside
        "$bin" --profile smoke --seed 7 --out "$tmp/t-$prog" >/dev/null 2>&1 || return 1
        local timing='seconds|gflops|per_second|speedup|ratio_to'
        diff <(grep -v -E "$timing" "$tmp/s-$prog/results.tsv") <(grep -v -E "$timing" "$tmp/t-$prog/results.tsv") || return 1
        for f in "$tmp/s-$prog"/*.tsv; do
            [ "$(basename "$f")" = results.tsv ] || cmp "$f" "$tmp/t-$prog/$(basename "$f")" || return 1
        done
    }
    check "$prog: the same seed gives the same results" deterministic
done
