/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* stats.c: column means, standard deviations, covariance and correlation. */
#include "pt_data.h"
#include <cblas.h>
#include <math.h>
/* <Sum the columns of x block by block> */
#define PT_COL_BLOCK 64
void pt_col_mean(float *mu, const float *x, int n, int d)
{
    for (int j0 = 0; j0 < d; j0 += PT_COL_BLOCK) {
        int w = d - j0 < PT_COL_BLOCK ? d - j0 : PT_COL_BLOCK;
        double acc[PT_COL_BLOCK] = {0};
        for (int i = 0; i < n; i++) {
            const float *row = x + (size_t)i * d + j0;
            for (int j = 0; j < w; j++)
                acc[j] += row[j];
        }
        for (int j = 0; j < w; j++)
            mu[j0 + j] = n > 0 ? (float)(acc[j] / n) : 0.0f;
    }
}
/* <Sum squared deviations block by block> */
void pt_col_std(float *sd, const float *x, const float *mu, int n, int d)
{
    for (int j0 = 0; j0 < d; j0 += PT_COL_BLOCK) {
        int w = d - j0 < PT_COL_BLOCK ? d - j0 : PT_COL_BLOCK;
        double acc[PT_COL_BLOCK] = {0};
        for (int i = 0; i < n; i++) {
            const float *row = x + (size_t)i * d + j0;
            for (int j = 0; j < w; j++) {
                double e = (double)row[j] - mu[j0 + j];
                acc[j] += e * e;
            }
        }
        for (int j = 0; j < w; j++)
            sd[j0 + j] = n > 1 ? (float)sqrt(acc[j] / (n - 1)) : 0.0f;
    }
}
/* <Centre and standardise in place> */
void pt_center(float *x, const float *mu, int n, int d)
{
    for (int i = 0; i < n; i++) {
        float *row = x + (size_t)i * d;
        for (int j = 0; j < d; j++)
            row[j] -= mu[j];
    }
}

void pt_standardize(float *x, const float *mu, const float *sd, int n, int d)
{
    for (int i = 0; i < n; i++) {
        float *row = x + (size_t)i * d;
        for (int j = 0; j < d; j++)
            row[j] = (row[j] - mu[j]) / (sd[j] > 0 ? sd[j] : 1.0f);
    }
}
/* <Compute the covariance with cblas_sgemm> */
void pt_covariance_gemm(float *c, const float *xc, int n, int d)
{
    float alpha = n > 1 ? 1.0f / (float)(n - 1) : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n,
                alpha, xc, d, xc, d, 0.0f, c, d);
}
/* <Compute the covariance with cblas_ssyrk> */
void pt_covariance(float *c, const float *xc, int n, int d)
{
    float alpha = n > 1 ? 1.0f / (float)(n - 1) : 0.0f;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n,
                alpha, xc, d, 0.0f, c, d);
    for (int j = 0; j < d; j++)          /* mirror: C[k][j] = C[j][k] for j < k */
        for (int k = j + 1; k < d; k++)
            c[(size_t)k * d + j] = c[(size_t)j * d + k];
}
/* <Turn a covariance into a correlation> */
void pt_correlation(float *r, const float *c, int d)
{
    for (int j = 0; j < d; j++)
        for (int k = 0; k < d; k++) {
            double v = (double)c[(size_t)j * d + j] * c[(size_t)k * d + k];
            double q = v > 0 ? c[(size_t)j * d + k] / sqrt(v) : 0.0;
            r[(size_t)j * d + k] = (float)(q > 1 ? 1 : q < -1 ? -1 : q);
        }
}
