/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* bench_nn: convolution and training speed (Chapter 4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
#include "pt_pca.h"

static const pt_option bench_options[] = { { 0 } };
static const pt_program bench_prog = {
    "bench_nn", "benchmark the convolution and the training step of Chapter 4",
    "", bench_options, "Writes results.tsv to --out.", "out/bench/nn"
};
/* <Time the best of three runs of a call> */
#define BEST_OF_3(seconds, call) do {                        \
        seconds = 1e30;                                      \
        for (int rep_ = 0; rep_ < 3; rep_++) {               \
            double t_ = pt_seconds();                        \
            call;                                            \
            t_ = pt_seconds() - t_;                          \
            if (t_ < seconds) seconds = t_;                  \
        }                                                    \
    } while (0)
static float *random_array(pt_rng *rng, size_t n)
{
    float *a = malloc(sizeof(float) * n);
    if (!a) { fprintf(stderr, "bench_nn: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) a[i] = pt_rng_uniform(rng) - 0.5f;
    return a;
}

int main(int argc, char **argv)
{
    pt_common c;
    int first = pt_parse(argc, argv, &bench_prog, &c);
    if (first < argc) pt_usage_error(&bench_prog, "unexpected argument '%s'", argv[first]);
    pt_announce(&bench_prog, &c);
    pt_results *res = pt_results_new();
    pt_rng rng;
    pt_rng_seed(&rng, c.seed);
    /* <Time a large matrix product> */
    double gemm_gflops = pt_sgemm_gflops(1024, 1024, 1024, 4);     /* Chapter 3 */
    /* <Time the convolution both ways> */
    int nb = 64;
    pt_conv_shape s = pt_conv_shape_make(32, 14, 14, 64, 3, 1, 1);
    float *x = random_array(&rng, (size_t)nb * 32 * 14 * 14), *w = random_array(&rng, 64 * 32 * 9);
    float *b = random_array(&rng, 64), *y = random_array(&rng, (size_t)nb * 64 * 14 * 14);
    float *work = random_array(&rng, pt_conv_workspace(&s, nb));
    float *dw = calloc(64 * 32 * 9, sizeof(float)), *db = calloc(64, sizeof(float));
    float *dx = random_array(&rng, (size_t)nb * 32 * 14 * 14);
    double t_conv, t_direct, t_back;
    BEST_OF_3(t_conv, pt_conv2d_forward(y, x, w, b, work, &s, nb));
    BEST_OF_3(t_direct, pt_conv2d_forward_direct(y, x, w, b, &s, nb));
    BEST_OF_3(t_back, pt_conv2d_backward(dx, dw, db, y, x, w, work, &s, nb));
    double flops = 2.0 * s.f * s.c * s.k * s.k * (double)nb * s.oh * s.ow;
    free(x); free(w); free(b); free(y); free(work); free(dw); free(db); free(dx);
    /* <Time training steps of the network> */
    pt_model m;
    pt_optim o;
    int B = 64, steps = c.profile == PT_SMOKE ? 3 : 20;
    if (pt_model_init(&m, 1, 28, 28) || pt_model_conv(&m, 32, 3, 1, 1) || pt_model_relu(&m) ||
        pt_model_maxpool(&m) || pt_model_conv(&m, 64, 3, 1, 1) || pt_model_relu(&m) ||
        pt_model_maxpool(&m) || pt_model_flatten(&m) || pt_model_linear(&m, 128) ||
        pt_model_relu(&m) || pt_model_linear(&m, 10) || pt_model_alloc(&m, B) ||
        pt_optim_init(&o, PT_ADAMW, &m.params))
        pt_die(&bench_prog);
    pt_model_init_params(&m, &rng);
    float *xb = random_array(&rng, (size_t)B * 784), *dz = malloc(sizeof(float) * B * 10);
    int *yb = malloc(sizeof(int) * B);
    for (int i = 0; i < B; i++) yb[i] = i % 10;
    double t_train = pt_seconds();
    for (int st = 0; st < steps; st++) {
        pt_params_zero_grad(&m.params);
        pt_softmax_xent(dz, pt_model_forward(&m, xb, B, m.n), yb, B, 10);
        pt_model_backward(&m, dz, B, m.n);
        pt_optim_step(&o, &m.params, 1e-3);
    }
    t_train = pt_seconds() - t_train;
    /* <Time the exponentials both ways> */
    int ne = 4096, reps = c.profile == PT_SMOKE ? 10 : 2000;
    float *ex = random_array(&rng, (size_t)ne), *ey = malloc(sizeof(float) * ne);
    if (!ey) pt_die(&bench_prog);
    for (int i = 0; i < ne; i++) ex[i] *= 40;                 /* -20 .. 20 */
    double t_libm, sum_libm = 0, ns_vec[3] = { 0 };           /* at 4, 8, 16 lanes */
    BEST_OF_3(t_libm, for (int r = 0; r < reps; r++) {
        double s_ = 0;
        for (int i = 0; i < ne; i++) { ey[i] = expf(ex[i] - 1); s_ += ey[i]; }
        sum_libm += s_;
    });
    int widest = pt_vector_lanes_set(0), nw = 0;
    for (int L = 4; L <= widest; L *= 2, nw++) {
        double t_vec, sum_vec = 0;
        pt_vector_lanes_set(L);
        BEST_OF_3(t_vec, for (int r = 0; r < reps; r++) sum_vec += pt_exp_sum(ey, ex, 1, (size_t)ne));
        ns_vec[nw] = t_vec / reps / ne * 1e9;
        if (fabs(sum_vec / sum_libm - 1) > 1e-5) {
            fprintf(stderr, "bench_nn: pt_exp_sum at %d lanes and expf disagree: %.9g and %.9g\n",
                    L, sum_vec, sum_libm);
            exit(1);
        }
    }
    pt_vector_lanes_set(0);
    double ns_libm = t_libm / reps / ne * 1e9;
    free(ex); free(ey);
    /* <Print and write the benchmark of nn> */
    double conv_gflops = flops / t_conv * 1e-9, direct_gflops = flops / t_direct * 1e-9;
    printf("%-40s %12.1f\n", "sgemm GFLOP/s (1024^3)", gemm_gflops);
    printf("%-40s %12.1f\n", "conv forward, im2col GFLOP/s", conv_gflops);
    printf("%-40s %12.3f\n", "  as a fraction of sgemm", conv_gflops / gemm_gflops);
    printf("%-40s %12.1f\n", "conv forward, direct loop GFLOP/s", direct_gflops);
    printf("%-40s %12.1f\n", "im2col speed-up over the direct loop", t_direct / t_conv);
    printf("%-40s %12.2f\n", "conv backward / forward time", t_back / t_conv);
    printf("%-40s %12.0f\n", "training examples/s", steps * B / t_train);
    printf("%-40s %12.2f\n", "expf loop, ns a number", ns_libm);
    for (int w = 0; w < nw; w++) {
        char label[64];
        snprintf(label, sizeof label, "pt_exp_sum at %d lanes, ns a number", 4 << w);
        printf("%-40s %12.2f\n", label, ns_vec[w]);
        printf("%-40s %12.2f\n", "  speed-up over expf", ns_libm / ns_vec[w]);
    }
    pt_results_real(res, "sgemm.gflops", gemm_gflops);
    pt_results_real(res, "conv.gflops", conv_gflops);
    pt_results_real(res, "conv.fraction_of_sgemm", conv_gflops / gemm_gflops);
    pt_results_real(res, "conv_direct.gflops", direct_gflops);
    pt_results_real(res, "im2col.speedup", t_direct / t_conv);
    pt_results_real(res, "conv.backward_ratio_to_forward", t_back / t_conv);
    pt_results_real(res, "train.examples_per_second", steps * B / t_train);
    pt_results_real(res, "expf.ns", ns_libm);
    pt_results_int(res, "exp_sum.lanes", widest);
    pt_results_real(res, "exp_sum.ns", ns_vec[nw - 1]);
    pt_results_real(res, "exp_sum.speedup", ns_libm / ns_vec[nw - 1]);
    for (int w = 0; w < nw; w++) {
        char key[32];
        snprintf(key, sizeof key, "exp_sum.lanes_%d.ns", 4 << w);
        pt_results_real(res, key, ns_vec[w]);
    }
    if (pt_results_write(res, c.out)) pt_die(&bench_prog);
    pt_results_free(res);
    free(xb); free(dz); free(yb);
    pt_optim_free(&o);
    pt_model_free(&m);
    return 0;
}
