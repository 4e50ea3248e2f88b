/* Search-match against the simulated patterns of known structures (include/xrdsym/xs_match.h). */
#include "xrdsym/xs_match.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct xs_match_library {
    size_t count, n;  /* references, grid points */
    int max_shift;
    double step;      /* degrees a grid step */
    float *ref;       /* [count][n], each centred and of unit length */
    int *space_group; /* [count] */
};

/* Running minimum over 2h+1 points, the ends padded with their edge values (numpy.pad mode "edge"), written
 * plainly: 8,500 points and 201-point windows are 1.7 M comparisons, about a millisecond a pattern. */
static void running_minimum(const double *y, size_t n, int h, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double m = INFINITY;
        for (long j = (long)i - h; j <= (long)i + h; j++) {
            long s = j < 0 ? 0 : j >= (long)n ? (long)n - 1 : j;
            if (y[s] < m) m = y[s];
        }
        out[i] = m;
    }
}

/* sqrt of the non-negative part, centred, unit length; 0 when there is nothing left (a flat row). y is
 * scratch: it is left holding the square roots. */
static int normalise_row(double *y, size_t n, float *out)
{
    double mean = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = sqrt(y[i] > 0 ? y[i] : 0);
        mean += y[i];
    }
    mean /= (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (y[i] - mean) * (y[i] - mean);
    if (!(ss > 0)) {
        memset(out, 0, n * sizeof *out);
        return 0;
    }
    double inv = 1 / sqrt(ss);
    for (size_t i = 0; i < n; i++) out[i] = (float)((y[i] - mean) * inv);
    return 1;
}

xs_status xs_match_library_create(const xs_dataset *refs, const xs_grid *grid, double grid_wavelength,
                                  int max_shift, xs_match_library **out, xs_error *err)
{
    *out = NULL;
    if (!grid || !(grid->step > 0) || !(grid_wavelength > 0) || max_shift < 0 ||
        grid->count < 2 * (size_t)max_shift + 2 || (size_t)max_shift > grid->count / 4)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0,
                            "search-match needs a grid of at least 2 * max_shift + 2 points, a shift of at most a "
                            "quarter of it and a positive wavelength");
    size_t count = refs ? xs_dataset_count(refs) : 0;
    if (!count) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "the reference dataset holds no crystal");
    xs_match_library *lib = calloc(1, sizeof *lib);
    double *row = malloc(grid->count * sizeof *row);
    if (lib) {
        lib->ref = malloc(count * grid->count * sizeof *lib->ref);
        lib->space_group = malloc(count * sizeof *lib->space_group);
    }
    if (!lib || !row || !lib->ref || !lib->space_group) {
        free(row);
        xs_match_library_free(lib);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory for %zu reference patterns", count);
    }
    lib->count = count;
    lib->n = grid->count;
    lib->max_shift = max_shift;
    lib->step = grid->step;
    const double sigma = XS_MATCH_FWHM_DEG / (2 * sqrt(2 * log(2)));
    const double ratio = grid_wavelength / xs_dataset_wavelength(refs);
    const double last = grid->start + grid->step * (double)(grid->count - 1);
    for (size_t c = 0; c < count; c++) {
        memset(row, 0, grid->count * sizeof *row);
        const float *tt = NULL, *in = NULL;
        size_t np = xs_dataset_peaks(refs, c, &tt, &in);
        for (size_t p = 0; p < np; p++) {
            double s = sin(tt[p] * M_PI / 360) * ratio;
            if (!(s < 1)) continue;
            double t = 2 * asin(s) * 180 / M_PI;
            if (t < grid->start - 5 * sigma || t > last + 5 * sigma) continue;
            long lo = (long)ceil((t - 5 * sigma - grid->start) / grid->step);
            long hi = (long)floor((t + 5 * sigma - grid->start) / grid->step);
            if (lo < 0) lo = 0;
            if (hi > (long)grid->count - 1) hi = (long)grid->count - 1;
            for (long i = lo; i <= hi; i++) {
                double u = (grid->start + grid->step * (double)i - t) / sigma;
                row[i] += in[p] * exp(-0.5 * u * u);
            }
        }
        normalise_row(row, grid->count, lib->ref + c * grid->count);
        lib->space_group[c] = xs_dataset_space_group(refs, c);
    }
    free(row);
    *out = lib;
    return XS_OK;
}

void xs_match_library_free(xs_match_library *lib)
{
    if (!lib) return;
    free(lib->ref);
    free(lib->space_group);
    free(lib);
}

size_t xs_match_library_count(const xs_match_library *lib) { return lib ? lib->count : 0; }

/* The pattern as the references are: background removed, square-rooted, centred, unit length. */
static xs_status prepare_pattern(const xs_match_library *lib, const float *pattern, float *out, xs_error *err)
{
    size_t n = lib->n;
    double *y = malloc(2 * n * sizeof *y);
    if (!y) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pattern[i])) {
            free(y);
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "the pattern has a NaN or infinite value at point %zu",
                                i);
        }
        y[i] = pattern[i];
    }
    running_minimum(y, n, XS_MATCH_BACKGROUND_HALF_WINDOW, y + n);
    for (size_t i = 0; i < n; i++) y[i] -= y[n + i];
    int ok = normalise_row(y, n, out);
    free(y);
    if (!ok) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "the pattern has no signal above its background");
    return XS_OK;
}

xs_status xs_match_find(const xs_match_library *lib, const float *pattern, size_t k, xs_match_hit *hits,
                        size_t *n_hits, xs_error *err)
{
    *n_hits = 0;
    if (!k) return XS_OK;
    const size_t n = lib->n, count = lib->count, ns = 2 * (size_t)lib->max_shift + 1;
    float *q = malloc(n * sizeof *q), *shifted = malloc(ns * n * sizeof *shifted);
    float *sim = malloc(ns * count * sizeof *sim);
    if (!q || !shifted || !sim) {
        free(q);
        free(shifted);
        free(sim);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    xs_status st = prepare_pattern(lib, pattern, q, err);
    if (st == XS_OK) {
        /* row r holds the pattern rolled by s = r - max_shift: shifted[i] = q[(i - s) mod n] */
        for (size_t r = 0; r < ns; r++) {
            long s = (long)r - lib->max_shift;
            float *dst = shifted + r * n;
            for (size_t i = 0; i < n; i++) dst[i] = q[((long)i - s + (long)n) % (long)n];
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ns, (int)count, (int)n, 1.0f, shifted, (int)n,
                    lib->ref, (int)n, 0.0f, sim, (int)count);
        if (k > count) k = count;
        /* partial selection of the k best references, each at its best shift */
        for (size_t c = 0; c < count; c++) {
            size_t best_r = 0;
            for (size_t r = 1; r < ns; r++)
                if (sim[r * count + c] > sim[best_r * count + c]) best_r = r;
            xs_match_hit h = {c, lib->space_group[c], sim[best_r * count + c],
                              lib->step * (double)((long)best_r - lib->max_shift)};
            size_t pos = *n_hits < k ? (*n_hits)++ : k;
            if (pos == k) {
                if (!(h.similarity > hits[k - 1].similarity)) continue;
                pos = k - 1;
            }
            while (pos > 0 && h.similarity > hits[pos - 1].similarity) {
                hits[pos] = hits[pos - 1];
                pos--;
            }
            hits[pos] = h;
        }
    }
    free(q);
    free(shifted);
    free(sim);
    return st;
}

double xs_match_similarity_ref(const xs_match_library *lib, const float *pattern, size_t i, int shift)
{
    if (!lib || i >= lib->count) return NAN;
    float *q = malloc(lib->n * sizeof *q);
    if (!q) return NAN;
    xs_error err = {0};
    if (prepare_pattern(lib, pattern, q, &err) != XS_OK) {
        free(q);
        return NAN;
    }
    const long n = (long)lib->n;
    double dot = 0;
    for (long j = 0; j < n; j++) dot += (double)q[((j - shift) % n + n) % n] * lib->ref[i * lib->n + (size_t)j];
    free(q);
    return dot;
}
