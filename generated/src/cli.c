/* Tangled from chapters/01-intro.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* cli.c: one table of options drives getopt_long and --help. */
#define _GNU_SOURCE
#include "pt_base.h"
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
/* <Report usage errors and failures> */
_Noreturn void pt_usage_error(const pt_program *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog->name);
    exit(2);
}

_Noreturn void pt_die(const pt_program *prog)
{
    fprintf(stderr, "%s: %s\n", prog->name, pt_errmsg());
    exit(1);
}

const char *pt_profile_name(pt_profile p)
{
    return p == PT_SMOKE ? "smoke" : p == PT_FULL ? "full" : "book";
}
/* <Describe the common options> */
static const char *pt_profile_arg = "book";
static char pt_default_out[512];

static void pt_common_table(pt_option t[7], pt_common *c)
{
    pt_option rows[7] = {
        {"profile", PT_TEXT, &pt_profile_arg, "NAME", "experiment size: smoke (seconds), book or full"},
        {"seed", PT_U64, &c->seed, "N", "seed of the random number generator"},
        {"threads", PT_INT, &c->threads, "N", "threads for BLAS and OpenMP (0: one per core)"},
        {"data", PT_TEXT, &c->data, "DIR", "where to read the data"},
        {"out", PT_TEXT, &c->out, "DIR", "where to write results"},
        {"help", PT_FLAG, NULL, NULL, "print this help and exit"},
        {0},
    };
    memcpy(t, rows, sizeof rows);
}
/* <Print the help of a program> */
static void pt_print_value(FILE *o, const pt_option *t)
{
    switch (t->type) {
    case PT_INT:  fprintf(o, "%d", *(int *)t->value); break;
    case PT_U64:  fprintf(o, "%llu", *(unsigned long long *)t->value); break;
    case PT_REAL: fprintf(o, "%g", *(double *)t->value); break;
    case PT_TEXT: fprintf(o, "%s", *(const char **)t->value ? *(const char **)t->value : "none"); break;
    case PT_FLAG: break;
    }
}
/* <Print the help of a program> */
static void pt_print_rows(FILE *o, const pt_option *t)
{
    for (; t && t->name; t++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", t->name, t->metavar ? "=" : "",
                 t->metavar ? t->metavar : "");
        fprintf(o, "  %-22s %s", left, t->help);
        if (t->type != PT_FLAG && t->value && !strstr(t->help, "default")) {
            fprintf(o, " (default: ");
            pt_print_value(o, t);
            fprintf(o, ")");
        }
        fprintf(o, "\n");
    }
}

static void pt_help(const pt_program *prog, const pt_option *common)
{
    printf("Usage: %s [OPTION]...%s%s\n%s.\n", prog->name,
           prog->args ? " " : "", prog->args ? prog->args : "", prog->summary);
    if (prog->options && prog->options->name) {
        printf("\nOptions:\n");
        pt_print_rows(stdout, prog->options);
    }
    printf("\nCommon options:\n");
    pt_print_rows(stdout, common);
    if (prog->details)
        printf("\n%s\n", prog->details);
    printf("\nExit status: 0 on success, 1 on a failure, 2 on a usage error.\n");
}
/* <Convert an option's argument> */
static void pt_convert(const pt_program *prog, const pt_option *t, const char *arg)
{
    char *end = NULL;
    errno = 0;
    switch (t->type) {
    case PT_FLAG: *(int *)t->value = 1; return;
    case PT_TEXT: *(const char **)t->value = arg; return;
    case PT_INT: {
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < -2147483647L || v > 2147483647L) break;
        *(int *)t->value = (int)v; return;
    }
    case PT_U64: {
        unsigned long long v = strtoull(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-') break;
        *(unsigned long long *)t->value = v; return;
    }
    case PT_REAL: {
        double v = strtod(arg, &end);
        if (errno || end == arg || *end) break;
        *(double *)t->value = v; return;
    }
    }
    pt_usage_error(prog, "--%s: '%s' is not a valid %s", t->name, arg, t->metavar);
}
/* <Parse a command line> */
int pt_parse(int argc, char **argv, const pt_program *prog, pt_common *c)
{
    pt_option common[7], rows[64];
    struct option longs[65];
    int n = 0;
    if (prog->out)
        snprintf(pt_default_out, sizeof pt_default_out, "%s", prog->out);
    else
        snprintf(pt_default_out, sizeof pt_default_out, "out/data/%s", prog->name);
    *c = (pt_common){PT_BOOK, 1, 0, NULL, pt_default_out};
    pt_common_table(common, c);
    /* <Join the program's and the common option tables> */
    for (const pt_option *t = prog->options; t && t->name; t++)
        rows[n++] = *t;
    for (const pt_option *t = common; t->name; t++)
        rows[n++] = *t;
    for (int i = 0; i < n; i++)
        longs[i] = (struct option){rows[i].name,
                                   rows[i].type == PT_FLAG ? no_argument : required_argument,
                                   NULL, 0};
    longs[n] = (struct option){0};
    opterr = 0;
    for (;;) {
        int li = -1, ch = getopt_long(argc, argv, "h", longs, &li);
        if (ch == -1) break;
        if (ch == 'h' || (ch == 0 && rows[li].value == NULL)) { pt_help(prog, common); exit(0); }
        if (ch == '?' || ch == ':')
            pt_usage_error(prog, "unknown option or missing argument: '%s'", argv[optind - 1]);
        pt_convert(prog, &rows[li], optarg);
    }
    /* <Check the profile and the thread count> */
    if (strcmp(pt_profile_arg, "smoke") == 0)     c->profile = PT_SMOKE;
    else if (strcmp(pt_profile_arg, "book") == 0) c->profile = PT_BOOK;
    else if (strcmp(pt_profile_arg, "full") == 0) c->profile = PT_FULL;
    else pt_usage_error(prog, "--profile: '%s' is not smoke, book or full", pt_profile_arg);
    if (c->threads < 0)
        pt_usage_error(prog, "--threads: %d is negative", c->threads);
    return optind;
}
/* <Parse a command line> */
const char *pt_parse_step(int argc, char **argv, const pt_program *prog, pt_common *c,
                          const void *steps, size_t stride)
{
    int first = pt_parse(argc, argv, prog, c);
    if (first >= argc) return NULL;
    if (first + 1 < argc) pt_usage_error(prog, "unexpected argument '%s'", argv[first + 1]);
    for (const char *row = steps; *(const char *const *)row; row += stride)
        if (!strcmp(*(const char *const *)row, argv[first])) return argv[first];
    pt_usage_error(prog, "unknown step '%s'", argv[first]);
}
/* <Parse a command line> */
void pt_announce(const pt_program *prog, const pt_common *c)
{
    int threads = pt_set_threads(c->threads);
    fprintf(stderr, "%s: profile %s, seed %llu, %d thread%s, writing to %s\n",
            prog->name, pt_profile_name(c->profile), c->seed, threads,
            threads == 1 ? "" : "s", c->out);
}
