/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* split.c: validation holdouts and label samples (Chapter 5). */
#include <stdlib.h>
#include <string.h>
#include "pt_data.h"
#include "pt_adapt.h"

/* <Shuffle the indices of one class> */
/* out[] <- the entries of list[n] whose label is c, in an order fixed by
   (seed, stream, c); returns how many. */
static int class_order(int *out, const int *list, int n, const unsigned char *y,
                       int c, uint64_t seed, uint64_t stream)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (y[list[i]] == c) out[m++] = list[i];
    pt_rng r;
    uint64_t mix = seed ^ stream;
    pt_rng_seed(&r, pt_splitmix64(&mix) + (uint64_t)c);
    pt_rng_shuffle(&r, out, m);
    return m;
}

static int by_index(const void *p, const void *q)
{
    int a = *(const int *)p, b = *(const int *)q;
    return (a > b) - (a < b);
}
/* <Hold out a validation set> */
int pt_split_holdout(pt_split *s, const unsigned char *y, int n, int first,
                     int classes, int val_per_class, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    int *all = malloc(sizeof(int) * (size_t)n), *order = malloc(sizeof(int) * (size_t)n);
    s->train = malloc(sizeof(int) * (size_t)n);
    s->val = malloc(sizeof(int) * (size_t)n);
    if (!all || !order || !s->train || !s->val) {
        free(all); free(order); pt_split_free(s);
        return pt_fail("pt_split_holdout: out of memory for %d images", n);
    }
    for (int i = 0; i < n; i++) all[i] = i;
    for (int c = first; c < first + classes; c++) {
        int m = class_order(order, all, n, y, c, seed, 0x686f6c646f7574ULL);
        if (m <= val_per_class) {
            free(all); free(order); pt_split_free(s);
            return pt_fail("pt_split_holdout: class %d has %d images, too few "
                           "to hold out %d", c, m, val_per_class);
        }
        memcpy(s->val + s->n_val, order, sizeof(int) * (size_t)val_per_class);
        memcpy(s->train + s->n_train, order + val_per_class,
               sizeof(int) * (size_t)(m - val_per_class));
        s->n_val += val_per_class;
        s->n_train += m - val_per_class;
    }
    qsort(s->train, (size_t)s->n_train, sizeof(int), by_index);
    qsort(s->val, (size_t)s->n_val, sizeof(int), by_index);
    free(all); free(order);
    return 0;
}

void pt_split_free(pt_split *s)
{
    free(s->train); free(s->val);
    memset(s, 0, sizeof *s);
}
/* <Sample labelled images per class> */
int pt_split_sample(int *idx, const int *pool, int npool,
                    const unsigned char *y, int first, int classes,
                    int per_class, uint64_t seed)
{
    int *order = malloc(sizeof(int) * (size_t)(npool > 0 ? npool : 1));
    int *keep = malloc(sizeof(int) * (size_t)(npool > 0 ? npool : 1)), m = 0;
    if (!order || !keep) { free(order); free(keep); return pt_fail("pt_split_sample: out of memory"); }
    for (int c = first; c < first + classes; c++) {
        int mc = class_order(order, pool, npool, y, c, seed, 0x73616d706c65ULL);
        int take = per_class > 0 ? per_class : mc;
        if (take > mc) {
            free(order); free(keep);
            return pt_fail("pt_split_sample: class %d has %d images, fewer than %d",
                           c, mc, per_class);
        }
        memcpy(keep + m, order, sizeof(int) * (size_t)take);
        m += take;
    }
    qsort(keep, (size_t)m, sizeof(int), by_index);
    memcpy(idx, keep, sizeof(int) * (size_t)m);
    free(order); free(keep);
    return m;
}
/* <Gather rows and labels> */
void pt_gather(float *dst, unsigned char *ydst, const float *x,
               const unsigned char *y, const int *idx, int m, int d,
               int label_offset)
{
    for (int i = 0; i < m; i++) {
        memcpy(dst + (size_t)i * d, x + (size_t)idx[i] * d, sizeof(float) * (size_t)d);
        if (ydst) ydst[i] = (unsigned char)(y[idx[i]] - label_offset);
    }
}
