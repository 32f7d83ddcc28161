/* Tangled from chapters/07-lm.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* gpt: tokenizers and language models (Chapters 7-9). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "pt_base.h"
#include "pt_lm.h"

/* <Define the options of gpt> */
static int vocab_size = 0;
static const char *text = "kjv", *vocab = NULL, *merges = NULL;
static const pt_option options[] = {
    { "text", PT_TEXT, &text, "SRC", "kjv (package bible-kjv), fortunes (package fortunes), or a file" },
    { "vocab-size", PT_INT, &vocab_size, "N",
      "tokens of the trained BPE (default: smoke 512, book 4096, full 8192)" },
    { "vocab", PT_TEXT, &vocab, "FILE", "a tokenizer's vocab.json (GPT-2: encoder.json)" },
    { "merges", PT_TEXT, &merges, "FILE", "a tokenizer's merges.txt (GPT-2: vocab.bpe)" },
    { 0 }
};
static const pt_program prog = {
    "gpt", "tokenizers and language models of text",
    "[STEP]", options,
    "STEP is one of: bpe-train (learn byte-pair merges on the training part\n"
    "of the text; writes vocab.json and merges.txt to --out), tokens (bytes\n"
    "per token of bytes, the trained BPE at several sizes and GPT-2's\n"
    "tokenizer on the held-out part), tokenize (each line of standard input\n"
    "as a line of token ids), detokenize (each line of ids back to text),\n"
    "ngram (interpolated Kneser-Ney models of orders 1-7 over bytes and 1-5\n"
    "over the trained BPE; bits per byte on the held-out part, and on the\n"
    "held-out fortunes). Without STEP, bpe-train, tokens and ngram run. tokenize and detokenize use\n"
    "--vocab and --merges, or else the tokenizer bpe-train wrote in --out\n"
    "(out/data/gpt). GPT-2's own files are data/gpt2/encoder.json and\n"
    "data/gpt2/vocab.bpe. The held-out part is every 20th block of 100\n"
    "lines.",
    NULL,
};
/* <Define the state of a gpt run> */
typedef struct gpt_run {
    pt_common c;
    pt_results *res;
    pt_text text, train, held;   /* the whole text and its two parts */
    int have_text, vocab_size;
} gpt_run;
/* <Load the text of a gpt run> */
static int load_text(gpt_run *g)
{
    if (g->have_text) return 0;
    int status = !strcmp(text, "kjv") ? pt_text_kjv(&g->text)
               : !strcmp(text, "fortunes") ? pt_text_fortunes(&g->text, NULL)
               : pt_text_read(&g->text, text);
    if (status) return -1;
    if (g->c.profile == PT_SMOKE && g->text.n > 200000) g->text.n = 200000;
    if (pt_text_split(&g->train, &g->held, &g->text, g->c.profile == PT_SMOKE ? 5 : 100, 20)) {
        pt_text_free(&g->text);
        return -1;
    }
    g->have_text = 1;
    pt_results_int(g->res, "text.bytes", (long long)g->text.n);
    pt_results_int(g->res, "text.train_bytes", (long long)g->train.n);
    pt_results_int(g->res, "text.held_bytes", (long long)g->held.n);
    return 0;
}
/* <Load the tokenizer of a gpt run> */
static int load_tokenizer(gpt_run *g, pt_bpe *b)
{
    if (vocab) return pt_bpe_load(b, vocab, merges);
    char v[4200], m[4200];
    snprintf(v, sizeof v, "%s/vocab.json", g->c.out);
    snprintf(m, sizeof m, "%s/merges.txt", g->c.out);
    if (pt_bpe_load(b, v, m))
        return pt_fail("%s (run 'gpt bpe-train' first, or give --vocab and --merges)",
                       pt_errmsg());
    return 0;
}
/* <Train a tokenizer> */
static int run_bpe_train(gpt_run *g)
{
    pt_bpe b;
    pt_bpe_report rep;
    pt_ids ids = { 0 };
    if (load_text(g) || pt_bpe_init(&b)) return -1;
    int status = pt_bpe_train(&b, g->train.bytes, g->train.n, g->vocab_size, &rep) ||
                 pt_bpe_save(&b, g->c.out) ||
                 pt_bpe_encode(&b, g->train.bytes, g->train.n, &ids) ? -1 : 0;
    if (status == 0) {
        pt_results_int(g->res, "bpe.vocab", b.n_tokens);
        pt_results_int(g->res, "bpe.merges", b.n_merges);
        pt_results_int(g->res, "bpe.pieces", rep.pieces);
        pt_results_int(g->res, "bpe.distinct_pieces", rep.distinct);
        pt_results_real(g->res, "bpe.train_seconds", rep.seconds);
        pt_results_real(g->res, "bpe.train_bytes_per_token", (double)g->train.n / (double)ids.n);
        fprintf(stderr, "gpt: %d merges from %lld pieces (%d distinct) in %.2f s\n",
                b.n_merges, rep.pieces, rep.distinct, rep.seconds);
    }
    pt_ids_free(&ids);
    pt_bpe_free(&b);
    return status;
}
/* <Measure the tokenizers on held-out text> */
/* encode the held-out text with b, check the round trip, write a row */
static int measure(gpt_run *g, const pt_bpe *b, const char *name, FILE *fp)
{
    pt_ids ids = { 0 };
    unsigned char *back = NULL;
    size_t n = 0;
    double t0 = pt_seconds();
    int status = pt_bpe_encode(b, g->held.bytes, g->held.n, &ids);
    double sec = pt_seconds() - t0;
    if (status == 0) status = pt_bpe_decode(b, ids.v, ids.n, &back, &n);
    if (status == 0 && (n != g->held.n || memcmp(back, g->held.bytes, n)))
        status = pt_fail("%s: decoding the held-out text does not give it back", name);
    if (status == 0) {
        int vocab = b->n_tokens - (b->n_merges - b->use_merges);
        double bpt = (double)g->held.n / (double)(ids.n ? ids.n : 1);
        fprintf(fp, "%s\t%d\t%zu\t%.6f\n", name, vocab, ids.n, bpt);
        char key[128];
        snprintf(key, sizeof key, "tokens.%s.bytes_per_token", name);
        pt_results_real(g->res, key, bpt);
        snprintf(key, sizeof key, "tokens.%s.tokens", name);
        pt_results_int(g->res, key, (long long)ids.n);
        snprintf(key, sizeof key, "tokens.%s.mb_per_second", name);
        pt_results_real(g->res, key, sec > 0 ? g->held.n / sec / 1e6 : 0);
        fprintf(stderr, "gpt: %-9s %6d tokens in the vocabulary, %.3f bytes a token\n", name,
                vocab, bpt);
    }
    free(back);
    pt_ids_free(&ids);
    return status;
}

static int run_tokens(gpt_run *g)
{
    pt_bpe b, gpt2;
    if (load_text(g) || load_tokenizer(g, &b)) return -1;
    pt_file f;
    FILE *fp = pt_file_open(&f, g->c.out, "tokens.tsv");
    int status = fp ? 0 : -1;
    if (fp) fprintf(fp, "tokenizer\tvocab\ttokens\tbytes_per_token\n");
    for (int k = 256; status == 0 && k <= b.n_tokens; k *= 2) {
        char name[32];
        snprintf(name, sizeof name, k == 256 ? "bytes" : "bpe_%d", k);
        b.use_merges = k - 256 < b.n_merges ? k - 256 : b.n_merges;
        status = measure(g, &b, name, fp);
    }
    if (status == 0 && pt_bpe_load(&gpt2, PT_GPT2_VOCAB, PT_GPT2_MERGES) == 0) {
        status = measure(g, &gpt2, "gpt2", fp);
        pt_bpe_free(&gpt2);
    } else if (status == 0) status = -1;
    if (status == 0) status = pt_file_commit(&f);
    else if (fp) pt_file_abort(&f);
    pt_bpe_free(&b);
    return status;
}
/* <Tokenize and detokenize standard input> */
static int run_tokenize(gpt_run *g)
{
    pt_bpe b;
    if (load_tokenizer(g, &b)) return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    pt_ids ids = { 0 };
    int status = 0;
    while (status == 0 && (len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n') len--;
        ids.n = 0;
        status = pt_bpe_encode(&b, (unsigned char *)line, (size_t)len, &ids);
        for (size_t i = 0; status == 0 && i < ids.n; i++)
            printf(i ? " %d" : "%d", ids.v[i]);
        if (status == 0) putchar('\n');
    }
    free(line);
    pt_ids_free(&ids);
    pt_bpe_free(&b);
    return status == 0 && fflush(stdout) ? pt_fail("cannot write: %s", strerror(errno)) : status;
}

static int run_detokenize(gpt_run *g)
{
    pt_bpe b;
    if (load_tokenizer(g, &b)) return -1;
    char *line = NULL;
    size_t cap = 0;
    pt_ids ids = { 0 };
    int status = 0;
    for (long ln = 1; status == 0 && getline(&line, &cap, stdin) > 0; ln++) {
        /* <Read one line of ids> */
        ids.n = 0;
        for (char *p = line, *end; status == 0; p = end) {
            while (*p == ' ' || *p == '\t') p++;
            if (*p == '\n' || *p == '\r' || !*p) break;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || errno || v < 0 || v > 2147483647L)
                status = pt_fail("standard input, line %ld: \"%.*s\" is not a token id", ln,
                                 (int)strcspn(p, " \t\r\n"), p);
            else status = pt_ids_push(&ids, (int)v);
        }
        unsigned char *out = NULL;
        size_t n = 0;
        if (status == 0 && pt_bpe_decode(&b, ids.v, ids.n, &out, &n))
            status = pt_fail("standard input, line %ld: %s", ln, pt_errmsg());
        if (status == 0) { fwrite(out, 1, n, stdout); putchar('\n'); }
        free(out);
    }
    free(line);
    pt_ids_free(&ids);
    pt_bpe_free(&b);
    return status == 0 && fflush(stdout) ? pt_fail("cannot write: %s", strerror(errno)) : status;
}
/* <Fit and measure the n-gram models> */
/* the tokens of a text: its bytes (bpe NULL) or its BPE tokens */
static int tokens_of(const pt_bpe *bpe, const pt_text *t, pt_ids *ids)
{
    ids->n = 0;
    if (bpe) return pt_bpe_encode(bpe, t->bytes, t->n, ids);
    for (size_t i = 0; i < t->n; i++)
        if (pt_ids_push(ids, t->bytes[i])) return -1;
    return 0;
}

static int run_ngram(gpt_run *g)
{
    pt_bpe b;
    if (load_text(g) || load_tokenizer(g, &b)) return -1;
    pt_file f;
    FILE *fp = pt_file_open(&f, g->c.out, "ngram.tsv");
    int status = fp ? 0 : -1, best_order = 0;
    double best = INFINITY, t0 = pt_seconds();
    const char *best_tok = "";
    if (fp) fprintf(fp, "tokens\torder\tvocab\theld_tokens\tbits_per_token\tperplexity\tbpb\n");
    for (int which = 0; which < 2 && status == 0; which++) {
        /* <Fit every order over one kind of token> */
        const char *name = which ? "bpe" : "bytes";
        int vocab = which ? b.n_tokens : 256, top = which ? 5 : 7;
        pt_ids tr = { 0 }, he = { 0 };
        status = tokens_of(which ? &b : NULL, &g->train, &tr) || tokens_of(which ? &b : NULL, &g->held, &he);
        for (int n = 1; n <= top && status == 0; n++) {
            pt_ngram m;
            if (pt_ngram_train(&m, tr.v, tr.n, n, vocab)) { status = -1; break; }
            double lp = pt_ngram_score(&m, he.v, he.n), bpb = pt_bits_per_byte(lp, g->held.n);
            double bpt = -lp / (log(2.0) * (double)he.n);
            fprintf(fp, "%s\t%d\t%d\t%zu\t%.6f\t%.6f\t%.6f\n", name, n, vocab, he.n, bpt, exp2(bpt), bpb);
            char key[96];
            snprintf(key, sizeof key, "ngram.%s.n%d.val_bpb", name, n);
            pt_results_real(g->res, key, bpb);
            snprintf(key, sizeof key, "ngram.%s.n%d.perplexity", name, n);
            pt_results_real(g->res, key, exp2(bpt));
            fprintf(stderr, "gpt: %d-gram over %s: %.4f bits per byte, perplexity %.2f\n", n, name,
                    bpb, exp2(bpt));
            if (bpb < best) { best = bpb; best_order = n; best_tok = name; }
            pt_ngram_free(&m);
        }
        pt_ids_free(&tr); pt_ids_free(&he);
    }
    if (status == 0) {
        /* <Score the held-out fortunes with the best model> */
        pt_text fo, ftr, fhe;
        pt_ids tr = { 0 }, he = { 0 };
        int bpe = !strcmp(best_tok, "bpe");
        pt_ngram m;
        if (pt_text_fortunes(&fo, NULL) == 0) {
            if (g->c.profile == PT_SMOKE && fo.n > 200000) fo.n = 200000;
            status = pt_text_split(&ftr, &fhe, &fo, g->c.profile == PT_SMOKE ? 5 : 100, 20) ||
                     tokens_of(bpe ? &b : NULL, &g->train, &tr) ||
                     tokens_of(bpe ? &b : NULL, &fhe, &he) ||
                     pt_ngram_train(&m, tr.v, tr.n, best_order, bpe ? b.n_tokens : 256) ? -1 : 0;
            if (status == 0) {
                double bpb = pt_bits_per_byte(pt_ngram_score(&m, he.v, he.n), fhe.n);
                pt_results_real(g->res, "ngram.fortunes_bpb", bpb);
                pt_results_int(g->res, "ngram.fortunes_held_bytes", (long long)fhe.n);
                fprintf(stderr, "gpt: the same model on held-out fortunes: %.4f bits per byte\n", bpb);
                pt_ngram_free(&m);
                pt_text_free(&ftr); pt_text_free(&fhe);
            }
            pt_text_free(&fo);
        } else status = -1;
        pt_ids_free(&tr); pt_ids_free(&he);
    }
    if (status == 0) {
        pt_results_real(g->res, "ngram.val_bpb", best);
        pt_results_int(g->res, "ngram.best_order", best_order);
        pt_results_text(g->res, "ngram.best_tokens", best_tok);
        pt_results_real(g->res, "ngram.seconds", pt_seconds() - t0);
        status = pt_file_commit(&f);
    } else if (fp) pt_file_abort(&f);
    pt_bpe_free(&b);
    return status;
}

typedef struct { const char *name; int (*run)(gpt_run *g); int in_all; } gpt_step;
static const gpt_step steps[] = {
    { "bpe-train", run_bpe_train, 1 },
    { "tokens", run_tokens, 1 },
    { "ngram", run_ngram, 1 },
    { "tokenize", run_tokenize, 0 },
    { "detokenize", run_detokenize, 0 },
    { 0 }
};

int main(int argc, char **argv)
{
    gpt_run g;
    memset(&g, 0, sizeof g);
    /* <Parse the command line of gpt> */
    const char *step = pt_parse_step(argc, argv, &prog, &g.c, steps, sizeof steps[0]);
    if (vocab_size < 0 || (vocab_size > 0 && vocab_size < 256))
        pt_usage_error(&prog, "--vocab-size must be at least 256 (the bytes)");
    if (!vocab != !merges) pt_usage_error(&prog, "--vocab and --merges go together");
    g.vocab_size = vocab_size ? vocab_size
                 : g.c.profile == PT_SMOKE ? 512 : g.c.profile == PT_FULL ? 8192 : 4096;
    int quiet = step && (!strcmp(step, "tokenize") || !strcmp(step, "detokenize"));
    if (!quiet) {
        pt_announce(&prog, &g.c);
        g.res = pt_results_new();
        pt_results_int(g.res, "threads", pt_set_threads(g.c.threads));
    }
    for (const gpt_step *s = steps; s->name; s++)
        if ((!step && s->in_all) || (step && !strcmp(step, s->name)))
            if (s->run(&g)) pt_die(&prog);
    if (g.res && (pt_results_write(g.res, g.c.out))) pt_die(&prog);
    if (g.res) fprintf(stderr, "gpt: results written to %s\n", g.c.out);
    pt_results_free(g.res);
    if (g.have_text) { pt_text_free(&g.text); pt_text_free(&g.train); pt_text_free(&g.held); }
    return 0;
}
