/* Tangled from chapters/07-lm.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* bpe.c: byte-level byte-pair encoding, trained or read from GPT-2's
   files (Chapter 7). */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <pcre2.h>
#include "pt_lm.h"

/* <Keep a map from 64-bit keys> */
static size_t map_slot(const pt_map *m, uint64_t k)
{
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
    while (m->key[i] != PT_MAP_EMPTY && m->key[i] != k) i = (i + 1) & (m->cap - 1);
    return i;
}

int pt_map_get(const pt_map *m, uint64_t key)
{
    if (!m->cap) return -1;
    size_t i = map_slot(m, key);
    return m->key[i] == PT_MAP_EMPTY ? -1 : m->val[i];
}

/* the slot of key, made (value 0) if absent; -1 if out of memory */
static long map_find(pt_map *m, uint64_t key)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        pt_map g = { malloc(sizeof(uint64_t) * cap), malloc(sizeof(int) * cap), cap, 0 };
        if (!g.key || !g.val) { free(g.key); free(g.val); return pt_fail("out of memory"); }
        for (size_t i = 0; i < cap; i++) g.key[i] = PT_MAP_EMPTY;
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i] != PT_MAP_EMPTY) {
                size_t j = map_slot(&g, m->key[i]);
                g.key[j] = m->key[i]; g.val[j] = m->val[i]; g.n++;
            }
        free(m->key); free(m->val);
        *m = g;
    }
    size_t i = map_slot(m, key);
    if (m->key[i] == PT_MAP_EMPTY) { m->key[i] = key; m->val[i] = 0; m->n++; }
    return (long)i;
}

int pt_map_put(pt_map *m, uint64_t key, int v)
{
    long i = map_find(m, key);
    if (i < 0) return -1;
    m->val[i] = v;
    return 0;
}

int pt_map_add(pt_map *m, uint64_t key, int delta)
{
    long i = map_find(m, key);
    if (i < 0) return -1;
    m->val[i] += delta;
    return 0;
}

void pt_map_free(pt_map *m)
{
    free(m->key); free(m->val);
    memset(m, 0, sizeof *m);
}
/* <Keep a map from byte strings> */
typedef struct {
    const unsigned char **s;     /* the string, not owned */
    size_t *len;
    int *val;
    size_t cap, n;
} strmap;

static uint64_t str_hash(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;              /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static size_t str_slot(const strmap *m, const unsigned char *s, size_t n)
{
    size_t i = (size_t)str_hash(s, n) & (m->cap - 1);
    while (m->s[i] && !(m->len[i] == n && !memcmp(m->s[i], s, n))) i = (i + 1) & (m->cap - 1);
    return i;
}

/* the slot of s[n], added with value v if absent; -1 if out of memory */
static long str_add(strmap *m, const unsigned char *s, size_t n, int v)
{
    if (2 * (m->n + 1) > m->cap) {
        strmap g = { calloc(m->cap ? 2 * m->cap : 4096, sizeof *g.s), NULL, NULL,
                     m->cap ? 2 * m->cap : 4096, 0 };
        g.len = malloc(sizeof *g.len * g.cap);
        g.val = malloc(sizeof *g.val * g.cap);
        if (!g.s || !g.len || !g.val) {
            free(g.s); free(g.len); free(g.val);
            return pt_fail("out of memory for a table of %zu strings", g.cap);
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i]) {
                size_t j = str_slot(&g, m->s[i], m->len[i]);
                g.s[j] = m->s[i]; g.len[j] = m->len[i]; g.val[j] = m->val[i]; g.n++;
            }
        free(m->s); free(m->len); free(m->val);
        *m = g;
    }
    size_t i = str_slot(m, s, n);
    if (!m->s[i]) { m->s[i] = s; m->len[i] = n; m->val[i] = v; m->n++; }
    return (long)i;
}

/* the value of s[n], or -1 if absent */
static int str_get(const strmap *m, const unsigned char *s, size_t n)
{
    if (!m->cap) return -1;
    size_t i = str_slot(m, s, n);
    return m->s[i] ? m->val[i] : -1;
}

static void str_free(strmap *m)
{
    free(m->s); free(m->len); free(m->val);
    memset(m, 0, sizeof *m);
}
/* <Compile GPT-2's pattern> */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

static int compile_pattern(pt_bpe *b)
{
    int err;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)gpt2_pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                                   &err, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return pt_fail("PCRE2 cannot compile GPT-2's pattern at %zu: %s", (size_t)at,
                       (char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);      /* faster if it can; fine if not */
    b->re = re;
    b->md = pcre2_match_data_create_from_pattern(re, NULL);
    return b->md ? 0 : pt_fail("out of memory for PCRE2's match data");
}
/* <Make, grow and free a tokenizer> */
/* append a token of bytes s[n]; its id, or -1 */
static int add_token(pt_bpe *b, const unsigned char *s, size_t n)
{
    if (b->n_tokens == b->cap_tokens) {
        int cap = b->cap_tokens ? 2 * b->cap_tokens : 512;
        size_t *off = realloc(b->off, sizeof *off * (size_t)cap);
        if (off) b->off = off;
        int *len = off ? realloc(b->len, sizeof *len * (size_t)cap) : NULL;
        if (!len) return pt_fail("out of memory for %d tokens", cap);
        b->len = len; b->cap_tokens = cap;
    }
    if (b->n_text + n > b->cap_text) {
        size_t cap = 2 * (b->n_text + n) + 4096;
        unsigned char *t = realloc(b->text, cap);
        if (!t) return pt_fail("out of memory for the tokens' bytes");
        b->text = t; b->cap_text = cap;
    }
    memcpy(b->text + b->n_text, s, n);
    b->off[b->n_tokens] = b->n_text;
    b->len[b->n_tokens] = (int)n;
    b->n_text += n;
    return b->n_tokens++;
}

static int add_merge(pt_bpe *b, int x, int y, int c)
{
    if (b->n_merges == b->cap_merges) {
        int cap = b->cap_merges ? 2 * b->cap_merges : 512;
        int *ma = realloc(b->ma, sizeof(int) * (size_t)cap);
        if (ma) b->ma = ma;
        int *mb = ma ? realloc(b->mb, sizeof(int) * (size_t)cap) : NULL;
        if (mb) b->mb = mb;
        int *mc = mb ? realloc(b->mc, sizeof(int) * (size_t)cap) : NULL;
        if (!mc) return pt_fail("out of memory for %d merges", cap);
        b->mc = mc; b->cap_merges = cap;
    }
    if (pt_map_put(&b->rank, PT_PAIR(x, y), b->n_merges)) return -1;
    b->ma[b->n_merges] = x; b->mb[b->n_merges] = y; b->mc[b->n_merges] = c;
    b->use_merges = ++b->n_merges;
    return 0;
}

static int init_empty(pt_bpe *b)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 256; i++) b->byte_id[i] = -1;
    return compile_pattern(b);
}

int pt_bpe_init(pt_bpe *b)
{
    if (init_empty(b)) { pt_bpe_free(b); return -1; }
    for (int i = 0; i < 256; i++) {
        unsigned char c = (unsigned char)i;
        if ((b->byte_id[i] = add_token(b, &c, 1)) < 0) { pt_bpe_free(b); return -1; }
    }
    return 0;
}

void pt_bpe_free(pt_bpe *b)
{
    free(b->text); free(b->off); free(b->len);
    free(b->ma); free(b->mb); free(b->mc);
    pt_map_free(&b->rank);
    if (b->md) pcre2_match_data_free(b->md);
    if (b->re) pcre2_code_free(b->re);
    memset(b, 0, sizeof *b);
}
/* <Cut a text into pieces> */
int pt_bpe_pieces(const pt_bpe *b, const unsigned char *s, size_t n, pt_piece_fn piece,
                  void *ctx)
{
    pcre2_code *re = b->re;
    pcre2_match_data *md = b->md;
    size_t pos = 0;
    while (pos < n) {
        int rc = pcre2_match(re, s, n, pos, PCRE2_NOTEMPTY, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) return piece(s + pos, n - pos, ctx);
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return pt_fail("PCRE2 failed at byte %zu: %s", pos, (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[0] > pos && piece(s + pos, ov[0] - pos, ctx)) return -1;
        if (piece(s + ov[0], ov[1] - ov[0], ctx)) return -1;
        pos = ov[1];
    }
    return 0;
}
/* <Encode and decode> */
int pt_ids_push(pt_ids *ids, int id)
{
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? 2 * ids->cap : 1024;
        int *v = realloc(ids->v, sizeof(int) * cap);
        if (!v) return pt_fail("out of memory for %zu token ids", cap);
        ids->v = v; ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return 0;
}

void pt_ids_free(pt_ids *ids)
{
    free(ids->v);
    memset(ids, 0, sizeof *ids);
}

typedef struct { const pt_bpe *b; pt_ids *ids; } encode_ctx;

static int encode_piece(const unsigned char *p, size_t n, void *ctx)
{
    const pt_bpe *b = ((encode_ctx *)ctx)->b;
    pt_ids *ids = ((encode_ctx *)ctx)->ids;
    size_t start = ids->n;
    for (size_t i = 0; i < n; i++)
        if (pt_ids_push(ids, b->byte_id[p[i]])) return -1;
    int *s = ids->v + start;
    size_t m = n;
    for (;;) {
        /* <Find the adjacent pair of lowest rank> */
        int best = -1;
        for (size_t i = 0; i + 1 < m; i++) {
            int r = pt_map_get(&b->rank, PT_PAIR(s[i], s[i + 1]));
            if (r >= 0 && r < b->use_merges && (best < 0 || r < best)) best = r;
        }
        if (best < 0) break;
        /* <Replace every occurrence of the pair, left to right> */
        size_t j = 0;
        for (size_t i = 0; i < m; )
            if (i + 1 < m && s[i] == b->ma[best] && s[i + 1] == b->mb[best]) {
                s[j++] = b->mc[best];
                i += 2;
            } else s[j++] = s[i++];
        m = j;
    }
    ids->n = start + m;
    return 0;
}

int pt_bpe_encode(const pt_bpe *b, const unsigned char *s, size_t n, pt_ids *ids)
{
    encode_ctx c = { b, ids };
    return pt_bpe_pieces(b, s, n, encode_piece, &c);
}
/* <Encode and decode> */
int pt_bpe_decode(const pt_bpe *b, const int *ids, size_t n, unsigned char **out, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= b->n_tokens)
            return pt_fail("token id %d at position %zu is not in the vocabulary of %d",
                           ids[i], i, b->n_tokens);
        total += (size_t)b->len[ids[i]];
    }
    unsigned char *o = malloc(total + 1);
    if (!o) return pt_fail("out of memory decoding %zu tokens", n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(o + k, b->text + b->off[ids[i]], (size_t)b->len[ids[i]]);
        k += (size_t)b->len[ids[i]];
    }
    *out = o;
    *len = total;
    return 0;
}
/* <Count the distinct pieces of the training text> */
typedef struct {
    strmap map;
    long long *count;            /* per distinct piece */
    size_t cap;
    long long pieces;
} piece_count;

static int count_piece(const unsigned char *p, size_t n, void *ctx)
{
    piece_count *c = ctx;
    long slot = str_add(&c->map, p, n, (int)c->map.n);
    if (slot < 0) return -1;
    int k = c->map.val[slot];
    if ((size_t)k >= c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        long long *cn = realloc(c->count, sizeof *cn * cap);
        if (!cn) return pt_fail("out of memory counting pieces");
        memset(cn + c->cap, 0, sizeof *cn * (cap - c->cap));
        c->count = cn; c->cap = cap;
    }
    c->count[k]++;
    c->pieces++;
    return 0;
}
/* <Define the state of BPE training> */
typedef struct {
    int *sym; size_t *start; int *len; long long *count; int nw;
    pt_map index;                /* PT_PAIR(a, b) -> pair number */
    int *pa, *pb;                /* pair number -> (a, b) */
    long long *pcount;
    int **where, *nwhere, *capwhere;
    int np, capp;
} bpe_state;

/* the number of pair (a, b), created if new; -1 if out of memory */
static int pair_number(bpe_state *st, int a, int b)
{
    int k = pt_map_get(&st->index, PT_PAIR(a, b));
    if (k >= 0) return k;
    if (st->np == st->capp) {
        int cap = st->capp ? 2 * st->capp : 4096;
        int *pa = realloc(st->pa, sizeof(int) * cap);        if (pa) st->pa = pa;
        int *pb = pa ? realloc(st->pb, sizeof(int) * cap) : NULL;  if (pb) st->pb = pb;
        long long *pc = pb ? realloc(st->pcount, sizeof(long long) * cap) : NULL;
        if (pc) st->pcount = pc;
        int **wh = pc ? realloc(st->where, sizeof(int *) * cap) : NULL;  if (wh) st->where = wh;
        int *nwh = wh ? realloc(st->nwhere, sizeof(int) * cap) : NULL;  if (nwh) st->nwhere = nwh;
        int *cwh = nwh ? realloc(st->capwhere, sizeof(int) * cap) : NULL;
        if (!cwh) return pt_fail("out of memory for %d pairs", cap);
        st->capwhere = cwh; st->capp = cap;
    }
    k = st->np++;
    st->pa[k] = a; st->pb[k] = b; st->pcount[k] = 0;
    st->where[k] = NULL; st->nwhere[k] = st->capwhere[k] = 0;
    return pt_map_put(&st->index, PT_PAIR(a, b), k) ? -1 : k;
}

/* add sign * count[w] to every pair of piece w; list w under the pairs
   that hold token `fresh` (all pairs if fresh < 0) */
static int count_pairs(bpe_state *st, int w, int sign, int fresh)
{
    const int *s = st->sym + st->start[w];
    for (int i = 0; i + 1 < st->len[w]; i++) {
        int k = pair_number(st, s[i], s[i + 1]);
        if (k < 0) return -1;
        st->pcount[k] += sign * st->count[w];
        if (sign > 0 && (fresh < 0 || s[i] == fresh || s[i + 1] == fresh) &&
            (st->nwhere[k] == 0 || st->where[k][st->nwhere[k] - 1] != w)) {
            if (st->nwhere[k] == st->capwhere[k]) {
                int cap = st->capwhere[k] ? 2 * st->capwhere[k] : 4;
                int *v = realloc(st->where[k], sizeof(int) * cap);
                if (!v) return pt_fail("out of memory for the pieces of a pair");
                st->where[k] = v; st->capwhere[k] = cap;
            }
            st->where[k][st->nwhere[k]++] = w;
        }
    }
    return 0;
}
/* <Train the merges of a byte-pair encoding> */
int pt_bpe_train(pt_bpe *b, const unsigned char *s, size_t n, int vocab, pt_bpe_report *rep)
{
    double t0 = pt_seconds();
    piece_count pc = { 0 };
    bpe_state st = { 0 };
    int status = pt_bpe_pieces(b, s, n, count_piece, &pc);
    /* <Lay the distinct pieces out as byte tokens and count their pairs> */
    size_t total = 0;
    for (size_t i = 0; status == 0 && i < pc.map.cap; i++) total += pc.map.s[i] ? pc.map.len[i] : 0;
    st.nw = (int)pc.map.n;
    st.sym = malloc(sizeof(int) * (total + 1));
    st.start = malloc(sizeof(size_t) * (size_t)(st.nw + 1));
    st.len = malloc(sizeof(int) * (size_t)(st.nw + 1));
    st.count = malloc(sizeof(long long) * (size_t)(st.nw + 1));
    if (status == 0 && (!st.sym || !st.start || !st.len || !st.count))
        status = pt_fail("out of memory for %d pieces", st.nw);
    for (size_t i = 0, at = 0; status == 0 && i < pc.map.cap; i++)
        if (pc.map.s[i]) {
            int w = pc.map.val[i];
            st.start[w] = at; st.len[w] = (int)pc.map.len[i]; st.count[w] = pc.count[w];
            for (size_t j = 0; j < pc.map.len[i]; j++) st.sym[at++] = b->byte_id[pc.map.s[i][j]];
        }
    for (int w = 0; status == 0 && w < st.nw; w++) status = count_pairs(&st, w, +1, -1);
    pt_progress pg;
    pt_progress_begin(&pg, "bpe", vocab > b->n_tokens ? vocab - b->n_tokens : 1, "merges");
    int first = b->n_tokens;
    while (status == 0 && b->n_tokens < vocab) {
        /* <Choose the most frequent pair> */
        int best = -1;
        for (int k = 0; k < st.np; k++)
            if (st.pcount[k] > 0 &&
                (best < 0 || st.pcount[k] > st.pcount[best] ||
                 (st.pcount[k] == st.pcount[best] &&
                  (st.pa[k] < st.pa[best] || (st.pa[k] == st.pa[best] && st.pb[k] < st.pb[best])))))
                best = k;
        if (best < 0 || st.pcount[best] < 2) break;
        /* <Merge the pair in every piece that holds it> */
        int x = st.pa[best], y = st.pb[best];
        size_t lx = (size_t)b->len[x], ly = (size_t)b->len[y];
        unsigned char buf[4096];
        if (lx + ly > sizeof buf) { status = pt_fail("a token of over %zu bytes", sizeof buf); break; }
        memcpy(buf, b->text + b->off[x], lx);
        memcpy(buf + lx, b->text + b->off[y], ly);
        int c = add_token(b, buf, lx + ly);
        if (c < 0 || add_merge(b, x, y, c)) { status = -1; break; }
        int nlist = st.nwhere[best], *list = st.where[best];
        st.where[best] = NULL; st.nwhere[best] = st.capwhere[best] = 0;
        for (int i = 0; status == 0 && i < nlist; i++) {
            int w = list[i], *p = st.sym + st.start[w], m = st.len[w], j = 0;
            status = count_pairs(&st, w, -1, -1);
            for (int q = 0; q < m; )
                if (q + 1 < m && p[q] == x && p[q + 1] == y) { p[j++] = c; q += 2; }
                else p[j++] = p[q++];
            st.len[w] = j;
            if (status == 0) status = count_pairs(&st, w, +1, c);
        }
        free(list);
        pt_progress_update(&pg, b->n_tokens - first);
    }
    pg.total = b->n_tokens - first;          /* it may stop early */
    pt_progress_end(&pg);
    if (rep) *rep = (pt_bpe_report){ pc.pieces, st.nw, pt_seconds() - t0 };
    /* <Free the state of BPE training> */
    for (int k = 0; k < st.np; k++) free(st.where[k]);
    free(st.where); free(st.nwhere); free(st.capwhere);
    free(st.pa); free(st.pb); free(st.pcount);
    pt_map_free(&st.index);
    free(st.sym); free(st.start); free(st.len); free(st.count);
    str_free(&pc.map);
    free(pc.count);
    return status;
}
/* <Map bytes to GPT-2's characters and back> */
/* GPT-2 writes byte i as the character code[i]; back[c] is the byte of
   character c < 324, or -1 */
static void byte_chars(int code[256], int back[324])
{
    int next = 256;
    for (int c = 0; c < 324; c++) back[c] = -1;
    for (int i = 0; i < 256; i++) {
        int printable = (i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || i >= 0xAE;
        code[i] = printable ? i : next++;
        back[code[i]] = i;
    }
}

/* the bytes of GPT-2's text form s[n] (UTF-8), into out[]; their count, or -1 */
static long text_to_bytes(const unsigned char *s, size_t n, unsigned char *out, size_t cap)
{
    int code[256], back[324];
    byte_chars(code, back);
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        int c;
        if (s[i] < 0x80) c = s[i++];
        else if ((s[i] & 0xE0) == 0xC0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            c = (s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
            i += 2;
        }
        else return -1;
        if (c >= 324 || back[c] < 0 || k >= cap) return -1;
        out[k] = (unsigned char)back[c];
    }
    return (long)k;
}

/* GPT-2's text form of s[n], UTF-8 and terminated, into out (room for 2n + 1) */
static void bytes_to_text(const unsigned char *s, size_t n, char *out)
{
    int code[256], back[324];
    byte_chars(code, back);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = code[s[i]];
        if (c < 0x80) out[k++] = (char)c;
        else { out[k++] = (char)(0xC0 | c >> 6); out[k++] = (char)(0x80 | (c & 0x3F)); }
    }
    out[k] = 0;
}
/* <Read a tokenizer in GPT-2's format> */
int pt_bpe_load(pt_bpe *b, const char *vocab, const char *merges)
{
    json_error_t jerr;
    json_t *root = json_load_file(vocab, 0, &jerr);
    if (!root && jerr.line < 1) return pt_fail("cannot read %s: %s", vocab, jerr.text);
    if (!root) return pt_fail("%s:%d: not JSON: %s", vocab, jerr.line, jerr.text);
    int status = init_empty(b);
    strmap by_bytes = { 0 };
    if (status == 0 && !json_is_object(root))
        status = pt_fail("%s: not a JSON object of tokens", vocab);
    /* <Read the tokens, in the order of their ids> */
    int V = status == 0 ? (int)json_object_size(root) : 0;
    const char **keys = calloc((size_t)V + 1, sizeof *keys);
    if (status == 0 && !keys) status = pt_fail("out of memory for %d tokens", V);
    const char *key;
    json_t *val;
    if (status == 0) json_object_foreach(root, key, val) {
        json_int_t id = json_is_integer(val) ? json_integer_value(val) : -1;
        if (id < 0 || id >= V) { status = pt_fail("%s: token \"%s\" has id %s; ids must be 0..%d",
                                                  vocab, key, json_is_integer(val) ? "out of range"
                                                  : "that is not an integer", V - 1); break; }
        if (keys[id]) { status = pt_fail("%s: id %lld is given twice", vocab, (long long)id); break; }
        keys[id] = key;
    }
    for (int t = 0; status == 0 && t < V; t++) {
        unsigned char buf[1024];
        long n = text_to_bytes((const unsigned char *)keys[t], strlen(keys[t]), buf, sizeof buf);
        if (n <= 0) { status = pt_fail("%s: token %d \"%s\" is not in GPT-2's byte map", vocab, t,
                                       keys[t]); break; }
        if (add_token(b, buf, (size_t)n) != t) status = -1;
        else if (n == 1) b->byte_id[buf[0]] = t;
    }
    for (int t = 0; status == 0 && t < V; t++)
        if (str_add(&by_bytes, b->text + b->off[t], (size_t)b->len[t], t) < 0) status = -1;
    for (int i = 0; status == 0 && i < 256; i++)
        if (b->byte_id[i] < 0) status = pt_fail("%s: no token for the byte %d", vocab, i);
    free(keys);
    if (status == 0) {
        /* <Read the merges, in rank order> */
        FILE *fp = fopen(merges, "r");
        if (!fp) status = pt_fail("cannot open %s: %s", merges, strerror(errno));
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        for (int ln = 1; status == 0 && (len = getline(&line, &cap, fp)) > 0; ln++) {
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
            if (len == 0 || (ln == 1 && !strncmp(line, "#version", 8))) continue;
            char *sp = strchr(line, ' ');
            unsigned char l[1024], r[1024];
            long nl = sp ? text_to_bytes((unsigned char *)line, (size_t)(sp - line), l, sizeof l) : -1;
            long nr = sp ? text_to_bytes((unsigned char *)sp + 1, strlen(sp + 1), r, sizeof r) : -1;
            if (nl <= 0 || nr <= 0 || nl + nr > (long)sizeof l) {
                status = pt_fail("%s:%d: not two tokens of GPT-2's byte map: \"%s\"", merges, ln, line);
                break;
            }
            /* <Find the merge's two tokens and its result> */
            int ta = str_get(&by_bytes, l, (size_t)nl), tb = str_get(&by_bytes, r, (size_t)nr);
            memcpy(l + nl, r, (size_t)nr);
            int tc = str_get(&by_bytes, l, (size_t)(nl + nr));
            if (ta < 0 || tb < 0 || tc < 0) {
                status = pt_fail("%s:%d: \"%s\" names a token that %s does not have", merges, ln, line, vocab);
                break;
            }
            if (pt_map_get(&b->rank, PT_PAIR(ta, tb)) >= 0) {
                status = pt_fail("%s:%d: the merge \"%s\" is given twice", merges, ln, line);
                break;
            }
            if (add_merge(b, ta, tb, tc)) status = -1;
        }
        free(line);
        if (fp) fclose(fp);
    }
    str_free(&by_bytes);
    json_decref(root);
    if (status) pt_bpe_free(b);
    return status;
}
/* <Write a tokenizer in GPT-2's format> */
int pt_bpe_save(const pt_bpe *b, const char *dir)
{
    json_t *root = json_object();
    char *txt = malloc(2 * 1024 + 1);
    int status = root && txt ? 0 : pt_fail("out of memory for the vocabulary");
    for (int t = 0; status == 0 && t < b->n_tokens; t++) {
        if (b->len[t] > 1024) { status = pt_fail("token %d is over 1024 bytes", t); break; }
        bytes_to_text(b->text + b->off[t], (size_t)b->len[t], txt);
        if (json_object_set_new(root, txt, json_integer(t))) status = pt_fail("jansson failed");
    }
    pt_file fv, fm;
    FILE *v = status == 0 ? pt_file_open(&fv, dir, "vocab.json") : NULL;
    FILE *m = v ? pt_file_open(&fm, dir, "merges.txt") : NULL;
    if (status == 0 && (!v || !m)) status = -1;
    if (status == 0 && json_dumpf(root, v, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII))
        status = pt_fail("cannot write %s/vocab.json", dir);
    if (status == 0) {
        char *ta = malloc(2 * 1024 + 1), *tb = malloc(2 * 1024 + 1);
        if (!ta || !tb) status = pt_fail("out of memory");
        else fprintf(m, "#version: 0.2\n");
        for (int r = 0; status == 0 && r < b->n_merges; r++) {
            bytes_to_text(b->text + b->off[b->ma[r]], (size_t)b->len[b->ma[r]], ta);
            bytes_to_text(b->text + b->off[b->mb[r]], (size_t)b->len[b->mb[r]], tb);
            fprintf(m, "%s %s\n", ta, tb);
        }
        free(ta); free(tb);
    }
    if (status == 0) status = pt_file_commit(&fv) || pt_file_commit(&fm) ? -1 : 0;
    else { if (v) pt_file_abort(&fv); if (m) pt_file_abort(&fm); }
    free(txt);
    json_decref(root);
    return status;
}
/* <Find GPT-2's files> */
const char *pt_gpt2_file(const char *name)
{
    static char vocab[4200], merges[4200];
    const char *dir = getenv("PRETEXT_GPT2");
    char *buf = strcmp(name, "encoder.json") ? merges : vocab;
    snprintf(buf, 4200, "%s/%s", dir && *dir ? dir : "data/gpt2", name);
    return buf;
}
