/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* model.c: the parameter store and the sequential model (Chapter 4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_nn.h"

/* <Add a tensor to the store> */
int pt_params_add(pt_params *p, const char *name, int group, int decay,
                  int ndim, const int *shape)
{
    if (p->data) return pt_fail("pt_params_add: %s added after allocation", name);
    if (p->n == PT_MAX_TENSORS) return pt_fail("pt_params_add: more than %d tensors", PT_MAX_TENSORS);
    if (ndim < 1 || ndim > PT_MAX_DIMS || group < 0 || group >= PT_MAX_GROUPS ||
        strlen(name) >= sizeof p->t[0].name)
        return pt_fail("pt_params_add: bad tensor %s", name);
    pt_tensor *t = &p->t[p->n];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim; t->group = group; t->decay = decay;
    t->count = 1;
    for (int d = 0; d < ndim; d++) { t->shape[d] = shape[d]; t->count *= (size_t)shape[d]; }
    t->offset = p->size;
    p->size += t->count;
    return p->n++;
}
/* <Allocate, find and clear the parameters> */
int pt_params_alloc(pt_params *p)
{
    p->data = calloc(p->size ? p->size : 1, sizeof(float));
    p->grad = calloc(p->size ? p->size : 1, sizeof(float));
    if (!p->data || !p->grad)
        return pt_fail("out of memory for %zu parameters", p->size);
    return 0;
}
int pt_params_find(const pt_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++) if (!strcmp(p->t[i].name, name)) return i;
    return -1;
}
float *pt_param(const pt_params *p, int i) { return p->data + p->t[i].offset; }
float *pt_grad(const pt_params *p, int i) { return p->grad + p->t[i].offset; }
void pt_params_zero_grad(pt_params *p) { memset(p->grad, 0, sizeof(float) * p->size); }
void pt_params_free(pt_params *p)
{
    free(p->data); free(p->grad);
    p->data = p->grad = NULL;
}
/* <Start a model from the input shape> */
int pt_model_init(pt_model *m, int c, int h, int w)
{
    memset(m, 0, sizeof *m);
    if (c <= 0 || h <= 0 || w <= 0)
        return pt_fail("pt_model_init: bad input shape %d x %d x %d", c, h, w);
    m->in_c = c; m->in_h = h; m->in_w = w;
    return 0;
}
/* <Append a layer of the same shape> */
static pt_layer *append(pt_model *m, pt_layer_kind kind)
{
    if (m->params.data) { pt_fail("pt_model: layer added after pt_model_alloc"); return NULL; }
    if (m->n == PT_MAX_LAYERS) { pt_fail("pt_model: more than %d layers", PT_MAX_LAYERS); return NULL; }
    pt_layer *L = &m->layer[m->n], *prev = m->n ? L - 1 : NULL;
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->weight = L->bias = -1;
    L->c = prev ? prev->oc : m->in_c;
    L->h = prev ? prev->oh : m->in_h;
    L->w = prev ? prev->ow : m->in_w;
    L->oc = L->c; L->oh = L->h; L->ow = L->w;
    return L;
}
/* <Register a layer's weight and bias> */
static int add_weights(pt_model *m, pt_layer *L, int ndim, const int *shape,
                       int nbias, int decay)
{
    char name[64];
    snprintf(name, sizeof name, "layers.%d.weight", m->n);
    L->weight = pt_params_add(&m->params, name, m->group, decay, ndim, shape);
    snprintf(name, sizeof name, "layers.%d.bias", m->n);
    L->bias = pt_params_add(&m->params, name, m->group, 0, 1, &nbias);
    if (L->weight < 0 || L->bias < 0) return -1;
    m->n++;
    return 0;
}
/* <Append the layers with parameters> */
int pt_model_conv(pt_model *m, int filters, int k, int stride, int pad)
{
    pt_layer *L = append(m, PT_CONV);
    if (!L) return -1;
    L->conv = pt_conv_shape_make(L->c, L->h, L->w, filters, k, stride, pad);
    if (filters <= 0 || L->conv.oh <= 0 || L->conv.ow <= 0)
        return pt_fail("pt_model_conv: %d filters of %d x %d do not fit a %d x %d input",
                       filters, k, k, L->h, L->w);
    L->oc = filters; L->oh = L->conv.oh; L->ow = L->conv.ow;
    return add_weights(m, L, 4, (int[]){ filters, L->c, k, k }, filters, 1);
}
int pt_model_linear(pt_model *m, int out)
{
    pt_layer *L = append(m, PT_LINEAR);
    if (!L) return -1;
    if (out <= 0) return pt_fail("pt_model_linear: %d outputs", out);
    L->oc = out; L->oh = L->ow = 1;
    return add_weights(m, L, 2, (int[]){ out, L->c * L->h * L->w }, out, 1);
}
int pt_model_layernorm(pt_model *m)
{
    pt_layer *L = append(m, PT_LAYERNORM);
    if (!L) return -1;
    int d = L->c * L->h * L->w;
    return add_weights(m, L, 1, &d, d, 0);
}
/* <Append the layers without parameters> */
static int append_plain(pt_model *m, pt_layer_kind kind)
{
    pt_layer *L = append(m, kind);
    if (!L) return -1;
    if (kind == PT_MAXPOOL) {
        if (L->h < 2 || L->w < 2) return pt_fail("pt_model_maxpool: input %d x %d", L->h, L->w);
        L->oh = L->h / 2; L->ow = L->w / 2;
    }
    if (kind == PT_GAP) L->oh = L->ow = 1;
    if (kind == PT_FLATTEN) { L->oc = L->c * L->h * L->w; L->oh = L->ow = 1; }
    m->n++;
    return 0;
}
int pt_model_relu(pt_model *m) { return append_plain(m, PT_RELU); }
int pt_model_gelu(pt_model *m) { return append_plain(m, PT_GELU); }
int pt_model_maxpool(pt_model *m) { return append_plain(m, PT_MAXPOOL); }
int pt_model_gap(pt_model *m) { return append_plain(m, PT_GAP); }
int pt_model_flatten(pt_model *m) { return append_plain(m, PT_FLATTEN); }
/* <Allocate a model's parameters, activations and scratch> */
int pt_model_alloc(pt_model *m, int max_batch)
{
    if (m->n == 0 || max_batch <= 0) return pt_fail("pt_model_alloc: empty model or batch");
    if (pt_params_alloc(&m->params)) return -1;
    m->max_batch = max_batch;
    size_t big = pt_model_out_size(m, 0), work = 0;
    for (int l = 0; l < m->n; l++) {
        size_t s = pt_model_out_size(m, l + 1);
        if (s > big) big = s;
        if (m->layer[l].kind == PT_CONV) {
            size_t ws = pt_conv_workspace(&m->layer[l].conv, max_batch);
            if (ws > work) work = ws;
        }
        if (!(m->act[l + 1] = malloc(sizeof(float) * s * max_batch)))
            return pt_fail("out of memory for the activations of layer %d", l);
    }
    m->grad_a = malloc(sizeof(float) * big * max_batch);
    m->grad_b = malloc(sizeof(float) * big * max_batch);
    m->work = malloc(sizeof(float) * (work ? work : 1));
    if (!m->grad_a || !m->grad_b || !m->work) return pt_fail("out of memory for model scratch");
    return 0;
}
/* <Give back a model's memory> */
size_t pt_model_out_size(const pt_model *m, int upto)
{
    if (upto <= 0) return (size_t)m->in_c * m->in_h * m->in_w;
    const pt_layer *L = &m->layer[upto - 1];
    return (size_t)L->oc * L->oh * L->ow;
}
void pt_model_free(pt_model *m)
{
    for (int l = 0; l <= m->n; l++) free(m->act[l]);
    free(m->grad_a); free(m->grad_b); free(m->work);
    pt_params_free(&m->params);
    memset(m, 0, sizeof *m);
}
/* <Initialise the parameters of a model> */
void pt_model_init_params(pt_model *m, pt_rng *rng)
{
    for (int l = 0; l < m->n; l++) {
        pt_layer *L = &m->layer[l];
        if (L->weight < 0) continue;
        pt_tensor *t = &m->params.t[L->weight];
        float *w = pt_param(&m->params, L->weight);
        if (L->kind == PT_LAYERNORM) {
            for (size_t j = 0; j < t->count; j++) w[j] = 1;
        } else {
            /* <Draw the weights with the variance that keeps the signal> */
            double fan_out = t->shape[0], fan_in = (double)t->count / fan_out;
            if (L->kind == PT_CONV) fan_out *= L->conv.k * L->conv.k;
            int rectified = l + 1 < m->n &&
                (m->layer[l + 1].kind == PT_RELU || m->layer[l + 1].kind == PT_GELU);
            double sd = rectified ? sqrt(2 / fan_in) : sqrt(2 / (fan_in + fan_out));
            for (size_t j = 0; j < t->count; j++) w[j] = (float)(sd * pt_rng_normal(rng));
        }
        memset(pt_param(&m->params, L->bias), 0,
               sizeof(float) * m->params.t[L->bias].count);
    }
}
/* <Run the model forward> */
const float *pt_model_forward(pt_model *m, const float *x, int n, int upto)
{
    if (n > m->max_batch || upto < 0 || upto > m->n) {
        pt_fail("pt_model_forward: batch %d > %d or %d layers of %d", n, m->max_batch, upto, m->n);
        return NULL;
    }
    m->input = x;
    const float *in = x;
    for (int l = 0; l < upto; l++) {
        pt_layer *L = &m->layer[l];
        float *out = m->act[l + 1];
        /* <Apply layer l to in> */
        const float *w = L->weight >= 0 ? pt_param(&m->params, L->weight) : NULL;
        const float *b = L->bias >= 0 ? pt_param(&m->params, L->bias) : NULL;
        size_t len = (size_t)n * L->c * L->h * L->w;
        switch (L->kind) {
        case PT_CONV:      pt_conv2d_forward(out, in, w, b, m->work, &L->conv, n); break;
        case PT_LINEAR:    pt_linear_forward(out, in, w, b, n, L->c * L->h * L->w, L->oc); break;
        case PT_RELU:      pt_relu_forward(out, in, len); break;
        case PT_GELU:      pt_gelu_forward(out, in, len); break;
        case PT_MAXPOOL:   pt_maxpool2_forward(out, in, n, L->c, L->h, L->w); break;
        case PT_GAP:       pt_gap_forward(out, in, n, L->c, L->h * L->w); break;
        case PT_FLATTEN:   memcpy(out, in, sizeof(float) * len); break;
        case PT_LAYERNORM: pt_layernorm_forward(out, in, w, b, n, L->c * L->h * L->w, 1e-5f); break;
        }
        in = out;
    }
    return in;
}
/* <Run the model backward> */
void pt_model_backward(pt_model *m, const float *dy, int n, int upto)
{
    const float *g = dy;
    for (int l = upto - 1; l >= 0; l--) {
        pt_layer *L = &m->layer[l];
        const float *in = l ? m->act[l] : m->input;
        float *dx = l == 0 ? NULL : g == m->grad_a ? m->grad_b : m->grad_a;
        /* <Differentiate layer l from g into dx> */
        const float *w = L->weight >= 0 ? pt_param(&m->params, L->weight) : NULL;
        float *dw = L->weight >= 0 ? pt_grad(&m->params, L->weight) : NULL;
        float *db = L->bias >= 0 ? pt_grad(&m->params, L->bias) : NULL;
        size_t len = (size_t)n * L->c * L->h * L->w;
        int d = L->c * L->h * L->w;
        switch (L->kind) {
        case PT_CONV:      pt_conv2d_backward(dx, dw, db, g, in, w, m->work, &L->conv, n); break;
        case PT_LINEAR:    pt_linear_backward(dx, dw, db, g, in, w, n, d, L->oc); break;
        case PT_RELU:      if (dx) pt_relu_backward(dx, g, in, len); break;
        case PT_GELU:      if (dx) pt_gelu_backward(dx, g, in, len); break;
        case PT_MAXPOOL:   if (dx) pt_maxpool2_backward(dx, g, in, n, L->c, L->h, L->w); break;
        case PT_GAP:       if (dx) pt_gap_backward(dx, g, n, L->c, L->h * L->w); break;
        case PT_FLATTEN:   if (dx) memcpy(dx, g, sizeof(float) * len); break;
        case PT_LAYERNORM: pt_layernorm_backward(dx, dw, db, g, in, w, n, d, 1e-5f); break;
        }
        g = dx;
    }
}
/* <Evaluate a model on a data set> */
int pt_model_evaluate(pt_model *m, const pt_dataset *d, double *loss, double *acc)
{
    int B = m->max_batch, k = (int)pt_model_out_size(m, m->n), *y = malloc(sizeof(int) * B);
    size_t dim = (size_t)d->rows * d->cols;
    double total = 0, correct = 0;
    if (!y) return pt_fail("out of memory");
    for (int i0 = 0; i0 < d->n; i0 += B) {
        int nb = d->n - i0 < B ? d->n - i0 : B;
        for (int i = 0; i < nb; i++) y[i] = d->y[i0 + i];
        const float *z = pt_model_forward(m, d->x + (size_t)i0 * dim, nb, m->n);
        if (!z) { free(y); return -1; }
        total += pt_softmax_xent(NULL, z, y, nb, k) * nb;
        correct += pt_count_correct(z, y, nb, k);
    }
    free(y);
    *loss = d->n ? total / d->n : 0;
    *acc = d->n ? correct / d->n : 0;
    return 0;
}
