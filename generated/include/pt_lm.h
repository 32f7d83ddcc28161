/* Tangled from chapters/07-lm.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_lm.h: texts, tokenizers and language models (Chapters 7-9). */
#ifndef PT_LM_H
#define PT_LM_H
#include <stddef.h>
#include <stdint.h>
#include "pt_base.h"

/* <Declare the texts> */
typedef struct pt_text {
    unsigned char *bytes;        /* not terminated; may hold any byte */
    size_t n;
} pt_text;
/* the whole file; 0, or -1 (pt_fail naming the file) */
int  pt_text_read(pt_text *t, const char *path);
void pt_text_free(pt_text *t);
/* <Declare the texts> */
/* the King James Version, one verse a line, from bible(1) of the Debian
   package bible-kjv; 0, or -1 (pt_fail saying what is missing) */
int pt_text_kjv(pt_text *t);
/* <Declare the texts> */
/* every fortune file in dir (NULL: /usr/share/games/fortunes, package
   fortunes), in name order; 0, or -1 */
int pt_text_fortunes(pt_text *t, const char *dir);
/* <Declare the texts> */
/* Split t into train and held-out parts: lines in blocks of `block`,
   block i held out when i % every == every - 1.  Both parts are new
   texts; 0, or -1. */
int pt_text_split(pt_text *train, pt_text *held, const pt_text *t, int block, int every);
struct pt_bpe;
/* <Declare the tokenizers> */
/* GPT-2's pre-tokenisation: call piece(p, len, ctx) for each piece of
   s[n] in order, invalid UTF-8 sequences as pieces of their own.  The
   callback returns 0 to go on.  Return 0, or -1 (pt_fail). */
typedef int (*pt_piece_fn)(const unsigned char *p, size_t len, void *ctx);
int pt_bpe_pieces(const struct pt_bpe *b, const unsigned char *s, size_t n,
                  pt_piece_fn piece, void *ctx);
/* <Declare the tokenizers> */
typedef struct pt_map {          /* 64-bit keys -> ints, by open addressing */
    uint64_t *key;               /* PT_MAP_EMPTY marks a free slot */
    int *val;
    size_t cap, n;               /* cap a power of two, or 0 */
} pt_map;
#define PT_MAP_EMPTY UINT64_MAX
#define PT_PAIR(a, b) ((uint64_t)(uint32_t)(a) << 32 | (uint32_t)(b))
int  pt_map_get(const pt_map *m, uint64_t key);          /* the value, or -1 */
int  pt_map_put(pt_map *m, uint64_t key, int v);          /* 0, or -1 */
int  pt_map_add(pt_map *m, uint64_t key, int delta);      /* add to the value (0 if new) */
void pt_map_free(pt_map *m);

typedef struct pt_bpe {
    int n_tokens, cap_tokens;
    unsigned char *text;         /* the tokens' bytes, one after another */
    size_t n_text, cap_text;
    size_t *off;                 /* token t is text[off[t] .. off[t] + len[t]) */
    int *len;
    int byte_id[256];            /* the token of each single byte */
    int n_merges, cap_merges;
    int *ma, *mb, *mc;           /* merge r: (ma[r], mb[r]) -> mc[r] */
    pt_map rank;                 /* PT_PAIR(a, b) -> r */
    int use_merges;              /* encode applies merges of rank below this */
    void *re, *md;               /* the compiled pattern and its match data */
} pt_bpe;
/* <Declare the tokenizers> */
/* 256 byte tokens (token b is byte b), no merges, GPT-2's pattern */
int  pt_bpe_init(pt_bpe *b);
void pt_bpe_free(pt_bpe *b);
/* <Declare the tokenizers> */
typedef struct pt_ids { int *v; size_t n, cap; } pt_ids;   /* a growing list of ids */
int  pt_ids_push(pt_ids *ids, int id);
void pt_ids_free(pt_ids *ids);

/* append the tokens of s[n] to ids; 0, or -1 */
int pt_bpe_encode(const pt_bpe *b, const unsigned char *s, size_t n, pt_ids *ids);
/* the bytes of ids[n], into out[] (malloc'd, *len bytes); 0, or -1 if an
   id is not a token */
int pt_bpe_decode(const pt_bpe *b, const int *ids, size_t n, unsigned char **out, size_t *len);
/* <Declare the tokenizers> */
typedef struct pt_bpe_report {
    long long pieces;            /* pieces in the training text */
    int distinct;                /* distinct pieces */
    double seconds;
} pt_bpe_report;
/* Learn merges on s[n] until b has `vocab` tokens or no pair occurs
   twice; b from pt_bpe_init.  rep may be NULL.  0, or -1. */
int pt_bpe_train(pt_bpe *b, const unsigned char *s, size_t n, int vocab, pt_bpe_report *rep);
/* <Declare the tokenizers> */
/* Read a tokenizer in GPT-2's format: vocab (vocab.json or encoder.json)
   and merges (merges.txt or vocab.bpe).  0, or -1 (pt_fail naming the
   file, and the line or token at fault). */
int pt_bpe_load(pt_bpe *b, const char *vocab, const char *merges);
/* Write dir/vocab.json and dir/merges.txt in the same format.  0, or -1. */
int pt_bpe_save(const pt_bpe *b, const char *dir);
/* <Declare the tokenizers> */
#define PT_GPT2_VOCAB  pt_gpt2_file("encoder.json")
#define PT_GPT2_MERGES pt_gpt2_file("vocab.bpe")
/* dir/name, dir = $PRETEXT_GPT2 or data/gpt2 (a static buffer per name) */
const char *pt_gpt2_file(const char *name);
/* <Declare the n-gram model> */
/* bits per byte of a sum of natural-log probabilities over `bytes` bytes */
static inline double pt_bits_per_byte(double sum_ln_p, size_t bytes)
{
    return bytes ? -sum_ln_p / (0.69314718055994531 * (double)bytes) : 0;
}
/* <Declare the n-gram model> */
typedef struct pt_ngram {
    int order, vocab, bits;      /* n; tokens are 0 .. vocab-1, bits each */
    double d[8];                 /* the discount of each order 1..n */
    pt_map count;                /* k-gram -> c (k = n) or N1+(. g) (k < n) */
    pt_map total, types;         /* context -> the sum of its counts, its distinct followers */
} pt_ngram;
/* Count the n-grams of ids[n_ids] (tokens below vocab).  0, or -1. */
int    pt_ngram_train(pt_ngram *m, const int *ids, size_t n_ids, int order, int vocab);
/* the highest order (at most 7) whose keys fit for this vocabulary */
int    pt_ngram_max_order(int vocab);
/* ln p(w | ctx[0..len-1]), the last order-1 tokens of the context used */
double pt_ngram_logprob(const pt_ngram *m, const int *ctx, int len, int w);
/* the sum of ln p(x_t | x_<t) over ids[n] */
double pt_ngram_score(const pt_ngram *m, const int *ids, size_t n);
void   pt_ngram_free(pt_ngram *m);

#endif
