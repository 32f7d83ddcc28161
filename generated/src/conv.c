/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* conv.c: 2-D convolution, direct and by im2col (Chapter 4). */
#include <string.h>
#include <cblas.h>
#include "pt_nn.h"

/* <Describe a convolution's shapes> */
pt_conv_shape pt_conv_shape_make(int c, int h, int w, int f, int k, int stride, int pad)
{
    pt_conv_shape s = { c, h, w, f, k, stride, pad, 0, 0 };
    if (stride > 0 && h + 2 * pad >= k && w + 2 * pad >= k) {
        s.oh = (h + 2 * pad - k) / stride + 1;
        s.ow = (w + 2 * pad - k) / stride + 1;
    }
    return s;
}
size_t pt_conv_workspace(const pt_conv_shape *s, int n)
{
    return ((size_t)s->c * s->k * s->k + s->f) * (size_t)n * s->oh * s->ow;
}
/* <Convolve by the direct loop> */
void pt_conv2d_forward_direct(float *y, const float *x, const float *w,
                              const float *b, const pt_conv_shape *s, int n)
{
    int K = s->k;
    #pragma omp parallel for collapse(2) schedule(static) \
        if ((size_t)n * s->f * s->oh * s->ow * s->c * K * K > 65536)
    for (int i = 0; i < n; i++)
        for (int f = 0; f < s->f; f++)
            for (int r = 0; r < s->oh; r++)
                for (int t = 0; t < s->ow; t++) {
                    float acc = b ? b[f] : 0;
                    /* <Sum the filter over the window at (r, t)> */
                    for (int c = 0; c < s->c; c++)
                        for (int a = 0; a < K; a++) {
                            int row = r * s->stride - s->pad + a;
                            if (row < 0 || row >= s->h) continue;
                            for (int e = 0; e < K; e++) {
                                int col = t * s->stride - s->pad + e;
                                if (col < 0 || col >= s->w) continue;
                                acc += w[(((size_t)f * s->c + c) * K + a) * K + e]
                                     * x[(((size_t)i * s->c + c) * s->h + row) * s->w + col];
                            }
                        }
                    y[(((size_t)i * s->f + f) * s->oh + r) * s->ow + t] = acc;
                }
}
/* <Copy the receptive fields into columns> */
void pt_im2col(float *col, const float *x, const pt_conv_shape *s, int n)
{
    int K = s->k, P = s->oh * s->ow;
    size_t nP = (size_t)n * P;
    #pragma omp parallel for schedule(static) if (nP * s->c * K * K > 65536)
    for (int q = 0; q < s->c * K * K; q++) {
        int c = q / (K * K), a = q / K % K, e = q % K;
        float *out = col + (size_t)q * nP;
        /* <Find the output columns t0, t1) that read inside the image> */
        int t0 = 0, t1 = s->ow;
        while (t0 < s->ow && t0 * s->stride - s->pad + e < 0) t0++;
        while (t1 > t0 && (t1 - 1) * s->stride - s->pad + e >= s->w) t1--;
        for (int i = 0; i < n; i++) {
            const float *xc = x + ((size_t)i * s->c + c) * s->h * s->w;
            /* <Copy one image's shifted channel into the row> */
            for (int r = 0; r < s->oh; r++) {
                int row = r * s->stride - s->pad + a;
                float *o = out + (size_t)i * P + (size_t)r * s->ow;
                if (row < 0 || row >= s->h) { memset(o, 0, sizeof(float) * s->ow); continue; }
                const float *xr = xc + (size_t)row * s->w - s->pad + e;
                int t = 0;
                for (; t < t0; t++) o[t] = 0;
                if (s->stride == 1) memcpy(o + t0, xr + t0, sizeof(float) * (t1 - t0));
                else for (t = t0; t < t1; t++) o[t] = xr[(size_t)t * s->stride];
                for (t = t1; t < s->ow; t++) o[t] = 0;
            }
        }
    }
}
/* <Convolve by im2col and one matrix product> */
void pt_conv2d_forward(float *y, const float *x, const float *w, const float *b,
                       float *work, const pt_conv_shape *s, int n)
{
    int ckk = s->c * s->k * s->k, P = s->oh * s->ow;
    size_t nP = (size_t)n * P;
    float *col = work, *yt = work + (size_t)ckk * nP;
    pt_im2col(col, x, s, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->f, (int)nP, ckk,
                1.0f, w, ckk, col, (int)nP, 0.0f, yt, (int)nP);
    #pragma omp parallel for collapse(2) schedule(static) if (nP * s->f > 65536)
    for (int i = 0; i < n; i++)
        for (int f = 0; f < s->f; f++) {
            float *yo = y + ((size_t)i * s->f + f) * P;
            const float *yi = yt + (size_t)f * nP + (size_t)i * P;
            float bf = b ? b[f] : 0;
            for (int p = 0; p < P; p++) yo[p] = yi[p] + bf;
        }
}
/* <Fold the columns back onto the image> */
void pt_col2im(float *dx, const float *col, const pt_conv_shape *s, int n)
{
    int K = s->k, P = s->oh * s->ow;
    size_t nP = (size_t)n * P;
    #pragma omp parallel for schedule(static) if (nP * s->c * K * K > 65536)
    for (int c = 0; c < s->c; c++)
        for (int a = 0; a < K; a++)
            for (int e = 0; e < K; e++) {
                const float *in = col + ((size_t)(c * K + a) * K + e) * nP;
                /* <Find the output columns t0, t1) that read inside the image> */
                int t0 = 0, t1 = s->ow;
                while (t0 < s->ow && t0 * s->stride - s->pad + e < 0) t0++;
                while (t1 > t0 && (t1 - 1) * s->stride - s->pad + e >= s->w) t1--;
                for (int i = 0; i < n; i++) {
                    float *xc = dx + ((size_t)i * s->c + c) * s->h * s->w;
                    /* <Add one row's gradients to the shifted channel> */
                    for (int r = 0; r < s->oh; r++) {
                        int row = r * s->stride - s->pad + a;
                        if (row < 0 || row >= s->h) continue;
                        const float *g = in + (size_t)i * P + (size_t)r * s->ow;
                        float *xr = xc + (size_t)row * s->w - s->pad + e;
                        for (int t = t0; t < t1; t++) xr[(size_t)t * s->stride] += g[t];
                    }
                }
            }
}
/* <Differentiate a convolution> */
void pt_conv2d_backward(float *dx, float *dw, float *db, const float *dy,
                        const float *x, const float *w, float *work,
                        const pt_conv_shape *s, int n)
{
    int ckk = s->c * s->k * s->k, P = s->oh * s->ow;
    size_t nP = (size_t)n * P;
    float *col = work, *dyt = work + (size_t)ckk * nP;
    /* <Gather dy with filters first and sum the bias gradient> */
    #pragma omp parallel for schedule(static) if (nP * s->f > 65536)
    for (int f = 0; f < s->f; f++) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            const float *g = dy + ((size_t)i * s->f + f) * P;
            float *o = dyt + (size_t)f * nP + (size_t)i * P;
            for (int p = 0; p < P; p++) { o[p] = g[p]; sum += g[p]; }
        }
        if (db) db[f] += sum;
    }
    pt_im2col(col, x, s, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->f, ckk, (int)nP,
                1.0f, dyt, (int)nP, col, (int)nP, 1.0f, dw, ckk);
    if (!dx) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, (int)nP, s->f,
                1.0f, w, ckk, dyt, (int)nP, 0.0f, col, (int)nP);
    memset(dx, 0, sizeof(float) * (size_t)n * s->c * s->h * s->w);
    pt_col2im(dx, col, s, n);
}
