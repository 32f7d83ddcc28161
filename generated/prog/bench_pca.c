/* Tangled from chapters/03-pca.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* bench_pca: covariance and eigensolver speed (Chapter 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_pca.h"

static const pt_option bench_options[] = { { 0 } };
static const pt_program bench_prog = {
    "bench_pca", "benchmark the covariance and the eigensolvers of Chapter 3",
    "", bench_options, "Writes results.tsv to --out.", "out/bench/pca"
};

int main(int argc, char **argv)
{
    pt_common c;
    int first = pt_parse(argc, argv, &bench_prog, &c);
    if (first < argc) pt_usage_error(&bench_prog, "unexpected argument '%s'", argv[first]);
    int smoke = c.profile == PT_SMOKE, g = smoke ? 1024 : 2048;
    pt_announce(&bench_prog, &c);
    pt_results *res = pt_results_new();
    pt_dataset train;
    if (pt_fmnist_load(&train, pt_fmnist_dir(c.data), "train", smoke ? 10000 : 0))
        pt_die(&bench_prog);
    int n = train.n, d = train.rows * train.cols;
    /* <Time the covariance and a whole PCA> */
    float *xc = malloc(sizeof(float) * (size_t)n * d), *mu = malloc(sizeof(float) * d);
    float *cov = malloc(sizeof(float) * (size_t)d * d), *w = malloc(sizeof(float) * d);
    float *v = malloc(sizeof(float) * (size_t)d * d);
    if (!xc || !mu || !cov || !w || !v) { pt_fail("out of memory"); pt_die(&bench_prog); }
    double gemm = pt_sgemm_gflops(g, g, g, 1), t_cov = 1e30, t_pca = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        memcpy(xc, train.x, sizeof(float) * (size_t)n * d);
        double t = pt_seconds();
        pt_col_mean(mu, xc, n, d);
        pt_center(xc, mu, n, d);
        double t1 = pt_seconds();
        pt_covariance(cov, xc, n, d);
        double t2 = pt_seconds();
        if (pt_eig_lapack(w, v, cov, d)) pt_die(&bench_prog);
        double t3 = pt_seconds();
        if (t2 - t1 < t_cov) t_cov = t2 - t1;
        if (t3 - t < t_pca) t_pca = t3 - t;
    }
    double cov_gflops = (double)n * d * (d + 1) / t_cov * 1e-9;
    /* <Time Jacobi against LAPACK> */
    double t_lapack = 1e30, t_jacobi;
    for (int rep = 0; rep < 3; rep++) {
        double t = pt_seconds();
        if (pt_eig_lapack(w, v, cov, d)) pt_die(&bench_prog);
        t = pt_seconds() - t;
        if (t < t_lapack) t_lapack = t;
    }
    t_jacobi = pt_seconds();                       /* once: it is the slow one */
    if (pt_eig_jacobi(w, v, cov, d, 1e-10, NULL, NULL)) pt_die(&bench_prog);
    t_jacobi = pt_seconds() - t_jacobi;
    /* <Print the benchmark table and write its results> */
    printf("%-34s %12s\n", "measurement", "value");
    printf("sgemm GFLOP/s (g = %-4d)%11s %12.1f\n", g, "", gemm);
    printf("%-34s %12.1f\n", "covariance GFLOP/s (n d(d+1))", cov_gflops);
    printf("%-34s %12.3f\n", "covariance / sgemm", cov_gflops / gemm);
    printf("%-34s %12.3f\n", "PCA wall time, s", t_pca);
    printf("%-34s %12.3f\n", "LAPACK ssyevd, s", t_lapack);
    printf("%-34s %12.3f\n", "Jacobi, s", t_jacobi);
    printf("%-34s %12.1f\n", "Jacobi / LAPACK", t_jacobi / t_lapack);
    pt_results_int(res, "train.n", n);
    pt_results_int(res, "sgemm.size", g);
    pt_results_real(res, "sgemm.gflops", gemm);
    pt_results_real(res, "cov.gflops", cov_gflops);
    pt_results_real(res, "cov.fraction_of_sgemm", cov_gflops / gemm);
    pt_results_real(res, "pca.seconds", t_pca);
    pt_results_real(res, "lapack.seconds", t_lapack);
    pt_results_real(res, "jacobi.seconds", t_jacobi);
    pt_results_real(res, "jacobi.over_lapack", t_jacobi / t_lapack);
    if (pt_results_write(res, c.out)) pt_die(&bench_prog);
    free(xc); free(mu); free(cov); free(w); free(v);
    pt_results_free(res);
    pt_dataset_free(&train);
    return 0;
}
