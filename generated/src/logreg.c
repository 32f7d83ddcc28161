/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* logreg.c: L2-penalised multinomial logistic regression (Chapter 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "pt_adapt.h"

/* <Compute the scores of a block of rows> */
/* z[n][k] = x[n][d] w[k][0:d]^T + w[k][d] */
static void logreg_scores(float *z, const float *w, const float *x, int n, int d, int k)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1.0f,
                x, d, w, d + 1, 0.0f, z, k);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++) z[(size_t)i * k + c] += w[(size_t)c * (d + 1) + d];
}
/* <Evaluate the objective and its gradient> */
enum { LOSS_BLOCKS = 64 };

/* J(W) of (eq:adapt-objective); z[n][k] is scratch; g[k][d+1] or NULL */
static double loss_core(float *g, const float *w, const float *x,
                        const unsigned char *y, int n, int d, int k,
                        double lambda, float *z)
{
    double part[LOSS_BLOCKS] = { 0 }, loss = 0;
    logreg_scores(z, w, x, n, d, k);
    #pragma omp parallel for schedule(static) if (n >= 4096)
    for (int b = 0; b < LOSS_BLOCKS; b++)
        for (int i = (int)((long long)n * b / LOSS_BLOCKS);
             i < (int)((long long)n * (b + 1) / LOSS_BLOCKS); i++) {
            /* <Turn row i of z into its residual and add its loss> */
            float *zi = z + (size_t)i * k;
            float zmax = zi[0];
            for (int c = 1; c < k; c++) zmax = fmaxf(zmax, zi[c]);
            double sum = 0;
            part[b] += zmax - zi[y[i]];
            for (int c = 0; c < k; c++) sum += zi[c] = expf(zi[c] - zmax);
            part[b] += log(sum);
            for (int c = 0; c < k; c++) zi[c] = (float)(zi[c] / sum);
            zi[y[i]] -= 1;
        }
    for (int b = 0; b < LOSS_BLOCKS; b++) loss += part[b];
    loss /= n;
    /* <Add the penalty to the loss> */
    double pen = 0;
    for (int c = 0; c < k; c++)
        for (int j = 0; j < d; j++) {
            double wcj = w[(size_t)c * (d + 1) + j];
            pen += wcj * wcj;
        }
    loss += 0.5 * lambda * pen;
    if (g) {
        /* <Form the gradient from the residuals> */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, n, 1.0f / n,
                    z, k, x, d, 0.0f, g, d + 1);
        for (int c = 0; c < k; c++) {
            double sb = 0;
            for (int i = 0; i < n; i++) sb += z[(size_t)i * k + c];
            float *gc = g + (size_t)c * (d + 1);
            const float *wc = w + (size_t)c * (d + 1);
            gc[d] = (float)(sb / n);
            for (int j = 0; j < d; j++) gc[j] += (float)lambda * wc[j];
        }
    }
    return loss;
}
/* <Evaluate the objective and its gradient> */
double pt_logreg_loss(double *g, const float *w, const float *x,
                      const unsigned char *y, int n, int d, int k,
                      double lambda)
{
    size_t nw = (size_t)k * (d + 1);
    float *z = malloc(sizeof(float) * (size_t)n * k), *gf = malloc(sizeof(float) * nw);
    double f = NAN;
    if (z && gf) {
        f = loss_core(g ? gf : NULL, w, x, y, n, d, k, lambda, z);
        if (g) for (size_t l = 0; l < nw; l++) g[l] = gf[l];
    }
    free(z); free(gf);
    return f;
}
/* <Connect the objective to L-BFGS> */
typedef struct {
    const float *x; const unsigned char *y;
    int n, d, k; double lambda;
    float *w, *g, *z;              /* w, g [k][d+1]; z [n][k] */
} logreg_problem;

static double logreg_objective(double *gd, const double *wd, void *ctx)
{
    logreg_problem *p = ctx;
    size_t nw = (size_t)p->k * (p->d + 1);
    for (size_t l = 0; l < nw; l++) p->w[l] = (float)wd[l];
    double f = loss_core(p->g, p->w, p->x, p->y, p->n, p->d, p->k, p->lambda, p->z);
    for (size_t l = 0; l < nw; l++) gd[l] = p->g[l];
    return f;
}
/* <Fit the probe by L-BFGS> */
int pt_logreg_fit(float *w, const float *x, const unsigned char *y,
                  int n, int d, int k, double lambda,
                  const pt_lbfgs_opts *opts, pt_logreg_report *rep)
{
    if (n <= 0 || d <= 0 || k < 2 || lambda < 0)
        return pt_fail("pt_logreg_fit: bad problem (n %d, d %d, k %d, lambda %g)",
                       n, d, k, lambda);
    for (int i = 0; i < n; i++)
        if (y[i] >= k) return pt_fail("pt_logreg_fit: label %d of row %d is not below %d", y[i], i, k);
    size_t nw = (size_t)k * (d + 1);
    logreg_problem p = { x, y, n, d, k, lambda,
                         malloc(sizeof(float) * nw), malloc(sizeof(float) * nw),
                         malloc(sizeof(float) * (size_t)n * k) };
    double *wd = malloc(sizeof(double) * nw);
    int status = -1;
    if (!p.w || !p.g || !p.z || !wd) pt_fail("pt_logreg_fit: out of memory");
    else {
        for (size_t l = 0; l < nw; l++) wd[l] = w[l];
        status = pt_lbfgs(wd, (int)nw, logreg_objective, &p, opts, rep);
        if (status == 0) for (size_t l = 0; l < nw; l++) w[l] = (float)wd[l];
    }
    free(p.w); free(p.g); free(p.z); free(wd);
    return status;
}
/* <Predict and measure accuracy> */
enum { SCORE_BUF = 8192 };

void pt_logreg_predict(unsigned char *pred, const float *w, const float *x,
                       int n, int d, int k)
{
    float z[SCORE_BUF];
    int rows = SCORE_BUF / k;
    for (int i0 = 0; i0 < n; i0 += rows) {
        int m = n - i0 < rows ? n - i0 : rows;
        logreg_scores(z, w, x + (size_t)i0 * d, m, d, k);
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (z[i * k + c] > z[i * k + best]) best = c;
            pred[i0 + i] = (unsigned char)best;
        }
    }
}

double pt_logreg_accuracy(const float *w, const float *x,
                          const unsigned char *y, int n, int d, int k)
{
    unsigned char pred[SCORE_BUF / 2];
    long right = 0;
    for (int i0 = 0; i0 < n; i0 += SCORE_BUF / 2) {
        int m = n - i0 < SCORE_BUF / 2 ? n - i0 : SCORE_BUF / 2;
        pt_logreg_predict(pred, w, x + (size_t)i0 * d, m, d, k);
        for (int i = 0; i < m; i++) right += pred[i] == y[i0 + i];
    }
    return n > 0 ? (double)right / n : 0;
}
/* <Define the grid of penalties> */
const double pt_lambdas[PT_LAMBDAS] = { 1e1, 1, 1e-1, 1e-2, 1e-3, 1e-4 };
/* <Choose the penalty on validation data> */
int pt_logreg_select(float *w, pt_logreg_choice *best,
                     const float *xtr, const unsigned char *ytr, int ntr,
                     const float *xva, const unsigned char *yva, int nva,
                     int d, int k, const double *grid, int ngrid,
                     const pt_lbfgs_opts *opts)
{
    size_t nw = (size_t)k * (d + 1);
    float *cur = calloc(nw, sizeof(float));
    if (!cur) return pt_fail("pt_logreg_select: out of memory");
    best->val_acc = -1;
    for (int i = 0; i < ngrid; i++) {
        pt_logreg_report rep;
        if (pt_logreg_fit(cur, xtr, ytr, ntr, d, k, grid[i], opts, &rep)) {
            free(cur);
            return -1;
        }
        double acc = pt_logreg_accuracy(cur, xva, yva, nva, d, k);
        if (acc > best->val_acc) {
            *best = (pt_logreg_choice){ grid[i], acc, rep };
            memcpy(w, cur, sizeof(float) * nw);
        }
    }
    free(cur);
    return 0;
}
