/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_data.h: random numbers, IDX files, Fashion-MNIST and feature
   statistics. Arrays are row-major float; shapes are written beside
   each function; the caller owns all memory except what loaders return. */
#ifndef PT_DATA_H
#define PT_DATA_H
#include <stddef.h>
#include <stdint.h>
/* <Declare the random number generator> */
typedef struct pt_rng {
    uint64_t s[4];        /* xoshiro256** state, never all zero */
    int      has_spare;   /* Box-Muller makes normals in pairs */
    double   spare;
} pt_rng;
uint64_t pt_splitmix64(uint64_t *x);                 /* advance x, return a mixed word */
void     pt_rng_seed(pt_rng *r, uint64_t seed);
uint64_t pt_rng_u64(pt_rng *r);                      /* uniform on [0, 2^64) */
uint32_t pt_rng_below(pt_rng *r, uint32_t n);        /* uniform on [0, n), unbiased; n >= 1 */
float    pt_rng_uniform(pt_rng *r);                  /* uniform on [0, 1) */
double   pt_rng_normal(pt_rng *r);                   /* N(0, 1), Box-Muller */
void     pt_rng_shuffle(pt_rng *r, int *a, int n);   /* a[n], Fisher-Yates */
/* <Declare the IDX reader> */
#define PT_IDX_MAX_DIMS 8
#define PT_IDX_UBYTE    0x08   /* the element type code of unsigned bytes */
typedef struct pt_idx {
    int            ndim;                    /* 1 .. PT_IDX_MAX_DIMS */
    int            dims[PT_IDX_MAX_DIMS];   /* dims[0] is the slowest-varying */
    size_t         count;                   /* dims[0] * ... * dims[ndim-1] */
    unsigned char *data;                    /* data[count], row-major */
} pt_idx;
int  pt_idx_load(pt_idx *t, const char *path);   /* gzipped or plain; 0, or -1 + pt_fail */
void pt_idx_free(pt_idx *t);
/* <Declare the Fashion-MNIST loader> */
#define PT_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define PT_FMNIST_CLASSES     10
typedef struct pt_dataset {
    int            n, rows, cols;
    float         *x;   /* x[n][rows*cols], pixels in [0, 1] */
    unsigned char *y;   /* y[n], labels in [0, PT_FMNIST_CLASSES) */
} pt_dataset;
extern const char *const pt_fmnist_class_names[PT_FMNIST_CLASSES];
const char *pt_fmnist_dir(const char *override);   /* override > $PRETEXT_FASHION_MNIST > default */
int  pt_fmnist_load(pt_dataset *d, const char *dir, const char *split, int limit);
                    /* split "train" or "t10k"; dir NULL: pt_fmnist_dir(NULL); limit <= 0: all */
void pt_dataset_free(pt_dataset *d);
void pt_bytes_to_unit(float *x, const unsigned char *b, size_t n);   /* x[n] = b[n] / 255 */
/* <Declare the feature statistics> */
void pt_col_mean(float *mu, const float *x, int n, int d);            /* mu[d] <- mean of x[n][d] */
void pt_col_std(float *sd, const float *x, const float *mu, int n, int d);   /* sd[d], divisor n-1 */
void pt_center(float *x, const float *mu, int n, int d);              /* x[n][d] -= mu[d] */
void pt_standardize(float *x, const float *mu, const float *sd, int n, int d);
                    /* x[n][d] <- (x - mu) / sd, dividing by 1 where sd == 0 */
void pt_covariance(float *c, const float *xc, int n, int d);          /* c[d][d] = xc^T xc / (n-1), ssyrk */
void pt_covariance_gemm(float *c, const float *xc, int n, int d);     /* the same with sgemm */
void pt_correlation(float *r, const float *c, int d);                 /* r[d][d] from c[d][d]; r != c */
#endif
