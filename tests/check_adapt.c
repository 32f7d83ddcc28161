/* check_adapt.c: tests of Chapter 5 (split, L-BFGS, logistic regression,
   features and fine-tuning). */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
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

/* Features that name the class (a one-hot code plus a little noise): a
   probe on any sample with a label of every class must be perfect. */
START_TEST(test_probe_sample_on_separable_features)
{
    enum { N = 3000, D = 10 };
    unsigned char *y = labels(N);
    float *f = malloc(sizeof(float) * N * D);
    pt_rng rng;
    pt_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) f[i * D + j] = (j == y[i]) + 0.05f * (float)pt_rng_normal(&rng);
    pt_split s;
    pt_probe_task t;
    ck_assert_int_eq(pt_split_holdout(&s, y, N, 0, 10, 20, 1), 0);
    /* the target task: validation and test (here the first 500 rows) of classes 5..9 */
    ck_assert_int_eq(pt_probe_task_make(&t, f, y, s.val, s.n_val, f, y, 500, PT_TARGET_FIRST,
                                        PT_TASK_CLASSES, D), 0);
    ck_assert_int_eq(t.nva, 20 * PT_TASK_CLASSES);
    int nte = 0;
    for (int i = 0; i < 500; i++) nte += y[i] >= PT_TARGET_FIRST;
    ck_assert_int_eq(t.nte, nte);
    for (int i = 0; i < t.nva; i++) ck_assert_int_lt(t.yva[i], PT_TASK_CLASSES);
    for (int i = 0; i < t.nte; i++) ck_assert_int_lt(t.yte[i], PT_TASK_CLASSES);
    double acc = -1;
    pt_logreg_choice best;
    ck_assert_int_eq(pt_probe_sample(&acc, &best, &t, f, y, s.train, s.n_train, 2, 3,
                                     pt_lambdas, PT_LAMBDAS, NULL), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert_double_eq(best.val_acc, 1.0);
    ck_assert_int_eq(pt_probe_sample(&acc, &best, &t, f, y, s.train, s.n_train, 100000, 3,
                                     pt_lambdas, PT_LAMBDAS, NULL), -1);   /* too few */
    pt_probe_task_free(&t);
    pt_split_free(&s);
    free(f); free(y);
}
END_TEST

START_TEST(test_curve_table_and_point_by_hand)
{
    char dir[] = "/tmp/pt-curve-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    pt_curve c = { 0 };
    const double acc[3] = { 0.5, 0.6, 0.7 };
    for (int i = 0; i < 3; i++) ck_assert_int_eq(pt_curve_add(&c, "probe", 10, 1 + i, acc[i]), 0);
    ck_assert_int_eq(pt_curve_add(&c, "probe", 0, 1, 0.75), 0);
    pt_results *r = pt_results_new();
    ck_assert_double_eq_tol(pt_curve_point(r, "target", "probe", 10, acc, 3), 0.6, 1e-12);
    ck_assert_double_eq_tol(pt_curve_point(r, "target", "probe", 0, acc + 2, 1), 0.7, 1e-12);
    ck_assert_int_eq(pt_curve_write(&c, dir), 0);
    ck_assert_int_eq(pt_results_write(r, dir), 0);
    pt_results_free(r);
    pt_curve_free(&c);
    char path[128], buf[512];
    snprintf(path, sizeof path, "%s/label_efficiency.tsv", dir);
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    ck_assert_str_eq(buf, "method\tlabels_per_class\tseed\ttest_acc\n"
                          "probe\t10\t1\t0.500000\nprobe\t10\t2\t0.600000\n"
                          "probe\t10\t3\t0.700000\nprobe\tall\t1\t0.750000\n");
    snprintf(path, sizeof path, "%s/results.tsv", dir);
    fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    double mean, sd;                         /* sd of 0.5, 0.6, 0.7 is 0.1 */
    ck_assert_int_eq(sscanf(strstr(buf, "target.probe.n10.test_acc_mean\t"),
                            "target.probe.n10.test_acc_mean\t%lf", &mean), 1);
    ck_assert_int_eq(sscanf(strstr(buf, "target.probe.n10.test_acc_sd\t"),
                            "target.probe.n10.test_acc_sd\t%lf", &sd), 1);
    ck_assert_double_eq_tol(mean, 0.6, 1e-9);
    ck_assert_double_eq_tol(sd, 0.1, 1e-9);
    ck_assert_ptr_nonnull(strstr(buf, "target.probe.all.test_acc_sd\t0\n"));
    remove(path);
    snprintf(path, sizeof path, "%s/label_efficiency.tsv", dir);
    remove(path);
    rmdir(dir);
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

/* ---- the network half: features, frozen backbones, fine-tuning ---- */

/* a tiny CNN: conv 2 - relu - pool - flatten - linear 8 - relu | linear 3 */
static void tiny_cnn(pt_model *m, uint64_t seed)
{
    pt_rng r;
    pt_rng_seed(&r, seed);
    ck_assert_int_eq(pt_model_init(m, 1, 8, 8), 0);
    ck_assert_int_eq(pt_model_conv(m, 2, 3, 1, 1) || pt_model_relu(m) || pt_model_maxpool(m) ||
                     pt_model_flatten(m) || pt_model_linear(m, 8) || pt_model_relu(m), 0);
    m->group = PT_GROUP_HEAD;
    ck_assert_int_eq(pt_model_linear(m, 3) || pt_model_alloc(m, 16), 0);
    pt_model_init_params(m, &r);
}

/* n random 8x8 images whose label is the quadrant of their brightest pixel (0..2) */
static void tiny_data(pt_dataset *d, int n, uint64_t seed)
{
    pt_rng r;
    pt_rng_seed(&r, seed);
    *d = (pt_dataset){ n, 8, 8, malloc(sizeof(float) * 64 * n), malloc(n) };
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        for (int j = 0; j < 64; j++) d->x[i * 64 + j] = (float)(0.2 * pt_rng_uniform(&r));
        d->x[i * 64 + (c == 0 ? 9 : c == 1 ? 14 : 54)] = 1;
        d->y[i] = (unsigned char)c;
    }
}

START_TEST(test_features_are_the_layer_before_the_head)
{
    pt_model m;
    pt_dataset d;
    tiny_cnn(&m, 1);
    tiny_data(&d, 40, 2);                       /* 40 > max_batch: several batches */
    int dim = (int)pt_model_out_size(&m, m.n - 1);
    ck_assert_int_eq(dim, 8);
    float *f = malloc(sizeof(float) * 40 * dim);
    ck_assert_int_eq(pt_model_features(f, &m, m.n - 1, d.x, 40), 0);
    const float *one = pt_model_forward(&m, d.x + 37 * 64, 1, m.n - 1);
    for (int j = 0; j < dim; j++) ck_assert_float_eq_tol(f[37 * dim + j], one[j], 1e-5);
    free(f);
    /* a lower cut: the output of layer 2, and no layer 0 or n + 1 */
    int d2 = (int)pt_model_out_size(&m, 2);
    f = malloc(sizeof(float) * 40 * d2);
    ck_assert_int_eq(pt_model_features(f, &m, 2, d.x, 40), 0);
    one = pt_model_forward(&m, d.x + 21 * 64, 1, 2);
    for (int j = 0; j < d2; j++) ck_assert_float_eq_tol(f[21 * d2 + j], one[j], 1e-5);
    ck_assert_int_eq(pt_model_features(f, &m, 0, d.x, 40), -1);
    ck_assert_int_eq(pt_model_features(f, &m, m.n + 1, d.x, 40), -1);
    free(f);
    pt_dataset_free(&d);
    pt_model_free(&m);
}
END_TEST

START_TEST(test_probe_leaves_the_backbone_unchanged)
{
    pt_model m;
    pt_dataset d;
    tiny_cnn(&m, 3);
    tiny_data(&d, 30, 4);
    float *before = malloc(sizeof(float) * m.params.size), *f = malloc(sizeof(float) * 30 * 8);
    memcpy(before, m.params.data, sizeof(float) * m.params.size);
    ck_assert_int_eq(pt_model_features(f, &m, m.n - 1, d.x, 30), 0);
    float w[3 * 9] = { 0 };
    ck_assert_int_eq(pt_logreg_fit(w, f, d.y, 30, 8, 3, 1e-2, NULL, NULL), 0);
    ck_assert_int_eq(memcmp(before, m.params.data, sizeof(float) * m.params.size), 0);
    free(before); free(f);
    pt_dataset_free(&d);
    pt_model_free(&m);
}
END_TEST

START_TEST(test_copy_group_copies_only_that_group)
{
    pt_model a, b;
    tiny_cnn(&a, 5);
    tiny_cnn(&b, 6);
    float *hb = malloc(sizeof(float) * b.params.size);
    memcpy(hb, b.params.data, sizeof(float) * b.params.size);
    ck_assert_int_eq(pt_params_copy_group(&b.params, &a.params, PT_GROUP_BACKBONE), 0);
    for (int i = 0; i < b.params.n; i++) {
        const float *src = b.params.t[i].group == PT_GROUP_BACKBONE ? pt_param(&a.params, i)
                                                                    : hb + b.params.t[i].offset;
        ck_assert_int_eq(memcmp(pt_param(&b.params, i), src, sizeof(float) * b.params.t[i].count), 0);
    }
    pt_model c;                                  /* a different architecture */
    ck_assert_int_eq(pt_model_init(&c, 1, 8, 8), 0);
    ck_assert_int_eq(pt_model_flatten(&c) || pt_model_linear(&c, 3) || pt_model_alloc(&c, 4), 0);
    ck_assert_int_eq(pt_params_copy_group(&c.params, &a.params, PT_GROUP_BACKBONE), -1);
    free(hb);
    pt_model_free(&a); pt_model_free(&b); pt_model_free(&c);
}
END_TEST

/* Fine-tuning with backbone_lr 0 leaves the backbone bit for bit, and
   its head equals a head trained alone on the frozen features. */
START_TEST(test_finetune_with_frozen_backbone_trains_the_head_alone)
{
    pt_model m, h;
    pt_dataset tr, va, ftr, fva;
    tiny_cnn(&m, 7);
    tiny_data(&tr, 48, 8);
    tiny_data(&va, 24, 9);
    float *before = malloc(sizeof(float) * m.params.size);
    memcpy(before, m.params.data, sizeof(float) * m.params.size);
    /* the head alone: an 8-feature input, the same initial weights */
    ck_assert_int_eq(pt_model_init(&h, 8, 1, 1), 0);
    h.group = PT_GROUP_HEAD;
    ck_assert_int_eq(pt_model_linear(&h, 3) || pt_model_alloc(&h, 16), 0);
    int hw = m.layer[m.n - 1].weight, hb = m.layer[m.n - 1].bias;
    memcpy(pt_param(&h.params, 0), pt_param(&m.params, hw), sizeof(float) * 24);
    memcpy(pt_param(&h.params, 1), pt_param(&m.params, hb), sizeof(float) * 3);
    ftr = (pt_dataset){ 48, 1, 8, malloc(sizeof(float) * 48 * 8), malloc(48) };
    fva = (pt_dataset){ 24, 1, 8, malloc(sizeof(float) * 24 * 8), malloc(24) };
    ck_assert_int_eq(pt_model_features(ftr.x, &m, m.n - 1, tr.x, 48), 0);
    ck_assert_int_eq(pt_model_features(fva.x, &m, m.n - 1, va.x, 24), 0);
    memcpy(ftr.y, tr.y, 48); memcpy(fva.y, va.y, 24);
    pt_finetune_config c = { .steps = 30, .batch = 8, .evals = 3, .lr = 0.05,
                             .backbone_lr = 0, .weight_decay = 0.01, .clip = 0, .seed = 11 };
    pt_finetune_report rm, rh;
    ck_assert_int_eq(pt_finetune(&m, &tr, &va, &c, &rm), 0);
    ck_assert_int_eq(pt_finetune(&h, &ftr, &fva, &c, &rh), 0);
    for (int i = 0; i < m.params.n; i++)
        if (m.params.t[i].group == PT_GROUP_BACKBONE)
            ck_assert_int_eq(memcmp(pt_param(&m.params, i), before + m.params.t[i].offset,
                                    sizeof(float) * m.params.t[i].count), 0);
    ck_assert_int_eq(rm.steps, 30);
    ck_assert_int_eq(rm.steps, rh.steps);
    ck_assert_int_eq(rm.best_step, rh.best_step);
    ck_assert_double_eq_tol(rm.best_val_acc, rh.best_val_acc, 1e-12);
    int moved = 0;
    for (int j = 0; j < 24; j++) {
        ck_assert_float_eq_tol(pt_param(&m.params, hw)[j], pt_param(&h.params, 0)[j], 1e-4);
        moved += pt_param(&m.params, hw)[j] != before[m.params.t[hw].offset + j];
    }
    ck_assert_int_gt(moved, 0);
    for (int j = 0; j < 3; j++)
        ck_assert_float_eq_tol(pt_param(&m.params, hb)[j], pt_param(&h.params, 1)[j], 1e-4);
    free(before);
    pt_dataset_free(&tr); pt_dataset_free(&va); pt_dataset_free(&ftr); pt_dataset_free(&fva);
    pt_model_free(&m); pt_model_free(&h);
}
END_TEST

/* The kept checkpoint is the best one on validation: fine-tuning with
   one checkpoint and with several never ends worse on validation. */
START_TEST(test_finetune_keeps_the_best_checkpoint)
{
    pt_model a, b;
    pt_dataset tr, va;
    tiny_cnn(&a, 12);
    tiny_cnn(&b, 12);
    tiny_data(&tr, 48, 13);
    tiny_data(&va, 30, 14);
    pt_finetune_config c = { .steps = 24, .batch = 8, .evals = 1, .lr = 0.02,
                             .backbone_lr = 1, .weight_decay = 0.01, .clip = 5, .seed = 3 };
    pt_finetune_report ra, rb;
    ck_assert_int_eq(pt_finetune(&a, &tr, &va, &c, &ra), 0);
    c.evals = 4;
    ck_assert_int_eq(pt_finetune(&b, &tr, &va, &c, &rb), 0);
    ck_assert_int_eq(ra.best_step, 24);
    ck_assert_double_ge(rb.best_val_acc, ra.best_val_acc);
    double loss, acc;
    ck_assert_int_eq(pt_model_evaluate(&b, &va, &loss, &acc), 0);
    ck_assert_double_eq_tol(acc, rb.best_val_acc, 1e-12);
    ck_assert_int_le(rb.best_step, 24);
    pt_dataset_free(&tr); pt_dataset_free(&va);
    pt_model_free(&a); pt_model_free(&b);
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
    tcase_add_test(t, test_probe_sample_on_separable_features);
    tcase_add_test(t, test_curve_table_and_point_by_hand);
    suite_add_tcase(s, t);
    t = tcase_create("network");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_features_are_the_layer_before_the_head);
    tcase_add_test(t, test_probe_leaves_the_backbone_unchanged);
    tcase_add_test(t, test_copy_group_copies_only_that_group);
    tcase_add_test(t, test_finetune_with_frozen_backbone_trains_the_head_alone);
    tcase_add_test(t, test_finetune_keeps_the_best_checkpoint);
    suite_add_tcase(s, t);
    return s;
}
