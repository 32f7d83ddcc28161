/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* safetensors.c: the book's tensor files, read and written (Chapter 4). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <zlib.h>
#include "pt_nn.h"

/* <Define the safetensors writer> */
struct pt_st_writer {
    int n, cap, nmeta;
    struct { char *name; const float *data; int ndim, shape[PT_MAX_DIMS]; } *e;
    char *key[64], *val[64];
};
pt_st_writer *pt_st_writer_new(void) { return calloc(1, sizeof(pt_st_writer)); }
void pt_st_add(pt_st_writer *w, const char *name, const float *data,
               int ndim, const int *shape)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 32;
        w->e = realloc(w->e, sizeof *w->e * (size_t)w->cap);
        if (!w->e) { perror("pt_st_add"); exit(1); }
    }
    w->e[w->n].name = strdup(name);
    w->e[w->n].data = data;
    w->e[w->n].ndim = ndim;
    for (int d = 0; d < ndim; d++) w->e[w->n].shape[d] = shape[d];
    w->n++;
}
/* <Define the safetensors writer> */
void pt_st_set_meta(pt_st_writer *w, const char *key, const char *val)
{
    for (int i = 0; i < w->nmeta; i++)
        if (!strcmp(w->key[i], key)) { free(w->val[i]); w->val[i] = strdup(val); return; }
    if (w->nmeta == 64) { fprintf(stderr, "pt_st_set_meta: too many keys\n"); exit(1); }
    w->key[w->nmeta] = strdup(key);
    w->val[w->nmeta++] = strdup(val);
}
void pt_st_writer_free(pt_st_writer *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->e[i].name);
    for (int i = 0; i < w->nmeta; i++) { free(w->key[i]); free(w->val[i]); }
    free(w->e); free(w);
}
/* <Define the helpers of the safetensors files> */
static int little_endian(void) { uint16_t one = 1; return *(unsigned char *)&one == 1; }
static uLong crc32_big(uLong crc, const void *p, size_t len)
{
    const unsigned char *b = p;
    while (len > 0) {
        uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, b, piece);
        b += piece; len -= piece;
    }
    return crc;
}
/* <Define the helpers of the safetensors files> */
static int write_file(pt_st_writer *w, const char *path, const char *text)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    unsigned char n8[8];
    for (int b = 0; b < 8; b++) n8[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    pt_file f;
    if (!pt_file_open(&f, dir, slash ? slash + 1 : path)) return -1;
    fwrite(n8, 1, 8, f.fp);
    fwrite(text, 1, len, f.fp);
    for (size_t b = len; b < padded; b++) fputc(' ', f.fp);
    /* <Write each tensor's bytes> */
    for (int i = 0; i < w->n; i++) {
        size_t count = 1;
        for (int d = 0; d < w->e[i].ndim; d++) count *= (size_t)w->e[i].shape[d];
        if (count && fwrite(w->e[i].data, 4, count, f.fp) != count) {
            pt_file_abort(&f);
            return pt_fail("cannot write %s: %s", path, strerror(errno));
        }
    }
    return pt_file_commit(&f);
}
/* <Define the helpers of the safetensors files> */
static int read_whole(const char *path, unsigned char **buf, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return pt_fail("cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) || !(*buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        fclose(fp);
        return pt_fail("cannot read %s", path);
    }
    *size = fread(*buf, 1, (size_t)st.st_size, fp);
    int bad = *size != (size_t)st.st_size;
    fclose(fp);
    if (bad) { free(*buf); *buf = NULL; return pt_fail("cannot read %s: short read", path); }
    return 0;
}
/* <Write a safetensors file> */
int pt_st_write(pt_st_writer *w, const char *path)
{
    if (!little_endian()) return pt_fail("%s: safetensors needs a little-endian machine", path);
    json_t *root = json_object(), *meta = json_object();
    size_t off = 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    /* <Describe each tensor in the header and add its bytes to the checksum> */
    for (int i = 0; i < w->n; i++) {
        json_t *t = json_object(), *shape = json_array();
        size_t count = 1;
        for (int d = 0; d < w->e[i].ndim; d++) {
            json_array_append_new(shape, json_integer(w->e[i].shape[d]));
            count *= (size_t)w->e[i].shape[d];
        }
        json_object_set_new(t, "dtype", json_string("F32"));
        json_object_set_new(t, "shape", shape);
        json_object_set_new(t, "data_offsets",
                            json_pack("[I,I]", (json_int_t)off, (json_int_t)(off + 4 * count)));
        json_object_set_new(root, w->e[i].name, t);
        crc = crc32_big(crc, w->e[i].data, 4 * count);
        off += 4 * count;
    }
    char hex[16];
    snprintf(hex, sizeof hex, "%08lx", (unsigned long)crc);
    for (int i = 0; i < w->nmeta; i++) json_object_set_new(meta, w->key[i], json_string(w->val[i]));
    json_object_set_new(meta, "crc32", json_string(hex));
    json_object_set_new(root, "__metadata__", meta);
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    if (!text) return pt_fail("%s: cannot build the JSON header", path);
    int status = write_file(w, path, text);
    free(text);
    return status;
}
/* <Check each entry of the header> */
static int parse_entries(pt_safetensors *f, json_t *root, const char *path, size_t dsize)
{
    const char *name;
    json_t *v;
    f->t = calloc(json_object_size(root) + 1, sizeof *f->t);
    if (!f->t) return pt_fail("%s: out of memory", path);
    json_object_foreach(root, name, v) {
        if (!strcmp(name, "__metadata__")) continue;
        pt_st_tensor *t = &f->t[f->n];
        if (strlen(name) >= sizeof t->name) return pt_fail("%s: tensor name '%.40s...' is too long", path, name);
        snprintf(t->name, sizeof t->name, "%s", name);
        /* <Check the dtype and shape of tensor name> */
        json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape");
        if (!json_is_string(dt))
            return pt_fail("%s: tensor %s has no dtype", path, name);
        const char *dts = json_string_value(dt);
        int esize = !strcmp(dts, "F32") ? 4 : !strcmp(dts, "F16") || !strcmp(dts, "BF16") ? 2 : 0;
        if (!esize)
            return pt_fail("%s: tensor %s has dtype %s; the book reads F32, F16 and BF16", path,
                           name, dts);
        snprintf(t->dtype, sizeof t->dtype, "%s", dts);
        if (!json_is_array(sh) || json_array_size(sh) > PT_MAX_DIMS)
            return pt_fail("%s: tensor %s: the shape must be an array of at most %d sizes",
                           path, name, PT_MAX_DIMS);
        t->ndim = (int)json_array_size(sh);
        long long bytes = esize;
        for (int d = 0; d < t->ndim; d++) {
            json_t *s = json_array_get(sh, d);
            if (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > INT32_MAX)
                return pt_fail("%s: tensor %s: size %d of its shape is not a valid size", path, name, d);
            t->shape[d] = json_integer_value(s);
            bytes = t->shape[d] && bytes > LLONG_MAX / t->shape[d] ? -1 : bytes * t->shape[d];
            if (bytes < 0) return pt_fail("%s: tensor %s is impossibly large", path, name);
        }
        /* <Check the offsets of tensor name> */
        json_t *of = json_object_get(v, "data_offsets");
        json_t *ob = json_array_get(of, 0), *oe = json_array_get(of, 1);
        if (!json_is_array(of) || json_array_size(of) != 2 || !json_is_integer(ob) || !json_is_integer(oe))
            return pt_fail("%s: tensor %s: data_offsets must be two integers", path, name);
        long long b = json_integer_value(ob), e = json_integer_value(oe);
        if (b < 0 || e < b || (unsigned long long)e > dsize)
            return pt_fail("%s: tensor %s: data_offsets [%lld, %lld] lie outside the %zu data bytes%s",
                           path, name, b, e, dsize, (size_t)e > dsize ? ": is the file truncated?" : "");
        if (e - b != bytes)
            return pt_fail("%s: tensor %s: its shape needs %lld bytes but data_offsets give %lld",
                           path, name, bytes, e - b);
        t->begin = (size_t)b; t->end = (size_t)e;
        f->n++;
    }
    return 0;
}
/* <Check that the tensors tile the data> */
static int by_begin(const void *a, const void *b)
{
    const pt_st_tensor *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}
static int tile_check(pt_safetensors *f, const char *path, size_t dsize)
{
    qsort(f->t, (size_t)f->n, sizeof *f->t, by_begin);
    size_t at = 0;
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].begin < at)
            return pt_fail("%s: tensors %s and %s overlap", path, f->t[i - 1].name, f->t[i].name);
        if (f->t[i].begin > at)
            return pt_fail("%s: bytes %zu to %zu of the data belong to no tensor", path, at, f->t[i].begin);
        at = f->t[i].end;
    }
    if (at != dsize)
        return pt_fail("%s: the file has %zu bytes after the last tensor", path, dsize - at);
    return 0;
}
/* <Read the metadata of a safetensors file> */
static int parse_meta(pt_safetensors *f, json_t *root, const char *path)
{
    json_t *meta = json_object_get(root, "__metadata__"), *v;
    const char *key;
    if (!meta) return 0;
    if (!json_is_object(meta)) return pt_fail("%s: __metadata__ is not an object", path);
    f->key = calloc(json_object_size(meta) + 1, sizeof(char *));
    f->val = calloc(json_object_size(meta) + 1, sizeof(char *));
    if (!f->key || !f->val) return pt_fail("%s: out of memory", path);
    json_object_foreach(meta, key, v) {
        if (!json_is_string(v)) return pt_fail("%s: __metadata__ value of %s is not a string", path, key);
        f->key[f->nmeta] = strdup(key);
        f->val[f->nmeta++] = strdup(json_string_value(v));
    }
    return 0;
}
/* <Convert F16 and BF16 tensors to F32> */
static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = h >> 10 & 31, m = h & 1023, bits;
    if (e == 0) { float v = ldexpf((float)m, -24); return sign ? -v : v; }
    bits = e == 31 ? sign | 0x7f800000u | m << 13 : sign | (e + 112) << 23 | m << 13;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}
static float bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}
static int widen(pt_safetensors *f, const char *path)
{
    size_t floats = 0;
    int narrow = 0;
    for (int i = 0; i < f->n; i++) {
        size_t e = strcmp(f->t[i].dtype, "F32") ? 2 : 4;
        floats += (f->t[i].end - f->t[i].begin) / e;
        narrow |= e == 2;
    }
    if (!narrow) return 0;
    float *out = malloc(sizeof(float) * (floats ? floats : 1));
    if (!out) return pt_fail("%s: out of memory widening its tensors to F32", path);
    size_t at = 0;
    for (int i = 0; i < f->n; i++) {          /* f->t is in the order of the bytes */
        pt_st_tensor *t = &f->t[i];
        const unsigned char *src = f->data + t->begin;
        int bf = !strcmp(t->dtype, "BF16"), f32 = !strcmp(t->dtype, "F32");
        size_t count = (t->end - t->begin) / (f32 ? 4 : 2);
        if (f32) memcpy(out + at, src, 4 * count);
        else
            for (size_t j = 0; j < count; j++) {
                uint16_t h = (uint16_t)(src[2 * j] | src[2 * j + 1] << 8);
                out[at + j] = bf ? bf16_to_f32(h) : f16_to_f32(h);
            }
        t->begin = 4 * at;
        at += count;
        t->end = 4 * at;
    }
    free(f->data);
    f->data = (unsigned char *)out;
    f->size = 4 * floats;
    return 0;
}
/* <Read and check a safetensors file> */
int pt_st_read(pt_safetensors *f, const char *path)
{
    memset(f, 0, sizeof *f);
    unsigned char *buf = NULL;
    size_t size = 0, hlen = 0;
    json_t *root = NULL;
    int status = -1;
    if (read_whole(path, &buf, &size)) return -1;
    /* <Check the length prefix of the header> */
    if (size < 8) { pt_fail("%s: %zu bytes is too short for a safetensors file", path, size); goto done; }
    uint64_t n64 = 0;
    for (int b = 7; b >= 0; b--) n64 = n64 << 8 | buf[b];
    if (n64 > size - 8) {
        pt_fail("%s: the header length %llu runs past the end of the file (%zu bytes): "
                "is the file truncated?", path, (unsigned long long)n64, size);
        goto done;
    }
    hlen = (size_t)n64;
    /* <Parse the header's JSON> */
    json_error_t err;
    root = json_loadb((const char *)buf + 8, hlen, 0, &err);
    if (!root) {
        pt_fail("%s: the header is not valid JSON: %s (line %d, column %d)",
                path, err.text, err.line, err.column);
        goto done;
    }
    if (!json_is_object(root)) { pt_fail("%s: the header is not a JSON object", path); goto done; }
    if (parse_entries(f, root, path, size - 8 - hlen) == 0 &&
        tile_check(f, path, size - 8 - hlen) == 0 &&
        parse_meta(f, root, path) == 0) {
        /* <Keep the tensor bytes and check their checksum> */
        f->size = size - 8 - hlen;
        memmove(buf, buf + 8 + hlen, f->size);
        f->data = buf;
        const char *want = pt_st_meta(f, "crc32");
        char got[16];
        snprintf(got, sizeof got, "%08lx", (unsigned long)crc32_big(crc32(0L, Z_NULL, 0), f->data, f->size));
        if (want && strcmp(want, got))
            pt_fail("%s: checksum mismatch: the header says crc32 %s but the tensor bytes give %s; "
                    "the file is corrupt", path, want, got);
        else
            status = widen(f, path);
    }
done:
    json_decref(root);
    if (status) { if (f->data != buf) free(buf); pt_st_free(f); }
    return status;
}
/* <Look up tensors and metadata> */
const pt_st_tensor *pt_st_find(const pt_safetensors *f, const char *name)
{
    for (int i = 0; i < f->n; i++) if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}
const char *pt_st_meta(const pt_safetensors *f, const char *key)
{
    for (int i = 0; i < f->nmeta; i++) if (!strcmp(f->key[i], key)) return f->val[i];
    return NULL;
}
void pt_st_free(pt_safetensors *f)
{
    for (int i = 0; i < f->nmeta; i++) { free(f->key[i]); free(f->val[i]); }
    free(f->key); free(f->val); free(f->t); free(f->data);
    memset(f, 0, sizeof *f);
}
