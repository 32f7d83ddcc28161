/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_nn.h: layers, parameters, models, optimisers, safetensors
   checkpoints and training (Chapter 4).  Arrays are row-major float,
   images NCHW; the caller owns all memory a layer touches. */
#ifndef PT_NN_H
#define PT_NN_H
#include <stddef.h>
#include <stdint.h>
#include "pt_base.h"
#include "pt_data.h"

/* <Declare the dense layers> */
/* y[n][m] = x[n][k] . w[m][k]^T + b[m] */
void pt_linear_forward(float *y, const float *x, const float *w, const float *b,
                       int n, int k, int m);
/* dx[n][k] = dy . w (dx may be NULL); dw[m][k] += dy^T x; db[m] += sum_n dy */
void pt_linear_backward(float *dx, float *dw, float *db, const float *dy,
                        const float *x, const float *w, int n, int k, int m);
/* y[len] = max(x, 0);  dx[len] = dy where x > 0, else 0 */
void pt_relu_forward(float *y, const float *x, size_t len);
void pt_relu_backward(float *dx, const float *dy, const float *x, size_t len);
/* y = x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))), and its derivative */
void pt_gelu_forward(float *y, const float *x, size_t len);
void pt_gelu_backward(float *dx, const float *dy, const float *x, size_t len);
/* y[j] = e^(x[j] - shift), j < n, a vector at a time (y may be x, or NULL
   to only sum); returns the sum of the y[j] in double: L sums of every
   L-th j, in order, added in order, L = pt_vector_lanes() */
double pt_exp_sum(float *y, const float *x, float shift, size_t n);
/* the largest of x[0 .. n-1], n >= 1 (if x holds a NaN: a NaN or any number of x) */
float pt_max(const float *x, size_t n);
/* the lanes of pt_exp_sum, pt_max and the GELU: 16 (AVX-512), 8 (AVX2) or
   4 (SSE), the widest the processor runs and pt_vector_lanes_set allows */
int pt_vector_lanes(void);
/* allow at most `lanes` (0: all); returns the width now in use */
int pt_vector_lanes_set(int lanes);
/* <Declare the convolution> */
typedef struct pt_conv_shape {
    int c, h, w;        /* input: channels, height, width            */
    int f, k;           /* f filters of c x k x k                     */
    int stride, pad;    /* step between windows, zeros on each border */
    int oh, ow;         /* output: (h + 2 pad - k) / stride + 1, ...  */
} pt_conv_shape;
pt_conv_shape pt_conv_shape_make(int c, int h, int w, int f, int k, int stride, int pad);
/* floats of scratch space the fast forward and backward need for n images */
size_t pt_conv_workspace(const pt_conv_shape *s, int n);
/* col[c k k][n oh ow] <- the receptive fields of x[n][c][h][w] */
void pt_im2col(float *col, const float *x, const pt_conv_shape *s, int n);
/* dx[n][c][h][w] += col[c k k][n oh ow] folded back onto the image */
void pt_col2im(float *dx, const float *col, const pt_conv_shape *s, int n);
/* y[n][f][oh][ow] = sum_{c,i,j} w[f][c][i][j] x[n][c][.][.] + b[f] */
void pt_conv2d_forward(float *y, const float *x, const float *w, const float *b,
                       float *work, const pt_conv_shape *s, int n);
void pt_conv2d_forward_direct(float *y, const float *x, const float *w,
                              const float *b, const pt_conv_shape *s, int n);
/* dx = (may be NULL) overwritten; dw[f][c][k][k] and db[f] accumulate */
void pt_conv2d_backward(float *dx, float *dw, float *db, const float *dy,
                        const float *x, const float *w, float *work,
                        const pt_conv_shape *s, int n);
/* <Declare the pooling layers> */
/* 2 x 2 max-pooling, stride 2: y[n][c][h/2][w/2] from x[n][c][h][w] */
void pt_maxpool2_forward(float *y, const float *x, int n, int c, int h, int w);
/* dx (overwritten) receives dy at the position of each window's maximum */
void pt_maxpool2_backward(float *dx, const float *dy, const float *x,
                          int n, int c, int h, int w);
/* global average pooling: y[n][c] = mean over h w of x[n][c][h][w] */
void pt_gap_forward(float *y, const float *x, int n, int c, int hw);
void pt_gap_backward(float *dx, const float *dy, int n, int c, int hw);
/* <Declare layer normalisation and the loss> */
/* y[n][d] = g[d] (x - mean) / sqrt(var + eps) + b[d], statistics per row */
void pt_layernorm_forward(float *y, const float *x, const float *g, const float *b,
                          int n, int d, float eps);
void pt_layernorm_backward(float *dx, float *dg, float *db, const float *dy,
                           const float *x, const float *g, int n, int d, float eps);
/* mean of -log softmax(z[i])[y[i]] over the rows with a label (y[i] >= 0;
   a row with y[i] < 0 is skipped), from logits z[n][k] by log-sum-exp;
   dz[n][k] = (softmax(z) - onehot(y)) / rows unless NULL, 0 on skipped rows;
   dz may be z, to overwrite the logits with their gradient */
double pt_softmax_xent(float *dz, const float *z, const int *y, int n, int k);
/* the number of rows i whose largest z[i][.] is at y[i] */
int pt_count_correct(const float *z, const int *y, int n, int k);
/* <Declare the parameter store> */
#define PT_MAX_DIMS    4
#define PT_MAX_TENSORS 640          /* GPT-2 XL has 580 */
#define PT_MAX_GROUPS  4
enum { PT_GROUP_BACKBONE = 0, PT_GROUP_HEAD = 1 };
typedef struct pt_tensor {
    char   name[64];              /* "layers.0.weight"                  */
    int    ndim, shape[PT_MAX_DIMS];
    size_t offset, count;         /* floats, into data[] and grad[]     */
    int    group;                 /* PT_GROUP_BACKBONE, PT_GROUP_HEAD.. */
    int    decay;                 /* 1: weight decay applies to it      */
} pt_tensor;
typedef struct pt_params {
    int       n;                  /* tensors                            */
    pt_tensor t[PT_MAX_TENSORS];
    size_t    size;               /* floats in all tensors together     */
    float    *data, *grad;        /* data[size], grad[size]             */
} pt_params;
/* Append a tensor (before pt_params_alloc); returns its index or -1. */
int   pt_params_add(pt_params *p, const char *name, int group, int decay,
                    int ndim, const int *shape);
int   pt_params_alloc(pt_params *p);          /* zeroed data and grad */
int   pt_params_find(const pt_params *p, const char *name);   /* or -1 */
float *pt_param(const pt_params *p, int i);   /* data + t[i].offset */
float *pt_grad(const pt_params *p, int i);    /* grad + t[i].offset */
void  pt_params_zero_grad(pt_params *p);
void  pt_params_free(pt_params *p);
/* <Declare the sequential model> */
typedef enum { PT_CONV, PT_RELU, PT_GELU, PT_MAXPOOL, PT_GAP, PT_FLATTEN,
               PT_LINEAR, PT_LAYERNORM } pt_layer_kind;
typedef struct pt_layer {
    pt_layer_kind kind;
    int c, h, w;                  /* the input of one example           */
    int oc, oh, ow;               /* its output                         */
    pt_conv_shape conv;           /* PT_CONV only                       */
    int weight, bias;             /* tensor indices, -1 if none         */
} pt_layer;
#define PT_MAX_LAYERS 32
typedef struct pt_model {
    int       n;                  /* layers                             */
    pt_layer  layer[PT_MAX_LAYERS];
    int       in_c, in_h, in_w;   /* the input of one example           */
    int       group;              /* the group of layers added next     */
    pt_params params;
    int       max_batch;
    const float *input;           /* the last forward's input           */
    float    *act[PT_MAX_LAYERS + 1];   /* act[l + 1]: output of layer l */
    float    *grad_a, *grad_b;    /* two buffers for gradients          */
    float    *work;               /* convolution scratch                */
} pt_model;
int  pt_model_init(pt_model *m, int c, int h, int w);  /* the input shape */
int  pt_model_conv(pt_model *m, int filters, int k, int stride, int pad);
int  pt_model_linear(pt_model *m, int out);
int  pt_model_relu(pt_model *m);
int  pt_model_gelu(pt_model *m);
int  pt_model_maxpool(pt_model *m);
int  pt_model_gap(pt_model *m);
int  pt_model_flatten(pt_model *m);
int  pt_model_layernorm(pt_model *m);
int  pt_model_alloc(pt_model *m, int max_batch);
void pt_model_init_params(pt_model *m, pt_rng *rng);   /* Kaiming / Xavier */
size_t pt_model_out_size(const pt_model *m, int upto); /* floats per example */
/* run layers [0, upto) on x[n][...]; returns their output (owned by m) */
const float *pt_model_forward(pt_model *m, const float *x, int n, int upto);
/* given dy = dL/d(output of layer upto-1), accumulate every parameter
   gradient of layers [0, upto) */
void pt_model_backward(pt_model *m, const float *dy, int n, int upto);
/* mean loss and accuracy over a data set, in batches of m->max_batch */
int  pt_model_evaluate(pt_model *m, const pt_dataset *d, double *loss, double *acc);
void pt_model_free(pt_model *m);
/* <Declare the optimisers> */
typedef enum { PT_SGD, PT_ADAM, PT_ADAMW } pt_optim_kind;
typedef struct pt_optim {
    pt_optim_kind kind;
    double momentum;              /* SGD: mu, default 0.9               */
    double beta1, beta2, eps;     /* Adam: 0.9, 0.999, 1e-8             */
    double weight_decay;          /* lambda: L2 (SGD, Adam), decoupled (AdamW) */
    double group_lr[PT_MAX_GROUPS];   /* lr multiplier; 0 freezes a group */
    long long t;                  /* steps taken                        */
    size_t size;
    float *m, *v;                 /* moments, m[size], v[size]          */
} pt_optim;
int  pt_optim_init(pt_optim *o, pt_optim_kind kind, const pt_params *p);
void pt_optim_step(pt_optim *o, pt_params *p, double lr);
void pt_optim_free(pt_optim *o);
const char *pt_optim_name(pt_optim_kind kind);
/* linear warm-up over `warmup` steps to `peak`, then cosine down to
   peak * final_frac at step `total` */
double pt_lr_at(long long step, long long warmup, long long total,
                double peak, double final_frac);
/* scale the gradients so their norm is at most max_norm; returns the norm
   before scaling */
double pt_clip_grad_norm(pt_params *p, double max_norm);
/* <Declare the safetensors files> */
typedef struct pt_st_tensor {
    char      name[128];
    char      dtype[8];           /* as the file has it: F32, F16, BF16 */
    int       ndim;
    long long shape[PT_MAX_DIMS];
    size_t    begin, end;         /* byte offsets into data (F32 there) */
} pt_st_tensor;
typedef struct pt_safetensors {
    int            n, nmeta;
    pt_st_tensor  *t;             /* t[n], in the order of their bytes  */
    char         **key, **val;    /* __metadata__: key[nmeta], val[nmeta] */
    unsigned char *data;          /* the tensor bytes, data[size]       */
    size_t         size;
} pt_safetensors;
/* Read and validate path; F16 and BF16 tensors are converted, so that
   data holds F32 only.  0, or -1 + pt_fail naming the file and what is
   wrong with it. */
int pt_st_read(pt_safetensors *f, const char *path);
const pt_st_tensor *pt_st_find(const pt_safetensors *f, const char *name);
const char *pt_st_meta(const pt_safetensors *f, const char *key);  /* or NULL */
void pt_st_free(pt_safetensors *f);
typedef struct pt_st_writer pt_st_writer;
pt_st_writer *pt_st_writer_new(void);
void pt_st_add(pt_st_writer *w, const char *name, const float *data,
               int ndim, const int *shape);       /* data is not copied */
void pt_st_set_meta(pt_st_writer *w, const char *key, const char *val);
int  pt_st_write(pt_st_writer *w, const char *path);   /* atomically */
void pt_st_writer_free(pt_st_writer *w);
/* <Declare the training loop and its checkpoints> */
typedef struct pt_train_config {
    int    epochs, batch;
    double lr, final_lr_frac;     /* peak learning rate; floor / peak   */
    int    warmup;                /* steps of linear warm-up            */
    double clip;                  /* max gradient norm, 0: no clipping  */
    int    eval_every;            /* steps between evaluations, 0: each epoch */
    int    patience;              /* evaluations without improvement, 0: never stop */
    long long stop_at;            /* stop after this step as if killed, 0: never */
    const char *checkpoint;       /* path of the checkpoint, or NULL    */
    int    checkpoint_every;      /* steps, 0: only at the end          */
    int    quiet;                 /* no progress display or log lines   */
} pt_train_config;
#define PT_HIST_COLS 6            /* step, epoch, train loss, train acc, val loss, val acc */
typedef struct pt_train_run {
    long long step;               /* optimiser steps taken              */
    int       epoch, position;    /* epoch, batches of it already taken */
    pt_rng    order;              /* the shuffle generator at epoch start */
    double    best_val, run_loss, run_correct;
    long long run_count;          /* examples since the last evaluation */
    int       bad_evals, stopped;
    float    *hist;               /* hist[rows][PT_HIST_COLS]           */
    int       rows, cap;
    double    seconds;            /* training time in this process      */
    long long examples;           /* examples trained in this process   */
} pt_train_run;
void pt_train_run_init(pt_train_run *r, uint64_t seed);
void pt_train_run_free(pt_train_run *r);
/* A new row of r's history: step, epoch (fractional), the mean loss since
   the last row, and three columns the caller fills; NULL if out of memory. */
float *pt_train_run_row(pt_train_run *r, int per_epoch);
/* dir/name: a header line of PT_HIST_COLS names, then the history. */
int pt_train_run_write(const pt_train_run *r, const char *dir, const char *name,
                       const char *header);
int  pt_train(pt_model *m, pt_optim *o, const pt_dataset *train,
              const pt_dataset *val, const pt_train_config *c, pt_train_run *r);
/* o and r may be NULL: then only the parameters are written or read */
int  pt_checkpoint_save(const char *path, const pt_params *p,
                        const pt_optim *o, const pt_train_run *r);
int  pt_checkpoint_load(const char *path, pt_params *p, pt_optim *o,
                        pt_train_run *r);

#endif
