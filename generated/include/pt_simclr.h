/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_simclr.h: views and the contrastive loss (Chapter 6). */
#ifndef PT_SIMCLR_H
#define PT_SIMCLR_H
#include <stddef.h>
#include <stdint.h>
#include "pt_data.h"
#include "pt_nn.h"

/* <Declare the augmentations> */
typedef struct pt_augment {
    float crop_p;                        /* probability of a random resized crop */
    float scale_lo, scale_hi;            /* its area, a fraction of the image's  */
    float ratio_lo, ratio_hi;            /* its width / height                   */
    float flip_p;                        /* probability of a horizontal flip     */
    float rotate_deg;                    /* angle uniform in [-r, r] degrees     */
    float brightness, contrast;          /* offset in [-b, b], factor in [1-c, 1+c] */
    float blur_p, sigma_lo, sigma_hi;    /* Gaussian blur, sigma in pixels       */
    float noise_sd;                      /* additive Gaussian noise              */
    float erase_p, erase_lo, erase_hi;   /* random erasing, area fraction        */
} pt_augment;
pt_augment pt_augment_all(void);         /* every augmentation, this chapter's defaults */
pt_augment pt_augment_crop(void);        /* random resized crop and flip only */
/* <Declare the augmentations> */
/* out[oh][ow] <- in[h][w] sampled over the box with top-left (y0, x0) and
   sides bh x bw, rotated by angle radians about its centre; bilinear, 0
   outside the image */
void pt_resample(float *out, int oh, int ow, const float *in, int h, int w,
                 float y0, float x0, float bh, float bw, float angle);
void pt_flip_h(float *x, int h, int w);
void pt_blur(float *x, int h, int w, float sigma, float *tmp);    /* tmp[h * w] */
void pt_erase(float *x, int h, int w, int y0, int x0, int eh, int ew, pt_rng *rng);
/* out[h][w] <- a random view of in[h][w] (h * w <= 4096), pixels in [0, 1] */
void pt_augment_view(float *out, const float *in, int h, int w, const pt_augment *a,
                     pt_rng *rng);
/* out[2n][h][w]: rows 2k and 2k + 1 are two views of image idx[k] (k if idx
   is NULL) of x; the same seed gives the same views on any thread count */
void pt_augment_pairs(float *out, const float *x, const int *idx, int n, int h, int w,
                      const pt_augment *a, uint64_t seed);
/* <Declare the contrastive loss> */
/* mean per-dimension sd of u = z/|z|, alignment and uniformity of
   @eq:simclr-align-unif, for rows grouped as in pt_ntxent */
void pt_contrastive_stats(const float *z, const int *group, int m, int d,
                          double *sd, double *align, double *unif);
void pt_l2_normalize(float *u, float *norm, const float *z, int m, int d);
/* dz[m][d] <- dL/dz from du = dL/du, for u = z / |z| (dz may be du) */
void pt_l2_normalize_backward(float *dz, const float *du, const float *u,
                              const float *norm, int m, int d);

typedef enum { PT_NTXENT_PAIRS, PT_NTXENT_MULTI } pt_ntxent_form;
size_t pt_ntxent_workspace(int m, int d);    /* floats of scratch for pt_ntxent */
/* The contrastive loss of z[m][d] at temperature tau: rows with equal
   group[] are positives of each other, all other rows negatives.  If dz is
   not NULL, dz[m][d] <- dL/dz.  Returns the loss, or NAN after pt_fail (a
   row without a positive; in PAIRS form, a row with more than one). */
double pt_ntxent(float *dz, const float *z, const int *group, int m, int d, double tau,
                 pt_ntxent_form form, float *work);
/* <Declare SimCLR training> */
int pt_simclr_network(pt_model *m, int width, int hidden, int proj, int max_batch,
                      uint64_t seed);

typedef struct pt_simclr_config {
    int       epochs, batch;            /* images a step: 2 * batch views */
    double    lr, final_lr_frac;        /* AdamW's peak rate; floor / peak */
    int       warmup;                   /* steps of linear warm-up */
    double    clip, tau;                /* gradient norm cap; temperature */
    pt_augment aug;
    uint64_t  seed;                     /* the views */
    int       log_every;                /* steps between diagnostics rows */
    long long stop_at;                  /* stop after this step as if killed, 0: never */
    const char *checkpoint;             /* path, or NULL */
    int       checkpoint_every;         /* steps, 0: only at the end */
    int       quiet;
} pt_simclr_config;

/* History rows (PT_HIST_COLS = 6): step, epoch, loss (mean since the last
   row), per-dimension sd of u = z/|z|, alignment, uniformity. */
int pt_simclr_train(pt_model *m, pt_optim *o, const pt_dataset *images,
                    const pt_simclr_config *c, pt_train_run *r);
/* <Declare the evaluations> */
/* accuracy of the k-NN vote (cosine similarity) of each row of xte[nte][d]
   among the rows of xtr[ntr][d]; NAN after pt_fail */
double pt_knn_accuracy(const float *xtr, const unsigned char *ytr, int ntr,
                       const float *xte, const unsigned char *yte, int nte,
                       int d, int k, int classes);
/* Lloyd's k-means from a k-means++ start: assign[n], centres[k][d].
   Returns the iterations run, or -1 after pt_fail. */
int pt_kmeans(int *assign, float *centres, const float *x, int n, int d, int k,
              int max_iter, uint64_t seed);
/* adjusted Rand index of partitions a[n] (labels < ka) and b[n] (< kb) */
double pt_adjusted_rand(const int *a, const int *b, int n, int ka, int kb);
#endif
