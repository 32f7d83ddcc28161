/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* simclr.c: the SimCLR network and its training loop (Chapter 6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "pt_base.h"
#include "pt_adapt.h"
#include "pt_simclr.h"

/* <Build the SimCLR network> */
/* the encoder (chapter 5's trunk, layers [0, PT_TRUNK_LAYERS)) and, if
   proj > 0, a head of `hidden` units and `proj` outputs */
int pt_simclr_network(pt_model *m, int width, int hidden, int proj, int max_batch,
                      uint64_t seed)
{
    pt_rng init;
    pt_rng_seed(&init, seed);
    if (pt_model_trunk(m, width)) return -1;
    m->group = PT_GROUP_HEAD;
    if (proj > 0 && (pt_model_linear(m, hidden) || pt_model_relu(m) || pt_model_linear(m, proj)))
        return -1;
    if (pt_model_alloc(m, max_batch)) return -1;
    pt_model_init_params(m, &init);
    return 0;
}
/* <Train SimCLR> */
int pt_simclr_train(pt_model *m, pt_optim *o, const pt_dataset *images,
                    const pt_simclr_config *c, pt_train_run *r)
{
    int B = c->batch, M = 2 * B, per_epoch = images->n / B;
    int d = (int)pt_model_out_size(m, m->n), h = images->rows, w = images->cols;
    long long total = (long long)c->epochs * per_epoch, start = r->step;
    if (B < 2 || M > m->max_batch || per_epoch == 0)
        return pt_fail("pt_simclr_train: batch %d does not fit (model batch %d, %d images)",
                       B, m->max_batch, images->n);
    /* <Allocate the views, the loss's scratch and the order> */
    int *order = malloc(sizeof(int) * images->n), *group = malloc(sizeof(int) * M);
    float *views = malloc(sizeof(float) * (size_t)M * h * w);
    float *dz = malloc(sizeof(float) * (size_t)M * d);
    float *work = malloc(sizeof(float) * pt_ntxent_workspace(M, d));
    if (!order || !group || !views || !dz || !work) {
        free(order); free(group); free(views); free(dz); free(work);
        return pt_fail("pt_simclr_train: out of memory");
    }
    for (int i = 0; i < M; i++) group[i] = i / 2;      /* rows 2k, 2k + 1: image k */
    pt_progress pg = { 0 };
    long long todo = (c->stop_at && c->stop_at < total ? c->stop_at : total) - start;
    if (!c->quiet) pt_progress_begin(&pg, "simclr", (double)(todo > 0 ? todo : 1) * B, "images");
    double t0 = pt_seconds();
    int status = 0;
    while (status == 0 && r->epoch < c->epochs && !(c->stop_at && r->step >= c->stop_at)) {
        pt_rng g = r->order;
        for (int i = 0; i < images->n; i++) order[i] = i;
        pt_rng_shuffle(&g, order, images->n);
        for (; status == 0 && r->position < per_epoch; r->position++) {
            if (c->stop_at && r->step >= c->stop_at) break;
            /* <Take one SimCLR step> */
            pt_augment_pairs(views, images->x, order + (size_t)r->position * B, B, h, w, &c->aug,
                             c->seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(r->step + 1)));
            pt_params_zero_grad(&m->params);
            const float *z = pt_model_forward(m, views, M, m->n);
            double loss = pt_ntxent(dz, z, group, M, d, c->tau, PT_NTXENT_PAIRS, work);
            if (!isfinite(loss)) { status = pt_fail("pt_simclr_train: loss %g at step %lld", loss, r->step); break; }
            r->run_loss += loss;
            r->run_count++;
            pt_model_backward(m, dz, M, m->n);
            if (c->clip > 0) pt_clip_grad_norm(&m->params, c->clip);
            pt_optim_step(o, &m->params, pt_lr_at(r->step, c->warmup, total, c->lr, c->final_lr_frac));
            r->step++;
            r->examples += B;
            if (!c->quiet) pt_progress_update(&pg, (double)(r->step - start) * B);
            /* <Record the diagnostics when it is time> */
            if ((c->log_every > 0 && r->step % c->log_every == 0) || r->position + 1 == per_epoch) {
                double sd, al, un;
                pt_contrastive_stats(z, group, M, d, &sd, &al, &un);
                float *row = pt_train_run_row(r, per_epoch);
                if (!row) { status = -1; break; }
                row[3] = (float)sd; row[4] = (float)al; row[5] = (float)un;
                if (!c->quiet)
                    fprintf(stderr, "%sstep %lld epoch %d: loss %.4f, sd %.4f, alignment %.3f, uniformity %.3f\n",
                            pg.tty ? "\r\033[K" : "", r->step, r->epoch + 1, r->run_loss / r->run_count,
                            sd, al, un);
                r->run_loss = 0;
                r->run_count = 0;
            }
            /* <Save a SimCLR checkpoint when it is time> */
            int last = r->position + 1 == per_epoch && r->epoch + 1 == c->epochs;
            if (c->checkpoint && ((c->checkpoint_every > 0 && r->step % c->checkpoint_every == 0) ||
                                  last || (c->stop_at && r->step >= c->stop_at))) {
                r->position++;
                status = pt_checkpoint_save(c->checkpoint, &m->params, o, r);
                r->position--;
            }
        }
        if (r->position == per_epoch) { r->epoch++; r->position = 0; r->order = g; }
    }
    if (!c->quiet) pt_progress_end(&pg);
    r->seconds += pt_seconds() - t0;
    free(order); free(views); free(dz); free(work); free(group);
    return status;
}
