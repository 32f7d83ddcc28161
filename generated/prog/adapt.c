/* Tangled from chapters/05-adapt.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* adapt: supervised pretraining and adaptation on Fashion-MNIST (Chapter 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_pca.h"
#include "pt_nn.h"
#include "pt_adapt.h"

/* <Define the options of adapt> */
static int components = 64, max_iter = 50, width = 0;
static double backbone_lr = 0.1;
static const pt_option options[] = {
    { "width", PT_INT, &width, "N",
      "filters of the CNN's first convolution (default: 16, full 32, smoke 4)" },
    { "backbone-lr", PT_REAL, &backbone_lr, "X",
      "fine-tuning: the backbone's learning rate as a fraction of the head's (0.1)" },
    { "components", PT_INT, &components, "K",
      "principal components used as features by the pca probe" },
    { "max-iter", PT_INT, &max_iter, "N",
      "L-BFGS iterations at most for one value of lambda (book; full: 10 N)" },
    { 0 }
};
static const pt_program prog = {
    "adapt", "supervised pretraining and adaptation on Fashion-MNIST",
    "[STEP]", options,
    "Fashion-MNIST is split into a source task (classes 0-4) and a target\n"
    "task (classes 5-9, few labels). STEP is one of: baselines (linear\n"
    "probes on pixels and on principal components), pretrain (the CNN on the\n"
    "source task), probe (linear probes on pretrained and on random CNN\n"
    "features), finetune (fine-tuning and training from scratch), supervised\n"
    "(the CNN on all ten classes). Without STEP, every step runs; probe and\n"
    "finetune pretrain first when run alone. Writes label_efficiency.tsv,\n"
    "target_fits.tsv, pretrain_curves.tsv, pretrained.safetensors (the\n"
    "source network) and results.tsv to --out (out/data/adapt).",
    NULL,
};
/* <Define the state of an adapt run> */
typedef struct adapt_run {
    pt_common c;
    pt_results *res;
    pt_curve table;              /* rows of label_efficiency.tsv */
    FILE *fits;                  /* rows of target_fits.tsv */
    pt_dataset train, test;      /* the files, pixels in [0, 1] */
    pt_split split;              /* validation holdout, all ten classes */
    int d;                       /* pixels per image */
    pt_model pre;                /* the network pretrained on the source task */
    int have_pre;                /* 1 once pre is trained */
    /* <Hold the settings of the profile> */
    int train_limit, test_limit;     /* images loaded; 0: all */
    int val_per_class;               /* validation images per class */
    int seeds;                       /* repetitions of each target point */
    int components;                  /* principal components for the pca probe */
    pt_lbfgs_opts opts;              /* how the probes are fitted */
    int width, pre_epochs;           /* the CNN: first filters; epochs of (pre)training */
    int ft_steps, ft_evals;          /* fine-tuning: steps a run, checkpoints */
    int ft_val_per_class;            /* target validation images a class it uses */
    double ft_backbone;              /* the backbone's learning-rate fraction */
} adapt_run;

typedef struct adapt_step {
    const char *name;
    int (*run)(adapt_run *a);    /* 0, or -1 after pt_fail */
} adapt_step;
/* <Define the steps of adapt> */
/* <Fit a probe on all ten classes> */

static int probe_all_classes(adapt_run *a, const char *name,
                             const float *ftr, const float *fte, int d)
{
    double t0 = pt_seconds();
    int k = PT_FMNIST_CLASSES, ntr = a->split.n_train, nva = a->split.n_val;
    float *xtr = malloc(sizeof(float) * (size_t)ntr * d);
    float *xva = malloc(sizeof(float) * (size_t)nva * d);
    float *w = malloc(sizeof(float) * (size_t)k * (d + 1));
    unsigned char *ytr = malloc((size_t)ntr), *yva = malloc((size_t)nva);
    int status = -1;
    pt_logreg_choice best;
    if (!xtr || !xva || !w || !ytr || !yva) pt_fail("out of memory for %s", name);
    else {
        /* <Gather the pool and the validation set and fit> */
        pt_gather(xtr, ytr, ftr, a->train.y, a->split.train, ntr, d, 0);
        pt_gather(xva, yva, ftr, a->train.y, a->split.val, nva, d, 0);
        if (pt_logreg_select(w, &best, xtr, ytr, ntr, xva, yva, nva, d, k,
                             pt_lambdas + PT_LAMBDAS - PT_LAMBDAS_10, PT_LAMBDAS_10,
                             &a->opts) == 0) {
            double acc = pt_logreg_accuracy(w, fte, a->test.y, a->test.n, d, k);
            char key[96];
            snprintf(key, sizeof key, "%s.test_acc", name);   pt_results_real(a->res, key, acc);
            snprintf(key, sizeof key, "%s.val_acc", name);    pt_results_real(a->res, key, best.val_acc);
            snprintf(key, sizeof key, "%s.lambda", name);     pt_results_real(a->res, key, best.lambda);
            snprintf(key, sizeof key, "%s.iters", name);      pt_results_int(a->res, key, best.rep.iters);
            snprintf(key, sizeof key, "%s.gnorm", name);      pt_results_real(a->res, key, best.rep.gnorm);
            snprintf(key, sizeof key, "%s.status", name);     pt_results_int(a->res, key, best.rep.status);
            snprintf(key, sizeof key, "%s.seconds", name);    pt_results_real(a->res, key, pt_seconds() - t0);
            fprintf(stderr, "adapt: %s: lambda %g, validation %.4f, test %.4f\n",
                    name, best.lambda, best.val_acc, acc);
            status = 0;
        }
    }
    free(xtr); free(xva); free(w); free(ytr); free(yva);
    return status;
}
/* <Fit probes on the target task at every label count> */
static const int label_counts[] = { 1, 5, 10, 50, 100, 0 };   /* 0: all */
enum { N_COUNTS = sizeof label_counts / sizeof label_counts[0] };

/* <Fit one target probe and record it> */
static int fit_target(adapt_run *a, pt_probe_task *t, const char *method,
                      int per, unsigned long long seed, const float *ftr, double *acc)
{
    pt_logreg_choice best;
    if (pt_probe_sample(acc, &best, t, ftr, a->train.y, a->split.train, a->split.n_train,
                        per, seed, pt_lambdas, PT_LAMBDAS, &a->opts))
        return -1;
    fprintf(a->fits, "%s\t%d\t%llu\t%g\t%.6f\t%.6f\t%d\t%d\n", method, per,
            seed, best.lambda, best.val_acc, *acc, best.rep.iters, best.rep.status);
    return 0;
}

static int probe_target(adapt_run *a, const char *method,
                        const float *ftr, const float *fte, int d)
{
    double t0 = pt_seconds();
    pt_probe_task ts;
    if (pt_probe_task_make(&ts, ftr, a->train.y, a->split.val, a->split.n_val, fte, a->test.y,
                           a->test.n, PT_TARGET_FIRST, PT_TASK_CLASSES, d))
        return -1;
    int status = 0;
    pt_progress pg;
    pt_progress_begin(&pg, method, N_COUNTS * a->seeds, "fits");
    for (int i = 0; i < N_COUNTS && status == 0; i++) {
        /* <Fit the target probe at one label count for every seed> */
        int per = label_counts[i];
        double acc[64] = { 0 };
        int ns = a->seeds < 64 ? a->seeds : 64;
        for (int r = 0; r < ns && status == 0; r++) {
            unsigned long long seed = a->c.seed + (unsigned long long)r;
            if (per == 0 && r > 0) acc[r] = acc[0];          /* the same sample */
            else status = fit_target(a, &ts, method, per, seed, ftr, &acc[r]);
            if (status == 0) status = pt_curve_add(&a->table, method, per, seed, acc[r]);
            pt_progress_update(&pg, i * a->seeds + r + 1);
        }
        if (status == 0) pt_curve_point(a->res, "target", method, per, acc, ns);
    }
    pt_progress_end(&pg);
    pt_probe_task_free(&ts);
    char key[96];
    snprintf(key, sizeof key, "target.%s.seconds", method);
    pt_results_real(a->res, key, pt_seconds() - t0);
    return status;
}
/* <Run the baselines> */
static int run_baselines(adapt_run *a)
{
    double t0 = pt_seconds();
    int d = a->d, K = a->components, status = 0;
    size_t n = (size_t)a->train.n, nt = (size_t)a->test.n;
    float *ftr = malloc(sizeof(float) * n * d), *fte = malloc(sizeof(float) * nt * d);
    if (!ftr || !fte) { free(ftr); free(fte); return pt_fail("out of memory for features"); }
    /* <Fit the principal components on the training pool> */
    double tp = pt_seconds();
    int np = a->split.n_train;
    float *mu = malloc(sizeof(float) * d), *w = malloc(sizeof(float) * d);
    float *v = malloc(sizeof(float) * (size_t)d * d);
    if (!mu || !w || !v) status = pt_fail("out of memory for the PCA");
    else {
        pt_gather(ftr, NULL, a->train.x, a->train.y, a->split.train, np, d, 0);
        status = pt_pca_fit(mu, w, v, ftr, np, d);
    }
    pt_results_int(a->res, "pca.components", K);
    pt_results_real(a->res, "pca.seconds", pt_seconds() - tp);
    if (status == 0) {
        /* <Probe the principal components> */
        pt_pca_project(ftr, a->train.x, mu, v, (int)n, d, K);
        pt_pca_project(fte, a->test.x, mu, v, (int)nt, d, K);
        status = pt_standardize_by_pool(ftr, a->train.n, fte, a->test.n, &a->split, K) ? -1
               : probe_all_classes(a, "logreg_pca10", ftr, fte, K) ? -1
               : probe_target(a, "pca", ftr, fte, K);
    }
    if (status == 0) {
        /* <Probe the pixels> */
        memcpy(ftr, a->train.x, sizeof(float) * n * d);
        memcpy(fte, a->test.x, sizeof(float) * nt * d);
        status = pt_standardize_by_pool(ftr, a->train.n, fte, a->test.n, &a->split, d) ? -1
               : probe_all_classes(a, "logreg_pixels10", ftr, fte, d) ? -1
               : probe_target(a, "pixels", ftr, fte, d);
        free(mu); free(w); free(v);
    }
    free(ftr); free(fte);
    pt_results_real(a->res, "baselines.seconds", pt_seconds() - t0);
    return status;
}
/* <Define the steps of adapt> */
/* <Build the convolutional network of chapter 4> */
static int build_cnn(pt_model *m, int width, int classes, uint64_t seed)
{
    pt_rng init;
    pt_rng_seed(&init, seed);
    if (pt_model_trunk(m, width) || pt_model_linear(m, 128) || pt_model_relu(m)) return -1;
    m->group = PT_GROUP_HEAD;
    if (pt_model_linear(m, classes) || pt_model_alloc(m, 256)) return -1;
    pt_model_init_params(m, &init);
    return 0;
}
/* <Gather the images of a task into a data set> */
static int task_set(pt_dataset *dst, const pt_dataset *src, const int *list, int nlist,
                    int first, int classes, int per, uint64_t seed)
{
    int dim = src->rows * src->cols, *idx = malloc(sizeof(int) * (size_t)(nlist > 0 ? nlist : 1));
    int m = idx ? pt_split_sample(idx, list, nlist, src->y, first, classes, per, seed) : -1;
    memset(dst, 0, sizeof *dst);
    if (m > 0) {
        *dst = (pt_dataset){ m, src->rows, src->cols, malloc(sizeof(float) * (size_t)m * dim),
                             malloc((size_t)m) };
        if (dst->x && dst->y) pt_gather(dst->x, dst->y, src->x, src->y, idx, m, dim, first);
        else { pt_dataset_free(dst); m = pt_fail("out of memory for a task"); }
    }
    free(idx);
    return m > 0 ? 0 : -1;
}

/* the whole test file as a list of indices, for task_set */
static int *all_indices(int n)
{
    int *l = malloc(sizeof(int) * (size_t)n);
    if (l) for (int i = 0; i < n; i++) l[i] = i;
    return l;
}
/* <Pretrain the network on the source task> */
static int train_supervised(adapt_run *a, pt_model *m, int first, int classes,
                            const char *name, pt_train_run *run);

static int run_pretrain(adapt_run *a)
{
    if (a->have_pre) return 0;
    pt_train_run run;
    int status = train_supervised(a, &a->pre, PT_SOURCE_FIRST, PT_TASK_CLASSES,
                                  "pretrain_source", &run);
    if (status == 0) {
        a->have_pre = 1;
        pt_results_int(a->res, "pretrain.epochs", a->pre_epochs);
        pt_results_int(a->res, "pretrain.width", a->width);
        pt_results_int(a->res, "pretrain.params", (long long)a->pre.params.size);
        pt_results_int(a->res, "pretrain.steps", run.step);
        pt_results_real(a->res, "pretrain.examples_per_second",
                        run.seconds > 0 ? run.examples / run.seconds : 0);
        /* <Write the pretraining curves> */
        status = pt_train_run_write(&run, a->c.out, "pretrain_curves.tsv",
                                    "step\tepoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc");
        /* <Keep the pretrained network for later chapters> */
        char path[4200];
        snprintf(path, sizeof path, "%s/pretrained.safetensors", a->c.out);
        if (status == 0 && pt_checkpoint_save(path, &a->pre.params, NULL, NULL)) status = -1;
    }
    pt_train_run_free(&run);
    return status;
}
/* <Probe the features of a network> */
static int probe_network(adapt_run *a, const char *method, pt_model *m, int upto)
{
    int d = (int)pt_model_out_size(m, upto);
    float *ftr = malloc(sizeof(float) * (size_t)a->train.n * d);
    float *fte = malloc(sizeof(float) * (size_t)a->test.n * d);
    int status = !ftr || !fte ? pt_fail("out of memory for features")
               : pt_model_features(ftr, m, upto, a->train.x, a->train.n) ||
                 pt_model_features(fte, m, upto, a->test.x, a->test.n) ||
                 pt_standardize_by_pool(ftr, a->train.n, fte, a->test.n, &a->split, d) ? -1
               : probe_target(a, method, ftr, fte, d);
    free(ftr); free(fte);
    return status;
}

static int run_probe(adapt_run *a)
{
    pt_model rnd;
    if (run_pretrain(a) || probe_network(a, "probe", &a->pre, PT_TRUNK_LAYERS) ||
        probe_network(a, "probe_hidden", &a->pre, a->pre.n - 1))
        return -1;
    if (build_cnn(&rnd, a->width, PT_TASK_CLASSES, a->c.seed + 7)) return -1;
    int status = probe_network(a, "random", &rnd, PT_TRUNK_LAYERS);
    pt_model_free(&rnd);
    return status;
}
/* <Fine-tune and train from scratch on the target task> */
static int adapt_network(adapt_run *a, const char *method, int per, uint64_t seed,
                         const pt_dataset *va, const pt_dataset *te, double *acc)
{
    pt_dataset tr;
    pt_model m[2];
    if (task_set(&tr, &a->train, a->split.train, a->split.n_train, PT_TARGET_FIRST,
                 PT_TASK_CLASSES, per, seed))
        return -1;
    int scratch = !strcmp(method, "scratch"), tries = scratch ? 1 : 2, best = -1, status = 0;
    double fractions[2] = { scratch ? 1 : a->ft_backbone, 1 }, loss;
    pt_finetune_report rep[2];
    for (int t = 0; t < tries && status == 0; t++) {
        /* <Train one candidate and keep it if it is the best on validation> */
        int c = t;                            /* candidate t lives in m[t] */
        pt_finetune_config fc = { .steps = per > 0 ? a->ft_steps : 2 * tr.n / 32, .batch = 32,
                                  .evals = a->ft_evals, .lr = 2e-3, .backbone_lr = fractions[t],
                                  .weight_decay = 0.05, .clip = 5.0, .seed = seed };
        if (build_cnn(&m[c], a->width, PT_TASK_CLASSES, seed + 3)) { status = -1; break; }
        if ((!scratch && pt_params_copy_group(&m[c].params, &a->pre.params, PT_GROUP_BACKBONE)) ||
            pt_finetune(&m[c], &tr, va, &fc, &rep[c])) {
            pt_model_free(&m[c]);
            status = -1;
        } else if (best < 0 || rep[c].best_val_acc > rep[best].best_val_acc) {
            if (best >= 0) pt_model_free(&m[best]);
            best = c;
        } else pt_model_free(&m[c]);


    }
    if (status == 0 && pt_model_evaluate(&m[best], te, &loss, acc) == 0)
        fprintf(a->fits, "%s\t%d\t%llu\t%g\t%.6f\t%.6f\t%lld\t0\n", method, per,
                (unsigned long long)seed, fractions[best], rep[best].best_val_acc, *acc,
                rep[best].best_step);
    else status = -1;
    if (best >= 0) pt_model_free(&m[best]);
    pt_dataset_free(&tr);
    return status;
}
/* <Fine-tune and train from scratch on the target task> */
static int run_finetune(adapt_run *a)
{
    double t0 = pt_seconds();
    pt_dataset va, vall, te;
    int *tl = all_indices(a->test.n);
    if (!tl || run_pretrain(a) ||
        task_set(&va, &a->train, a->split.val, a->split.n_val, PT_TARGET_FIRST,
                 PT_TASK_CLASSES, a->ft_val_per_class, a->c.seed) ||
        task_set(&vall, &a->train, a->split.val, a->split.n_val, PT_TARGET_FIRST,
                 PT_TASK_CLASSES, 0, 0) ||
        task_set(&te, &a->test, tl, a->test.n, PT_TARGET_FIRST, PT_TASK_CLASSES, 0, 0)) {
        free(tl);
        return -1;
    }
    free(tl);
    static const char *const methods[2] = { "finetune", "scratch" };
    int status = 0;
    for (int k = 0; k < 2 && status == 0; k++)
        for (int i = 0; i < N_COUNTS && status == 0; i++) {
            /* <Adapt the network at one label count for every seed> */
            int per = label_counts[i], ns = a->seeds < 64 ? a->seeds : 64;
            double acc[64] = { 0 };
            for (int r = 0; r < ns && status == 0; r++) {
                unsigned long long seed = a->c.seed + (unsigned long long)r;
                if (per == 0 && r > 0) acc[r] = acc[0];          /* the same sample */
                else status = adapt_network(a, methods[k], per, seed, per ? &va : &vall, &te, &acc[r]);
                if (status == 0) status = pt_curve_add(&a->table, methods[k], per, seed, acc[r]);
            }
            if (status == 0) pt_curve_point(a->res, "target", methods[k], per, acc, ns);
        }
    pt_results_real(a->res, "finetune.backbone_lr", a->ft_backbone);
    pt_results_real(a->res, "target.finetune_scratch.seconds", pt_seconds() - t0);
    pt_dataset_free(&va); pt_dataset_free(&vall); pt_dataset_free(&te);
    return status;
}
/* <Train the network on all ten classes> */
static int train_supervised(adapt_run *a, pt_model *m, int first, int classes,
                            const char *name, pt_train_run *run)
{
    double t0 = pt_seconds();
    pt_dataset tr, va, te;
    int *tl = all_indices(a->test.n), status = -1;
    pt_train_run_init(run, a->c.seed + 1);
    if (!tl) return pt_fail("out of memory");
    if (task_set(&tr, &a->train, a->split.train, a->split.n_train, first, classes, 0, 0) ||
        task_set(&va, &a->train, a->split.val, a->split.n_val, first, classes, 0, 0) ||
        task_set(&te, &a->test, tl, a->test.n, first, classes, 0, 0)) {
        free(tl);
        return -1;
    }
    free(tl);
    /* <Train m on tr and measure it on va and te> */
    pt_optim o;
    int B = 64, per_epoch = tr.n / B;
    if (build_cnn(m, a->width, classes, a->c.seed) == 0 && pt_optim_init(&o, PT_ADAMW, &m->params) == 0) {
        o.weight_decay = 0.05;
        pt_train_config tc = { .epochs = a->pre_epochs, .batch = B, .lr = 2e-3, .final_lr_frac = 0.05,
                               .warmup = per_epoch / 10 + 1, .clip = 5.0,
                               .eval_every = a->c.profile == PT_SMOKE ? 2 : per_epoch / 4 };
        double vl, vacc, tl2, tacc;
        if (pt_train(m, &o, &tr, &va, &tc, run) == 0 &&
            pt_model_evaluate(m, &va, &vl, &vacc) == 0 && pt_model_evaluate(m, &te, &tl2, &tacc) == 0) {
            char key[96];
            snprintf(key, sizeof key, "%s.test_acc", name);  pt_results_real(a->res, key, tacc);
            snprintf(key, sizeof key, "%s.val_acc", name);   pt_results_real(a->res, key, vacc);
            snprintf(key, sizeof key, "%s.seconds", name);   pt_results_real(a->res, key, pt_seconds() - t0);
            fprintf(stderr, "adapt: %s: validation %.4f, test %.4f\n", name, vacc, tacc);
            status = 0;
        }
        pt_optim_free(&o);
        if (status) pt_model_free(m);
    }
    pt_dataset_free(&tr); pt_dataset_free(&va); pt_dataset_free(&te);
    return status;
}

static int run_supervised(adapt_run *a)
{
    pt_model m;
    pt_train_run run;
    int status = train_supervised(a, &m, 0, PT_FMNIST_CLASSES, "supervised10", &run);
    pt_train_run_free(&run);
    if (status == 0) pt_model_free(&m);
    return status;
}

static const adapt_step steps[] = {
    /* <List the steps of adapt> */
    { "baselines", run_baselines },
    /* <List the steps of adapt> */
    { "pretrain", run_pretrain },
    { "probe", run_probe },
    { "finetune", run_finetune },
    { "supervised", run_supervised },
    { 0 }
};

int main(int argc, char **argv)
{
    adapt_run a;
    memset(&a, 0, sizeof a);
    /* <Parse the command line of adapt> */
    const char *step = pt_parse_step(argc, argv, &prog, &a.c, steps, sizeof steps[0]);
    if (components < 1 || components > 784)
        pt_usage_error(&prog, "--components must lie in [1, 784]");
    if (max_iter < 1) pt_usage_error(&prog, "--max-iter must be positive");
    if (!(backbone_lr >= 0 && backbone_lr <= 1))
        pt_usage_error(&prog, "--backbone-lr must lie in [0, 1]");
    /* <Set the profile of adapt> */
    int smoke = a.c.profile == PT_SMOKE, full = a.c.profile == PT_FULL;
    a.train_limit = smoke ? 3000 : 0;
    a.test_limit = smoke ? 1000 : 0;
    a.val_per_class = smoke ? 50 : 1000;
    a.seeds = full ? 10 : 3;
    a.components = components;
    a.opts = pt_lbfgs_defaults();
    a.opts.max_iter = smoke ? 25 : full ? 10 * max_iter : max_iter;
    a.width = width > 0 ? width : smoke ? 4 : full ? 32 : 16;
    a.pre_epochs = smoke ? 1 : full ? 15 : 3;
    a.ft_steps = smoke ? 10 : full ? 500 : 100;
    a.ft_evals = smoke ? 2 : full ? 10 : 3;
    a.ft_val_per_class = smoke ? 50 : full ? 1000 : 100;
    a.ft_backbone = backbone_lr;
    pt_announce(&prog, &a.c);
    double t_start = pt_seconds();
    /* <Load Fashion-MNIST and hold out the validation set of adapt> */
    const char *dir = pt_fmnist_dir(a.c.data);
    if (pt_fmnist_load(&a.train, dir, "train", a.train_limit) ||
        pt_fmnist_load(&a.test, dir, "t10k", a.test_limit))
        pt_die(&prog);
    a.d = a.train.rows * a.train.cols;
    if (pt_split_holdout(&a.split, a.train.y, a.train.n, 0, PT_FMNIST_CLASSES,
                         a.val_per_class, a.c.seed))
        pt_die(&prog);
    a.res = pt_results_new();
    pt_file fits;
    if (!(a.fits = pt_file_open(&fits, a.c.out, "target_fits.tsv"))) pt_die(&prog);
    fprintf(a.fits, "method\tlabels_per_class\tseed\tlambda\tval_acc\ttest_acc\titers\tstatus\n");
    pt_results_int(a.res, "train.n", a.train.n);
    pt_results_int(a.res, "pool.n", a.split.n_train);
    pt_results_int(a.res, "val.n", a.split.n_val);
    pt_results_int(a.res, "test.n", a.test.n);
    pt_results_int(a.res, "seeds", a.seeds);
    for (const adapt_step *s = steps; s->name; s++)
        if (!step || !strcmp(step, s->name))
            if (s->run(&a)) pt_die(&prog);
    /* <Write the outputs of adapt and finish> */
    if (pt_curve_write(&a.table, a.c.out) || pt_file_commit(&fits)) pt_die(&prog);
    pt_results_real(a.res, "total.seconds", pt_seconds() - t_start);
    if (pt_results_write(a.res, a.c.out)) pt_die(&prog);
    fprintf(stderr, "adapt: %d rows of label efficiency written to %s\n",
            a.table.n, a.c.out);
    pt_results_free(a.res);
    if (a.have_pre) pt_model_free(&a.pre);
    pt_curve_free(&a.table);
    pt_split_free(&a.split);
    pt_dataset_free(&a.train);
    pt_dataset_free(&a.test);
    return 0;
}
