/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* simclr: contrastive learning on Fashion-MNIST (Chapter 6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_pca.h"
#include "pt_nn.h"
#include "pt_adapt.h"
#include "pt_simclr.h"

typedef struct simclr_run {
    pt_common c;
    pt_results *res;
    pt_dataset train, test;
    pt_split split;              /* the probes' validation holdout */
    pt_model net;
    int have_net;
    pt_simclr_config cfg;
    int width, proj;             /* the encoder's first filters; z's size, 0: no head */
    double weight_decay;
    const char *resume;
    const char *supervised;      /* chapter 5's pretrained network */
    int supervised_named;        /* 1 if --supervised was given */
    int seeds, ablate_epochs;
    pt_curve curve;              /* rows of label_efficiency.tsv */
    double probe_h_acc;          /* the probe on h with all labels, once fitted */
    int have_probe_h;
} simclr_run;

static int trained_net(simclr_run *r);   /* the network, trained or read */

/* <Draw views of test images> */
static int run_views(simclr_run *r)
{
    enum { ROWS = 6, VIEWS = 5, S = 29, H = ROWS * S - 1, W = (VIEWS + 1) * S - 1 };
    static const int cls[ROWS] = { 0, 1, 5, 7, 8, 9 };
    static float mosaic[H * W];
    const pt_dataset *t = &r->test;
    int d = t->rows * t->cols;
    pt_augment a = pt_augment_all();
    pt_rng rng;
    pt_rng_seed(&rng, r->c.seed);
    float view[28 * 28];
    memset(mosaic, 0, sizeof mosaic);
    for (int k = 0; k < ROWS; k++) {
        int i = 0;
        while (i < t->n && t->y[i] != cls[k]) i++;
        if (i == t->n) return pt_fail("no test image of class %d", cls[k]);
        for (int v = 0; v <= VIEWS; v++) {
            const float *img = t->x + (size_t)i * d;
            if (v > 0) { pt_augment_view(view, img, 28, 28, &a, &rng); img = view; }
            for (int p = 0; p < d; p++) mosaic[(k * S + p / 28) * W + v * S + p % 28] = img[p];
        }
    }
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "views.tsv");
    if (!fp) return -1;
    fprintf(fp, "row\tcol\tvalue\n");
    for (int q = 0; q < H * W; q++) fprintf(fp, "%d\t%d\t%.4f\n", q / W, q % W, mosaic[q]);
    if (pt_file_commit(&f)) return -1;
    /* <Time the augmentations> */
    int B = 256, reps = r->c.profile == PT_SMOKE ? 2 : 40;
    float *out = malloc(sizeof(float) * 2 * (size_t)B * d);
    if (!out) return pt_fail("out of memory");
    double t0 = pt_seconds();
    for (int k = 0; k < reps; k++)
        pt_augment_pairs(out, t->x + (size_t)(k * B % (t->n - B)) * d, NULL, B, 28, 28, &a,
                         r->c.seed + (uint64_t)k);
    double secs = pt_seconds() - t0;
    free(out);
    pt_results_real(r->res, "views.pairs_per_second", secs > 0 ? reps * B / secs : 0);
    return 0;
}
/* <Show the temperature on raw pixels> */
static int run_temperature(simclr_run *r)
{
    enum { M = 256 };                       /* anchor, partner, 254 others */
    static const double taus[3] = { 0.1, 0.5, 1.0 };
    static const char *const names[3] = { "t0.1", "t0.5", "t1" };
    const pt_dataset *t = &r->test;
    int d = t->rows * t->cols;
    if (t->n < M - 1) return pt_fail("temperature: needs %d test images", M - 1);
    float *z = malloc(sizeof(float) * M * d), *u = malloc(sizeof(float) * M * d), norm[M];
    if (!z || !u) { free(z); free(u); return pt_fail("out of memory"); }
    pt_rng rng;
    pt_rng_seed(&rng, r->c.seed);
    pt_augment a = pt_augment_all();
    memcpy(z, t->x, sizeof(float) * d);
    pt_augment_view(z + d, t->x, 28, 28, &a, &rng);
    memcpy(z + 2 * d, t->x + d, sizeof(float) * (size_t)(M - 2) * d);
    pt_l2_normalize(u, norm, z, M, d);
    /* <Sort the candidates by cosine and write their probabilities> */
    double cosv[M - 1];
    int order[M - 1], rank = 0;
    for (int k = 1; k < M; k++) {
        double c = 0;
        for (int j = 0; j < d; j++) c += (double)u[j] * u[(size_t)k * d + j];
        cosv[k - 1] = c;
        order[k - 1] = k - 1;
    }
    for (int k = 0; k < M - 1; k++) rank += cosv[k] > cosv[0];       /* candidate 0: the partner */
    for (int k = 1; k < M - 1; k++)                                    /* insertion sort, descending */
        for (int j = k; j > 0 && cosv[order[j]] > cosv[order[j - 1]]; j--) {
            int tmp = order[j]; order[j] = order[j - 1]; order[j - 1] = tmp;
        }
    double p[3][M - 1];
    for (int q = 0; q < 3; q++) {
        double mx = cosv[order[0]] / taus[q], sum = 0, ent = 0;
        for (int k = 0; k < M - 1; k++) sum += exp(cosv[k] / taus[q] - mx);
        for (int k = 0; k < M - 1; k++) {
            p[q][k] = exp(cosv[k] / taus[q] - mx) / sum;
            if (p[q][k] > 0) ent -= p[q][k] * log(p[q][k]);
        }
        char key[64];
        snprintf(key, sizeof key, "temperature.%s.p_positive", names[q]);
        pt_results_real(r->res, key, p[q][0]);
        snprintf(key, sizeof key, "temperature.%s.entropy", names[q]);
        pt_results_real(r->res, key, ent);
    }
    pt_results_int(r->res, "temperature.candidates", M - 1);
    pt_results_real(r->res, "temperature.log_candidates", log(M - 1.0));
    pt_results_int(r->res, "temperature.positive_rank", rank + 1);
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "temperature.tsv");
    int status = fp ? 0 : -1;
    if (fp) {
        fprintf(fp, "rank\tcosine\tpositive\tp_0.1\tp_0.5\tp_1\n");
        for (int k = 0; k < M - 1; k++) {
            int c = order[k];
            fprintf(fp, "%d\t%.6f\t%d\t%.6g\t%.6g\t%.6g\n", k + 1, cosv[c], c == 0,
                    p[0][c], p[1][c], p[2][c]);
        }
        status = pt_file_commit(&f);
    }
    free(z); free(u);
    return status;
}
/* <Measure the encoder by linear probes> */
static int features(float **f, pt_model *m, int upto, const pt_dataset *d, int *dim)
{
    *dim = (int)pt_model_out_size(m, upto);
    *f = malloc(sizeof(float) * (size_t)d->n * *dim);
    if (!*f) return pt_fail("out of memory for features");
    return pt_model_features(*f, m, upto, d->x, d->n);
}

/* h = the trunk of m for every training and test image; 1, or -1 */
static int trunk_features(simclr_run *r, pt_model *m, float **ftr, float **fte, int *d)
{
    return features(ftr, m, PT_TRUNK_LAYERS, &r->train, d) ||
           features(fte, m, PT_TRUNK_LAYERS, &r->test, d) ? -1 : 1;
}

/* the probe at `per` labels a class (0: the whole pool, with the
   ten-class grid) of a task of all ten classes, with seed */
static int fit_probe(simclr_run *r, const pt_probe_task *t, const float *ftr, int per,
                     uint64_t seed, double *acc, pt_logreg_choice *best)
{
    pt_lbfgs_opts opts = pt_lbfgs_defaults();
    opts.max_iter = r->c.profile == PT_SMOKE ? 25 : 100;
    const double *grid = per ? pt_lambdas : pt_lambdas + PT_LAMBDAS - PT_LAMBDAS_10;
    return pt_probe_sample(acc, best, t, ftr, r->train.y, r->split.train, r->split.n_train,
                           per, seed, grid, per ? PT_LAMBDAS : PT_LAMBDAS_10, &opts);
}

/* standardise ftr/fte with the pool's statistics; the task of all ten classes */
static int ten_class_task(simclr_run *r, pt_probe_task *t, float *ftr, float *fte, int d)
{
    return pt_standardize_by_pool(ftr, r->train.n, fte, r->test.n, &r->split, d) ||
           pt_probe_task_make(t, ftr, r->train.y, r->split.val, r->split.n_val, fte,
                              r->test.y, r->test.n, 0, PT_FMNIST_CLASSES, d) ? -1 : 0;
}

/* probe ftr/fte (standardised in place) with every label; test accuracy in *acc */
static int probe_features(simclr_run *r, const char *name, float *ftr, float *fte, int d,
                          double *acc)
{
    pt_probe_task t;
    pt_logreg_choice best;
    if (ten_class_task(r, &t, ftr, fte, d)) return -1;
    int status = fit_probe(r, &t, ftr, 0, r->c.seed, acc, &best);
    pt_probe_task_free(&t);
    if (status) return -1;
    char key[96];
    snprintf(key, sizeof key, "%s.test_acc", name);  pt_results_real(r->res, key, *acc);
    snprintf(key, sizeof key, "%s.val_acc", name);   pt_results_real(r->res, key, best.val_acc);
    snprintf(key, sizeof key, "%s.lambda", name);    pt_results_real(r->res, key, best.lambda);
    fprintf(stderr, "simclr: %s: lambda %g, validation %.4f, test %.4f\n", name,
            best.lambda, best.val_acc, *acc);
    return 0;
}

static int probe_layer(simclr_run *r, const char *name, pt_model *m, int upto)
{
    float *ftr = NULL, *fte = NULL;
    int d;
    double acc, t0 = pt_seconds();
    int status = features(&ftr, m, upto, &r->train, &d) || features(&fte, m, upto, &r->test, &d)
               ? -1 : probe_features(r, name, ftr, fte, d, &acc);
    if (status == 0 && !strcmp(name, "probe_h")) { r->probe_h_acc = acc; r->have_probe_h = 1; }
    char key[96];
    snprintf(key, sizeof key, "%s.seconds", name);
    pt_results_real(r->res, key, pt_seconds() - t0);
    free(ftr); free(fte);
    return status;
}

static int run_probe(simclr_run *r)
{
    if (trained_net(r) || probe_layer(r, "probe_h", &r->net, PT_TRUNK_LAYERS)) return -1;
    return r->proj > 0 ? probe_layer(r, "probe_z", &r->net, r->net.n) : 0;
}
/* <Measure the encoder by neighbours and clusters> */
/* *acc <- the 20-NN test accuracy of the test rows fte among the rows of
   ftr of the training pool, or of `per` images a class of it if per > 0 */
static int knn_features(simclr_run *r, const float *ftr, const float *fte, int d, int per,
                        double *acc)
{
    float *pool = NULL;
    unsigned char *ypool = NULL;
    int status = -1, *idx = malloc(sizeof(int) * (size_t)r->split.n_train);
    int np = !idx ? -1 : pt_split_sample(idx, r->split.train, r->split.n_train, r->train.y, 0,
                                         PT_FMNIST_CLASSES, per, r->c.seed);
    if (np > 0 && (pool = malloc(sizeof(float) * (size_t)np * d)) && (ypool = malloc(np))) {
        pt_gather(pool, ypool, ftr, r->train.y, idx, np, d, 0);
        *acc = pt_knn_accuracy(pool, ypool, np, fte, r->test.y, r->test.n,
                               d, 20, PT_FMNIST_CLASSES);
        if (!isnan(*acc)) {
            fprintf(stderr, "simclr: 20-nearest-neighbour test accuracy %.4f\n", *acc);
            status = 0;
        }
    }
    free(pool); free(ypool); free(idx);
    return status;
}

static int knn_h(simclr_run *r, pt_model *m, int per, double *acc)
{
    float *ftr = NULL, *fte = NULL;
    int d, status = trunk_features(r, m, &ftr, &fte, &d) < 0 ? -1
                  : knn_features(r, ftr, fte, d, per, acc);
    free(ftr); free(fte);
    return status;
}

static int run_knn(simclr_run *r)
{
    double acc, t0 = pt_seconds();
    if (trained_net(r) || knn_h(r, &r->net, 0, &acc)) return -1;
    pt_results_real(r->res, "knn.test_acc", acc);
    pt_results_real(r->res, "knn.seconds", pt_seconds() - t0);
    return 0;
}

static int run_kmeans(simclr_run *r)
{
    float *fte = NULL, *centres = NULL;
    int *assign = NULL, *truth = NULL, d, status = -1;
    if (trained_net(r) == 0 && features(&fte, &r->net, PT_TRUNK_LAYERS, &r->test, &d) == 0 &&
        (centres = malloc(sizeof(float) * PT_FMNIST_CLASSES * (size_t)d)) &&
        (assign = malloc(sizeof(int) * r->test.n)) && (truth = malloc(sizeof(int) * r->test.n))) {
        int it = pt_kmeans(assign, centres, fte, r->test.n, d, PT_FMNIST_CLASSES, 100, r->c.seed);
        for (int i = 0; i < r->test.n; i++) truth[i] = r->test.y[i];
        if (it >= 0) {
            double ari = pt_adjusted_rand(assign, truth, r->test.n, PT_FMNIST_CLASSES,
                                          PT_FMNIST_CLASSES);
            pt_results_real(r->res, "kmeans.ari", ari);
            pt_results_int(r->res, "kmeans.iterations", it);
            fprintf(stderr, "simclr: k-means on h: adjusted Rand index %.4f (%d iterations)\n",
                    ari, it);
            status = 0;
        }
    }
    free(fte); free(centres); free(assign); free(truth);
    return status;
}
/* <Train the SimCLR network, or read its checkpoint> */
static int build_net(simclr_run *r)
{
    if (r->have_net) return 0;
    if (pt_simclr_network(&r->net, r->width, 256, r->proj, 2 * r->cfg.batch, r->c.seed))
        return -1;
    r->have_net = 1;
    return 0;
}

static int write_curves(simclr_run *r, const pt_train_run *run)
{
    return pt_train_run_write(run, r->c.out, "curves.tsv",
                              "step\tepoch\tloss\tz_sd\talignment\tuniformity");
}

/* AdamW, a fresh run state, and the schedule of c for r's images */
static int start_training(simclr_run *r, pt_model *net, pt_optim *o, pt_train_run *run,
                          pt_simclr_config *c)
{
    if (pt_optim_init(o, PT_ADAMW, &net->params)) return -1;
    o->weight_decay = r->weight_decay;
    pt_train_run_init(run, r->c.seed + 1);
    int per_epoch = r->train.n / c->batch;
    c->warmup = per_epoch / 10 + 1;
    c->log_every = per_epoch / 4 > 0 ? per_epoch / 4 : 1;
    return 0;
}

static int run_train(simclr_run *r)
{
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", r->c.out);
    pt_optim o;
    pt_train_run run;
    pt_simclr_config c = r->cfg;
    if (build_net(r) || start_training(r, &r->net, &o, &run, &c)) return -1;
    int per_epoch = r->train.n / c.batch, status = -1;
    c.checkpoint = ckpt;
    c.checkpoint_every = 100;
    int ok = !r->resume || pt_checkpoint_load(r->resume, &r->net.params, &o, &run) == 0;
    /* <Stop after the first epoch and measure the neighbours> */
    if (ok && c.epochs > 1 && run.step < per_epoch) {
        pt_simclr_config first = c;
        first.stop_at = per_epoch;
        double acc;
        ok = pt_simclr_train(&r->net, &o, &r->train, &first, &run) == 0 &&
             knn_h(r, &r->net, 0, &acc) == 0;
        if (ok) {
            pt_results_real(r->res, "epoch1.knn.test_acc", acc);
            pt_results_real(r->res, "epoch1.loss", run.hist[(size_t)(run.rows - 1) * PT_HIST_COLS + 2]);
        }
    }
    if (ok && pt_simclr_train(&r->net, &o, &r->train, &c, &run) == 0 && write_curves(r, &run) == 0) {
        const float *last = run.rows ? run.hist + (size_t)(run.rows - 1) * PT_HIST_COLS : NULL;
        pt_results_real(r->res, "train.seconds", run.seconds);
        pt_results_int(r->res, "train.epochs", c.epochs);
        pt_results_int(r->res, "train.steps", run.step);
        pt_results_int(r->res, "train.batch", c.batch);
        pt_results_real(r->res, "train.tau", c.tau);
        pt_results_int(r->res, "train.params", (long long)r->net.params.size);
        pt_results_real(r->res, "train.images_per_second",
                        run.seconds > 0 ? run.examples / run.seconds : 0);
        if (last) {
            pt_results_real(r->res, "train.final_loss", last[2]);
            pt_results_real(r->res, "train.final_z_sd", last[3]);
            pt_results_real(r->res, "train.final_alignment", last[4]);
            pt_results_real(r->res, "train.final_uniformity", last[5]);
        }
        status = 0;
    }
    pt_optim_free(&o);
    pt_train_run_free(&run);
    return status;
}

/* <Train the SimCLR network, or read its checkpoint> */
/* the trained network: in memory after train, else from the checkpoint */
static int trained_net(simclr_run *r)
{
    if (r->have_net) return 0;
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", r->c.out);
    if (build_net(r)) return -1;
    if (pt_checkpoint_load(ckpt, &r->net.params, NULL, NULL))
        return pt_fail("%s (run 'simclr train' with the same options first)", pt_errmsg());
    return 0;
}
/* <Draw the label-efficiency curve> */
static const int label_counts[] = { 1, 10, 100, 0 };   /* 0: all */
enum { N_COUNTS = sizeof label_counts / sizeof label_counts[0], PCA_COMPONENTS = 64 };

/* <Fit the curve of one representation> */
static int fit_curve(simclr_run *r, const char *method, float *ftr, float *fte, int d)
{
    pt_probe_task t;
    if (ten_class_task(r, &t, ftr, fte, d)) return -1;
    int status = 0, ns = r->seeds;
    pt_progress pg;
    pt_progress_begin(&pg, method, N_COUNTS * ns, "fits");
    for (int i = 0; i < N_COUNTS && status == 0; i++) {
        int per = label_counts[i];
        double acc[64] = { 0 };
        pt_logreg_choice best;
        for (int s = 0; s < ns && status == 0; s++) {
            uint64_t seed = r->c.seed + (uint64_t)s;
            if (per == 0 && s > 0) acc[s] = acc[0];                     /* the same sample */
            else if (per == 0 && r->have_probe_h && !strcmp(method, "simclr"))
                acc[s] = r->probe_h_acc;
            else status = fit_probe(r, &t, ftr, per, seed, &acc[s], &best);
            if (status == 0) status = pt_curve_add(&r->curve, method, per, seed, acc[s]);
            pt_progress_update(&pg, i * ns + s + 1);
        }
        if (status == 0) {
            double mean = pt_curve_point(r->res, "labels", method, per, acc, ns);
            /* <Name the ten-label points of the keys> */
            static const char *const named[3][2] = {
                { "simclr", "probe_h_10.test_acc" }, { "pixels", "pixels_10.test_acc" },
                { "pca", "pca_10.test_acc" } };
            for (int k = 0; k < 3 && per == 10; k++)
                if (!strcmp(method, named[k][0])) pt_results_real(r->res, named[k][1], mean);
        }
    }
    pt_progress_end(&pg);
    pt_probe_task_free(&t);
    return status;
}
/* <Compute the features of each method> */
/* the first PCA_COMPONENTS principal components of the pool's pixels */
static int pca_features(simclr_run *r, float **ftr, float **fte, int *d)
{
    int D = r->train.rows * r->train.cols, np = r->split.n_train, K = PCA_COMPONENTS;
    float *pool = malloc(sizeof(float) * (size_t)np * D), *mu = malloc(sizeof(float) * D);
    float *w = malloc(sizeof(float) * D), *v = malloc(sizeof(float) * (size_t)D * D);
    *ftr = malloc(sizeof(float) * (size_t)r->train.n * K);
    *fte = malloc(sizeof(float) * (size_t)r->test.n * K);
    int status = !pool || !mu || !w || !v || !*ftr || !*fte ? pt_fail("out of memory for the PCA")
                                                            : 1;
    if (status == 1) {
        pt_gather(pool, NULL, r->train.x, NULL, r->split.train, np, D, 0);
        if (pt_pca_fit(mu, w, v, pool, np, D)) status = -1;
        else {
            pt_pca_project(*ftr, r->train.x, mu, v, r->train.n, D, K);
            pt_pca_project(*fte, r->test.x, mu, v, r->test.n, D, K);
            *d = K;
        }
    }
    free(pool); free(mu); free(w); free(v);
    return status;
}

static int method_features(simclr_run *r, const char *method, float **ftr, float **fte, int *d)
{
    if (!strcmp(method, "simclr"))
        return trained_net(r) ? -1 : trunk_features(r, &r->net, ftr, fte, d);
    if (!strcmp(method, "pca")) return pca_features(r, ftr, fte, d);
    if (!strcmp(method, "pixels")) {
        size_t D = (size_t)r->train.rows * r->train.cols;
        *ftr = malloc(sizeof(float) * r->train.n * D);
        *fte = malloc(sizeof(float) * r->test.n * D);
        if (!*ftr || !*fte) return pt_fail("out of memory for the pixels");
        memcpy(*ftr, r->train.x, sizeof(float) * r->train.n * D);
        memcpy(*fte, r->test.x, sizeof(float) * r->test.n * D);
        *d = (int)D;
        return 1;
    }
    /* <Build the untrained or the supervised trunk and take its features> */
    pt_model m;
    int sup = !strcmp(method, "supervised");
    if (sup && !r->supervised_named && access(r->supervised, R_OK) != 0) {
        fprintf(stderr, "simclr: no %s (run chapter 5's adapt first); the curve leaves out "
                        "'supervised'\n", r->supervised);
        return 0;
    }
    if (pt_simclr_network(&m, r->width, 0, 0, 256, r->c.seed + 7)) return -1;
    int status = sup && pt_checkpoint_load(r->supervised, &m.params, NULL, NULL) ? -1
               : trunk_features(r, &m, ftr, fte, d);
    pt_model_free(&m);
    return status;
}

static int run_labels(simclr_run *r)
{
    static const char *const methods[] = { "simclr", "pixels", "pca", "random", "supervised" };
    double t0 = pt_seconds();
    for (int k = 0; k < 5; k++) {
        float *ftr = NULL, *fte = NULL;
        int d = 0, got = method_features(r, methods[k], &ftr, &fte, &d);
        int status = got < 0 ? -1 : got == 0 ? 0 : fit_curve(r, methods[k], ftr, fte, d);
        free(ftr); free(fte);
        if (status) return -1;
    }
    pt_results_int(r->res, "labels.seeds", r->seeds);
    pt_results_real(r->res, "labels.seconds", pt_seconds() - t0);
    return 0;
}
/* <Run the ablations> */
typedef struct { const char *name; double tau; int proj, batch, crop; } ablation;

/* <Train and measure one ablation> */
static int ablate_one(simclr_run *r, const ablation *a, FILE *fp)
{
    pt_model m;
    pt_optim o;
    pt_train_run run;
    pt_simclr_config c = r->cfg;
    c.epochs = r->ablate_epochs; c.tau = a->tau; c.batch = a->batch;
    c.aug = a->crop ? pt_augment_crop() : c.aug;
    fprintf(stderr, "simclr: ablation %s: tau %g, head %d, batch %d, %s augmentations\n",
            a->name, a->tau, a->proj, a->batch, a->crop ? "crop" : "all");
    if (pt_simclr_network(&m, r->width, 256, a->proj, 2 * a->batch, r->c.seed)) return -1;
    if (start_training(r, &m, &o, &run, &c)) { pt_model_free(&m); return -1; }
    double knn = 0, acc[64] = { 0 };
    int status = pt_simclr_train(&m, &o, &r->train, &c, &run);
    if (status == 0) {
        /* <Measure the ablation's h by neighbours and by probes with ten labels a class> */
        float *ftr = NULL, *fte = NULL;
        int d;
        pt_probe_task t;
        pt_logreg_choice best;
        int made = trunk_features(r, &m, &ftr, &fte, &d) > 0 &&
                   knn_features(r, ftr, fte, d, r->c.profile == PT_SMOKE ? 100 : 1000, &knn) == 0 &&
                   ten_class_task(r, &t, ftr, fte, d) == 0;
        status = made ? 0 : -1;
        for (int s = 0; s < r->seeds && status == 0; s++)
            status = fit_probe(r, &t, ftr, 10, r->c.seed + (uint64_t)s, &acc[s], &best);
        if (made) pt_probe_task_free(&t);
        free(ftr); free(fte);
    }
    if (status == 0) {
        /* <Record the ablation's numbers> */
        const float *last = run.hist + (size_t)(run.rows - 1) * PT_HIST_COLS;
        double mean = 0, sd = 0;
        for (int s = 0; s < r->seeds; s++) mean += acc[s] / r->seeds;
        for (int s = 0; s < r->seeds; s++) sd += (acc[s] - mean) * (acc[s] - mean);
        sd = r->seeds > 1 ? sqrt(sd / (r->seeds - 1)) : 0;
        fprintf(fp, "%s\t%g\t%d\t%d\t%s\t%lld\t%.6g\t%.6g\t%.6g\t%.6g\t%.6f\t%.6f\t%.6f\n",
                a->name, a->tau, a->proj, a->batch, a->crop ? "crop" : "all", run.step,
                last[2], last[3], last[4], last[5], knn, mean, sd);
        char key[128];
        pt_curve_point(r->res, "ablate", a->name, 10, acc, r->seeds);
        snprintf(key, sizeof key, "ablate.%s.knn", a->name);      pt_results_real(r->res, key, knn);
        snprintf(key, sizeof key, "ablate.%s.loss", a->name);     pt_results_real(r->res, key, last[2]);
        snprintf(key, sizeof key, "ablate.%s.z_sd", a->name);     pt_results_real(r->res, key, last[3]);
        snprintf(key, sizeof key, "ablate.%s.seconds", a->name);  pt_results_real(r->res, key, run.seconds);
        snprintf(key, sizeof key, "ablate.%s.batch", a->name);    pt_results_int(r->res, key, a->batch);
        snprintf(key, sizeof key, "ablate.%s.alignment", a->name); pt_results_real(r->res, key, last[4]);
        snprintf(key, sizeof key, "ablate.%s.uniformity", a->name); pt_results_real(r->res, key, last[5]);
    }
    pt_train_run_free(&run);
    pt_optim_free(&o);
    pt_model_free(&m);
    return status;
}

static int run_ablate(simclr_run *r)
{
    const ablation runs[] = {
        { "reference", r->cfg.tau, r->proj, r->cfg.batch, 0 },
        { "tau_0.1", 0.1, r->proj, r->cfg.batch, 0 },
        { "tau_1", 1.0, r->proj, r->cfg.batch, 0 },
        { "no_head", r->cfg.tau, 0, r->cfg.batch, 0 },
        { "crop_only", r->cfg.tau, r->proj, r->cfg.batch, 1 },
        { "half_batch", r->cfg.tau, r->proj, r->cfg.batch / 2 > 1 ? r->cfg.batch / 2 : 2, 0 } };
    double t0 = pt_seconds();
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "ablations.tsv");
    if (!fp) return -1;
    fprintf(fp, "name\ttau\tproj\tbatch\taugment\tsteps\tloss\tz_sd\talignment\t"
                "uniformity\tknn_acc\tprobe10_mean\tprobe10_sd\n");
    for (int i = 0; i < 6; i++)
        if (ablate_one(r, &runs[i], fp)) { pt_file_abort(&f); return -1; }
    pt_results_int(r->res, "ablate.epochs", r->ablate_epochs);
    pt_results_real(r->res, "ablate.seconds", pt_seconds() - t0);
    return pt_file_commit(&f);
}
/* <Draw the test set in two dimensions> */
/* z[n][2] <- x[n][d] on its first two principal components; *explained <- their share */
static int first_two(float *z, const float *x, int n, int d, double *explained)
{
    float *mu = malloc(sizeof(float) * d), *w = malloc(sizeof(float) * d);
    float *v = malloc(sizeof(float) * (size_t)d * d);
    int status = !mu || !w || !v ? pt_fail("out of memory for the PCA")
               : pt_pca_fit(mu, w, v, x, n, d);
    if (status == 0) {
        double total = 0;
        for (int i = 0; i < d; i++) total += w[i];
        *explained = total > 0 ? (w[0] + w[1]) / total : 0;
        pt_pca_project(z, x, mu, v, n, d, 2);
    }
    free(mu); free(w); free(v);
    return status;
}

static int run_embed(simclr_run *r)
{
    int n = r->test.n, d, D = r->test.rows * r->test.cols, status = -1;
    float *h = NULL, *zp = malloc(sizeof(float) * 2 * n), *zh = malloc(sizeof(float) * 2 * n);
    double ep, eh;
    if (zp && zh && trained_net(r) == 0 && features(&h, &r->net, PT_TRUNK_LAYERS, &r->test, &d) == 0 &&
        first_two(zp, r->test.x, n, D, &ep) == 0 && first_two(zh, h, n, d, &eh) == 0) {
        pt_file f;
        FILE *fp = pt_file_open(&f, r->c.out, "embed.tsv");
        if (fp) {
            fprintf(fp, "label\tpixel_1\tpixel_2\th_1\th_2\n");
            for (int i = 0; i < n; i++)
                fprintf(fp, "%d\t%.5g\t%.5g\t%.5g\t%.5g\n", r->test.y[i], zp[2 * i],
                        zp[2 * i + 1], zh[2 * i], zh[2 * i + 1]);
            status = pt_file_commit(&f);
        }
        pt_results_real(r->res, "embed.pixels.explained", ep);
        pt_results_real(r->res, "embed.h.explained", eh);
    }
    free(h); free(zp); free(zh);
    return status;
}

typedef struct { const char *name; int (*run)(simclr_run *r); } simclr_step;
static const simclr_step steps[] = {
    { "views", run_views },
    { "temperature", run_temperature },
    { "train", run_train },
    { "probe", run_probe },
    { "knn", run_knn },
    { "kmeans", run_kmeans },
    { "labels", run_labels },
    { "embed", run_embed },
    { "ablate", run_ablate },
    { 0 }
};
/* <Define the options of simclr> */
static int epochs = 0, batch = 256, width = 16, proj = 64, seeds = 3, ablate_epochs = 0;
static double tau = 0.5, lr = 2e-3, wd = 1e-4;
static const char *augment = "all", *resume = NULL, *supervised = NULL;
static const pt_option options[] = {
    { "epochs", PT_INT, &epochs, "N", "epochs of training (default: smoke 1, book 10, full 40)" },
    { "batch", PT_INT, &batch, "N", "images a step; the loss sees 2N views (256)" },
    { "tau", PT_REAL, &tau, "X", "temperature of the loss (0.5)" },
    { "lr", PT_REAL, &lr, "X", "AdamW's peak learning rate (0.002)" },
    { "weight-decay", PT_REAL, &wd, "X", "AdamW's decoupled weight decay (1e-4)" },
    { "width", PT_INT, &width, "N", "filters of the encoder's first convolution (16)" },
    { "proj", PT_INT, &proj, "N", "outputs of the projection head; 0: no head, the loss on h (64)" },
    { "augment", PT_TEXT, &augment, "SET", "all, or crop (random resized crop and flip only)" },
    { "resume", PT_TEXT, &resume, "FILE", "continue training from this checkpoint" },
    { "seeds", PT_INT, &seeds, "N", "label samples per count in the label-efficiency curve (3)" },
    { "supervised", PT_TEXT, &supervised, "FILE",
      "chapter 5's pretrained network (out/data/adapt/pretrained.safetensors)" },
    { "ablate-epochs", PT_INT, &ablate_epochs, "N",
      "epochs of each ablation run (default: smoke 1, book 2, full 10)" },
    { 0 }
};
static const pt_program prog = {
    "simclr", "contrastive learning on Fashion-MNIST (SimCLR)",
    "[STEP]", options,
    "Learns a representation of Fashion-MNIST images without labels. STEP is\n"
    "one of: views (augmented views of test images, and their speed),\n"
    "temperature (p_tau(k|i) of the loss on raw pixels), train (SimCLR\n"
    "training; writes checkpoint.safetensors and curves.tsv), probe (linear\n"
    "probes on h and z, all labels), knn (20-nearest-neighbour accuracy on\n"
    "h), kmeans (k-means on h, adjusted Rand index), labels (linear probes\n"
    "with 1, 10, 100 and all labels a class on h, pixels, principal\n"
    "components, an untrained encoder and chapter 5's supervised encoder),\n"
    "embed (the test set on the first two principal components of h and of\n"
    "the pixels), ablate (short runs with tau 0.1 and 1, without the head,\n"
    "with crops only, with half the batch, against a reference run of the\n"
    "same length). Without STEP, every step runs; the measuring steps run\n"
    "alone read the checkpoint in --out (out/data/simclr). The supervised\n"
    "encoder is read from the file chapter 5's adapt writes; if that file\n"
    "is missing and --supervised was not given, the curve leaves it out.\n"
    "Writes views.tsv, temperature.tsv, curves.tsv, label_efficiency.tsv,\n"
    "embed.tsv, ablations.tsv and results.tsv there.",
    NULL,
};

int main(int argc, char **argv)
{
    simclr_run r;
    memset(&r, 0, sizeof r);
    /* <Parse the command line of simclr> */
    const char *step = pt_parse_step(argc, argv, &prog, &r.c, steps, sizeof steps[0]);
    if (batch < 2 || width < 1 || proj < 0 || epochs < 0 || !(tau > 0) || !(lr > 0) || !(wd >= 0) ||
        seeds < 1 || seeds > 64 || ablate_epochs < 0)
        pt_usage_error(&prog, "--batch must be at least 2, --width positive, --tau and --lr "
                              "positive, --seeds in 1..64, --proj, --epochs, --ablate-epochs "
                              "and --weight-decay not negative");
    if (strcmp(augment, "all") && strcmp(augment, "crop"))
        pt_usage_error(&prog, "--augment must be all or crop, not '%s'", augment);
    int smoke = r.c.profile == PT_SMOKE;
    r.cfg = (pt_simclr_config){
        .epochs = epochs ? epochs : smoke ? 1 : r.c.profile == PT_FULL ? 40 : 10,
        .batch = smoke && batch > 64 ? 64 : batch, .lr = lr, .final_lr_frac = 0.05,
        .clip = 5.0, .tau = tau, .seed = r.c.seed,
        .aug = strcmp(augment, "crop") ? pt_augment_all() : pt_augment_crop() };
    r.width = width; r.proj = proj; r.weight_decay = wd; r.resume = resume;
    r.supervised = supervised ? supervised : "out/data/adapt/pretrained.safetensors";
    r.supervised_named = supervised != NULL;
    r.seeds = seeds;
    r.ablate_epochs = ablate_epochs ? ablate_epochs : smoke ? 1 : r.c.profile == PT_FULL ? 10 : 2;
    pt_announce(&prog, &r.c);
    /* <Load Fashion-MNIST and hold out the probes' validation set> */
    const char *dir = pt_fmnist_dir(r.c.data);
    if (pt_fmnist_load(&r.train, dir, "train", smoke ? 3000 : 0) ||
        pt_fmnist_load(&r.test, dir, "t10k", smoke ? 1000 : 0) ||
        pt_split_holdout(&r.split, r.train.y, r.train.n, 0, PT_FMNIST_CLASSES,
                         smoke ? 50 : 1000, r.c.seed))
        pt_die(&prog);
    r.res = pt_results_new();
    pt_results_int(r.res, "threads", pt_set_threads(r.c.threads));
    pt_results_int(r.res, "pool.n", r.split.n_train);
    for (const simclr_step *s = steps; s->name; s++)
        if (!step || !strcmp(step, s->name))
            if (s->run(&r)) pt_die(&prog);
    if ((r.curve.n && pt_curve_write(&r.curve, r.c.out)) || pt_results_write(r.res, r.c.out))
        pt_die(&prog);
    fprintf(stderr, "simclr: results written to %s\n", r.c.out);
    pt_results_free(r.res);
    pt_curve_free(&r.curve);
    if (r.have_net) pt_model_free(&r.net);
    pt_split_free(&r.split);
    pt_dataset_free(&r.train);
    pt_dataset_free(&r.test);
    return 0;
}
