/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* attention.c: embeddings, self-attention, GPT-2's dense maps and dropout (Chapter 8). */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "pt_gpt.h"

/* <Look up and differentiate the embeddings> */
void pt_embed_forward(float *x, const int *tok, const float *wte, const float *wpe,
                      int B, int T, int C)
{
    #pragma omp parallel for schedule(static) if ((size_t)B * T * C > 65536)
    for (int i = 0; i < B * T; i++) {
        const float *te = wte + (size_t)tok[i] * C, *pe = wpe + (size_t)(i % T) * C;
        float *xi = x + (size_t)i * C;
        for (int j = 0; j < C; j++) xi[j] = te[j] + pe[j];
    }
}

void pt_embed_backward(float *dwte, float *dwpe, const float *dx, const int *tok,
                       int B, int T, int C)
{
    for (int i = 0; i < B * T; i++) {
        const float *d = dx + (size_t)i * C;
        float *te = dwte + (size_t)tok[i] * C, *pe = dwpe + (size_t)(i % T) * C;
        for (int j = 0; j < C; j++) { te[j] += d[j]; pe[j] += d[j]; }
    }
}
/* <Compute self-attention> */
void pt_attention_forward(float *y, float *att, const float *qkv, int B, int T, int C,
                          int H, int causal)
{
    int D = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)D);
    #pragma omp parallel for schedule(dynamic) if ((size_t)B * H * T * T * D > 65536)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *q = qkv + (size_t)b * T * C3 + h * D, *k = q + C, *v = q + 2 * C;
        float *p = att + (size_t)bh * T * T;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, scale,
                    q, C3, k, C3, 0.0f, p, T);
        for (int t = 0; t < T; t++) {
            /* <Turn row t of the scores into attention weights> */
            float *row = p + (size_t)t * T;
            int n = causal ? t + 1 : T;
            float mx = pt_max(row, (size_t)n), sum = (float)pt_exp_sum(row, row, mx, (size_t)n);
            for (int j = 0; j < n; j++) row[j] /= sum;
            for (int j = n; j < T; j++) row[j] = 0;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T, 1.0f,
                    p, T, v, C3, 0.0f, y + (size_t)b * T * C + h * D, C);
    }
}
/* <Differentiate self-attention> */
void pt_attention_backward(float *dqkv, float *work, const float *dy, const float *qkv,
                           const float *att, int B, int T, int C, int H)
{
    int D = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)D);
    #pragma omp parallel for schedule(dynamic) if ((size_t)B * H * T * T * D > 65536)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        size_t at = (size_t)b * T * C3 + h * D;
        const float *q = qkv + at, *k = q + C, *v = q + 2 * C;
        const float *p = att + (size_t)bh * T * T, *g = dy + (size_t)b * T * C + h * D;
        float *dq = dqkv + at, *dk = dq + C, *dv = dq + 2 * C;
        float *ds = work + (size_t)bh * T * T;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, 1.0f,
                    g, C, v, C3, 0.0f, ds, T);                       /* dP = G V^T */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, 1.0f,
                    p, T, g, C, 0.0f, dv, C3);                       /* dV = P^T G */
        for (int t = 0; t < T; t++) {
            const float *pr = p + (size_t)t * T;
            float *dr = ds + (size_t)t * T, dot = 0;
            for (int j = 0; j < T; j++) dot += pr[j] * dr[j];
            for (int j = 0; j < T; j++) dr[j] = scale * pr[j] * (dr[j] - dot);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T, 1.0f,
                    ds, T, k, C3, 0.0f, dq, C3);                     /* dQ = dS K */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, 1.0f,
                    ds, T, q, C3, 0.0f, dk, C3);                     /* dK = dS^T Q */
    }
}
/* <Compute and differentiate a dense map in GPT-2's layout> */
void pt_dense_forward(float *y, const float *x, const float *w, const float *b,
                      int n, int k, int m)
{
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * m, b, sizeof(float) * m);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, m, k, 1.0f,
                x, k, w, m, 1.0f, y, m);
}

void pt_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                       const float *w, int n, int k, int m)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, m, 1.0f,
                    dy, m, w, m, 0.0f, dx, k);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, m, n, 1.0f,
                x, k, dy, m, 1.0f, dw, m);
    /* column sums, a block of 64 columns per task, read row by row */
    #pragma omp parallel for schedule(static) if ((size_t)n * m > 65536)
    for (int j0 = 0; j0 < m; j0 += 64) {
        int j1 = j0 + 64 < m ? j0 + 64 : m;
        float s[64] = { 0 };
        for (int i = 0; i < n; i++) {
            const float *row = dy + (size_t)i * m;
            for (int j = j0; j < j1; j++) s[j - j0] += row[j];
        }
        for (int j = j0; j < j1; j++) db[j] += s[j - j0];
    }
}
/* <Drop out numbers while training> */
static float keep_scale(float p, uint32_t *cut)
{
    *cut = (uint32_t)(p * 65536.0f + 0.5f);       /* drop when a 16-bit draw is below */
    return 65536.0f / (float)(65536 - *cut);
}

void pt_dropout_forward(float *y, uint8_t *keep, const float *x, size_t n, float p,
                        uint64_t seed)
{
    uint32_t cut;
    float scale = keep_scale(p, &cut);
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i0 = 0; i0 < n; i0 += 4) {
        uint64_t s = seed + (uint64_t)(i0 / 4) * 0x9e3779b97f4a7c15ULL;
        uint64_t w = pt_splitmix64(&s);           /* draw i0/4 of the stream: four draws */
        size_t i1 = i0 + 4 < n ? i0 + 4 : n;
        for (size_t i = i0; i < i1; i++, w >>= 16) {
            keep[i] = (w & 0xffff) >= cut;
            y[i] = keep[i] ? x[i] * scale : 0.0f;
        }
    }
}

void pt_dropout_backward(float *dx, const float *dy, const uint8_t *keep, size_t n, float p)
{
    uint32_t cut;
    float scale = keep_scale(p, &cut);
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) dx[i] = keep[i] ? dy[i] * scale : 0.0f;
}
