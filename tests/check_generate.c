/* check_generate.c: tests of Chapter 9 (temperature, top-k, top-p, the
   repetition penalty, distinct-n and generation). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
#include "pt_gpt.h"
#include "pt_generate.h"

START_TEST(test_temperature_by_hand)
{
    /* u = (2, 1, 0.1): at tau the weights are e^{u/tau} */
    const float u[3] = { 2, 1, 0.1f };
    const double taus[3] = { 0.5, 1, 2 };
    for (int i = 0; i < 3; i++) {
        double p[3], w[3], z = 0;
        for (int v = 0; v < 3; v++) z += w[v] = exp(u[v] / taus[i]);
        pt_softmax_tau(p, u, 3, taus[i]);
        for (int v = 0; v < 3; v++) ck_assert_double_eq_tol(p[v], w[v] / z, 1e-7);
    }
    double p[3];
    pt_softmax_tau(p, u, 3, 1);
    ck_assert_double_eq_tol(p[0], 0.659001, 1e-6);      /* e^2 / (e^2 + e + e^0.1) */
    pt_softmax_tau(p, u, 3, 1e-3);                       /* tau -> 0: the argmax */
    ck_assert_double_eq_tol(p[0], 1, 1e-12);
    pt_softmax_tau(p, u, 3, 1e6);                        /* tau -> infinity: uniform */
    ck_assert_double_eq_tol(p[2], 1.0 / 3, 1e-6);
    ck_assert_double_eq_tol(pt_entropy(p, 3), log(3.0), 1e-6);
}
END_TEST

START_TEST(test_entropy_rises_with_temperature)
{
    pt_rng g;
    pt_rng_seed(&g, 91);
    float u[50];
    double p[50];
    for (int rep = 0; rep < 20; rep++) {
        for (int v = 0; v < 50; v++) u[v] = (float)(3 * pt_rng_normal(&g));
        double last = -1;
        for (double tau = 0.1; tau < 5; tau *= 1.3) {
            pt_softmax_tau(p, u, 50, tau);
            double h = pt_entropy(p, 50);
            ck_assert_double_gt(h, last);
            last = h;
        }
    }
}
END_TEST

START_TEST(test_greedy_rules)
{
    float u[5] = { 0.3f, 2.5f, -1, 2.4f, 0 }, w[5];
    double work[5 * 3];   /* pt_sample_workspace: 20 bytes a token */
    pt_rng g;
    pt_rng_seed(&g, 92);
    const pt_sampler greedy = { 0, 0, 1, 1 }, k1 = { 1, 1, 1, 1 }, tiny_p = { 1, 0, 1e-9, 1 };
    for (int rep = 0; rep < 50; rep++) {
        memcpy(w, u, sizeof u); ck_assert_int_eq(pt_sample(w, 5, &greedy, NULL, 0, &g, work), 1);
        memcpy(w, u, sizeof u); ck_assert_int_eq(pt_sample(w, 5, &k1, NULL, 0, &g, work), 1);
        memcpy(w, u, sizeof u); ck_assert_int_eq(pt_sample(w, 5, &tiny_p, NULL, 0, &g, work), 1);
    }
}
END_TEST

START_TEST(test_top_k_frequencies)
{
    /* top-2 of p = (0.1, 0.4, 0.2, 0.3): draws 1 and 3 in proportion 4 : 3 */
    float u[4] = { logf(0.1f), logf(0.4f), logf(0.2f), logf(0.3f) }, w[4];
    double work[4 * 3];   /* pt_sample_workspace: 20 bytes a token */
    pt_rng g;
    pt_rng_seed(&g, 93);
    const pt_sampler s = { 1, 2, 1, 1 };
    int count[4] = { 0 }, n = 20000;
    for (int i = 0; i < n; i++) {
        memcpy(w, u, sizeof u);
        count[pt_sample(w, 4, &s, NULL, 0, &g, work)]++;
    }
    ck_assert_int_eq(count[0] + count[2], 0);
    /* binomial sd of the share: sqrt(p (1 - p) / n) = 0.0035; allow 4 sd */
    ck_assert_double_eq_tol((double)count[1] / n, 4.0 / 7, 0.014);
}
END_TEST

START_TEST(test_top_p_keeps_the_smallest_nucleus)
{
    /* p = (0.5, 0.25, 0.15, 0.1), cumulative 0.5, 0.75, 0.9, 1: the nucleus of
       0.7 is the first two tokens, that of 0.8 the first three */
    float u[4] = { logf(0.5f), logf(0.25f), logf(0.15f), logf(0.1f) }, w[4];
    double work[4 * 3];   /* pt_sample_workspace: 20 bytes a token */
    pt_rng g;
    pt_rng_seed(&g, 94);
    const double ps[2] = { 0.7, 0.8 };
    const int kept[2] = { 2, 3 };
    for (int c = 0; c < 2; c++) {
        pt_sampler s = { 1, 0, ps[c], 1 };
        int seen[4] = { 0 };
        for (int i = 0; i < 4000; i++) {
            memcpy(w, u, sizeof u);
            seen[pt_sample(w, 4, &s, NULL, 0, &g, work)] = 1;
        }
        ck_assert_int_eq(seen[0] + seen[1] + seen[2] + seen[3], kept[c]);
        ck_assert_int_eq(seen[kept[c] - 1], 1);
    }
}
END_TEST

START_TEST(test_repetition_penalty_by_hand)
{
    /* token 0 (logit 2) and token 2 (logit -1) were seen: 2 / 2 = 1, -1 * 2 = -2;
       token 1 keeps 1.5 and becomes the argmax */
    float u[3] = { 2, 1.5f, -1 };
    double work[3 * 3];   /* pt_sample_workspace: 20 bytes a token */
    int hist[3] = { 0, 2, 0 };
    pt_rng g;
    pt_rng_seed(&g, 95);
    const pt_sampler s = { 0, 0, 1, 2 };
    ck_assert_int_eq(pt_sample(u, 3, &s, hist, 3, &g, work), 1);
    ck_assert_float_eq(u[0], 1);
    ck_assert_float_eq(u[2], -2);
}
END_TEST

START_TEST(test_distinct_n_by_hand)
{
    int a[6] = { 1, 2, 1, 2, 1, 2 }, b[4] = { 7, 8, 9, 10 };
    ck_assert_double_eq_tol(pt_distinct_n(a, 6, 1), 2.0 / 6, 1e-12);
    ck_assert_double_eq_tol(pt_distinct_n(a, 6, 2), 2.0 / 5, 1e-12);   /* (1,2) and (2,1) */
    ck_assert_double_eq_tol(pt_distinct_n(b, 4, 2), 1, 1e-12);
    ck_assert_double_eq(pt_distinct_n(b, 1, 2), 0);
}
END_TEST

START_TEST(test_generation_is_seeded_and_bounded)
{
    pt_gpt_config c = { 13, 12, 8, 2, 1, 1e-5f, 1 };
    pt_gpt m;
    ck_assert_int_eq(pt_gpt_init(&m, &c), 0);
    pt_rng g;
    pt_rng_seed(&g, 96);
    pt_gpt_init_params(&m, &g);
    for (size_t i = 0; i < m.params.size; i++) m.params.data[i] += 0.5f * (float)pt_rng_normal(&g);
    int prompt[2] = { 3, 4 };
    pt_sampler s = { 1.0, 0, 1, 1 };
    pt_ids a = { 0 }, b = { 0 };
    pt_rng r1, r2;
    pt_rng_seed(&r1, 5);
    pt_rng_seed(&r2, 5);
    ck_assert_int_eq(pt_generate(&m, prompt, 2, 10, &s, &r1, &a, NULL), 0);
    ck_assert_int_eq(pt_generate(&m, prompt, 2, 10, &s, &r2, &b, NULL), 0);
    ck_assert_uint_eq(a.n, 10);
    ck_assert_mem_eq(a.v, b.v, sizeof(int) * 10);
    ck_assert_int_eq(pt_generate(&m, prompt, 2, 11, &s, &r1, &a, NULL), -1);   /* 13 > 12 */
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "context"));
    /* greedy generation follows the argmax of the recomputed logits */
    const pt_sampler gr = { 0, 0, 1, 1 };
    a.n = 0;
    ck_assert_int_eq(pt_generate(&m, prompt, 2, 6, &gr, &r1, &a, NULL), 0);
    ck_assert_int_eq(pt_gpt_alloc(&m, 1, 12), 0);
    int seq[8] = { 3, 4 };
    for (int i = 0; i < 6; i++) {
        const float *z = pt_gpt_forward(&m, seq, 1, 2 + i) + (size_t)(1 + i) * 13;
        int best = 0;
        for (int v = 1; v < 13; v++) if (z[v] > z[best]) best = v;
        ck_assert_int_eq(a.v[i], best);
        seq[2 + i] = best;
    }
    pt_ids_free(&a);
    pt_ids_free(&b);
    pt_gpt_free(&m);
}
END_TEST

Suite *generate_suite(void)
{
    Suite *s = suite_create("generate");
    TCase *t = tcase_create("sampling");
    tcase_add_test(t, test_temperature_by_hand);
    tcase_add_test(t, test_entropy_rises_with_temperature);
    tcase_add_test(t, test_greedy_rules);
    tcase_add_test(t, test_top_k_frequencies);
    tcase_add_test(t, test_top_p_keeps_the_smallest_nucleus);
    tcase_add_test(t, test_repetition_penalty_by_hand);
    tcase_add_test(t, test_distinct_n_by_hand);
    tcase_add_test(t, test_generation_is_seeded_and_bounded);
    suite_add_tcase(s, t);
    return s;
}
