/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* lbfgs.c: limited-memory BFGS with a weak Wolfe line search (Chapter 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_adapt.h"

/* <Define the vector helpers of L-BFGS> */
static double lbfgs_dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int j = 0; j < n; j++) s += a[j] * b[j];
    return s;
}
static void lbfgs_axpy(double alpha, const double *x, double *y, int n)
{
    for (int j = 0; j < n; j++) y[j] += alpha * x[j];
}
static double lbfgs_max_abs(const double *a, int n)
{
    double m = 0;
    for (int j = 0; j < n; j++) m = fmax(m, fabs(a[j]));
    return m;
}
/* <Give the default options of L-BFGS> */
pt_lbfgs_opts pt_lbfgs_defaults(void)
{
    return (pt_lbfgs_opts){ .m = 10, .max_iter = 1000, .gtol = 1e-5,
                            .ftol = 1e-12, .c1 = 1e-4, .c2 = 0.9, .max_ls = 40 };
}
/* <Minimise a function by L-BFGS> */
int pt_lbfgs(double *x, int n, pt_objective_fn fn, void *ctx,
             const pt_lbfgs_opts *opts, pt_lbfgs_report *rep)
{
    pt_lbfgs_opts o = opts ? *opts : pt_lbfgs_defaults();
    int m = o.m > 0 ? o.m : 1;
    double *mem = malloc(sizeof(double) * ((size_t)2 * m * n + 4 * (size_t)n + 2 * (size_t)m));
    if (!mem) return pt_fail("pt_lbfgs: out of memory for %d parameters", n);
    double *S = mem, *Y = S + (size_t)m * n, *g = Y + (size_t)m * n;
    double *p = g + n, *xt = p + n, *gt = xt + n, *rho = gt + n, *alpha = rho + m;
    int head = 0, stored = 0, iter = 0, evals = 1, status = PT_LBFGS_MAX_ITER;
    double f = fn(g, x, ctx);
    if (!isfinite(f)) { free(mem); return pt_fail("pt_lbfgs: f is not finite at the start"); }
    for (;; iter++) {
        if (lbfgs_max_abs(g, n) <= o.gtol) { status = PT_LBFGS_CONVERGED; break; }
        if (iter >= o.max_iter) { status = PT_LBFGS_MAX_ITER; break; }
        /* <Compute the search direction p by the two-loop recursion> */
        for (int j = 0; j < n; j++) p[j] = -g[j];
        for (int i = 0; i < stored; i++) {                   /* newest to oldest */
            int l = (head - 1 - i + m) % m;
            alpha[l] = rho[l] * lbfgs_dot(S + (size_t)l * n, p, n);
            lbfgs_axpy(-alpha[l], Y + (size_t)l * n, p, n);
        }
        int newest = (head - 1 + m) % m;
        double gamma = stored ? 1 / (rho[newest] * lbfgs_dot(Y + (size_t)newest * n, Y + (size_t)newest * n, n))
                              : 1 / sqrt(lbfgs_dot(g, g, n));
        for (int j = 0; j < n; j++) p[j] *= gamma;
        for (int i = stored - 1; i >= 0; i--) {              /* oldest to newest */
            int l = (head - 1 - i + m) % m;
            double beta = rho[l] * lbfgs_dot(Y + (size_t)l * n, p, n);
            lbfgs_axpy(alpha[l] - beta, S + (size_t)l * n, p, n);
        }
        double gp = lbfgs_dot(g, p, n);
        if (!(gp < 0)) {                  /* lost descent to round-off: restart */
            stored = 0;
            for (int j = 0; j < n; j++) p[j] = -g[j] / sqrt(lbfgs_dot(g, g, n));
            gp = lbfgs_dot(g, p, n);
        }
        /* <Search along p for a step that meets the Wolfe conditions> */
        double lo = 0, hi = INFINITY, step = 1, ft = f;
        int ok = 0;
        for (int ls = 0; ls < o.max_ls; ls++) {
            for (int j = 0; j < n; j++) xt[j] = x[j] + step * p[j];
            ft = fn(gt, xt, ctx);
            evals++;
            double gtp = lbfgs_dot(gt, p, n);
            int armijo = ft <= f + o.c1 * step * gp ||            /* (eq:adapt-wolfe) */
                         (ft <= f + 1e-6 * fabs(f) && gtp <= (2 * o.c1 - 1) * gp);
            if (!isfinite(ft) || !armijo) hi = step;               /* too long */
            else if (gtp < o.c2 * gp) lo = step;                   /* too short */
            else { ok = 1; break; }
            step = isfinite(hi) ? (lo + hi) / 2 : 2 * step;
        }
        if (!ok) { status = PT_LBFGS_LINE_SEARCH; break; }
        /* <Remember the pair and move to the new point> */
        double *s = S + (size_t)head * n, *yv = Y + (size_t)head * n;
        for (int j = 0; j < n; j++) {
            s[j] = xt[j] - x[j];
            yv[j] = gt[j] - g[j];
        }
        double ys = lbfgs_dot(yv, s, n);
        if (ys > 0) {
            rho[head] = 1 / ys;
            head = (head + 1) % m;
            if (stored < m) stored++;
        }
        double f_old = f;
        memcpy(x, xt, sizeof(double) * (size_t)n);
        memcpy(g, gt, sizeof(double) * (size_t)n);
        f = ft;
        if (o.ftol > 0 && f_old - f < o.ftol * fmax(1, fabs(f))) {
            iter++;
            status = PT_LBFGS_STALLED;
            break;
        }
    }
    if (rep) *rep = (pt_lbfgs_report){ iter, evals, status, f, lbfgs_max_abs(g, n) };
    free(mem);
    return 0;
}
