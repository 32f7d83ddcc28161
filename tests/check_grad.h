/* check_grad.h: finite-difference gradient checks and random arrays, shared
   by the tests of the chapters that write backward passes (4 and 8). */
#ifndef CHECK_GRAD_H
#define CHECK_GRAD_H
#include <math.h>
#include <stdlib.h>
#include "pt_data.h"

/* ---- Finite differences ------------------------------------------------
   Layers compute in float. With central differences of step h = 1e-2 the
   truncation error is O(h^2) ~ 1e-4 times the third derivative, and the
   rounding error of a float loss L = sum r.y of size S over m terms is
   about 6e-8 S sqrt(m) / (2h) ~ 1e-4 for our sizes. We therefore accept
   |numeric - analytic| <= 2e-3 + 1e-2 max(|numeric|, |analytic|); a wrong
   backward pass (a missing term, a transposed index) errs by O(1). */
typedef double (*loss_fn)(void *ctx);
static int fd_misses __attribute__((unused));   /* coordinates over the bound in the last fd_worst */

__attribute__((unused)) static double fd_worst(loss_fn f, void *ctx, float *v, const float *g, int len, float h)
{
    double worst = 0;
    fd_misses = 0;
    for (int i = 0; i < len; i++) {
        float save = v[i], up = save + h, down = save - h;
        v[i] = up;   double lp = f(ctx);
        v[i] = down; double lm = f(ctx);
        v[i] = save;
        double num = (lp - lm) / ((double)up - down);
        double tol = 2e-3 + 1e-2 * fmax(fabs(num), fabs(g[i]));
        fd_misses += fabs(num - g[i]) > tol;
        worst = fmax(worst, fabs(num - g[i]) / tol);
    }
    return worst;   /* <= 1 passes */
}

__attribute__((unused)) static float *rnd(pt_rng *r, size_t n, float scale)
{
    float *a = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) a[i] = scale * (float)pt_rng_normal(r);
    return a;
}

__attribute__((unused)) static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

#endif
