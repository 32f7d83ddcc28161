/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* dataset.c: Fashion-MNIST from its IDX files. */
#define _POSIX_C_SOURCE 200809L
#include "pt_base.h"
#include "pt_data.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* <Name the ten classes> */
const char *const pt_fmnist_class_names[PT_FMNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};
/* <Choose the Fashion-MNIST directory> */
const char *pt_fmnist_dir(const char *override)
{
    if (override && *override)
        return override;
    const char *env = getenv("PRETEXT_FASHION_MNIST");
    if (env && *env)
        return env;
    return PT_FMNIST_DEFAULT_DIR;
}
/* <Find one file of a split> */
static int fmnist_path(char *path, size_t size, const char *dir,
                       const char *split, const char *kind)
{
    if ((size_t)snprintf(path, size, "%s/%s-%s-ubyte", dir, split, kind) >= size - 3)
        return pt_fail("%s: directory name too long", dir);
    if (access(path, F_OK) == 0)
        return 0;
    strcat(path, ".gz");
    if (access(path, F_OK) == 0)
        return 0;
    return pt_fail("cannot find %s: install the Debian package dataset-fashion-mnist, "
                   "or name a directory holding the Fashion-MNIST files with --data DIR "
                   "or PRETEXT_FASHION_MNIST", path);
}
/* <Scale bytes to the unit interval> */
void pt_bytes_to_unit(float *x, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)b[i] * (1.0f / 255.0f);
}
/* <Check that images and labels agree> */
static int fmnist_agree(const pt_idx *im, const pt_idx *lb, const char *ipath, const char *lpath)
{
    if (im->ndim != 3 || lb->ndim != 1)
        return pt_fail("%s and %s: expected images of 3 dimensions and labels of 1, found %d and %d",
                       ipath, lpath, im->ndim, lb->ndim);
    if (im->dims[0] != lb->dims[0])
        return pt_fail("%s has %d images but %s has %d labels",
                       ipath, im->dims[0], lpath, lb->dims[0]);
    for (size_t i = 0; i < lb->count; i++)
        if (lb->data[i] >= PT_FMNIST_CLASSES)
            return pt_fail("%s: label %d of example %zu is not below %d",
                           lpath, lb->data[i], i, PT_FMNIST_CLASSES);
    return 0;
}
/* <Build the data set from images and labels> */
static int fmnist_build(pt_dataset *d, const pt_idx *im, const pt_idx *lb,
                        const char *ipath, const char *lpath, int limit)
{
    if (fmnist_agree(im, lb, ipath, lpath) != 0)
        return -1;
    int n = im->dims[0];
    if (limit > 0 && limit < n)
        n = limit;
    size_t pixels = (size_t)im->dims[1] * (size_t)im->dims[2];
    d->x = malloc((size_t)n * pixels * sizeof(float));
    d->y = malloc((size_t)n);
    if (!d->x || !d->y)
        return pt_fail("%s: out of memory for %d images", ipath, n);
    d->n = n;
    d->rows = im->dims[1];
    d->cols = im->dims[2];
    pt_bytes_to_unit(d->x, im->data, (size_t)n * pixels);
    memcpy(d->y, lb->data, (size_t)n);
    return 0;
}
/* <Load a split of Fashion-MNIST> */
int pt_fmnist_load(pt_dataset *d, const char *dir, const char *split, int limit)
{
    char ipath[4096], lpath[4096];
    pt_idx im, lb;
    memset(d, 0, sizeof *d);
    if (!split || (strcmp(split, "train") != 0 && strcmp(split, "t10k") != 0))
        return pt_fail("unknown Fashion-MNIST split '%s': expected train or t10k",
                       split ? split : "(null)");
    if (!dir)
        dir = pt_fmnist_dir(NULL);
    if (fmnist_path(ipath, sizeof ipath, dir, split, "images-idx3") ||
        fmnist_path(lpath, sizeof lpath, dir, split, "labels-idx1"))
        return -1;
    if (pt_idx_load(&im, ipath))
        return -1;
    if (pt_idx_load(&lb, lpath)) {
        pt_idx_free(&im);
        return -1;
    }
    int rc = fmnist_build(d, &im, &lb, ipath, lpath, limit);
    pt_idx_free(&im);
    pt_idx_free(&lb);
    if (rc != 0)
        pt_dataset_free(d);
    return rc;
}

void pt_dataset_free(pt_dataset *d)
{
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}
