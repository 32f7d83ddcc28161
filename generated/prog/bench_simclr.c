/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* bench_simclr: speed of the views and of SimCLR training (Chapter 6). */
#include <stdio.h>
#include <stdlib.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"
#include "pt_simclr.h"

static const pt_option bench_options[] = { { 0 } };
static const pt_program bench_prog = {
    "bench_simclr", "benchmark the augmentations and the SimCLR step of Chapter 6",
    "", bench_options, "Writes results.tsv to --out.", "out/bench/simclr"
};

int main(int argc, char **argv)
{
    pt_common c;
    int first = pt_parse(argc, argv, &bench_prog, &c);
    if (first < argc) pt_usage_error(&bench_prog, "unexpected argument '%s'", argv[first]);
    pt_announce(&bench_prog, &c);
    int smoke = c.profile == PT_SMOKE, B = smoke ? 32 : 256, n = smoke ? 128 : 2048;
    pt_dataset d = { n, 28, 28, malloc(sizeof(float) * 784 * (size_t)n), malloc((size_t)n) };
    float *views = malloc(sizeof(float) * 784 * 2 * (size_t)B);
    if (!d.x || !d.y || !views) pt_die(&bench_prog);
    pt_rng rng;
    pt_rng_seed(&rng, c.seed);
    for (size_t i = 0; i < (size_t)n * 784; i++) d.x[i] = pt_rng_uniform(&rng);
    for (int i = 0; i < n; i++) d.y[i] = (unsigned char)(i % 10);
    /* <Time the views> */
    pt_augment aug = pt_augment_all();
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t = pt_seconds();
        for (int k = 0; k < n / B; k++)
            pt_augment_pairs(views, d.x + (size_t)k * B * 784, NULL, B, 28, 28, &aug, (uint64_t)k);
        t = pt_seconds() - t;
        if (t < best) best = t;
    }
    double pairs_s = (double)(n / B) * B / best;
    /* <Time SimCLR training against supervised training> */
    double simclr_s = 0, sup_s = 0;
    for (int rep = 0; rep < 2; rep++) {
        pt_model m;
        pt_optim o;
        pt_train_run run;
        pt_simclr_config sc = { .epochs = 1, .batch = B, .lr = 1e-3, .final_lr_frac = 0.1,
                                .warmup = 1, .clip = 5, .tau = 0.5, .seed = 1, .quiet = 1,
                                .aug = aug };
        if (pt_simclr_network(&m, 16, 256, 64, 2 * B, 1) || pt_optim_init(&o, PT_ADAMW, &m.params))
            pt_die(&bench_prog);
        pt_train_run_init(&run, 1);
        if (pt_simclr_train(&m, &o, &d, &sc, &run)) pt_die(&bench_prog);
        if (run.examples / run.seconds > simclr_s) simclr_s = run.examples / run.seconds;
        pt_train_run_free(&run); pt_optim_free(&o); pt_model_free(&m);
        pt_train_config tc = { .epochs = 1, .batch = 2 * B, .lr = 1e-3, .final_lr_frac = 0.1,
                               .warmup = 1, .clip = 5, .quiet = 1 };
        if (pt_simclr_network(&m, 16, 256, 10, 2 * B, 1) || pt_optim_init(&o, PT_ADAMW, &m.params))
            pt_die(&bench_prog);
        pt_train_run_init(&run, 1);
        if (pt_train(&m, &o, &d, NULL, &tc, &run)) pt_die(&bench_prog);
        if (run.examples / run.seconds > sup_s) sup_s = run.examples / run.seconds;
        pt_train_run_free(&run); pt_optim_free(&o); pt_model_free(&m);
    }
    pt_results *res = pt_results_new();
    pt_results_real(res, "views.pairs_per_second", pairs_s);
    pt_results_real(res, "simclr.images_per_second", simclr_s);
    pt_results_real(res, "simclr.views_per_second", 2 * simclr_s);
    pt_results_real(res, "supervised.examples_per_second", sup_s);
    pt_results_real(res, "simclr.views_ratio_to_supervised", 2 * simclr_s / sup_s);
    printf("%-44s %10.0f\n", "augmented pairs/s", pairs_s);
    printf("%-44s %10.0f\n", "SimCLR training images/s (2 views each)", simclr_s);
    printf("%-44s %10.0f\n", "supervised training examples/s", sup_s);
    printf("%-44s %10.2f\n", "SimCLR views/s over supervised examples/s", 2 * simclr_s / sup_s);
    if (pt_results_write(res, c.out)) pt_die(&bench_prog);
    pt_results_free(res);
    free(views); pt_dataset_free(&d);
    return 0;
}
