/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* train.c: the training loop (Chapter 4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_nn.h"

/* <Start and end a training run> */
void pt_train_run_init(pt_train_run *r, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    pt_rng_seed(&r->order, seed);
    r->best_val = HUGE_VAL;
}
void pt_train_run_free(pt_train_run *r) { free(r->hist); r->hist = NULL; r->rows = r->cap = 0; }
/* <Keep the history of a run> */
float *pt_train_run_row(pt_train_run *r, int per_epoch)
{
    if (r->rows == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        float *h = realloc(r->hist, sizeof(float) * PT_HIST_COLS * (size_t)cap);
        if (!h) { pt_fail("out of memory for the history"); return NULL; }
        r->hist = h; r->cap = cap;
    }
    float *row = r->hist + (size_t)r->rows++ * PT_HIST_COLS;
    row[0] = (float)r->step;
    row[1] = (float)r->epoch + (float)(r->position + 1) / per_epoch;
    row[2] = (float)(r->run_loss / r->run_count);
    return row;
}

int pt_train_run_write(const pt_train_run *r, const char *dir, const char *name,
                       const char *header)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, name);
    if (!fp) return -1;
    fprintf(fp, "%s\n", header);
    for (int i = 0; i < r->rows; i++) {
        const float *h = r->hist + (size_t)i * PT_HIST_COLS;
        fprintf(fp, "%.0f\t%.4f\t%.6g\t%.6g\t%.6g\t%.6g\n", h[0], h[1], h[2], h[3], h[4], h[5]);
    }
    return pt_file_commit(&f);
}
/* <Train a model> */
int pt_train(pt_model *m, pt_optim *o, const pt_dataset *train,
             const pt_dataset *val, const pt_train_config *c, pt_train_run *r)
{
    int B = c->batch, per_epoch = train->n / B, k = (int)pt_model_out_size(m, m->n);
    size_t dim = (size_t)train->rows * train->cols;
    long long total = (long long)c->epochs * per_epoch, start = r->step;
    if (B <= 0 || B > m->max_batch || per_epoch == 0)
        return pt_fail("pt_train: batch %d does not fit (model batch %d, %d examples)",
                       B, m->max_batch, train->n);
    /* <Allocate the batch and the order> */
    int *order = malloc(sizeof(int) * train->n), *y = malloc(sizeof(int) * B);
    float *xb = malloc(sizeof(float) * dim * B), *dz = malloc(sizeof(float) * (size_t)k * B);
    if (!order || !y || !xb || !dz) {
        free(order); free(y); free(xb); free(dz);
        return pt_fail("pt_train: out of memory");
    }
    /* <Start the progress display> */
    pt_progress pg = { 0 };
    char label[96] = "train";
    long long todo = (c->stop_at && c->stop_at < total ? c->stop_at : total) - start;
    if (!c->quiet) pt_progress_begin(&pg, label, (double)(todo > 0 ? todo : 1) * B, "examples");
    double t0 = pt_seconds();
    int status = 0;
    while (status == 0 && !r->stopped && r->epoch < c->epochs && !(c->stop_at && r->step >= c->stop_at)) {
        pt_rng g = r->order;
        for (int i = 0; i < train->n; i++) order[i] = i;
        pt_rng_shuffle(&g, order, train->n);
        for (; status == 0 && r->position < per_epoch && !r->stopped; r->position++) {
            if (c->stop_at && r->step >= c->stop_at) break;
            /* <Take one training step> */
            for (int i = 0; i < B; i++) {
                int e = order[(size_t)r->position * B + i];
                memcpy(xb + (size_t)i * dim, train->x + (size_t)e * dim, sizeof(float) * dim);
                y[i] = train->y[e];
            }
            pt_params_zero_grad(&m->params);
            const float *z = pt_model_forward(m, xb, B, m->n);
            double loss = pt_softmax_xent(dz, z, y, B, k);
            r->run_loss += loss * B;
            r->run_correct += pt_count_correct(z, y, B, k);
            r->run_count += B;
            pt_model_backward(m, dz, B, m->n);
            if (c->clip > 0) pt_clip_grad_norm(&m->params, c->clip);
            pt_optim_step(o, &m->params, pt_lr_at(r->step, c->warmup, total, c->lr, c->final_lr_frac));
            r->step++;
            r->examples += B;
            /* <Show the progress of training> */
            if (!c->quiet) {
                snprintf(label, sizeof label, "train: step %lld, loss %.3f", r->step, loss);
                pt_progress_update(&pg, (double)(r->step - start) * B);
            }
            /* <Evaluate and record when it is time> */
            if ((c->eval_every > 0 && r->step % c->eval_every == 0) || r->position == per_epoch - 1) {
                double vl = 0, va = 0;
                if (val && val->n > 0 && pt_model_evaluate(m, val, &vl, &va)) { status = -1; break; }
                /* <Append a row to the history> */
                float *row = pt_train_run_row(r, per_epoch);
                if (!row) { status = -1; break; }
                row[3] = (float)(r->run_correct / r->run_count);
                row[4] = (float)vl;
                row[5] = (float)va;
                if (!(val && val->n > 0) || vl < r->best_val) { r->best_val = vl; r->bad_evals = 0; }
                else if (c->patience > 0 && ++r->bad_evals >= c->patience) r->stopped = 1;
                if (!c->quiet)
                    fprintf(stderr, "%sstep %lld epoch %d: train loss %.4f acc %.4f, val loss %.4f acc %.4f%s\n",
                            pg.tty ? "\r\033[K" : "", r->step, r->epoch + 1, r->run_loss / r->run_count,
                            r->run_correct / r->run_count, vl, va, r->stopped ? " (stopping early)" : "");
                r->run_loss = r->run_correct = 0;
                r->run_count = 0;
            }
            /* <Save a checkpoint when it is time> */
            int last = r->position + 1 == per_epoch && r->epoch + 1 == c->epochs;
            if (c->checkpoint && ((c->checkpoint_every > 0 && r->step % c->checkpoint_every == 0) ||
                                  last || r->stopped || (c->stop_at && r->step >= c->stop_at))) {
                r->position++;
                status = pt_checkpoint_save(c->checkpoint, &m->params, o, r);
                r->position--;
            }
        }
        if (r->position == per_epoch) { r->epoch++; r->position = 0; r->order = g; }
    }
    /* <Finish the training loop> */
    if (!c->quiet) { snprintf(label, sizeof label, "train: %lld steps", r->step - start); pt_progress_end(&pg); }
    r->seconds += pt_seconds() - t0;
    free(order); free(y); free(xb); free(dz);
    return status;
}
