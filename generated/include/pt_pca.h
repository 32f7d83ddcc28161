/* Tangled from chapters/03-pca.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_pca.h: principal component analysis (Chapter 3). */
#ifndef PT_PCA_H
#define PT_PCA_H
#include "pt_base.h"

/* <Declare the symmetric eigensolvers> */
/* Eigenpairs of the symmetric matrix a[d][d] (row-major, both triangles
   filled; a is not modified).  On success w[d] holds the eigenvalues in
   descending order and row i of v[d][d] is a unit eigenvector of w[i],
   a v_i = w_i v_i, with its entry of largest magnitude positive.
   Return 0, or -1 after pt_fail. */
int pt_eig_lapack(float *w, float *v, const float *a, int d);

typedef struct pt_jacobi_stats {
    int sweeps;          /* sweeps over all pairs performed  */
    long long rotations; /* rotations applied                */
    double off;          /* final off(A) / ||A||_F           */
} pt_jacobi_stats;

/* The same contract, by cyclic Jacobi rotations in double precision,
   stopping when off(A) <= tol ||A||_F.  progress, stats may be NULL. */
int pt_eig_jacobi(float *w, float *v, const float *a, int d, double tol,
                  pt_progress *progress, pt_jacobi_stats *stats);

/* The rotation c = cos(phi), s = sin(phi), t = tan(phi), |phi| <= pi/4,
   that zeroes the off-diagonal of [app apq; apq aqq]. */
void pt_jacobi_rotation(double app, double aqq, double apq,
                        double *c, double *s, double *t);
/* <Declare the checks of an eigendecomposition> */
/* max over i < k of ||a v_i - w_i v_i|| / ||a||_F */
double pt_eig_residual(const float *a, const float *w, const float *v,
                       int d, int k);
/* max over i, j < k of |v_i . v_j - delta_ij| */
double pt_eig_orth_error(const float *v, int d, int k);
/* <Declare projection and reconstruction> */
/* mu[d], the eigenvalues w[d] (descending) and eigenvectors v[d][d] (rows)
   of the covariance of x[n][d]; x is left as it was.  Return 0, or -1. */
int  pt_pca_fit(float *mu, float *w, float *v, const float *x, int n, int d);
/* z[n][k] = (x[n][d] - mu[d]) v[k][d]^T: codes on the first k components */
void pt_pca_project(float *z, const float *x, const float *mu,
                    const float *v, int n, int d, int k);
/* xr[n][d] = mu[d] + z[n][k] v[k][d] */
void pt_pca_reconstruct(float *xr, const float *z, const float *mu,
                        const float *v, int n, int d, int k);
/* the mean over all n*d entries of (x - xr)^2 */
double pt_pca_mse(const float *x, const float *xr, int n, int d);
/* <Declare the explained variance> */
/* ratio[i] = w[i] / sum(w), cum[i] = ratio[0] + ... + ratio[i] */
void pt_pca_explained(double *ratio, double *cum, const float *w, int d);
/* the smallest k with cum[k-1] >= f, or d if there is none */
int pt_pca_components(const double *cum, int d, double f);
/* <Declare the reference matrix product> */
/* GFLOP/s of cblas_sgemm multiplying [m x k] by [k x n]: the best of
   four timed runs of `reps` products each, after one to warm the caches;
   0 if out of memory */
double pt_sgemm_gflops(int m, int n, int k, int reps);

#endif
