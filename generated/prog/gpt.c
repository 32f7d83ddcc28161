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
/* <Headers of gpt (all chapters)> */
/* <Headers of gpt (all chapters)> */
#include "pt_nn.h"
#include "pt_pca.h"
#include "pt_gpt.h"
/* <Headers of gpt (all chapters)> */
#include "pt_generate.h"

/* <Define the options of gpt> */
static int vocab_size = 0;
static const char *text = "kjv", *vocab = NULL, *merges = NULL;
/* <Option variables of gpt (all chapters)> */
/* <Option variables of gpt (all chapters)> */
static const char *model_dir = NULL, *resume = NULL;
static int lm_steps = 0, stop_at = 0, stride = 0;
static int lm_dim = 0, lm_layers = 0, lm_heads = 0, lm_seq = 0, lm_batch = 0;
static double lm_lr = 0, final_lr = -1, dropout = NAN;   /* NAN: the profile's */
/* <Option variables of gpt (all chapters)> */
static const char *prompt = "And God said";
static int gen_tokens = 0, top_k = 0, n_samples = 1;
static double temperature = 1.0, top_p = 1.0, rep_penalty = 1.0;
static const pt_option options[] = {
    { "text", PT_TEXT, &text, "SRC", "kjv (package bible-kjv), fortunes (package fortunes), or a file" },
    { "vocab-size", PT_INT, &vocab_size, "N",
      "tokens of the trained BPE (default: smoke 512, book 4096, full 8192)" },
    { "vocab", PT_TEXT, &vocab, "FILE", "a tokenizer's vocab.json (GPT-2: encoder.json)" },
    { "merges", PT_TEXT, &merges, "FILE", "a tokenizer's merges.txt (GPT-2: vocab.bpe)" },
    /* <Rows of the options table of gpt (all chapters)> */
    /* <Rows of the options table of gpt (all chapters)> */
    { "model", PT_TEXT, &model_dir, "DIR",
      "a model in Hugging Face's GPT-2 layout: config.json and model.safetensors "
      "(default: --out/model; train writes it)" },
    { "steps", PT_INT, &lm_steps, "N", "training steps (default: smoke 30, book 2100, full 12000)" },
    { "dim", PT_INT, &lm_dim, "N", "train: width C of the model (default 128)" },
    { "layers", PT_INT, &lm_layers, "N", "train: blocks L (default 4)" },
    { "heads", PT_INT, &lm_heads, "N", "train: attention heads H (default 4)" },
    { "seq", PT_INT, &lm_seq, "N", "train: tokens a window, also the context (default: smoke 64, book 64, full 256)" },
    { "batch", PT_INT, &lm_batch, "N", "train: windows a step (default: smoke 4, book 32, full 16)" },
    { "lr", PT_REAL, &lm_lr, "X", "train: AdamW's peak learning rate (default: 0.005, full 0.003)" },
    { "final-lr", PT_REAL, &final_lr, "X", "train: the last step's learning rate over the peak (default 0.1)" },
    { "dropout", PT_REAL, &dropout, "X",
      "train: the probability of dropping each number of the embeddings and of each branch's output (default: book 0, else 0.1)" },
    { "resume", PT_TEXT, &resume, "FILE", "train: continue from this checkpoint" },
    { "stop-at", PT_INT, &stop_at, "N", "train: stop after step N as if interrupted, the checkpoint kept (default: 0, never)" },
    { "stride", PT_INT, &stride, "N",
      "eval: a window every N tokens (at most the context), each scoring what no earlier one did (default: half the context)" },
    /* <Rows of the options table of gpt (all chapters)> */
    { "prompt", PT_TEXT, &prompt, "TEXT", "sample: the text to continue" },
    { "tokens", PT_INT, &gen_tokens, "N", "sample: new tokens (default: as many as the context allows, at most 100)" },
    { "samples", PT_INT, &n_samples, "N", "sample: continuations to print" },
    { "temperature", PT_REAL, &temperature, "X", "sample: tau; 0 is greedy" },
    { "top-k", PT_INT, &top_k, "N", "sample: keep the N most likely tokens; 0: all" },
    { "top-p", PT_REAL, &top_p, "X", "sample: keep the nucleus of probability X; 1: all" },
    { "repetition-penalty", PT_REAL, &rep_penalty, "X", "sample: divide the logits of tokens already present by X" },
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
    "held-out fortunes)"
    /* <Help for the steps of gpt (all chapters)> */
    /* <Help for the steps of gpt (all chapters)> */
    ", train (a GPT-style transformer on the\n"
    "training tokens; writes --model and checkpoint.safetensors), eval (its\n"
    "bits per byte on the held-out part), kvcache (256 tokens generated with\n"
    "and without the key-value cache), mlm (a small masked language model,\n"
    "bidirectional), logits (the logits at the last of the ids on standard\n"
    "input, one a line)"
    /* <Help for the steps of gpt (all chapters)> */
    ", samples (the worked example of temperature,\n"
    "the next-token distribution after --prompt, entropy and distinct-n of\n"
    "samples against temperature, samples for the book), sample (print\n"
    "continuations of --prompt; --temperature, --top-k, --top-p,\n"
    "--repetition-penalty, --tokens, --samples)"
    ".\nWithout STEP, every step runs except tokenize, detokenize"
    /* <Steps of gpt run only when named (all chapters)> */
    /* <Steps of gpt run only when named (all chapters)> */
    ", logits"
    /* <Steps of gpt run only when named (all chapters)> */
    ", sample"
    ".\ntokenize and detokenize use\n"
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
    double ngram_bpb;            /* the best n-gram model's, once ngram has run */
    /* <Fields of a gpt run (all chapters)> */
    /* <Fields of a gpt run (all chapters)> */
    pt_lm_config  lm;                  /* the training run's settings */
    pt_gpt_config lm_cfg;              /* the model train makes (vocab from the tokenizer) */
    char          model_dir[4200];
    pt_bpe        bpe;                 /* the tokenizer of the model steps */
    pt_ids        train_ids, held_ids; /* the two parts of the text, in its tokens */
    int           have_ids, have_model;
    pt_gpt        model;               /* trained here, or read from model_dir */
    /* <Fields of a gpt run (all chapters)> */
    int have_bpe;                      /* bpe loaded without the text */
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
/* <Steps of gpt (all chapters)> */
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
/* <Read one line of ids> */
/* the ids of one line of standard input, line number ln; 0, or -1 */
static int parse_ids(const char *line, long ln, pt_ids *ids)
{
    ids->n = 0;
    for (const char *p = line; ; ) {
        char *end;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\n' || *p == '\r' || !*p) return 0;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 2147483647L)
            return pt_fail("standard input, line %ld: \"%.*s\" is not a token id", ln,
                           (int)strcspn(p, " \t\r\n"), p);
        if (pt_ids_push(ids, (int)v)) return -1;
        p = end;
    }
}

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
        status = parse_ids(line, ln, &ids);
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
        if (top > pt_ngram_max_order(vocab)) {
            fprintf(stderr, "gpt: %d-grams over %d tokens do not fit the 60 bits of a key; "
                    "orders 1-%d only\n", top, vocab, pt_ngram_max_order(vocab));
            top = pt_ngram_max_order(vocab);
        }
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
        g->ngram_bpb = best;
        pt_results_int(g->res, "ngram.best_order", best_order);
        pt_results_text(g->res, "ngram.best_tokens", best_tok);
        pt_results_real(g->res, "ngram.seconds", pt_seconds() - t0);
        status = pt_file_commit(&f);
    } else if (fp) pt_file_abort(&f);
    pt_bpe_free(&b);
    return status;
}
/* <Steps of gpt (all chapters)> */
static int load_ids(gpt_run *g)
{
    if (g->have_ids) return 0;
    if (load_text(g) || load_tokenizer(g, &g->bpe)) return -1;
    memset(&g->train_ids, 0, sizeof g->train_ids);
    memset(&g->held_ids, 0, sizeof g->held_ids);
    if (pt_bpe_encode(&g->bpe, g->train.bytes, g->train.n, &g->train_ids) ||
        pt_bpe_encode(&g->bpe, g->held.bytes, g->held.n, &g->held_ids)) {
        pt_ids_free(&g->train_ids); pt_ids_free(&g->held_ids); pt_bpe_free(&g->bpe);
        return -1;
    }
    g->have_ids = 1;
    pt_results_int(g->res, "gpt.corpus_train_tokens", (long long)g->train_ids.n);
    pt_results_int(g->res, "gpt.corpus_held_tokens", (long long)g->held_ids.n);
    return 0;
}

/* the model trained in this run, or the one in --model */
static int load_model(gpt_run *g)
{
    if (g->have_model) return 0;
    if (pt_gpt_load(&g->model, g->model_dir))
        return pt_fail("%s (run 'gpt train' first, or name a model with --model)", pt_errmsg());
    g->have_model = 1;
    const pt_gpt_config *c = &g->model.cfg;
    fprintf(stderr, "gpt: %s: %d layers, %d heads, width %d, context %d, vocabulary %d\n",
            g->model_dir, c->layers, c->heads, c->dim, c->ctx, c->vocab);
    return 0;
}

/* buffers for scoring: B windows of the whole context, B * T * V at most 2^25 floats */
static int alloc_for_scoring(pt_gpt *m)
{
    size_t tv = (size_t)m->cfg.ctx * m->cfg.vocab;
    int B = tv >= (1u << 25) ? 1 : (int)((1u << 25) / tv);
    return pt_gpt_alloc(m, B > 32 ? 32 : B, m->cfg.ctx);
}
/* <Steps of gpt (all chapters)> */
static int run_train(gpt_run *g)
{
    if (load_ids(g)) return -1;
    if (g->have_model) { pt_gpt_free(&g->model); g->have_model = 0; }
    pt_gpt_config cfg = g->lm_cfg;
    cfg.vocab = g->bpe.n_tokens;
    pt_gpt *m = &g->model;
    pt_optim o;
    pt_train_run r;
    pt_rng rng;
    char ckpt[4300];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", g->c.out);
    if (pt_gpt_init(m, &cfg)) return -1;
    g->have_model = 1;
    pt_rng_seed(&rng, g->c.seed);
    pt_gpt_init_params(m, &rng);
    if (pt_gpt_alloc(m, g->lm.batch, g->lm.seq) || pt_optim_init(&o, PT_ADAMW, &m->params))
        return -1;
    o.beta2 = 0.95;
    o.weight_decay = 0.1;
    pt_train_run_init(&r, g->c.seed);
    int status = resume && pt_checkpoint_load(resume, &m->params, &o, &r) ? -1 : 0;
    /* <Set up and run the language-model training> */
    pt_lm_config c = g->lm;
    c.warmup = (int)(c.steps / 20 > 10 ? c.steps / 20 : 10);
    c.final_lr_frac = final_lr >= 0 ? final_lr : 0.1;
    c.clip = 1.0;
    c.eval_every = c.steps >= 20 ? (int)(c.steps / 20) : 1;
    c.eval_windows = g->c.profile == PT_SMOKE ? 8 : 256;
    c.seed = g->c.seed;
    c.mask_id = -1;
    c.stop_at = stop_at;
    c.checkpoint = ckpt;
    c.checkpoint_every = 200;
    double flops = pt_gpt_train_flops(&m->cfg, c.seq), peak = 0;
    if (status == 0) {
        fprintf(stderr, "gpt: %zu parameters; %lld steps of %d x %d tokens; %.2f GFLOP per step\n",
                m->params.size, (long long)c.steps, c.batch, c.seq, flops * c.batch * c.seq / 1e9);
        peak = pt_sgemm_gflops(1024, 1024, 1024, 4);
        status = pt_lm_train(m, &o, g->train_ids.v, g->train_ids.n, g->held_ids.v, g->held_ids.n, &c, &r);
        double after = pt_sgemm_gflops(1024, 1024, 1024, 4);   /* the better of before and after */
        if (after > peak) peak = after;
    }
    if (status == 0 && r.rows)
        status = pt_train_run_write(&r, g->c.out, "curves.tsv",
                                    "step\tepoch\ttrain_loss\tval_loss\tlr\ttokens");
    if (status == 0 && !(stop_at && stop_at < c.steps)) status = pt_gpt_save(m, g->model_dir);
    if (status == 0) {
        double tps = r.seconds > 0 ? (double)r.examples / r.seconds : 0;
        pt_results_int(g->res, "gpt.params", (long long)m->params.size);
        pt_results_int(g->res, "gpt.dim", m->cfg.dim);
        pt_results_int(g->res, "gpt.layers", m->cfg.layers);
        pt_results_int(g->res, "gpt.heads", m->cfg.heads);
        pt_results_int(g->res, "gpt.seq", c.seq);
        pt_results_int(g->res, "gpt.batch", c.batch);
        pt_results_int(g->res, "gpt.steps", r.step);
        pt_results_real(g->res, "gpt.lr", c.lr);
        pt_results_real(g->res, "gpt.dropout", c.dropout);
        pt_results_int(g->res, "gpt.train_tokens", r.step * c.batch * c.seq);
        pt_results_real(g->res, "gpt.epochs", (double)r.step * c.batch * c.seq / (double)g->train_ids.n);
        pt_results_real(g->res, "gpt.train_seconds", r.seconds);
        pt_results_real(g->res, "gpt.tokens_per_second", tps);
        pt_results_real(g->res, "gpt.model_gflops", flops * tps / 1e9);
        pt_results_real(g->res, "sgemm.gflops", peak);
        pt_results_real(g->res, "gpt.gflops_over_sgemm", peak > 0 ? flops * tps / 1e9 / peak : 0);
        pt_results_int(g->res, "gpt.vector_lanes", pt_vector_lanes());
        if (r.rows) pt_results_real(g->res, "gpt.final_val_loss", r.hist[(r.rows - 1) * PT_HIST_COLS + 3]);
        fprintf(stderr, "gpt: %.0f tokens/s, %.1f GFLOP/s (sgemm: %.1f GFLOP/s, %.0f%%)\n", tps,
                flops * tps / 1e9, peak, peak > 0 ? 100 * flops * tps / 1e9 / peak : 0);
    }
    pt_optim_free(&o);
    pt_train_run_free(&r);
    return status;
}
/* <Steps of gpt (all chapters)> */
static int run_eval(gpt_run *g)
{
    if (load_ids(g) || load_model(g) || alloc_for_scoring(&g->model)) return -1;
    pt_gpt *m = &g->model;
    if (m->cfg.vocab < g->bpe.n_tokens)
        return pt_fail("%s: the model's vocabulary (%d) is smaller than the tokenizer's (%d)",
                       g->model_dir, m->cfg.vocab, g->bpe.n_tokens);
    if (!m->cfg.causal)
        return pt_fail("%s: a bidirectional model does not give next-token probabilities",
                       g->model_dir);
    size_t count = 0, count1 = 0;
    int T = m->cfg.ctx, S = stride <= 0 ? (T + 1) / 2 : stride < T ? stride : T;
    double t0 = pt_seconds();
    double lp = pt_lm_score(m, g->held_ids.v, g->held_ids.n, S, &count);
    double lp1 = isnan(lp) ? NAN : pt_lm_score(m, g->held_ids.v, g->held_ids.n, T, &count1);
    if (isnan(lp1)) return -1;
    size_t bytes = g->held.n - (size_t)g->bpe.len[g->held_ids.v[0]];
    double nats = -lp / (double)count, bpb = pt_bits_per_byte(lp, bytes);
    double bpb1 = pt_bits_per_byte(lp1, bytes);
    pt_results_int(g->res, "gpt.eval_stride", S);
    pt_results_real(g->res, "gpt.val_bpb_back_to_back", bpb1);
    pt_results_real(g->res, "gpt.val_loss", nats);
    pt_results_real(g->res, "gpt.val_perplexity", exp(nats));
    pt_results_real(g->res, "gpt.val_bpb", bpb);
    pt_results_int(g->res, "gpt.val_tokens", (long long)count);
    pt_results_real(g->res, "gpt.eval_seconds", pt_seconds() - t0);
    if (g->ngram_bpb > 0) {       /* the comparison, in words, for the book */
        char vs[96];
        snprintf(vs, sizeof vs, "%.3f bits per byte %s", fabs(bpb - g->ngram_bpb),
                 bpb < g->ngram_bpb ? "below" : "above");
        pt_results_real(g->res, "gpt.bpb_minus_ngram", bpb - g->ngram_bpb);
        pt_results_text(g->res, "gpt.vs_ngram", vs);
    }
    fprintf(stderr, "gpt: held-out %zu tokens, windows every %d: %.4f nats a token, perplexity %.2f, "
            "%.4f bits per byte (back to back: %.4f)\n", count, S, nats, exp(nats), bpb, bpb1);
    return 0;
}
/* <Steps of gpt (all chapters)> */
static int run_logits(gpt_run *g)
{
    char *line = NULL;
    size_t cap = 0;
    pt_ids ids = { 0 };
    int status = load_model(g);
    if (status == 0 && getline(&line, &cap, stdin) <= 0)
        status = pt_fail("standard input: no line of token ids");
    if (status == 0) status = parse_ids(line, 1, &ids);
    pt_gpt *m = &g->model;
    if (status == 0 && (ids.n == 0 || ids.n > (size_t)m->cfg.ctx))
        status = pt_fail("standard input: %zu ids; the model takes 1 to %d", ids.n, m->cfg.ctx);
    const float *z = NULL;
    if (status == 0 && (pt_gpt_alloc(m, 1, (int)ids.n) || !(z = pt_gpt_forward(m, ids.v, 1, (int)ids.n))))
        status = -1;
    for (int v = 0; status == 0 && v < m->cfg.vocab; v++)
        printf("%.9g\n", z[(ids.n - 1) * m->cfg.vocab + v]);
    free(line);
    pt_ids_free(&ids);
    return status == 0 && fflush(stdout) ? pt_fail("cannot write: %s", strerror(errno)) : status;
}
/* <Steps of gpt (all chapters)> */
static int report_cache(gpt_run *g, const char *what, int n, const pt_cache_timing *t)
{
    char key[64];
#define KEY(name) (snprintf(key, sizeof key, "%s.%s", what, name), key)
    pt_results_int(g->res, KEY("tokens"), n);
    pt_results_real(g->res, KEY("cached_tokens_per_second"), n / t->cached_s);
    pt_results_real(g->res, KEY("recompute_tokens_per_second"), n / t->recompute_s);
    pt_results_real(g->res, KEY("speedup"), t->recompute_s / t->cached_s);
    pt_results_real(g->res, KEY("max_abs_diff"), t->max_abs_diff);
    pt_results_int(g->res, KEY("same_tokens"), t->same_tokens);
#undef KEY
    fprintf(stderr, "gpt: %s, %d tokens: %.0f tokens/s with the cache, %.0f recomputing "
            "(%.1fx); logits differ by at most %.2g\n", what, n, n / t->cached_s,
            n / t->recompute_s, t->recompute_s / t->cached_s, t->max_abs_diff);
    return 0;
}

static int run_kvcache(gpt_run *g)
{
    if (load_ids(g) || load_model(g)) return -1;
    pt_gpt *m = &g->model;
    int first = g->held_ids.n && g->held_ids.v[0] < m->cfg.vocab ? g->held_ids.v[0] : 0;
    int n = m->cfg.ctx < 256 ? m->cfg.ctx : 256;
    pt_cache_timing t;
    if (pt_gpt_time_cache(m, first, n, &t) || report_cache(g, "kvcache.model", n, &t))
        return -1;
    if (m->cfg.ctx >= 256) return report_cache(g, "kvcache", n, &t);
    /* <Time 256 tokens with a model of the same shape and a longer context> */
    pt_gpt wide;
    pt_gpt_config cfg = m->cfg;
    pt_rng rng;
    cfg.ctx = 256;
    pt_rng_seed(&rng, g->c.seed);
    if (pt_gpt_init(&wide, &cfg)) return -1;
    pt_gpt_init_params(&wide, &rng);
    int status = pt_gpt_time_cache(&wide, first, 256, &t) || report_cache(g, "kvcache", 256, &t) ? -1 : 0;
    pt_gpt_free(&wide);
    return status;
}
/* <Steps of gpt (all chapters)> */
static int run_mlm(gpt_run *g)
{
    if (load_ids(g)) return -1;
    int V = g->bpe.n_tokens + 1, smoke = g->c.profile == PT_SMOKE;
    pt_gpt_config cfg = g->lm_cfg;
    cfg.vocab = V;
    cfg.ctx = smoke ? 32 : 64;
    cfg.layers = smoke ? 1 : 2;
    cfg.causal = 0;
    pt_lm_config c = g->lm;
    c.seq = cfg.ctx;
    c.steps = smoke ? 10 : g->c.profile == PT_FULL ? 3000 : 300;
    c.batch = 32;
    c.warmup = (int)(c.steps / 10);
    c.final_lr_frac = 0.1; c.clip = 1.0; c.lr = 1e-3;
    c.eval_every = (int)(c.steps / 10 ? c.steps / 10 : 1);
    c.eval_windows = smoke ? 4 : 64;
    c.seed = g->c.seed; c.mask_id = V - 1; c.dropout = 0;
    c.stop_at = 0; c.checkpoint = NULL;
    pt_gpt m;
    pt_optim o;
    pt_train_run r;
    pt_rng rng;
    pt_rng_seed(&rng, g->c.seed + 1);
    if (pt_gpt_init(&m, &cfg)) return -1;
    pt_gpt_init_params(&m, &rng);
    pt_train_run_init(&r, g->c.seed);
    int status = pt_gpt_alloc(&m, c.batch, c.seq) || pt_optim_init(&o, PT_ADAMW, &m.params) ? -1 : 0;
    if (status == 0) {
        o.beta2 = 0.95; o.weight_decay = 0.1;
        status = pt_lm_train(&m, &o, g->train_ids.v, g->train_ids.n, g->held_ids.v,
                             g->held_ids.n, &c, &r);
        /* <Score the masked model and its baselines> */
        size_t use = (size_t)(smoke ? 16 : 800) * c.seq, count = 0, correct = 0;
        if (use > g->held_ids.n) use = g->held_ids.n;
        double lp = status ? NAN : pt_mlm_score(&m, g->held_ids.v, use, V - 1, c.seed ^ 0x5eed, &count, &correct);
        long long *freq = calloc(V, sizeof *freq);
        if (isnan(lp) || !freq || !count) status = status ? status : pt_fail("the masked model scored nothing");
        if (status == 0) {
            int top = 0;
            for (size_t i = 0; i < g->train_ids.n; i++) freq[g->train_ids.v[i]]++;
            for (int v = 1; v < V; v++) if (freq[v] > freq[top]) top = v;
            double uni = 0, hits = 0, tot = (double)g->train_ids.n + V;
            for (size_t i = 0; i < use; i++) {
                uni -= log2((freq[g->held_ids.v[i]] + 1.0) / tot);
                hits += g->held_ids.v[i] == top;
            }
            pt_results_int(g->res, "mlm.params", (long long)m.params.size);
            pt_results_int(g->res, "mlm.steps", r.step);
            pt_results_int(g->res, "mlm.masked", (long long)count);
            pt_results_real(g->res, "mlm.accuracy", (double)correct / count);
            pt_results_real(g->res, "mlm.bits", -lp / (log(2.0) * count));
            pt_results_real(g->res, "mlm.top_token_accuracy", hits / use);
            pt_results_real(g->res, "mlm.unigram_bits", uni / use);
            pt_results_real(g->res, "mlm.seconds", r.seconds);
            fprintf(stderr, "gpt: masked LM: %.1f%% of %zu masked tokens right, %.3f bits each "
                    "(most frequent token: %.1f%%; unigram: %.3f bits)\n", 100.0 * correct / count,
                    count, -lp / (log(2.0) * count), 100 * hits / use, uni / use);
        }
        free(freq);
        pt_optim_free(&o);
    }
    if (status == 0)
        status = pt_train_run_write(&r, g->c.out, "mlm_curves.tsv",
                                    "step\tepoch\ttrain_loss\tval_loss\tlr\ttokens");
    pt_train_run_free(&r);
    pt_gpt_free(&m);
    return status;
}
/* <Steps of gpt (all chapters)> */
/* <Continue a prompt> */
/* the tokens of the prompt, the model and room for n new tokens */
static int prepare_prompt(gpt_run *g, pt_ids *p, int *n)
{
    memset(p, 0, sizeof *p);
    if (load_model(g)) return -1;
    if (!g->have_ids && !g->have_bpe) {
        if (load_tokenizer(g, &g->bpe)) return -1;
        g->have_bpe = 1;
    }
    if (pt_bpe_encode(&g->bpe, (const unsigned char *)prompt, strlen(prompt), p)) return -1;
    if (p->n == 0) return pt_fail("--prompt is empty");
    int room = g->model.cfg.ctx - (int)p->n;
    if (room < 1) return pt_fail("the prompt has %zu tokens; the model's context is %d",
                                 p->n, g->model.cfg.ctx);
    *n = gen_tokens ? gen_tokens : room < 100 ? room : 100;
    if (*n > room) return pt_fail("--tokens %d: the context leaves room for %d", *n, room);
    return 0;
}

static int run_sample(gpt_run *g)
{
    pt_ids p, out = { 0 };
    int n, status = prepare_prompt(g, &p, &n);
    pt_sampler s = { temperature, top_k, top_p, rep_penalty };
    pt_rng rng;
    pt_rng_seed(&rng, g->c.seed);
    for (int k = 0; status == 0 && k < n_samples; k++) {
        unsigned char *text = NULL;
        size_t len = 0;
        out.n = 0;
        status = pt_generate(&g->model, p.v, (int)p.n, n, &s, &rng, &out, NULL) ||
                 pt_bpe_decode(&g->bpe, out.v, out.n, &text, &len) ? -1 : 0;
        if (status == 0) {
            if (k) fputs("\n----\n", stdout);
            fputs(prompt, stdout);
            fwrite(text, 1, len, stdout);
            putchar('\n');
        }
        free(text);
    }
    pt_ids_free(&p);
    pt_ids_free(&out);
    return status == 0 && fflush(stdout) ? pt_fail("cannot write: %s", strerror(errno)) : status;
}
/* <Measure the samplers on the trained model> */
static void quote_sample(gpt_run *g, const char *key, const pt_ids *ids)
{
    unsigned char *text = NULL;
    size_t len = 0;
    if (pt_bpe_decode(&g->bpe, ids->v, ids->n, &text, &len)) return;
    char *q = malloc(3 * len + strlen(prompt) + 1), *o = q;
    if (q) {
        o += sprintf(o, "%s", prompt);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = text[i];
            if (c == '\n') { if (i + 1 < len) o += sprintf(o, " / "); }
            else *o++ = c < 32 || c > 126 || strchr("*_`$\\[]<>{}|#~^@", c) ? ' ' : (char)c;
        }
        *o = 0;
        pt_results_text(g->res, key, q);
    }
    free(q);
    free(text);
}

static int run_samples(gpt_run *g)
{
    /* <Compute the worked example of temperature> */
    const float ex[3] = { 2.0f, 1.0f, 0.1f };
    const double taus[3] = { 0.5, 1, 2 };
    for (int i = 0; i < 3; i++) {
        double q[3];
        char key[64];
        pt_softmax_tau(q, ex, 3, taus[i]);
        for (int v = 0; v < 3; v++) {
            snprintf(key, sizeof key, "example.tau%g.p%d", taus[i], v + 1);
            pt_results_real(g->res, key, q[v]);
        }
        snprintf(key, sizeof key, "example.tau%g.entropy", taus[i]);
        pt_results_real(g->res, key, pt_entropy(q, 3));
    }
    pt_ids p, out = { 0 };
    int n, status = prepare_prompt(g, &p, &n);
    int V = g->model.cfg.vocab;
    double *prob = malloc(sizeof(double) * V);
    if (status == 0 && !prob) status = pt_fail("out of memory");
    /* <Write the next-token distribution at three temperatures> */
    pt_file f;
    FILE *fp = status ? NULL : pt_file_open(&f, g->c.out, "next.tsv");
    if (status == 0 && !fp) status = -1;
    if (fp) {
        pt_gpt_cache kv;
        const float *z = NULL;
        status = pt_gpt_cache_init(&kv, &g->model, (int)p.n);
        for (size_t i = 0; status == 0 && i < p.n; i++)
            if (!(z = pt_gpt_step(&g->model, &kv, p.v[i]))) status = -1;
        int *order = malloc(sizeof(int) * V);
        if (status == 0 && order) {
            /* <Rank the tokens and write their probabilities> */
            pt_softmax_tau(prob, z, V, 1.0);
            pt_rank_tokens(order, prob, V);
            fprintf(fp, "rank\ttoken\tp_tau0.5\tp_tau1\tp_tau2\n");
            double at[3][20];
            for (int i = 0; i < 3; i++) {
                pt_softmax_tau(prob, z, V, taus[i]);
                for (int r = 0; r < 20 && r < V; r++) at[i][r] = prob[order[r]];
            }
            for (int r = 0; r < 20 && r < V; r++) {
                unsigned char *t = NULL;
                size_t len = 0;
                if (pt_bpe_decode(&g->bpe, order + r, 1, &t, &len)) { status = -1; break; }
                fprintf(fp, "%d\t", r + 1);
                for (size_t i = 0; i < len; i++)       /* the token's text, a space shown as an open box */
                    if (t[i] == ' ') fputs("\xe2\x90\xa3", fp);
                    else fputc(t[i] == '\n' ? '/' : t[i] <= 32 || t[i] > 126 || t[i] == '"' || t[i] == '\\' ? '?' : t[i], fp);
                fprintf(fp, "\t%.6f\t%.6f\t%.6f\n", at[0][r], at[1][r], at[2][r]);
                free(t);
            }
        } else if (status == 0) status = pt_fail("out of memory");
        free(order);
        pt_gpt_cache_free(&kv);
        if (status == 0) status = pt_file_commit(&f);
        else pt_file_abort(&f);
    }
    /* <Sample at seven temperatures and measure the samples> */
    const double grid[7] = { 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0 };
    FILE *tp = status ? NULL : pt_file_open(&f, g->c.out, "temperature.tsv");
    if (status == 0 && !tp) status = -1;
    if (tp) fprintf(tp, "temperature\tentropy\tdistinct1\tdistinct2\n");
    for (int i = 0; status == 0 && i < 7; i++) {
        pt_sampler s = { grid[i], 0, 1.0, 1.0 };
        pt_rng rng;
        pt_rng_seed(&rng, g->c.seed * 1000 + (uint64_t)i);
        double h = 0;
        pt_ids all = { 0 };
        for (int k = 0; status == 0 && k < 8; k++) {
            out.n = 0;
            status = pt_generate(&g->model, p.v, (int)p.n, n, &s, &rng, &out, &h);
            for (size_t j = 0; status == 0 && j < out.n; j++) status = pt_ids_push(&all, out.v[j]);
            if (status == 0 && k == 0) {
                char key[64];
                snprintf(key, sizeof key, "sample.tau%g", grid[i]);
                quote_sample(g, key, &out);
            }
        }
        if (status == 0)
            fprintf(tp, "%g\t%.6f\t%.6f\t%.6f\n", grid[i], h / (double)all.n,
                    pt_distinct_n(all.v, all.n, 1), pt_distinct_n(all.v, all.n, 2));
        pt_ids_free(&all);
    }
    if (status == 0) {
        pt_sampler s = { 1.0, 0, 0.9, 1.0 };
        pt_rng rng;
        pt_rng_seed(&rng, g->c.seed);
        out.n = 0;
        status = pt_generate(&g->model, p.v, (int)p.n, n, &s, &rng, &out, NULL);
        if (status == 0) quote_sample(g, "sample.top_p0.9", &out);
    }
    if (tp) { if (status == 0) status = pt_file_commit(&f); else pt_file_abort(&f); }
    if (status == 0) {
        pt_results_text(g->res, "sample.prompt", prompt);
        pt_results_int(g->res, "sample.tokens", n);
    }
    free(prob);
    pt_ids_free(&p);
    pt_ids_free(&out);
    return status;
}

typedef struct { const char *name; int (*run)(gpt_run *g); int in_all; } gpt_step;
static const gpt_step steps[] = {
    /* <Rows of the steps table of gpt (all chapters)> */
    { "bpe-train", run_bpe_train, 1 },
    { "tokens", run_tokens, 1 },
    { "ngram", run_ngram, 1 },
    { "tokenize", run_tokenize, 0 },
    { "detokenize", run_detokenize, 0 },
    /* <Rows of the steps table of gpt (all chapters)> */
    { "train", run_train, 1 },
    { "eval", run_eval, 1 },
    { "kvcache", run_kvcache, 1 },
    { "mlm", run_mlm, 1 },
    { "logits", run_logits, 0 },
    /* <Rows of the steps table of gpt (all chapters)> */
    { "samples", run_samples, 1 },
    { "sample", run_sample, 0 },
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
    /* <Check the options of gpt (all chapters)> */
    /* <Check the options of gpt (all chapters)> */
    if (lm_steps < 0 || lm_dim < 0 || lm_layers < 0 || lm_heads < 0 || lm_seq < 0 ||
        lm_batch < 0 || lm_lr < 0 || stop_at < 0 || stride < 0 || final_lr > 1 ||
        dropout < 0 || dropout >= 1)
        pt_usage_error(&prog, "--steps, --dim, --layers, --heads, --seq, --batch, --lr, "
                       "--stop-at and --stride take positive values, --final-lr one of at most 1, "
                       "--dropout one in [0, 1)");
    int smoke = g.c.profile == PT_SMOKE, full = g.c.profile == PT_FULL;
    g.lm.batch = lm_batch ? lm_batch : smoke ? 4 : full ? 16 : 32;
    g.lm.seq = lm_seq ? lm_seq : smoke ? 64 : full ? 256 : 64;
    g.lm.steps = lm_steps ? lm_steps : smoke ? 30 : full ? 12000 : 2100;
    g.lm.lr = lm_lr ? lm_lr : full ? 3e-3 : 5e-3;
    g.lm.dropout = !isnan(dropout) ? dropout : smoke || full ? 0.1 : 0;
    g.lm_cfg = (pt_gpt_config){ 0, g.lm.seq, lm_dim ? lm_dim : smoke ? 32 : full ? 256 : 128,
                                lm_heads ? lm_heads : smoke ? 2 : full ? 8 : 4,
                                lm_layers ? lm_layers : smoke ? 2 : full ? 6 : 4, 1e-5f, 1 };
    if (g.lm_cfg.dim % g.lm_cfg.heads)
        pt_usage_error(&prog, "--heads (%d) must divide --dim (%d)", g.lm_cfg.heads, g.lm_cfg.dim);
    if (model_dir) snprintf(g.model_dir, sizeof g.model_dir, "%s", model_dir);
    else snprintf(g.model_dir, sizeof g.model_dir, "%s/model", g.c.out);
    /* <Check the options of gpt (all chapters)> */
    if (temperature < 0 || top_k < 0 || !(top_p > 0 && top_p <= 1) || !(rep_penalty > 0) ||
        gen_tokens < 0 || n_samples < 1)
        pt_usage_error(&prog, "--temperature >= 0, --top-k >= 0, 0 < --top-p <= 1, "
                       "--repetition-penalty > 0, --tokens >= 0 and --samples >= 1");
    g.vocab_size = vocab_size ? vocab_size
                 : g.c.profile == PT_SMOKE ? 512 : g.c.profile == PT_FULL ? 8192 : 4096;
    int quiet = 0;     /* the filters, which are not run by default, write no results */
    for (const gpt_step *s = steps; step && s->name; s++)
        if (!strcmp(step, s->name)) quiet = !s->in_all;
    if (!quiet) {
        pt_announce(&prog, &g.c);
        g.res = pt_results_new();
        pt_results_int(g.res, "threads", pt_set_threads(g.c.threads));
    }
    double t0 = pt_seconds();
    for (const gpt_step *s = steps; s->name; s++)
        if ((!step && s->in_all) || (step && !strcmp(step, s->name)))
            if (s->run(&g)) pt_die(&prog);
    if (g.res) pt_results_real(g.res, "run.seconds", pt_seconds() - t0);
    if (g.res && (pt_results_write(g.res, g.c.out))) pt_die(&prog);
    if (g.res) fprintf(stderr, "gpt: results written to %s\n", g.c.out);
    pt_results_free(g.res);
    if (g.have_text) { pt_text_free(&g.text); pt_text_free(&g.train); pt_text_free(&g.held); }
    /* <Free the rest of a gpt run (all chapters)> */
    /* <Free the rest of a gpt run (all chapters)> */
    if (g.have_ids) { pt_ids_free(&g.train_ids); pt_ids_free(&g.held_ids); pt_bpe_free(&g.bpe); }
    if (g.have_model) pt_gpt_free(&g.model);
    /* <Free the rest of a gpt run (all chapters)> */
    if (g.have_bpe && !g.have_ids) pt_bpe_free(&g.bpe);
    return 0;
}
