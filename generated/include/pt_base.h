/* Tangled from chapters/01-intro.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* pt_base.h: errors, clocks, threads, files, results, progress and
   command lines shared by every program of the book. */
#ifndef PT_BASE_H
#define PT_BASE_H
#include <stdio.h>
/* <Declare error reporting> */
/* Record a printf-style message; returns -1 so that `return pt_fail(...)` reads well. */
int pt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message recorded by this thread. */
const char *pt_errmsg(void);
/* <Declare clocks and threads> */
double pt_seconds(void);         /* monotonic wall clock, in seconds */
int    pt_set_threads(int n);    /* n <= 0: one per core; returns the count used */
/* <Declare files that appear whole or not at all> */
typedef struct pt_file {
    FILE *fp;            /* write here */
    char  path[4096];    /* the final name */
    char  tmp[4096];     /* the temporary name, in the same directory */
} pt_file;
int   pt_mkdirs(const char *dir);                                /* mkdir -p */
FILE *pt_file_open(pt_file *f, const char *dir, const char *name);
int   pt_file_commit(pt_file *f);    /* flush, close, rename into place */
void  pt_file_abort(pt_file *f);     /* close and remove the temporary */
/* <Declare the results writer> */
typedef struct pt_results pt_results;
pt_results *pt_results_new(void);
void pt_results_int (pt_results *r, const char *key, long long v);
void pt_results_real(pt_results *r, const char *key, double v);
void pt_results_text(pt_results *r, const char *key, const char *v);
int  pt_results_write(pt_results *r, const char *dir);   /* dir/results.tsv */
void pt_results_free(pt_results *r);
/* <Declare the progress display> */
typedef struct pt_progress {
    const char *what, *unit;   /* "Jacobi sweeps", "sweeps" */
    double total, start, last_draw;
    int    tty, last_tenth;
} pt_progress;
void pt_progress_begin (pt_progress *p, const char *what, double total, const char *unit);
void pt_progress_update(pt_progress *p, double done);
void pt_progress_end   (pt_progress *p);
/* <Declare the command-line parser> */
typedef enum { PT_FLAG, PT_INT, PT_U64, PT_REAL, PT_TEXT } pt_opt_type;
typedef struct pt_option {
    const char *name;      /* long option, without the dashes */
    pt_opt_type type;      /* value points to: int (set to 1), int, unsigned long long,
                              double, const char * */
    void       *value;
    const char *metavar;   /* the argument's name in --help */
    const char *help;
} pt_option;               /* a table ends with a row of zeros */
/* <Declare the command-line parser> */
typedef enum { PT_SMOKE, PT_BOOK, PT_FULL } pt_profile;
typedef struct pt_common {
    pt_profile profile;          /* --profile: smoke, book (default) or full */
    unsigned long long seed;     /* --seed, default 1 */
    int threads;                 /* --threads, default 0: one per core */
    const char *data;            /* --data, default NULL: the program's own default */
    const char *out;             /* --out, default out/data/NAME */
} pt_common;
typedef struct pt_program {
    const char *name, *summary;  /* "pca", "principal components of Fashion-MNIST" */
    const char *args;            /* positional arguments for the usage line, or NULL */
    const pt_option *options;    /* the program's own options, or NULL */
    const char *details;         /* a paragraph for the end of --help, or NULL */
    const char *out;             /* the default of --out, or NULL: out/data/NAME */
} pt_program;
int  pt_parse(int argc, char **argv, const pt_program *prog, pt_common *c);
/* pt_parse, then at most one positional STEP, which must be the name of a
   row of `steps`: rows `stride` bytes apart, each starting with its name,
   a NULL name ending the table.  The step, or NULL if none was given. */
const char *pt_parse_step(int argc, char **argv, const pt_program *prog, pt_common *c,
                          const void *steps, size_t stride);
void pt_announce(const pt_program *prog, const pt_common *c);
const char *pt_profile_name(pt_profile p);
_Noreturn void pt_usage_error(const pt_program *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void pt_die(const pt_program *prog);
#endif
