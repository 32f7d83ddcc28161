# A noweb pipeline filter for the weave, between autodefs.c and finduses.
# autodefs.c takes every top-level declaration in a chunk for a definition,
# also the locals of a fragment pasted into a function (`int k;`), which would
# then be linked from every `k` in the book. Keep what autodefs finds only for
# the library's names (pt_..., PT_...), whether autodefs calls them global
# (defn) or file-local (localdefn, a static); keep every name a chapter declares
# itself with `@ %def` (markup emits those just before an `@index nl`).
function flush(all,   i) {
    for (i = 1; i <= n; i++)
        if (all || buf[i] ~ /^@index (local)?defn (pt_|PT_)/) print buf[i]
    n = 0
}
/^@index (local)?defn / { buf[++n] = $0; next }
/^@index nl$/   { flush(1); print; next }
                { flush(0); print }
END             { flush(0) }
