/* check_files.h: writing small files for the tests of the file readers
   (chapters 7 and 8). */
#ifndef CHECK_FILES_H
#define CHECK_FILES_H
#include <check.h>
#include <stdio.h>

/* dir/name holding content, or the test fails */
__attribute__((unused)) static void write_file(const char *dir, const char *name, const char *content)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}
#endif
