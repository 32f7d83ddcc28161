/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* ntxent.c: the contrastive loss and its gradient (Chapter 6). */
#include <math.h>
#include <stdlib.h>
#include <cblas.h>
#include "pt_base.h"
#include "pt_simclr.h"

/* <Normalise rows and differentiate the normalisation> */
void pt_l2_normalize(float *u, float *norm, const float *z, int m, int d)
{
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double)z[(size_t)i * d + j] * z[(size_t)i * d + j];
        float nz = (float)sqrt(s);
        norm[i] = nz > 1e-12f ? nz : 1e-12f;
        for (int j = 0; j < d; j++) u[(size_t)i * d + j] = z[(size_t)i * d + j] / norm[i];
    }
}

void pt_l2_normalize_backward(float *dz, const float *du, const float *u,
                              const float *norm, int m, int d)
{
    for (int i = 0; i < m; i++) {
        const float *ui = u + (size_t)i * d, *gi = du + (size_t)i * d;
        double dot = 0;
        for (int j = 0; j < d; j++) dot += (double)ui[j] * gi[j];
        for (int j = 0; j < d; j++)
            dz[(size_t)i * d + j] = (float)((gi[j] - ui[j] * dot) / norm[i]);
    }
}
/* <Compute the contrastive loss and its gradient> */
size_t pt_ntxent_workspace(int m, int d) { return (size_t)m * d + (size_t)m * m + m; }

double pt_ntxent(float *dz, const float *z, const int *group, int m, int d, double tau,
                 pt_ntxent_form form, float *work)
{
    float *u = work, *s = u + (size_t)m * d, *norm = s + (size_t)m * m;
    if (m < 2 || !(tau > 0)) { pt_fail("pt_ntxent: need two rows and tau > 0"); return NAN; }
    pt_l2_normalize(u, norm, z, m, d);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, d, (float)(1 / tau),
                u, d, u, d, 0.0f, s, m);
    double total = 0;
    for (int i = 0; i < m; i++) {
        float *si = s + (size_t)i * m;
        /* <Find anchor i's positives and the log-sum-exp of its row> */
        int npos = 0;
        double mx = -HUGE_VAL, sum = 0;
        for (int k = 0; k < m; k++)
            if (k != i) {
                npos += group[k] == group[i];
                if (si[k] > mx) mx = si[k];
            }
        if (npos == 0 || (form == PT_NTXENT_PAIRS && npos != 1)) {
            pt_fail("pt_ntxent: row %d has %d positives (%s)", i, npos,
                    form == PT_NTXENT_PAIRS ? "the pairs form needs exactly 1" : "it needs at least 1");
            return NAN;
        }
        for (int k = 0; k < m; k++) if (k != i) sum += exp(si[k] - mx);
        double lse = mx + log(sum);
        /* <Add anchor i's loss and turn its row into G> */
        double li = 0;
        for (int k = 0; k < m; k++)
            if (k != i && group[k] == group[i]) li -= si[k] - lse;
        total += li / npos;
        for (int k = 0; k < m; k++)
            si[k] = k == i ? 0.0f
                  : (float)((exp(si[k] - lse) - (group[k] == group[i] ? 1.0 / npos : 0.0)) / m);
    }
    if (dz) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, d, m, (float)(1 / tau),
                    s, m, u, d, 0.0f, dz, d);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, d, m, (float)(1 / tau),
                    s, m, u, d, 1.0f, dz, d);
        pt_l2_normalize_backward(dz, dz, u, norm, m, d);
    }
    return total / m;
}
/* <Measure collapse, alignment and uniformity> */
void pt_contrastive_stats(const float *z, const int *group, int m, int d,
                          double *sd, double *align, double *unif)
{
    float *u = malloc(sizeof(float) * (size_t)m * d), *norm = malloc(sizeof(float) * m);
    if (!u || !norm) { free(u); free(norm); *sd = *align = *unif = NAN; return; }
    pt_l2_normalize(u, norm, z, m, d);
    double s = 0;
    for (int j = 0; j < d; j++) {
        double mu = 0, v = 0;
        for (int i = 0; i < m; i++) mu += u[(size_t)i * d + j];
        mu /= m;
        for (int i = 0; i < m; i++) v += (u[(size_t)i * d + j] - mu) * (u[(size_t)i * d + j] - mu);
        s += sqrt(v / (m > 1 ? m - 1 : 1));
    }
    *sd = s / d;
    double al = 0, un = 0;
    int npos = 0;
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) {
            if (k == i) continue;
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double)u[(size_t)i * d + j] * u[(size_t)k * d + j];
            double dist2 = 2 - 2 * dot;
            if (group[k] == group[i]) { al += dist2; npos++; }
            un += exp(-2 * dist2);
        }
    *align = npos ? al / npos : NAN;
    *unif = log(un / ((double)m * (m - 1)));
    free(u); free(norm);
}
