/* Tangled from chapters/09-generate.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* sample.c: drawing tokens and measuring samples (Chapter 9). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pt_generate.h"

/* <Compute the distribution at a temperature> */
void pt_softmax_tau(double *p, const float *u, int V, double tau)
{
    float mx = u[0];
    for (int v = 1; v < V; v++) if (u[v] > mx) mx = u[v];
    double z = 0;
    for (int v = 0; v < V; v++) z += p[v] = exp(((double)u[v] - mx) / tau);
    for (int v = 0; v < V; v++) p[v] /= z;
}

double pt_entropy(const double *p, int V)
{
    double h = 0;
    for (int v = 0; v < V; v++) if (p[v] > 0) h -= p[v] * log(p[v]);
    return h;
}
/* <Rank tokens by probability> */
/* qsort_r would spare the static pointer, but it is a GNU extension with
   another argument order on the BSDs; generation is one stream at a time */
static const double *sort_p;
static int by_probability(const void *a, const void *b)
{
    double x = sort_p[*(const int *)a], y = sort_p[*(const int *)b];
    return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

void pt_rank_tokens(int *order, const double *p, int V)
{
    for (int v = 0; v < V; v++) order[v] = v;
    sort_p = p;
    qsort(order, (size_t)V, sizeof *order, by_probability);
}
/* <Draw a token> */
size_t pt_sample_workspace(int V)
{
    return (size_t)V * (2 * sizeof(double) + sizeof(int));
}

int pt_sample(float *u, int V, const pt_sampler *s, const int *hist, int n,
              pt_rng *rng, void *work)
{
    double *p = work, *cum = p + V;
    int *order = (int *)(cum + V);
    /* <Penalise the tokens already in the text> */
    if (s->repetition_penalty > 0 && s->repetition_penalty != 1) {
        unsigned char *seen = (unsigned char *)order;     /* V bytes, before order is used */
        memset(seen, 0, (size_t)V);
        for (int i = 0; i < n; i++) if (hist[i] >= 0 && hist[i] < V) seen[hist[i]] = 1;
        for (int v = 0; v < V; v++)
            if (seen[v]) u[v] = u[v] > 0 ? (float)(u[v] / s->repetition_penalty)
                                         : (float)(u[v] * s->repetition_penalty);
    }
    if (s->temperature <= 0 || s->top_k == 1) {
        int best = 0;
        for (int v = 1; v < V; v++) if (u[v] > u[best]) best = v;
        return best;
    }
    pt_softmax_tau(p, u, V, s->temperature);
    /* <Keep the top k and the nucleus, and draw from them> */
    pt_rank_tokens(order, p, V);
    int keep = s->top_k > 0 && s->top_k < V ? s->top_k : V;
    double mass = 0;
    for (int j = 0; j < keep; j++) {
        mass += p[order[j]];
        cum[j] = mass;
        if (s->top_p < 1 && mass >= s->top_p) { keep = j + 1; break; }
    }
    double r = pt_rng_uniform(rng) * mass;
    for (int j = 0; j < keep; j++)
        if (r < cum[j]) return order[j];
    return order[keep - 1];
}
/* <Generate a continuation> */
int pt_generate(const pt_gpt *m, const int *prompt, int np, int n, const pt_sampler *s,
                pt_rng *rng, pt_ids *out, double *entropy)
{
    if (np < 1) return pt_fail("generation needs a prompt of at least one token");
    if (np + n > m->cfg.ctx)
        return pt_fail("a prompt of %d tokens and %d new ones exceed the context of %d",
                       np, n, m->cfg.ctx);
    int V = m->cfg.vocab;
    pt_gpt_cache kv;
    float *u = malloc(sizeof(float) * V);
    int *hist = malloc(sizeof(int) * (np + n));
    void *work = malloc(pt_sample_workspace(V));
    int status = u && hist && work ? pt_gpt_cache_init(&kv, m, np + n) : pt_fail("out of memory");
    const float *z = NULL;
    for (int i = 0; status == 0 && i < np; i++) {
        hist[i] = prompt[i];
        if (!(z = pt_gpt_step(m, &kv, prompt[i]))) status = -1;
    }
    for (int i = 0; status == 0 && i < n; i++) {
        if (entropy && s->temperature > 0) {       /* the distribution before truncation */
            pt_softmax_tau(work, z, V, s->temperature);
            *entropy += pt_entropy(work, V);
        }
        memcpy(u, z, sizeof(float) * V);
        int t = pt_sample(u, V, s, hist, np + i, rng, work);
        hist[np + i] = t;
        if (pt_ids_push(out, t) || (i + 1 < n && !(z = pt_gpt_step(m, &kv, t)))) status = -1;
    }
    if (u && hist && work) pt_gpt_cache_free(&kv);
    free(u); free(hist); free(work);
    return status;
}
/* <Count distinct n-grams> */
static int cmp_gram(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

double pt_distinct_n(const int *ids, size_t len, int n)
{
    if (n < 1 || n > 3 || len < (size_t)n) return 0;
    size_t m = len - n + 1, distinct = 0;
    uint64_t *g = malloc(sizeof *g * m);
    if (!g) return 0;
    for (size_t i = 0; i < m; i++) {      /* up to three ids of 21 bits in one key */
        uint64_t k = 0;
        for (int j = 0; j < n; j++) k = k * 2097152u + (uint64_t)(ids[i + j] & 0x1fffff);
        g[i] = k;
    }
    qsort(g, m, sizeof *g, cmp_gram);
    for (size_t i = 0; i < m; i++) distinct += i == 0 || g[i] != g[i - 1];
    free(g);
    return (double)distinct / (double)m;
}
