/* Tangled from chapters/04-nn.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* nn: a small convolutional network trained on Fashion-MNIST (Chapter 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt_base.h"
#include "pt_data.h"
#include "pt_nn.h"

/* <Define the options of nn> */
static int epochs = 0, batch = 64, every = 0, patience = 3, width = 0;
static double lr = 2e-3, wd = 0.05;
static const char *resume = NULL, *optimizer = "adamw";
static const pt_option options[] = {
    { "epochs", PT_INT, &epochs, "N", "passes over the training set (default: by profile)" },
    { "batch", PT_INT, &batch, "N", "examples per step (64)" },
    { "width", PT_INT, &width, "N", "filters of the first convolution, 2N of the second\n"
                                    "(default: 16, or 32 with --profile full)" },
    { "lr", PT_REAL, &lr, "X", "peak learning rate (0.002)" },
    { "weight-decay", PT_REAL, &wd, "X", "weight decay lambda (0.05)" },
    { "optimizer", PT_TEXT, &optimizer, "NAME", "sgd, adam or adamw (adamw)" },
    { "patience", PT_INT, &patience, "N", "stop after N evaluations without improvement (3)" },
    { "checkpoint-every", PT_INT, &every, "N", "save a checkpoint every N steps (0: at the end)" },
    { "resume", PT_TEXT, &resume, "FILE", "continue the run saved in FILE (same flags)" },
    { 0 }
};
static const pt_program prog = {
    "nn", "train a small convolutional network on Fashion-MNIST", "", options,
    "Trains conv 32 - pool - conv 64 - pool - linear 128 - linear 10 with AdamW on\n"
    "Fashion-MNIST, 5000 training images held out for validation. Writes\n"
    "curves.tsv, checkpoint.safetensors, model.safetensors and results.tsv\n"
    "to --out (out/data/nn). A resumed run must use the same flags and seed.",
    NULL,
};
/* <Split a validation set off the training set> */
static int split_off(pt_dataset *tr, pt_dataset *va, const pt_dataset *all,
                     int nval, unsigned long long seed)
{
    int n = all->n, *idx = malloc(sizeof(int) * n);
    size_t dim = (size_t)all->rows * all->cols;
    pt_rng rng;
    if (!idx || nval >= n) { free(idx); return pt_fail("cannot hold out %d of %d images", nval, n); }
    pt_rng_seed(&rng, seed ^ 0x5eed5eed5eedULL);
    for (int i = 0; i < n; i++) idx[i] = i;
    pt_rng_shuffle(&rng, idx, n);
    pt_dataset *part[2] = { va, tr };
    for (int p = 0; p < 2; p++) {
        int lo = p ? nval : 0, cnt = p ? n - nval : nval;
        *part[p] = (pt_dataset){ cnt, all->rows, all->cols,
                                 malloc(sizeof(float) * dim * cnt), malloc(cnt) };
        if (!part[p]->x || !part[p]->y) { free(idx); return pt_fail("out of memory"); }
        for (int i = 0; i < cnt; i++) {
            memcpy(part[p]->x + dim * i, all->x + dim * idx[lo + i], sizeof(float) * dim);
            part[p]->y[i] = all->y[idx[lo + i]];
        }
    }
    free(idx);
    return 0;
}
/* <Write the training curves> */
static int write_curves(const char *dir, const pt_train_run *r)
{
    return pt_train_run_write(r, dir, "curves.tsv",
                              "step\tepoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc");
}

int main(int argc, char **argv)
{
    pt_common c;
    /* <Parse the command line of nn> */
    int first = pt_parse(argc, argv, &prog, &c);
    if (first < argc) pt_usage_error(&prog, "unexpected argument '%s'", argv[first]);
    pt_optim_kind kind = !strcmp(optimizer, "sgd") ? PT_SGD : !strcmp(optimizer, "adam") ? PT_ADAM : PT_ADAMW;
    if (strcmp(optimizer, pt_optim_name(kind)))
        pt_usage_error(&prog, "--optimizer must be sgd, adam or adamw, not '%s'", optimizer);
    if (batch <= 0 || epochs < 0 || every < 0 || patience < 0 || !(lr > 0))
        pt_usage_error(&prog, "--batch and --lr must be positive; --epochs, --patience "
                              "and --checkpoint-every not negative");
    int smoke = c.profile == PT_SMOKE;
    if (epochs == 0) epochs = smoke ? 1 : c.profile == PT_BOOK ? 2 : 15;
    if (width <= 0) width = c.profile == PT_FULL ? 32 : 16;
    const char *out = c.out;
    pt_announce(&prog, &c);
    pt_results *res = pt_results_new();
    /* <Load Fashion-MNIST and hold out the validation set> */
    pt_dataset all, train, val, test;
    const char *dir = pt_fmnist_dir(c.data);
    if (pt_fmnist_load(&all, dir, "train", smoke ? 600 : 0) ||
        pt_fmnist_load(&test, dir, "t10k", smoke ? 200 : 0))
        pt_die(&prog);
    if (split_off(&train, &val, &all, smoke ? 100 : 5000, c.seed)) pt_die(&prog);
    pt_dataset_free(&all);
    pt_results_int(res, "train.n", train.n);
    pt_results_int(res, "val.n", val.n);
    pt_results_int(res, "test.n", test.n);
    /* <Build the convolutional network> */
    pt_model m;
    pt_rng init;
    pt_rng_seed(&init, c.seed);
    if (pt_model_init(&m, 1, train.rows, train.cols) ||
        pt_model_conv(&m, width, 3, 1, 1) || pt_model_relu(&m) || pt_model_maxpool(&m) ||
        pt_model_conv(&m, 2 * width, 3, 1, 1) || pt_model_relu(&m) || pt_model_maxpool(&m) ||
        pt_model_flatten(&m) || pt_model_linear(&m, 128) || pt_model_relu(&m))
        pt_die(&prog);
    m.group = PT_GROUP_HEAD;
    if (pt_model_linear(&m, PT_FMNIST_CLASSES) || pt_model_alloc(&m, batch < 256 ? 256 : batch))
        pt_die(&prog);
    pt_model_init_params(&m, &init);
    pt_results_int(res, "params", (long long)m.params.size);
    pt_results_int(res, "width", width);
    /* <Train the network, or resume its training> */
    pt_optim opt;
    pt_train_run run;
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", out);
    if (pt_optim_init(&opt, kind, &m.params)) pt_die(&prog);
    opt.weight_decay = wd;
    pt_train_run_init(&run, c.seed + 1);
    if (resume && pt_checkpoint_load(resume, &m.params, &opt, &run)) pt_die(&prog);
    int per_epoch = train.n / batch;
    pt_train_config tc = { .epochs = epochs, .batch = batch, .lr = lr, .final_lr_frac = 0.05,
                           .warmup = per_epoch / 10 + 1, .clip = 5.0, .patience = patience,
                           .eval_every = smoke ? 2 : per_epoch / 4, .checkpoint = ckpt,
                           .checkpoint_every = every };
    if (pt_train(&m, &opt, &train, &val, &tc, &run)) pt_die(&prog);
    /* <Measure the network on the test set and write the results> */
    double test_loss, test_acc, val_loss, val_acc;
    if (pt_model_evaluate(&m, &val, &val_loss, &val_acc) ||
        pt_model_evaluate(&m, &test, &test_loss, &test_acc))
        pt_die(&prog);
    char model_path[4200];
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", out);
    if (write_curves(out, &run) || pt_checkpoint_save(model_path, &m.params, NULL, NULL)) pt_die(&prog);
    /* <Record the results of nn> */
    pt_results_text(res, "optimizer", pt_optim_name(kind));
    pt_results_int(res, "batch", batch);
    pt_results_real(res, "lr", lr);
    pt_results_int(res, "steps", run.step);
    pt_results_real(res, "epochs", (double)run.step / per_epoch);
    pt_results_int(res, "stopped_early", run.stopped);
    pt_results_real(res, "val_loss", val_loss);
    pt_results_real(res, "val_acc", val_acc);
    pt_results_real(res, "test_loss", test_loss);
    pt_results_real(res, "test_acc", test_acc);
    pt_results_real(res, "train.seconds", run.seconds);
    pt_results_real(res, "examples_per_second", run.seconds > 0 ? run.examples / run.seconds : 0);
    if (pt_results_write(res, out)) pt_die(&prog);
    printf("nn: test accuracy %.4f (validation %.4f) after %lld steps\n", test_acc, val_acc, run.step);
    pt_results_free(res);
    pt_train_run_free(&run);
    pt_optim_free(&opt);
    pt_model_free(&m);
    pt_dataset_free(&train); pt_dataset_free(&val); pt_dataset_free(&test);
    return 0;
}
