/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* cluster.c: k-nearest neighbours, k-means, adjusted Rand index (Chapter 6). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "pt_base.h"
#include "pt_simclr.h"

/* <Classify by the nearest neighbours> */
double pt_knn_accuracy(const float *xtr, const unsigned char *ytr, int ntr,
                       const float *xte, const unsigned char *yte, int nte,
                       int d, int k, int classes)
{
    enum { BLOCK = 256 };
    float *utr = malloc(sizeof(float) * (size_t)ntr * d), *ute = malloc(sizeof(float) * (size_t)BLOCK * d);
    float *ntmp = malloc(sizeof(float) * (ntr > BLOCK ? ntr : BLOCK));
    float *sim = malloc(sizeof(float) * (size_t)BLOCK * ntr);
    if (!utr || !ute || !ntmp || !sim || k < 1 || k > ntr || classes > 256) {
        free(utr); free(ute); free(ntmp); free(sim);
        pt_fail("pt_knn_accuracy: out of memory or bad k");
        return NAN;
    }
    pt_l2_normalize(utr, ntmp, xtr, ntr, d);
    long long correct = 0;
    for (int b0 = 0; b0 < nte; b0 += BLOCK) {
        int nb = nte - b0 < BLOCK ? nte - b0 : BLOCK;
        pt_l2_normalize(ute, ntmp, xte + (size_t)b0 * d, nb, d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, ntr, d, 1.0f, ute, d,
                    utr, d, 0.0f, sim, ntr);
        #pragma omp parallel for reduction(+:correct) schedule(static)
        for (int i = 0; i < nb; i++) {
            /* <Vote among the k most similar training rows of test row i> */
            const float *si = sim + (size_t)i * ntr;
            float best[64];
            int who[64], kk = k < 64 ? k : 64, held = 0;
            for (int j = 0; j < ntr; j++) {
                if (held == kk && si[j] <= best[kk - 1]) continue;
                int q = held < kk ? held++ : kk - 1;
                while (q > 0 && best[q - 1] < si[j]) { best[q] = best[q - 1]; who[q] = who[q - 1]; q--; }
                best[q] = si[j]; who[q] = j;
            }
            int votes[256] = { 0 };
            double weight[256] = { 0 };
            for (int q = 0; q < held; q++) { votes[ytr[who[q]]]++; weight[ytr[who[q]]] += best[q]; }
            int top = 0;
            for (int c = 1; c < classes; c++)
                if (votes[c] > votes[top] || (votes[c] == votes[top] && weight[c] > weight[top])) top = c;
            correct += top == yte[b0 + i];
        }
    }
    free(utr); free(ute); free(ntmp); free(sim);
    return (double)correct / nte;
}
/* <Cluster by k-means> */
int pt_kmeans(int *assign, float *centres, const float *x, int n, int d, int k,
              int max_iter, uint64_t seed)
{
    float *dot = malloc(sizeof(float) * (size_t)n * k), *xx = malloc(sizeof(float) * n);
    double *dist = malloc(sizeof(double) * n), *sum = malloc(sizeof(double) * (size_t)k * d);
    int *count = malloc(sizeof(int) * k), iter = 0;
    if (!dot || !xx || !dist || !sum || !count || k < 1 || k > n) {
        free(dot); free(xx); free(dist); free(sum); free(count);
        return pt_fail("pt_kmeans: out of memory or bad k = %d", k);
    }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double)x[(size_t)i * d + j] * x[(size_t)i * d + j];
        xx[i] = (float)s;
    }
    /* <Seed the centres by k-means++> */
    pt_rng rng;
    pt_rng_seed(&rng, seed);
    int first = (int)pt_rng_below(&rng, (uint32_t)n);
    memcpy(centres, x + (size_t)first * d, sizeof(float) * d);
    for (int i = 0; i < n; i++) dist[i] = HUGE_VAL;
    for (int c = 1; c < k; c++) {
        const float *prev = centres + (size_t)(c - 1) * d;
        double total = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double t = (double)x[(size_t)i * d + j] - prev[j];
                s += t * t;
            }
            if (s < dist[i]) dist[i] = s;
            total += dist[i];
        }
        double target = pt_rng_uniform(&rng) * total, acc = 0;
        int pick = n - 1;
        for (int i = 0; i < n; i++) { acc += dist[i]; if (acc > target) { pick = i; break; } }
        memcpy(centres + (size_t)c * d, x + (size_t)pick * d, sizeof(float) * d);
    }
    for (int i = 0; i < n; i++) assign[i] = -1;
    for (iter = 0; iter < max_iter; iter++) {
        /* <Assign every point to its nearest centre> */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1.0f, x, d, centres, d,
                    0.0f, dot, k);
        double cc[256];
        for (int c = 0; c < k && c < 256; c++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)centres[(size_t)c * d + j] * centres[(size_t)c * d + j];
            cc[c] = s;
        }
        int changed = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bd = HUGE_VAL;
            for (int c = 0; c < k && c < 256; c++) {
                double dd = xx[i] - 2.0 * dot[(size_t)i * k + c] + cc[c];
                if (dd < bd) { bd = dd; best = c; }
            }
            changed += assign[i] != best;
            assign[i] = best;
        }
        if (!changed) break;
        /* <Move every centre to the mean of its points> */
        memset(sum, 0, sizeof(double) * (size_t)k * d);
        memset(count, 0, sizeof(int) * k);
        for (int i = 0; i < n; i++) {
            count[assign[i]]++;
            for (int j = 0; j < d; j++) sum[(size_t)assign[i] * d + j] += x[(size_t)i * d + j];
        }
        for (int c = 0; c < k; c++)
            if (count[c] > 0)
                for (int j = 0; j < d; j++) centres[(size_t)c * d + j] = (float)(sum[(size_t)c * d + j] / count[c]);
    }
    free(dot); free(xx); free(dist); free(sum); free(count);
    return iter;
}
/* <Compare two partitions by the adjusted Rand index> */
double pt_adjusted_rand(const int *a, const int *b, int n, int ka, int kb)
{
    double *t = calloc((size_t)ka * kb, sizeof(double)), *ra = calloc(ka, sizeof(double)),
           *cb = calloc(kb, sizeof(double));
    if (!t || !ra || !cb) { free(t); free(ra); free(cb); return NAN; }
    for (int i = 0; i < n; i++) { t[(size_t)a[i] * kb + b[i]]++; ra[a[i]]++; cb[b[i]]++; }
    double sab = 0, sa = 0, sb = 0;
    for (size_t q = 0; q < (size_t)ka * kb; q++) sab += t[q] * (t[q] - 1) / 2;
    for (int q = 0; q < ka; q++) sa += ra[q] * (ra[q] - 1) / 2;
    for (int q = 0; q < kb; q++) sb += cb[q] * (cb[q] - 1) / 2;
    double e = sa * sb / ((double)n * (n - 1) / 2), mx = 0.5 * (sa + sb);
    free(t); free(ra); free(cb);
    return mx - e != 0 ? (sab - e) / (mx - e) : 1.0;
}
