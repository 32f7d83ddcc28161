/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_adapt.h: source/target splits, L-BFGS and the linear probe
   (Chapter 5). */
#ifndef PT_ADAPT_H
#define PT_ADAPT_H
#include <stdint.h>
#include "pt_base.h"
#include "pt_nn.h"

/* <Declare the source and target tasks> */
#define PT_SOURCE_FIRST   0   /* source task: labels 0..4 */
#define PT_TARGET_FIRST   5   /* target task: labels 5..9 */
#define PT_TASK_CLASSES   5   /* classes in each task */
/* <Declare the validation holdout and the label samples> */
typedef struct pt_split {
    int *train, n_train;   /* the training pool */
    int *val, n_val;       /* the validation set */
} pt_split;

/* Hold out val_per_class images of every class in [first, first+classes)
   of y[n] for validation, chosen by seed; the other images of those
   classes form the training pool, images of other classes neither.
   Return 0, or -1 (pt_fail) if a class has too few images. */
int  pt_split_holdout(pt_split *s, const unsigned char *y, int n, int first,
                      int classes, int val_per_class, uint64_t seed);
void pt_split_free(pt_split *s);

/* idx[] <- per_class indices of each class in [first, first+classes)
   taken from pool[npool] (per_class <= 0: all of them), the first
   per_class of a random order fixed by (seed, class), so that samples
   of one seed are nested. idx must hold npool entries; the result is
   ascending. Return the count, or -1 (pt_fail) if a class is short. */
int pt_split_sample(int *idx, const int *pool, int npool,
                    const unsigned char *y, int first, int classes,
                    int per_class, uint64_t seed);

/* Copy rows idx[m] of x[.][d] into dst[m][d] and their labels, minus
   label_offset, into ydst[m] (ydst may be NULL). */
void pt_gather(float *dst, unsigned char *ydst, const float *x,
               const unsigned char *y, const int *idx, int m, int d,
               int label_offset);
/* <Declare the L-BFGS minimiser> */
/* f(x) for x[n], writing the gradient g[n] */
typedef double (*pt_objective_fn)(double *g, const double *x, void *ctx);

typedef struct pt_lbfgs_opts {
    int    m;          /* pairs (s, y) kept: 10 */
    int    max_iter;   /* iterations at most: 1000 */
    double gtol;       /* converged when max |g_j| <= gtol: 1e-5 */
    double ftol;       /* stalled when f falls by < ftol max(1,|f|): 1e-12
                          (0: never) */
    double c1, c2;     /* the Wolfe constants: 1e-4, 0.9 */
    int    max_ls;     /* trial steps per line search: 40 */
} pt_lbfgs_opts;

enum { PT_LBFGS_CONVERGED, PT_LBFGS_STALLED, PT_LBFGS_MAX_ITER,
       PT_LBFGS_LINE_SEARCH };

typedef struct pt_lbfgs_report {
    int    iters, evals;   /* iterations done, evaluations of f */
    int    status;         /* PT_LBFGS_CONVERGED, ... */
    double f, gnorm;       /* f(x) and max |g_j| at the x returned */
} pt_lbfgs_report;

pt_lbfgs_opts pt_lbfgs_defaults(void);
/* Minimise f from x[n], leaving the best point found in x.  rep may be
   NULL.  Return 0 (whatever the status), or -1 (pt_fail) when out of
   memory or when f is not finite at the start. */
int pt_lbfgs(double *x, int n, pt_objective_fn f, void *ctx,
             const pt_lbfgs_opts *opts, pt_lbfgs_report *rep);
/* <Declare multinomial logistic regression> */
typedef pt_lbfgs_report pt_logreg_report;

/* J(W) of the L2-penalised softmax regression on x[n][d], labels y[n] in
   [0, k), weights w[k][d+1] (bias last); if g is not NULL it receives the
   gradient g[k][d+1].  Allocates scratch; returns NaN if it cannot. */
double pt_logreg_loss(double *g, const float *w, const float *x,
                      const unsigned char *y, int n, int d, int k,
                      double lambda);

/* Minimise J by L-BFGS from the w[k][d+1] given (zeros: a cold start);
   opts NULL: pt_lbfgs_defaults(); rep may be NULL.  Return 0, or -1. */
int pt_logreg_fit(float *w, const float *x, const unsigned char *y,
                  int n, int d, int k, double lambda,
                  const pt_lbfgs_opts *opts, pt_logreg_report *rep);

/* pred[n] = argmax_c (w x_i)_c */
void pt_logreg_predict(unsigned char *pred, const float *w, const float *x,
                       int n, int d, int k);
/* the fraction of x[n][d] whose prediction equals y[n] */
double pt_logreg_accuracy(const float *w, const float *x,
                          const unsigned char *y, int n, int d, int k);
/* <Declare the choice of the penalty on validation data> */
typedef struct pt_logreg_choice {
    double lambda, val_acc;   /* the value chosen and its accuracy */
    pt_logreg_report rep;     /* the fit at that value */
} pt_logreg_choice;

/* Fit on (xtr[ntr][d], ytr) for each of grid[ngrid] (descending, warm
   started), and leave in w[k][d+1] the fit with the best accuracy on
   (xva[nva][d], yva).  Return 0, or -1. */
int pt_logreg_select(float *w, pt_logreg_choice *best,
                     const float *xtr, const unsigned char *ytr, int ntr,
                     const float *xva, const unsigned char *yva, int nva,
                     int d, int k, const double *grid, int ngrid,
                     const pt_lbfgs_opts *opts);
/* <Declare the choice of the penalty on validation data> */
/* the probes' grid of lambda, descending: 1e1 .. 1e-4; the ten-class
   probes use its last PT_LAMBDAS_10 values, pt_lambdas + PT_LAMBDAS -
   PT_LAMBDAS_10 */
enum { PT_LAMBDAS = 6, PT_LAMBDAS_10 = 3 };
extern const double pt_lambdas[PT_LAMBDAS];
/* <Declare the label-efficiency curve> */
/* A label-efficiency table: rows (method, labels a class, seed, test
   accuracy); per_class 0 means the whole pool.  Methods are not copied. */
typedef struct pt_curve_row {
    const char *method;
    int per_class;
    unsigned long long seed;
    double test_acc;
} pt_curve_row;
typedef struct pt_curve { pt_curve_row *rows; int n, cap; } pt_curve;
int  pt_curve_add(pt_curve *t, const char *method, int per_class,
                  unsigned long long seed, double test_acc);
/* write dir/label_efficiency.tsv; return 0, or -1 */
int  pt_curve_write(const pt_curve *t, const char *dir);
void pt_curve_free(pt_curve *t);
/* <Declare the label-efficiency curve> */
/* Standardise ftr[n][d] and fte[nt][d] in place with the mean and
   standard deviation of the pool's rows of ftr (s->train).  Return 0, or -1. */
int pt_standardize_by_pool(float *ftr, int n, float *fte, int nt, const pt_split *s, int d);
/* <Declare the label-efficiency curve> */
/* The fixed sets of a probe task: the rows of the images of classes
   [first, first + k), labels minus first, among validation and test. */
typedef struct pt_probe_task {
    float *xva, *xte;
    unsigned char *yva, *yte;
    int nva, nte, first, k, d;
} pt_probe_task;
/* Gather, from features ftr (labels ytr) the task's rows among val[nval]
   and from fte (labels yte) its rows among all nte.  Return 0, or -1. */
int  pt_probe_task_make(pt_probe_task *t, const float *ftr, const unsigned char *ytr,
                        const int *val, int nval, const float *fte,
                        const unsigned char *yte, int nte, int first, int k, int d);
void pt_probe_task_free(pt_probe_task *t);
/* <Declare the label-efficiency curve> */
/* Draw per images a class (0: all) of the task's classes from pool[npool]
   (labels y) with seed, fit the probe to their rows of ftr for each
   lambda of grid, keep in *best the one best on t's validation set and
   put its test accuracy in *acc.  Return 0, or -1. */
int pt_probe_sample(double *acc, pt_logreg_choice *best, const pt_probe_task *t,
                    const float *ftr, const unsigned char *y, const int *pool, int npool,
                    int per, uint64_t seed, const double *grid, int ngrid,
                    const pt_lbfgs_opts *opts);
/* <Declare the label-efficiency curve> */
/* the mean and standard deviation over seeds of acc[ns] into res as
   PREFIX.METHOD.nPER.test_acc_mean and _sd (PER 0: `all`); return the mean */
double pt_curve_point(pt_results *res, const char *prefix, const char *method, int per,
                      const double *acc, int ns);
/* <Declare the adaptation of a network> */
/* feat[n][d] <- the representation of x[n][...]: the output of layers
   [0, upto), d = pt_model_out_size(m, upto), computed in batches of
   m->max_batch.  Return 0, or -1. */
int pt_model_features(float *feat, pt_model *m, int upto, const float *x, int n);

/* Copy the tensors of group `group` from src into dst, a network of the
   same architecture.  Return 0, or -1 (pt_fail) if the tensors differ. */
int pt_params_copy_group(pt_params *dst, const pt_params *src, int group);
/* <Declare the adaptation of a network> */
typedef struct pt_finetune_config {
    int    steps;          /* optimiser steps, rounded up to whole epochs */
    int    batch;          /* examples per step (capped by the data)      */
    int    evals;          /* validation checkpoints, evenly spaced       */
    double lr;             /* the head's peak learning rate (AdamW)       */
    double backbone_lr;    /* the backbone's, as a fraction of lr; 0: frozen */
    double weight_decay;   /* AdamW's decoupled lambda                    */
    double clip;           /* max gradient norm, 0: no clipping           */
    uint64_t seed;         /* the order of the batches                    */
} pt_finetune_config;

typedef struct pt_finetune_report {
    long long steps, best_step;   /* steps taken; the checkpoint kept     */
    double best_val_acc;          /* its validation accuracy              */
} pt_finetune_report;

/* Train m on train with AdamW and a warm-up-cosine schedule, measure
   val at `evals` evenly spaced checkpoints, and leave in m the
   parameters of the checkpoint with the best validation accuracy (the
   earliest on ties).  rep may be NULL.  Return 0, or -1. */
int pt_finetune(pt_model *m, const pt_dataset *train, const pt_dataset *val,
                const pt_finetune_config *c, pt_finetune_report *rep);
/* <Declare the adaptation of a network> */
/* the convolutional trunk of the book's networks on a new model of
   28 x 28 grey images: conv(width) relu pool conv(2 width) relu pool
   flatten, PT_TRUNK_LAYERS layers.  Return 0, or -1. */
#define PT_TRUNK_LAYERS 7
int pt_model_trunk(pt_model *m, int width);

#endif
