/* Tangled from chapters/08-transformer.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* bench_gpt: speed of transformer training and generation (Chapter 8). */
#include <stdio.h>
#include <stdlib.h>
#include "pt_base.h"
#include "pt_nn.h"
#include "pt_pca.h"
#include "pt_gpt.h"

static const pt_option bench_options[] = { { 0 } };
static const pt_program bench_prog = {
    "bench_gpt", "benchmark transformer training and generation (Chapter 8)",
    "", bench_options, "Writes results.tsv to --out.", "out/bench/gpt"
};

int main(int argc, char **argv)
{
    pt_common c;
    int first = pt_parse(argc, argv, &bench_prog, &c);
    if (first < argc) pt_usage_error(&bench_prog, "unexpected argument '%s'", argv[first]);
    pt_announce(&bench_prog, &c);
    pt_set_threads(c.threads);
    int smoke = c.profile == PT_SMOKE, V = 4096, steps = smoke ? 3 : 30;
    pt_gpt_config cfg = { V, 256, smoke ? 64 : 128, 4, smoke ? 2 : 4, 1e-5f, 1 };
    /* the book's model (32 windows of 64 tokens), with 256 positions for generation */
    pt_lm_config lc = { .batch = 32, .seq = 64, .steps = steps, .warmup = 1, .lr = 1e-3,
                        .final_lr_frac = 0.1, .clip = 1.0, .seed = c.seed,
                        .mask_id = -1, .quiet = 1 };
    size_t n = 200000;
    int *ids = malloc(sizeof(int) * n);
    pt_gpt m;
    pt_optim o;
    pt_train_run r;
    pt_rng rng;
    pt_rng_seed(&rng, c.seed);
    if (!ids || pt_gpt_init(&m, &cfg)) pt_die(&bench_prog);
    for (size_t i = 0; i < n; i++) ids[i] = (int)pt_rng_below(&rng, (uint32_t)V);
    pt_gpt_init_params(&m, &rng);
    pt_train_run_init(&r, c.seed);
    if (pt_gpt_alloc(&m, lc.batch, lc.seq) || pt_optim_init(&o, PT_ADAMW, &m.params) ||
        pt_lm_train(&m, &o, ids, n, NULL, 0, &lc, &r))
        pt_die(&bench_prog);
    double tps = r.examples / r.seconds, gf = pt_gpt_train_flops(&cfg, lc.seq) * tps / 1e9;
    double peak = pt_sgemm_gflops(1024, 1024, 1024, 4);
    double shaped = pt_sgemm_gflops(lc.batch * lc.seq, 4 * cfg.dim, cfg.dim, 10);
    pt_cache_timing kv;
    if (pt_gpt_time_cache(&m, ids[0], 256, &kv)) pt_die(&bench_prog);
    pt_results *res = pt_results_new();
    pt_results_real(res, "train.tokens_per_second", tps);
    pt_results_real(res, "train.gflops", gf);
    pt_results_real(res, "sgemm.gflops", peak);
    pt_results_real(res, "sgemm_model_shape.gflops", shaped);
    pt_results_real(res, "train.fraction_of_sgemm", gf / peak);
    pt_results_real(res, "generate.cached_tokens_per_second", 256 / kv.cached_s);
    pt_results_real(res, "generate.recompute_tokens_per_second", 256 / kv.recompute_s);
    pt_results_real(res, "generate.speedup", kv.recompute_s / kv.cached_s);
    printf("%-48s %10.0f\n", "training tokens/s", tps);
    printf("%-48s %10.1f\n", "training GFLOP/s", gf);
    printf("%-48s %10.1f\n", "cblas_sgemm 1024^3 GFLOP/s", peak);
    printf("%-48s %10.1f\n", "cblas_sgemm at the MLP's shape GFLOP/s", shaped);
    printf("%-48s %10.2f\n", "training / sgemm 1024^3", gf / peak);
    printf("%-48s %10.0f\n", "generation tokens/s, key-value cache", 256 / kv.cached_s);
    printf("%-48s %10.0f\n", "generation tokens/s, recomputing", 256 / kv.recompute_s);
    printf("%-48s %10.1f\n", "speed-up of the cache at 256 tokens", kv.recompute_s / kv.cached_s);
    if (pt_results_write(res, c.out)) pt_die(&bench_prog);
    pt_results_free(res);
    pt_optim_free(&o);
    pt_train_run_free(&r);
    pt_gpt_free(&m);
    free(ids);
    return 0;
}
