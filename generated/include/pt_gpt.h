/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_gpt.h: the transformer, its files and its training (Chapter 8). */
#ifndef PT_GPT_H
#define PT_GPT_H
#include <stddef.h>
#include <stdint.h>
#include "pt_nn.h"

/* <Declare the transformer's layers> */
/* x[B*T][C] = wte[tok] + wpe[position]; backward adds into dwte, dwpe */
void pt_embed_forward(float *x, const int *tok, const float *wte, const float *wpe,
                      int B, int T, int C);
void pt_embed_backward(float *dwte, float *dwpe, const float *dx, const int *tok,
                       int B, int T, int C);
/* <Declare the transformer's layers> */
/* Multi-head self-attention of B windows of T positions: qkv[B*T][3C]
   holds each position's query, key and value (H heads of C/H each),
   y[B*T][C] the heads' outputs side by side, att[B*H][T][T] the weights.
   causal: position t sees positions 0..t; else all T. */
void pt_attention_forward(float *y, float *att, const float *qkv, int B, int T, int C,
                          int H, int causal);
/* dqkv[B*T][3C] from dy[B*T][C]; work holds B*H*T*T floats */
void pt_attention_backward(float *dqkv, float *work, const float *dy, const float *qkv,
                           const float *att, int B, int T, int C, int H);
/* <Declare the transformer's layers> */
/* y[n][m] = x[n][k] w[k][m] + b[m] (GPT-2's Conv1D); backward sets dx
   (unless NULL) and adds into dw and db */
void pt_dense_forward(float *y, const float *x, const float *w, const float *b,
                      int n, int k, int m);
void pt_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                       const float *w, int n, int k, int m);
/* <Declare the transformer's layers> */
/* y[n] = x * keep / (1 - p), keep[i] = 0 with probability p (rounded to a
   multiple of 2^-16), drawn from seed and i alone; y may be x, 0 <= p < 1 */
void pt_dropout_forward(float *y, uint8_t *keep, const float *x, size_t n, float p,
                        uint64_t seed);
/* dx[n] = dy * keep / (1 - p); dx may be dy */
void pt_dropout_backward(float *dx, const float *dy, const uint8_t *keep, size_t n, float p);
/* <Declare the transformer> */
typedef struct pt_gpt_config {
    int   vocab, ctx, dim, heads, layers;   /* V, n_ctx, C, H, L */
    float eps;                              /* layer norm's epsilon (GPT-2: 1e-5) */
    int   causal;                           /* 1: GPT; 0: bidirectional (masked LM) */
} pt_gpt_config;
/* <Declare the transformer> */
enum { PT_LN1_W, PT_LN1_B, PT_ATTN_W, PT_ATTN_B, PT_APROJ_W, PT_APROJ_B,
       PT_LN2_W, PT_LN2_B, PT_FC_W, PT_FC_B, PT_MPROJ_W, PT_MPROJ_B, PT_BLOCK_TENSORS };
#define PT_WTE 0
#define PT_WPE 1
#define PT_BLOCK(l, k) (2 + (l) * PT_BLOCK_TENSORS + (k))
#define PT_LNF_W(L) (2 + (L) * PT_BLOCK_TENSORS)
/* <Declare the transformer> */
typedef struct pt_gpt_layer {
    float *ln1, *qkv, *att, *atty, *res1, *ln2, *fc, *fcg, *res2;
} pt_gpt_layer;

typedef struct pt_gpt {
    pt_gpt_config cfg;
    pt_params     params;
    int           max_batch, max_seq;  /* the most the buffers hold */
    int           B, T;                /* the shape of the last forward */
    const int    *tokens;              /* its input, tokens[B*T] */
    float        *mem;                 /* every buffer below, in one block */
    float        *x0, *lnf, *logits;   /* embeddings, final LN, logits[B*T][V] */
    pt_gpt_layer *layer;               /* layer[L] */
    float *d_res, *d_tmp, *d_ln, *d_qkv, *d_y, *d_fc, *d_att;   /* gradient scratch */
    float         dropout;             /* p of the next forward and backward; 0: none */
    uint64_t      drop_seed;           /* the seed of their masks */
    uint8_t      *keep;                /* the masks, [2L + 1][B*T][C] */
} pt_gpt;

/* The tensors of cfg in GPT-2's names and order, zeroed.  0, or -1. */
int  pt_gpt_init(pt_gpt *m, const pt_gpt_config *cfg);
void pt_gpt_init_params(pt_gpt *m, pt_rng *rng);      /* GPT-2's initialisation */
/* buffers for batches of up to B windows of up to T <= ctx tokens */
int  pt_gpt_alloc(pt_gpt *m, int B, int T);
void pt_gpt_free(pt_gpt *m);
/* logits[B*T][V] of tokens[B*T] (B windows of T), or NULL + pt_fail */
const float *pt_gpt_forward(pt_gpt *m, const int *tokens, int B, int T);
/* add the gradient of the last forward into m->params.grad, given
   dlogits[B*T][V] (which may be overwritten) */
void pt_gpt_backward(pt_gpt *m, float *dlogits);
/* floating-point operations of training per token (forward and backward) */
double pt_gpt_train_flops(const pt_gpt_config *c, int T);
/* <Declare the transformer> */
typedef struct pt_gpt_cache {
    int    n, cap;              /* positions held, room for */
    float *k, *v;               /* [L][cap][C]: the keys and values of each layer */
    float *x, *h, *qkv, *y, *r, *fc, *p, *logits;   /* one position's scratch */
} pt_gpt_cache;
/* a cache of up to cap <= ctx positions for model m (causal only); 0, or -1 */
int  pt_gpt_cache_init(pt_gpt_cache *kv, const pt_gpt *m, int cap);
void pt_gpt_cache_free(pt_gpt_cache *kv);
/* append token at position kv->n; the logits[V] of the next token, or
   NULL + pt_fail when the cache is full or the token is not in the vocabulary */
const float *pt_gpt_step(const pt_gpt *m, pt_gpt_cache *kv, int token);
/* <Declare the transformer> */
/* dir/config.json and dir/model.safetensors, atomically; 0, or -1 */
int pt_gpt_save(const pt_gpt *m, const char *dir);
/* a model from a directory in Hugging Face's GPT-2 layout (params only;
   call pt_gpt_alloc before use); 0, or -1 + pt_fail naming the file */
int pt_gpt_load(pt_gpt *m, const char *dir);
/* just dir/config.json; 0, or -1 */
int pt_gpt_read_config(pt_gpt_config *c, const char *dir);
/* <Declare the transformer> */
typedef struct pt_cache_timing {
    double cached_s, recompute_s;  /* seconds for all n tokens */
    double max_abs_diff;           /* between the two sets of logits */
    int    same_tokens;            /* 1 if both chose the same n tokens */
} pt_cache_timing;
/* generate n <= ctx tokens greedily after `first`, with the cache and by
   recomputing; m's buffers are reallocated for 1 x n.  0, or -1 */
int pt_gpt_time_cache(pt_gpt *m, int first, int n, pt_cache_timing *out);
/* <Declare language-model training> */
typedef struct pt_lm_config {
    int       batch, seq;          /* windows a step, tokens a window (<= the context) */
    long long steps;               /* optimiser steps in all */
    int       warmup;              /* steps of linear warm-up */
    double    lr, final_lr_frac;   /* peak learning rate; floor / peak */
    double    clip;                /* max gradient norm, 0: no clipping */
    double    dropout;             /* p of dropout while training (@sec:tf-dropout), 0: none */
    int       eval_every;          /* steps between held-out evaluations */
    int       eval_windows;        /* held-out windows an evaluation scores */
    uint64_t  seed;
    int       mask_id;             /* < 0: next-token prediction; else masked LM, [MASK] id */
    long long stop_at;             /* stop after this step as if killed, 0: never */
    const char *checkpoint;        /* path, or NULL */
    int       checkpoint_every;    /* steps; 0: only at the end */
    int       quiet;
} pt_lm_config;

/* B windows x[B][T] and their targets y[B][T] drawn from ids[n] for step
   `step`: next tokens, or (mask_id >= 0) masked-LM inputs and targets
   with -1 where nothing is predicted */
void pt_lm_batch(int *x, int *y, const int *ids, size_t n, int B, int T, int vocab,
                 int mask_id, uint64_t seed, long long step);
/* train m on ids[n] (held-out val[n_val] for the curve) from r->step to
   c->steps; r->hist rows: step, epoch, train loss, held-out loss, lr,
   tokens seen (no times, so that a run's files are reproducible).  0, or -1 + pt_fail */
int pt_lm_train(pt_gpt *m, pt_optim *o, const int *ids, size_t n, const int *val,
                size_t n_val, const pt_lm_config *c, pt_train_run *r);
/* <Declare language-model training> */
/* the sum of ln p(ids[t] | ids[<t]) over t = 1 .. n-1: windows of the
   model's T tokens every `stride` tokens (1..T; other values: T), each
   scoring the targets no earlier one did; *count = n - 1.  NAN + pt_fail
   on error. */
double pt_lm_score(pt_gpt *m, const int *ids, size_t n, int stride, size_t *count);
/* masked LM: the sum of ln p of the masked tokens of ids[n], masked as
   pt_lm_batch does with `seed` in consecutive windows; *count masked
   tokens, *correct (unless NULL) those whose most likely token is right */
double pt_mlm_score(pt_gpt *m, const int *ids, size_t n, int mask_id, uint64_t seed,
                    size_t *count, size_t *correct);
/* like pt_lm_score, over w windows of T + 1 tokens spread evenly over
   ids[n] (T: the model's buffers), each predicting its last T tokens */
double pt_lm_score_spread(pt_gpt *m, const int *ids, size_t n, int w, size_t *count);

#endif
