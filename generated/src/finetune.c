/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* finetune.c: features, parameter copies and fine-tuning (Chapter 5). */
#include <stdlib.h>
#include <string.h>
#include "pt_nn.h"
#include "pt_adapt.h"

/* <Compute the representation in batches> */
int pt_model_features(float *feat, pt_model *m, int upto, const float *x, int n)
{
    int B = m->max_batch;
    if (upto < 1 || upto > m->n) return pt_fail("pt_model_features: no layer %d", upto);
    size_t in = (size_t)m->in_c * m->in_h * m->in_w, d = pt_model_out_size(m, upto);
    for (int i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? n - i0 : B;
        const float *f = pt_model_forward(m, x + in * i0, nb, upto);
        if (!f) return -1;
        memcpy(feat + d * i0, f, sizeof(float) * d * nb);
    }
    return 0;
}
/* <Build the convolutional trunk> */
int pt_model_trunk(pt_model *m, int width)
{
    if (pt_model_init(m, 1, 28, 28) ||
        pt_model_conv(m, width, 3, 1, 1) || pt_model_relu(m) || pt_model_maxpool(m) ||
        pt_model_conv(m, 2 * width, 3, 1, 1) || pt_model_relu(m) || pt_model_maxpool(m) ||
        pt_model_flatten(m))
        return -1;
    return m->n == PT_TRUNK_LAYERS ? 0 : pt_fail("pt_model_trunk: %d layers", m->n);
}
/* <Copy one group of parameters> */
int pt_params_copy_group(pt_params *dst, const pt_params *src, int group)
{
    if (dst->n != src->n) return pt_fail("pt_params_copy_group: %d tensors, not %d", dst->n, src->n);
    for (int i = 0; i < dst->n; i++) {
        const pt_tensor *a = &dst->t[i], *b = &src->t[i];
        if (a->count != b->count || a->group != b->group || strcmp(a->name, b->name))
            return pt_fail("pt_params_copy_group: tensor %d (%s) differs", i, a->name);
    }
    for (int i = 0; i < dst->n; i++)
        if (dst->t[i].group == group)
            memcpy(pt_param(dst, i), pt_param(src, i), sizeof(float) * dst->t[i].count);
    return 0;
}
/* <Fine-tune a network, keeping its best checkpoint> */
int pt_finetune(pt_model *m, const pt_dataset *train, const pt_dataset *val,
                const pt_finetune_config *c, pt_finetune_report *rep)
{
    int B = c->batch < train->n ? c->batch : train->n;
    if (B > m->max_batch) B = m->max_batch;
    if (B < 1 || c->steps < 1) return pt_fail("pt_finetune: nothing to train on");
    int per_epoch = train->n / B, evals = c->evals > 0 ? c->evals : 1;
    int epochs = (c->steps + per_epoch - 1) / per_epoch;
    long long total = (long long)epochs * per_epoch;
    pt_finetune_report r0 = { 0, 0, -1 };
    pt_optim o;
    pt_train_run run;
    float *best = malloc(sizeof(float) * m->params.size);
    if (!best || pt_optim_init(&o, PT_ADAMW, &m->params)) {
        free(best);
        return pt_fail("pt_finetune: out of memory");
    }
    o.weight_decay = c->weight_decay;
    o.group_lr[PT_GROUP_BACKBONE] = c->backbone_lr;
    pt_train_run_init(&run, c->seed);
    pt_train_config tc = { .epochs = epochs, .batch = B, .lr = c->lr, .final_lr_frac = 0.05,
                           .warmup = (int)(total / 10) + 1, .clip = c->clip, .quiet = 1 };
    int status = 0;
    /* <Train to each checkpoint and keep the best> */
    for (int e = 1; e <= evals && status == 0; e++) {
        tc.stop_at = total * e / evals;
        if (tc.stop_at <= run.step) continue;
        double vl, va;
        status = pt_train(m, &o, train, NULL, &tc, &run);
        if (status == 0) status = pt_model_evaluate(m, val, &vl, &va);
        if (status == 0 && va > r0.best_val_acc) {
            r0.best_val_acc = va;
            r0.best_step = run.step;
            memcpy(best, m->params.data, sizeof(float) * m->params.size);
        }
    }
    if (status == 0) memcpy(m->params.data, best, sizeof(float) * m->params.size);
    r0.steps = run.step;
    if (rep) *rep = r0;
    pt_train_run_free(&run);
    pt_optim_free(&o);
    free(best);
    return status;
}
