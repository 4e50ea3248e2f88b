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

/* The scan in b as the k-th pattern of path (1-based), named "path" (the file's only one) or "path#K" (one
 * of several), onto *list (capacity *cap), with its K-alpha2 line and ratio where ka2 > 0; an error names the
 * pattern and data_line. */
xs_status xs_pattern_push_named(const char *path, int k, int several, xs_points *b, double wavelength, double ka2,
                                double ka2_ratio, int data_line, xs_pattern ***list, size_t *n, size_t *cap,
                                xs_error *err);

/* Text between <tag ...> and </tag> at or after `from`, ending before `limit` (NULL: no limit); NULL if absent
 * or empty (<tag/>). *len receives its length, *after (may be NULL) the position after </tag>. */
const char *xs_xml_element(const char *from, const char *limit, const char *tag, size_t *len, const char **after);
/* The 1-based line of text on which `at` lies. */
int xs_text_line_of(const char *text, const char *at);
#endif
