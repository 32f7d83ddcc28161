/* check_adapt.c: tests of Chapter 5 (split, L-BFGS, logistic regression). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_adapt.h"

/* ---- L-BFGS on a convex quadratic f = x^T A x / 2 - b^T x ---- */

typedef struct { int n; const double *a, *b; int evals; } quadratic;

static double quad_f(double *g, const double *x, void *ctx)
{
    quadratic *q = ctx;
    double f = 0;
    q->evals++;
    for (int i = 0; i < q->n; i++) {
        double ax = 0;
        for (int j = 0; j < q->n; j++) ax += q->a[i * q->n + j] * x[j];
        g[i] = ax - q->b[i];
        f += 0.5 * x[i] * ax - q->b[i] * x[i];
    }
    return f;
}

START_TEST(test_lbfgs_minimises_a_quadratic)
{
    enum { N = 30 };
    static double a[N * N], b[N], m[N * N], x[N], xs[N];
    pt_rng r;
    pt_rng_seed(&r, 5);
    /* A = M^T M + 0.1 I: symmetric positive definite, condition ~1e3 */
    for (int i = 0; i < N * N; i++) m[i] = pt_rng_normal(&r);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = i == j ? 0.1 : 0;
            for (int l = 0; l < N; l++) s += m[l * N + i] * m[l * N + j];
            a[i * N + j] = s;
        }
    /* choose the minimiser, then b = A x* */
    for (int i = 0; i < N; i++) xs[i] = pt_rng_normal(&r);
    for (int i = 0; i < N; i++) {
        b[i] = 0;
        for (int j = 0; j < N; j++) b[i] += a[i * N + j] * xs[j];
    }
    /* with m = 10 pairs and with m = 2N (nearly full BFGS, which needs few
       iterations on a quadratic); line searches mostly accept the first step */
    static const int ms[2] = { 10, 2 * N }, most[2] = { 300, 100 };
    for (int t = 0; t < 2; t++) {
        quadratic q = { N, a, b, 0 };
        pt_lbfgs_opts o = pt_lbfgs_defaults();
        o.m = ms[t];
        o.gtol = 1e-8;
        o.ftol = 0;
        pt_lbfgs_report rep;
        memset(x, 0, sizeof x);
        ck_assert_int_eq(pt_lbfgs(x, N, quad_f, &q, &o, &rep), 0);
        ck_assert_int_eq(rep.status, PT_LBFGS_CONVERGED);
        ck_assert_int_eq(rep.evals, q.evals);
        ck_assert_int_le(rep.iters, most[t]);
        ck_assert_int_le(rep.evals, rep.iters + rep.iters / 4 + 5);
        for (int i = 0; i < N; i++) ck_assert_double_eq_tol(x[i], xs[i], 1e-6);
    }
}
END_TEST

START_TEST(test_lbfgs_reports_max_iter)
{
    static const double a[4] = { 1, 0, 0, 1000 }, b[2] = { 1, 1 };
    double x[2] = { 0, 0 };
    quadratic q = { 2, a, b, 0 };
    pt_lbfgs_opts o = pt_lbfgs_defaults();
    o.max_iter = 1;
    o.gtol = 1e-12;
    pt_lbfgs_report rep;
    ck_assert_int_eq(pt_lbfgs(x, 2, quad_f, &q, &o, &rep), 0);
    ck_assert_int_eq(rep.status, PT_LBFGS_MAX_ITER);
    ck_assert_int_eq(rep.iters, 1);
}
END_TEST

/* ---- logistic regression ---- */

/* n rows of d standard normal features; labels from a random linear rule
   with label noise, so the classes overlap and the optimum is finite */
static void toy_problem(float *x, unsigned char *y, int n, int d, int k,
                        unsigned long long seed)
{
    pt_rng r;
    pt_rng_seed(&r, seed);
    float wt[8 * 16];
    for (int l = 0; l < k * d; l++) wt[l] = (float)pt_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bs = -1e30;
        for (int j = 0; j < d; j++) x[i * d + j] = (float)pt_rng_normal(&r);
        for (int c = 0; c < k; c++) {
            double s = 0.7 * pt_rng_normal(&r);
            for (int j = 0; j < d; j++) s += wt[c * d + j] * x[i * d + j];
            if (s > bs) { bs = s; best = c; }
        }
        y[i] = (unsigned char)best;
    }
}

START_TEST(test_logreg_gradient_matches_finite_differences)
{
    enum { N = 40, D = 6, K = 3 };
    float x[N * D], w[K * (D + 1)];
    unsigned char y[N];
    double g[K * (D + 1)];
    pt_rng r;
    toy_problem(x, y, N, D, K, 3);
    pt_rng_seed(&r, 4);
    for (int l = 0; l < K * (D + 1); l++) w[l] = (float)(0.5 * pt_rng_normal(&r));
    double lambda = 0.3;
    double f = pt_logreg_loss(g, w, x, y, N, D, K, lambda);
    ck_assert(isfinite(f));
    for (int l = 0; l < K * (D + 1); l++) {
        float save = w[l], h = 1e-2f;
        w[l] = save + h;
        double fp = pt_logreg_loss(NULL, w, x, y, N, D, K, lambda);
        w[l] = save - h;
        double fm = pt_logreg_loss(NULL, w, x, y, N, D, K, lambda);
        w[l] = save;
        double fd = (fp - fm) / (2 * (double)h);
        ck_assert_msg(fabs(fd - g[l]) <= 2e-4 + 1e-3 * fabs(fd),
                      "entry %d: finite difference %g, gradient %g", l, fd, g[l]);
    }
}
END_TEST

START_TEST(test_logreg_loss_at_zero_is_log_k)
{
    enum { N = 10, D = 3, K = 4 };
    float x[N * D], w[K * (D + 1)] = { 0 };
    unsigned char y[N];
    toy_problem(x, y, N, D, K, 9);
    ck_assert_double_eq_tol(pt_logreg_loss(NULL, w, x, y, N, D, K, 1.0), log(K), 1e-6);
}
END_TEST

/* Two classes, one feature, points x = +1 (label 1 with frequency 1-q)
   and x = -1 (label 0 with frequency 1-q).  By symmetry the biases are 0
   and w_1 = -w_0 = t/2, where t solves sigma(t) - (1-q) + lambda t / 2 = 0. */
static double symmetric_optimum(double q, double lambda)
{
    double lo = 0, hi = 50;
    for (int it = 0; it < 200; it++) {
        double t = (lo + hi) / 2, s = 1 / (1 + exp(-t));
        if (s - (1 - q) + lambda * t / 2 > 0) hi = t; else lo = t;
    }
    return (lo + hi) / 2;
}

START_TEST(test_logreg_finds_the_symmetric_optimum)
{
    enum { N = 20 };                 /* q = 4/10 */
    float x[N], w[2 * 2] = { 0 };
    unsigned char y[N];
    for (int i = 0; i < N; i++) {
        x[i] = i < N / 2 ? 1.0f : -1.0f;
        int flip = (i % 10) < 4;
        y[i] = (unsigned char)((x[i] > 0) != flip);
    }
    static const double lambdas[] = { 0, 0.1, 1 };
    for (int l = 0; l < 3; l++) {
        pt_lbfgs_opts o = pt_lbfgs_defaults();
        o.gtol = 1e-7;
        pt_logreg_report rep;
        memset(w, 0, sizeof w);
        ck_assert_int_eq(pt_logreg_fit(w, x, y, N, 1, 2, lambdas[l], &o, &rep), 0);
        double t = symmetric_optimum(0.4, lambdas[l]);
        /* w[c][0] is the weight of class c, w[c][1] its bias */
        ck_assert_double_eq_tol(w[2] - w[0], t, 1e-4);
        ck_assert_double_eq_tol(w[2] + w[0], 0, 1e-4);
        ck_assert_double_eq_tol(w[1], 0, 1e-5);
        ck_assert_double_eq_tol(w[3], 0, 1e-5);
    }
    ck_assert_double_eq_tol(symmetric_optimum(0.4, 0), log(0.6 / 0.4), 1e-9);
}
END_TEST

/* At the L-BFGS solution the gradient vanishes, and plain gradient descent
   run for long from the same start agrees with it. */
START_TEST(test_logreg_fit_agrees_with_gradient_descent)
{
    enum { N = 120, D = 5, K = 3, NW = K * (D + 1) };
    float x[N * D], w[NW] = { 0 }, v[NW] = { 0 };
    unsigned char y[N];
    double g[NW], lambda = 0.05;
    toy_problem(x, y, N, D, K, 21);
    pt_lbfgs_opts o = pt_lbfgs_defaults();
    o.gtol = 1e-6;
    pt_logreg_report rep;
    ck_assert_int_eq(pt_logreg_fit(w, x, y, N, D, K, lambda, &o, &rep), 0);
    pt_logreg_loss(g, w, x, y, N, D, K, lambda);
    for (int l = 0; l < NW; l++) ck_assert_double_le(fabs(g[l]), 2e-6);
    for (int it = 0; it < 20000; it++) {          /* step 1/L, L <~ max ||x||^2 */
        pt_logreg_loss(g, v, x, y, N, D, K, lambda);
        for (int l = 0; l < NW; l++) v[l] -= (float)(0.1 * g[l]);
    }
    for (int l = 0; l < NW; l++) ck_assert_double_eq_tol(w[l], v[l], 1e-3);
    double fw = pt_logreg_loss(NULL, w, x, y, N, D, K, lambda);
    double fv = pt_logreg_loss(NULL, v, x, y, N, D, K, lambda);
    ck_assert_double_le(fw, fv + 1e-6);
}
END_TEST

START_TEST(test_logreg_predicts_and_rejects_bad_labels)
{
    enum { N = 400, D = 4, K = 3 };
    float x[N * D], w[K * (D + 1)] = { 0 };
    unsigned char y[N], pred[N];
    toy_problem(x, y, N, D, K, 33);
    ck_assert_int_eq(pt_logreg_fit(w, x, y, N, D, K, 1e-3, NULL, NULL), 0);
    double acc = pt_logreg_accuracy(w, x, y, N, D, K);
    ck_assert_double_gt(acc, 0.8);       /* the labels follow a linear rule */
    pt_logreg_predict(pred, w, x, N, D, K);
    int right = 0;
    for (int i = 0; i < N; i++) right += pred[i] == y[i];
    ck_assert_double_eq_tol(acc, (double)right / N, 1e-12);
    y[7] = K;                            /* a label out of range */
    ck_assert_int_eq(pt_logreg_fit(w, x, y, N, D, K, 1e-3, NULL, NULL), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "label"));
}
END_TEST

START_TEST(test_logreg_select_prefers_the_validation_optimum)
{
    enum { N = 60, NV = 2000, D = 16, K = 2 };
    static float x[N * D], xv[NV * D], w[K * (D + 1)];
    static unsigned char y[N], yv[NV];
    toy_problem(x, y, N, D, K, 41);
    toy_problem(xv, yv, NV, D, K, 41);     /* same rule: same seed for the weights */
    static const double grid[] = { 1e3, 1, 1e-3 };
    pt_logreg_choice best;
    ck_assert_int_eq(pt_logreg_select(w, &best, x, y, N, xv, yv, NV, D, K, grid, 3, NULL), 0);
    /* the chosen fit is the one whose validation accuracy is reported */
    ck_assert_double_eq_tol(pt_logreg_accuracy(w, xv, yv, NV, D, K), best.val_acc, 1e-12);
    for (int i = 0; i < 3; i++) {
        float wi[K * (D + 1)] = { 0 };
        pt_logreg_fit(wi, x, y, N, D, K, grid[i], NULL, NULL);
        ck_assert_double_le(pt_logreg_accuracy(wi, xv, yv, NV, D, K), best.val_acc + 0.002);
    }
}
END_TEST

/* ---- the split ---- */

static unsigned char *labels(int n)
{
    unsigned char *y = malloc((size_t)n);
    pt_rng r;
    pt_rng_seed(&r, 77);
    for (int i = 0; i < n; i++) y[i] = (unsigned char)pt_rng_below(&r, 10);
    return y;
}

START_TEST(test_holdout_is_disjoint_complete_and_deterministic)
{
    int n = 3000, vpc = 20;
    unsigned char *y = labels(n);
    pt_split s, t, u;
    ck_assert_int_eq(pt_split_holdout(&s, y, n, 0, 10, vpc, 1), 0);
    ck_assert_int_eq(pt_split_holdout(&t, y, n, 0, 10, vpc, 1), 0);
    ck_assert_int_eq(pt_split_holdout(&u, y, n, 0, 10, vpc, 2), 0);
    ck_assert_int_eq(s.n_val, 10 * vpc);
    ck_assert_int_eq(s.n_train + s.n_val, n);
    char *seen = calloc((size_t)n, 1);
    int count[10] = { 0 };
    for (int i = 0; i < s.n_val; i++) { seen[s.val[i]]++; count[y[s.val[i]]]++; }
    for (int i = 0; i < s.n_train; i++) seen[s.train[i]]++;
    for (int i = 0; i < n; i++) ck_assert_int_eq(seen[i], 1);   /* disjoint, complete */
    for (int c = 0; c < 10; c++) ck_assert_int_eq(count[c], vpc);
    for (int i = 1; i < s.n_train; i++) ck_assert_int_lt(s.train[i - 1], s.train[i]);
    ck_assert_mem_eq(s.val, t.val, sizeof(int) * (size_t)s.n_val);   /* same seed */
    ck_assert_int_ne(memcmp(s.val, u.val, sizeof(int) * (size_t)s.n_val), 0);
    pt_split_free(&s); pt_split_free(&t); pt_split_free(&u);
    free(seen); free(y);
}
END_TEST

START_TEST(test_holdout_of_a_short_class_fails)
{
    unsigned char y[30];
    pt_split s;
    for (int i = 0; i < 30; i++) y[i] = (unsigned char)(i % 3);   /* 10 per class */
    ck_assert_int_eq(pt_split_holdout(&s, y, 30, 0, 3, 10, 1), -1);
    ck_assert_int_eq(pt_split_holdout(&s, y, 30, 0, 3, 9, 1), 0);
    ck_assert_int_eq(s.n_train, 3);
    pt_split_free(&s);
}
END_TEST

START_TEST(test_sample_has_n_per_target_class_and_is_nested)
{
    int n = 4000;
    unsigned char *y = labels(n);
    pt_split s;
    ck_assert_int_eq(pt_split_holdout(&s, y, n, 0, 10, 30, 1), 0);
    int *a = malloc(sizeof(int) * (size_t)s.n_train), *b = malloc(sizeof(int) * (size_t)s.n_train);
    int *c = malloc(sizeof(int) * (size_t)s.n_train);
    static const int per[] = { 1, 5, 10, 50 };
    int prev[500], nprev = 0;
    for (int p = 0; p < 4; p++) {
        int m = pt_split_sample(a, s.train, s.n_train, y, PT_TARGET_FIRST, PT_TASK_CLASSES, per[p], 3);
        ck_assert_int_eq(m, PT_TASK_CLASSES * per[p]);
        int count[10] = { 0 };
        for (int i = 0; i < m; i++) count[y[a[i]]]++;
        for (int k = 0; k < 10; k++)
            ck_assert_int_eq(count[k], k >= PT_TARGET_FIRST ? per[p] : 0);
        for (int i = 0; i < nprev; i++) {                /* nested in the next */
            int found = 0;
            for (int j = 0; j < m; j++) found |= a[j] == prev[i];
            ck_assert(found);
        }
        int mb = pt_split_sample(b, s.train, s.n_train, y, PT_TARGET_FIRST, PT_TASK_CLASSES, per[p], 3);
        ck_assert_int_eq(mb, m);
        ck_assert_mem_eq(a, b, sizeof(int) * (size_t)m);   /* deterministic */
        memcpy(prev, a, sizeof(int) * (size_t)m);
        nprev = m;
    }
    int m4 = pt_split_sample(c, s.train, s.n_train, y, PT_TARGET_FIRST, PT_TASK_CLASSES, 50, 4);
    ck_assert_int_ne(memcmp(c, prev, sizeof(int) * (size_t)m4), 0);   /* another seed */
    /* every sampled index is in the pool, none in validation */
    for (int i = 0; i < m4; i++)
        for (int j = 0; j < s.n_val; j++) ck_assert_int_ne(c[i], s.val[j]);
    int all = pt_split_sample(c, s.train, s.n_train, y, PT_TARGET_FIRST, PT_TASK_CLASSES, 0, 9);
    int expect = 0;
    for (int i = 0; i < s.n_train; i++) expect += y[s.train[i]] >= PT_TARGET_FIRST;
    ck_assert_int_eq(all, expect);
    ck_assert_int_eq(pt_split_sample(c, s.train, s.n_train, y, PT_TARGET_FIRST,
                                     PT_TASK_CLASSES, 100000, 1), -1);
    pt_split_free(&s);
    free(a); free(b); free(c); free(y);
}
END_TEST

START_TEST(test_gather_copies_rows_and_shifts_labels)
{
    float x[4 * 2] = { 0, 1, 10, 11, 20, 21, 30, 31 }, dst[2 * 2];
    unsigned char y[4] = { 5, 6, 7, 9 }, yd[2];
    int idx[2] = { 3, 1 };
    pt_gather(dst, yd, x, y, idx, 2, 2, 5);
    ck_assert_float_eq(dst[0], 30); ck_assert_float_eq(dst[1], 31);
    ck_assert_float_eq(dst[2], 10); ck_assert_float_eq(dst[3], 11);
    ck_assert_int_eq(yd[0], 4); ck_assert_int_eq(yd[1], 1);
}
END_TEST

Suite *adapt_suite(void)
{
    Suite *s = suite_create("adapt");
    TCase *t = tcase_create("lbfgs");
    tcase_add_test(t, test_lbfgs_minimises_a_quadratic);
    tcase_add_test(t, test_lbfgs_reports_max_iter);
    suite_add_tcase(s, t);
    t = tcase_create("logreg");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_logreg_gradient_matches_finite_differences);
    tcase_add_test(t, test_logreg_loss_at_zero_is_log_k);
    tcase_add_test(t, test_logreg_finds_the_symmetric_optimum);
    tcase_add_test(t, test_logreg_fit_agrees_with_gradient_descent);
    tcase_add_test(t, test_logreg_predicts_and_rejects_bad_labels);
    tcase_add_test(t, test_logreg_select_prefers_the_validation_optimum);
    suite_add_tcase(s, t);
    t = tcase_create("split");
    tcase_add_test(t, test_holdout_is_disjoint_complete_and_deterministic);
    tcase_add_test(t, test_holdout_of_a_short_class_fails);
    tcase_add_test(t, test_sample_has_n_per_target_class_and_is_nested);
    tcase_add_test(t, test_gather_copies_rows_and_shifts_labels);
    suite_add_tcase(s, t);
    return s;
}
