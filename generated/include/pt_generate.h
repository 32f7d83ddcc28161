/* Tangled from chapters/09-generate.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_generate.h: sampling from a language model (Chapter 9). */
#ifndef PT_GENERATE_H
#define PT_GENERATE_H
#include <stddef.h>
#include "pt_data.h"
#include "pt_lm.h"
#include "pt_gpt.h"

/* <Declare sampling> */
/* p[V] = softmax(u / tau), tau > 0 */
void pt_softmax_tau(double *p, const float *u, int V, double tau);
/* the entropy of p[V], in nats */
double pt_entropy(const double *p, int V);
/* <Declare sampling> */
typedef struct pt_sampler {
    double temperature;            /* 0: greedy (argmax); else tau > 0 */
    int    top_k;                  /* 0: no limit */
    double top_p;                  /* 1: no limit; else keep the nucleus of mass p */
    double repetition_penalty;     /* 1: none; theta > 1 discourages repeats */
} pt_sampler;
/* a token drawn from logits u[V] (overwritten) given the text so far,
   hist[n]; work holds 2 V doubles and V ints (pt_sample_workspace bytes) */
int    pt_sample(float *u, int V, const pt_sampler *s, const int *hist, int n,
                 pt_rng *rng, void *work);
size_t pt_sample_workspace(int V);
/* <Declare sampling> */
/* order[V]: the token ids by decreasing p, the smaller id first on a tie
   (not safe to call from two threads at once) */
void pt_rank_tokens(int *order, const double *p, int V);
/* <Declare sampling> */
/* append n tokens sampled after prompt[np] to out (which may be empty);
   unless entropy is NULL, add to it the entropy of softmax(u / tau) of
   each token drawn (tau > 0); 0, or -1 if the model is not causal or
   np + n exceeds its context */
int pt_generate(const pt_gpt *m, const int *prompt, int np, int n, const pt_sampler *s,
                pt_rng *rng, pt_ids *out, double *entropy);
/* <Declare sampling> */
/* distinct n-grams of ids[len] over all its n-grams (0 if it has none) */
double pt_distinct_n(const int *ids, size_t len, int n);

#endif
