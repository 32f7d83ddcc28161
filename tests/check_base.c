/* Tests of chapter 1: errors, atomic files, results, the command line. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pt_base.h"

static char dir[64];
static void make_dir(void) { strcpy(dir, "/tmp/pt-base-XXXXXX"); ck_assert_ptr_nonnull(mkdtemp(dir)); }
static int count_files(const char *d)
{
    DIR *h = opendir(d); int n = 0; struct dirent *e;
    ck_assert_ptr_nonnull(h);
    while ((e = readdir(h))) if (e->d_name[0] != '.') n++;
    closedir(h);
    return n;
}
static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(fail_records_message)
{
    ck_assert_int_eq(pt_fail("cannot read %s: %d", "x.idx", 7), -1);
    ck_assert_str_eq(pt_errmsg(), "cannot read x.idx: 7");
}
END_TEST

START_TEST(fail_may_quote_the_last_message)
{
    pt_fail("cannot open %s", "a.idx");
    ck_assert_int_eq(pt_fail("loading the model: %s", pt_errmsg()), -1);
    ck_assert_str_eq(pt_errmsg(), "loading the model: cannot open a.idx");
}
END_TEST

START_TEST(file_commit_renames)
{
    make_dir();
    pt_file f;
    FILE *fp = pt_file_open(&f, dir, "a.tsv");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "x\t1\n");
    char path[256];
    snprintf(path, sizeof path, "%s/a.tsv", dir);
    ck_assert_int_ne(access(path, F_OK), 0);          /* not there before commit */
    ck_assert_int_eq(pt_file_commit(&f), 0);
    ck_assert_str_eq(slurp(path), "x\t1\n");
    ck_assert_int_eq(count_files(dir), 1);            /* no temporary left */
}
END_TEST

START_TEST(file_abort_leaves_nothing)
{
    make_dir();
    pt_file f;
    ck_assert_ptr_nonnull(pt_file_open(&f, dir, "b.tsv"));
    fprintf(f.fp, "half a file");
    pt_file_abort(&f);
    ck_assert_int_eq(count_files(dir), 0);
}
END_TEST

START_TEST(file_open_in_unwritable_place_fails)
{
    pt_file f;
    ck_assert_ptr_null(pt_file_open(&f, "/proc/pretext-no", "c.tsv"));
    ck_assert_ptr_nonnull(strstr(pt_errmsg(), "/proc/pretext-no"));
}
END_TEST

START_TEST(mkdirs_makes_nested)
{
    make_dir();
    char p[256];
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    ck_assert_int_eq(pt_mkdirs(p), 0);
    ck_assert_int_eq(access(p, W_OK), 0);
    ck_assert_int_eq(pt_mkdirs(p), 0);               /* again: already there */
}
END_TEST

START_TEST(results_in_order_last_value_wins)
{
    make_dir();
    pt_results *r = pt_results_new();
    pt_results_int(r, "n", 60000);
    pt_results_real(r, "acc", 0.8421);
    pt_results_text(r, "name", "pca");
    pt_results_int(r, "n", 10000);
    ck_assert_int_eq(pt_results_write(r, dir), 0);
    pt_results_free(r);
    char path[256];
    snprintf(path, sizeof path, "%s/results.tsv", dir);
    ck_assert_str_eq(slurp(path), "n\t10000\nacc\t0.8421\nname\tpca\n");
}
END_TEST

/* The command line: run pt_parse on a made-up program. */
static int iters = 10; static double rate = 0.5; static const char *mode = "fast"; static int verbose;
static const pt_option opts[] = {
    {"iters", PT_INT, &iters, "N", "iterations"},
    {"rate", PT_REAL, &rate, "R", "a rate"},
    {"mode", PT_TEXT, &mode, "NAME", "a mode"},
    {"verbose", PT_FLAG, &verbose, NULL, "talk more"},
    {0},
};
static const pt_program prog = {"demo", "A demonstration", "FILE", opts, NULL, NULL};
static int parse(int argc, char **argv, pt_common *c)
{
    optind = 1;
    if (argc == 2) ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));   /* the error tests */
    return pt_parse(argc, argv, &prog, c);
}

START_TEST(parse_defaults_and_values)
{
    pt_common c;
    char *argv[] = {"demo", "--iters=3", "--rate", "0.25", "--verbose", "--seed=42",
                    "--profile=smoke", "--threads=1", "file.txt", NULL};
    int i = parse(9, argv, &c);
    ck_assert_int_eq(i, 8);
    ck_assert_str_eq(argv[i], "file.txt");
    ck_assert_int_eq(iters, 3);
    ck_assert(rate == 0.25);
    ck_assert_int_eq(verbose, 1);
    ck_assert_str_eq(mode, "fast");
    ck_assert(c.seed == 42ULL);
    ck_assert_int_eq(c.profile, PT_SMOKE);
    ck_assert_int_eq(c.threads, 1);
    ck_assert_str_eq(c.out, "out/data/demo");
}
END_TEST

START_TEST(parse_rejects_bad_number)
{
    pt_common c;
    char *argv[] = {"demo", "--iters=3x", NULL};
    parse(2, argv, &c);          /* exits 2 */
}
END_TEST

START_TEST(parse_rejects_unknown_option)
{
    pt_common c;
    char *argv[] = {"demo", "--bogus", NULL};
    parse(2, argv, &c);
}
END_TEST

START_TEST(parse_rejects_unknown_profile)
{
    pt_common c;
    char *argv[] = {"demo", "--profile=huge", NULL};
    parse(2, argv, &c);
}
END_TEST

/* a table of steps: rows of any type that start with their name */
typedef struct { const char *name; int weight; } demo_step;
static const demo_step demo_steps[] = { { "first", 1 }, { "second", 2 }, { NULL, 0 } };
static const char *parse_step(int argc, char **argv)
{
    pt_common c;
    optind = 1;
    if (argc > 2) ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
    return pt_parse_step(argc, argv, &prog, &c, demo_steps, sizeof demo_steps[0]);
}

START_TEST(parse_step_finds_the_row)
{
    char *none[] = {"demo", "--seed=2", NULL}, *second[] = {"demo", "second", NULL};
    ck_assert_ptr_null(parse_step(2, none));
    ck_assert_str_eq(parse_step(2, second), "second");
}
END_TEST

START_TEST(parse_step_rejects_an_unknown_step)
{
    char *argv[] = {"demo", "third", "--seed=1", NULL};
    parse_step(3, argv);
}
END_TEST

START_TEST(parse_step_rejects_a_second_argument)
{
    char *argv[] = {"demo", "first", "second", NULL};
    parse_step(3, argv);
}
END_TEST

START_TEST(parse_help_exits_zero)
{
    pt_common c;
    char *argv[] = {"demo", "--help", NULL};
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
    parse(2, argv, &c);
}
END_TEST

Suite *base_suite(void)
{
    Suite *s = suite_create("chapter 1: program anatomy");
    TCase *t = tcase_create("files and results");
    tcase_add_test(t, fail_records_message);
    tcase_add_test(t, file_commit_renames);
    tcase_add_test(t, file_abort_leaves_nothing);
    tcase_add_test(t, file_open_in_unwritable_place_fails);
    tcase_add_test(t, mkdirs_makes_nested);
    tcase_add_test(t, results_in_order_last_value_wins);
    tcase_add_test(t, fail_may_quote_the_last_message);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("command line");
    tcase_add_test(p, parse_defaults_and_values);
    tcase_add_exit_test(p, parse_rejects_bad_number, 2);
    tcase_add_exit_test(p, parse_rejects_unknown_option, 2);
    tcase_add_exit_test(p, parse_rejects_unknown_profile, 2);
    tcase_add_exit_test(p, parse_help_exits_zero, 0);
    tcase_add_test(p, parse_step_finds_the_row);
    tcase_add_exit_test(p, parse_step_rejects_an_unknown_step, 2);
    tcase_add_exit_test(p, parse_step_rejects_a_second_argument, 2);
    suite_add_tcase(s, p);
    return s;
}
