/* Tangled from chapters/07-lm.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* ngram.c: interpolated Kneser-Ney n-gram models (Chapter 7). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_lm.h"

/* <Pack n-grams into keys> */
/* the key of tokens t[0..k-1] under a tag */
static uint64_t gram_key(const pt_ngram *m, const int *t, int k, int tag)
{
    uint64_t key = (uint64_t)tag << 60;
    for (int i = 0; i < k; i++) key |= (uint64_t)t[i] << (m->bits * (k - 1 - i));
    return key;
}

/* the tokens of a key of k tokens */
static void gram_tokens(const pt_ngram *m, uint64_t key, int k, int *t)
{
    uint64_t mask = ((uint64_t)1 << m->bits) - 1;
    for (int i = 0; i < k; i++) t[i] = (int)((key >> (m->bits * (k - 1 - i))) & mask);
}
/* <Count the n-grams of a token stream> */
static int key_bits(int vocab)
{
    int bits = 1;
    while ((1 << bits) < vocab) bits++;
    return bits;
}

int pt_ngram_max_order(int vocab)
{
    int n = 60 / key_bits(vocab);
    return n < 7 ? n : 7;
}

int pt_ngram_train(pt_ngram *m, const int *ids, size_t n_ids, int order, int vocab)
{
    memset(m, 0, sizeof *m);
    int bits = key_bits(vocab);
    if (order < 1 || order > pt_ngram_max_order(vocab))
        return pt_fail("an n-gram model of order %d over %d tokens does not fit 60 bits",
                       order, vocab);
    m->order = order; m->vocab = vocab; m->bits = bits;
    int status = 0;
    for (size_t t = (size_t)order - 1; status == 0 && t < n_ids; t++) {
        for (int i = 0; i < order; i++)
            if (ids[t - (size_t)(order - 1) + (size_t)i] < 0 ||
                ids[t - (size_t)(order - 1) + (size_t)i] >= vocab)
                return pt_fail("token %d is outside the vocabulary of %d",
                               ids[t - (size_t)(order - 1) + (size_t)i], vocab);
        status = pt_map_add(&m->count, gram_key(m, ids + t - (order - 1), order, order), 1);
    }
    for (int k = order - 1; status == 0 && k >= 1; k--) {
        /* <Add the continuation counts of order k> */
        size_t cap = m->count.cap, ns = 0;
        uint64_t *suffix = malloc(sizeof(uint64_t) * (m->count.n + 1));
        if (!suffix) { status = pt_fail("out of memory for n-gram counts"); break; }
        for (size_t i = 0; i < cap; i++)
            if (m->count.key[i] != PT_MAP_EMPTY && (int)(m->count.key[i] >> 60) == k + 1) {
                int t[8];
                gram_tokens(m, m->count.key[i], k + 1, t);
                suffix[ns++] = gram_key(m, t + 1, k, k);
            }
        for (size_t i = 0; status == 0 && i < ns; i++) status = pt_map_add(&m->count, suffix[i], 1);
        free(suffix);
    }
    if (status == 0) {
        /* <Sum the counts of every context and estimate the discounts> */
        long long n1[8] = { 0 }, n2[8] = { 0 };
        size_t ng = 0;
        uint64_t *keys = malloc(sizeof(uint64_t) * (m->count.n + 1));
        int *vals = malloc(sizeof(int) * (m->count.n + 1));
        if (!keys || !vals) status = pt_fail("out of memory for n-gram counts");
        for (size_t i = 0; status == 0 && i < m->count.cap; i++)
            if (m->count.key[i] != PT_MAP_EMPTY) { keys[ng] = m->count.key[i]; vals[ng++] = m->count.val[i]; }
        for (size_t i = 0; status == 0 && i < ng; i++) {
            int k = (int)(keys[i] >> 60), t[8];
            gram_tokens(m, keys[i], k, t);
            uint64_t ctx = gram_key(m, t, k - 1, 8 + k);
            status = pt_map_add(&m->total, ctx, vals[i]) || pt_map_add(&m->types, ctx, 1) ? -1 : 0;
            if (vals[i] == 1) n1[k]++;
            if (vals[i] == 2) n2[k]++;
        }
        for (int k = 1; k <= order; k++)
            m->d[k] = n1[k] + 2 * n2[k] > 0 ? (double)n1[k] / (double)(n1[k] + 2 * n2[k]) : 0.5;
        free(keys); free(vals);
    }
    if (status) pt_ngram_free(m);
    return status;
}

void pt_ngram_free(pt_ngram *m)
{
    pt_map_free(&m->count); pt_map_free(&m->total); pt_map_free(&m->types);
    memset(m, 0, sizeof *m);
}
/* <Compute an n-gram probability> */
double pt_ngram_logprob(const pt_ngram *m, const int *ctx, int len, int w)
{
    double p = 1.0 / m->vocab;                      /* order 0: uniform */
    int t[8];
    for (int k = 1; k <= m->order; k++) {
        int h = k - 1;                              /* context tokens of this order */
        if (h > len) break;                         /* the text is not that long yet */
        for (int i = 0; i < h; i++) t[i] = ctx[len - h + i];
        t[h] = w;
        uint64_t c = gram_key(m, t, h, 8 + k);
        int total = pt_map_get(&m->total, c);
        if (total <= 0) continue;                   /* unseen context: keep the lower order */
        int cnt = pt_map_get(&m->count, gram_key(m, t, k, k)), types = pt_map_get(&m->types, c);
        double d = m->d[k];
        p = ((cnt > d ? cnt - d : 0) + d * types * p) / total;
    }
    return log(p);
}

double pt_ngram_score(const pt_ngram *m, const int *ids, size_t n)
{
    double sum = 0;
    #pragma omp parallel for reduction(+ : sum) schedule(static)
    for (size_t t = 0; t < n; t++) {
        int len = t < (size_t)m->order - 1 ? (int)t : m->order - 1;
        sum += pt_ngram_logprob(m, ids + t - len, len, ids[t]);
    }
    return sum;
}
