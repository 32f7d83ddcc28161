/* check_nn.c: tests of Chapter 4 (layers, model, optimisers, checkpoints). */
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

#include "check_grad.h"

/* ---- Linear ---- */
typedef struct { float *x, *w, *b, *y, *r; int n, k, m; } lin_ctx;
static double lin_loss(void *p)
{
    lin_ctx *c = p;
    pt_linear_forward(c->y, c->x, c->w, c->b, c->n, c->k, c->m);
    return dot(c->y, c->r, (size_t)c->n * c->m);
}
START_TEST(test_linear_gradients)
{
    pt_rng r; pt_rng_seed(&r, 1);
    lin_ctx c = { .n = 5, .k = 7, .m = 4 };
    c.x = rnd(&r, 35, 1); c.w = rnd(&r, 28, 1); c.b = rnd(&r, 4, 1);
    c.y = rnd(&r, 20, 1); c.r = rnd(&r, 20, 1);
    float *dx = calloc(35, 4), *dw = calloc(28, 4), *db = calloc(4, 4);
    pt_linear_backward(dx, dw, db, c.r, c.x, c.w, c.n, c.k, c.m);
    ck_assert_double_le(fd_worst(lin_loss, &c, c.x, dx, 35, 1e-2f), 1);
    ck_assert_double_le(fd_worst(lin_loss, &c, c.w, dw, 28, 1e-2f), 1);
    ck_assert_double_le(fd_worst(lin_loss, &c, c.b, db, 4, 1e-2f), 1);
    /* backward accumulates into dw and db */
    float dw0 = dw[3], db0 = db[1];
    pt_linear_backward(dx, dw, db, c.r, c.x, c.w, c.n, c.k, c.m);
    ck_assert_float_eq_tol(dw[3], 2 * dw0, 1e-5);
    ck_assert_float_eq_tol(db[1], 2 * db0, 1e-5);
    free(c.x); free(c.w); free(c.b); free(c.y); free(c.r); free(dx); free(dw); free(db);
}
END_TEST

/* ---- Convolution ---- */
START_TEST(test_conv_im2col_matches_direct_loop)
{
    static const int cases[][6] = {   /* c, h, w, f, stride, pad */
        { 1, 28, 28, 4, 1, 1 }, { 3, 9, 7, 5, 1, 0 }, { 2, 10, 11, 3, 2, 1 }, { 4, 6, 6, 8, 2, 0 }
    };
    pt_rng r; pt_rng_seed(&r, 2);
    for (int t = 0; t < 4; t++) {
        const int *q = cases[t];
        int n = 3;
        pt_conv_shape s = pt_conv_shape_make(q[0], q[1], q[2], q[3], 3, q[4], q[5]);
        size_t xs = (size_t)n * s.c * s.h * s.w, ys = (size_t)n * s.f * s.oh * s.ow;
        float *x = rnd(&r, xs, 1), *w = rnd(&r, (size_t)s.f * s.c * 9, 1), *b = rnd(&r, s.f, 1);
        float *y1 = malloc(4 * ys), *y2 = malloc(4 * ys), *work = malloc(4 * pt_conv_workspace(&s, n));
        pt_conv2d_forward(y1, x, w, b, work, &s, n);
        pt_conv2d_forward_direct(y2, x, w, b, &s, n);
        for (size_t i = 0; i < ys; i++) ck_assert_float_eq_tol(y1[i], y2[i], 1e-4);
        free(x); free(w); free(b); free(y1); free(y2); free(work);
    }
}
END_TEST

typedef struct { float *x, *w, *b, *y, *r, *work; pt_conv_shape s; int n; } conv_ctx;
static double conv_loss(void *p)
{
    conv_ctx *c = p;
    pt_conv2d_forward_direct(c->y, c->x, c->w, c->b, &c->s, c->n);
    return dot(c->y, c->r, (size_t)c->n * c->s.f * c->s.oh * c->s.ow);
}
START_TEST(test_conv_gradients)
{
    pt_rng r; pt_rng_seed(&r, 3);
    for (int stride = 1; stride <= 2; stride++) {
        conv_ctx c = { .n = 2 };
        c.s = pt_conv_shape_make(2, 6, 5, 3, 3, stride, 1);
        size_t xs = (size_t)c.n * 2 * 30, ws = 3 * 2 * 9, ys = (size_t)c.n * 3 * c.s.oh * c.s.ow;
        c.x = rnd(&r, xs, 1); c.w = rnd(&r, ws, 1); c.b = rnd(&r, 3, 1);
        c.y = malloc(4 * ys); c.r = rnd(&r, ys, 1); c.work = malloc(4 * pt_conv_workspace(&c.s, c.n));
        float *dx = malloc(4 * xs), *dw = calloc(ws, 4), *db = calloc(3, 4);
        pt_conv2d_backward(dx, dw, db, c.r, c.x, c.w, c.work, &c.s, c.n);
        ck_assert_double_le(fd_worst(conv_loss, &c, c.x, dx, (int)xs, 1e-2f), 1);
        ck_assert_double_le(fd_worst(conv_loss, &c, c.w, dw, (int)ws, 1e-2f), 1);
        ck_assert_double_le(fd_worst(conv_loss, &c, c.b, db, 3, 1e-2f), 1);
        free(c.x); free(c.w); free(c.b); free(c.y); free(c.r); free(c.work);
        free(dx); free(dw); free(db);
    }
}
END_TEST

/* ---- Pointwise layers and pooling ---- */
typedef struct { float *x, *y, *r; int kind, n, c, h, w; } pw_ctx;
static void pw_forward(pw_ctx *c)
{
    size_t len = (size_t)c->n * c->c * c->h * c->w;
    if (c->kind == 0) pt_relu_forward(c->y, c->x, len);
    if (c->kind == 1) pt_gelu_forward(c->y, c->x, len);
    if (c->kind == 2) pt_maxpool2_forward(c->y, c->x, c->n, c->c, c->h, c->w);
    if (c->kind == 3) pt_gap_forward(c->y, c->x, c->n, c->c, c->h * c->w);
}
static size_t pw_out(pw_ctx *c)
{
    size_t nc = (size_t)c->n * c->c;
    return c->kind < 2 ? nc * c->h * c->w : c->kind == 2 ? nc * (c->h / 2) * (c->w / 2) : nc;
}
static double pw_loss(void *p) { pw_ctx *c = p; pw_forward(c); return dot(c->y, c->r, pw_out(c)); }
START_TEST(test_pointwise_and_pooling_gradients)
{
    pt_rng r; pt_rng_seed(&r, 4);
    for (int kind = 0; kind < 4; kind++) {
        pw_ctx c = { .kind = kind, .n = 2, .c = 3, .h = 6, .w = 5 };
        size_t len = (size_t)2 * 3 * 30;
        c.x = malloc(4 * len);
        /* keep inputs away from kinks: |x| >= 0.1 and distinct by >= 0.05
           in every pooling window, so no +-h step crosses one */
        for (size_t i = 0; i < len; i++) {
            float u = 0.1f + 0.05f * (float)((i * 37) % len) / 1.0f;
            c.x[i] = (i % 3 == 0 ? -u : u) * (kind == 1 ? 0.05f : 1.0f);
        }
        c.y = malloc(4 * len); c.r = rnd(&r, pw_out(&c), 1);
        float *dx = malloc(4 * len);
        if (kind == 0) pt_relu_backward(dx, c.r, c.x, len);
        if (kind == 1) pt_gelu_backward(dx, c.r, c.x, len);
        if (kind == 2) pt_maxpool2_backward(dx, c.r, c.x, c.n, c.c, c.h, c.w);
        if (kind == 3) pt_gap_backward(dx, c.r, c.n, c.c, c.h * c.w);
        ck_assert_msg(fd_worst(pw_loss, &c, c.x, dx, (int)len, 1e-2f) <= 1, "layer kind %d", kind);
        free(c.x); free(c.y); free(c.r); free(dx);
    }
}
END_TEST

START_TEST(test_gelu_values)
{
    /* gelu(1) with the tanh form: 0.5 (1 + tanh(0.79788456 * 1.044715)) */
    float x[3] = { 0, 1, -3 }, y[3];
    pt_gelu_forward(y, x, 3);
    ck_assert_float_eq_tol(y[0], 0, 1e-7);
    ck_assert_float_eq_tol(y[1], 0.8411920f, 1e-6);
    ck_assert_float_eq_tol(y[2], -0.0036373f, 1e-6);
}
END_TEST

/* every 1/1000 from -90 to 90 against the double-precision exp, at the
   width in use */
static void check_exp_at_width(void)
{
    size_t n = 180001;
    int L = pt_vector_lanes();
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    ck_assert_ptr_nonnull(x); ck_assert_ptr_nonnull(y);
    for (size_t i = 0; i < n; i++) x[i] = -90.0f + 0.001f * (float)i;
    double s = pt_exp_sum(y, x, 0, n), lane[16] = { 0 }, worst = 0;
    for (size_t i = 0; i < n; i++) {
        lane[i % L] += y[i];
        double e = exp((double)x[i]);
        if (x[i] < -87.33f) ck_assert_float_eq(y[i], 0);
        else if (x[i] > 88.37f) ck_assert(isinf(y[i]) && y[i] > 0);
        else if (fabs(y[i] - e) / e > worst) worst = fabs(y[i] - e) / e;
    }
    ck_assert_msg(worst < 2.4e-7, "%d lanes: relative error %g (two units in the last place: 2.4e-7)",
                  L, worst);
    double sum = 0;
    for (int l = 0; l < L; l++) sum += lane[l];
    ck_assert_msg(s == sum, "%d lanes: the sum is not added as documented", L);
    /* edges, the shift, in place, and a length that is not a multiple of the width */
    float v[7] = { 0, -INFINITY, INFINITY, NAN, 1, -1, 88.0f }, w[7];
    ck_assert(isnan(pt_exp_sum(w, v, 0, 7)));          /* a NaN stays a NaN */
    ck_assert_float_eq(w[0], 1);
    ck_assert_float_eq(w[1], 0);
    ck_assert(isinf(w[2]));
    ck_assert(isnan(w[3]));
    ck_assert_float_eq_tol(w[4], 2.7182818f, 3e-7);
    ck_assert_float_eq_tol(w[6], (float)exp(88.0), 1e32);
    float u[5] = { 3, 2, 1, 0, 2.5f };
    double su = pt_exp_sum(u, u, 2, 5);
    ck_assert_float_eq_tol(u[0], 2.7182818f, 3e-7);
    ck_assert_float_eq_tol(u[3], 0.13533528f, 1e-7);
    ck_assert_double_eq_tol(su, exp(1) + 1 + exp(-1) + exp(-2) + exp(0.5), 1e-6);
    ck_assert_double_eq(pt_exp_sum(NULL, x, 0, n), s);
    free(x); free(y);
}

START_TEST(test_exp_a_vector_at_a_time)
{
    int widest = pt_vector_lanes_set(0);
    ck_assert(widest == 4 || widest == 8 || widest == 16);
    for (int L = 4; L <= widest; L *= 2) {
        ck_assert_int_eq(pt_vector_lanes_set(L), L);
        check_exp_at_width();
    }
    pt_vector_lanes_set(0);
}
END_TEST

START_TEST(test_widths_compute_the_same_bits)
{
    /* every width gives every lane the same exponential, GELU and maximum */
    int widest = pt_vector_lanes_set(0);
    size_t n = 1003;                          /* not a multiple of any width */
    float *x = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n);
    float *e[3], *y[3], *d[3], mx[3];
    ck_assert_ptr_nonnull(x); ck_assert_ptr_nonnull(g);
    pt_rng rng;
    pt_rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) { x[i] = (float)(12 * pt_rng_normal(&rng)); g[i] = (float)pt_rng_normal(&rng); }
    x[n - 1] = 100;                           /* the maximum in the tail */
    int k = 0;
    for (int L = 4; L <= widest; L *= 2, k++) {
        pt_vector_lanes_set(L);
        e[k] = malloc(sizeof(float) * n); y[k] = malloc(sizeof(float) * n);
        d[k] = malloc(sizeof(float) * n);
        ck_assert(e[k] && y[k] && d[k]);
        pt_exp_sum(e[k], x, 1, n);
        pt_gelu_forward(y[k], x, n);
        pt_gelu_backward(d[k], g, x, n);
        mx[k] = pt_max(x, n);
        ck_assert_float_eq(mx[k], 100);
        ck_assert_float_eq(pt_max(x, 3), fmaxf(x[0], fmaxf(x[1], x[2])));
        if (k == 0) continue;
        ck_assert_msg(memcmp(e[k], e[0], sizeof(float) * n) == 0, "%d lanes: exponentials differ", L);
        ck_assert_msg(memcmp(y[k], y[0], sizeof(float) * n) == 0, "%d lanes: GELU differs", L);
        ck_assert_msg(memcmp(d[k], d[0], sizeof(float) * n) == 0, "%d lanes: its gradient differs", L);
    }
    if (k < 3) printf("note: this processor runs %d lanes; wider ones not compared\n", widest);
    for (int j = 0; j < k; j++) { free(e[j]); free(y[j]); free(d[j]); }
    free(x); free(g);
    pt_vector_lanes_set(0);
}
END_TEST

START_TEST(test_gelu_does_not_depend_on_position)
{
    /* the last group of a vector is padded: a value gives the same result anywhere */
    float x[7] = { -2, -0.5f, 0.25f, 1, 3, -7, 0.1f }, y[7], d[7], g[7];
    for (int i = 0; i < 7; i++) g[i] = 1;
    pt_gelu_forward(y, x, 7);
    pt_gelu_backward(d, g, x, 7);
    for (int i = 0; i < 7; i++) {
        float yi, di;
        pt_gelu_forward(&yi, x + i, 1);
        pt_gelu_backward(&di, g, x + i, 1);
        ck_assert_float_eq(yi, y[i]);
        ck_assert_float_eq(di, d[i]);
    }
}
END_TEST

/* ---- Layer norm ---- */
typedef struct { float *x, *g, *b, *y, *r; int n, d; } ln_ctx;
static double ln_loss(void *p)
{
    ln_ctx *c = p;
    pt_layernorm_forward(c->y, c->x, c->g, c->b, c->n, c->d, 1e-5f);
    return dot(c->y, c->r, (size_t)c->n * c->d);
}
START_TEST(test_layernorm_gradients)
{
    pt_rng r; pt_rng_seed(&r, 5);
    ln_ctx c = { .n = 3, .d = 8 };
    c.x = rnd(&r, 24, 1); c.g = rnd(&r, 8, 1); c.b = rnd(&r, 8, 1);
    c.y = malloc(4 * 24); c.r = rnd(&r, 24, 1);
    float *dx = malloc(4 * 24), *dg = calloc(8, 4), *db = calloc(8, 4);
    pt_layernorm_backward(dx, dg, db, c.r, c.x, c.g, c.n, c.d, 1e-5f);
    ck_assert_double_le(fd_worst(ln_loss, &c, c.x, dx, 24, 1e-2f), 1);
    ck_assert_double_le(fd_worst(ln_loss, &c, c.g, dg, 8, 1e-2f), 1);
    ck_assert_double_le(fd_worst(ln_loss, &c, c.b, db, 8, 1e-2f), 1);
    /* each output row has mean b-weighted zero: with g = 1, b = 0 the mean is 0 */
    for (int j = 0; j < 8; j++) { c.g[j] = 1; c.b[j] = 0; }
    ln_loss(&c);
    double m = 0, v = 0;
    for (int j = 0; j < 8; j++) m += c.y[j];
    for (int j = 0; j < 8; j++) v += c.y[j] * c.y[j];
    ck_assert_double_eq_tol(m, 0, 1e-5);
    ck_assert_double_eq_tol(v / 8, 1, 1e-3);
    free(c.x); free(c.g); free(c.b); free(c.y); free(c.r); free(dx); free(dg); free(db);
}
END_TEST

/* ---- Loss ---- */
START_TEST(test_softmax_xent_by_hand)
{
    /* z = (0, ln 3): p = (1/4, 3/4); loss of label 1 = ln(4/3), of label 0 = ln 4 */
    float z[4] = { 0, logf(3), 0, logf(3) }, dz[4];
    int y[2] = { 1, 0 };
    double l = pt_softmax_xent(dz, z, y, 2, 2);
    ck_assert_double_eq_tol(l, (log(4.0 / 3) + log(4.0)) / 2, 1e-6);
    float dz0[4];
    memcpy(dz0, dz, sizeof dz0);
    ck_assert_float_eq_tol(dz[0], 0.25f / 2, 1e-6);
    ck_assert_float_eq_tol(dz[1], (0.75f - 1) / 2, 1e-6);
    ck_assert_float_eq_tol(dz[2], (0.25f - 1) / 2, 1e-6);
    ck_assert_float_eq_tol(dz[3], 0.75f / 2, 1e-6);
    /* huge logits: naive exp overflows; log-sum-exp does not */
    float big[3] = { 1000, 990, -1000 };
    int y0 = 1;
    double lb = pt_softmax_xent(dz, big, &y0, 1, 3);
    ck_assert(isfinite(lb));
    ck_assert_double_eq_tol(lb, 10 + log1p(exp(-10)), 1e-4);
    ck_assert_int_eq(pt_count_correct(big, &y0, 1, 3), 0);
    /* a row labelled -1 is skipped: the mean is over the other row, and
       the skipped row's gradient is zero */
    int ys[2] = { -1, 0 };
    float dzs[4] = { 9, 9, 9, 9 };
    ck_assert_double_eq_tol(pt_softmax_xent(dzs, z, ys, 2, 2), log(4.0), 1e-6);
    ck_assert(dzs[0] == 0 && dzs[1] == 0);
    ck_assert_float_eq_tol(dzs[2], 0.25f - 1, 1e-6);
    ck_assert_float_eq_tol(dzs[3], 0.75f, 1e-6);
    int none = -1;
    ck_assert_double_eq(pt_softmax_xent(NULL, z, &none, 1, 2), 0);
    /* in place (dz = z): the same loss and gradient (fails if the label's
       logit is read after it was overwritten) */
    float zz[4] = { 0, logf(3), 0, logf(3) };
    ck_assert_double_eq_tol(pt_softmax_xent(zz, zz, y, 2, 2), (log(4.0 / 3) + log(4.0)) / 2, 1e-6);
    for (int j = 0; j < 4; j++) ck_assert_float_eq_tol(zz[j], dz0[j], 1e-7);
}
END_TEST

typedef struct { float *z; int *y; int n, k; } xent_ctx;
static double xent_loss(void *p) { xent_ctx *c = p; return pt_softmax_xent(NULL, c->z, c->y, c->n, c->k); }
START_TEST(test_softmax_xent_gradient)
{
    pt_rng r; pt_rng_seed(&r, 6);
    int y[4] = { 0, 3, 2, 4 };
    xent_ctx c = { rnd(&r, 20, 2), y, 4, 5 };
    float dz[20];
    pt_softmax_xent(dz, c.z, y, 4, 5);
    ck_assert_double_le(fd_worst(xent_loss, &c, c.z, dz, 20, 1e-2f), 1);
    free(c.z);
}
END_TEST

/* ---- A whole model ---- */
/* The shape of the chapter's network in miniature.  smooth = 1 uses GELU
   and average pooling, whose derivatives exist everywhere; smooth = 0
   uses ReLU and max-pooling, whose kinks a finite-difference step of a
   first-layer weight (which moves every activation) can cross. */
static void tiny_cnn_kind(pt_model *m, int batch, int smooth)
{
    ck_assert_int_eq(pt_model_init(m, 1, 6, 6), 0);
    ck_assert_int_eq(pt_model_conv(m, 3, 3, 1, 1), 0);
    ck_assert_int_eq(smooth ? pt_model_gelu(m) : pt_model_relu(m), 0);
    ck_assert_int_eq(smooth ? pt_model_conv(m, 3, 3, 2, 1) : pt_model_maxpool(m), 0);
    ck_assert_int_eq(pt_model_conv(m, 4, 3, 1, 0), 0);
    ck_assert_int_eq(smooth ? pt_model_gelu(m) : pt_model_relu(m), 0);
    ck_assert_int_eq(pt_model_flatten(m), 0);
    ck_assert_int_eq(pt_model_layernorm(m), 0);
    m->group = PT_GROUP_HEAD;
    ck_assert_int_eq(pt_model_linear(m, 3), 0);
    ck_assert_int_eq(pt_model_alloc(m, batch), 0);
}
static void tiny_cnn(pt_model *m, int batch) { tiny_cnn_kind(m, batch, 0); }
typedef struct { pt_model *m; float *x; int *y; int n; } model_ctx;
static double model_loss(void *p)
{
    model_ctx *c = p;
    return pt_softmax_xent(NULL, pt_model_forward(c->m, c->x, c->n, c->m->n), c->y, c->n, 3);
}
START_TEST(test_model_gradients)
{
    for (int smooth = 1; smooth >= 0; smooth--) {
        pt_model m;
        pt_rng r; pt_rng_seed(&r, 7);
        tiny_cnn_kind(&m, 4, smooth);
        pt_model_init_params(&m, &r);
        for (size_t j = 0; j < m.params.size; j++) m.params.data[j] += 0.1f * (float)pt_rng_normal(&r);
        int y[4] = { 0, 2, 1, 2 };
        model_ctx c = { &m, rnd(&r, 4 * 36, 1), y, 4 };
        float dz[12];
        pt_params_zero_grad(&m.params);
        pt_softmax_xent(dz, pt_model_forward(&m, c.x, 4, m.n), y, 4, 3);
        pt_model_backward(&m, dz, 4, m.n);
        double worst = fd_worst(model_loss, &c, m.params.data, m.params.grad,
                                (int)m.params.size, 1e-3f);
        if (smooth) ck_assert_double_le(worst, 1);
        else  /* a kink crossed spoils a few coordinates; a bug spoils most */
            ck_assert_int_le(fd_misses, (int)m.params.size / 20);
        ck_assert_int_eq(pt_params_find(&m.params, "layers.7.weight"), m.layer[7].weight);
        ck_assert_int_eq(m.params.t[m.layer[7].weight].group, PT_GROUP_HEAD);
        ck_assert_int_eq(m.params.t[m.layer[0].weight].group, PT_GROUP_BACKBONE);
        ck_assert_int_eq((int)pt_model_out_size(&m, m.n - 1), 4);
        free(c.x);
        pt_model_free(&m);
    }
}
END_TEST

/* ---- Learning: a tiny MLP separates four clusters ---- */
static void clusters(pt_dataset *d, int n, unsigned long long seed)
{
    pt_rng r; pt_rng_seed(&r, seed);
    d->n = n; d->rows = 1; d->cols = 2;
    d->x = malloc(sizeof(float) * 2 * n); d->y = malloc(n);
    for (int i = 0; i < n; i++) {
        int c = i % 4;
        d->y[i] = (unsigned char)c;
        d->x[2 * i] = (c & 1 ? 2.0f : -2.0f) + 0.4f * (float)pt_rng_normal(&r);
        d->x[2 * i + 1] = (c & 2 ? 2.0f : -2.0f) + 0.4f * (float)pt_rng_normal(&r);
    }
}
START_TEST(test_mlp_learns_separable_set)
{
    pt_dataset d;
    pt_model m;
    pt_optim o;
    pt_train_run run;
    pt_rng r; pt_rng_seed(&r, 8);
    clusters(&d, 200, 9);
    ck_assert_int_eq(pt_model_init(&m, 1, 1, 2), 0);
    ck_assert_int_eq(pt_model_linear(&m, 16) || pt_model_relu(&m) || pt_model_linear(&m, 4), 0);
    ck_assert_int_eq(pt_model_alloc(&m, 20), 0);
    pt_model_init_params(&m, &r);
    ck_assert_int_eq(pt_optim_init(&o, PT_ADAM, &m.params), 0);
    pt_train_run_init(&run, 10);
    pt_train_config c = { .epochs = 20, .batch = 20, .lr = 0.02, .final_lr_frac = 0.1,
                          .warmup = 5, .quiet = 1 };
    double loss0, acc0, loss, acc;
    ck_assert_int_eq(pt_model_evaluate(&m, &d, &loss0, &acc0), 0);
    ck_assert_int_eq(pt_train(&m, &o, &d, &d, &c, &run), 0);
    ck_assert_int_eq(pt_model_evaluate(&m, &d, &loss, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert_double_lt(loss, 0.1 * loss0);
    ck_assert_int_eq(run.step, 200);
    ck_assert_int_eq(run.rows, 20);
    pt_train_run_free(&run); pt_optim_free(&o); pt_model_free(&m); pt_dataset_free(&d);
}
END_TEST

/* ---- Optimisers, worked by hand ----
   theta = 1 (weight, decayed), beta = 1 (bias, not decayed), gradient 0.5,
   lr 0.1, lambda 0.1.
   SGD, mu 0.9:  v = 0.5 + 0.1 = 0.6, theta = 1 - 0.06 = 0.94;
                 again: v = 0.54 + 0.5 + 0.094 = 1.134, theta = 0.8266.
   Adam (L2):    g = 0.6, m^ = 0.6, v^ = 0.36, theta = 1 - 0.1 * 0.6/0.6 = 0.9.
   AdamW:        m^ = 0.5, v^ = 0.25, theta = 1 - 0.1 (1 + 0.1) = 0.89;
                 then gradient -1: m = -0.055, v = 0.00124975,
                 m^ = -0.289474, v^ = 0.625188, theta = 0.9177104.
   The bias moves by 0.1 under both Adams (no decay), 0.05 under SGD. */
static void two_params(pt_params *p)
{
    memset(p, 0, sizeof *p);
    int one = 1;
    ck_assert_int_eq(pt_params_add(p, "w", PT_GROUP_BACKBONE, 1, 1, &one), 0);
    ck_assert_int_eq(pt_params_add(p, "b", PT_GROUP_HEAD, 0, 1, &one), 1);
    ck_assert_int_eq(pt_params_alloc(p), 0);
    p->data[0] = p->data[1] = 1;
    p->grad[0] = p->grad[1] = 0.5f;
}
START_TEST(test_optimisers_by_hand)
{
    pt_params p;
    pt_optim o;
    two_params(&p);
    pt_optim_init(&o, PT_SGD, &p); o.weight_decay = 0.1;
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq_tol(p.data[0], 0.94f, 1e-6);
    ck_assert_float_eq_tol(p.data[1], 0.95f, 1e-6);
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq_tol(p.data[0], 0.8266f, 1e-6);
    pt_optim_free(&o); pt_params_free(&p);

    two_params(&p);
    pt_optim_init(&o, PT_ADAM, &p); o.weight_decay = 0.1;
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq_tol(p.data[0], 0.9f, 1e-6);
    ck_assert_float_eq_tol(p.data[1], 0.9f, 1e-6);
    pt_optim_free(&o); pt_params_free(&p);

    two_params(&p);
    pt_optim_init(&o, PT_ADAMW, &p); o.weight_decay = 0.1;
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq_tol(p.data[0], 0.89f, 1e-6);
    ck_assert_float_eq_tol(p.data[1], 0.9f, 1e-6);
    p.grad[0] = -1;
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq_tol(p.data[0], 0.9177104f, 2e-6);
    /* a frozen group does not move */
    o.group_lr[PT_GROUP_HEAD] = 0;
    float b = p.data[1];
    pt_optim_step(&o, &p, 0.1);
    ck_assert_float_eq(p.data[1], b);
    pt_optim_free(&o); pt_params_free(&p);
}
END_TEST

START_TEST(test_schedule_and_clipping)
{
    ck_assert_double_eq_tol(pt_lr_at(0, 10, 110, 1.0, 0.1), 0.1, 1e-12);
    ck_assert_double_eq_tol(pt_lr_at(9, 10, 110, 1.0, 0.1), 1.0, 1e-12);
    ck_assert_double_eq_tol(pt_lr_at(10, 10, 110, 1.0, 0.1), 1.0, 1e-12);
    ck_assert_double_eq_tol(pt_lr_at(60, 10, 110, 1.0, 0.1), 0.55, 1e-12);   /* half-way: mean */
    ck_assert_double_eq_tol(pt_lr_at(110, 10, 110, 1.0, 0.1), 0.1, 1e-12);
    pt_params p;
    two_params(&p);
    p.grad[0] = 3; p.grad[1] = 4;
    ck_assert_double_eq_tol(pt_clip_grad_norm(&p, 1.0), 5.0, 1e-6);
    ck_assert_float_eq_tol(p.grad[0], 0.6f, 1e-6);
    ck_assert_float_eq_tol(p.grad[1], 0.8f, 1e-6);
    ck_assert_double_eq_tol(pt_clip_grad_norm(&p, 10.0), 1.0, 1e-6);   /* below: unchanged */
    ck_assert_float_eq_tol(p.grad[0], 0.6f, 1e-6);
    pt_params_free(&p);
}
END_TEST

/* ---- Checkpoints ---- */
static char tmpdir[64];
static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_nn.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}
static void random_images(pt_dataset *d, int n, unsigned long long seed)
{
    pt_rng r; pt_rng_seed(&r, seed);
    d->n = n; d->rows = 6; d->cols = 6;
    d->x = malloc(sizeof(float) * 36 * n); d->y = malloc(n);
    for (int i = 0; i < n; i++) {
        d->y[i] = (unsigned char)(i % 3);
        for (int j = 0; j < 36; j++)
            d->x[36 * i + j] = pt_rng_uniform(&r) + (j % 6 == 2 * d->y[i] ? 1.0f : 0.0f);
    }
}
/* A fresh model, optimiser and run state, as a new process would make them. */
static void fresh(pt_model *m, pt_optim *o, pt_train_run *r, unsigned long long seed)
{
    pt_rng g; pt_rng_seed(&g, seed);
    tiny_cnn(m, 8);
    pt_model_init_params(m, &g);
    ck_assert_int_eq(pt_optim_init(o, PT_ADAMW, &m->params), 0);
    o->weight_decay = 0.01;
    pt_train_run_init(r, seed + 100);
}
static void discard(pt_model *m, pt_optim *o, pt_train_run *r)
{
    pt_train_run_free(r); pt_optim_free(o); pt_model_free(m);
}

START_TEST(test_checkpoint_round_trip)
{
    pt_model m, m2;
    pt_optim o, o2;
    pt_train_run r, r2;
    pt_dataset d;
    char path[128];
    make_tmpdir();
    snprintf(path, sizeof path, "%s/ck.safetensors", tmpdir);
    random_images(&d, 40, 11);
    fresh(&m, &o, &r, 1);
    pt_train_config c = { .epochs = 1, .batch = 8, .lr = 1e-2, .warmup = 2, .eval_every = 2, .quiet = 1,
                          .stop_at = 3 };
    ck_assert_int_eq(pt_train(&m, &o, &d, &d, &c, &r), 0);
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, &o, &r), 0);
    fresh(&m2, &o2, &r2, 2);
    ck_assert_int_eq(pt_checkpoint_load(path, &m2.params, &o2, &r2), 0);
    ck_assert_int_eq(memcmp(m.params.data, m2.params.data, 4 * m.params.size), 0);
    ck_assert_int_eq(memcmp(o.m, o2.m, 4 * o.size), 0);
    ck_assert_int_eq(memcmp(o.v, o2.v, 4 * o.size), 0);
    ck_assert_int_eq(o.t, o2.t);
    ck_assert_int_eq(r.step, r2.step);
    ck_assert_int_eq(r.position, r2.position);
    ck_assert_int_eq(memcmp(r.order.s, r2.order.s, sizeof r.order.s), 0);
    ck_assert_int_eq(r.rows, r2.rows);
    ck_assert_int_eq(memcmp(r.hist, r2.hist, sizeof(float) * PT_HIST_COLS * r.rows), 0);
    ck_assert(r.run_loss == r2.run_loss && r.best_val == r2.best_val);
    /* a parameters-only file loads into parameters */
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    ck_assert_int_eq(pt_checkpoint_load(path, &m2.params, NULL, NULL), 0);
    ck_assert_int_ne(pt_checkpoint_load(path, &m2.params, &o2, NULL), 0);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "optimiser"));
    discard(&m, &o, &r); discard(&m2, &o2, &r2);
    pt_dataset_free(&d);
    unlink(path); rmdir(tmpdir);
}
END_TEST

START_TEST(test_resume_after_kill_is_bit_exact)
{
    pt_model a, b;
    pt_optim oa, ob;
    pt_train_run ra, rb;
    pt_dataset d, v;
    char path[128];
    make_tmpdir();
    snprintf(path, sizeof path, "%s/run.safetensors", tmpdir);
    random_images(&d, 64, 12);
    random_images(&v, 16, 13);
    pt_train_config c = { .epochs = 3, .batch = 8, .lr = 1e-2, .final_lr_frac = 0.1,
                          .warmup = 4, .clip = 1.0, .eval_every = 3, .patience = 0, .quiet = 1 };
    /* straight through: 3 epochs of 8 steps */
    fresh(&a, &oa, &ra, 1);
    ck_assert_int_eq(pt_train(&a, &oa, &d, &v, &c, &ra), 0);
    ck_assert_int_eq(ra.step, 24);
    /* killed after 11 steps (mid-epoch), with its checkpoint ... */
    fresh(&b, &ob, &rb, 1);
    pt_train_config ck = c;
    ck.stop_at = 11; ck.checkpoint = path;
    ck_assert_int_eq(pt_train(&b, &ob, &d, &v, &ck, &rb), 0);
    ck_assert_int_eq(rb.step, 11);
    discard(&b, &ob, &rb);
    /* ... then a new "process": different initial weights, loaded over */
    fresh(&b, &ob, &rb, 99);
    ck_assert_int_eq(pt_checkpoint_load(path, &b.params, &ob, &rb), 0);
    ck_assert_int_eq(pt_train(&b, &ob, &d, &v, &c, &rb), 0);
    ck_assert_int_eq(rb.step, 24);
    ck_assert_int_eq(memcmp(a.params.data, b.params.data, 4 * a.params.size), 0);
    ck_assert_int_eq(memcmp(oa.m, ob.m, 4 * oa.size), 0);
    ck_assert_int_eq(memcmp(oa.v, ob.v, 4 * oa.size), 0);
    ck_assert_int_eq(ra.rows, rb.rows);
    ck_assert_int_eq(memcmp(ra.hist, rb.hist, sizeof(float) * PT_HIST_COLS * ra.rows), 0);
    discard(&a, &oa, &ra); discard(&b, &ob, &rb);
    pt_dataset_free(&d); pt_dataset_free(&v);
    unlink(path); rmdir(tmpdir);
}
END_TEST

/* Damage a saved checkpoint and expect a message naming the file and `what`. */
static void expect_refused(const char *path, pt_params *p, const char *what)
{
    ck_assert_int_eq(pt_checkpoint_load(path, p, NULL, NULL), -1);
    ck_assert_msg(strstr(pt_errmsg(), path) && strstr(pt_errmsg(), what),
                  "message '%s' should name %s and say '%s'", pt_errmsg(), path, what);
}
static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}
static void poke(const char *path, long at, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, at, SEEK_SET);
    fwrite(bytes, 1, n, f);
    fclose(f);
}
START_TEST(test_damaged_checkpoints_are_refused)
{
    pt_model m, other;
    pt_optim o;
    pt_train_run r;
    char path[128];
    make_tmpdir();
    snprintf(path, sizeof path, "%s/bad.safetensors", tmpdir);
    fresh(&m, &o, &r, 3);
    float before = m.params.data[0];
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    long size = file_size(path);
    ck_assert_int_eq(truncate(path, size - 10), 0);             /* truncated */
    expect_refused(path, &m.params, "truncated");
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    poke(path, size - 3, "\x7f", 1);                             /* one byte of data */
    expect_refused(path, &m.params, "checksum mismatch");
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    poke(path, 8, "[", 1);                                       /* the JSON */
    expect_refused(path, &m.params, "not valid JSON");
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    ck_assert_int_eq(truncate(path, 5), 0);                      /* no header length */
    expect_refused(path, &m.params, "too short");
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    poke(path, 0, "\xff\xff", 2);                                /* absurd header length */
    expect_refused(path, &m.params, "runs past the end");
    /* a model of another shape */
    ck_assert_int_eq(pt_checkpoint_save(path, &m.params, NULL, NULL), 0);
    ck_assert_int_eq(pt_model_init(&other, 1, 6, 6) || pt_model_conv(&other, 5, 3, 1, 1), 0);
    ck_assert_int_eq(pt_model_alloc(&other, 2), 0);
    expect_refused(path, &other.params, "shape [3,1,3,3] in the file but [5,1,3,3]");
    ck_assert_int_eq(pt_checkpoint_load("/nonexistent/x.safetensors", &m.params, NULL, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "/nonexistent/x.safetensors"));
    ck_assert_float_eq(m.params.data[0], before);               /* untouched by failures */
    discard(&m, &o, &r); pt_model_free(&other);
    unlink(path); rmdir(tmpdir);
}
END_TEST

START_TEST(test_safetensors_rejects_overlaps_and_dtypes)
{
    char path[128];
    pt_safetensors f;
    make_tmpdir();
    snprintf(path, sizeof path, "%s/h.safetensors", tmpdir);
    static const char *headers[][2] = {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap" },
        { "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "dtype I64" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "belong to no tensor" },
    };
    for (int i = 0; i < 4; i++) {
        FILE *fp = fopen(path, "wb");
        unsigned long long n = strlen(headers[i][0]);
        unsigned char n8[8];
        for (int b = 0; b < 8; b++) n8[b] = (unsigned char)(n >> (8 * b));
        fwrite(n8, 1, 8, fp);
        fputs(headers[i][0], fp);
        for (int b = 0; b < 12; b++) fputc(0, fp);
        fclose(fp);
        ck_assert_int_eq(truncate(path, 8 + (long)n + (i == 0 ? 12 : 8)), 0);
        ck_assert_int_eq(pt_st_read(&f, path), -1);
        ck_assert_msg(strstr(pt_errmsg(), headers[i][1]), "case %d: %s", i, pt_errmsg());
    }
    unlink(path); rmdir(tmpdir);
}
END_TEST

/* F16 and BF16 tensors come back as the floats they stand for */
START_TEST(test_safetensors_widens_half_precision)
{
    char path[128];
    pt_safetensors f;
    make_tmpdir();
    snprintf(path, sizeof path, "%s/half.safetensors", tmpdir);
    const char *header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]},"
                         "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[14,18]},"
                         "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[18,22]}}";
    /* 1, -2, 65504 (largest), 2^-24 (smallest subnormal), 0.5, +inf, -0 */
    const uint16_t half[7] = { 0x3c00, 0xc000, 0x7bff, 0x0001, 0x3800, 0x7c00, 0x8000 };
    const uint16_t bf[2] = { 0x3f80, 0xc0a0 };                   /* 1, -5 */
    const float want[7] = { 1, -2, 65504, 5.9604644775390625e-8f, 0.5f, INFINITY, -0.0f };
    FILE *fp = fopen(path, "wb");
    unsigned long long n = strlen(header);
    for (int b = 0; b < 8; b++) fputc((int)(n >> (8 * b)) & 255, fp);
    fputs(header, fp);
    for (int i = 0; i < 7; i++) { fputc(half[i] & 255, fp); fputc(half[i] >> 8, fp); }
    for (int i = 0; i < 2; i++) { fputc(bf[i] & 255, fp); fputc(bf[i] >> 8, fp); }
    float three = 3;
    fwrite(&three, 4, 1, fp);
    fclose(fp);
    ck_assert_int_eq(pt_st_read(&f, path), 0);
    const pt_st_tensor *h = pt_st_find(&f, "h"), *b = pt_st_find(&f, "b"), *x = pt_st_find(&f, "f");
    ck_assert(h && b && x);
    ck_assert_str_eq(h->dtype, "F16");
    ck_assert_uint_eq(h->end - h->begin, 28);
    ck_assert_uint_eq(f.size, 40);
    const float *hv = (const float *)(f.data + h->begin), *bv = (const float *)(f.data + b->begin);
    for (int i = 0; i < 7; i++) ck_assert_msg(hv[i] == want[i], "F16 %04x gave %g", half[i], hv[i]);
    ck_assert(signbit(hv[6]));
    ck_assert(bv[0] == 1.0f && bv[1] == -5.0f);
    ck_assert(*(const float *)(f.data + x->begin) == 3.0f);
    pt_st_free(&f);
    unlink(path); rmdir(tmpdir);
}
END_TEST

Suite *nn_suite(void)
{
    Suite *s = suite_create("nn");
    TCase *layers = tcase_create("layers"), *learn = tcase_create("learning"),
          *files = tcase_create("checkpoints");
    tcase_add_test(layers, test_linear_gradients);
    tcase_add_test(layers, test_conv_im2col_matches_direct_loop);
    tcase_add_test(layers, test_conv_gradients);
    tcase_add_test(layers, test_pointwise_and_pooling_gradients);
    tcase_add_test(layers, test_gelu_values);
    tcase_add_test(layers, test_exp_a_vector_at_a_time);
    tcase_add_test(layers, test_widths_compute_the_same_bits);
    tcase_add_test(layers, test_gelu_does_not_depend_on_position);
    tcase_add_test(layers, test_layernorm_gradients);
    tcase_add_test(layers, test_softmax_xent_by_hand);
    tcase_add_test(layers, test_softmax_xent_gradient);
    tcase_add_test(layers, test_model_gradients);
    tcase_add_test(learn, test_mlp_learns_separable_set);
    tcase_add_test(learn, test_optimisers_by_hand);
    tcase_add_test(learn, test_schedule_and_clipping);
    tcase_add_test(files, test_checkpoint_round_trip);
    tcase_add_test(files, test_resume_after_kill_is_bit_exact);
    tcase_add_test(files, test_damaged_checkpoints_are_refused);
    tcase_add_test(files, test_safetensors_rejects_overlaps_and_dtypes);
    tcase_add_test(files, test_safetensors_widens_half_precision);
    tcase_set_timeout(learn, 10);
    tcase_set_timeout(files, 10);
    suite_add_tcase(s, layers);
    suite_add_tcase(s, learn);
    suite_add_tcase(s, files);
    return s;
}
