/* Search-match (xs_match): the fast similarity (one matrix product over all shifts) against the readable
 * reference for every reference and shift, the k best in order, a shifted pattern found with its shift, the
 * grid's wavelength moving the references' peaks, and the errors of bad patterns and arguments. The
 * comparison with an independent numpy implementation is tests/test_match.py. */
#include "xrdsym.h"
#include "xs_test.h"
#include "xs_fixtures.h"

static void gaussian(float *y, const xs_grid *g, double at, double height, double fwhm)
{
    double sigma = fwhm / 2.3548;
    for (size_t i = 0; i < g->count; i++) {
        double u = (g->start + g->step * (double)i - at) / sigma;
        y[i] += (float)(height * exp(-0.5 * u * u));
    }
}

static double lcg(unsigned long long *state) /* a fixed generator: the same numbers every run, 0..1 */
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

/* 300 crystals, each with 6 peaks at their own random positions (10..85 deg) and heights */
static void distinct_dataset(const char *path)
{
    xs_dataset_writer *w = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_writer_create(path, 1.54184, 5, 90, "test_match", &w, &err) == XS_OK, "writer: %s", err.message);
    if (!w) return;
    unsigned long long state = 11;
    for (int i = 0; i < 300; i++) {
        double tt[6], in[6];
        for (int k = 0; k < 6; k++) {
            tt[k] = 10 + 12.5 * k + 12 * lcg(&state);
            in[k] = 10 + 90 * lcg(&state);
        }
        xs_fixture_add_crystal(w, 1 + i % 230, "X", tt, in, 6);
    }
    CHECK(xs_dataset_writer_close(w, 7, 0, 0, &err) == XS_OK, "close: %s", err.message);
}

int main(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/xs_match_%d.h5", (int)getpid());
    distinct_dataset(path);
    xs_dataset *d = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_open(path, &d, &err) == XS_OK, "open: %s", err.message);
    if (!d) return xs_test_finish();
    const xs_grid grid = {5.0, 0.01, 8500};
    xs_match_library *lib = NULL;
    CHECK(xs_match_library_create(d, &grid, 1.54184, 20, &lib, &err) == XS_OK, "create: %s", err.message);
    if (!lib) return xs_test_finish();
    CHECK(xs_match_library_count(lib) == 300, "count %zu", xs_match_library_count(lib));

    /* a pattern of crystal 30's peaks, 0.07 deg higher, on a sloped background with a little noise */
    const float *tt = NULL, *in = NULL;
    size_t np = xs_dataset_peaks(d, 30, &tt, &in);
    float *y = calloc(grid.count, sizeof *y);
    unsigned long long state = 3;
    for (size_t i = 0; i < grid.count; i++) y[i] = (float)(5 + 0.05 * (double)i / 100 + 0.5 * lcg(&state));
    for (size_t p = 0; p < np; p++) gaussian(y, &grid, tt[p] + 0.07, 10 * in[p], 0.1);

    xs_match_hit hits[5];
    size_t nh = 0;
    CHECK(xs_match_find(lib, y, 5, hits, &nh, &err) == XS_OK && nh == 5, "find: %s", err.message);
    CHECK(hits[0].index == 30 && fabs(hits[0].shift_deg + 0.07) < 1e-9, "nearest %zu shift %g", hits[0].index,
          hits[0].shift_deg);
    CHECK(hits[0].space_group == xs_dataset_space_group(d, 30), "group %d", hits[0].space_group);
    for (int k = 1; k < 5; k++) CHECK(hits[k].similarity <= hits[k - 1].similarity, "order at %d", k);
    /* fast against reference: every reference at its best shift and at the shifts either side. float32
     * products of unit vectors over 8,500 points against double sums: error ~1e-6; 1e-5 */
    static xs_match_hit every[300];
    size_t n_every = 0;
    CHECK(xs_match_find(lib, y, 300, every, &n_every, &err) == XS_OK && n_every == 300, "all: %zu", n_every);
    double worst = 0;
    for (size_t j = 0; j < n_every; j += 7) {
        double best = -2;
        int best_s = 0;
        for (int s = -20; s <= 20; s++) {
            double v = xs_match_similarity_ref(lib, y, every[j].index, s);
            if (v > best) best = v, best_s = s;
        }
        double dv = fabs(every[j].similarity - best);
        if (dv > worst) worst = dv;
        /* a near tie between two shifts may go either way in float32; then the values must agree */
        CHECK(fabs(every[j].shift_deg - 0.01 * best_s) < 1e-9 || dv < 1e-6,
              "reference %zu: fast %g at %g deg, reference %g at %d steps", every[j].index, every[j].similarity,
              every[j].shift_deg, best, best_s);
    }
    CHECK(worst < 1e-5, "fast vs reference: %g", worst);

    /* k = 0: nothing asked, nothing written */
    CHECK(xs_match_find(lib, y, 0, NULL, &nh, &err) == XS_OK && nh == 0, "k = 0: %zu", nh);
    /* k larger than the library: all of them */
    xs_match_hit *many = malloc(400 * sizeof *many);
    CHECK(xs_match_find(lib, y, 400, many, &nh, &err) == XS_OK && nh == 300, "k > count: %zu", nh);
    free(many);

    /* bad patterns: a NaN, and a flat one (nothing above the background) */
    float keep = y[100];
    y[100] = NAN;
    CHECK(xs_match_find(lib, y, 5, hits, &nh, &err) == XS_ERR_INVALID && nh == 0 && strstr(err.message, "NaN"),
          "NaN: %s", err.message);
    y[100] = keep;
    float *flat = malloc(grid.count * sizeof *flat);
    for (size_t i = 0; i < grid.count; i++) flat[i] = 7;
    CHECK(xs_match_find(lib, flat, 5, hits, &nh, &err) == XS_ERR_INVALID && strstr(err.message, "no signal"),
          "flat: %s", err.message);
    free(flat);

    /* the same references on a Mo K-alpha grid: crystal 30's pattern as measured with Mo is found there */
    xs_match_library *mo = NULL;
    const xs_grid mo_grid = {2.0, 0.01, 4000};
    CHECK(xs_match_library_create(d, &mo_grid, 0.71073, 20, &mo, &err) == XS_OK, "Mo: %s", err.message);
    if (mo) {
        float *ym = calloc(mo_grid.count, sizeof *ym);
        for (size_t p = 0; p < np; p++) {
            double dsp = 1.54184 / (2 * sin(tt[p] * M_PI / 360));
            gaussian(ym, &mo_grid, 2 * asin(0.71073 / (2 * dsp)) * 180 / M_PI, in[p], 0.1);
        }
        CHECK(xs_match_find(mo, ym, 1, hits, &nh, &err) == XS_OK && hits[0].index == 30 &&
                  fabs(hits[0].shift_deg) < 1e-9 && hits[0].similarity > 0.99,
              "Mo: %zu %g %g", hits[0].index, hits[0].shift_deg, hits[0].similarity);
        free(ym);
        xs_match_library_free(mo);
    }

    /* arguments: a shift over a quarter of the grid, a zero wavelength */
    xs_match_library *no = NULL;
    CHECK(xs_match_library_create(d, &grid, 1.54184, 3000, &no, &err) == XS_ERR_RANGE && !no, "shift");
    CHECK(xs_match_library_create(d, &grid, 0, 20, &no, &err) == XS_ERR_RANGE && !no, "wavelength");
    CHECK(isnan(xs_match_similarity_ref(lib, y, 300, 0)), "index out of range");

    free(y);
    xs_match_library_free(lib);
    xs_dataset_free(d);
    unlink(path);
    return xs_test_finish();
}
