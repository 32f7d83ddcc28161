/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* gpt2file.c: models in Hugging Face's GPT-2 layout (Chapter 8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "pt_gpt.h"

/* <Write a model in GPT-2's layout> */
int pt_gpt_save(const pt_gpt *m, const char *dir)
{
    const pt_gpt_config *c = &m->cfg;
    if (pt_mkdirs(dir)) return -1;
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "config.json");
    if (!fp) return -1;
    fprintf(fp, "{\n  \"model_type\": \"gpt2\",\n  \"architectures\": [\"GPT2LMHeadModel\"],\n"
                "  \"vocab_size\": %d,\n  \"n_positions\": %d,\n  \"n_ctx\": %d,\n"
                "  \"n_embd\": %d,\n  \"n_head\": %d,\n  \"n_layer\": %d,\n"
                "  \"layer_norm_epsilon\": %.9g,\n  \"activation_function\": \"gelu_new\",\n"
                "  \"pretext_bidirectional\": %s\n}\n", c->vocab, c->ctx, c->ctx, c->dim,
            c->heads, c->layers, c->eps, c->causal ? "false" : "true");
    if (pt_file_commit(&f)) return -1;
    pt_st_writer *w = pt_st_writer_new();
    if (!w) return pt_fail("out of memory");
    pt_st_set_meta(w, "format", "pt");
    for (int i = 0; i < m->params.n; i++) {
        const pt_tensor *t = &m->params.t[i];
        pt_st_add(w, t->name, pt_param(&m->params, i), t->ndim, t->shape);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int status = pt_st_write(w, path);
    pt_st_writer_free(w);
    return status;
}
/* <Read a model's configuration> */
static int config_int(json_t *root, const char *key, const char *alt, int *v,
                      const char *path)
{
    json_t *j = json_object_get(root, key);
    if (!j && alt) j = json_object_get(root, alt);
    if (!j) return pt_fail("%s: no \"%s\"", path, key);
    if (!json_is_integer(j) || json_integer_value(j) < 1 || json_integer_value(j) > 1 << 24)
        return pt_fail("%s: \"%s\" must be a positive integer", path, key);
    *v = (int)json_integer_value(j);
    return 0;
}

int pt_gpt_read_config(pt_gpt_config *c, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        return err.line > 0 ? pt_fail("%s: %s (line %d)", path, err.text, err.line)
                            : pt_fail("%s: %s", path, err.text);
    int status = json_is_object(root) ? 0 : pt_fail("%s: not a JSON object", path);
    memset(c, 0, sizeof *c);
    if (status == 0)
        status = config_int(root, "vocab_size", NULL, &c->vocab, path) ||
                 config_int(root, "n_positions", "n_ctx", &c->ctx, path) ||
                 config_int(root, "n_embd", NULL, &c->dim, path) ||
                 config_int(root, "n_head", NULL, &c->heads, path) ||
                 config_int(root, "n_layer", NULL, &c->layers, path) ? -1 : 0;
    json_t *eps = json_object_get(root, "layer_norm_epsilon");
    json_t *act = json_object_get(root, "activation_function");
    json_t *bi = json_object_get(root, "pretext_bidirectional");
    c->eps = eps && json_is_number(eps) ? (float)json_number_value(eps) : 1e-5f;
    c->causal = !(bi && json_is_true(bi));
    if (status == 0 && eps && !(json_is_number(eps) && json_number_value(eps) > 0))
        status = pt_fail("%s: \"layer_norm_epsilon\" must be a positive number", path);
    if (status == 0 && act && !(json_is_string(act) && !strcmp(json_string_value(act), "gelu_new")))
        status = pt_fail("%s: activation_function \"%s\": this model computes gelu_new only",
                         path, json_is_string(act) ? json_string_value(act) : "?");
    if (status == 0 && c->dim % c->heads)
        status = pt_fail("%s: n_embd %d is not a multiple of n_head %d", path, c->dim, c->heads);
    json_decref(root);
    return status;
}
/* <Read a model in GPT-2's layout> */
static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n > k && !strcmp(s + n - k, tail);
}

int pt_gpt_load(pt_gpt *m, const char *dir)
{
    pt_gpt_config c;
    if (pt_gpt_read_config(&c, dir) || pt_gpt_init(m, &c)) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    pt_safetensors f;
    if (pt_st_read(&f, path)) { pt_gpt_free(m); return -1; }
    unsigned char *seen = calloc(m->params.n, 1);
    int status = seen ? 0 : pt_fail("out of memory");
    for (int i = 0; status == 0 && i < f.n; i++) {
        /* <Check one tensor of the file and copy it into the model> */
        const pt_st_tensor *t = &f.t[i];
        const char *name = strncmp(t->name, "transformer.", 12) ? t->name : t->name + 12;
        if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias") ||
            !strcmp(name, "lm_head.weight"))
            continue;                          /* the mask buffers; the head is tied to wte */
        int k = pt_params_find(&m->params, name);
        if (k < 0) { status = pt_fail("%s: unexpected tensor %s", path, t->name); break; }
        const pt_tensor *p = &m->params.t[k];
        int same = t->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = t->shape[d] == p->shape[d];
        if (!same) {
            char want[64], got[64];
            int w = 0, g = 0;
            for (int d = 0; d < p->ndim; d++) w += snprintf(want + w, sizeof want - w, d ? ", %d" : "%d", p->shape[d]);
            for (int d = 0; d < t->ndim && g < 48; d++) g += snprintf(got + g, sizeof got - g, d ? ", %lld" : "%lld", t->shape[d]);
            if (!t->ndim) got[0] = 0;
            status = pt_fail("%s: tensor %s has shape [%s], the configuration says [%s]",
                             path, t->name, got, want);
            break;
        }
        memcpy(pt_param(&m->params, k), f.data + t->begin, sizeof(float) * p->count);
        seen[k] = 1;
    }
    for (int i = 0; status == 0 && i < m->params.n; i++)
        if (!seen[i]) status = pt_fail("%s: no tensor %s", path, m->params.t[i].name);
    free(seen);
    pt_st_free(&f);
    if (status) pt_gpt_free(m);
    return status;
}
