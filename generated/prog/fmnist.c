/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* fmnist: load Fashion-MNIST and describe it, chapter 2. */
#include "pt_base.h"
#include "pt_data.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
/* <Describe the fmnist program> */
static const pt_program program = {
    "fmnist", "Load Fashion-MNIST and describe its pixels and classes", NULL, NULL,
    "Reads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] with DIR from --data,\n"
    "else $PRETEXT_FASHION_MNIST, else " PT_FMNIST_DEFAULT_DIR "\n"
    "(Debian package dataset-fashion-mnist). Writes results.tsv, classes.tsv,\n"
    "samples.tsv and pixels.tsv to the output directory.",
    NULL,
};
/* <Keep what a run of fmnist measures> */
typedef struct fmnist_run {
    pt_common   c;                     /* the command line */
    pt_rng      rng;                   /* seeded with --seed */
    pt_results *res;                   /* results.tsv, filled as we go */
    pt_dataset  train, test;
    int         d;                     /* pixels in an image: rows * cols */
    int         train_count[PT_FMNIST_CLASSES], test_count[PT_FMNIST_CLASSES];
    int         pick[PT_FMNIST_CLASSES];   /* the training image shown for each class */
    float      *mu, *sd;               /* mu[d], sd[d] */
    float      *cov, *cov2, *corr;     /* [d][d]: by ssyrk, by sgemm, correlation */
} fmnist_run;
/* <Load both splits of Fashion-MNIST> */
static int load_splits(fmnist_run *r)
{
    const char *dir = pt_fmnist_dir(r->c.data);
    int smoke = r->c.profile == PT_SMOKE;
    double t0 = pt_seconds();
    if (pt_fmnist_load(&r->train, dir, "train", smoke ? 2000 : 0) != 0 ||
        pt_fmnist_load(&r->test, dir, "t10k", smoke ? 1000 : 0) != 0)
        return -1;
    double seconds = pt_seconds() - t0;
    r->d = r->train.rows * r->train.cols;
    printf("read %d training and %d test images of %d x %d pixels from %s in %.2f s\n",
           r->train.n, r->test.n, r->train.rows, r->train.cols, dir, seconds);
    pt_results_int(r->res, "train.n", r->train.n);
    pt_results_int(r->res, "test.n", r->test.n);
    pt_results_int(r->res, "rows", r->train.rows);
    pt_results_int(r->res, "cols", r->train.cols);
    pt_results_real(r->res, "load.seconds", seconds);
    return 0;
}
/* <Count the examples of each class> */
static void count_classes(int count[PT_FMNIST_CLASSES], const pt_dataset *s)
{
    memset(count, 0, PT_FMNIST_CLASSES * sizeof count[0]);
    for (int i = 0; i < s->n; i++)
        count[s->y[i]]++;
}

static int min_count(const int *count)
{
    int m = count[0];
    for (int k = 1; k < PT_FMNIST_CLASSES; k++)
        if (count[k] < m)
            m = count[k];
    return m;
}

static int max_count(const int *count)
{
    int m = count[0];
    for (int k = 1; k < PT_FMNIST_CLASSES; k++)
        if (count[k] > m)
            m = count[k];
    return m;
}
/* <Summarise the pixels and the classes> */
static int summarise_pixels(fmnist_run *r)
{
    const float *x = r->train.x;
    size_t total = (size_t)r->train.n * r->d, zeros = 0;
    double sum = 0, sq = 0;
    for (size_t k = 0; k < total; k++) {
        sum += x[k];
        zeros += x[k] == 0.0f;
    }
    double mean = sum / (double)total;
    for (size_t k = 0; k < total; k++)
        sq += (x[k] - mean) * (x[k] - mean);
    double sd = total > 1 ? sqrt(sq / (double)(total - 1)) : 0.0;
    count_classes(r->train_count, &r->train);
    count_classes(r->test_count, &r->test);
    printf("pixels: mean %.4f, standard deviation %.4f, %.1f%% zero\n",
           mean, sd, 100.0 * zeros / (double)total);
    pt_results_real(r->res, "pixel.mean", mean);
    pt_results_real(r->res, "pixel.std", sd);
    pt_results_real(r->res, "pixel.zero_percent", 100.0 * zeros / (double)total);
    pt_results_int(r->res, "train.class_min", min_count(r->train_count));
    pt_results_int(r->res, "train.class_max", max_count(r->train_count));
    pt_results_int(r->res, "test.class_min", min_count(r->test_count));
    pt_results_int(r->res, "test.class_max", max_count(r->test_count));
    return 0;
}
/* <Pick one training image of each class> */
static int pick_samples(fmnist_run *r)
{
    const pt_dataset *s = &r->train;
    int *order = malloc((size_t)s->n * sizeof *order);
    if (!order)
        return pt_fail("out of memory for %d indices", s->n);
    for (int i = 0; i < s->n; i++)
        order[i] = i;
    pt_rng_shuffle(&r->rng, order, s->n);
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        r->pick[k] = -1;
    for (int i = 0; i < s->n; i++)
        if (r->pick[s->y[order[i]]] < 0)
            r->pick[s->y[order[i]]] = order[i];
    free(order);
    return 0;
}
/* <Write one example of each class> */
static int write_samples(fmnist_run *r)
{
    const pt_dataset *s = &r->train;
    pt_file f;
    if (pick_samples(r) != 0)
        return -1;
    FILE *fp = pt_file_open(&f, r->c.out, "samples.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# class\trow\tcol\tvalue\n");
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        for (int i = 0; i < s->rows * s->cols; i++) {
            float v = r->pick[k] < 0 ? 0.0f : s->x[(size_t)r->pick[k] * s->rows * s->cols + i];
            fprintf(fp, "%d\t%d\t%d\t%.4f\n", k, i / s->cols, i % s->cols, v);
        }
    return pt_file_commit(&f);
}
/* <Compare the two covariances and summarise the correlations> */
static void summarise_correlations(fmnist_run *r)
{
    const float *cov = r->cov, *corr = r->corr, *sd = r->sd;
    int d = r->d, cols = r->train.cols, pairs = 0, constant = 0;
    double maxdiff = 0, trace = 0, neighbour = 0, absall = 0;
    float sdmin = sd[0], sdmax = sd[0];
    for (size_t k = 0; k < (size_t)d * d; k++)
        maxdiff = fmax(maxdiff, fabs((double)cov[k] - r->cov2[k]));
    for (int j = 0; j < d; j++) {
        trace += cov[(size_t)j * d + j];
        constant += sd[j] == 0.0f;
        sdmin = fminf(sdmin, sd[j]);
        sdmax = fmaxf(sdmax, sd[j]);
        if ((j + 1) % cols != 0 && sd[j] > 0 && sd[j + 1] > 0) {   /* j and its right neighbour */
            neighbour += corr[(size_t)j * d + j + 1];
            pairs++;
        }
        for (int k = 0; k < d; k++)
            if (k != j)
                absall += fabs(corr[(size_t)j * d + k]);
    }
    neighbour /= pairs > 0 ? pairs : 1;
    absall /= d > 1 ? (double)d * (d - 1) : 1.0;
    printf("largest difference %.2g; correlation %.3f between horizontal neighbours, "
           "%.3f mean absolute\n", maxdiff, neighbour, absall);
    pt_results_real(r->res, "cov.max_abs_diff", maxdiff);
    pt_results_real(r->res, "cov.total_variance", trace);
    pt_results_real(r->res, "corr.neighbour_mean", neighbour);
    pt_results_real(r->res, "corr.mean_abs", absall);
    pt_results_real(r->res, "pixel.std_min", sdmin);
    pt_results_real(r->res, "pixel.std_max", sdmax);
    pt_results_int(r->res, "pixel.constant", constant);
}
/* <Compute the pixel covariance two ways> */
static int covariances(fmnist_run *r)
{
    int n = r->train.n, d = r->d;
    r->mu = malloc((size_t)d * sizeof *r->mu);
    r->sd = malloc((size_t)d * sizeof *r->sd);
    r->cov = malloc((size_t)d * d * sizeof *r->cov);
    r->cov2 = malloc((size_t)d * d * sizeof *r->cov2);
    r->corr = malloc((size_t)d * d * sizeof *r->corr);
    if (!r->mu || !r->sd || !r->cov || !r->cov2 || !r->corr)
        return pt_fail("out of memory for %d x %d covariance matrices", d, d);
    pt_col_mean(r->mu, r->train.x, n, d);
    pt_col_std(r->sd, r->train.x, r->mu, n, d);
    pt_center(r->train.x, r->mu, n, d);
    double syrk = HUGE_VAL, gemm = HUGE_VAL;
    for (int rep = 0; rep < 3; rep++) {       /* best of three: the first call starts threads */
        double t1 = pt_seconds();
        pt_covariance(r->cov, r->train.x, n, d);
        double t2 = pt_seconds();
        pt_covariance_gemm(r->cov2, r->train.x, n, d);
        double t3 = pt_seconds();
        syrk = fmin(syrk, t2 - t1);
        gemm = fmin(gemm, t3 - t2);
    }
    pt_correlation(r->corr, r->cov, d);
    printf("covariance: ssyrk %.3f s, sgemm %.3f s (best of 3)\n", syrk, gemm);
    pt_results_real(r->res, "cov.ssyrk_seconds", syrk);
    pt_results_real(r->res, "cov.sgemm_seconds", gemm);
    summarise_correlations(r);
    return 0;
}
/* <Draw from the seeded generator> */
static int check_generator(fmnist_run *r)
{
    const int draws = 1000000;
    double mean = 0, m2 = 0, usum = 0;
    for (int i = 0; i < draws; i++) {
        double z = pt_rng_normal(&r->rng), delta = z - mean;
        mean += delta / (i + 1);
        m2 += delta * (z - mean);
        usum += pt_rng_uniform(&r->rng);
    }
    printf("generator: %d normals with mean %.4f and variance %.4f\n",
           draws, mean, m2 / (draws - 1));
    pt_results_real(r->res, "rng.normal_mean", mean);
    pt_results_real(r->res, "rng.normal_var", m2 / (draws - 1));
    pt_results_real(r->res, "rng.uniform_mean", usum / draws);
    return 0;
}
/* <Write the table of classes> */
static int write_classes(const fmnist_run *r)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "classes.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# class\tname\ttrain\ttest\texample\n");
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        fprintf(fp, "%d\t%s\t%d\t%d\t%d\n", k, pt_fmnist_class_names[k],
                r->train_count[k], r->test_count[k], r->pick[k]);
    return pt_file_commit(&f);
}
/* <Write the pixel statistics> */
static int write_pixels(const fmnist_run *r)
{
    int rows = r->train.rows, cols = r->train.cols, d = r->d;
    int centre = (rows / 2) * cols + cols / 2;
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "pixels.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# row\tcol\tmean\tstd\tcorr_centre\n");
    for (int j = 0; j < d; j++)
        fprintf(fp, "%d\t%d\t%.5f\t%.5f\t%.5f\n", j / cols, j % cols,
                r->mu[j], r->sd[j], r->corr[(size_t)centre * d + j]);
    return pt_file_commit(&f);
}
int main(int argc, char **argv)
{
    fmnist_run run = {0};
    /* <Parse the command line of fmnist> */
    if (pt_parse(argc, argv, &program, &run.c) != argc)
        pt_usage_error(&program, "unexpected argument '%s'", argv[argc - 1]);
    pt_announce(&program, &run.c);
    run.res = pt_results_new();
    pt_rng_seed(&run.rng, run.c.seed);
    pt_results_text(run.res, "profile", pt_profile_name(run.c.profile));
    pt_results_int(run.res, "seed", (long long)run.c.seed);
    pt_results_int(run.res, "threads", pt_set_threads(run.c.threads));
    if (load_splits(&run) != 0 || summarise_pixels(&run) != 0 ||
        write_samples(&run) != 0 || covariances(&run) != 0 ||
        check_generator(&run) != 0 || write_classes(&run) != 0 ||
        write_pixels(&run) != 0)
        pt_die(&program);
    /* <Write the results of fmnist> */
    if (pt_results_write(run.res, run.c.out) != 0)
        pt_die(&program);
    pt_results_free(run.res);
    free(run.mu);
    free(run.sd);
    free(run.cov);
    free(run.cov2);
    free(run.corr);
    pt_dataset_free(&run.train);
    pt_dataset_free(&run.test);
    return 0;
}
