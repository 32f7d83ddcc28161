/* Tangled from chapters/07-lm.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* text.c: the corpora and their split (Chapter 7). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include "pt_lm.h"

/* <Read a whole file> */
int pt_text_read(pt_text *t, const char *path)
{
    memset(t, 0, sizeof *t);
    FILE *fp = fopen(path, "rb");
    if (!fp) return pt_fail("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16;
    t->bytes = malloc(cap);
    while (t->bytes) {
        t->n += fread(t->bytes + t->n, 1, cap - t->n, fp);
        if (t->n < cap) break;
        unsigned char *b = realloc(t->bytes, cap *= 2);
        if (!b) { free(t->bytes); t->bytes = NULL; }
        else t->bytes = b;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!t->bytes) return pt_fail("out of memory reading %s", path);
    if (bad) { pt_text_free(t); return pt_fail("cannot read %s", path); }
    return 0;
}

void pt_text_free(pt_text *t)
{
    free(t->bytes);
    memset(t, 0, sizeof *t);
}
/* <Read the King James Version from bible> */
int pt_text_kjv(pt_text *t)
{
    memset(t, 0, sizeof *t);
    FILE *p = popen("bible -l0 gen1:1-rev22:21 2>/dev/null", "r");
    if (!p) return pt_fail("cannot run bible: %s", strerror(errno));
    size_t cap = 1 << 22;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int status = (t->bytes = malloc(cap)) ? 0 : pt_fail("out of memory for the KJV");
    while (status == 0 && (len = getline(&line, &lcap, p)) > 0) {
        /* <Keep the words of a verse line> */
        size_t i = 0;
        while (i < (size_t)len && line[i] == ' ') i++;
        size_t digits = i;
        while (i < (size_t)len && line[i] >= '0' && line[i] <= '9') i++;
        if (digits > 0 && i > digits && i < (size_t)len && line[i] == ' ') {
            size_t m = (size_t)len - (i + 1);
            if (t->n + m + 1 > cap) {
                unsigned char *b = realloc(t->bytes, cap = 2 * (t->n + m + 1));
                if (!b) { status = pt_fail("out of memory for the KJV"); break; }
                t->bytes = b;
            }
            memcpy(t->bytes + t->n, line + i + 1, m);
            t->n += m;
            if (m == 0 || t->bytes[t->n - 1] != '\n') t->bytes[t->n++] = '\n';
        }
    }
    free(line);
    int rc = pclose(p), code = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status == 0 && code == 127)
        status = pt_fail("the program 'bible' is not installed: install the Debian package "
                         "bible-kjv, or name a text with --text FILE");
    else if (status == 0 && (code != 0 || t->n < 1000000))
        status = pt_fail("'bible' printed %zu bytes and exited with status %d, not the "
                         "whole KJV (Debian package bible-kjv)", t->n, code);
    if (status) pt_text_free(t);
    return status;
}
/* <Read the fortunes> */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pt_text_fortunes(pt_text *t, const char *dir)
{
    memset(t, 0, sizeof *t);
    if (!dir) dir = "/usr/share/games/fortunes";
    DIR *d = opendir(dir);
    if (!d) return pt_fail("cannot open %s: %s (install the Debian package fortunes)", dir,
                           strerror(errno));
    char **names = NULL;
    int n = 0, status = 0;
    struct dirent *e;
    while (status == 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".dat")) continue;
        char **nn = realloc(names, sizeof *names * (size_t)(n + 1));
        if (!nn || !(nn[n] = strndup(e->d_name, l - 4))) status = pt_fail("out of memory");
        if (nn) names = nn;
        if (status == 0) n++;
    }
    closedir(d);
    if (status == 0 && n == 0) status = pt_fail("%s holds no fortune files", dir);
    if (status == 0) qsort(names, (size_t)n, sizeof *names, by_name);
    /* <Append each fortune file to the text> */
    for (int i = 0; i < n && status == 0; i++) {
        char path[4200];
        pt_text f;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (pt_text_read(&f, path)) { status = -1; break; }
        unsigned char *b = realloc(t->bytes, t->n + f.n + 1);
        if (!b) status = pt_fail("out of memory for the fortunes");
        else {
            t->bytes = b;
            memcpy(t->bytes + t->n, f.bytes, f.n);
            t->n += f.n;
            if (f.n && t->bytes[t->n - 1] != '\n') t->bytes[t->n++] = '\n';
        }
        pt_text_free(&f);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    if (status) pt_text_free(t);
    return status;
}
/* <Split a text into training and held-out parts> */
int pt_text_split(pt_text *train, pt_text *held, const pt_text *t, int block, int every)
{
    memset(train, 0, sizeof *train);
    memset(held, 0, sizeof *held);
    if (block < 1 || every < 2) return pt_fail("pt_text_split: block %d, every %d", block, every);
    train->bytes = malloc(t->n + 1);
    held->bytes = malloc(t->n + 1);
    if (!train->bytes || !held->bytes) {
        pt_text_free(train); pt_text_free(held);
        return pt_fail("out of memory splitting a text of %zu bytes", t->n);
    }
    size_t start = 0;
    long long line = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->bytes[i] == '\n' || i + 1 == t->n) {
            pt_text *to = (line / block) % every == every - 1 ? held : train;
            memcpy(to->bytes + to->n, t->bytes + start, i + 1 - start);
            to->n += i + 1 - start;
            start = i + 1;
            line++;
        }
    return 0;
}
