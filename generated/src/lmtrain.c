/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* lmtrain.c: training and scoring language models (Chapter 8). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_gpt.h"

/* <Draw a batch of windows> */
void pt_lm_batch(int *x, int *y, const int *ids, size_t n, int B, int T, int vocab,
                 int mask_id, uint64_t seed, long long step)
{
    pt_rng g;
    pt_rng_seed(&g, seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(step + 1)));
    for (int b = 0; b < B; b++) {
        size_t at = (size_t)(pt_rng_u64(&g) % (uint64_t)(n - (size_t)T));
        int *xb = x + (size_t)b * T, *yb = y + (size_t)b * T;
        for (int t = 0; t < T; t++) {
            if (mask_id < 0) { xb[t] = ids[at + t]; yb[t] = ids[at + t + 1]; continue; }
            xb[t] = ids[at + t];
            yb[t] = -1;
            if (pt_rng_uniform(&g) >= 0.15f) continue;
            yb[t] = xb[t];
            float u = pt_rng_uniform(&g);
            if (u < 0.8f) xb[t] = mask_id;
            else if (u < 0.9f) xb[t] = (int)pt_rng_below(&g, (uint32_t)vocab);
        }
    }
}
/* <Train a language model> */
int pt_lm_train(pt_gpt *m, pt_optim *o, const int *ids, size_t n, const int *val,
                size_t n_val, const pt_lm_config *c, pt_train_run *r)
{
    int B = c->batch, T = c->seq, V = m->cfg.vocab;
    if (B > m->max_batch || T > m->max_seq || n <= (size_t)T + 1)
        return pt_fail("pt_lm_train: %d windows of %d tokens (buffers for %d of %d, %zu tokens)",
                       B, T, m->max_batch, m->max_seq, n);
    int *x = malloc(sizeof(int) * (size_t)B * T), *y = malloc(sizeof(int) * (size_t)B * T);
    if (!x || !y) { free(x); free(y); return pt_fail("out of memory"); }
    long long start = r->step, end = c->stop_at && c->stop_at < c->steps ? c->stop_at : c->steps;
    pt_progress pg = { 0 };
    if (!c->quiet) pt_progress_begin(&pg, "training", (double)(end > start ? end - start : 1) * B * T, "tokens");
    double t0 = pt_seconds(), t_eval = 0;   /* evaluations do not count as training time */
    int status = 0;
    while (status == 0 && r->step < end) {
        /* <Take one language-model step> */
        pt_lm_batch(x, y, ids, n, B, T, c->mask_id >= 0 ? V - 1 : V, c->mask_id, c->seed, r->step);
        pt_params_zero_grad(&m->params);
        uint64_t ds = c->seed + 0x8cb92ba72f3d8dd7ULL * (uint64_t)(r->step + 1);
        m->dropout = (float)c->dropout;          /* masks of this step: from the seed and the step */
        m->drop_seed = pt_splitmix64(&ds);
        const float *z = pt_gpt_forward(m, x, B, T);
        if (!z) { status = -1; break; }
        double loss = pt_softmax_xent(m->logits, z, y, B * T, V);
        if (!isfinite(loss)) { status = pt_fail("pt_lm_train: loss %g at step %lld", loss, r->step); break; }
        pt_gpt_backward(m, m->logits);
        m->dropout = 0;                          /* evaluation and later uses see the whole model */
        if (c->clip > 0) pt_clip_grad_norm(&m->params, c->clip);
        double lr = pt_lr_at(r->step, c->warmup, c->steps, c->lr, c->final_lr_frac);
        pt_optim_step(o, &m->params, lr);
        r->step++;
        r->examples += (long long)B * T;
        r->run_loss += loss;
        r->run_count++;
        if (!c->quiet) pt_progress_update(&pg, (double)(r->step - start) * B * T);
        /* <Evaluate on held-out windows when it is time> */
        if ((c->eval_every > 0 && r->step % c->eval_every == 0) || r->step == c->steps) {
            double vl = NAN, te = pt_seconds();
            if (val && n_val > (size_t)T + 1) {
                size_t use = (size_t)c->eval_windows * T + 1;
                if (use > n_val) use = n_val;
                size_t count = 0;
                double sum = c->mask_id >= 0 ? pt_mlm_score(m, val, use, c->mask_id, c->seed, &count, NULL)
                                             : pt_lm_score_spread(m, val, n_val, c->eval_windows, &count);
                if (isnan(sum)) { status = -1; break; }
                vl = -sum / (double)(count ? count : 1);
            }
            float *row = pt_train_run_row(r, 1);
            if (!row) { status = -1; break; }
            row[1] = (float)((double)r->step * B * T / (double)n);
            t_eval += pt_seconds() - te;
            row[3] = (float)vl; row[4] = (float)lr; row[5] = (float)((double)r->step * B * T);
            if (!c->quiet)
                fprintf(stderr, "%sstep %lld: train loss %.4f, held-out loss %.4f, lr %.2g\n",
                        pg.tty ? "\r\033[K" : "", r->step, r->run_loss / r->run_count, vl, lr);
            r->run_loss = 0;
            r->run_count = 0;
        }
        /* <Save a language-model checkpoint when it is time> */
        if (c->checkpoint && ((c->checkpoint_every > 0 && r->step % c->checkpoint_every == 0) ||
                              r->step == end))
            if (pt_checkpoint_save(c->checkpoint, &m->params, o, r)) { status = -1; break; }
    }
    m->dropout = 0;
    if (!c->quiet) pt_progress_end(&pg);
    r->seconds += pt_seconds() - t0 - t_eval;
    free(x); free(y);
    return status;
}
/* <Score held-out tokens> */
/* the sum of ln p over nw windows of len + 1 tokens, window w starting at
   at[w] and scoring its targets after the first skip[w] */
static double score_windows(pt_gpt *m, const int *ids, const size_t *at, const int *skip,
                            size_t nw, int len, size_t *count)
{
    int B = m->max_batch, V = m->cfg.vocab;
    int *x = malloc(sizeof(int) * (size_t)B * len), *y = malloc(sizeof(int) * (size_t)B * len);
    if (!x || !y) { free(x); free(y); pt_fail("out of memory"); return NAN; }
    double sum = 0;
    *count = 0;
    for (size_t w0 = 0; w0 < nw; w0 += (size_t)B) {
        int nb = nw - w0 < (size_t)B ? (int)(nw - w0) : B, rows = 0;
        for (int b = 0; b < nb; b++) {
            memcpy(x + (size_t)b * len, ids + at[w0 + b], sizeof(int) * len);
            memcpy(y + (size_t)b * len, ids + at[w0 + b] + 1, sizeof(int) * len);
            for (int t = 0; t < skip[w0 + b]; t++) y[(size_t)b * len + t] = -1;
            rows += len - skip[w0 + b];
        }
        const float *z = pt_gpt_forward(m, x, nb, len);
        if (!z) { sum = NAN; break; }
        sum -= pt_softmax_xent(NULL, z, y, nb * len, V) * rows;
        *count += (size_t)rows;
    }
    free(x); free(y);
    return sum;
}

double pt_lm_score(pt_gpt *m, const int *ids, size_t n, int stride, size_t *count)
{
    *count = 0;
    if (n < 2) return 0;
    int len = n - 1 < (size_t)m->max_seq ? (int)(n - 1) : m->max_seq;
    if (stride < 1 || stride > len) stride = len;
    size_t last = n - 1 - (size_t)len;              /* where the last window starts */
    size_t nw = 1 + (last + (size_t)stride - 1) / (size_t)stride;
    size_t *at = malloc(sizeof *at * nw);
    int *skip = malloc(sizeof *skip * nw);
    if (!at || !skip) { free(at); free(skip); pt_fail("out of memory"); return NAN; }
    for (size_t w = 0; w < nw; w++) {
        at[w] = w * (size_t)stride < last ? w * (size_t)stride : last;
        skip[w] = w ? (int)(at[w - 1] + (size_t)len - at[w]) : 0;  /* scored before */
    }
    double sum = score_windows(m, ids, at, skip, nw, len, count);
    free(at); free(skip);
    return sum;
}

double pt_lm_score_spread(pt_gpt *m, const int *ids, size_t n, int w, size_t *count)
{
    int T = m->max_seq;
    *count = 0;
    if (n < (size_t)T + 1 || w < 1) return 0;
    size_t *at = malloc(sizeof *at * (size_t)w);
    int *skip = calloc((size_t)w, sizeof *skip);
    if (!at || !skip) { free(at); free(skip); pt_fail("out of memory"); return NAN; }
    for (int k = 0; k < w; k++)
        at[k] = w > 1 ? (size_t)((double)k * (double)(n - T - 1) / (w - 1)) : 0;
    double sum = score_windows(m, ids, at, skip, (size_t)w, T, count);
    free(at); free(skip);
    return sum;
}

double pt_mlm_score(pt_gpt *m, const int *ids, size_t n, int mask_id, uint64_t seed,
                    size_t *count, size_t *correct)
{
    int T = m->max_seq, V = m->cfg.vocab;
    int *y = malloc(sizeof(int) * T), *x = malloc(sizeof(int) * T);
    if (!x || !y) { free(x); free(y); pt_fail("out of memory"); return NAN; }
    double sum = 0;
    *count = 0;
    if (correct) *correct = 0;
    pt_rng g;
    pt_rng_seed(&g, seed);
    for (size_t at = 0; at + T <= n; at += T) {
        /* <Mask one held-out window and score it> */
        for (int t = 0; t < T; t++) {
            x[t] = ids[at + t];
            y[t] = -1;
            if (pt_rng_uniform(&g) >= 0.15f) continue;
            y[t] = x[t];
            float u = pt_rng_uniform(&g);
            if (u < 0.8f) x[t] = mask_id;
            else if (u < 0.9f) x[t] = (int)pt_rng_below(&g, (uint32_t)(V - 1));
        }
        const float *z = pt_gpt_forward(m, x, 1, T);
        if (!z) { sum = NAN; break; }
        int rows = 0;
        for (int t = 0; t < T; t++) rows += y[t] >= 0;
        if (!rows) continue;
        sum -= pt_softmax_xent(NULL, z, y, T, V) * rows;
        *count += (size_t)rows;
        if (correct) *correct += (size_t)pt_count_correct(z, y, T, V);
    }
    free(x); free(y);
    return sum;
}
