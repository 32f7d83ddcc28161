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
};
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
/* <Write one example of each class> */
static int write_samples(const char *out, const pt_dataset *s, pt_rng *rng, int pick[])
{
    int *order = malloc((size_t)s->n * sizeof *order);
    if (!order)
        return pt_fail("out of memory for %d indices", s->n);
    for (int i = 0; i < s->n; i++)
        order[i] = i;
    pt_rng_shuffle(rng, order, s->n);
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        pick[k] = -1;
    for (int i = 0; i < s->n; i++)
        if (pick[s->y[order[i]]] < 0)
            pick[s->y[order[i]]] = order[i];
    free(order);
    /* <Write samples.tsv, one row per pixel of each chosen image> */
    pt_file f;
    FILE *fp = pt_file_open(&f, out, "samples.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# class\trow\tcol\tvalue\n");
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        for (int r = 0; r < s->rows; r++)
            for (int col = 0; col < s->cols; col++) {
                float v = pick[k] < 0 ? 0.0f
                        : s->x[(size_t)pick[k] * s->rows * s->cols + (size_t)r * s->cols + col];
                fprintf(fp, "%d\t%d\t%d\t%.4f\n", k, r, col, v);
            }
    return pt_file_commit(&f);
}
/* <Write the table of classes> */
static int write_classes(const char *out, const int *train_count,
                         const int *test_count, const int *pick)
{
    pt_file f;
    FILE *fp = pt_file_open(&f, out, "classes.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# class\tname\ttrain\ttest\texample\n");
    for (int k = 0; k < PT_FMNIST_CLASSES; k++)
        fprintf(fp, "%d\t%s\t%d\t%d\t%d\n", k, pt_fmnist_class_names[k],
                train_count[k], test_count[k], pick[k]);
    return pt_file_commit(&f);
}
/* <Write the pixel statistics> */
static int write_pixels(const char *out, const float *mu, const float *sd,
                        const float *corr, int rows, int cols)
{
    int d = rows * cols, centre = (rows / 2) * cols + cols / 2;
    pt_file f;
    FILE *fp = pt_file_open(&f, out, "pixels.tsv");
    if (!fp)
        return -1;
    fprintf(fp, "# row\tcol\tmean\tstd\tcorr_centre\n");
    for (int r = 0; r < rows; r++)
        for (int col = 0; col < cols; col++) {
            int j = r * cols + col;
            fprintf(fp, "%d\t%d\t%.5f\t%.5f\t%.5f\n", r, col, mu[j], sd[j],
                    corr[(size_t)centre * d + j]);
        }
    return pt_file_commit(&f);
}
int main(int argc, char **argv)
{
    /* <Parse the command line of fmnist> */
    pt_common c;
    if (pt_parse(argc, argv, &program, &c) != argc)
        pt_usage_error(&program, "unexpected argument '%s'", argv[argc - 1]);
    pt_announce(&program, &c);
    pt_results *res = pt_results_new();
    pt_rng rng;
    pt_rng_seed(&rng, c.seed);
    /* <Load both splits of Fashion-MNIST> */
    const char *dir = pt_fmnist_dir(c.data);
    int smoke = c.profile == PT_SMOKE;
    pt_dataset train, test;
    double t0 = pt_seconds();
    if (pt_fmnist_load(&train, dir, "train", smoke ? 2000 : 0) != 0 ||
        pt_fmnist_load(&test, dir, "t10k", smoke ? 1000 : 0) != 0)
        pt_die(&program);
    double load_seconds = pt_seconds() - t0;
    int d = train.rows * train.cols;
    printf("read %d training and %d test images of %d x %d pixels from %s in %.2f s\n",
           train.n, test.n, train.rows, train.cols, dir, load_seconds);
    /* <Summarise the pixels and the classes> */
    double sum = 0, sq = 0;
    size_t zeros = 0, total = (size_t)train.n * d;
    for (size_t k = 0; k < total; k++) {
        sum += train.x[k];
        zeros += train.x[k] == 0.0f;
    }
    double mean = sum / (double)total;
    for (size_t k = 0; k < total; k++)
        sq += (train.x[k] - mean) * (train.x[k] - mean);
    int train_count[PT_FMNIST_CLASSES], test_count[PT_FMNIST_CLASSES];
    count_classes(train_count, &train);
    count_classes(test_count, &test);
    printf("pixels: mean %.4f, standard deviation %.4f, %.1f%% zero\n",
           mean, sqrt(sq / (double)(total - 1)), 100.0 * zeros / (double)total);
    /* <Compute the pixel covariance two ways> */
    float *mu = malloc((size_t)d * sizeof *mu), *sd = malloc((size_t)d * sizeof *sd);
    float *cov = malloc((size_t)d * d * sizeof *cov), *cov2 = malloc((size_t)d * d * sizeof *cov2);
    float *corr = malloc((size_t)d * d * sizeof *corr);
    int pick[PT_FMNIST_CLASSES];
    if (!mu || !sd || !cov || !cov2 || !corr) {
        pt_fail("out of memory for %d x %d covariance matrices", d, d);
        pt_die(&program);
    }
    if (write_samples(c.out, &train, &rng, pick) != 0)
        pt_die(&program);
    pt_col_mean(mu, train.x, train.n, d);
    pt_col_std(sd, train.x, mu, train.n, d);
    pt_center(train.x, mu, train.n, d);
    double t1 = pt_seconds();
    pt_covariance(cov, train.x, train.n, d);
    double t2 = pt_seconds();
    pt_covariance_gemm(cov2, train.x, train.n, d);
    double t3 = pt_seconds();
    pt_correlation(corr, cov, d);
    /* <Compare the two covariances and summarise the correlations> */
    double maxdiff = 0, trace = 0, neighbour = 0, absall = 0;
    int nneighbour = 0, constant = 0;
    float sdmin = sd[0], sdmax = sd[0];
    for (size_t k = 0; k < (size_t)d * d; k++)
        maxdiff = fmax(maxdiff, fabs((double)cov[k] - cov2[k]));
    for (int j = 0; j < d; j++) {
        trace += cov[(size_t)j * d + j];
        constant += sd[j] == 0.0f;
        sdmin = fminf(sdmin, sd[j]);
        sdmax = fmaxf(sdmax, sd[j]);
        if ((j + 1) % train.cols != 0 && sd[j] > 0 && sd[j + 1] > 0) {
            neighbour += corr[(size_t)j * d + j + 1];
            nneighbour++;
        }
        for (int k = 0; k < d; k++)
            if (k != j)
                absall += fabs(corr[(size_t)j * d + k]);
    }
    neighbour /= nneighbour > 0 ? nneighbour : 1;
    absall /= (double)d * (d - 1);
    printf("covariance: ssyrk %.3f s, sgemm %.3f s, largest difference %.2g\n",
           t2 - t1, t3 - t2, maxdiff);
    printf("correlation: %.3f between horizontal neighbours, %.3f mean absolute\n",
           neighbour, absall);
    /* <Draw from the seeded generator> */
    double nmean = 0, nm2 = 0, usum = 0;
    int draws = 1000000;
    for (int i = 0; i < draws; i++) {
        double z = pt_rng_normal(&rng), delta = z - nmean;
        nmean += delta / (i + 1);
        nm2 += delta * (z - nmean);
        usum += pt_rng_uniform(&rng);
    }
    double nvar = nm2 / (draws - 1);
    printf("generator: %d normals with mean %.4f and variance %.4f\n", draws, nmean, nvar);
    /* <Write the results of fmnist> */
    if (write_classes(c.out, train_count, test_count, pick) != 0 ||
        write_pixels(c.out, mu, sd, corr, train.rows, train.cols) != 0)
        pt_die(&program);
    /* <Record the numbers of fmnist> */
    pt_results_text(res, "profile", pt_profile_name(c.profile));
    pt_results_int(res, "seed", (long long)c.seed);
    pt_results_int(res, "threads", pt_set_threads(c.threads));
    pt_results_int(res, "train.n", train.n);
    pt_results_int(res, "test.n", test.n);
    pt_results_int(res, "rows", train.rows);
    pt_results_int(res, "cols", train.cols);
    pt_results_int(res, "train.class_min", min_count(train_count));
    pt_results_int(res, "train.class_max", max_count(train_count));
    pt_results_int(res, "test.class_min", min_count(test_count));
    pt_results_int(res, "test.class_max", max_count(test_count));
    pt_results_real(res, "pixel.mean", mean);
    pt_results_real(res, "pixel.std", sqrt(sq / (double)(total - 1)));
    pt_results_real(res, "pixel.zero_percent", 100.0 * zeros / (double)total);
    pt_results_real(res, "pixel.std_min", sdmin);
    pt_results_real(res, "pixel.std_max", sdmax);
    pt_results_int(res, "pixel.constant", constant);
    pt_results_real(res, "load.seconds", load_seconds);
    pt_results_real(res, "cov.ssyrk_seconds", t2 - t1);
    pt_results_real(res, "cov.sgemm_seconds", t3 - t2);
    pt_results_real(res, "cov.max_abs_diff", maxdiff);
    pt_results_real(res, "cov.total_variance", trace);
    pt_results_real(res, "corr.neighbour_mean", neighbour);
    pt_results_real(res, "corr.mean_abs", absall);
    pt_results_real(res, "rng.normal_mean", nmean);
    pt_results_real(res, "rng.normal_var", nvar);
    pt_results_real(res, "rng.uniform_mean", usum / draws);
    if (pt_results_write(res, c.out) != 0)
        pt_die(&program);
    pt_results_free(res);
    free(mu); free(sd); free(cov); free(cov2); free(corr);
    pt_dataset_free(&train);
    pt_dataset_free(&test);
    return 0;
}
