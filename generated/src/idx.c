/* Tangled from chapters/02-data.nw by tangle/tangle.sh: edit the chapter, not this file. */
/* idx.c: read IDX arrays of unsigned bytes, gzipped or not, defensively. */
#define _POSIX_C_SOURCE 200809L
#include "pt_base.h"
#include "pt_data.h"
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
/* <Decode a big-endian 32-bit integer> */
static uint32_t idx_be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
/* <Read exactly len bytes or explain why not> */
static int idx_read(gzFile f, unsigned char *buf, size_t len,
                    const char *path, const char *what)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got > (1u << 30) ? (1u << 30) : len - got;
        int k = gzread(f, buf + got, (unsigned)want);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (got == len)
        return 0;
    int err;
    const char *msg = gzerror(f, &err);
    if (err != Z_OK && err != Z_BUF_ERROR)
        return pt_fail("%s: corrupt data while reading %s: %s", path, what, msg);
    return pt_fail("%s: truncated: %s needs %zu bytes, the file ends after %zu",
                   path, what, len, got);
}
/* <Read and check the magic number> */
static int idx_magic(pt_idx *t, gzFile f, const char *path)
{
    unsigned char m[4];
    if (idx_read(f, m, 4, path, "the magic number"))
        return -1;
    if (m[0] != 0 || m[1] != 0)
        return pt_fail("%s: not an IDX file (it starts %02x %02x %02x %02x, "
                       "an IDX file starts 00 00)", path, m[0], m[1], m[2], m[3]);
    if (m[2] != PT_IDX_UBYTE)
        return pt_fail("%s: elements of type 0x%02x; only unsigned bytes (0x08) are supported",
                       path, m[2]);
    t->ndim = m[3];
    if (t->ndim < 1 || t->ndim > PT_IDX_MAX_DIMS)
        return pt_fail("%s: %d dimensions; expected 1 to %d", path, t->ndim, PT_IDX_MAX_DIMS);
    return 0;
}
/* <Read the dimensions and multiply them> */
static int idx_dims(pt_idx *t, gzFile f, const char *path)
{
    unsigned char b[4 * PT_IDX_MAX_DIMS];
    if (idx_read(f, b, 4 * (size_t)t->ndim, path, "the dimensions"))
        return -1;
    t->count = 1;
    for (int i = 0; i < t->ndim; i++) {
        uint32_t v = idx_be32(b + 4 * i);
        if (v == 0 || v > INT_MAX)
            return pt_fail("%s: dimension %d is %lu; expected 1 to %d",
                           path, i, (unsigned long)v, INT_MAX);
        if (t->count > SIZE_MAX / v)
            return pt_fail("%s: the dimensions multiply to more than %zu elements",
                           path, (size_t)SIZE_MAX);
        t->count *= v;
        t->dims[i] = (int)v;
    }
    return 0;
}
/* <Check that the file can hold the data> */
static int idx_room(const pt_idx *t, gzFile f, const char *path, size_t disk)
{
    size_t header = 4 + 4 * (size_t)t->ndim;
    int plain = gzdirect(f);
    size_t room = plain ? (disk > header ? disk - header : 0)
                        : (disk > SIZE_MAX / 1032 ? SIZE_MAX : disk * 1032);
    if (t->count > room)
        return pt_fail("%s: the header promises %zu bytes of data, but a %s file of %zu bytes "
                       "holds at most %zu", path, t->count, plain ? "plain" : "gzip", disk, room);
    return 0;
}
/* <Read the data and check that nothing follows> */
static int idx_data(pt_idx *t, gzFile f, const char *path)
{
    unsigned char extra;
    int err;
    t->data = malloc(t->count);
    if (!t->data)
        return pt_fail("%s: out of memory for %zu bytes", path, t->count);
    if (idx_read(f, t->data, t->count, path, "the data"))
        return -1;
    int k = gzread(f, &extra, 1);
    const char *msg = gzerror(f, &err);
    if (k < 0 || (err != Z_OK && err != Z_BUF_ERROR))
        return pt_fail("%s: corrupt data at the end of the file: %s", path, msg);
    if (err == Z_BUF_ERROR)
        return pt_fail("%s: truncated: the gzip stream ends without its trailer", path);
    if (k > 0)
        return pt_fail("%s: unexpected bytes after the %zu bytes of data", path, t->count);
    return 0;
}
/* <Load an IDX file> */
int pt_idx_load(pt_idx *t, const char *path)
{
    struct stat st;
    memset(t, 0, sizeof *t);
    if (stat(path, &st) != 0)
        return pt_fail("%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return pt_fail("%s: not a regular file", path);
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return pt_fail("%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    int rc = idx_magic(t, f, path) || idx_dims(t, f, path) ||
             idx_room(t, f, path, (size_t)st.st_size) || idx_data(t, f, path) ? -1 : 0;
    gzclose(f);
    if (rc != 0)
        pt_idx_free(t);
    return rc;
}

void pt_idx_free(pt_idx *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}
