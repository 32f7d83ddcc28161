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
# Chapter 8: the transformer steps on a small text (the GPL, from base-files), in
# the smoke profile.
license=/usr/share/common-licenses/GPL-3
gpt_smoke_model() {
    local d="$tmp/gt"
    out/bin/gpt bpe-train --profile smoke --text "$license" --out "$d" >/dev/null 2>&1 || return 1
    out/bin/gpt train --profile smoke --text "$license" --out "$d" >/dev/null 2>"$tmp/err" || { tail -3 "$tmp/err"; return 1; }
    [ -s "$d/model/config.json" ] && [ -s "$d/model/model.safetensors" ] && [ -s "$d/curves.tsv" ] || return 1
    grep -q '"n_embd": 32' "$d/model/config.json" && grep -q '"activation_function": "gelu_new"' "$d/model/config.json"
}
check "gpt: train writes a model in GPT-2's layout and its curves" gpt_smoke_model
gpt_logits_match_eval() {
    local d="$tmp/gt"
    # logits: one line per vocabulary entry, and the same for the same input
    echo "5 6 7" | out/bin/gpt logits --model "$d/model" > "$tmp/l1" || return 1
    echo "5 6 7" | out/bin/gpt logits --model "$d/model" > "$tmp/l2" || return 1
    local v; v=$(sed -n 's/.*"vocab_size": \([0-9]*\).*/\1/p' "$d/model/config.json")
    [ "$(wc -l < "$tmp/l1")" -eq "$v" ] && cmp -s "$tmp/l1" "$tmp/l2" || return 1
    local rc=0; echo "5 6 99999" | out/bin/gpt logits --model "$d/model" >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 1 ] && grep -q '99999' "$tmp/err"
}
check "gpt: logits prints the vocabulary's logits; a bad id is named" gpt_logits_match_eval
gpt_resume() {
    local d="$tmp/gt"
    out/bin/gpt train --profile smoke --text "$license" --out "$d" --steps 12 --stop-at 6 >/dev/null 2>&1 || return 1
    out/bin/gpt train --profile smoke --text "$license" --out "$d" --steps 12 --resume "$d/checkpoint.safetensors" \
        --model "$d/resumed" >/dev/null 2>&1 || return 1
    out/bin/gpt train --profile smoke --text "$license" --out "$d/straight" --steps 12 --model "$d/straight/model" \
        --vocab "$d/vocab.json" --merges "$d/merges.txt" >/dev/null 2>&1 || return 1
    cmp -s "$d/resumed/model.safetensors" "$d/straight/model/model.safetensors"
}
check "gpt: train stopped and resumed writes the model an uninterrupted run writes" gpt_resume
gpt_dropout() {
    # the smoke profile drops (so the resume above covers dropout's masks); --dropout 0
    # trains another model; a rate outside [0, 1) is a usage error
    local d="$tmp/gt"
    grep -q '^gpt.dropout	0.1$' "$d/straight/results.tsv" || { echo "smoke dropout not 0.1"; return 1; }
    out/bin/gpt train --profile smoke --text "$license" --out "$d/nodrop" --steps 12 --dropout 0 \
        --vocab "$d/vocab.json" --merges "$d/merges.txt" >/dev/null 2>&1 || return 1
    grep -q '^gpt.dropout	0$' "$d/nodrop/results.tsv" || return 1
    cmp -s "$d/nodrop/model/model.safetensors" "$d/straight/model/model.safetensors" && { echo "dropout changed nothing"; return 1; }
    local p rc
    for p in 1 -0.1 x; do
        rc=0; out/bin/gpt train --profile smoke --text "$license" --out "$d/bad" --dropout "$p" >/dev/null 2>&1 || rc=$?
        [ $rc -eq 2 ] || { echo "--dropout $p: exit $rc"; return 1; }
    done
}
check "gpt: the smoke profile trains with dropout, --dropout 0 without; a rate outside [0, 1) is refused" gpt_dropout
gpt_eval_strides() {
    local d="$tmp/gt" n1 n2
    out/bin/gpt eval --profile smoke --text "$license" --model "$d/model" --out "$tmp/ev1" \
        --vocab "$d/vocab.json" --merges "$d/merges.txt" >/dev/null 2>&1 || return 1
    out/bin/gpt eval --profile smoke --text "$license" --model "$d/model" --out "$tmp/ev2" --stride 5 \
        --vocab "$d/vocab.json" --merges "$d/merges.txt" >/dev/null 2>&1 || return 1
    n1=$(awk '$1 == "gpt.val_tokens" { print $2 }' "$tmp/ev1/results.tsv")
    n2=$(awk '$1 == "gpt.val_tokens" { print $2 }' "$tmp/ev2/results.tsv")
    [ -n "$n1" ] && [ "$n1" = "$n2" ] || { echo "tokens scored: $n1 and $n2"; return 1; }
    grep -q '^gpt.eval_stride	5$' "$tmp/ev2/results.tsv" && grep -q '^gpt.val_bpb_back_to_back	' "$tmp/ev1/results.tsv" || return 1
    local rc=0; out/bin/gpt eval --profile smoke --out "$d" --stride -2 >/dev/null 2>&1 || rc=$?
    [ $rc -eq 2 ]
}
check "gpt: eval scores every held-out token once at any stride; a negative stride is refused" gpt_eval_strides
gpt_bad_model() {
    local rc=0; mkdir -p "$tmp/badm"; echo '{"n_embd": 8' > "$tmp/badm/config.json"
    out/bin/gpt eval --model "$tmp/badm" --profile smoke --text "$license" --out "$tmp/gt" >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 1 ] && grep -q "$tmp/badm/config.json" "$tmp/err"
}
check "gpt: a damaged config.json is named" gpt_bad_model
# Chapter 9: sampling from the smoke model.
gpt_sample() {
    local d="$tmp/gt"
    out/bin/gpt sample --profile smoke --out "$d" --prompt "The" --tokens 20 --samples 2 --seed 3 > "$tmp/s1" 2>/dev/null || return 1
    out/bin/gpt sample --profile smoke --out "$d" --prompt "The" --tokens 20 --samples 2 --seed 3 > "$tmp/s2" 2>/dev/null || return 1
    cmp -s "$tmp/s1" "$tmp/s2" && [ "$(grep -c '^----$' "$tmp/s1")" -eq 1 ] && grep -q '^The' "$tmp/s1" || return 1
    local rc=0; out/bin/gpt sample --profile smoke --out "$d" --top-p 1.5 >/dev/null 2>&1 || rc=$?
    [ $rc -eq 2 ] || return 1
    rc=0; out/bin/gpt sample --profile smoke --out "$d" --tokens 100000 >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 1 ] && grep -q 'context' "$tmp/err"
}
check "gpt: sample is reproducible by seed, rejects a bad --top-p and a length past the context" gpt_sample
