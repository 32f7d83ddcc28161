/* check_simclr.c: tests of Chapter 6 (augmentations, the contrastive loss). */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
#include "pt_simclr.h"
#include <unistd.h>

/* a 28 x 28 image with a bright off-centre blob and some texture */
static void test_image(float *x, uint64_t seed)
{
    pt_rng r;
    pt_rng_seed(&r, seed);
    for (int i = 0; i < 28; i++)
        for (int j = 0; j < 28; j++)
            x[i * 28 + j] = (i > 5 && i < 20 && j > 8 && j < 24) ? 0.5f + 0.5f * pt_rng_uniform(&r) : 0;
}

START_TEST(test_flip_twice_is_the_identity)
{
    float x[28 * 28], y[28 * 28];
    test_image(x, 1);
    memcpy(y, x, sizeof x);
    pt_flip_h(y, 28, 28);
    ck_assert_int_ne(memcmp(x, y, sizeof x), 0);        /* one flip changes it */
    ck_assert_float_eq(y[3 * 28 + 0], x[3 * 28 + 27]);
    pt_flip_h(y, 28, 28);
    ck_assert_int_eq(memcmp(x, y, sizeof x), 0);
}
END_TEST

START_TEST(test_full_crop_without_rotation_is_the_identity)
{
    float x[28 * 28], y[28 * 28];
    test_image(x, 2);
    pt_resample(y, 28, 28, x, 28, 28, 0, 0, 28, 28, 0);
    ck_assert_int_eq(memcmp(x, y, sizeof x), 0);
    /* a half-size box upsampled: its centre pixel reads between four pixels */
    pt_resample(y, 28, 28, x, 28, 28, 7, 7, 14, 14, 0);
    /* output (14, 14) maps to input 7 + 14.5 * 0.5 - 0.5 = 13.75 in both axes */
    double want = 0.0625 * x[13 * 28 + 13] + 0.1875 * x[13 * 28 + 14] + 0.1875 * x[14 * 28 + 13]
         + 0.5625 * x[14 * 28 + 14];
    ck_assert_double_eq_tol(y[14 * 28 + 14], want, 1e-6);
    /* a quarter turn of the full box moves pixel (i, j) to (j, 27 - i) */
    pt_resample(y, 28, 28, x, 28, 28, 0, 0, 28, 28, (float)(M_PI / 2));
    for (int i = 0; i < 28; i++)
        for (int j = 0; j < 28; j++)
            ck_assert_double_eq_tol(y[i * 28 + j], x[(27 - j) * 28 + i], 1e-5);
}
END_TEST

START_TEST(test_blur_keeps_a_flat_image_flat)
{
    float x[28 * 28], tmp[28 * 28];
    for (int k = 0; k < 28 * 28; k++) x[k] = 0.3f;
    pt_blur(x, 28, 28, 1.0f, tmp);
    for (int k = 0; k < 28 * 28; k++) ck_assert_double_eq_tol(x[k], 0.3, 1e-6);
    /* a single bright pixel spreads symmetrically and keeps its mass */
    memset(x, 0, sizeof x);
    x[14 * 28 + 14] = 1;
    pt_blur(x, 28, 28, 1.0f, tmp);
    double sum = 0;
    for (int k = 0; k < 28 * 28; k++) sum += x[k];
    ck_assert_double_eq_tol(sum, 1.0, 1e-5);
    ck_assert_float_eq_tol(x[13 * 28 + 14], x[15 * 28 + 14], 1e-7);
    ck_assert_float_eq_tol(x[14 * 28 + 13], x[13 * 28 + 14], 1e-7);
    ck_assert(x[14 * 28 + 14] < 0.5f && x[14 * 28 + 14] > x[13 * 28 + 14]);
}
END_TEST

START_TEST(test_views_stay_in_range_and_depend_only_on_the_seed)
{
    float x[28 * 28], a[28 * 28], b[28 * 28];
    test_image(x, 3);
    pt_augment aug = pt_augment_all();
    int differ = 0;
    for (int k = 0; k < 200; k++) {
        pt_rng r1, r2;
        pt_rng_seed(&r1, 100 + k);
        pt_rng_seed(&r2, 100 + k);
        pt_augment_view(a, x, 28, 28, &aug, &r1);
        pt_augment_view(b, x, 28, 28, &aug, &r2);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
        for (int p = 0; p < 28 * 28; p++) ck_assert(a[p] >= 0 && a[p] <= 1);
        differ += memcmp(a, x, sizeof a) != 0;
    }
    ck_assert_int_eq(differ, 200);
    /* with every augmentation switched off, a view is the image */
    pt_augment none = { 0 };
    pt_rng r;
    pt_rng_seed(&r, 5);
    pt_augment_view(a, x, 28, 28, &none, &r);
    ck_assert_int_eq(memcmp(a, x, sizeof a), 0);
}
END_TEST

START_TEST(test_pairs_do_not_depend_on_the_thread_count)
{
    int n = 40, d = 28 * 28;
    float *x = malloc(sizeof(float) * n * d), *v1 = malloc(sizeof(float) * 2 * n * d),
          *v2 = malloc(sizeof(float) * 2 * n * d);
    for (int k = 0; k < n; k++) test_image(x + k * d, 10 + k);
    pt_augment aug = pt_augment_all();
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    pt_augment_pairs(v1, x, NULL, n, 28, 28, &aug, 77);
    omp_set_num_threads(2);
    pt_augment_pairs(v2, x, NULL, n, 28, 28, &aug, 77);
    omp_set_num_threads(saved);
    ck_assert_int_eq(memcmp(v1, v2, sizeof(float) * 2 * n * d), 0);
    ck_assert_int_ne(memcmp(v1, v1 + d, sizeof(float) * d), 0);   /* two different views */
    pt_augment_pairs(v2, x, NULL, n, 28, 28, &aug, 78);
    ck_assert_int_ne(memcmp(v1, v2, sizeof(float) * 2 * n * d), 0);
    free(x); free(v1); free(v2);
}
END_TEST

/* ---- the contrastive loss ---- */

START_TEST(test_ntxent_worked_by_hand)
{
    /* two pairs on orthogonal axes, lengths differing: tau = 1 gives, for
       each anchor, logits 1 (partner), 0, 0: L = log(e + 2) - 1 */
    float z[4 * 2] = { 2, 0, 0.5f, 0, 0, 3, 0, 1 }, work[64];
    int g[4] = { 0, 0, 1, 1 };
    double want = log(exp(1.0) + 2) - 1;
    ck_assert_double_eq_tol(pt_ntxent(NULL, z, g, 4, 2, 1.0, PT_NTXENT_PAIRS, work), want, 1e-6);
    ck_assert_double_eq_tol(pt_ntxent(NULL, z, g, 4, 2, 1.0, PT_NTXENT_MULTI, work), want, 1e-6);
    /* three views of one image, identical: two positives each with logit
       1/tau, so each log-probability is -log 2 and L = log 2 in the
       multi-positive form; the pairs form refuses */
    float y[3 * 2] = { 1, 1, 2, 2, 3, 3 };
    int h[3] = { 5, 5, 5 };
    ck_assert_double_eq_tol(pt_ntxent(NULL, y, h, 3, 2, 0.5, PT_NTXENT_MULTI, work), log(2.0), 1e-6);
    ck_assert(isnan(pt_ntxent(NULL, y, h, 3, 2, 0.5, PT_NTXENT_PAIRS, work)));
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "row 0 has 2 positives"));
    int lone[3] = { 1, 1, 2 };                                     /* row 2 has none */
    ck_assert(isnan(pt_ntxent(NULL, y, lone, 3, 2, 0.5, PT_NTXENT_MULTI, work)));
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "row 2 has 0 positives"));
}
END_TEST

START_TEST(test_ntxent_temperature_limits)
{
    /* pairs on orthogonal axes: the partner is the most similar candidate */
    enum { M = 6, D = 3 };
    float z[M * D] = { 0 }, work[256];
    int g[M] = { 0, 0, 1, 1, 2, 2 };
    for (int i = 0; i < M; i++) z[i * D + i / 2] = 1 + 0.1f * i;
    ck_assert(pt_ntxent(NULL, z, g, M, D, 0.01, PT_NTXENT_PAIRS, work) < 1e-6);
    ck_assert_double_eq_tol(pt_ntxent(NULL, z, g, M, D, 1e5, PT_NTXENT_PAIRS, work), log(M - 1.0), 1e-4);
    /* if a negative is more similar than the partner, small tau makes the
       loss grow like (s_neg - s_pos): anchor 0's partner is orthogonal to it */
    float y[4 * 2] = { 1, 0, 0, 1, 1, 0.01f, 0, 1 };
    int h[4] = { 0, 0, 1, 1 };
    double l1 = pt_ntxent(NULL, y, h, 4, 2, 0.01, PT_NTXENT_PAIRS, work);
    double l2 = pt_ntxent(NULL, y, h, 4, 2, 0.005, PT_NTXENT_PAIRS, work);
    ck_assert_double_eq_tol(l2 / l1, 2.0, 0.05);
}
END_TEST

/* central differences of the loss against pt_ntxent's gradient */
static void check_gradient(const int *g, int m, int d, double tau, pt_ntxent_form form)
{
    pt_rng r;
    pt_rng_seed(&r, 11);
    float *z = malloc(sizeof(float) * m * d), *dz = malloc(sizeof(float) * m * d);
    float *work = malloc(sizeof(float) * pt_ntxent_workspace(m, d));
    for (int k = 0; k < m * d; k++) z[k] = (float)pt_rng_normal(&r);
    double l = pt_ntxent(dz, z, g, m, d, tau, form, work);
    ck_assert(isfinite(l));
    double num = 0, den = 0;
    for (int k = 0; k < m * d; k++) {
        float keep = z[k], h = 1e-2f;
        z[k] = keep + h;
        double lp = pt_ntxent(NULL, z, g, m, d, tau, form, work);
        z[k] = keep - h;
        double lm = pt_ntxent(NULL, z, g, m, d, tau, form, work);
        z[k] = keep;
        double fd = (lp - lm) / (2.0 * h);
        num += (fd - dz[k]) * (fd - dz[k]);
        den += fd * fd + (double)dz[k] * dz[k];
    }
    /* float32 losses with h = 1e-2: round-off ~ 1e-7 / 1e-2 and curvature
       ~ h^2 both stay well below 1e-2 of the gradient's size */
    ck_assert_msg(sqrt(num / den) < 1e-2, "relative error %g", sqrt(num / den));
    free(z); free(dz); free(work);
}

START_TEST(test_ntxent_gradient_matches_finite_differences)
{
    int pairs[8] = { 0, 0, 1, 1, 2, 2, 3, 3 };
    check_gradient(pairs, 8, 5, 0.5, PT_NTXENT_PAIRS);
    check_gradient(pairs, 8, 5, 0.1, PT_NTXENT_PAIRS);
    int triples[9] = { 0, 0, 0, 1, 1, 1, 2, 2, 2 };
    check_gradient(triples, 9, 4, 0.3, PT_NTXENT_MULTI);
}
END_TEST

START_TEST(test_normalisation_gradient_is_orthogonal_to_u)
{
    float z[2 * 3] = { 3, 4, 0, 1, 2, 2 }, u[6], n[2], du[6] = { 1, 0, 0, 0, 1, 0 }, dz[6];
    pt_l2_normalize(u, n, z, 2, 3);
    ck_assert_float_eq_tol(n[0], 5, 1e-6);
    ck_assert_float_eq_tol(u[0], 0.6f, 1e-6);
    pt_l2_normalize_backward(dz, du, u, n, 2, 3);
    for (int i = 0; i < 2; i++) {
        double dot = 0;
        for (int j = 0; j < 3; j++) dot += (double)dz[i * 3 + j] * z[i * 3 + j];
        ck_assert_double_eq_tol(dot, 0, 1e-6);          /* stretching z changes nothing */
    }
    /* d u_0 / d z_0 at z = (3, 4, 0): (1 - 0.36) / 5 */
    ck_assert_float_eq_tol(dz[0], 0.64f / 5, 1e-6);
}
END_TEST

/* ---- collapse diagnostics, neighbours, clusters ---- */

START_TEST(test_stats_of_a_collapsed_and_a_spread_batch)
{
    float z[4 * 2] = { 1, 1, 2, 2, 3, 3, 0.5f, 0.5f };     /* all one direction */
    int g[4] = { 0, 0, 1, 1 };
    double sd, al, un;
    pt_contrastive_stats(z, g, 4, 2, &sd, &al, &un);
    ck_assert_double_eq_tol(sd, 0, 1e-6);
    ck_assert_double_eq_tol(al, 0, 1e-6);
    ck_assert_double_eq_tol(un, 0, 1e-6);
    /* pairs on opposite poles: aligned pairs, distance^2 4 between pairs */
    float y[4 * 2] = { 1, 0, 2, 0, -1, 0, -3, 0 };
    pt_contrastive_stats(y, g, 4, 2, &sd, &al, &un);
    ck_assert_double_eq_tol(al, 0, 1e-6);
    /* of the 12 ordered pairs, 4 at distance 0 and 8 at distance^2 4 */
    ck_assert_double_eq_tol(un, log((4 + 8 * exp(-8.0)) / 12), 1e-6);
}
END_TEST

START_TEST(test_adjusted_rand_index)
{
    int a[6] = { 0, 0, 1, 1, 2, 2 }, b[6] = { 2, 2, 0, 0, 1, 1 };
    ck_assert_double_eq_tol(pt_adjusted_rand(a, a, 6, 3, 3), 1, 1e-12);
    ck_assert_double_eq_tol(pt_adjusted_rand(a, b, 6, 3, 3), 1, 1e-12);   /* renumbered */
    /* worked by hand: every cell 1, sums 2 and 2: (0 - 2/3) / (2 - 2/3) */
    int c[4] = { 0, 0, 1, 1 }, d[4] = { 0, 1, 0, 1 };
    ck_assert_double_eq_tol(pt_adjusted_rand(c, d, 4, 2, 2), -0.5, 1e-12);
}
END_TEST

START_TEST(test_kmeans_and_knn_on_separated_blobs)
{
    enum { N = 90, D = 4 };
    float x[N * D], cen[3 * D];
    int assign[N], truth[N];
    unsigned char y[N];
    pt_rng r;
    pt_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        truth[i] = i % 3; y[i] = (unsigned char)(i % 3);
        for (int j = 0; j < D; j++)
            x[i * D + j] = (j == truth[i] ? 10.0f : 0.0f) + 0.3f * (float)pt_rng_normal(&r);
    }
    int it = pt_kmeans(assign, cen, x, N, D, 3, 50, 9);
    ck_assert(it >= 1 && it < 50);
    ck_assert_double_eq_tol(pt_adjusted_rand(assign, truth, N, 3, 3), 1, 1e-12);
    /* first 60 as training rows, last 30 as test rows */
    ck_assert_double_eq_tol(pt_knn_accuracy(x, y, 60, x + 60 * D, y + 60, 30, D, 5, 3), 1, 1e-12);
    ck_assert(isnan(pt_knn_accuracy(x, y, 60, x + 60 * D, y + 60, 30, D, 61, 3)));
    ck_assert_int_eq(pt_kmeans(assign, cen, x, N, D, N + 1, 5, 1), -1);
}
END_TEST

/* ---- training ---- */

static void tiny_images(pt_dataset *d, int n)
{
    d->n = n; d->rows = d->cols = 28;
    d->x = malloc(sizeof(float) * n * 784);
    d->y = calloc(n, 1);
    /* image k: a bright 8 x 8 square at one of 16 places, with texture */
    pt_rng r;
    pt_rng_seed(&r, 200);
    for (int k = 0; k < n; k++)
        for (int p = 0; p < 784; p++) {
            int i = p / 28, j = p % 28, i0 = 2 + 6 * (k % 4), j0 = 2 + 6 * (k / 4 % 4);
            d->x[k * 784 + p] = i >= i0 && i < i0 + 8 && j >= j0 && j < j0 + 8
                              ? 0.6f + 0.4f * pt_rng_uniform(&r) : 0.05f * pt_rng_uniform(&r);
        }
}

static pt_simclr_config tiny_config(void)
{
    pt_simclr_config c = { .epochs = 6, .batch = 8, .lr = 1e-2, .final_lr_frac = 0.1,
                           .warmup = 2, .clip = 5, .tau = 0.5, .seed = 4, .log_every = 1,
                           .quiet = 1, .aug = pt_augment_crop() };
    return c;
}

START_TEST(test_simclr_steps_lower_the_loss)
{
    pt_dataset d;
    tiny_images(&d, 16);
    pt_model m;
    pt_optim o;
    pt_train_run run;
    ck_assert_int_eq(pt_simclr_network(&m, 2, 16, 8, 16, 1), 0);
    ck_assert_int_eq(pt_optim_init(&o, PT_ADAMW, &m.params), 0);
    pt_train_run_init(&run, 5);
    pt_simclr_config c = tiny_config();
    c.epochs = 25;
    c.aug.crop_p = 0;                  /* views differ by their flip only */
    ck_assert_int_eq(pt_simclr_train(&m, &o, &d, &c, &run), 0);
    ck_assert_int_eq(run.step, 50);
    ck_assert_int_ge(run.rows, 50);
    double first = run.hist[2], last = run.hist[(size_t)(run.rows - 1) * PT_HIST_COLS + 2];
    ck_assert_msg(last < 0.7 * first, "loss %g -> %g", first, last);
    pt_train_run_free(&run);
    pt_optim_free(&o);
    pt_model_free(&m);
    pt_dataset_free(&d);
}
END_TEST

START_TEST(test_simclr_resumes_exactly)
{
    pt_dataset d;
    tiny_images(&d, 16);
    char path[] = "/tmp/pt-simclr-ckpt-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    pt_model a, b;
    pt_optim oa, ob;
    pt_train_run ra, rb;
    pt_simclr_config c = tiny_config();
    /* uninterrupted */
    ck_assert_int_eq(pt_simclr_network(&a, 2, 16, 8, 16, 1), 0);
    ck_assert_int_eq(pt_optim_init(&oa, PT_ADAMW, &a.params), 0);
    pt_train_run_init(&ra, 5);
    ck_assert_int_eq(pt_simclr_train(&a, &oa, &d, &c, &ra), 0);
    /* killed after step 5 (mid-epoch), resumed in a fresh process state */
    ck_assert_int_eq(pt_simclr_network(&b, 2, 16, 8, 16, 1), 0);
    ck_assert_int_eq(pt_optim_init(&ob, PT_ADAMW, &b.params), 0);
    pt_train_run_init(&rb, 5);
    pt_simclr_config ck = c;
    ck.checkpoint = path;
    ck.stop_at = 5;
    ck_assert_int_eq(pt_simclr_train(&b, &ob, &d, &ck, &rb), 0);
    pt_optim_free(&ob); pt_train_run_free(&rb); pt_model_free(&b);
    ck_assert_int_eq(pt_simclr_network(&b, 2, 16, 8, 16, 99), 0);   /* other init */
    ck_assert_int_eq(pt_optim_init(&ob, PT_ADAMW, &b.params), 0);
    pt_train_run_init(&rb, 77);
    ck_assert_int_eq(pt_checkpoint_load(path, &b.params, &ob, &rb), 0);
    ck_assert_int_eq(rb.step, 5);
    ck_assert_int_eq(pt_simclr_train(&b, &ob, &d, &c, &rb), 0);
    ck_assert_int_eq(rb.step, ra.step);
    ck_assert_int_eq(memcmp(a.params.data, b.params.data, sizeof(float) * a.params.size), 0);
    unlink(path);
    close(fd);
    pt_optim_free(&oa); pt_optim_free(&ob);
    pt_train_run_free(&ra); pt_train_run_free(&rb);
    pt_model_free(&a); pt_model_free(&b);
    pt_dataset_free(&d);
}
END_TEST

Suite *simclr_suite(void)
{
    Suite *s = suite_create("simclr");
    TCase *t = tcase_create("augment");
    tcase_add_test(t, test_flip_twice_is_the_identity);
    tcase_add_test(t, test_full_crop_without_rotation_is_the_identity);
    tcase_add_test(t, test_blur_keeps_a_flat_image_flat);
    tcase_add_test(t, test_views_stay_in_range_and_depend_only_on_the_seed);
    tcase_add_test(t, test_pairs_do_not_depend_on_the_thread_count);
    suite_add_tcase(s, t);
    t = tcase_create("ntxent");
    tcase_add_test(t, test_ntxent_worked_by_hand);
    tcase_add_test(t, test_ntxent_temperature_limits);
    tcase_add_test(t, test_ntxent_gradient_matches_finite_differences);
    tcase_add_test(t, test_normalisation_gradient_is_orthogonal_to_u);
    tcase_add_test(t, test_stats_of_a_collapsed_and_a_spread_batch);
    suite_add_tcase(s, t);
    t = tcase_create("evaluate");
    tcase_add_test(t, test_adjusted_rand_index);
    tcase_add_test(t, test_kmeans_and_knn_on_separated_blobs);
    suite_add_tcase(s, t);
    t = tcase_create("train");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_simclr_steps_lower_the_loss);
    tcase_add_test(t, test_simclr_resumes_exactly);
    suite_add_tcase(s, t);
    return s;
}
