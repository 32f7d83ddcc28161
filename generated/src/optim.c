/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* optim.c: SGD with momentum, Adam, AdamW, the schedule, clipping (Chapter 4). */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_nn.h"

/* <Create an optimiser> */
int pt_optim_init(pt_optim *o, pt_optim_kind kind, const pt_params *p)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->momentum = 0.9; o->beta1 = 0.9; o->beta2 = 0.999; o->eps = 1e-8;
    for (int g = 0; g < PT_MAX_GROUPS; g++) o->group_lr[g] = 1;
    o->size = p->size;
    o->m = calloc(p->size ? p->size : 1, sizeof(float));
    o->v = calloc(p->size ? p->size : 1, sizeof(float));
    if (!o->m || !o->v) return pt_fail("out of memory for the optimiser's moments");
    return 0;
}
void pt_optim_free(pt_optim *o) { free(o->m); free(o->v); o->m = o->v = NULL; }
const char *pt_optim_name(pt_optim_kind kind)
{
    return kind == PT_SGD ? "sgd" : kind == PT_ADAM ? "adam" : "adamw";
}
/* <Take one optimiser step> */
void pt_optim_step(pt_optim *o, pt_params *p, double lr)
{
    o->t++;
    double c1 = 1 - pow(o->beta1, (double)o->t), c2 = 1 - pow(o->beta2, (double)o->t);
    for (int i = 0; i < p->n; i++) {
        const pt_tensor *t = &p->t[i];
        double eta = lr * o->group_lr[t->group];
        if (eta == 0) continue;
        float lam = t->decay ? (float)o->weight_decay : 0.0f;
        float *th = p->data + t->offset, *g = p->grad + t->offset;
        float *m = o->m + t->offset, *v = o->v + t->offset;
        long long cnt = (long long)t->count;
        /* <Update tensor i by the optimiser's rule> */
        if (o->kind == PT_SGD) {
            float mu = (float)o->momentum;
            #pragma omp parallel for schedule(static) if (cnt > 65536)
            for (long long j = 0; j < cnt; j++) {
                m[j] = mu * m[j] + (g[j] + lam * th[j]);
                th[j] -= (float)eta * m[j];
            }
        } else {
            float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
            float wd = o->kind == PT_ADAMW ? lam : 0.0f, l2 = o->kind == PT_ADAM ? lam : 0.0f;
            float s1 = (float)(1 / c1), s2 = (float)(1 / c2);
            #pragma omp parallel for schedule(static) if (cnt > 65536)
            for (long long j = 0; j < cnt; j++) {
                float gj = g[j] + l2 * th[j];
                m[j] = b1 * m[j] + (1 - b1) * gj;
                v[j] = b2 * v[j] + (1 - b2) * gj * gj;
                float step = m[j] * s1 / (sqrtf(v[j] * s2) + eps);
                th[j] -= (float)eta * (step + wd * th[j]);
            }
        }
    }
}
/* <Schedule the learning rate> */
double pt_lr_at(long long step, long long warmup, long long total,
                double peak, double final_frac)
{
    if (step < warmup) return peak * (double)(step + 1) / (double)warmup;
    double floor = peak * final_frac;
    if (total <= warmup) return floor;
    double q = (double)(step - warmup) / (double)(total - warmup);
    if (q > 1) q = 1;
    return floor + 0.5 * (peak - floor) * (1 + cos(M_PI * q));
}
/* <Clip the gradient norm> */
double pt_clip_grad_norm(pt_params *p, double max_norm)
{
    double s = 0;
    for (size_t j = 0; j < p->size; j++) s += (double)p->grad[j] * p->grad[j];
    double norm = sqrt(s);
    if (max_norm > 0 && norm > max_norm) {
        float scale = (float)(max_norm / norm);
        for (size_t j = 0; j < p->size; j++) p->grad[j] *= scale;
    }
    return norm;
}
