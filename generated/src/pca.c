/* Tangled from chapters/03-pca.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pca.c: projection, reconstruction, explained variance, the reference
   matrix product's speed (Chapter 3). */
#include <string.h>
#include <cblas.h>
#include <stdlib.h>
#include "pt_data.h"
#include "pt_pca.h"

/* <Fit the principal components of a set of rows> */
int pt_pca_fit(float *mu, float *w, float *v, const float *x, int n, int d)
{
    if (n < 2 || d < 1) return pt_fail("pt_pca_fit: need 2 rows or more, not %d of size %d", n, d);
    float *xc = malloc(sizeof(float) * (size_t)n * d);
    float *cov = malloc(sizeof(float) * (size_t)d * d);
    int status = !xc || !cov ? pt_fail("pt_pca_fit: out of memory for %d rows of %d", n, d) : 0;
    if (status == 0) {
        memcpy(xc, x, sizeof(float) * (size_t)n * d);
        pt_col_mean(mu, xc, n, d);
        pt_center(xc, mu, n, d);
        pt_covariance(cov, xc, n, d);
        status = pt_eig_lapack(w, v, cov, d);
    }
    free(xc); free(cov);
    return status;
}
/* <Project onto the leading components> */
void pt_pca_project(float *z, const float *x, const float *mu,
                    const float *v, int n, int d, int k)
{
    if (n <= 0 || k <= 0) return;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, k, d, -1.0f, v, d, mu, 1,
                0.0f, z, 1);                    /* row 0 = -V_k mu */
    for (int i = 1; i < n; i++) memcpy(z + (size_t)i * k, z, sizeof(float) * k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1.0f,
                x, d, v, d, 1.0f, z, k);
}
/* <Reconstruct from the leading components> */
void pt_pca_reconstruct(float *xr, const float *z, const float *mu,
                        const float *v, int n, int d, int k)
{
    for (int i = 0; i < n; i++) memcpy(xr + (size_t)i * d, mu, sizeof(float) * d);
    if (n <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, k, 1.0f,
                z, k, v, d, 1.0f, xr, d);
}
/* <Measure the mean squared error> */
double pt_pca_mse(const float *x, const float *xr, int n, int d)
{
    double s = 0;
    long long nd = (long long)n * d;
    #pragma omp parallel for reduction(+ : s) schedule(static)
    for (long long l = 0; l < nd; l++) {
        double e = (double)x[l] - xr[l];
        s += e * e;
    }
    return nd > 0 ? s / nd : 0;
}
/* <Compute the explained variance> */
void pt_pca_explained(double *ratio, double *cum, const float *w, int d)
{
    double total = 0, run = 0;
    for (int i = 0; i < d; i++) total += w[i];
    for (int i = 0; i < d; i++) {
        ratio[i] = total > 0 ? w[i] / total : 0;
        run += ratio[i];
        cum[i] = run;
    }
}

int pt_pca_components(const double *cum, int d, double f)
{
    for (int k = 1; k <= d; k++)
        if (cum[k - 1] >= f) return k;
    return d;
}
/* <Time cblas_sgemm> */
double pt_sgemm_gflops(int m, int n, int k, int reps)
{
    size_t na = (size_t)m * k, nb = (size_t)k * n;
    float *a = malloc(sizeof(float) * (na + nb + (size_t)m * n));
    if (!a) return 0;
    for (size_t i = 0; i < na + nb; i++) a[i] = (float)(i % 17) / 17.0f;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = pt_seconds();
        for (int r = 0; r < reps; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
                        a + na, n, 0.0f, a + na + nb, n);
        double gf = reps * 2.0 * m * n * k / (pt_seconds() - t0) / 1e9;
        if (rep && gf > best) best = gf;
    }
    free(a);
    return best;
}
