/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* transformer.c: the GPT model, forward, backward and cached (Chapter 8). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_gpt.h"

/* <Name the transformer's tensors> */
static const char *const block_names[PT_BLOCK_TENSORS] = {
    "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
};

static int add_tensors(pt_params *p, const pt_gpt_config *c)
{
    int C = c->dim, V = c->vocab, s = 0;
    s |= pt_params_add(p, "wte.weight", 0, 1, 2, (int[]){ V, C }) < 0;
    s |= pt_params_add(p, "wpe.weight", 0, 1, 2, (int[]){ c->ctx, C }) < 0;
    for (int l = 0; l < c->layers; l++) {
        const int out[PT_BLOCK_TENSORS] = { C, C, 3 * C, 3 * C, C, C, C, C, 4 * C, 4 * C, C, C };
        const int in[PT_BLOCK_TENSORS]  = { 0, 0, C, 0, C, 0, 0, 0, C, 0, 4 * C, 0 };
        for (int k = 0; k < PT_BLOCK_TENSORS; k++) {
            char name[64];
            snprintf(name, sizeof name, "h.%d.%s", l, block_names[k]);
            if (in[k]) s |= pt_params_add(p, name, 0, 1, 2, (int[]){ in[k], out[k] }) < 0;
            else       s |= pt_params_add(p, name, 0, 0, 1, (int[]){ out[k] }) < 0;
        }
    }
    s |= pt_params_add(p, "ln_f.weight", 0, 0, 1, (int[]){ C }) < 0;
    s |= pt_params_add(p, "ln_f.bias", 0, 0, 1, (int[]){ C }) < 0;
    return s ? -1 : 0;
}
/* <Make and free a transformer> */
int pt_gpt_init(pt_gpt *m, const pt_gpt_config *cfg)
{
    memset(m, 0, sizeof *m);
    const pt_gpt_config *c = cfg;
    if (c->vocab < 1 || c->ctx < 1 || c->dim < 1 || c->heads < 1 || c->layers < 1 ||
        c->dim % c->heads || !(c->eps > 0))
        return pt_fail("a transformer needs vocab, ctx, dim, heads, layers >= 1, heads "
                       "dividing dim and eps > 0 (got %d, %d, %d, %d, %d, %g)", c->vocab,
                       c->ctx, c->dim, c->heads, c->layers, c->eps);
    if (2 + PT_BLOCK_TENSORS * c->layers + 2 > PT_MAX_TENSORS)
        return pt_fail("%d layers are more than the %d tensors a model may have",
                       c->layers, PT_MAX_TENSORS);
    m->cfg = *c;
    if (add_tensors(&m->params, c) || pt_params_alloc(&m->params)) {
        pt_params_free(&m->params);
        return -1;
    }
    return 0;
}

int pt_gpt_alloc(pt_gpt *m, int B, int T)
{
    const pt_gpt_config *c = &m->cfg;
    if (B < 1 || T < 1 || T > c->ctx)
        return pt_fail("pt_gpt_alloc: %d windows of %d tokens (the context is %d)", B, T, c->ctx);
    size_t n = (size_t)B * T, C = c->dim, H = c->heads, V = c->vocab, L = c->layers;
    size_t per_layer = n * (C + 3 * C + C + C + C + 4 * C + 4 * C + C) + (size_t)B * H * T * T;
    size_t total = L * per_layer + n * (C + C + V)                  /* x0, lnf, logits */
                 + n * (C + C + C + 3 * C + C + 4 * C) + (size_t)B * H * T * T;
    free(m->mem); free(m->layer); free(m->keep);
    m->mem = malloc(sizeof(float) * total);
    m->layer = calloc(L, sizeof *m->layer);
    m->keep = malloc((2 * L + 1) * n * C);
    if (!m->mem || !m->layer || !m->keep) {
        free(m->mem); free(m->layer); free(m->keep);
        m->mem = NULL; m->layer = NULL; m->keep = NULL;
        return pt_fail("out of memory for the activations of %d x %d tokens", B, T);
    }
    float *p = m->mem;
#define TAKE(ptr, count) (ptr = p, p += (count))
    for (size_t l = 0; l < L; l++) {
        pt_gpt_layer *a = &m->layer[l];
        TAKE(a->ln1, n * C); TAKE(a->qkv, n * 3 * C); TAKE(a->att, (size_t)B * H * T * T);
        TAKE(a->atty, n * C); TAKE(a->res1, n * C); TAKE(a->ln2, n * C);
        TAKE(a->fc, n * 4 * C); TAKE(a->fcg, n * 4 * C); TAKE(a->res2, n * C);
    }
    TAKE(m->x0, n * C); TAKE(m->lnf, n * C); TAKE(m->logits, n * V);
    TAKE(m->d_res, n * C); TAKE(m->d_tmp, n * C); TAKE(m->d_ln, n * C);
    TAKE(m->d_qkv, n * 3 * C); TAKE(m->d_y, n * C); TAKE(m->d_fc, n * 4 * C);
    TAKE(m->d_att, (size_t)B * H * T * T);
#undef TAKE
    m->max_batch = B;
    m->max_seq = T;
    return 0;
}

void pt_gpt_free(pt_gpt *m)
{
    pt_params_free(&m->params);
    free(m->mem);
    free(m->layer);
    free(m->keep);
    memset(m, 0, sizeof *m);
}
/* <Initialise the transformer's weights> */
void pt_gpt_init_params(pt_gpt *m, pt_rng *rng)
{
    pt_params *p = &m->params;
    memset(p->data, 0, sizeof(float) * p->size);
    for (int i = 0; i < p->n; i++) {
        pt_tensor *t = &p->t[i];
        float *w = pt_param(p, i);
        const char *dot = strrchr(t->name, '.');
        if (t->ndim == 2) {
            int proj = strstr(t->name, "c_proj.weight") != NULL;
            double sd = proj ? 0.02 / sqrt(2.0 * m->cfg.layers) : 0.02;
            for (size_t j = 0; j < t->count; j++) w[j] = (float)(sd * pt_rng_normal(rng));
        } else if (strstr(t->name, "ln_") && !strcmp(dot, ".weight"))
            for (size_t j = 0; j < t->count; j++) w[j] = 1.0f;
    }
}
/* <Add one array into another> */
static void add_into(float *y, const float *x, size_t len)
{
    #pragma omp parallel for schedule(static) if (len > 65536)
    for (size_t i = 0; i < len; i++) y[i] += x[i];
}
/* <Drop out at place site of the residual stream> */
static uint8_t *site_keep(const pt_gpt *m, int site)
{
    return m->keep + (size_t)site * m->B * m->T * m->cfg.dim;
}

static void drop_forward(pt_gpt *m, float *y, int site)
{
    if (m->dropout <= 0) return;
    uint64_t s = m->drop_seed ^ (0xa0761d6478bd642fULL * (uint64_t)(site + 1));
    pt_dropout_forward(y, site_keep(m, site), y, (size_t)m->B * m->T * m->cfg.dim, m->dropout,
                       pt_splitmix64(&s));
}

/* the gradient of a branch's output before dropout: dy itself when
   nothing was dropped, else written to d_tmp */
static const float *drop_backward(pt_gpt *m, const float *dy, int site)
{
    if (m->dropout <= 0) return dy;
    pt_dropout_backward(m->d_tmp, dy, site_keep(m, site), (size_t)m->B * m->T * m->cfg.dim,
                        m->dropout);
    return m->d_tmp;
}
/* <Run the transformer forward> */
const float *pt_gpt_forward(pt_gpt *m, const int *tokens, int B, int T)
{
    const pt_gpt_config *c = &m->cfg;
    int C = c->dim, n = B * T;
    const pt_params *P = &m->params;
    if (B > m->max_batch || T > m->max_seq) {
        pt_fail("pt_gpt_forward: %d windows of %d tokens do not fit buffers for %d of %d",
                B, T, m->max_batch, m->max_seq);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab) {
            pt_fail("token id %d is outside the model's vocabulary of %d", tokens[i], c->vocab);
            return NULL;
        }
    m->B = B; m->T = T; m->tokens = tokens;
    pt_embed_forward(m->x0, tokens, pt_param(P, PT_WTE), pt_param(P, PT_WPE), B, T, C);
    drop_forward(m, m->x0, 0);
    const float *x = m->x0;
    for (int l = 0; l < c->layers; l++) {
        pt_gpt_layer *a = &m->layer[l];
        /* <Run block l forward> */
        #define W(k) pt_param(P, PT_BLOCK(l, k))
        pt_layernorm_forward(a->ln1, x, W(PT_LN1_W), W(PT_LN1_B), n, C, c->eps);
        pt_dense_forward(a->qkv, a->ln1, W(PT_ATTN_W), W(PT_ATTN_B), n, C, 3 * C);
        pt_attention_forward(a->atty, a->att, a->qkv, B, T, C, c->heads, c->causal);
        pt_dense_forward(a->res1, a->atty, W(PT_APROJ_W), W(PT_APROJ_B), n, C, C);
        drop_forward(m, a->res1, 1 + 2 * l);
        add_into(a->res1, x, (size_t)n * C);
        pt_layernorm_forward(a->ln2, a->res1, W(PT_LN2_W), W(PT_LN2_B), n, C, c->eps);
        pt_dense_forward(a->fc, a->ln2, W(PT_FC_W), W(PT_FC_B), n, C, 4 * C);
        pt_gelu_forward(a->fcg, a->fc, (size_t)n * 4 * C);
        pt_dense_forward(a->res2, a->fcg, W(PT_MPROJ_W), W(PT_MPROJ_B), n, 4 * C, C);
        drop_forward(m, a->res2, 2 + 2 * l);
        add_into(a->res2, a->res1, (size_t)n * C);
        #undef W
        x = a->res2;
    }
    int f = PT_LNF_W(c->layers);
    pt_layernorm_forward(m->lnf, x, pt_param(P, f), pt_param(P, f + 1), n, C, c->eps);
    pt_linear_forward(m->logits, m->lnf, pt_param(P, PT_WTE), NULL, n, C, c->vocab);
    return m->logits;
}
/* <Run the transformer backward> */
void pt_gpt_backward(pt_gpt *m, float *dlogits)
{
    const pt_gpt_config *c = &m->cfg;
    int C = c->dim, B = m->B, T = m->T, n = B * T, L = c->layers;
    pt_params *P = &m->params;
    int f = PT_LNF_W(L);
    const float *top = L ? m->layer[L - 1].res2 : m->x0;
    pt_linear_backward(m->d_ln, pt_grad(P, PT_WTE), NULL, dlogits, m->lnf,
                       pt_param(P, PT_WTE), n, C, c->vocab);
    pt_layernorm_backward(m->d_res, pt_grad(P, f), pt_grad(P, f + 1), m->d_ln, top,
                          pt_param(P, f), n, C, c->eps);
    for (int l = L - 1; l >= 0; l--) {
        pt_gpt_layer *a = &m->layer[l];
        const float *x = l ? m->layer[l - 1].res2 : m->x0;
        /* <Run block l backward> */
        #define W(k) pt_param(P, PT_BLOCK(l, k))
        #define G(k) pt_grad(P, PT_BLOCK(l, k))
        pt_dense_backward(m->d_fc, G(PT_MPROJ_W), G(PT_MPROJ_B), drop_backward(m, m->d_res, 2 + 2 * l),
                          a->fcg, W(PT_MPROJ_W), n, 4 * C, C);
        pt_gelu_backward(m->d_fc, m->d_fc, a->fc, (size_t)n * 4 * C);
        pt_dense_backward(m->d_ln, G(PT_FC_W), G(PT_FC_B), m->d_fc, a->ln2, W(PT_FC_W), n, C, 4 * C);
        pt_layernorm_backward(m->d_tmp, G(PT_LN2_W), G(PT_LN2_B), m->d_ln, a->res1, W(PT_LN2_W),
                              n, C, c->eps);
        add_into(m->d_res, m->d_tmp, (size_t)n * C);
        pt_dense_backward(m->d_y, G(PT_APROJ_W), G(PT_APROJ_B), drop_backward(m, m->d_res, 1 + 2 * l),
                          a->atty, W(PT_APROJ_W), n, C, C);
        pt_attention_backward(m->d_qkv, m->d_att, m->d_y, a->qkv, a->att, B, T, C, c->heads);
        pt_dense_backward(m->d_ln, G(PT_ATTN_W), G(PT_ATTN_B), m->d_qkv, a->ln1, W(PT_ATTN_W),
                          n, C, 3 * C);
        pt_layernorm_backward(m->d_tmp, G(PT_LN1_W), G(PT_LN1_B), m->d_ln, x, W(PT_LN1_W),
                              n, C, c->eps);
        add_into(m->d_res, m->d_tmp, (size_t)n * C);
        #undef W
        #undef G
    }
    pt_embed_backward(pt_grad(P, PT_WTE), pt_grad(P, PT_WPE), drop_backward(m, m->d_res, 0),
                      m->tokens, B, T, C);
}
/* <Count the operations of training> */
double pt_gpt_train_flops(const pt_gpt_config *c, int T)
{
    double C = c->dim, L = c->layers;
    return 6.0 * (12.0 * L * C * C + (double)c->vocab * C) + 12.0 * L * T * C;
}
/* <Generate with a key-value cache> */
int pt_gpt_cache_init(pt_gpt_cache *kv, const pt_gpt *m, int cap)
{
    const pt_gpt_config *c = &m->cfg;
    memset(kv, 0, sizeof *kv);
    if (!c->causal) return pt_fail("a key-value cache needs a causal model");
    if (cap < 1 || cap > c->ctx)
        return pt_fail("a cache of %d positions: the context is %d", cap, c->ctx);
    size_t C = c->dim, kvn = (size_t)c->layers * cap * C;
    kv->cap = cap;
    kv->k = malloc(sizeof(float) * kvn);
    kv->v = malloc(sizeof(float) * kvn);
    kv->x = malloc(sizeof(float) * (C * 13 + (size_t)cap + c->vocab));
    if (!kv->k || !kv->v || !kv->x) {
        pt_gpt_cache_free(kv);
        return pt_fail("out of memory for a cache of %d positions", cap);
    }
    kv->h = kv->x + C; kv->qkv = kv->h + C; kv->y = kv->qkv + 3 * C; kv->r = kv->y + C;
    kv->fc = kv->r + C; kv->p = kv->fc + 4 * C + C; kv->logits = kv->p + cap;
    return 0;
}

void pt_gpt_cache_free(pt_gpt_cache *kv)
{
    free(kv->k); free(kv->v); free(kv->x);
    memset(kv, 0, sizeof *kv);
}

const float *pt_gpt_step(const pt_gpt *m, pt_gpt_cache *kv, int token)
{
    const pt_gpt_config *c = &m->cfg;
    const pt_params *P = &m->params;
    int C = c->dim, t = kv->n;
    if (t >= kv->cap) { pt_fail("the cache is full (%d positions)", kv->cap); return NULL; }
    if (token < 0 || token >= c->vocab) {
        pt_fail("token id %d is outside the model's vocabulary of %d", token, c->vocab);
        return NULL;
    }
    const float *te = pt_param(P, PT_WTE) + (size_t)token * C;
    const float *pe = pt_param(P, PT_WPE) + (size_t)t * C;
    for (int j = 0; j < C; j++) kv->x[j] = te[j] + pe[j];
    for (int l = 0; l < c->layers; l++) {
        /* <Run block l on the new position> */
        #define W(k) pt_param(P, PT_BLOCK(l, k))
        int D = C / c->heads;
        float *K = kv->k + (size_t)l * kv->cap * C, *Vc = kv->v + (size_t)l * kv->cap * C;
        pt_layernorm_forward(kv->h, kv->x, W(PT_LN1_W), W(PT_LN1_B), 1, C, c->eps);
        pt_dense_forward(kv->qkv, kv->h, W(PT_ATTN_W), W(PT_ATTN_B), 1, C, 3 * C);
        memcpy(K + (size_t)t * C, kv->qkv + C, sizeof(float) * C);
        memcpy(Vc + (size_t)t * C, kv->qkv + 2 * C, sizeof(float) * C);
        for (int h = 0; h < c->heads; h++) {
            const float *q = kv->qkv + h * D;
            float mx = -INFINITY, sum = 0, scale = 1.0f / sqrtf((float)D);
            for (int j = 0; j <= t; j++) {
                const float *kj = K + (size_t)j * C + h * D;
                float s = 0;
                for (int d = 0; d < D; d++) s += q[d] * kj[d];
                kv->p[j] = s * scale;
                if (kv->p[j] > mx) mx = kv->p[j];
            }
            sum = (float)pt_exp_sum(kv->p, kv->p, mx, (size_t)t + 1);
            float *y = kv->y + h * D;
            for (int d = 0; d < D; d++) y[d] = 0;
            for (int j = 0; j <= t; j++) {
                const float *vj = Vc + (size_t)j * C + h * D, w = kv->p[j] / sum;
                for (int d = 0; d < D; d++) y[d] += w * vj[d];
            }
        }
        pt_dense_forward(kv->r, kv->y, W(PT_APROJ_W), W(PT_APROJ_B), 1, C, C);
        for (int j = 0; j < C; j++) kv->r[j] += kv->x[j];
        pt_layernorm_forward(kv->h, kv->r, W(PT_LN2_W), W(PT_LN2_B), 1, C, c->eps);
        pt_dense_forward(kv->fc, kv->h, W(PT_FC_W), W(PT_FC_B), 1, C, 4 * C);
        pt_gelu_forward(kv->fc, kv->fc, (size_t)4 * C);
        pt_dense_forward(kv->x, kv->fc, W(PT_MPROJ_W), W(PT_MPROJ_B), 1, 4 * C, C);
        for (int j = 0; j < C; j++) kv->x[j] += kv->r[j];
        #undef W
    }
    int f = PT_LNF_W(c->layers);
    pt_layernorm_forward(kv->h, kv->x, pt_param(P, f), pt_param(P, f + 1), 1, C, c->eps);
    pt_linear_forward(kv->logits, kv->h, pt_param(P, PT_WTE), NULL, 1, C, c->vocab);
    kv->n++;
    return kv->logits;
}
/* <Time generation with and without the cache> */
int pt_gpt_time_cache(pt_gpt *m, int first, int n, pt_cache_timing *out)
{
    int V = m->cfg.vocab;
    pt_gpt_cache kv;
    int *tok = malloc(sizeof(int) * (n + 1));
    float *cached = malloc(sizeof(float) * (size_t)n * V);
    int status = tok && cached ? 0 : pt_fail("out of memory");
    if (status == 0) status = pt_gpt_cache_init(&kv, m, n);
    if (status == 0) status = pt_gpt_alloc(m, 1, n);
    memset(out, 0, sizeof *out);
    out->same_tokens = 1;
    if (status == 0) {
        /* <Generate greedily with the cache, then by recomputing> */
        tok[0] = first;
        double t0 = pt_seconds();
        for (int t = 0; t < n && status == 0; t++) {
            const float *z = pt_gpt_step(m, &kv, tok[t]);
            if (!z) { status = -1; break; }
            memcpy(cached + (size_t)t * V, z, sizeof(float) * V);
            int best = 0;
            for (int v = 1; v < V; v++) if (z[v] > z[best]) best = v;
            tok[t + 1] = best;
        }
        out->cached_s = pt_seconds() - t0;
        t0 = pt_seconds();
        for (int t = 0; t < n && status == 0; t++) {
            const float *z = pt_gpt_forward(m, tok, 1, t + 1);
            if (!z) { status = -1; break; }
            z += (size_t)t * V;
            int best = 0;
            for (int v = 0; v < V; v++) {
                double d = fabs(z[v] - cached[(size_t)t * V + v]);
                if (d > out->max_abs_diff) out->max_abs_diff = d;
                if (z[v] > z[best]) best = v;
            }
            out->same_tokens &= best == tok[t + 1];
        }
        out->recompute_s = pt_seconds() - t0;
    }
    pt_gpt_cache_free(&kv);
    free(tok); free(cached);
    return status;
}
