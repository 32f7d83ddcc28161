# The gpt program's filters and its text sources: tokenize and detokenize undo
# each other on awkward input with GPT-2's files and with a trained tokenizer;
# a missing text or tokenizer is named and leaves nothing behind.
gpt2="--vocab data/gpt2/encoder.json --merges data/gpt2/vocab.bpe"
gpt_round_trip() {
    printf 'In the beginning\n  two  spaces, tabs\tand caf\xc3\xa9 \xf0\x9f\x91\x8b\nbad \xff bytes\n\n' > "$tmp/in.txt"
    out/bin/gpt tokenize $gpt2 < "$tmp/in.txt" > "$tmp/ids.txt" || return 1
    [ "$(head -1 "$tmp/ids.txt")" = "818 262 3726" ] || { head -1 "$tmp/ids.txt"; return 1; }
    out/bin/gpt detokenize $gpt2 < "$tmp/ids.txt" | cmp - "$tmp/in.txt"
}
check "gpt: tokenize then detokenize gives the input back (GPT-2's files)" gpt_round_trip
gpt_trained_round_trip() {
    out/bin/gpt bpe-train --profile smoke --text tests/data/README.md --out "$tmp/tok" >/dev/null 2>&1 || return 1
    out/bin/gpt tokenize --out "$tmp/tok" < "$tmp/in.txt" > "$tmp/ids2.txt" || return 1
    out/bin/gpt detokenize --out "$tmp/tok" < "$tmp/ids2.txt" | cmp - "$tmp/in.txt"
}
check "gpt: tokenize then detokenize gives the input back (a trained tokenizer)" gpt_trained_round_trip
gpt_missing_text() {
    local rc=0; out/bin/gpt --profile smoke --text /nonexistent/kjv.txt --out "$tmp/gm" >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 1 ] || { echo "exit $rc"; return 1; }
    grep -q '/nonexistent/kjv.txt' "$tmp/err" || { cat "$tmp/err"; return 1; }
    [ ! -e "$tmp/gm/results.tsv" ] && [ ! -e "$tmp/gm/vocab.json" ]
}
check "gpt: a missing text is named, nothing is written" gpt_missing_text
gpt_bad_ids() {
    local rc=0; echo "1 2 999999" | out/bin/gpt detokenize $gpt2 >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 1 ] && grep -q 'line 1' "$tmp/err" && grep -q '999999' "$tmp/err"
}
check "gpt: an id outside the vocabulary is an error that names the line" gpt_bad_ids
