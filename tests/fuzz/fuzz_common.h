/* Shared by the fuzz targets: the library reads files by path, and picks the reader by the file's name, so a
 * target writes each input to a file of a chosen extension in a private folder and reads it from there. */
#ifndef XS_FUZZ_COMMON_H
#define XS_FUZZ_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xrdsym.h"

static char fuzz_dir[256];

/* The path of data written as a file named "input<ext>", or NULL when it cannot be written. */
static const char *fuzz_file(const char *ext, const unsigned char *data, size_t size)
{
    static char path[512];
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/xs-fuzz-%ld", (long)getpid());
        char cmd[300];
        snprintf(cmd, sizeof cmd, "mkdir -p %s", fuzz_dir);
        if (system(cmd) != 0) return NULL;
    }
    snprintf(path, sizeof path, "%s/input%s", fuzz_dir, ext);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || put != size) return NULL;
    return path;
}

/* The patterns of the file at path (the caller frees them), or 0 when the reader refuses it. A refusal must
 * say why, and what a reader accepts must be finite and strictly increasing in angle (xs_pattern.h); abort()
 * otherwise, which libFuzzer reports as a crash with the input. */
static inline int fuzz_read_patterns(const char *path, xs_pattern ***list, size_t *n)
{
    xs_error err = {0};
    if (xs_pattern_read(path, list, n, &err) != XS_OK) {
        if (!err.message[0]) abort();
        return 0;
    }
    for (size_t i = 0; i < *n; i++) {
        const xs_pattern *p = (*list)[i];
        const double *tt = xs_pattern_two_theta(p), *in = xs_pattern_intensity(p);
        for (size_t j = 0; j < xs_pattern_size(p); j++) {
            if (!isfinite(tt[j]) || !isfinite(in[j])) abort();
            if (j && !(tt[j] > tt[j - 1])) abort();
        }
    }
    return 1;
}

#endif
