/* Tangled from chapters/03-pca.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pca: principal component analysis of Fashion-MNIST (Chapter 3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_pca.h"

/* <Define the options of pca> */
static const char *solver = "both";
static double tol = 1e-10;
static const pt_option options[] = {
    { "solver", PT_TEXT, &solver, "NAME",
      "eigensolver: lapack, jacobi or both (both cross-checks them)" },
    { "tol", PT_REAL, &tol, "X",
      "Jacobi stops when off(A) <= X ||A||_F" },
    { 0 }
};
static const pt_program prog = {
    "pca", "principal component analysis of Fashion-MNIST", "", options,
    "Writes results.tsv, explained_variance.tsv, projection.tsv,\n"
    "components.tsv and reconstructions.tsv to --out (out/data/pca).",
    NULL,
};
/* <Define the output writers of pca> */
/* <Write the explained variance table> */
static int write_explained(const char *dir, const float *w, const double *ratio,
                           const double *cum, int d)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "explained_variance.tsv");
    if (!fp) return -1;
    fprintf(fp, "k\teigenvalue\tratio\tcumulative\n");
    for (int i = 0; i < d; i++)
        fprintf(fp, "%d\t%.9g\t%.9g\t%.9g\n", i + 1, w[i], ratio[i], cum[i]);
    return pt_file_commit(&f);
}
/* <Write the 2-D projection of the test set> */
static int write_projection(const char *dir, const float *z2,
                            const unsigned char *y, int n)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "projection.tsv");
    if (!fp) return -1;
    fprintf(fp, "pc1\tpc2\tlabel\n");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%.5g\t%.5g\t%d\n", z2[2 * i], z2[2 * i + 1], y[i]);
    return pt_file_commit(&f);
}
/* <Write the leading components as images> */
static int write_components(const char *dir, const float *v, int count,
                            int rows, int cols)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "components.tsv");
    if (!fp) return -1;
    fprintf(fp, "# x\ty\tvalue; one block per component\n");
    for (int k = 0; k < count; k++) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++)
                fprintf(fp, "%d\t%d\t%.6g\n", c, r, v[(size_t)k * rows * cols + r * cols + c]);
            fprintf(fp, "\n");
        }
        fprintf(fp, "\n");
    }
    return pt_file_commit(&f);
}
/* <Write the gallery of reconstructions> */
static int write_gallery(const char *dir, const float *g, int rows, int cols)
{
    enum { R = 4, C = 10, GAP = 2 };
    int h = R * rows + (R - 1) * GAP, wd = C * cols + (C - 1) * GAP;
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "reconstructions.tsv");
    if (!fp) return -1;
    fprintf(fp, "# x\ty\tvalue; rows: original, k = 10, 50, 200\n");
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < wd; x++) {
            int cr = y / (rows + GAP), pr = y % (rows + GAP);
            int cc = x / (cols + GAP), pc = x % (cols + GAP);
            if (pr >= rows || pc >= cols) fprintf(fp, "%d\t%d\tNaN\n", x, y);
            else fprintf(fp, "%d\t%d\t%.4g\n", x, y,
                         g[((size_t)cr * C + cc) * rows * cols + pr * cols + pc]);
        }
        fprintf(fp, "\n");
    }
    return pt_file_commit(&f);
}

int main(int argc, char **argv)
{
    pt_common c;
    /* <Parse the command line of pca> */
    int first = pt_parse(argc, argv, &prog, &c);
    if (first < argc) pt_usage_error(&prog, "unexpected argument '%s'", argv[first]);
    int use_lapack = !strcmp(solver, "lapack") || !strcmp(solver, "both");
    int use_jacobi = !strcmp(solver, "jacobi") || !strcmp(solver, "both");
    if (!use_lapack && !use_jacobi)
        pt_usage_error(&prog, "--solver must be lapack, jacobi or both, not '%s'", solver);
    if (!(tol > 0 && tol < 1)) pt_usage_error(&prog, "--tol must lie in (0, 1)");
    const char *out = c.out && *c.out ? c.out : "out/data/pca";
    pt_announce(&prog, &c);
    double t_start = pt_seconds();
    pt_results *res = pt_results_new();
    /* <Load the training and test images> */
    pt_dataset train, test;
    const char *dir = pt_fmnist_dir(c.data);
    int smoke = c.profile == PT_SMOKE;
    if (pt_fmnist_load(&train, dir, "train", smoke ? 5000 : 0) ||
        pt_fmnist_load(&test, dir, "t10k", smoke ? 1000 : 0))
        pt_die(&prog);
    int n = train.n, nt = test.n, d = train.rows * train.cols;
    pt_results_int(res, "train.n", n);
    pt_results_int(res, "test.n", nt);
    pt_results_int(res, "dim", d);
    /* <Centre the training images and form their covariance> */
    float *mu = malloc(sizeof(float) * d);
    float *cov = malloc(sizeof(float) * (size_t)d * d);
    if (!mu || !cov) { pt_fail("out of memory"); pt_die(&prog); }
    pt_col_mean(mu, train.x, n, d);
    pt_center(train.x, mu, n, d);
    double t0 = pt_seconds();
    pt_covariance(cov, train.x, n, d);
    pt_results_real(res, "cov.seconds", pt_seconds() - t0);
    /* <Decompose the covariance with the chosen solvers> */
    float *wl = malloc(sizeof(float) * d), *wj = malloc(sizeof(float) * d);
    float *vl = malloc(sizeof(float) * (size_t)d * d);
    float *vj = malloc(sizeof(float) * (size_t)d * d);
    if (!wl || !wj || !vl || !vj) { pt_fail("out of memory"); pt_die(&prog); }
    if (use_lapack) {
        t0 = pt_seconds();
        if (pt_eig_lapack(wl, vl, cov, d)) pt_die(&prog);
        pt_results_real(res, "lapack.seconds", pt_seconds() - t0);
    }
    if (use_jacobi) {
        /* <Run our Jacobi solver on the covariance> */
        pt_progress pg;
        pt_jacobi_stats st;
        t0 = pt_seconds();
        if (pt_eig_jacobi(wj, vj, cov, d, tol, &pg, &st)) pt_die(&prog);
        pt_results_real(res, "jacobi.seconds", pt_seconds() - t0);
        pt_results_int(res, "jacobi.sweeps", st.sweeps);
        pt_results_int(res, "jacobi.rotations", st.rotations);
        pt_results_real(res, "jacobi.off", st.off);
    }
    const float *w = use_jacobi ? wj : wl, *v = use_jacobi ? vj : vl;
    pt_results_text(res, "solution", use_jacobi ? "jacobi" : "lapack");
    /* <Check the eigenpairs and compare the solvers> */
    if (use_lapack) {
        pt_results_real(res, "eig_residual_max", pt_eig_residual(cov, wl, vl, d, d));
        pt_results_real(res, "lapack.orth_error", pt_eig_orth_error(vl, d, d));
    }
    if (use_jacobi) {
        pt_results_real(res, "jacobi.eig_residual_max", pt_eig_residual(cov, wj, vj, d, d));
        pt_results_real(res, "jacobi.orth_error", pt_eig_orth_error(vj, d, d));
    }
    if (use_lapack && use_jacobi) {
        double dl = 0, cmin = 1;
        for (int i = 0; i < d; i++) dl = fmax(dl, fabs((double)wl[i] - wj[i]));
        for (int i = 0; i < 10 && i < d; i++) {
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double)vl[(size_t)i * d + j] * vj[(size_t)i * d + j];
            cmin = fmin(cmin, fabs(dot));
        }
        pt_results_real(res, "agree.eig_max_rel", dl / wl[0]);
        pt_results_real(res, "agree.cos_min_k10", cmin);
    }
    /* <Measure the reconstruction error on the test set> */
    static const int ks[3] = { 10, 50, 200 };
    int shown[10];
    /* <Pick the first test image of each class> */
    for (int k = 0; k < 10; k++) shown[k] = 0;
    for (int k = 0; k < 10; k++)
        for (int i = 0; i < nt; i++)
            if (test.y[i] == k) { shown[k] = i; break; }
    float *z = malloc(sizeof(float) * (size_t)nt * 200);
    float *xr = malloc(sizeof(float) * (size_t)nt * d);
    float *gallery = malloc(sizeof(float) * 4 * 10 * (size_t)d);
    if (!z || !xr || !gallery) { pt_fail("out of memory"); pt_die(&prog); }
    pt_pca_reconstruct(xr, z, mu, v, nt, d, 0);           /* k = 0: the mean */
    pt_results_real(res, "recon_mse_k0", pt_pca_mse(test.x, xr, nt, d));
    for (int c10 = 0; c10 < 10; c10++)
        memcpy(gallery + (size_t)c10 * d, test.x + (size_t)shown[c10] * d, sizeof(float) * d);
    for (int r = 0; r < 3; r++) {
        char key[32];
        pt_pca_project(z, test.x, mu, v, nt, d, ks[r]);
        pt_pca_reconstruct(xr, z, mu, v, nt, d, ks[r]);
        snprintf(key, sizeof key, "recon_mse_k%d", ks[r]);
        pt_results_real(res, key, pt_pca_mse(test.x, xr, nt, d));
        for (int c10 = 0; c10 < 10; c10++)
            memcpy(gallery + ((size_t)(r + 1) * 10 + c10) * d,
                   xr + (size_t)shown[c10] * d, sizeof(float) * d);
    }
    /* <Write the data for the figures> */
    double *ratio = malloc(sizeof(double) * d), *cum = malloc(sizeof(double) * d);
    if (!ratio || !cum) { pt_fail("out of memory"); pt_die(&prog); }
    pt_pca_explained(ratio, cum, w, d);
    pt_results_int(res, "components_90", pt_pca_components(cum, d, 0.90));
    pt_results_int(res, "components_95", pt_pca_components(cum, d, 0.95));
    pt_results_int(res, "components_99", pt_pca_components(cum, d, 0.99));
    pt_results_real(res, "eig_1", w[0]);
    pt_results_real(res, "ratio_1", ratio[0]);
    pt_results_real(res, "ratio_2", ratio[1]);
    pt_results_real(res, "cum_10", cum[9]);
    pt_pca_project(z, test.x, mu, v, nt, d, 2);
    if (write_explained(out, w, ratio, cum, d) ||
        write_projection(out, z, test.y, nt) ||
        write_components(out, v, 16, train.rows, train.cols) ||
        write_gallery(out, gallery, train.rows, train.cols))
        pt_die(&prog);
    /* <Write the results of pca and finish> */
    pt_results_real(res, "total.seconds", pt_seconds() - t_start);
    if (pt_results_write(res, out)) pt_die(&prog);
    printf("pca: %d train, %d test images; 90%% of the variance in %d components\n",
           n, nt, pt_pca_components(cum, d, 0.90));
    printf("pca: test MSE per pixel with 0/10/50/200 components written to %s/results.tsv\n", out);
    pt_results_free(res);
    free(ratio); free(cum); free(z); free(xr); free(gallery);
    free(wl); free(wj); free(vl); free(vj); free(mu); free(cov);
    pt_dataset_free(&train);
    pt_dataset_free(&test);
    return 0;
}
