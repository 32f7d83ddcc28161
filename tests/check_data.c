/* check_data.c: tests of chapter 2 (chapters/02-data.nw): the random number
   generator, the IDX reader against valid and broken files, the Fashion-MNIST
   loader, and the feature statistics. Defines data_suite(); the runner is
   tests/check_main.c. */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "pt_base.h"
#include "pt_data.h"

Suite *data_suite(void);

/* ---------- helpers: a scratch directory and files in it ---------- */

static char scratch[256];

static void scratch_make(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/pt-check-data-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(scratch) != NULL, "mkdtemp failed");
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void scratch_remove(void)
{
    if (scratch[0])
        nftw(scratch, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    scratch[0] = 0;
}

/* Write len bytes to scratch/name, gzipped if gz; return the path (static buffer per slot). */
static const char *put(const char *name, const void *bytes, size_t len, int gz)
{
    static char paths[8][512];
    static int slot;
    char *path = paths[slot++ % 8];
    snprintf(path, 512, "%s/%s", scratch, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        if (len > 0)
            ck_assert_int_eq(gzwrite(f, bytes, (unsigned)len), (int)len);
        ck_assert_int_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
    }
    return path;
}

/* An IDX header of unsigned bytes with the given dimensions, followed by data. */
static size_t idx_bytes(unsigned char *buf, int ndim, const uint32_t *dims,
                        const unsigned char *data, size_t len)
{
    size_t k = 0;
    buf[k++] = 0; buf[k++] = 0; buf[k++] = 0x08; buf[k++] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        buf[k++] = (unsigned char)(dims[i] >> 24);
        buf[k++] = (unsigned char)(dims[i] >> 16);
        buf[k++] = (unsigned char)(dims[i] >> 8);
        buf[k++] = (unsigned char)dims[i];
    }
    if (len)
        memcpy(buf + k, data, len);
    return k + len;
}

/* The load must fail, name the file, mention `word`, and leave t empty. */
static void expect_idx_failure(const char *path, const char *word)
{
    pt_idx t;
    ck_assert_int_eq(pt_idx_load(&t, path), -1);
    ck_assert_msg(strstr(pt_errmsg(), path) != NULL, "message '%s' does not name %s", pt_errmsg(), path);
    if (word)
        ck_assert_msg(strstr(pt_errmsg(), word) != NULL, "message '%s' lacks '%s'", pt_errmsg(), word);
    ck_assert_ptr_null(t.data);
    pt_idx_free(&t);
}

/* ---------- the generator ---------- */

START_TEST(splitmix_matches_reference)
{
    uint64_t x = 0;   /* splitmix64 from 0: the reference implementation's first outputs */
    ck_assert_uint_eq(pt_splitmix64(&x), 0xe220a8397b1dcdafULL);
    ck_assert_uint_eq(pt_splitmix64(&x), 0x6e789e6aa1b965f4ULL);
    ck_assert_uint_eq(pt_splitmix64(&x), 0x06c45d188009454fULL);
}
END_TEST

START_TEST(xoshiro_matches_reference)
{
    /* From state {1, 2, 3, 4}, worked by hand from the definition. */
    pt_rng r = {{1, 2, 3, 4}, 0, 0};
    ck_assert_uint_eq(pt_rng_u64(&r), 11520ULL);
    ck_assert_uint_eq(pt_rng_u64(&r), 0ULL);
    ck_assert_uint_eq(pt_rng_u64(&r), 1509978240ULL);
    ck_assert_uint_eq(pt_rng_u64(&r), 1215971899390074240ULL);
}
END_TEST

START_TEST(same_seed_same_stream)
{
    pt_rng a, b, c;
    pt_rng_seed(&a, 42);
    pt_rng_seed(&b, 42);
    pt_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = pt_rng_u64(&a);
        ck_assert_uint_eq(x, pt_rng_u64(&b));
        differ += x != pt_rng_u64(&c);
    }
    ck_assert_int_ge(differ, 999);
    /* Reseeding forgets a spare normal. */
    pt_rng_seed(&a, 7);
    double z1 = pt_rng_normal(&a);
    pt_rng_seed(&a, 7);
    ck_assert_double_eq(pt_rng_normal(&a), z1);
    ck_assert(a.has_spare);
    pt_rng_seed(&a, 7);
    ck_assert(!a.has_spare);
    ck_assert_double_eq(pt_rng_normal(&a), z1);
}
END_TEST

START_TEST(state_is_never_zero)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        pt_rng r;
        pt_rng_seed(&r, seed);
        ck_assert(r.s[0] | r.s[1] | r.s[2] | r.s[3]);
    }
}
END_TEST

START_TEST(uniform_moments)
{
    pt_rng r;
    pt_rng_seed(&r, 1);
    const int n = 1000000;
    double sum = 0, sq = 0;
    int below_tenth = 0;
    for (int i = 0; i < n; i++) {
        float u = pt_rng_uniform(&r);
        ck_assert(u >= 0.0f && u < 1.0f);
        sum += u;
        sq += (u - 0.5) * (u - 0.5);
        below_tenth += u < 0.1f;
    }
    ck_assert_double_eq_tol(sum / n, 0.5, 0.0015);          /* se 0.00029 */
    ck_assert_double_eq_tol(sq / n, 1.0 / 12, 0.0005);      /* se 0.000075 */
    ck_assert_double_eq_tol(below_tenth / (double)n, 0.1, 0.0015);
}
END_TEST

START_TEST(normal_moments)
{
    pt_rng r;
    pt_rng_seed(&r, 2);
    const int n = 1000000;
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, lag = 0, prev = 0;
    int within1 = 0;
    for (int i = 0; i < n; i++) {
        double z = pt_rng_normal(&r);
        ck_assert(isfinite(z));
        m1 += z; m2 += z * z; m3 += z * z * z; m4 += z * z * z * z;
        lag += z * prev;
        prev = z;
        within1 += fabs(z) < 1;
    }
    ck_assert_double_eq_tol(m1 / n, 0.0, 0.005);     /* se 0.001 */
    ck_assert_double_eq_tol(m2 / n, 1.0, 0.007);     /* se 0.0014 */
    ck_assert_double_eq_tol(m3 / n, 0.0, 0.02);      /* se 0.0039 */
    ck_assert_double_eq_tol(m4 / n, 3.0, 0.05);      /* se 0.0098 */
    ck_assert_double_eq_tol(lag / n, 0.0, 0.005);    /* a pair's two halves are uncorrelated */
    ck_assert_double_eq_tol(within1 / (double)n, 0.682689, 0.003);
}
END_TEST

START_TEST(below_is_uniform)
{
    pt_rng r;
    pt_rng_seed(&r, 3);
    long count[10] = {0};
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        uint32_t k = pt_rng_below(&r, 10);
        ck_assert_uint_lt(k, 10);
        count[k]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 10; k++)
        chi2 += (count[k] - n / 10.0) * (count[k] - n / 10.0) / (n / 10.0);
    ck_assert_msg(chi2 < 40, "chi-square %g with 9 degrees of freedom", chi2);
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_eq(pt_rng_below(&r, 1), 0);
        ck_assert_uint_lt(pt_rng_below(&r, 7), 7);
        ck_assert_uint_lt(pt_rng_below(&r, 0xffffffffu), 0xffffffffu);
    }
}
END_TEST

START_TEST(below_has_no_modulo_bias)
{
    /* n = 3 * 2^30: x % n would put half of the draws below 2^30, not a third. */
    pt_rng r;
    pt_rng_seed(&r, 4);
    const uint32_t n = 3u << 30;
    const int draws = 300000;
    int low = 0;
    for (int i = 0; i < draws; i++) {
        uint32_t k = pt_rng_below(&r, n);
        ck_assert_uint_lt(k, n);
        low += k < (1u << 30);
    }
    ck_assert_double_eq_tol(low / (double)draws, 1.0 / 3, 0.005);   /* se 0.00086 */
}
END_TEST

START_TEST(shuffle_is_a_uniform_permutation)
{
    pt_rng r;
    pt_rng_seed(&r, 5);
    int a[1000], seen[1000] = {0};
    for (int i = 0; i < 1000; i++)
        a[i] = i;
    pt_rng_shuffle(&r, a, 1000);
    int moved = 0;
    for (int i = 0; i < 1000; i++) {
        ck_assert(a[i] >= 0 && a[i] < 1000);
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 900);
    /* All 6 orders of 3 elements equally often: index by the order's code. */
    long count[27] = {0};
    const int trials = 600000;
    for (int t = 0; t < trials; t++) {
        int b[3] = {0, 1, 2};
        pt_rng_shuffle(&r, b, 3);
        count[b[0] * 9 + b[1] * 3 + b[2]]++;
    }
    int perms[6] = {0 * 9 + 1 * 3 + 2, 0 * 9 + 2 * 3 + 1, 1 * 9 + 0 * 3 + 2,
                    1 * 9 + 2 * 3 + 0, 2 * 9 + 0 * 3 + 1, 2 * 9 + 1 * 3 + 0};
    for (int p = 0; p < 6; p++)
        ck_assert_msg(labs(count[perms[p]] - trials / 6) < 1500,
                      "permutation %d drawn %ld times of %d", p, count[perms[p]], trials);
    /* Degenerate sizes do nothing. */
    int one = 9;
    pt_rng_shuffle(&r, &one, 1);
    pt_rng_shuffle(&r, NULL, 0);
    ck_assert_int_eq(one, 9);
}
END_TEST

START_TEST(shuffle_repeats_with_the_seed)
{
    pt_rng r1, r2;
    int a[100], b[100];
    for (int i = 0; i < 100; i++)
        a[i] = b[i] = i;
    pt_rng_seed(&r1, 99);
    pt_rng_seed(&r2, 99);
    pt_rng_shuffle(&r1, a, 100);
    pt_rng_shuffle(&r2, b, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(a[i], b[i]);
}
END_TEST

/* ---------- the IDX reader ---------- */

START_TEST(idx_reads_plain_and_gzip)
{
    scratch_make();
    unsigned char data[24], buf[64];
    for (int i = 0; i < 24; i++)
        data[i] = (unsigned char)(10 * i);
    uint32_t dims[3] = {2, 3, 4};
    size_t len = idx_bytes(buf, 3, dims, data, 24);
    for (int gz = 0; gz <= 1; gz++) {
        pt_idx t;
        const char *path = put(gz ? "a.idx.gz" : "a.idx", buf, len, gz);
        ck_assert_msg(pt_idx_load(&t, path) == 0, "%s", pt_errmsg());
        ck_assert_int_eq(t.ndim, 3);
        ck_assert_int_eq(t.dims[0], 2);
        ck_assert_int_eq(t.dims[1], 3);
        ck_assert_int_eq(t.dims[2], 4);
        ck_assert_uint_eq(t.count, 24);
        ck_assert_mem_eq(t.data, data, 24);
        pt_idx_free(&t);
        ck_assert_ptr_null(t.data);
    }
    scratch_remove();
}
END_TEST

START_TEST(idx_rejects_missing_and_short_files)
{
    scratch_make();
    char missing[512];
    snprintf(missing, sizeof missing, "%s/absent.idx", scratch);
    expect_idx_failure(missing, NULL);
    expect_idx_failure(scratch, "regular");                          /* a directory */
    expect_idx_failure(put("empty", "", 0, 0), "truncated");
    expect_idx_failure(put("three", "\0\0\x08", 3, 0), "truncated");
    expect_idx_failure(put("shorthead", "\0\0\x08\x02\0\0\0\x02\0\0", 10, 0), "truncated");
    expect_idx_failure(put("shorthead.gz", "\0\0\x08\x02\0\0\0\x02\0\0", 10, 1), "truncated");
    scratch_remove();
}
END_TEST

START_TEST(idx_rejects_bad_headers)
{
    scratch_make();
    unsigned char buf[64];
    uint32_t dims[1] = {4};
    size_t len = idx_bytes(buf, 1, dims, (const unsigned char *)"abcd", 4);
    buf[0] = 0x1f;                                   /* wrong magic */
    expect_idx_failure(put("magic", buf, len, 0), "not an IDX");
    buf[0] = 0;
    buf[2] = 0x0D;                                   /* floats */
    expect_idx_failure(put("float", buf, len, 0), "0x0d");
    buf[2] = 0x08;
    buf[3] = 0;                                      /* no dimensions */
    expect_idx_failure(put("ndim0", buf, len, 0), "dimensions");
    buf[3] = 9;                                      /* too many */
    expect_idx_failure(put("ndim9", buf, len, 1), "dimensions");
    uint32_t zero[2] = {3, 0};
    len = idx_bytes(buf, 2, zero, NULL, 0);
    expect_idx_failure(put("zerodim", buf, len, 0), "dimension 1");
    uint32_t huge[1] = {0x80000000u};
    len = idx_bytes(buf, 1, huge, NULL, 0);
    expect_idx_failure(put("hugedim", buf, len, 0), "dimension 0");
    scratch_remove();
}
END_TEST

START_TEST(idx_rejects_impossible_sizes)
{
    scratch_make();
    unsigned char buf[64];
    uint32_t over[3] = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu};   /* 2^93: overflows */
    size_t len = idx_bytes(buf, 3, over, NULL, 0);
    expect_idx_failure(put("overflow", buf, len, 0), "multiply");
    expect_idx_failure(put("overflow.gz", buf, len, 1), "multiply");
    uint32_t big[2] = {1000, 1000};                                /* 10^6 bytes promised */
    len = idx_bytes(buf, 2, big, (const unsigned char *)"0123456789", 10);
    expect_idx_failure(put("big", buf, len, 0), "at most");
    expect_idx_failure(put("big.gz", buf, len, 1), "at most");
    uint32_t more[1] = {11};                                       /* one byte short */
    len = idx_bytes(buf, 1, more, (const unsigned char *)"0123456789", 10);
    expect_idx_failure(put("short", buf, len, 0), "at most");
    expect_idx_failure(put("short.gz", buf, len, 1), "truncated");
    uint32_t fewer[1] = {9};                                       /* one byte too many */
    len = idx_bytes(buf, 1, fewer, (const unsigned char *)"0123456789", 10);
    expect_idx_failure(put("long", buf, len, 0), "after");
    expect_idx_failure(put("long.gz", buf, len, 1), "after");
    scratch_remove();
}
END_TEST

START_TEST(idx_rejects_corrupt_gzip)
{
    scratch_make();
    /* Incompressible data, so that a flipped byte lands in the data itself. */
    enum { N = 4000 };
    static unsigned char data[N], buf[N + 16];
    pt_rng r;
    pt_rng_seed(&r, 6);
    for (int i = 0; i < N; i++)
        data[i] = (unsigned char)pt_rng_below(&r, 256);
    uint32_t dims[1] = {N};
    size_t len = idx_bytes(buf, 1, dims, data, N);
    const char *good = put("good.gz", buf, len, 1);
    pt_idx t;
    ck_assert_msg(pt_idx_load(&t, good) == 0, "%s", pt_errmsg());
    pt_idx_free(&t);
    /* Read the compressed bytes back, then damage copies of them. */
    static unsigned char z[2 * N];
    FILE *f = fopen(good, "rb");
    ck_assert_ptr_nonnull(f);
    size_t zlen = fread(z, 1, sizeof z, f);
    fclose(f);
    ck_assert_uint_gt(zlen, 100);
    z[zlen / 2] ^= 0x55;                             /* a byte in the middle */
    expect_idx_failure(put("middle.gz", z, zlen, 0), "corrupt");
    z[zlen / 2] ^= 0x55;
    z[zlen - 6] ^= 0x01;                             /* the CRC-32 of the trailer */
    expect_idx_failure(put("crc.gz", z, zlen, 0), "corrupt");
    z[zlen - 6] ^= 0x01;
    expect_idx_failure(put("cut.gz", z, zlen / 2, 0), NULL);   /* cut in half */
    expect_idx_failure(put("notrailer.gz", z, zlen - 4, 0), NULL);
    unsigned char junk[64] = {0x1f, 0x8b, 0x08, 0x00};           /* a gzip header, then garbage */
    for (int i = 10; i < 64; i++)
        junk[i] = (unsigned char)(i * 37);
    expect_idx_failure(put("junk.gz", junk, sizeof junk, 0), NULL);
    scratch_remove();
}
END_TEST

/* ---------- Fashion-MNIST ---------- */

START_TEST(fmnist_dir_precedence)
{
    setenv("PRETEXT_FASHION_MNIST", "/from/env", 1);
    ck_assert_str_eq(pt_fmnist_dir("/from/flag"), "/from/flag");
    ck_assert_str_eq(pt_fmnist_dir(NULL), "/from/env");
    ck_assert_str_eq(pt_fmnist_dir(""), "/from/env");
    unsetenv("PRETEXT_FASHION_MNIST");
    ck_assert_str_eq(pt_fmnist_dir(NULL), "/usr/share/datasets/fashion-mnist");
    ck_assert_str_eq(pt_fmnist_dir("/from/flag"), "/from/flag");
}
END_TEST

START_TEST(fmnist_missing_files_name_the_package)
{
    scratch_make();
    pt_dataset d;
    ck_assert_int_eq(pt_fmnist_load(&d, scratch, "train", 0), -1);
    ck_assert_msg(strstr(pt_errmsg(), "dataset-fashion-mnist"), "%s", pt_errmsg());
    ck_assert_msg(strstr(pt_errmsg(), scratch), "%s", pt_errmsg());
    ck_assert_msg(strstr(pt_errmsg(), "train-images-idx3-ubyte"), "%s", pt_errmsg());
    ck_assert_ptr_null(d.x);
    ck_assert_int_eq(pt_fmnist_load(&d, scratch, "validation", 0), -1);
    ck_assert_msg(strstr(pt_errmsg(), "validation"), "%s", pt_errmsg());
    scratch_remove();
}
END_TEST

/* A fake split of three 2x2 images; labels given by the caller. */
static void fake_split(const char *split, int nlabels, const unsigned char *labels, int gz)
{
    unsigned char pixels[12] = {0, 51, 102, 255, 1, 2, 3, 4, 5, 6, 7, 8}, buf[64];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {(uint32_t)nlabels};
    char name[128];
    size_t len = idx_bytes(buf, 3, idims, pixels, 12);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", split, gz ? ".gz" : "");
    put(name, buf, len, gz);
    len = idx_bytes(buf, 1, ldims, labels, (size_t)nlabels);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", split, gz ? ".gz" : "");
    put(name, buf, len, gz);
}

START_TEST(fmnist_loads_a_small_split)
{
    scratch_make();
    unsigned char labels[3] = {9, 0, 4};
    fake_split("train", 3, labels, 0);       /* unpacked */
    fake_split("t10k", 3, labels, 1);        /* gzipped */
    pt_dataset d;
    ck_assert_msg(pt_fmnist_load(&d, scratch, "train", 0) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(d.n, 3);
    ck_assert_int_eq(d.rows, 2);
    ck_assert_int_eq(d.cols, 2);
    ck_assert_float_eq(d.x[0], 0.0f);
    ck_assert_float_eq_tol(d.x[1], 0.2f, 1e-6f);
    ck_assert_float_eq_tol(d.x[2], 0.4f, 1e-6f);
    ck_assert_float_eq(d.x[3], 1.0f);
    ck_assert_int_eq(d.y[0], 9);
    ck_assert_int_eq(d.y[2], 4);
    pt_dataset_free(&d);
    ck_assert_ptr_null(d.x);
    ck_assert_msg(pt_fmnist_load(&d, scratch, "t10k", 2) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(d.n, 2);
    ck_assert_float_eq_tol(d.x[7], 4.0f / 255, 1e-7f);
    pt_dataset_free(&d);
    scratch_remove();
}
END_TEST

START_TEST(fmnist_rejects_disagreeing_files)
{
    scratch_make();
    unsigned char four[4] = {1, 2, 3, 4}, bad[3] = {1, 10, 2};
    pt_dataset d;
    fake_split("train", 4, four, 0);
    ck_assert_int_eq(pt_fmnist_load(&d, scratch, "train", 0), -1);
    ck_assert_msg(strstr(pt_errmsg(), "train-images-idx3-ubyte") &&
                  strstr(pt_errmsg(), "train-labels-idx1-ubyte"), "%s", pt_errmsg());
    ck_assert_ptr_null(d.x);
    fake_split("t10k", 3, bad, 1);
    ck_assert_int_eq(pt_fmnist_load(&d, scratch, "t10k", 0), -1);
    ck_assert_msg(strstr(pt_errmsg(), "t10k-labels-idx1-ubyte.gz") && strstr(pt_errmsg(), "10"),
                  "%s", pt_errmsg());
    /* Images of the wrong rank: a one-dimensional file under the images' name. */
    unsigned char buf[64];
    uint32_t flat[1] = {3};
    fake_split("t10k", 3, four, 1);
    put("t10k-images-idx3-ubyte.gz", buf, idx_bytes(buf, 1, flat, four, 3), 1);
    ck_assert_int_eq(pt_fmnist_load(&d, scratch, "t10k", 0), -1);
    ck_assert_msg(strstr(pt_errmsg(), "dimensions"), "%s", pt_errmsg());
    scratch_remove();
}
END_TEST

START_TEST(fmnist_real_training_set)
{
    const char *dir = pt_fmnist_dir(NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    pt_idx t;
    ck_assert_msg(pt_idx_load(&t, path) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(t.ndim, 3);
    ck_assert_int_eq(t.dims[0], 60000);
    ck_assert_int_eq(t.dims[1], 28);
    ck_assert_int_eq(t.dims[2], 28);
    ck_assert_uint_eq(t.count, (size_t)60000 * 28 * 28);
    pt_idx_free(&t);
    pt_dataset d;
    ck_assert_msg(pt_fmnist_load(&d, NULL, "train", 0) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(d.n, 60000);
    ck_assert_int_eq(d.rows, 28);
    ck_assert_int_eq(d.cols, 28);
    int count[10] = {0};
    for (int i = 0; i < d.n; i++)
        count[d.y[i]]++;
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(count[k], 6000);
    float lo = 1, hi = 0;
    for (size_t k = 0; k < (size_t)d.n * 784; k++) {
        lo = d.x[k] < lo ? d.x[k] : lo;
        hi = d.x[k] > hi ? d.x[k] : hi;
    }
    ck_assert_float_eq(lo, 0.0f);
    ck_assert_float_eq(hi, 1.0f);
    pt_dataset_free(&d);
    ck_assert_msg(pt_fmnist_load(&d, NULL, "t10k", 500) == 0, "%s", pt_errmsg());
    ck_assert_int_eq(d.n, 500);
    pt_dataset_free(&d);
}
END_TEST

/* ---------- statistics ---------- */

START_TEST(bytes_scale_to_unit)
{
    unsigned char b[4] = {0, 51, 255, 128};
    float x[4];
    pt_bytes_to_unit(x, b, 4);
    ck_assert_float_eq(x[0], 0.0f);
    ck_assert_float_eq_tol(x[1], 0.2f, 1e-7f);
    ck_assert_float_eq(x[2], 1.0f);
    ck_assert_float_eq_tol(x[3], 128.0f / 255, 1e-7f);
}
END_TEST

START_TEST(mean_std_standardize_small)
{
    /* x[3][3]: columns 1 2 3 / 2 4 6 / constant 5. */
    float x[9] = {1, 2, 5, 2, 4, 5, 3, 6, 5}, mu[3], sd[3];
    pt_col_mean(mu, x, 3, 3);
    ck_assert_float_eq_tol(mu[0], 2.0f, 1e-6f);
    ck_assert_float_eq_tol(mu[1], 4.0f, 1e-6f);
    ck_assert_float_eq_tol(mu[2], 5.0f, 1e-6f);
    pt_col_std(sd, x, mu, 3, 3);
    ck_assert_float_eq_tol(sd[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(sd[1], 2.0f, 1e-6f);
    ck_assert_float_eq(sd[2], 0.0f);
    float y[9];
    memcpy(y, x, sizeof x);
    pt_standardize(y, mu, sd, 3, 3);
    float want[9] = {-1, -1, 0, 0, 0, 0, 1, 1, 0};
    for (int k = 0; k < 9; k++)
        ck_assert_float_eq_tol(y[k], want[k], 1e-6f);
    pt_center(x, mu, 3, 3);
    float centred[9] = {-1, -2, 0, 0, 0, 0, 1, 2, 0};
    for (int k = 0; k < 9; k++)
        ck_assert_float_eq_tol(x[k], centred[k], 1e-6f);
}
END_TEST

START_TEST(mean_std_match_double_loops)
{
    /* d = 150 spans three blocks of columns, the last one partial. */
    enum { N = 500, D = 150 };
    static float x[N * D], mu[D], sd[D];
    pt_rng r;
    pt_rng_seed(&r, 8);
    for (int k = 0; k < N * D; k++)
        x[k] = 3.0f + (float)pt_rng_normal(&r) * (1 + k % D % 7);
    pt_col_mean(mu, x, N, D);
    pt_col_std(sd, x, mu, N, D);
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++)
            m += x[i * D + j];
        m /= N;
        for (int i = 0; i < N; i++)
            v += (x[i * D + j] - m) * (x[i * D + j] - m);
        ck_assert_double_eq_tol(mu[j], m, 1e-5 * (1 + fabs(m)));
        ck_assert_double_eq_tol(sd[j], sqrt(v / (N - 1)), 1e-5 * sqrt(v / (N - 1)));
    }
    pt_standardize(x, mu, sd, N, D);
    pt_col_mean(mu, x, N, D);
    pt_col_std(sd, x, mu, N, D);
    for (int j = 0; j < D; j++) {
        ck_assert_double_eq_tol(mu[j], 0.0, 1e-5);
        ck_assert_double_eq_tol(sd[j], 1.0, 1e-5);
    }
}
END_TEST

START_TEST(covariance_small_by_hand)
{
    /* Centred rows (-1,-2), (0,0), (1,2): C = [[1, 2], [2, 4]]. */
    float xc[6] = {-1, -2, 0, 0, 1, 2}, c[4], g[4], r[4];
    pt_covariance(c, xc, 3, 2);
    pt_covariance_gemm(g, xc, 3, 2);
    float want[4] = {1, 2, 2, 4};
    for (int k = 0; k < 4; k++) {
        ck_assert_float_eq_tol(c[k], want[k], 1e-6f);
        ck_assert_float_eq_tol(g[k], want[k], 1e-6f);
    }
    pt_correlation(r, c, 2);
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq_tol(r[k], 1.0f, 1e-6f);
    /* Anti-correlated and constant columns. */
    float xa[9] = {-1, 1, 0, 0, 0, 0, 1, -1, 0}, ca[9], ra[9];
    pt_covariance(ca, xa, 3, 3);
    pt_correlation(ra, ca, 3);
    ck_assert_float_eq_tol(ra[1], -1.0f, 1e-6f);
    ck_assert_float_eq_tol(ra[3], -1.0f, 1e-6f);
    ck_assert_float_eq_tol(ra[0], 1.0f, 1e-6f);
    for (int k = 0; k < 3; k++) {
        ck_assert_float_eq(ra[2 * 3 + k], 0.0f);
        ck_assert_float_eq(ra[k * 3 + 2], 0.0f);
    }
}
END_TEST

START_TEST(covariance_matches_loops_and_gemm)
{
    enum { N = 300, D = 70 };
    static float x[N * D], mu[D], c[D * D], g[D * D], r[D * D];
    pt_rng rng;
    pt_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++)       /* correlated columns: a shared factor plus noise */
    {
        double f = pt_rng_normal(&rng);
        for (int j = 0; j < D; j++)
            x[i * D + j] = (float)(0.5 * j + f * (j % 3) + pt_rng_normal(&rng));
    }
    pt_col_mean(mu, x, N, D);
    pt_center(x, mu, N, D);
    for (int k = 0; k < D * D; k++)
        c[k] = g[k] = NAN;           /* every entry must be written */
    pt_covariance(c, x, N, D);
    pt_covariance_gemm(g, x, N, D);
    for (int j = 0; j < D; j++)
        for (int k = 0; k < D; k++) {
            double s = 0;
            for (int i = 0; i < N; i++)
                s += (double)x[i * D + j] * x[i * D + k];
            s /= N - 1;
            ck_assert_msg(fabs(c[j * D + k] - s) <= 1e-4 * (1 + fabs(s)),
                          "ssyrk C[%d][%d] = %g, loops give %g", j, k, c[j * D + k], s);
            ck_assert_msg(fabs(g[j * D + k] - s) <= 1e-4 * (1 + fabs(s)),
                          "sgemm C[%d][%d] = %g, loops give %g", j, k, g[j * D + k], s);
            ck_assert_float_eq(c[j * D + k], c[k * D + j]);   /* mirrored exactly */
        }
    pt_correlation(r, c, D);
    for (int j = 0; j < D; j++) {
        ck_assert_float_eq_tol(r[j * D + j], 1.0f, 1e-6f);
        for (int k = 0; k < D; k++) {
            ck_assert(r[j * D + k] >= -1.0f && r[j * D + k] <= 1.0f);
            double want = c[j * D + k] / sqrt((double)c[j * D + j] * c[k * D + k]);
            ck_assert_double_eq_tol(r[j * D + k], want, 1e-6);
        }
    }
}
END_TEST

Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *rng = tcase_create("rng");
    tcase_add_test(rng, splitmix_matches_reference);
    tcase_add_test(rng, xoshiro_matches_reference);
    tcase_add_test(rng, same_seed_same_stream);
    tcase_add_test(rng, state_is_never_zero);
    tcase_add_test(rng, uniform_moments);
    tcase_add_test(rng, normal_moments);
    tcase_add_test(rng, below_is_uniform);
    tcase_add_test(rng, below_has_no_modulo_bias);
    tcase_add_test(rng, shuffle_is_a_uniform_permutation);
    tcase_add_test(rng, shuffle_repeats_with_the_seed);
    suite_add_tcase(s, rng);
    TCase *idx = tcase_create("idx");
    tcase_add_test(idx, idx_reads_plain_and_gzip);
    tcase_add_test(idx, idx_rejects_missing_and_short_files);
    tcase_add_test(idx, idx_rejects_bad_headers);
    tcase_add_test(idx, idx_rejects_impossible_sizes);
    tcase_add_test(idx, idx_rejects_corrupt_gzip);
    suite_add_tcase(s, idx);
    TCase *fm = tcase_create("fmnist");
    tcase_set_timeout(fm, 60);
    tcase_add_test(fm, fmnist_dir_precedence);
    tcase_add_test(fm, fmnist_missing_files_name_the_package);
    tcase_add_test(fm, fmnist_loads_a_small_split);
    tcase_add_test(fm, fmnist_rejects_disagreeing_files);
    tcase_add_test(fm, fmnist_real_training_set);
    suite_add_tcase(s, fm);
    TCase *st = tcase_create("stats");
    tcase_add_test(st, bytes_scale_to_unit);
    tcase_add_test(st, mean_std_standardize_small);
    tcase_add_test(st, mean_std_match_double_loops);
    tcase_add_test(st, covariance_small_by_hand);
    tcase_add_test(st, covariance_matches_loops_and_gemm);
    suite_add_tcase(s, st);
    return s;
}
