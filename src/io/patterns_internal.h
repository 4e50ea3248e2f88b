/* Private to the library: the instrument formats that are zip archives (patterns_zip.c), for
 * xs_pattern_read, and what they need from patterns.c. */
#ifndef XS_PATTERNS_INTERNAL_H
#define XS_PATTERNS_INTERNAL_H
#include "xrdsym/xs_pattern.h"

/* Rigaku .rasx and Bruker .brml: every 2theta scan of the archive, named "path#K" where it holds several.
 * An archive that is neither, or a scan of another axis, is an error naming the file and its member. */
xs_status xs_pattern_read_zip(const char *path, xs_pattern ***patterns, size_t *n, xs_error *err);

/* Measured points (2theta, intensity) as a reader collects them. */
typedef struct {
    double *x, *y;
    size_t n, cap;
    int descending; /* a scan from high to low angle (two-column text only); reversed when read */
} xs_points;
int xs_points_push(xs_points *b, double x, double y); /* 0 when out of memory */

/* The K-alpha2 line a pattern was measured with (angstrom) and its intensity ratio to K-alpha1. */
void xs_pattern_set_kalpha2(xs_pattern *p, double kalpha2, double ratio);
#endif
