/* Tangled from chapters/06-simclr.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* simclr: contrastive learning on Fashion-MNIST (Chapter 6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
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

/* probe ftr/fte (standardised in place); test accuracy in *acc */
static int probe_features(simclr_run *r, const char *name, float *ftr, float *fte, int d,
                          double *acc)
{
    const pt_split *sp = &r->split;
    int k = PT_FMNIST_CLASSES, status = -1;
    float *xtr = malloc(sizeof(float) * (size_t)sp->n_train * d);
    float *xva = malloc(sizeof(float) * (size_t)sp->n_val * d);
    float *mu = malloc(sizeof(float) * d), *sd = malloc(sizeof(float) * d);
    float *w = malloc(sizeof(float) * (size_t)k * (d + 1));
    unsigned char *ytr = malloc(sp->n_train), *yva = malloc(sp->n_val);
    pt_logreg_choice best;
    pt_lbfgs_opts opts = pt_lbfgs_defaults();
    opts.max_iter = r->c.profile == PT_SMOKE ? 25 : 100;
    if (!xtr || !xva || !mu || !sd || !w || !ytr || !yva) pt_fail("out of memory for %s", name);
    else {
        pt_gather(xtr, ytr, ftr, r->train.y, sp->train, sp->n_train, d, 0);
        pt_col_mean(mu, xtr, sp->n_train, d);
        pt_col_std(sd, xtr, mu, sp->n_train, d);
        pt_standardize(ftr, mu, sd, r->train.n, d);
        pt_standardize(fte, mu, sd, r->test.n, d);
        pt_gather(xtr, ytr, ftr, r->train.y, sp->train, sp->n_train, d, 0);
        pt_gather(xva, yva, ftr, r->train.y, sp->val, sp->n_val, d, 0);
        memset(w, 0, sizeof(float) * (size_t)k * (d + 1));
        if (pt_logreg_select(w, &best, xtr, ytr, sp->n_train, xva, yva, sp->n_val, d, k,
                             pt_lambdas + PT_LAMBDAS - PT_LAMBDAS_10, PT_LAMBDAS_10,
                             &opts) == 0) {
            *acc = pt_logreg_accuracy(w, fte, r->test.y, r->test.n, d, k);
            char key[96];
            snprintf(key, sizeof key, "%s.test_acc", name);  pt_results_real(r->res, key, *acc);
            snprintf(key, sizeof key, "%s.val_acc", name);   pt_results_real(r->res, key, best.val_acc);
            snprintf(key, sizeof key, "%s.lambda", name);    pt_results_real(r->res, key, best.lambda);
            fprintf(stderr, "simclr: %s: lambda %g, validation %.4f, test %.4f\n", name,
                    best.lambda, best.val_acc, *acc);
            status = 0;
        }
    }
    free(xtr); free(xva); free(mu); free(sd); free(w); free(ytr); free(yva);
    return status;
}

static int probe_layer(simclr_run *r, const char *name, pt_model *m, int upto)
{
    float *ftr = NULL, *fte = NULL;
    int d;
    double acc, t0 = pt_seconds();
    int status = features(&ftr, m, upto, &r->train, &d) || features(&fte, m, upto, &r->test, &d)
               ? -1 : probe_features(r, name, ftr, fte, d, &acc);
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
/* *acc <- the 20-NN test accuracy of h among the training pool's h */
static int knn_h(simclr_run *r, double *acc)
{
    float *ftr = NULL, *fte = NULL, *pool = NULL;
    unsigned char *ypool = NULL;
    int d, status = -1;
    if (features(&ftr, &r->net, PT_TRUNK_LAYERS, &r->train, &d) == 0 &&
        features(&fte, &r->net, PT_TRUNK_LAYERS, &r->test, &d) == 0 &&
        (pool = malloc(sizeof(float) * (size_t)r->split.n_train * d)) &&
        (ypool = malloc(r->split.n_train))) {
        pt_gather(pool, ypool, ftr, r->train.y, r->split.train, r->split.n_train, d, 0);
        *acc = pt_knn_accuracy(pool, ypool, r->split.n_train, fte, r->test.y, r->test.n,
                               d, 20, PT_FMNIST_CLASSES);
        if (!isnan(*acc)) {
            fprintf(stderr, "simclr: 20-nearest-neighbour test accuracy %.4f\n", *acc);
            status = 0;
        }
    }
    free(ftr); free(fte); free(pool); free(ypool);
    return status;
}

static int run_knn(simclr_run *r)
{
    double acc, t0 = pt_seconds();
    if (trained_net(r) || knn_h(r, &acc)) return -1;
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
    pt_file f;
    FILE *fp = pt_file_open(&f, r->c.out, "curves.tsv");
    if (!fp) return -1;
    fprintf(fp, "step\tepoch\tloss\tz_sd\talignment\tuniformity\n");
    for (int i = 0; i < run->rows; i++) {
        const float *h = run->hist + (size_t)i * PT_HIST_COLS;
        fprintf(fp, "%.0f\t%.4f\t%.6g\t%.6g\t%.6g\t%.6g\n", h[0], h[1], h[2], h[3], h[4], h[5]);
    }
    return pt_file_commit(&f);
}

static int run_train(simclr_run *r)
{
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", r->c.out);
    pt_optim o;
    pt_train_run run;
    if (build_net(r) || pt_optim_init(&o, PT_ADAMW, &r->net.params)) return -1;
    o.weight_decay = r->weight_decay;
    pt_train_run_init(&run, r->c.seed + 1);
    int per_epoch = r->train.n / r->cfg.batch, status = -1;
    pt_simclr_config c = r->cfg;
    c.warmup = per_epoch / 10 + 1;
    c.log_every = per_epoch / 4 > 0 ? per_epoch / 4 : 1;
    c.checkpoint = ckpt;
    c.checkpoint_every = 100;
    int ok = !r->resume || pt_checkpoint_load(r->resume, &r->net.params, &o, &run) == 0;
    /* <Stop after the first epoch and measure the neighbours> */
    if (ok && c.epochs > 1 && run.step < per_epoch) {
        pt_simclr_config first = c;
        first.stop_at = per_epoch;
        double acc;
        ok = pt_simclr_train(&r->net, &o, &r->train, &first, &run) == 0 && knn_h(r, &acc) == 0;
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

typedef struct { const char *name; int (*run)(simclr_run *r); } simclr_step;
static const simclr_step steps[] = {
    { "views", run_views },
    { "temperature", run_temperature },
    { "train", run_train },
    { "probe", run_probe },
    { "knn", run_knn },
    { "kmeans", run_kmeans },
    { 0 }
};
/* <Define the options of simclr> */
static int epochs = 0, batch = 256, width = 16, proj = 64;
static double tau = 0.5, lr = 2e-3, wd = 1e-4;
static const char *augment = "all", *resume = NULL;
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
    "h), kmeans (k-means on h, adjusted Rand index). Without STEP, every step\n"
    "runs; probe, knn and kmeans run alone read the checkpoint in --out\n"
    "(out/data/simclr). Writes views.tsv, temperature.tsv, curves.tsv and\n"
    "results.tsv there.",
    NULL,
};

int main(int argc, char **argv)
{
    simclr_run r;
    memset(&r, 0, sizeof r);
    /* <Parse the command line of simclr> */
    int first = pt_parse(argc, argv, &prog, &r.c);
    const char *step = first < argc ? argv[first] : NULL;
    if (first + 1 < argc) pt_usage_error(&prog, "unexpected argument '%s'", argv[first + 1]);
    if (step) {
        const simclr_step *s = steps;
        while (s->name && strcmp(s->name, step)) s++;
        if (!s->name) pt_usage_error(&prog, "unknown step '%s'", step);
    }
    if (batch < 2 || width < 1 || proj < 0 || epochs < 0 || !(tau > 0) || !(lr > 0) || !(wd >= 0))
        pt_usage_error(&prog, "--batch must be at least 2, --width positive, --tau and --lr "
                              "positive, --proj, --epochs and --weight-decay not negative");
    if (strcmp(augment, "all") && strcmp(augment, "crop"))
        pt_usage_error(&prog, "--augment must be all or crop, not '%s'", augment);
    int smoke = r.c.profile == PT_SMOKE;
    r.cfg = (pt_simclr_config){
        .epochs = epochs ? epochs : smoke ? 1 : r.c.profile == PT_FULL ? 40 : 10,
        .batch = smoke && batch > 64 ? 64 : batch, .lr = lr, .final_lr_frac = 0.05,
        .clip = 5.0, .tau = tau, .seed = r.c.seed,
        .aug = strcmp(augment, "crop") ? pt_augment_all() : pt_augment_crop() };
    r.width = width; r.proj = proj; r.weight_decay = wd; r.resume = resume;
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
    for (const simclr_step *s = steps; s->name; s++)
        if (!step || !strcmp(step, s->name))
            if (s->run(&r)) pt_die(&prog);
    if (pt_results_write(r.res, r.c.out)) pt_die(&prog);
    fprintf(stderr, "simclr: results written to %s\n", r.c.out);
    pt_results_free(r.res);
    if (r.have_net) pt_model_free(&r.net);
    pt_split_free(&r.split);
    pt_dataset_free(&r.train);
    pt_dataset_free(&r.test);
    return 0;
}
