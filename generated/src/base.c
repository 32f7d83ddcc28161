/* Tangled from chapters/01-intro.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* base.c: the shared machinery of chapter 1. */
#define _GNU_SOURCE
#include "pt_base.h"
/* <Include the system headers of base.c> */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
/* <Keep the last error message> */
static _Thread_local char pt_message[2048];

int pt_fail(const char *fmt, ...)
{
    char msg[sizeof pt_message];        /* the arguments may be pt_errmsg() */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(pt_message, msg, sizeof msg);
    return -1;
}

const char *pt_errmsg(void) { return pt_message[0] ? pt_message : "unknown error"; }
/* <Read the clock and set the threads> */
double pt_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int pt_set_threads(int n)
{
    if (n <= 0)
        n = omp_get_num_procs();
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
    return n;
}
/* <Create directories and files atomically> */
int pt_mkdirs(const char *dir)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return pt_fail("%s: path too long", dir);
    for (char *s = p + 1; ; s++) {
        int end = (*s == '\0');
        if (*s == '/' || end) {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return pt_fail("cannot create directory %s: %s", p, strerror(errno));
            if (end)
                break;
            *s = '/';
        }
    }
    return 0;
}
/* <Create directories and files atomically> */
FILE *pt_file_open(pt_file *f, const char *dir, const char *name)
{
    f->fp = NULL;
    if (pt_mkdirs(dir) != 0)
        return NULL;
    if (snprintf(f->path, sizeof f->path, "%s/%s", dir, name) >= (int)sizeof f->path ||
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp.XXXXXX", f->path) >= (int)sizeof f->tmp) {
        pt_fail("%s/%s: path too long", dir, name);
        return NULL;
    }
    int fd = mkstemp(f->tmp);
    if (fd < 0 || fchmod(fd, 0644) != 0 || !(f->fp = fdopen(fd, "w"))) {
        pt_fail("cannot write %s: %s", f->tmp, strerror(errno));
        if (fd >= 0) { close(fd); unlink(f->tmp); }
        return NULL;
    }
    return f->fp;
}
/* <Create directories and files atomically> */
int pt_file_commit(pt_file *f)
{
    int bad = ferror(f->fp);
    if (fclose(f->fp) != 0)
        bad = 1;
    f->fp = NULL;
    if (bad || rename(f->tmp, f->path) != 0) {
        int e = errno;
        unlink(f->tmp);
        return pt_fail("cannot write %s: %s", f->path, strerror(e));
    }
    return 0;
}

void pt_file_abort(pt_file *f)
{
    if (f->fp)
        fclose(f->fp);
    f->fp = NULL;
    unlink(f->tmp);
}
/* <Collect and write results> */
struct pt_results {
    int   n, cap;
    char **key, **val;
};

pt_results *pt_results_new(void) { return calloc(1, sizeof(pt_results)); }

void pt_results_text(pt_results *r, const char *key, const char *v)
{
    int i = 0;
    while (i < r->n && strcmp(r->key[i], key) != 0)
        i++;
    if (i == r->n) {
        /* <Grow the results list by one> */
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 16;
            r->key = realloc(r->key, (size_t)r->cap * sizeof *r->key);
            r->val = realloc(r->val, (size_t)r->cap * sizeof *r->val);
            if (!r->key || !r->val) { perror("pt_results"); exit(1); }
        }
        r->key[r->n++] = strdup(key);
    } else
        free(r->val[i]);
    r->val[i] = strdup(v);
}
/* <Collect and write results> */
void pt_results_int(pt_results *r, const char *key, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    pt_results_text(r, key, s);
}

void pt_results_real(pt_results *r, const char *key, double v)
{
    char s[64];
    snprintf(s, sizeof s, "%.9g", v);
    pt_results_text(r, key, s);
}

int pt_results_write(pt_results *r, const char *dir)
{
    pt_file f;
    if (!pt_file_open(&f, dir, "results.tsv"))
        return -1;
    for (int i = 0; i < r->n; i++)
        fprintf(f.fp, "%s\t%s\n", r->key[i], r->val[i]);
    return pt_file_commit(&f);
}

void pt_results_free(pt_results *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) { free(r->key[i]); free(r->val[i]); }
    free(r->key); free(r->val); free(r);
}
/* <Draw progress> */
void pt_progress_begin(pt_progress *p, const char *what, double total, const char *unit)
{
    p->what = what; p->unit = unit; p->total = total > 0 ? total : 1;
    p->start = p->last_draw = pt_seconds();
    p->tty = isatty(STDERR_FILENO);
    p->last_tenth = 0;
}
/* <Draw progress> */
void pt_progress_update(pt_progress *p, double done)
{
    double now = pt_seconds(), t = now - p->start, f = done / p->total;
    double rate = t > 0 ? done / t : 0, eta = f > 0 ? t * (1 - f) / f : 0;
    int tenth = (int)floor(10 * f);
    if (p->tty && now - p->last_draw >= 0.1) {
        int bar = (int)(30 * f);
        fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %.3g %s/s  ETA %.0f s ",
                p->what, bar, "##############################", 30 - bar, "",
                100 * f, rate, p->unit, eta);
        p->last_draw = now;
    } else if (!p->tty && tenth > p->last_tenth && tenth < 10) {
        fprintf(stderr, "%s: %d%%, %.3g %s/s, ETA %.0f s\n",
                p->what, 10 * tenth, rate, p->unit, eta);
        p->last_tenth = tenth;
    }
}

void pt_progress_end(pt_progress *p)
{
    double t = pt_seconds() - p->start;
    fprintf(stderr, "%s%s: done, %.6g %s in %.2f s\n",
            p->tty ? "\r\033[K" : "", p->what, p->total, p->unit, t);
}
