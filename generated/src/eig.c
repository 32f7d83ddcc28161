/* Tangled from chapters/03-pca.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* eig.c: symmetric eigensolvers, LAPACK's and our own Jacobi (Chapter 3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "pt_pca.h"

/* <Orient each eigenvector> */
/* Flip v[d] so that its entry of largest magnitude is positive. */
static void orient(float *v, int d)
{
    int big = 0;
    for (int j = 1; j < d; j++)
        if (fabsf(v[j]) > fabsf(v[big])) big = j;
    if (v[big] < 0)
        for (int j = 0; j < d; j++) v[j] = -v[j];
}
/* <Solve the eigenproblem with LAPACK> */
int pt_eig_lapack(float *w, float *v, const float *a, int d)
{
    if (d <= 0) return pt_fail("pt_eig_lapack: size %d is not positive", d);
    memcpy(v, a, sizeof(float) * (size_t)d * d);
    lapack_int info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'V', 'U', d, v, d, w);
    if (info != 0)
        return pt_fail("pt_eig_lapack: ssyevd failed (info = %d)", (int)info);
    /* <Reverse LAPACK's ascending order> */
    for (int i = 0, j = d - 1; i < j; i++, j--) {
        float t = w[i]; w[i] = w[j]; w[j] = t;
        float *vi = v + (size_t)i * d, *vj = v + (size_t)j * d;
        for (int l = 0; l < d; l++) { t = vi[l]; vi[l] = vj[l]; vj[l] = t; }
    }
    for (int i = 0; i < d; i++) orient(v + (size_t)i * d, d);
    return 0;
}
/* <Compute the Jacobi rotation> */
void pt_jacobi_rotation(double app, double aqq, double apq,
                        double *c, double *s, double *t)
{
    if (apq == 0) { *c = 1; *s = 0; *t = 0; return; }
    double theta = (aqq - app) / (2 * apq);
    double tt = fabs(theta) > 1e150      /* theta^2 would overflow */
                    ? 1 / (2 * fabs(theta))
                    : 1 / (fabs(theta) + sqrt(theta * theta + 1));
    if (theta < 0) tt = -tt;
    *t = tt;
    *c = 1 / sqrt(tt * tt + 1);
    *s = tt * *c;
}
/* <Define the helpers of the Jacobi solver> */
/* One rotation of a round: the pair, its (c, s), its new diagonal. */
typedef struct { int p, q; double c, s, app, aqq; } jacobi_pair;

/* off(A) = sqrt(sum over i != j of a_ij^2) */
static double off_norm(const double *A, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            if (i != j) s += A[(size_t)i * d + j] * A[(size_t)i * d + j];
    return sqrt(s);
}

/* Order the diagonal entries: larger value first. */
typedef struct { double value; int index; } diag_entry;
static int by_value_descending(const void *x, const void *y)
{
    double a = ((const diag_entry *)x)->value, b = ((const diag_entry *)y)->value;
    return (a < b) - (a > b);
}
/* <Solve the eigenproblem by Jacobi rotations> */
int pt_eig_jacobi(float *w, float *v, const float *a, int d, double tol,
                  pt_progress *progress, pt_jacobi_stats *stats)
{
    if (d <= 0) return pt_fail("pt_eig_jacobi: size %d is not positive", d);
    int m = d + (d & 1);            /* seats at the table, with a ghost */
    double *A = malloc(sizeof(double) * (size_t)d * d);
    double *ut = malloc(sizeof(double) * (size_t)d * d);
    int *seat = malloc(sizeof(int) * (size_t)m);
    jacobi_pair *r = malloc(sizeof(jacobi_pair) * (size_t)(m / 2));
    int status = 0;
    if (!A || !ut || !seat || !r)
        status = pt_fail("pt_eig_jacobi: out of memory for d = %d", d);
    else {
        /* <Copy a into A in double and set ut to the identity> */
        double norm = 0;
        for (size_t l = 0; l < (size_t)d * d; l++) {
            A[l] = a[l];
            ut[l] = 0;
            norm += A[l] * A[l];
        }
        norm = sqrt(norm);                  /* ||A||_F, the same after every rotation */
        for (int i = 0; i < d; i++) ut[(size_t)i * d + i] = 1;
        /* <Sweep until A is diagonal> */
        double thresh = tol * norm / d, off = off_norm(A, d);
        double goal = -log10(tol);
        long long rotations = 0;
        int sweep = 0;
        if (progress) pt_progress_begin(progress, "jacobi", goal, "digits");
        while (off > tol * norm) {
            if (sweep == 100) {
                status = pt_fail("pt_eig_jacobi: no convergence in %d sweeps "
                                 "(off/norm = %g)", sweep, off / norm);
                break;
            }
            /* <Sweep once over all pairs in round-robin order> */
            for (int i = 0; i < m; i++) seat[i] = i;
            for (int round = 0; round < m - 1; round++) {
                int nr = 0;
                /* <Choose the rotations of this round> */
                for (int k = 0; k < m / 2; k++) {
                    int p = seat[k], q = seat[m - 1 - k];
                    if (p >= d || q >= d) continue;             /* paired with the ghost */
                    double apq = A[(size_t)p * d + q];
                    if (fabs(apq) <= thresh) continue;          /* already negligible */
                    double app = A[(size_t)p * d + p], aqq = A[(size_t)q * d + q], c, s, t;
                    pt_jacobi_rotation(app, aqq, apq, &c, &s, &t);
                    r[nr++] = (jacobi_pair){ p, q, c, s, app - t * apq, aqq + t * apq };
                }
                /* <Apply the rotations of this round to A and ut> */
                #pragma omp parallel if (d >= 128)
                {
                    #pragma omp for schedule(static)
                    for (int k = 0; k < nr; k++) {
                        /* <Rotate rows p and q of A and ut> */
                        double c = r[k].c, s = r[k].s;
                        double *ap = A + (size_t)r[k].p * d, *aq = A + (size_t)r[k].q * d;
                        double *up = ut + (size_t)r[k].p * d, *uq = ut + (size_t)r[k].q * d;
                        #pragma omp simd
                        for (int j = 0; j < d; j++) {
                            double x = ap[j], y = aq[j];
                            ap[j] = c * x - s * y;
                            aq[j] = s * x + c * y;
                        }
                        #pragma omp simd
                        for (int j = 0; j < d; j++) {
                            double x = up[j], y = uq[j];
                            up[j] = c * x - s * y;
                            uq[j] = s * x + c * y;
                        }
                    }
                    #pragma omp for schedule(static)
                    for (int i = 0; i < d; i++) {
                        /* <Rotate entries p and q of row i of A> */
                        double *ai = A + (size_t)i * d;
                        for (int k = 0; k < nr; k++) {
                            int p = r[k].p, q = r[k].q;
                            double x = ai[p], y = ai[q];
                            ai[p] = r[k].c * x - r[k].s * y;
                            ai[q] = r[k].s * x + r[k].c * y;
                        }
                    }
                }
                /* <Set each rotated block to its exact value> */
                for (int k = 0; k < nr; k++) {
                    int p = r[k].p, q = r[k].q;
                    A[(size_t)p * d + p] = r[k].app;
                    A[(size_t)q * d + q] = r[k].aqq;
                    A[(size_t)p * d + q] = A[(size_t)q * d + p] = 0;
                }
                /* <Move everyone but seat 0 one seat on> */
                int last = seat[m - 1];
                memmove(seat + 2, seat + 1, sizeof(int) * (size_t)(m - 2));
                seat[1] = last;
                rotations += nr;
            }
            sweep++;
            off = off_norm(A, d);
            if (progress) pt_progress_update(progress, fmin(goal, -log10(off / norm + 1e-300)));
        }
        if (progress) pt_progress_end(progress);
        if (stats) {
            stats->sweeps = sweep;
            stats->rotations = rotations;
            stats->off = norm > 0 ? off / norm : 0;
        }
        if (status == 0) {
            /* <Sort the diagonal of A into w and v> */
            diag_entry *e = (diag_entry *)r;            /* reuse: m/2 pairs hold d entries */
            for (int i = 0; i < d; i++) e[i] = (diag_entry){ A[(size_t)i * d + i], i };
            qsort(e, (size_t)d, sizeof *e, by_value_descending);
            for (int i = 0; i < d; i++) {
                w[i] = (float)e[i].value;
                const double *u = ut + (size_t)e[i].index * d;
                for (int j = 0; j < d; j++) v[(size_t)i * d + j] = (float)u[j];
                orient(v + (size_t)i * d, d);
            }
        }
    }
    free(A); free(ut); free(seat); free(r);
    return status;
}
/* <Measure the eigenpair residual> */
double pt_eig_residual(const float *a, const float *w, const float *v,
                       int d, int k)
{
    double na = 0, worst = 0;
    for (size_t l = 0; l < (size_t)d * d; l++) na += (double)a[l] * a[l];
    na = sqrt(na);
    #pragma omp parallel for reduction(max : worst) schedule(static)
    for (int i = 0; i < k; i++) {
        const float *vi = v + (size_t)i * d;
        double r2 = 0;
        for (int j = 0; j < d; j++) {
            const float *aj = a + (size_t)j * d;
            double s = -(double)w[i] * vi[j];
            for (int l = 0; l < d; l++) s += (double)aj[l] * vi[l];
            r2 += s * s;
        }
        worst = fmax(worst, sqrt(r2));
    }
    return na > 0 ? worst / na : worst;
}
/* <Measure the loss of orthonormality> */
double pt_eig_orth_error(const float *v, int d, int k)
{
    double worst = 0;
    #pragma omp parallel for reduction(max : worst) schedule(dynamic, 8)
    for (int i = 0; i < k; i++)
        for (int j = 0; j <= i; j++) {
            double s = i == j ? -1 : 0;
            for (int l = 0; l < d; l++)
                s += (double)v[(size_t)i * d + l] * v[(size_t)j * d + l];
            worst = fmax(worst, fabs(s));
        }
    return worst;
}
