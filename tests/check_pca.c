/* check_pca.c: tests of Chapter 3 (covariance, eigensolvers, PCA). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_pca.h"

typedef int (*eig_fn)(float *w, float *v, const float *a, int d);

static int jacobi_plain(float *w, float *v, const float *a, int d)
{
    return pt_eig_jacobi(w, v, a, d, 1e-10, NULL, NULL);
}

/* a[d][d] = (g + g^T)/2 with g standard normal */
static float *random_symmetric(int d, unsigned long long seed)
{
    pt_rng rng;
    float *a = malloc(sizeof(float) * (size_t)d * d);
    pt_rng_seed(&rng, seed);
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            float x = (float)pt_rng_normal(&rng);
            a[(size_t)i * d + j] = a[(size_t)j * d + i] = x;
        }
    return a;
}

/* The whole contract of an eigensolver on a[d][d]; returns w (caller frees). */
static float *check_solver(eig_fn solve, const float *a, int d, float *v)
{
    float *w = malloc(sizeof(float) * d);
    ck_assert_int_eq(solve(w, v, a, d), 0);
    ck_assert_double_le(pt_eig_residual(a, w, v, d, d), 1e-4);
    ck_assert_double_le(pt_eig_orth_error(v, d, d), 1e-4);
    for (int i = 1; i < d; i++) ck_assert_float_le(w[i], w[i - 1]);
    for (int i = 0; i < d; i++) {               /* largest entry positive */
        const float *vi = v + (size_t)i * d;
        int big = 0;
        for (int j = 1; j < d; j++) if (fabsf(vi[j]) > fabsf(vi[big])) big = j;
        ck_assert_float_gt(vi[big], 0);
    }
    return w;
}

START_TEST(test_covariance_matches_naive_loop)
{
    int n = 203, d = 17;
    pt_rng rng;
    float *x = malloc(sizeof(float) * n * d), *mu = malloc(sizeof(float) * d);
    float *c = malloc(sizeof(float) * d * d);
    double *xd = malloc(sizeof(double) * n * d), md[17] = { 0 };
    pt_rng_seed(&rng, 11);
    for (int l = 0; l < n * d; l++) xd[l] = x[l] = pt_rng_uniform(&rng) + (float)(l % d);
    pt_col_mean(mu, x, n, d);
    pt_center(x, mu, n, d);
    pt_covariance(c, x, n, d);
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) md[j] += xd[i * d + j] / n;
    for (int j = 0; j < d; j++) ck_assert_double_eq_tol(mu[j], md[j], 1e-4);
    for (int j = 0; j < d; j++)
        for (int l = 0; l < d; l++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (xd[i * d + j] - md[j]) * (xd[i * d + l] - md[l]);
            ck_assert_double_eq_tol(c[j * d + l], s / (n - 1), 1e-5);
        }
    free(x); free(mu); free(c); free(xd);
}
END_TEST

START_TEST(test_rotation_zeroes_the_pair)
{
    static const double cases[][3] = {
        { 2, 2, 1 }, { 1, 5, -3 }, { -4, 0.5, 1e-3 }, { 3, -7, 20 }, { 1e-200, 1, 1e-200 }
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double app = cases[i][0], aqq = cases[i][1], apq = cases[i][2], c, s, t;
        pt_jacobi_rotation(app, aqq, apq, &c, &s, &t);
        ck_assert_double_eq_tol(c * c + s * s, 1, 1e-14);
        ck_assert_double_le(fabs(t), 1);                    /* |phi| <= pi/4 */
        double bpq = (c * c - s * s) * apq + c * s * (app - aqq);
        double bpp = c * c * app - 2 * c * s * apq + s * s * aqq;
        double bqq = s * s * app + 2 * c * s * apq + c * c * aqq;
        double scale = fabs(app) + fabs(aqq) + fabs(apq);
        ck_assert_double_le(fabs(bpq), 1e-14 * scale);
        ck_assert_double_eq_tol(bpp, app - t * apq, 1e-13 * scale);
        ck_assert_double_eq_tol(bqq, aqq + t * apq, 1e-13 * scale);
    }
}
END_TEST

START_TEST(test_two_by_two_by_hand)
{
    /* [[2 1][1 2]]: eigenvalues 3 and 1, vectors (1,1)/sqrt2, (1,-1)/sqrt2 */
    const float a[4] = { 2, 1, 1, 2 };
    eig_fn solvers[2] = { pt_eig_lapack, jacobi_plain };
    for (int k = 0; k < 2; k++) {
        float w[2], v[4];
        ck_assert_int_eq(solvers[k](w, v, a, 2), 0);
        ck_assert_float_eq_tol(w[0], 3, 1e-6);
        ck_assert_float_eq_tol(w[1], 1, 1e-6);
        ck_assert_float_eq_tol(v[0], 0.70710678f, 1e-6);
        ck_assert_float_eq_tol(v[1], 0.70710678f, 1e-6);
        ck_assert_float_eq_tol(fabsf(v[2]), 0.70710678f, 1e-6);
        ck_assert_float_eq_tol(v[2] + v[3], 0, 1e-6);
    }
}
END_TEST

START_TEST(test_bad_size_fails)
{
    float w[1], v[1], a[1] = { 1 };
    ck_assert_int_eq(pt_eig_lapack(w, v, a, 0), -1);
    ck_assert_int_eq(pt_eig_jacobi(w, v, a, -3, 1e-10, NULL, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "not positive"));
    ck_assert_int_eq(pt_eig_jacobi(w, v, a, 1, 1e-10, NULL, NULL), 0);
    ck_assert_float_eq(w[0], 1);
    ck_assert_float_eq(v[0], 1);
}
END_TEST

START_TEST(test_solvers_on_random_symmetric)
{
    static const int sizes[] = { 1, 3, 37, 64, 129 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int d = sizes[s];
        float *a = random_symmetric(d, 100 + s);
        float *vl = malloc(sizeof(float) * d * d), *vj = malloc(sizeof(float) * d * d);
        float *wl = check_solver(pt_eig_lapack, a, d, vl);
        float *wj = check_solver(jacobi_plain, a, d, vj);
        double scale = fabs(wl[0]) > fabs(wl[d - 1]) ? fabs(wl[0]) : fabs(wl[d - 1]);
        for (int i = 0; i < d; i++) ck_assert_double_le(fabs(wl[i] - wj[i]), 1e-5 * scale);
        free(a); free(vl); free(vj); free(wl); free(wj);
    }
}
END_TEST

/* Covariance of Fashion-MNIST training images pooled 2x2 to 14x14. */
START_TEST(test_solvers_on_a_real_covariance)
{
    pt_dataset ds;
    int n = 2000, d = 196;
    ck_assert_msg(pt_fmnist_load(&ds, pt_fmnist_dir(NULL), "train", n) == 0, "%s", pt_errmsg());
    n = ds.n;
    float *x = malloc(sizeof(float) * n * d), *mu = malloc(sizeof(float) * d);
    float *c = malloc(sizeof(float) * d * d);
    for (int i = 0; i < n; i++)
        for (int r = 0; r < 14; r++)
            for (int q = 0; q < 14; q++) {
                const float *p = ds.x + (size_t)i * 784 + 2 * r * 28 + 2 * q;
                x[(size_t)i * d + r * 14 + q] = (p[0] + p[1] + p[28] + p[29]) / 4;
            }
    pt_col_mean(mu, x, n, d);
    pt_center(x, mu, n, d);
    pt_covariance(c, x, n, d);
    float *vl = malloc(sizeof(float) * d * d), *vj = malloc(sizeof(float) * d * d);
    float *wl = check_solver(pt_eig_lapack, c, d, vl);
    float *wj = check_solver(jacobi_plain, c, d, vj);
    for (int i = 0; i < d; i++) ck_assert_double_le(fabs(wl[i] - wj[i]), 1e-5 * wl[0]);
    for (int i = 0; i < 5; i++) {               /* leading vectors agree */
        double dot = 0;
        for (int j = 0; j < d; j++) dot += (double)vl[i * d + j] * vj[i * d + j];
        ck_assert_double_gt(fabs(dot), 0.999);
    }
    ck_assert_double_ge(wl[d - 1], -1e-5 * wl[0]);     /* positive semidefinite */
    free(x); free(mu); free(c); free(vl); free(vj); free(wl); free(wj);
    pt_dataset_free(&ds);
}
END_TEST

/* Orthonormal axes u[k][d] by Gram-Schmidt on random vectors. */
static void random_axes(float *u, int k, int d, pt_rng *rng)
{
    for (int i = 0; i < k; i++) {
        double *t = malloc(sizeof(double) * d), nrm = 0;
        for (int j = 0; j < d; j++) t[j] = pt_rng_normal(rng);
        for (int p = 0; p < i; p++) {
            double dot = 0;
            for (int j = 0; j < d; j++) dot += t[j] * u[p * d + j];
            for (int j = 0; j < d; j++) t[j] -= dot * u[p * d + j];
        }
        for (int j = 0; j < d; j++) nrm += t[j] * t[j];
        for (int j = 0; j < d; j++) u[i * d + j] = (float)(t[j] / sqrt(nrm));
        free(t);
    }
}

START_TEST(test_pca_recovers_known_axes)
{
    enum { N = 4000, D = 20, K = 4 };
    static const double sigma[K] = { 5, 3, 2, 1.2 };   /* the rest: 0.1 */
    pt_rng rng;
    float *u = malloc(sizeof(float) * D * D), *x = malloc(sizeof(float) * N * D);
    float mu[D], c[D * D], w[D], v[D * D];
    pt_rng_seed(&rng, 7);
    random_axes(u, D, D, &rng);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) x[i * D + j] = 3.0f + (float)j;  /* a mean */
    for (int i = 0; i < N; i++)
        for (int a = 0; a < D; a++) {
            float g = (float)((a < K ? sigma[a] : 0.1) * pt_rng_normal(&rng));
            for (int j = 0; j < D; j++) x[i * D + j] += g * u[a * D + j];
        }
    pt_col_mean(mu, x, N, D);
    pt_center(x, mu, N, D);
    pt_covariance(c, x, N, D);
    eig_fn solvers[2] = { pt_eig_lapack, jacobi_plain };
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(solvers[s](w, v, c, D), 0);
        for (int a = 0; a < K; a++) {
            double dot = 0;
            for (int j = 0; j < D; j++) dot += (double)v[a * D + j] * u[a * D + j];
            ck_assert_double_gt(fabs(dot), 0.99);
            ck_assert_double_eq_tol(w[a], sigma[a] * sigma[a], 0.1 * sigma[a] * sigma[a]);
        }
    }
    free(u); free(x);
}
END_TEST

START_TEST(test_pca_fit_is_the_steps_and_keeps_its_input)
{
    enum { N = 500, D = 12 };
    pt_rng rng;
    float *x = malloc(sizeof(float) * N * D), *copy = malloc(sizeof(float) * N * D);
    float mu[D], w[D], v[D * D], mu2[D], w2[D], v2[D * D], c[D * D];
    pt_rng_seed(&rng, 11);
    for (int i = 0; i < N * D; i++) x[i] = (float)(pt_rng_normal(&rng) * (1 + i % D) + i % 3);
    memcpy(copy, x, sizeof(float) * N * D);
    ck_assert_int_eq(pt_pca_fit(mu, w, v, x, N, D), 0);
    ck_assert_mem_eq(x, copy, sizeof(float) * N * D);            /* untouched */
    pt_col_mean(mu2, copy, N, D);                                 /* the steps by hand */
    pt_center(copy, mu2, N, D);
    pt_covariance(c, copy, N, D);
    ck_assert_int_eq(pt_eig_lapack(w2, v2, c, D), 0);
    ck_assert_mem_eq(mu, mu2, sizeof mu);
    ck_assert_mem_eq(w, w2, sizeof w);
    ck_assert_mem_eq(v, v2, sizeof v);
    for (int i = 1; i < D; i++) ck_assert_float_le(w[i], w[i - 1]);   /* descending */
    ck_assert_int_eq(pt_pca_fit(mu, w, v, x, 1, D), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "2 rows"));
    free(x); free(copy);
}
END_TEST

START_TEST(test_reconstruction_with_all_components_is_exact)
{
    enum { N = 100, D = 30 };
    pt_rng rng;
    float *x = malloc(sizeof(float) * N * D), *xc = malloc(sizeof(float) * N * D);
    float *z = malloc(sizeof(float) * N * D), *xr = malloc(sizeof(float) * N * D);
    float mu[D], c[D * D], w[D], v[D * D];
    pt_rng_seed(&rng, 3);
    for (int l = 0; l < N * D; l++) x[l] = pt_rng_uniform(&rng);
    memcpy(xc, x, sizeof(float) * N * D);
    pt_col_mean(mu, xc, N, D);
    pt_center(xc, mu, N, D);
    pt_covariance(c, xc, N, D);
    ck_assert_int_eq(pt_eig_lapack(w, v, c, D), 0);
    pt_pca_project(z, x, mu, v, N, D, D);
    for (int l = 0; l < D; l++) {               /* codes have mean zero */
        double s = 0;
        for (int i = 0; i < N; i++) s += z[i * D + l];
        ck_assert_double_le(fabs(s / N), 1e-5);
    }
    pt_pca_reconstruct(xr, z, mu, v, N, D, D);
    for (int l = 0; l < N * D; l++) ck_assert_float_eq_tol(xr[l], x[l], 1e-5);
    ck_assert_double_le(pt_pca_mse(x, xr, N, D), 1e-11);
    /* with k < D the error is the discarded variance (eq. pca-recon) */
    pt_pca_project(z, x, mu, v, N, D, 5);
    pt_pca_reconstruct(xr, z, mu, v, N, D, 5);
    double rest = 0;
    for (int l = 5; l < D; l++) rest += w[l];
    ck_assert_double_eq_tol(pt_pca_mse(x, xr, N, D) * N * D / (N - 1), rest, 1e-4 * rest);
    free(x); free(xc); free(z); free(xr);
}
END_TEST

START_TEST(test_explained_variance_by_hand)
{
    const float w[4] = { 4, 3, 2, 1 };
    double ratio[4], cum[4];
    pt_pca_explained(ratio, cum, w, 4);
    ck_assert_double_eq_tol(ratio[0], 0.4, 1e-12);
    ck_assert_double_eq_tol(ratio[3], 0.1, 1e-12);
    ck_assert_double_eq_tol(cum[1], 0.7, 1e-12);
    ck_assert_double_eq_tol(cum[3], 1.0, 1e-12);
    ck_assert_int_eq(pt_pca_components(cum, 4, 0.5), 2);
    ck_assert_int_eq(pt_pca_components(cum, 4, 0.85), 3);
    ck_assert_int_eq(pt_pca_components(cum, 4, 0.95), 4);
    ck_assert_int_eq(pt_pca_components(cum, 4, 0.1), 1);
}
END_TEST

Suite *pca_suite(void)
{
    Suite *s = suite_create("pca");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 30);   /* the real-covariance case does a 196x196 Jacobi run and loads data */
    tcase_add_test(t, test_covariance_matches_naive_loop);
    tcase_add_test(t, test_rotation_zeroes_the_pair);
    tcase_add_test(t, test_two_by_two_by_hand);
    tcase_add_test(t, test_bad_size_fails);
    tcase_add_test(t, test_solvers_on_random_symmetric);
    tcase_add_test(t, test_solvers_on_a_real_covariance);
    tcase_add_test(t, test_pca_recovers_known_axes);
    tcase_add_test(t, test_pca_fit_is_the_steps_and_keeps_its_input);
    tcase_add_test(t, test_reconstruction_with_all_components_is_exact);
    tcase_add_test(t, test_explained_variance_by_hand);
    suite_add_tcase(s, t);
    return s;
}
