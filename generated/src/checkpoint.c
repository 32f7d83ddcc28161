/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* checkpoint.c: parameters, optimiser and run state in safetensors (Chapter 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_nn.h"

/* <Save a checkpoint> */
int pt_checkpoint_save(const char *path, const pt_params *p,
                       const pt_optim *o, const pt_train_run *r)
{
    pt_st_writer *w = pt_st_writer_new();
    char name[160], v[160];
    for (int i = 0; i < p->n; i++) pt_st_add(w, p->t[i].name, pt_param(p, i), p->t[i].ndim, p->t[i].shape);
    pt_st_set_meta(w, "format", "pretext-checkpoint");
    if (o) {
        /* <Add the optimiser's moments and step to the checkpoint> */
        for (int i = 0; i < p->n; i++) {
            snprintf(name, sizeof name, "opt.m.%s", p->t[i].name);
            pt_st_add(w, name, o->m + p->t[i].offset, p->t[i].ndim, p->t[i].shape);
            snprintf(name, sizeof name, "opt.v.%s", p->t[i].name);
            pt_st_add(w, name, o->v + p->t[i].offset, p->t[i].ndim, p->t[i].shape);
        }
        pt_st_set_meta(w, "optimizer", pt_optim_name(o->kind));
        snprintf(v, sizeof v, "%lld", o->t);
        pt_st_set_meta(w, "opt.t", v);
    }
    if (r) {
        /* <Add the run's state to the checkpoint> */
        if (r->rows) pt_st_add(w, "train.history", r->hist, 2, (int[]){ r->rows, PT_HIST_COLS });
        snprintf(v, sizeof v, "%lld", r->step);                      pt_st_set_meta(w, "step", v);
        snprintf(v, sizeof v, "%d", r->epoch);                       pt_st_set_meta(w, "epoch", v);
        snprintf(v, sizeof v, "%d", r->position);                    pt_st_set_meta(w, "position", v);
        snprintf(v, sizeof v, "%016llx %016llx %016llx %016llx %d %a",
                 (unsigned long long)r->order.s[0], (unsigned long long)r->order.s[1],
                 (unsigned long long)r->order.s[2], (unsigned long long)r->order.s[3],
                 r->order.has_spare, r->order.spare);                pt_st_set_meta(w, "rng", v);
        snprintf(v, sizeof v, "%a %a %a", r->best_val, r->run_loss, r->run_correct);
                                                                     pt_st_set_meta(w, "sums", v);
        snprintf(v, sizeof v, "%lld %d %d", r->run_count, r->bad_evals, r->stopped);
                                                                     pt_st_set_meta(w, "counts", v);
    }
    int status = pt_st_write(w, path);
    pt_st_writer_free(w);
    return status;
}
/* <Define the checks of a checkpoint> */
static int tensor_fits(const pt_safetensors *f, const char *path, const char *name,
                       const pt_tensor *t)
{
    const pt_st_tensor *s = pt_st_find(f, name);
    if (!s) return pt_fail("%s: no tensor named %s", path, name);
    int same = s->ndim == t->ndim;
    for (int d = 0; same && d < t->ndim; d++) same = s->shape[d] == t->shape[d];
    if (!same) {
        char a[64] = "", b[64] = "";
        for (int d = 0; d < s->ndim; d++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? "," : "", s->shape[d]);
        for (int d = 0; d < t->ndim; d++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%d", d ? "," : "", t->shape[d]);
        return pt_fail("%s: tensor %s has shape [%s] in the file but [%s] in the model", path, name, a, b);
    }
    return 0;
}
/* <Define the checks of a checkpoint> */
static int check_fits(const pt_safetensors *f, const char *path,
                      const pt_params *p, const pt_optim *o)
{
    char name[160];
    for (int i = 0; i < p->n; i++) if (tensor_fits(f, path, p->t[i].name, &p->t[i])) return -1;
    if (!o) return 0;
    const char *kind = pt_st_meta(f, "optimizer");
    if (!kind || strcmp(kind, pt_optim_name(o->kind)) || !pt_st_meta(f, "opt.t"))
        return pt_fail("%s: holds optimiser state for %s, not %s", path,
                       kind ? kind : "no optimiser", pt_optim_name(o->kind));
    for (int i = 0; i < p->n; i++) {
        snprintf(name, sizeof name, "opt.m.%s", p->t[i].name);
        if (tensor_fits(f, path, name, &p->t[i])) return -1;
        snprintf(name, sizeof name, "opt.v.%s", p->t[i].name);
        if (tensor_fits(f, path, name, &p->t[i])) return -1;
    }
    return 0;
}
/* <Define the checks of a checkpoint> */
static int parse_run(const pt_safetensors *f, const char *path, pt_train_run *r)
{
    const char *st = pt_st_meta(f, "step"), *ep = pt_st_meta(f, "epoch"),
               *po = pt_st_meta(f, "position"), *rg = pt_st_meta(f, "rng"),
               *su = pt_st_meta(f, "sums"), *co = pt_st_meta(f, "counts");
    unsigned long long s[4];
    if (!st || !ep || !po || !rg || !su || !co ||
        sscanf(st, "%lld", &r->step) != 1 || sscanf(ep, "%d", &r->epoch) != 1 ||
        sscanf(po, "%d", &r->position) != 1 ||
        sscanf(rg, "%llx %llx %llx %llx %d %la", &s[0], &s[1], &s[2], &s[3],
               &r->order.has_spare, &r->order.spare) != 6 ||
        sscanf(su, "%la %la %la", &r->best_val, &r->run_loss, &r->run_correct) != 3 ||
        sscanf(co, "%lld %d %d", &r->run_count, &r->bad_evals, &r->stopped) != 3)
        return pt_fail("%s: the run state in __metadata__ is missing or malformed "
                       "(a model file, not a checkpoint?)", path);
    for (int j = 0; j < 4; j++) r->order.s[j] = s[j];
    const pt_st_tensor *h = pt_st_find(f, "train.history");
    if (h && (h->ndim != 2 || h->shape[1] != PT_HIST_COLS))
        return pt_fail("%s: train.history must have %d columns", path, PT_HIST_COLS);
    r->rows = h ? (int)h->shape[0] : 0;
    return 0;
}
/* <Load a checkpoint> */
int pt_checkpoint_load(const char *path, pt_params *p, pt_optim *o, pt_train_run *r)
{
    pt_safetensors f;
    if (pt_st_read(&f, path)) return -1;
    int status = check_fits(&f, path, p, o);
    pt_train_run nr = { 0 };
    if (status == 0 && r) status = parse_run(&f, path, &nr);
    if (status == 0) {
        /* <Copy the checkpoint's tensors into place> */
        char name[160];
        for (int i = 0; i < p->n; i++) {
            memcpy(pt_param(p, i), f.data + pt_st_find(&f, p->t[i].name)->begin, 4 * p->t[i].count);
            if (!o) continue;
            snprintf(name, sizeof name, "opt.m.%s", p->t[i].name);
            memcpy(o->m + p->t[i].offset, f.data + pt_st_find(&f, name)->begin, 4 * p->t[i].count);
            snprintf(name, sizeof name, "opt.v.%s", p->t[i].name);
            memcpy(o->v + p->t[i].offset, f.data + pt_st_find(&f, name)->begin, 4 * p->t[i].count);
        }
        if (o) o->t = strtoll(pt_st_meta(&f, "opt.t"), NULL, 10);
        if (r) {
            /* <Replace the run's state by the checkpoint's> */
            free(r->hist);
            nr.cap = nr.rows;
            nr.hist = nr.rows ? malloc(sizeof(float) * PT_HIST_COLS * nr.rows) : NULL;
            if (nr.rows && !nr.hist) status = pt_fail("out of memory");
            else if (nr.rows)
                memcpy(nr.hist, f.data + pt_st_find(&f, "train.history")->begin,
                       sizeof(float) * PT_HIST_COLS * nr.rows);
            *r = nr;
        }
    }
    pt_st_free(&f);
    return status;
}
