/* check_transformer.c: tests of Chapter 8 (attention, the GPT model, its
   cache, its files and its training). */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
#include "pt_gpt.h"
#include "check_grad.h"
#include "check_files.h"

/* ---- Attention by hand ---- */
START_TEST(test_attention_by_hand)
{
    /* one head of width 1, two positions: q = (1, 2), k = (0, ln 3 / 2),
       v = (10, 20).  Causal: y0 = v0; y1 weights softmax(2 * 0, 2 * ln3/2)
       = (1/4, 3/4), y1 = 17.5.  Bidirectional: y0 weights softmax(0, ln3/2). */
    float qkv[6] = { 1, 0, 10, 2, logf(3) / 2, 20 }, y[2], att[4];
    pt_attention_forward(y, att, qkv, 1, 2, 1, 1, 1);
    ck_assert_float_eq_tol(y[0], 10, 1e-5);
    ck_assert_float_eq_tol(y[1], 17.5f, 1e-5);
    ck_assert_float_eq(att[1], 0);            /* the future gets no weight */
    pt_attention_forward(y, att, qkv, 1, 2, 1, 1, 0);
    float w = sqrtf(3) / (1 + sqrtf(3));      /* e^{ln3/2} / (1 + e^{ln3/2}) */
    ck_assert_float_eq_tol(y[0], 10 * (1 - w) + 20 * w, 1e-4);
    ck_assert_float_eq_tol(y[1], 17.5f, 1e-5);
}
END_TEST

/* ---- Gradients of the pieces ---- */
typedef struct { float *qkv, *r, *y, *att; int B, T, C, H, causal; } att_ctx;
static double att_loss(void *p)
{
    att_ctx *c = p;
    pt_attention_forward(c->y, c->att, c->qkv, c->B, c->T, c->C, c->H, c->causal);
    return dot(c->y, c->r, (size_t)c->B * c->T * c->C);
}

START_TEST(test_attention_gradient)
{
    pt_rng g; pt_rng_seed(&g, 81);
    for (int causal = 0; causal < 2; causal++) {
        att_ctx c = { rnd(&g, 2 * 5 * 24, 1), rnd(&g, 2 * 5 * 8, 1), malloc(sizeof(float) * 80),
                      malloc(sizeof(float) * 2 * 2 * 25), 2, 5, 8, 2, causal };
        float dq[240], work[100];
        att_loss(&c);
        pt_attention_backward(dq, work, c.r, c.qkv, c.att, 2, 5, 8, 2);
        ck_assert_double_le(fd_worst(att_loss, &c, c.qkv, dq, 240, 1e-2f), 1);
        free(c.qkv); free(c.r); free(c.y); free(c.att);
    }
}
END_TEST

typedef struct { float *x, *w, *b, *r, *y; int n, k, m; } dense_ctx;
static double dense_loss(void *p)
{
    dense_ctx *c = p;
    pt_dense_forward(c->y, c->x, c->w, c->b, c->n, c->k, c->m);
    return dot(c->y, c->r, (size_t)c->n * c->m);
}

START_TEST(test_dense_gradient)
{
    pt_rng g; pt_rng_seed(&g, 82);
    dense_ctx c = { rnd(&g, 15, 1), rnd(&g, 20, 1), rnd(&g, 4, 1), rnd(&g, 12, 1),
                    malloc(sizeof(float) * 12), 3, 5, 4 };
    float dx[15], dw[20] = { 0 }, db[4] = { 0 };
    pt_dense_backward(dx, dw, db, c.r, c.x, c.w, 3, 5, 4);
    ck_assert_double_le(fd_worst(dense_loss, &c, c.x, dx, 15, 1e-2f), 1);
    ck_assert_double_le(fd_worst(dense_loss, &c, c.w, dw, 20, 1e-2f), 1);
    ck_assert_double_le(fd_worst(dense_loss, &c, c.b, db, 4, 1e-2f), 1);
    /* the layout is [in, out]: y[0][1] = sum_k x[0][k] w[k][1] + b[1] */
    dense_loss(&c);
    double want = c.b[1];
    for (int k = 0; k < 5; k++) want += c.x[k] * c.w[k * 4 + 1];
    ck_assert_double_eq_tol(c.y[1], want, 1e-5);
    free(c.x); free(c.w); free(c.b); free(c.r); free(c.y);
}
END_TEST

typedef struct { float *wte, *wpe, *r, *x; int *tok; } emb_ctx;
static double emb_loss(void *p)
{
    emb_ctx *c = p;
    pt_embed_forward(c->x, c->tok, c->wte, c->wpe, 2, 3, 4);
    return dot(c->x, c->r, 24);
}

START_TEST(test_embedding_gradient)
{
    pt_rng g; pt_rng_seed(&g, 83);
    int tok[6] = { 2, 0, 2, 2, 1, 4 };        /* token 2 three times */
    emb_ctx c = { rnd(&g, 20, 1), rnd(&g, 12, 1), rnd(&g, 24, 1), malloc(sizeof(float) * 24), tok };
    float dte[20] = { 0 }, dpe[12] = { 0 };
    pt_embed_backward(dte, dpe, c.r, tok, 2, 3, 4);
    ck_assert_double_le(fd_worst(emb_loss, &c, c.wte, dte, 20, 1e-2f), 1);
    ck_assert_double_le(fd_worst(emb_loss, &c, c.wpe, dpe, 12, 1e-2f), 1);
    ck_assert_float_eq(dte[3 * 4], 0);        /* token 3 never appears */
    free(c.wte); free(c.wpe); free(c.r); free(c.x);
}
END_TEST

START_TEST(test_dropout)
{
    size_t n = 1 << 20;
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n), *z = malloc(sizeof(float) * n);
    uint8_t *k1 = malloc(n), *k2 = malloc(n), *k3 = malloc(n);
    ck_assert(x && y && z && k1 && k2 && k3);
    for (size_t i = 0; i < n; i++) x[i] = 1 + (float)(i % 7);
    float p = 0.25f;
    pt_dropout_forward(y, k1, x, n, p, 42);
    /* the fraction dropped is p, within 4 standard deviations; the survivors are scaled by 1/(1-p) */
    size_t dropped = 0;
    double mean_y = 0, mean_x = 0;
    for (size_t i = 0; i < n; i++) {
        dropped += !k1[i];
        ck_assert(k1[i] ? y[i] == x[i] * (65536.0f / (65536 - 16384)) : y[i] == 0);
        mean_y += y[i]; mean_x += x[i];
    }
    double sd = sqrt(p * (1 - p) / n);
    ck_assert_msg(fabs((double)dropped / n - p) < 4 * sd, "dropped %zu of %zu", dropped, n);
    ck_assert_double_eq_tol(mean_y / mean_x, 1, 4 * sd * 3);
    /* the same seed, in place, on two threads or one, or a shorter array: the same masks */
    memcpy(z, x, sizeof(float) * n);
    pt_set_threads(1);
    pt_dropout_forward(z, k2, z, n, p, 42);
    pt_set_threads(0);
    ck_assert_mem_eq(k1, k2, n);
    ck_assert_mem_eq(y, z, sizeof(float) * n);
    pt_dropout_forward(z, k2, x, 7, p, 42);
    ck_assert_mem_eq(k1, k2, 7);
    /* another seed: independent masks, so about 2p(1-p) of the numbers differ */
    pt_dropout_forward(z, k3, x, n, p, 43);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += k1[i] != k3[i];
    ck_assert_double_eq_tol((double)differ / n, 2 * p * (1 - p), 0.005);
    /* backward: the same mask and scale (the layer is linear given its mask) */
    pt_dropout_backward(z, x, k1, n, p);
    ck_assert_mem_eq(y, z, sizeof(float) * n);
    /* p = 0 keeps everything, unscaled */
    pt_dropout_forward(z, k2, x, n, 0, 42);
    ck_assert_mem_eq(z, x, sizeof(float) * n);
    free(x); free(y); free(z); free(k1); free(k2); free(k3);
}
END_TEST

/* ---- The whole model ---- */
static void tiny_model(pt_gpt *m, int causal, int vocab, int B, int T, uint64_t seed, float scale)
{
    pt_gpt_config c = { vocab, 8, 8, 2, 2, 1e-5f, causal };
    ck_assert_int_eq(pt_gpt_init(m, &c), 0);
    pt_rng g; pt_rng_seed(&g, seed);
    pt_gpt_init_params(m, &g);
    /* larger weights than GPT-2's 0.02, so that every path matters */
    for (size_t i = 0; i < m->params.size; i++) m->params.data[i] += scale * (float)pt_rng_normal(&g);
    ck_assert_int_eq(pt_gpt_alloc(m, B, T), 0);
}

typedef struct { pt_gpt *m; int *tok, *y; int B, T; } gpt_ctx;
static double gpt_loss(void *p)
{
    gpt_ctx *c = p;
    const float *z = pt_gpt_forward(c->m, c->tok, c->B, c->T);
    return pt_softmax_xent(NULL, z, c->y, c->B * c->T, c->m->cfg.vocab);
}

START_TEST(test_whole_model_gradient)
{
    /* bidirectional, causal, and causal with dropout: its masks depend on
       the seed alone, so every forward of the finite differences drops
       the same numbers */
    for (int variant = 0; variant < 3; variant++) {
        int causal = variant > 0;
        pt_gpt m;
        tiny_model(&m, causal, 11, 2, 6, 84 + variant, 0.3f);
        m.dropout = variant == 2 ? 0.3f : 0.0f;
        m.drop_seed = 5;
        int tok[12] = { 1, 5, 2, 9, 0, 3, 10, 10, 4, 7, 6, 1 };
        int y[12] = { 5, 2, 9, 0, 3, 8, 10, 4, -1, 6, 1, 2 };
        gpt_ctx c = { &m, tok, y, 2, 6 };
        pt_params_zero_grad(&m.params);
        const float *z = pt_gpt_forward(&m, tok, 2, 6);
        ck_assert_ptr_nonnull(z);
        pt_softmax_xent(m.logits, z, y, 12, 11);
        pt_gpt_backward(&m, m.logits);
        float *grad = malloc(sizeof(float) * m.params.size);
        memcpy(grad, m.params.grad, sizeof(float) * m.params.size);
        /* every tensor, each checked on its own so that a failure names it */
        for (int i = 0; i < m.params.n; i++) {
            const pt_tensor *t = &m.params.t[i];
            double worst = fd_worst(gpt_loss, &c, pt_param(&m.params, i), grad + t->offset,
                                    (int)t->count, 1e-2f);
            ck_assert_msg(worst <= 1, "%s model, tensor %s: worst %.2f",
                          variant == 2 ? "causal with dropout" : causal ? "causal" : "bidirectional",
                          t->name, worst);
        }
        free(grad);
        pt_gpt_free(&m);
    }
}
END_TEST

START_TEST(test_causality)
{
    pt_gpt m;
    int a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8] = { 1, 2, 3, 4, 9, 0, 10, 2 };
    for (int causal = 1; causal >= 0; causal--) {
        tiny_model(&m, causal, 11, 1, 8, 85, 0.3f);
        float za[88];
        memcpy(za, pt_gpt_forward(&m, a, 1, 8), sizeof za);
        const float *zb = pt_gpt_forward(&m, b, 1, 8);
        int same = 1;
        for (int i = 0; i < 4 * 11; i++) same &= za[i] == zb[i];   /* positions 0..3 */
        if (causal) ck_assert_msg(same, "changing tokens 4..7 changed the logits before them");
        else ck_assert_msg(!same, "a bidirectional model should see the changed tokens");
        pt_gpt_free(&m);
    }
}
END_TEST

START_TEST(test_kvcache_equals_recompute)
{
    pt_gpt m;
    tiny_model(&m, 1, 11, 1, 8, 86, 0.3f);
    int tok[8] = { 3, 1, 4, 1, 5, 9, 2, 6 };
    float full[88];
    memcpy(full, pt_gpt_forward(&m, tok, 1, 8), sizeof full);
    pt_gpt_cache kv;
    ck_assert_int_eq(pt_gpt_cache_init(&kv, &m, 8), 0);
    double worst = 0;
    for (int t = 0; t < 8; t++) {
        const float *z = pt_gpt_step(&m, &kv, tok[t]);
        ck_assert_ptr_nonnull(z);
        for (int v = 0; v < 11; v++) worst = fmax(worst, fabs(z[v] - full[t * 11 + v]));
    }
    ck_assert_double_le(worst, 1e-4);
    ck_assert_ptr_null(pt_gpt_step(&m, &kv, 1));             /* full */
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "full"));
    pt_gpt_cache_free(&kv);
    pt_gpt_free(&m);
    tiny_model(&m, 0, 11, 1, 8, 86, 0.3f);
    ck_assert_int_eq(pt_gpt_cache_init(&kv, &m, 8), -1);     /* not causal */
    pt_gpt_free(&m);
}
END_TEST

START_TEST(test_flops_count_the_matrices)
{
    pt_gpt m;
    tiny_model(&m, 1, 11, 1, 8, 87, 0);
    double matrices = 0;
    for (int i = 0; i < m.params.n; i++)
        if (m.params.t[i].ndim == 2 && strcmp(m.params.t[i].name, "wpe.weight"))
            matrices += (double)m.params.t[i].count;
    ck_assert_double_eq_tol(pt_gpt_train_flops(&m.cfg, 8), 6 * matrices + 12.0 * 2 * 8 * 8, 1e-6);
    ck_assert_int_eq(pt_params_find(&m.params, "h.1.mlp.c_proj.weight"), PT_BLOCK(1, PT_MPROJ_W));
    ck_assert_int_eq(pt_params_find(&m.params, "ln_f.bias"), PT_LNF_W(2) + 1);
    pt_gpt_free(&m);
}
END_TEST

/* ---- A second implementation ----
   GPT-2's forward pass written from its definition, in double precision,
   with loops instead of BLAS, tanh for GELU, and tensors found by name:
   it fixes the meaning of every layout choice (Conv1D [in, out], q|k|v in
   that order along c_attn's output, head h at columns h*D.., the tied head). */
static const float *P(const pt_gpt *m, const char *name)
{
    int i = pt_params_find(&m->params, name);
    ck_assert_msg(i >= 0, "no tensor %s", name);
    return pt_param(&m->params, i);
}

static void naive_ln(double *y, const double *x, const float *g, const float *b, int C, double eps)
{
    double mu = 0, var = 0;
    for (int j = 0; j < C; j++) mu += x[j];
    mu /= C;
    for (int j = 0; j < C; j++) var += (x[j] - mu) * (x[j] - mu);
    var /= C;
    for (int j = 0; j < C; j++) y[j] = (x[j] - mu) / sqrt(var + eps) * g[j] + b[j];
}

static void naive_dense(double *y, const double *x, const float *w, const float *b, int k, int m)
{
    for (int j = 0; j < m; j++) {
        double s = b[j];
        for (int i = 0; i < k; i++) s += x[i] * w[i * m + j];
        y[j] = s;
    }
}

static void naive_gpt2(double *logits, const pt_gpt *m, const int *tok, int T)
{
    int C = m->cfg.dim, H = m->cfg.heads, D = C / H, V = m->cfg.vocab;
    double *x = calloc((size_t)T * C, sizeof *x), *h = malloc(sizeof(double) * 4 * C);
    double *qkv = malloc(sizeof(double) * (size_t)T * 3 * C), *y = malloc(sizeof(double) * C);
    double *a = malloc(sizeof(double) * (size_t)T * C), *f = malloc(sizeof(double) * 4 * C);
    char name[64];
#define N(fmt) (snprintf(name, sizeof name, "h.%d." fmt, l), P(m, name))
    for (int t = 0; t < T; t++)
        for (int j = 0; j < C; j++)
            x[t * C + j] = P(m, "wte.weight")[tok[t] * C + j] + P(m, "wpe.weight")[t * C + j];
    for (int l = 0; l < m->cfg.layers; l++) {
        for (int t = 0; t < T; t++) {
            naive_ln(h, x + t * C, N("ln_1.weight"), N("ln_1.bias"), C, m->cfg.eps);
            naive_dense(qkv + t * 3 * C, h, N("attn.c_attn.weight"), N("attn.c_attn.bias"), C, 3 * C);
        }
        for (int t = 0; t < T; t++)
            for (int hd = 0; hd < H; hd++) {
                double s[64], mx = -1e300, sum = 0;
                int last = m->cfg.causal ? t : T - 1;
                for (int j = 0; j <= last; j++) {
                    s[j] = 0;
                    for (int d = 0; d < D; d++)
                        s[j] += qkv[t * 3 * C + hd * D + d] * qkv[j * 3 * C + C + hd * D + d];
                    s[j] /= sqrt((double)D);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j <= last; j++) sum += (s[j] = exp(s[j] - mx));
                for (int d = 0; d < D; d++) {
                    double v = 0;
                    for (int j = 0; j <= last; j++) v += s[j] / sum * qkv[j * 3 * C + 2 * C + hd * D + d];
                    a[t * C + hd * D + d] = v;
                }
            }
        for (int t = 0; t < T; t++) {
            naive_dense(y, a + t * C, N("attn.c_proj.weight"), N("attn.c_proj.bias"), C, C);
            for (int j = 0; j < C; j++) x[t * C + j] += y[j];
            naive_ln(h, x + t * C, N("ln_2.weight"), N("ln_2.bias"), C, m->cfg.eps);
            naive_dense(f, h, N("mlp.c_fc.weight"), N("mlp.c_fc.bias"), C, 4 * C);
            for (int j = 0; j < 4 * C; j++)   /* gelu_new */
                f[j] = 0.5 * f[j] * (1 + tanh(sqrt(2 / M_PI) * (f[j] + 0.044715 * f[j] * f[j] * f[j])));
            naive_dense(y, f, N("mlp.c_proj.weight"), N("mlp.c_proj.bias"), 4 * C, C);
            for (int j = 0; j < C; j++) x[t * C + j] += y[j];
        }
    }
#undef N
    for (int t = 0; t < T; t++) {
        naive_ln(h, x + t * C, P(m, "ln_f.weight"), P(m, "ln_f.bias"), C, m->cfg.eps);
        for (int v = 0; v < V; v++) {
            double s = 0;
            for (int j = 0; j < C; j++) s += h[j] * P(m, "wte.weight")[v * C + j];
            logits[t * V + v] = s;
        }
    }
    free(x); free(h); free(qkv); free(y); free(a); free(f);
}

START_TEST(test_matches_a_naive_gpt2)
{
    for (int causal = 0; causal < 2; causal++) {
        pt_gpt m;
        tiny_model(&m, causal, 11, 1, 8, 92 + causal, 0.3f);
        int tok[8] = { 4, 4, 0, 10, 7, 2, 9, 1 };
        double want[88];
        naive_gpt2(want, &m, tok, 8);
        const float *z = pt_gpt_forward(&m, tok, 1, 8);
        double worst = 0, scale = 0;
        for (int i = 0; i < 88; i++) {
            worst = fmax(worst, fabs(z[i] - want[i]));
            scale = fmax(scale, fabs(want[i]));
        }
        ck_assert_double_gt(scale, 0.1);           /* the logits are not all zero */
        ck_assert_msg(worst <= 1e-5 * fmax(1, scale), "%s: logits differ by %g",
                      causal ? "causal" : "bidirectional", worst);
        pt_gpt_free(&m);
    }
}
END_TEST

/* ---- Training ---- */
START_TEST(test_overfit_tiny_batch)
{
    pt_gpt m;
    tiny_model(&m, 1, 11, 2, 8, 88, 0);
    int tok[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5 };
    int y[16] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5, 6 };
    pt_optim o;
    ck_assert_int_eq(pt_optim_init(&o, PT_ADAMW, &m.params), 0);
    double first = 0, loss = 0;
    for (int s = 0; s < 300; s++) {
        pt_params_zero_grad(&m.params);
        const float *z = pt_gpt_forward(&m, tok, 2, 8);
        loss = pt_softmax_xent(m.logits, z, y, 16, 11);
        if (s == 0) first = loss;
        pt_gpt_backward(&m, m.logits);
        pt_optim_step(&o, &m.params, 1e-2);
    }
    ck_assert_double_gt(first, 2.0);          /* about ln 11 = 2.4 at the start */
    ck_assert_double_lt(loss, 0.05);
    pt_optim_free(&o);
    pt_gpt_free(&m);
}
END_TEST

START_TEST(test_batches_and_masks)
{
    int ids[300];
    for (int i = 0; i < 300; i++) ids[i] = (i * 7) % 50;
    int x[4 * 16], y[4 * 16], x2[4 * 16], y2[4 * 16];
    pt_lm_batch(x, y, ids, 300, 4, 16, 50, -1, 5, 3);
    for (int b = 0; b < 4; b++)
        for (int t = 0; t < 15; t++) ck_assert_int_eq(y[b * 16 + t], x[b * 16 + t + 1]);
    pt_lm_batch(x2, y2, ids, 300, 4, 16, 50, -1, 5, 3);       /* the same step: the same batch */
    ck_assert_mem_eq(x, x2, sizeof x);
    pt_lm_batch(x2, y2, ids, 300, 4, 16, 50, -1, 5, 4);       /* the next step: another */
    ck_assert(memcmp(x, x2, sizeof x) != 0);
    /* masked: about 15% targets; elsewhere -1 and the input untouched */
    int targets = 0, masks = 0, n = 0;
    for (long long s = 0; s < 200; s++) {
        pt_lm_batch(x, y, ids, 300, 4, 16, 50, 50, 6, s);
        for (int i = 0; i < 64; i++) {
            n++;
            if (y[i] < 0) { ck_assert_int_lt(x[i], 50); continue; }
            targets++;
            masks += x[i] == 50;
        }
    }
    ck_assert_double_eq_tol((double)targets / n, 0.15, 0.01);
    ck_assert_double_eq_tol((double)masks / targets, 0.8, 0.03);
}
END_TEST

/* -ln p of the targets ids[a+1+q], q = from .. len-1, of one window, by hand */
static double window_loss(pt_gpt *m, const int *ids, int a, int len, int from)
{
    const float *z = pt_gpt_forward(m, ids + a, 1, len);
    double l = 0;
    for (int q = from; q < len; q++)
        l += pt_softmax_xent(NULL, z + (size_t)q * m->cfg.vocab, ids + a + q + 1, 1, m->cfg.vocab);
    return l;
}

START_TEST(test_score_covers_every_token_once)
{
    pt_gpt m;
    tiny_model(&m, 1, 11, 2, 4, 89, 0.3f);
    int ids[11] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0 };
    size_t count;
    /* back to back (stride 4 = T): windows at 0 and 4; the last, moved back to
       6, scores only targets 9 and 10 */
    double s = pt_lm_score(&m, ids, 11, 4, &count);
    ck_assert_uint_eq(count, 10);
    double want = window_loss(&m, ids, 0, 4, 0) + window_loss(&m, ids, 4, 4, 0) +
                  window_loss(&m, ids, 6, 4, 2);
    ck_assert_double_eq_tol(-s, want, 1e-4);
    ck_assert_double_eq_tol(pt_lm_score(&m, ids, 11, 0, &count), s, 1e-12);  /* 0: T */
    /* stride 2: windows at 0, 2, 4, 6; after the first, each scores its last 2 */
    s = pt_lm_score(&m, ids, 11, 2, &count);
    ck_assert_uint_eq(count, 10);
    want = window_loss(&m, ids, 0, 4, 0) + window_loss(&m, ids, 2, 4, 2) +
           window_loss(&m, ids, 4, 4, 2) + window_loss(&m, ids, 6, 4, 2);
    ck_assert_double_eq_tol(-s, want, 1e-4);
    /* shorter than a window: one window of what there is */
    s = pt_lm_score(&m, ids, 3, 2, &count);
    ck_assert_uint_eq(count, 2);
    ck_assert_double_eq_tol(-s, window_loss(&m, ids, 0, 2, 0), 1e-4);
    /* two windows spread over 9 tokens start at 0 and 4: the full score of 9 */
    size_t c2;
    double s2 = pt_lm_score_spread(&m, ids, 9, 2, &c2), s9 = pt_lm_score(&m, ids, 9, 4, &count);
    ck_assert_uint_eq(c2, 8);
    ck_assert_double_eq_tol(s2, s9, 1e-4);
    pt_gpt_free(&m);
}
END_TEST

START_TEST(test_resume_is_exact)
{
    int ids[400];
    for (int i = 0; i < 400; i++) ids[i] = (i * i + 3 * i) % 11;
    char dir[] = "/tmp/pt_lm_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
    pt_lm_config c = { .batch = 2, .seq = 8, .steps = 12, .warmup = 3, .lr = 3e-3,
                       .final_lr_frac = 0.1, .clip = 1.0, .dropout = 0.1, .eval_every = 4,
                       .eval_windows = 2, .seed = 7, .mask_id = -1, .checkpoint = path, .quiet = 1 };
    float *want = NULL;
    for (int run = 0; run < 2; run++) {
        pt_gpt m;
        pt_optim o;
        pt_train_run r;
        tiny_model(&m, 1, 11, 2, 8, 90, 0);
        ck_assert_int_eq(pt_optim_init(&o, PT_ADAMW, &m.params), 0);
        pt_train_run_init(&r, 7);
        if (run == 1) {          /* interrupted after 5 steps, then resumed from the file */
            c.stop_at = 5;
            ck_assert_int_eq(pt_lm_train(&m, &o, ids, 400, ids, 400, &c, &r), 0);
            pt_rng other;
            pt_rng_seed(&other, 99);
            pt_gpt_init_params(&m, &other);                 /* scramble what is in memory */
            pt_train_run_free(&r);
            pt_train_run_init(&r, 7);
            ck_assert_int_eq(pt_checkpoint_load(path, &m.params, &o, &r), 0);
            ck_assert_int_eq(r.step, 5);
            c.stop_at = 0;
        }
        ck_assert_int_eq(pt_lm_train(&m, &o, ids, 400, ids, 400, &c, &r), 0);
        ck_assert_int_eq(r.step, 12);
        if (run == 0) {
            want = malloc(sizeof(float) * m.params.size);
            memcpy(want, m.params.data, sizeof(float) * m.params.size);
        } else ck_assert_mem_eq(want, m.params.data, sizeof(float) * m.params.size);
        pt_optim_free(&o);
        pt_train_run_free(&r);
        pt_gpt_free(&m);
    }
    free(want);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- Files ---- */
START_TEST(test_model_files_round_trip)
{
    char dir[] = "/tmp/pt_gpt2_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    pt_gpt m, back;
    tiny_model(&m, 1, 11, 1, 8, 91, 0.1f);
    ck_assert_int_eq(pt_gpt_save(&m, dir), 0);
    ck_assert_int_eq(pt_gpt_load(&back, dir), 0);
    ck_assert_int_eq(back.cfg.dim, 8);
    ck_assert_int_eq(back.cfg.layers, 2);
    ck_assert_int_eq(back.cfg.causal, 1);
    ck_assert_float_eq(back.cfg.eps, 1e-5f);
    ck_assert_mem_eq(back.params.data, m.params.data, sizeof(float) * m.params.size);
    pt_safetensors f;
    char path[256];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    ck_assert_int_eq(pt_st_read(&f, path), 0);
    const pt_st_tensor *t = pt_st_find(&f, "h.0.attn.c_attn.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert(t->shape[0] == 8 && t->shape[1] == 24);        /* Conv1D: [in, out] */
    ck_assert_str_eq(pt_st_meta(&f, "format"), "pt");
    pt_st_free(&f);
    pt_gpt_free(&back);

    /* GPT-2's own variations: a "transformer." prefix, the mask buffers
       and a tied lm_head are accepted */
    pt_st_writer *w = pt_st_writer_new();
    char name[96];
    float mask[64] = { 0 };
    for (int i = 0; i < m.params.n; i++) {
        snprintf(name, sizeof name, "transformer.%s", m.params.t[i].name);
        pt_st_add(w, name, pt_param(&m.params, i), m.params.t[i].ndim, m.params.t[i].shape);
    }
    pt_st_add(w, "transformer.h.0.attn.bias", mask, 4, (int[]){ 1, 1, 8, 8 });
    pt_st_add(w, "lm_head.weight", pt_param(&m.params, PT_WTE), 2, (int[]){ 11, 8 });
    ck_assert_int_eq(pt_st_write(w, path), 0);
    pt_st_writer_free(w);
    ck_assert_int_eq(pt_gpt_load(&back, dir), 0);
    ck_assert_mem_eq(back.params.data, m.params.data, sizeof(float) * m.params.size);
    pt_gpt_free(&back);

    /* a wrong shape, a missing tensor and a stranger are named */
    const char *cases[3] = { "shape", "missing", "stranger" };
    for (int k = 0; k < 3; k++) {
        w = pt_st_writer_new();
        for (int i = 0; i < m.params.n; i++) {
            const pt_tensor *p = &m.params.t[i];
            if (k == 1 && i == PT_BLOCK(1, PT_FC_B)) continue;
            int shape[2] = { p->shape[0], p->ndim > 1 ? p->shape[1] : 0 };
            if (k == 0 && i == PT_BLOCK(0, PT_FC_W)) shape[1] = 16;
            pt_st_add(w, p->name, pt_param(&m.params, i), p->ndim, shape);
        }
        if (k == 2) pt_st_add(w, "h.0.attn.rotary", mask, 1, (int[]){ 4 });
        ck_assert_int_eq(pt_st_write(w, path), 0);
        pt_st_writer_free(w);
        ck_assert_int_eq(pt_gpt_load(&back, dir), -1);
        const char *want[3] = { "h.0.mlp.c_fc.weight has shape [8, 16], the configuration says [8, 32]",
                                "no tensor h.1.mlp.c_fc.bias", "unexpected tensor h.0.attn.rotary" };
        ck_assert_msg(strstr(pt_errmsg(), want[k]) != NULL, "%s: %s", cases[k], pt_errmsg());
    }

    /* configurations: missing sizes, another activation, bad JSON */
    const char *configs[4] = {
        "{\"vocab_size\": 11, \"n_positions\": 8, \"n_head\": 2, \"n_layer\": 2}",
        "{\"vocab_size\": 11, \"n_positions\": 8, \"n_embd\": 8, \"n_head\": 2, \"n_layer\": 2, "
        "\"activation_function\": \"relu\"}",
        "{\"vocab_size\": 11, \"n_positions\": 8, \"n_embd\": 8, \"n_head\": 3, \"n_layer\": 2}",
        "{\"vocab_size\": 11, " };
    const char *msgs[4] = { "no \"n_embd\"", "gelu_new only", "not a multiple of n_head", "config.json" };
    for (int k = 0; k < 4; k++) {
        write_file(dir, "config.json", configs[k]);
        ck_assert_int_eq(pt_gpt_load(&back, dir), -1);
        ck_assert_msg(strstr(pt_errmsg(), msgs[k]) != NULL, "config %d: %s", k, pt_errmsg());
    }
    pt_gpt_free(&m);
    unlink(path);
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

Suite *transformer_suite(void)
{
    Suite *s = suite_create("transformer");
    TCase *parts = tcase_create("parts"), *model = tcase_create("model"),
          *train = tcase_create("train"), *files = tcase_create("files");
    tcase_add_test(parts, test_attention_by_hand);
    tcase_add_test(parts, test_attention_gradient);
    tcase_add_test(parts, test_dense_gradient);
    tcase_add_test(parts, test_embedding_gradient);
    tcase_add_test(parts, test_dropout);
    tcase_add_test(model, test_matches_a_naive_gpt2);
    tcase_add_test(model, test_whole_model_gradient);
    tcase_add_test(model, test_causality);
    tcase_add_test(model, test_kvcache_equals_recompute);
    tcase_add_test(model, test_flops_count_the_matrices);
    tcase_add_test(train, test_overfit_tiny_batch);
    tcase_add_test(train, test_batches_and_masks);
    tcase_add_test(train, test_score_covers_every_token_once);
    tcase_add_test(train, test_resume_is_exact);
    tcase_add_test(files, test_model_files_round_trip);
    tcase_set_timeout(model, 30);
    tcase_set_timeout(train, 30);
    suite_add_tcase(s, parts);
    suite_add_tcase(s, model);
    suite_add_tcase(s, train);
    suite_add_tcase(s, files);
    return s;
}
