/* check_lm.c: tests of Chapter 7 (texts, pre-tokenisation, byte-pair
   encoding, GPT-2's tokenizer files). Run from the repository root. */
#define _GNU_SOURCE
#include <check.h>
#include "check_files.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_lm.h"

static void encode(const pt_bpe *b, const char *s, size_t n, pt_ids *ids)
{
    ids->n = 0;
    ck_assert_int_eq(pt_bpe_encode(b, (const unsigned char *)s, n, ids), 0);
}

/* decode(encode(s)) == s for every byte string: random bytes, invalid
   UTF-8 on purpose, with and without merges */
static void check_round_trip(const pt_bpe *b)
{
    static const char *const tricky[] = {
        "", "\xff", "a\xff" "b", "\xe4\xbd", "\xc0\x80", "\xed\xa0\x80", "caf\xc3\xa9 \xf0\x9f\x91\x8b",
        "  \t\n\n x", "\x80\x80\x80", "don\xff't " };
    pt_ids ids = { 0 };
    for (size_t k = 0; k < sizeof tricky / sizeof *tricky; k++) {
        unsigned char *out;
        size_t n;
        encode(b, tricky[k], strlen(tricky[k]), &ids);
        ck_assert_int_eq(pt_bpe_decode(b, ids.v, ids.n, &out, &n), 0);
        ck_assert_uint_eq(n, strlen(tricky[k]));
        ck_assert_mem_eq(out, tricky[k], n);
        free(out);
    }
    pt_rng r;
    pt_rng_seed(&r, 3);
    unsigned char buf[512];
    for (int rep = 0; rep < 200; rep++) {
        size_t n = pt_rng_below(&r, sizeof buf);
        for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)pt_rng_below(&r, 256);
        unsigned char *out;
        size_t m;
        ids.n = 0;
        ck_assert_int_eq(pt_bpe_encode(b, buf, n, &ids), 0);
        ck_assert_int_eq(pt_bpe_decode(b, ids.v, ids.n, &out, &m), 0);
        ck_assert_uint_eq(m, n);
        ck_assert_mem_eq(out, buf, n);
        free(out);
    }
    pt_ids_free(&ids);
}

START_TEST(test_bytes_round_trip)
{
    pt_bpe b;
    ck_assert_int_eq(pt_bpe_init(&b), 0);
    ck_assert_int_eq(b.n_tokens, 256);
    check_round_trip(&b);
    pt_ids ids = { 0 };
    encode(&b, "hi\xff", 3, &ids);                     /* no merges: the bytes */
    ck_assert_uint_eq(ids.n, 3);
    ck_assert_int_eq(ids.v[0], 'h');
    ck_assert_int_eq(ids.v[2], 0xff);
    int bad = 256;
    unsigned char *out;
    size_t n;
    ck_assert_int_eq(pt_bpe_decode(&b, &bad, 1, &out, &n), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "256"));
    pt_ids_free(&ids);
    pt_bpe_free(&b);
}
END_TEST

typedef struct { char got[16][16]; int n; } pieces;
static int keep_piece(const unsigned char *p, size_t len, void *ctx)
{
    pieces *ps = ctx;
    ck_assert_int_lt(ps->n, 16);
    ck_assert_uint_lt(len, 16);
    memcpy(ps->got[ps->n], p, len);
    ps->got[ps->n++][len] = 0;
    return 0;
}

/* GPT-2's pattern, and invalid bytes as pieces of their own */
START_TEST(test_pieces_by_hand)
{
    static const struct { const char *s; int n; const char *p[8]; } cases[] = {
        { "a   b", 3, { "a", "  ", " b" } },
        { "I'm here.", 4, { "I", "'m", " here", "." } },
        { "I'M", 3, { "I", "'", "M" } },
        { "x1y22", 4, { "x", "1", "y", "22" } },
        { "hi   ", 2, { "hi", "   " } },
        { "a\xff" "b", 3, { "a", "\xff", "b" } },
        { "don\xff't ", 4, { "don", "\xff", "'t", " " } },
        { "\xe4\xbd\xa0\xe5\xa5", 2, { "\xe4\xbd\xa0", "\xe5\xa5" } },
    };
    pt_bpe b;
    ck_assert_int_eq(pt_bpe_init(&b), 0);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        pieces ps = { .n = 0 };
        ck_assert_int_eq(pt_bpe_pieces(&b, (const unsigned char *)cases[k].s,
                                       strlen(cases[k].s), keep_piece, &ps), 0);
        ck_assert_int_eq(ps.n, cases[k].n);
        for (int i = 0; i < ps.n; i++) ck_assert_str_eq(ps.got[i], cases[k].p[i]);
    }
    pt_bpe_free(&b);
}
END_TEST

/* "aaabdaaabac" by hand: pairs aa 4, ab 2, ... -> merge (a,a) = 256;
   then (aa,a) 2 and (a,b) 2 tie, the smaller ids win: (a,b) = 257; then
   (aa,ab) 2 = 258; then every pair occurs once and training stops. */
START_TEST(test_bpe_training_by_hand)
{
    pt_bpe b;
    pt_bpe_report rep;
    const char *text = "aaabdaaabac";
    ck_assert_int_eq(pt_bpe_init(&b), 0);
    ck_assert_int_eq(pt_bpe_train(&b, (const unsigned char *)text, strlen(text), 1000, &rep), 0);
    ck_assert_int_eq(b.n_merges, 3);
    ck_assert_int_eq(rep.pieces, 1);
    ck_assert_int_eq(b.ma[0], 'a'); ck_assert_int_eq(b.mb[0], 'a'); ck_assert_int_eq(b.mc[0], 256);
    ck_assert_int_eq(b.ma[1], 'a'); ck_assert_int_eq(b.mb[1], 'b'); ck_assert_int_eq(b.mc[1], 257);
    ck_assert_int_eq(b.ma[2], 256); ck_assert_int_eq(b.mb[2], 257);
    ck_assert_int_eq(b.len[258], 4);
    ck_assert_mem_eq(b.text + b.off[258], "aaab", 4);
    pt_ids ids = { 0 };
    encode(&b, text, strlen(text), &ids);
    static const int expect[] = { 258, 'd', 258, 'a', 'c' };
    ck_assert_uint_eq(ids.n, 5);
    ck_assert_mem_eq(ids.v, expect, sizeof expect);
    b.use_merges = 1;                                 /* the first merge only */
    encode(&b, text, strlen(text), &ids);
    static const int first[] = { 256, 'a', 'b', 'd', 256, 'a', 'b', 'a', 'c' };
    ck_assert_uint_eq(ids.n, 9);
    ck_assert_mem_eq(ids.v, first, sizeof first);
    pt_ids_free(&ids);
    pt_bpe_free(&b);
}
END_TEST

/* pieces keep merges apart: "ab ab" is two pieces, "ab" and " ab" */
START_TEST(test_bpe_training_respects_pieces)
{
    pt_bpe b;
    const char *text = "ab ab ab ab";
    ck_assert_int_eq(pt_bpe_init(&b), 0);
    ck_assert_int_eq(pt_bpe_train(&b, (const unsigned char *)text, strlen(text), 300, NULL), 0);
    for (int r = 0; r < b.n_merges; r++) {              /* no token ends in a space */
        int t = b.mc[r];
        ck_assert_int_ne(b.text[b.off[t] + b.len[t] - 1], ' ');
    }
    ck_assert_int_eq(b.n_merges, 2);                   /* (a,b) x4, then (' ',ab) x3 */
    check_round_trip(&b);
    pt_bpe_free(&b);
}
END_TEST

static const char *dir_template = "/tmp/pt-lm-XXXXXX";


START_TEST(test_save_and_load_round_trip)
{
    char dir[64];
    strcpy(dir, dir_template);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *text = "the cat sat on the mat; the hat, the bat\n\tthe end\n"
                       "the cat sat on the mat; the hat, the bat\n\tthe end\n";
    pt_bpe a, b;
    ck_assert_int_eq(pt_bpe_init(&a), 0);
    ck_assert_int_eq(pt_bpe_train(&a, (const unsigned char *)text, strlen(text), 280, NULL), 0);
    ck_assert_int_gt(a.n_merges, 5);
    ck_assert_int_eq(pt_bpe_save(&a, dir), 0);
    char v[128], m[128];
    snprintf(v, sizeof v, "%s/vocab.json", dir);
    snprintf(m, sizeof m, "%s/merges.txt", dir);
    ck_assert_int_eq(pt_bpe_load(&b, v, m), 0);
    ck_assert_int_eq(b.n_tokens, a.n_tokens);
    ck_assert_int_eq(b.n_merges, a.n_merges);
    pt_ids x = { 0 }, y = { 0 };
    encode(&a, text, strlen(text), &x);
    encode(&b, text, strlen(text), &y);
    ck_assert_uint_eq(x.n, y.n);
    ck_assert_mem_eq(x.v, y.v, sizeof(int) * x.n);
    pt_ids_free(&x); pt_ids_free(&y);
    pt_bpe_free(&a); pt_bpe_free(&b);
    unlink(v); unlink(m); rmdir(dir);
}
END_TEST

/* a vocabulary of the 256 bytes in GPT-2's text form, as JSON */
static char *byte_vocab(int extra_id)
{
    static char buf[8192];
    size_t k = 0;
    int next = 256;
    k += (size_t)sprintf(buf + k, "{");
    for (int i = 0; i < 256; i++) {
        int printable = (i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || i >= 0xAE;
        int c = printable ? i : next++;
        k += (size_t)sprintf(buf + k, "%s\"\\u%04x\": %d", i ? ", " : "", c, i);
    }
    if (extra_id >= 0) k += (size_t)sprintf(buf + k, ", \"ab\": %d", extra_id);
    sprintf(buf + k, "}");
    return buf;
}

START_TEST(test_load_rejects_bad_files)
{
    char dir[64], v[128], m[128];
    strcpy(dir, dir_template);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(v, sizeof v, "%s/vocab.json", dir);
    snprintf(m, sizeof m, "%s/merges.txt", dir);
    pt_bpe b;
    write_file(dir, "merges.txt", "#version: 0.2\na b\n");
    write_file(dir, "vocab.json", "{\"a\": 0,");                        /* not JSON */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "not JSON"));
    write_file(dir, "vocab.json", "{\"a\": 0, \"b\": 5}");              /* ids not 0..V-1 */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "ids must be"));
    write_file(dir, "vocab.json", "{\"a\": 0, \"b\": 1}");              /* bytes missing */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "no token for the byte"));
    write_file(dir, "vocab.json", byte_vocab(256));                      /* good, 257 tokens */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), 0);
    ck_assert_int_eq(b.n_merges, 1);
    pt_bpe_free(&b);
    write_file(dir, "merges.txt", "#version: 0.2\na b\nb c\n");        /* "bc" is no token */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "merges.txt:3"));
    write_file(dir, "merges.txt", "#version: 0.2\nab\n");               /* one token */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "merges.txt:2"));
    write_file(dir, "merges.txt", "#version: 0.2\n\xc4" "a b\n");        /* broken UTF-8 */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "merges.txt:2: not two tokens"));
    write_file(dir, "merges.txt", "#version: 0.2\na b\na b\n");         /* twice */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "twice"));
    write_file(dir, "vocab.json", "{\"\\u4e00\": 0}");                  /* not the byte map */
    ck_assert_int_eq(pt_bpe_load(&b, v, m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "byte map"));
    ck_assert_int_eq(pt_bpe_load(&b, "/nonexistent/vocab.json", m), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "/nonexistent/vocab.json"));
    unlink(v); unlink(m); rmdir(dir);
}
END_TEST

/* GPT-2's ids for tricky strings, from tests/data/gpt2-ids.tsv (see
   tests/data/README.md for where they come from) */
START_TEST(test_gpt2_ids)
{
    pt_bpe b;
    ck_assert_msg(pt_bpe_load(&b, PT_GPT2_VOCAB, PT_GPT2_MERGES) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(b.n_tokens, 50257);
    ck_assert_int_eq(b.n_merges, 50000);
    FILE *f = fopen("tests/data/gpt2-ids.tsv", "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    int cases = 0;
    pt_ids ids = { 0 };
    while (getline(&line, &cap, f) > 0) {
        char *tab = strchr(line, '\t');
        ck_assert_ptr_nonnull(tab);
        *tab = 0;
        json_error_t err;
        json_t *js = json_loads(line, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        ck_assert_msg(js && json_is_string(js), "bad line %s", line);
        encode(&b, json_string_value(js), json_string_length(js), &ids);
        size_t k = 0;
        for (char *p = tab + 1, *end; ; p = end, k++) {
            long id = strtol(p, &end, 10);
            if (end == p) break;
            ck_assert_msg(k < ids.n && ids.v[k] == id, "%s: token %zu is %d, GPT-2 says %ld",
                          line, k, k < ids.n ? ids.v[k] : -1, id);
        }
        ck_assert_msg(k == ids.n, "%s: %zu tokens, GPT-2 has %zu", line, ids.n, k);
        json_decref(js);
        cases++;
    }
    ck_assert_int_ge(cases, 40);
    check_round_trip(&b);
    free(line);
    fclose(f);
    pt_ids_free(&ids);
    pt_bpe_free(&b);
}
END_TEST

START_TEST(test_split_by_hand)
{
    pt_text t = { (unsigned char *)"1\n2\n3\n4\n5\n6\n7", 13 }, tr, he;
    ck_assert_int_eq(pt_text_split(&tr, &he, &t, 1, 3), 0);     /* lines 3 and 6 held out */
    ck_assert_uint_eq(he.n, 4);
    ck_assert_mem_eq(he.bytes, "3\n6\n", 4);
    ck_assert_uint_eq(tr.n, 9);
    ck_assert_mem_eq(tr.bytes, "1\n2\n4\n5\n7", 9);
    pt_text_free(&tr); pt_text_free(&he);
    ck_assert_int_eq(pt_text_split(&tr, &he, &t, 2, 2), 0);     /* blocks {1,2} {3,4} ... */
    ck_assert_mem_eq(he.bytes, "3\n4\n7", 5);
    pt_text_free(&tr); pt_text_free(&he);
    ck_assert_int_eq(pt_text_split(&tr, &he, &t, 0, 2), -1);
    ck_assert_int_eq(pt_text_read(&tr, "/nonexistent/kjv.txt"), -1);
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "/nonexistent/kjv.txt"));
}
END_TEST

/* ids 0 1 0 1 2, bigrams: 01 twice, 10, 12; D2 = n1/(n1+2n2) = 2/4,
   D1 = 3/3; the unigram is uniform; p(1|0) = (2 - 0.5 + 0.5 * 1/3) / 2 */
START_TEST(test_kneser_ney_by_hand)
{
    static const int ids[] = { 0, 1, 0, 1, 2 };
    pt_ngram m;
    ck_assert_int_eq(pt_ngram_train(&m, ids, 5, 2, 3), 0);
    ck_assert_double_eq_tol(m.d[2], 0.5, 1e-12);
    ck_assert_double_eq_tol(m.d[1], 1.0, 1e-12);
    int c = 0;
    ck_assert_double_eq_tol(exp(pt_ngram_logprob(&m, &c, 1, 1)), (1.5 + 0.5 / 3) / 2, 1e-12);
    ck_assert_double_eq_tol(exp(pt_ngram_logprob(&m, &c, 1, 2)), (0.5 / 3) / 2, 1e-12);
    ck_assert_double_eq_tol(exp(pt_ngram_logprob(&m, &c, 0, 2)), 1.0 / 3, 1e-12);
    c = 2;                                               /* an unseen context */
    ck_assert_double_eq_tol(exp(pt_ngram_logprob(&m, &c, 1, 0)), 1.0 / 3, 1e-12);
    pt_ngram_free(&m);
    ck_assert_int_eq(pt_ngram_train(&m, ids, 5, 2, 2), -1);      /* token 2 >= vocab */
    ck_assert_int_eq(pt_ngram_train(&m, ids, 5, 7, 4096), -1);   /* 7 x 12 bits > 60 */
    ck_assert_int_eq(pt_ngram_max_order(256), 7);
    ck_assert_int_eq(pt_ngram_max_order(4096), 5);
    ck_assert_int_eq(pt_ngram_max_order(4097), 4);               /* 13 bits a token */
    ck_assert_int_eq(pt_ngram_max_order(8192), 4);
    ck_assert_int_eq(pt_ngram_train(&m, ids, 5, 5, 8192), -1);
}
END_TEST

/* every context's distribution sums to one, at every order */
START_TEST(test_kneser_ney_sums_to_one)
{
    enum { N = 3000, V = 37 };
    int *ids = malloc(sizeof(int) * N);
    pt_rng r;
    pt_rng_seed(&r, 9);
    for (int i = 0; i < N; i++)                          /* a skewed Markov chain */
        ids[i] = i && pt_rng_below(&r, 3) ? (ids[i - 1] * 7 + 3) % V : (int)pt_rng_below(&r, V);
    for (int order = 1; order <= 4; order++) {
        pt_ngram m;
        ck_assert_int_eq(pt_ngram_train(&m, ids, N, order, V), 0);
        for (int t = 3; t < 200; t += 7) {
            double sum = 0;
            for (int w = 0; w < V; w++) sum += exp(pt_ngram_logprob(&m, ids + t - 3, 3, w));
            ck_assert_double_eq_tol(sum, 1.0, 1e-9);
        }
        double lp = pt_ngram_score(&m, ids, N);
        ck_assert(lp < 0 && lp > N * log(1.0 / V) * 1.5);
        pt_ngram_free(&m);
    }
    free(ids);
}
END_TEST

Suite *lm_suite(void)
{
    Suite *s = suite_create("lm");
    TCase *t = tcase_create("tokens");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_bytes_round_trip);
    tcase_add_test(t, test_pieces_by_hand);
    tcase_add_test(t, test_bpe_training_by_hand);
    tcase_add_test(t, test_bpe_training_respects_pieces);
    tcase_add_test(t, test_save_and_load_round_trip);
    tcase_add_test(t, test_load_rejects_bad_files);
    tcase_add_test(t, test_gpt2_ids);
    tcase_add_test(t, test_split_by_hand);
    tcase_add_test(t, test_kneser_ney_by_hand);
    tcase_add_test(t, test_kneser_ney_sums_to_one);
    suite_add_tcase(s, t);
    return s;
}
