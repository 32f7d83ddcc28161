/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* layers.c: dense layers, pooling, layer norm and the loss (Chapter 4). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cblas.h>
#include "pt_nn.h"

/* <Compute a linear layer> */
void pt_linear_forward(float *y, const float *x, const float *w, const float *b,
                       int n, int k, int m)
{
    for (int i = 0; i < n; i++)
        if (b) memcpy(y + (size_t)i * m, b, sizeof(float) * m);
        else memset(y + (size_t)i * m, 0, sizeof(float) * m);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.0f,
                x, k, w, k, 1.0f, y, m);
}
/* <Differentiate a linear layer> */
void pt_linear_backward(float *dx, float *dw, float *db, const float *dy,
                        const float *x, const float *w, int n, int k, int m)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, m, 1.0f,
                    dy, m, w, k, 0.0f, dx, k);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, n, 1.0f,
                dy, m, x, k, 1.0f, dw, k);
    if (db)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) db[j] += dy[(size_t)i * m + j];
}
/* <Compute and differentiate the ReLU> */
void pt_relu_forward(float *y, const float *x, size_t len)
{
    #pragma omp parallel for schedule(static) if (len > 32768)
    for (size_t i = 0; i < len; i++) y[i] = x[i] > 0 ? x[i] : 0;
}
void pt_relu_backward(float *dx, const float *dy, const float *x, size_t len)
{
    #pragma omp parallel for schedule(static) if (len > 32768)
    for (size_t i = 0; i < len; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
/* <Compute and differentiate 2 x 2 max-pooling> */
void pt_maxpool2_forward(float *y, const float *x, int n, int c, int h, int w)
{
    int oh = h / 2, ow = w / 2;
    #pragma omp parallel for schedule(static) if ((size_t)n * c * h * w > 65536)
    for (long long pc = 0; pc < (long long)n * c; pc++) {
        const float *xp = x + (size_t)pc * h * w;
        float *yp = y + (size_t)pc * oh * ow;
        for (int r = 0; r < oh; r++)
            for (int t = 0; t < ow; t++) {
                const float *q = xp + (size_t)2 * r * w + 2 * t;
                float top = q[0] > q[1] ? q[0] : q[1], bot = q[w] > q[w + 1] ? q[w] : q[w + 1];
                yp[r * ow + t] = top > bot ? top : bot;
            }
    }
}
/* <Compute and differentiate 2 x 2 max-pooling> */
void pt_maxpool2_backward(float *dx, const float *dy, const float *x,
                          int n, int c, int h, int w)
{
    int oh = h / 2, ow = w / 2;
    #pragma omp parallel for schedule(static) if ((size_t)n * c * h * w > 65536)
    for (long long pc = 0; pc < (long long)n * c; pc++) {
        const float *xp = x + (size_t)pc * h * w;
        float *dp = dx + (size_t)pc * h * w;
        memset(dp, 0, sizeof(float) * h * w);
        for (int r = 0; r < oh; r++)
            for (int t = 0; t < ow; t++) {
                size_t q = (size_t)2 * r * w + 2 * t, best = q;
                size_t cand[3] = { q + 1, q + w, q + w + 1 };
                for (int j = 0; j < 3; j++) if (xp[cand[j]] > xp[best]) best = cand[j];
                dp[best] = dy[(size_t)pc * oh * ow + r * ow + t];
            }
    }
}
/* <Compute and differentiate global average pooling> */
void pt_gap_forward(float *y, const float *x, int n, int c, int hw)
{
    #pragma omp parallel for schedule(static) if ((size_t)n * c * hw > 65536)
    for (long long pc = 0; pc < (long long)n * c; pc++) {
        float s = 0;
        for (int q = 0; q < hw; q++) s += x[(size_t)pc * hw + q];
        y[pc] = s / hw;
    }
}
void pt_gap_backward(float *dx, const float *dy, int n, int c, int hw)
{
    #pragma omp parallel for schedule(static) if ((size_t)n * c * hw > 65536)
    for (long long pc = 0; pc < (long long)n * c; pc++)
        for (int q = 0; q < hw; q++) dx[(size_t)pc * hw + q] = dy[pc] / hw;
}
/* <Compute the statistics of one row> */
static void row_stats(const float *x, int d, float eps, double *mu, double *rho)
{
    double s = 0, ss = 0;
    for (int j = 0; j < d; j++) s += x[j];
    *mu = s / d;
    for (int j = 0; j < d; j++) ss += (x[j] - *mu) * (x[j] - *mu);
    *rho = 1 / sqrt(ss / d + eps);
}
/* <Compute layer normalisation> */
void pt_layernorm_forward(float *y, const float *x, const float *g, const float *b,
                          int n, int d, float eps)
{
    #pragma omp parallel for schedule(static) if ((size_t)n * d > 65536)
    for (int i = 0; i < n; i++) {
        double mu, rho;
        const float *xi = x + (size_t)i * d;
        row_stats(xi, d, eps, &mu, &rho);
        for (int j = 0; j < d; j++)
            y[(size_t)i * d + j] = (float)((xi[j] - mu) * rho) * g[j] + b[j];
    }
}
/* <Differentiate layer normalisation> */
void pt_layernorm_backward(float *dx, float *dg, float *db, const float *dy,
                           const float *x, const float *g, int n, int d, float eps)
{
    for (int i = 0; i < n; i++) {
        double mu, rho, m1 = 0, m2 = 0;
        const float *xi = x + (size_t)i * d, *gi = dy + (size_t)i * d;
        row_stats(xi, d, eps, &mu, &rho);
        for (int j = 0; j < d; j++) {
            double xh = (xi[j] - mu) * rho, gh = gi[j] * g[j];
            m1 += gh; m2 += gh * xh;
            dg[j] += (float)(gi[j] * xh);
            db[j] += gi[j];
        }
        m1 /= d; m2 /= d;
        if (dx)
            for (int j = 0; j < d; j++)
                dx[(size_t)i * d + j] =
                    (float)(rho * (gi[j] * g[j] - m1 - (xi[j] - mu) * rho * m2));
    }
}
/* <Compute the softmax cross-entropy from logits> */
double pt_softmax_xent(float *dz, const float *z, const int *y, int n, int k)
{
    int rows = 0;
    for (int i = 0; i < n; i++) rows += y[i] >= 0;
    double total = 0;
    #pragma omp parallel for schedule(static) reduction(+:total) if ((size_t)n * k > 65536)
    for (int i = 0; i < n; i++) {
        const float *zi = z + (size_t)i * k;
        float *di = dz ? dz + (size_t)i * k : NULL;
        if (y[i] < 0) { if (di) memset(di, 0, sizeof(float) * k); continue; }
        /* <Add the loss of row i and write its gradient> */
        float zy = zi[y[i]], M = pt_max(zi, (size_t)k);   /* zy first: dz may be z itself */
        double s = pt_exp_sum(di, zi, M, (size_t)k);
        total += M + log(s) - zy;
        if (di) {
            float scale = (float)(1 / (s * rows)), hit = 1.0f / rows;
            for (int j = 0; j < k; j++) di[j] *= scale;
            di[y[i]] -= hit;
        }
    }
    return rows > 0 ? total / rows : 0;
}
/* <Count the correct predictions> */
int pt_count_correct(const float *z, const int *y, int n, int k)
{
    int correct = 0;
    for (int i = 0; i < n; i++) {
        const float *zi = z + (size_t)i * k;
        int best = 0;
        for (int j = 1; j < k; j++) if (zi[j] > zi[best]) best = j;
        correct += best == y[i];
    }
    return correct;
}
