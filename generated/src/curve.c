/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* curve.c: probe tasks, probes on samples of labels and the
   label-efficiency table (Chapter 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_data.h"
#include "pt_adapt.h"

/* <Standardise features by the pool's statistics> */
int pt_standardize_by_pool(float *ftr, int n, float *fte, int nt, const pt_split *s, int d)
{
    int np = s->n_train;
    float *pool = malloc(sizeof(float) * (size_t)np * d);
    float *mu = malloc(sizeof(float) * d), *sd = malloc(sizeof(float) * d);
    if (!pool || !mu || !sd) {
        free(pool); free(mu); free(sd);
        return pt_fail("out of memory for feature statistics");
    }
    pt_gather(pool, NULL, ftr, NULL, s->train, np, d, 0);
    pt_col_mean(mu, pool, np, d);
    pt_col_std(sd, pool, mu, np, d);
    pt_standardize(ftr, mu, sd, n, d);
    pt_standardize(fte, mu, sd, nt, d);
    free(pool); free(mu); free(sd);
    return 0;
}
/* <Gather a probe task's validation and test sets> */
int pt_probe_task_make(pt_probe_task *t, const float *ftr, const unsigned char *ytr,
                       const int *val, int nval, const float *fte,
                       const unsigned char *yte, int nte, int first, int k, int d)
{
    memset(t, 0, sizeof *t);
    t->first = first; t->k = k; t->d = d;
    int *all = malloc(sizeof(int) * (size_t)(nte > nval ? nte : nval));
    if (!all) return pt_fail("out of memory");
    /* <Pick the task's images of the validation set and of the test set> */
    t->nva = pt_split_sample(all, val, nval, ytr, first, k, 0, 0);
    t->xva = malloc(sizeof(float) * (size_t)t->nva * d);
    t->yva = malloc((size_t)t->nva);
    if (t->nva < 0 || !t->xva || !t->yva) { free(all); pt_probe_task_free(t); return pt_fail("out of memory"); }
    pt_gather(t->xva, t->yva, ftr, ytr, all, t->nva, d, first);
    for (int i = 0; i < nte; i++) all[i] = i;
    t->nte = pt_split_sample(all, all, nte, yte, first, k, 0, 0);
    t->xte = malloc(sizeof(float) * (size_t)t->nte * d);
    t->yte = malloc((size_t)t->nte);
    if (t->nte < 0 || !t->xte || !t->yte) { free(all); pt_probe_task_free(t); return pt_fail("out of memory"); }
    pt_gather(t->xte, t->yte, fte, yte, all, t->nte, d, first);
    free(all);
    return 0;
}

void pt_probe_task_free(pt_probe_task *t)
{
    free(t->xva); free(t->xte); free(t->yva); free(t->yte);
    memset(t, 0, sizeof *t);
}
/* <Fit a probe to a sample of labels> */
int pt_probe_sample(double *acc, pt_logreg_choice *best, const pt_probe_task *t,
                    const float *ftr, const unsigned char *y, const int *pool, int npool,
                    int per, uint64_t seed, const double *grid, int ngrid,
                    const pt_lbfgs_opts *opts)
{
    int k = t->k, d = t->d, status = -1;
    int *idx = malloc(sizeof(int) * (size_t)(npool > 0 ? npool : 1));
    if (!idx) return pt_fail("out of memory");
    int m = pt_split_sample(idx, pool, npool, y, t->first, k, per, seed);
    float *x = m > 0 ? malloc(sizeof(float) * (size_t)m * d) : NULL;
    float *w = malloc(sizeof(float) * (size_t)k * (d + 1));
    unsigned char *ys = m > 0 ? malloc((size_t)m) : NULL;
    if (m < 0) status = -1;
    else if (!x || !w || !ys) pt_fail("out of memory for a probe on %d rows", m);
    else {
        pt_gather(x, ys, ftr, y, idx, m, d, t->first);
        if (pt_logreg_select(w, best, x, ys, m, t->xva, t->yva, t->nva, d, k,
                             grid, ngrid, opts) == 0) {
            *acc = pt_logreg_accuracy(w, t->xte, t->yte, t->nte, d, k);
            status = 0;
        }
    }
    free(idx); free(x); free(w); free(ys);
    return status;
}
/* <Keep the label-efficiency table> */
int pt_curve_add(pt_curve *t, const char *method, int per_class,
                 unsigned long long seed, double test_acc)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        pt_curve_row *r = realloc(t->rows, sizeof *r * (size_t)cap);
        if (!r) return pt_fail("out of memory for the label-efficiency table");
        t->rows = r; t->cap = cap;
    }
    t->rows[t->n++] = (pt_curve_row){ method, per_class, seed, test_acc };
    return 0;
}

int pt_curve_write(const pt_curve *t, const char *dir)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "label_efficiency.tsv");
    if (!fp) return -1;
    fprintf(fp, "method\tlabels_per_class\tseed\ttest_acc\n");
    for (int i = 0; i < t->n; i++) {
        const pt_curve_row *r = t->rows + i;
        if (r->per_class > 0) fprintf(fp, "%s\t%d", r->method, r->per_class);
        else fprintf(fp, "%s\tall", r->method);
        fprintf(fp, "\t%llu\t%.6f\n", r->seed, r->test_acc);
    }
    return pt_file_commit(&f);
}

void pt_curve_free(pt_curve *t)
{
    free(t->rows);
    memset(t, 0, sizeof *t);
}
/* <Record the mean and spread of one point over seeds> */
double pt_curve_point(pt_results *res, const char *prefix, const char *method, int per,
                      const double *acc, int ns)
{
    double sum = 0, sq = 0;
    for (int r = 0; r < ns; r++) {
        sum += acc[r] - acc[0];
        sq += (acc[r] - acc[0]) * (acc[r] - acc[0]);
    }
    double mean = acc[0] + sum / ns, var = ns > 1 ? (sq - sum * sum / ns) / (ns - 1) : 0;
    char key[160], nm[16];
    if (per > 0) snprintf(nm, sizeof nm, "n%d", per); else snprintf(nm, sizeof nm, "all");
    snprintf(key, sizeof key, "%s.%s.%s.test_acc_mean", prefix, method, nm);
    pt_results_real(res, key, mean);
    snprintf(key, sizeof key, "%s.%s.%s.test_acc_sd", prefix, method, nm);
    pt_results_real(res, key, sqrt(var > 0 ? var : 0));
    return mean;
}
