/* Measured-pattern files: every format read back from small files written here, the errors of broken
 * ones, and the mapping onto a grid through d-spacings. */
#include "xrdsym.h"

#include <zlib.h>
#include "xs_test.h"

#include <unistd.h>

static char tmp_path[64];

static const char *write_tmp(const char *ext, const char *text)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/xs_pat_%d%s", (int)getpid(), ext);
    FILE *f = fopen(tmp_path, "w");
    fputs(text, f);
    fclose(f);
    return tmp_path;
}

static xs_status read_one(const char *ext, const char *text, xs_pattern ***l, size_t *n, xs_error *err)
{
    const char *path = write_tmp(ext, text);
    xs_status st = xs_pattern_read(path, l, n, err);
    unlink(path);
    return st;
}

/* A Gaussian peak at 2theta c (FWHM 0.1) on a..b step s, written as "x<sep>y" lines. */
static void gaussian_lines(char *buf, size_t size, double a, double b, double s, double c, const char *sep)
{
    size_t used = 0;
    for (double x = a; x <= b + 1e-9; x += s) {
        double y = 10 + 1000 * exp(-4 * log(2) * (x - c) * (x - c) / 0.01);
        used += (size_t)snprintf(buf + used, size - used, "%.4f%s%.3f\n", x, sep, y);
    }
}

/* What xs_pattern_read_ex reported: kinds and lines in order. */
typedef struct {
    int n, kind[4], line[4];
    char message[4][1024];
} warnings_seen;

static void collect_warning(xs_pattern_warning_kind kind, const xs_error *w, void *user)
{
    warnings_seen *seen = user;
    if (seen->n < 4) {
        seen->kind[seen->n] = (int)kind;
        seen->line[seen->n] = w->line;
        snprintf(seen->message[seen->n], sizeof seen->message[0], "%s", w->message);
    }
    seen->n++;
}

static xs_status read_one_ex(const char *ext, const char *text, warnings_seen *seen, xs_pattern ***l, size_t *n,
                             xs_error *err)
{
    const char *path = write_tmp(ext, text);
    memset(seen, 0, sizeof *seen);
    xs_status st = xs_pattern_read_ex(path, collect_warning, seen, l, n, err);
    unlink(path);
    return st;
}

static double argmax_angle(const float *v, const xs_grid *g)
{
    size_t best = 0;
    for (size_t i = 1; i < g->count; i++)
        if (v[i] > v[best]) best = i;
    return g->start + g->step * (double)best;
}

int main(void)
{
    static char text[1 << 21], body[1 << 20];
    xs_pattern **l = NULL;
    size_t n = 0;
    xs_error err = {0};
    xs_grid grid = xs_grid_paper();
    float *out = malloc(grid.count * sizeof *out);

    /* xy with a RRUFF-style header naming the wavelength */
    gaussian_lines(body, sizeof body, 5, 90, 0.02, 30, " ");
    snprintf(text, sizeof text, "##NAMES=Quartz\n##X-RAY WAVELENGTH=1.541838\n%s##END=\n", body);
    CHECK(read_one(".txt", text, &l, &n, &err) == XS_OK && n == 1, "RRUFF text: %s", err.message);
    if (n == 1) {
        CHECK_NEAR(xs_pattern_wavelength(l[0]), 1.541838, 1e-9, "wavelength from the header");
        CHECK(xs_pattern_size(l[0]) == 4251, "4251 points, got %zu", xs_pattern_size(l[0]));
        double cov;
        CHECK(xs_pattern_to_grid(l[0], 1.541838, &grid, 1.541838, 0.5, out, &cov, &err) == XS_OK, "to grid: %s", err.message);
        /* 0.01: the grid step; the peak is sampled every 0.02 and interpolated */
        CHECK_NEAR(argmax_angle(out, &grid), 30, 0.011, "peak stays at 30 deg on the same wavelength");
        CHECK_NEAR(cov, 1.0, 1e-9, "full coverage");
        float lo = out[0], hi = out[0];
        for (size_t i = 0; i < grid.count; i++) {
            if (out[i] < lo) lo = out[i];
            if (out[i] > hi) hi = out[i];
        }
        CHECK(lo == 0.0f && hi == 1.0f, "normalised to 0..1: %g..%g", lo, hi);
    }
    xs_pattern_list_free(l, n);

    /* header wavelengths in other units: nm and pm converted, an energy turned into its wavelength (12.39842 keV A),
     * and a value absurd in its stated unit refused by name rather than read as angstrom */
    {
        static const struct {
            const char *header;
            double wavelength; /* 0: refused */
        } units[] = {{"# wavelength: 0.15406 nm", 1.5406},       {"# Lambda (nm) = 0.15406", 1.5406},
                     {"# wavelength 154.06 pm", 1.5406},         {"# Energy: 17.0 keV", 12.398420 / 17.0},
                     {"# beam energy 8047.8 eV", 12398.420 / 8047.8}, {"# wavelength 1.5406 nm", 0},
                     {"# wavelength 1.5406 A", 1.5406},          {"# energy 2.5 (no unit)", -1},
                     {"# energy (keV) = 17", 12.398420 / 17.0},  {"# energy-dispersive detector, 8 keV", -1},
                     /* a decimal comma in the header of a file whose data use points: 1.5406, not 1 */
                     {"# wavelength 1,5406", 1.5406},            {"# Wavelength: 1,5406 A", 1.5406},
                     {"# wavelength 15.406", -1}};
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
            snprintf(text, sizeof text, "%s\n%s", units[u].header, body);
            memset(&err, 0, sizeof err);
            xs_status st = read_one(".xy", text, &l, &n, &err);
            if (units[u].wavelength > 0) {
                CHECK(st == XS_OK && n == 1 && fabs(xs_pattern_wavelength(l[0]) - units[u].wavelength) < 1e-9, "'%s' read as %g A: %s",
                      units[u].header, units[u].wavelength, err.message);
                if (st == XS_OK && n == 1) { /* the file's wavelength wins over one given */
                    xs_wavelength_source from = XS_WAVELENGTH_UNKNOWN;
                    double wl = xs_pattern_choose_wavelength(l[0], 0.71073, &from);
                    CHECK(wl == xs_pattern_wavelength(l[0]) && from == XS_WAVELENGTH_FROM_FILE,
                          "'%s': chosen %g A (source %d), not the given 0.71073", units[u].header, wl, (int)from);
                }
            }
            else if (units[u].wavelength == 0)
                CHECK(st == XS_ERR_INVALID && strstr(err.message, "15.406") && err.line == 1, "'%s' refused at line 1: %d %s",
                      units[u].header, err.line, err.message);
            else
                CHECK(st == XS_OK && n == 1 && xs_pattern_wavelength(l[0]) == 0, "'%s': no wavelength", units[u].header);
            xs_pattern_list_free(l, n);
            l = NULL;
            n = 0;
        }
        /* a bare number outside 0.1..3 after "wavelength" is not taken, and said, with its line, where no other
         * line states the wavelength; where one does, nothing is said */
        warnings_seen seen;
        snprintf(text, sizeof text, "# sample\n# wavelength 15.406\n%s", body);
        CHECK(read_one_ex(".xy", text, &seen, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_wavelength(l[0]) == 0 &&
                  seen.n == 1 && seen.kind[0] == XS_PATTERN_WAVELENGTH_IGNORED && seen.line[0] == 2 &&
                  strstr(seen.message[0], "15.406"),
              "'wavelength 15.406' said at line 2, not taken: %d warnings, kind %d, line %d '%s'", seen.n, seen.kind[0],
              seen.line[0], seen.message[0]);
        xs_pattern_list_free(l, n);
        snprintf(text, sizeof text, "# wavelength 15.406\n# lambda 0.71073\n%s", body);
        CHECK(read_one_ex(".xy", text, &seen, &l, &n, &err) == XS_OK && n == 1 &&
                  fabs(xs_pattern_wavelength(l[0]) - 0.71073) < 1e-12 && seen.n == 0,
              "a later line states the wavelength: taken, nothing said (%d)", seen.n);
        xs_pattern_list_free(l, n);
        l = NULL;
        n = 0;
    }

    /* csv with a column-title line, Mo K-alpha: the peak moves to the Cu angle of the same d */
    gaussian_lines(body, sizeof body, 2, 45, 0.01, 14.0, ",");
    snprintf(text, sizeof text, "2theta,intensity\n%s", body);
    CHECK(read_one(".csv", text, &l, &n, &err) == XS_OK && n == 1, "csv: %s", err.message);
    if (n == 1) {
        CHECK(xs_pattern_wavelength(l[0]) == 0, "no wavelength in the file");
        xs_wavelength_source from = XS_WAVELENGTH_UNKNOWN;
        CHECK(xs_pattern_choose_wavelength(l[0], 0.71073, &from) == 0.71073 && from == XS_WAVELENGTH_GIVEN,
              "no wavelength in the file: the given one");
        CHECK(xs_pattern_choose_wavelength(l[0], 0, &from) == XS_CU_KALPHA && from == XS_WAVELENGTH_ASSUMED_CU &&
                  xs_pattern_choose_wavelength(l[0], -1, NULL) == XS_CU_KALPHA,
              "nothing given either: Cu K-alpha, said to be assumed");
        double d = 0.71073 / (2 * sin(14.0 * M_PI / 360));
        double expect = 2 * asin(1.54184 / (2 * d)) * 180 / M_PI;
        double cov;
        CHECK(xs_pattern_to_grid(l[0], 0.71073, &grid, 1.54184, 0.5, out, &cov, &err) == XS_OK, "Mo to Cu grid: %s",
              err.message);
        /* 0.02: a grid step plus the stretch of the 0.01-step Mo pattern into Cu angles (x2.2) */
        CHECK_NEAR(argmax_angle(out, &grid), expect, 0.02, "Mo peak at the Cu angle of its d-spacing");
    }
    xs_pattern_list_free(l, n);

    /* coverage: a pattern of 5..20 deg covers too little of 5..90 */
    gaussian_lines(body, sizeof body, 5, 20, 0.02, 10, "\t");
    CHECK(read_one(".xy", body, &l, &n, &err) == XS_OK && n == 1, "tab-separated xy");
    if (n == 1) {
        memset(&err, 0, sizeof err);
        CHECK(xs_pattern_to_grid(l[0], 1.54184, &grid, 1.54184, 0.5, out, NULL, &err) == XS_ERR_RANGE, "coverage error");
        CHECK(strstr(err.message, "covers") != NULL, "coverage message: %s", err.message);
        CHECK(xs_pattern_to_grid(l[0], 7.0, &grid, 1.54184, 0.5, out, NULL, &err) == XS_ERR_INVALID, "absurd wavelength");
    }
    xs_pattern_list_free(l, n);

    /* intensities beyond a float's range (or far below it) give the grid of the same pattern at a normal scale,
     * not inf or NaN (fuzzed: one value of 8.9e48); 1e-6: float rounding of values in 0..1 */
    {
        enum { M = 4251 };
        static double x[M], y[M], yb[M], ys[M];
        for (int i = 0; i < M; i++) {
            x[i] = 5 + 0.02 * i;
            y[i] = 20 + 5000 * exp(-4 * log(2) * (x[i] - 30) * (x[i] - 30) / 0.01) - 7 * (i % 3 == 0);
            yb[i] = 1e45 * y[i], ys[i] = 1e-40 * y[i];
        }
        xs_pattern *pn = NULL, *pb = NULL, *ps = NULL;
        float *ob = malloc(grid.count * sizeof *ob), *os = malloc(grid.count * sizeof *os);
        CHECK(xs_pattern_create("n", M, x, y, 0, &pn, &err) == XS_OK && xs_pattern_create("b", M, x, yb, 0, &pb, &err) == XS_OK &&
                  xs_pattern_create("s", M, x, ys, 0, &ps, &err) == XS_OK,
              "patterns: %s", err.message);
        CHECK(pn && pb && ps && xs_pattern_to_grid(pn, 1.54184, &grid, 1.54184, 0.5, out, NULL, &err) == XS_OK &&
                  xs_pattern_to_grid(pb, 1.54184, &grid, 1.54184, 0.5, ob, NULL, &err) == XS_OK &&
                  xs_pattern_to_grid(ps, 1.54184, &grid, 1.54184, 0.5, os, NULL, &err) == XS_OK,
              "to grid: %s", err.message);
        size_t off = 0; /* a NaN fails the comparison too */
        for (size_t j = 0; j < grid.count; j++)
            off += !(fabs((double)ob[j] - out[j]) <= 1e-6 && fabs((double)os[j] - out[j]) <= 1e-6);
        CHECK(off == 0, "1e45 and 1e-40 times the intensities: the same grid, %zu points differ (e.g. %g, %g against %g)",
              off, ob[grid.count / 3], os[grid.count / 3], out[grid.count / 3]);
        xs_pattern_free(pn), xs_pattern_free(pb), xs_pattern_free(ps), free(ob), free(os);

        /* a point far beyond a float's range OUTSIDE the grid (fuzzed: 5.6e43 at 1 deg before ordinary values)
         * leaves the grid of the ordinary points as it is, bit for bit: it was taken as the scale and made the
         * grid's values ~1e-43, whose normalisation overflowed (inf and NaN on the grid) */
        static double xo[M + 1], yo[M + 1];
        xo[0] = 1, yo[0] = 5.6e43;
        memcpy(xo + 1, x, sizeof x);
        memcpy(yo + 1, y, sizeof y);
        xs_pattern *po = NULL;
        float *oo = malloc(grid.count * sizeof *oo);
        CHECK(xs_pattern_create("o", M + 1, xo, yo, 0, &po, &err) == XS_OK &&
                  xs_pattern_to_grid(po, 1.54184, &grid, 1.54184, 0.5, oo, NULL, &err) == XS_OK,
              "off-grid point: %s", err.message);
        off = 0;
        for (size_t j = 0; po && j < grid.count; j++) off += !(oo[j] == out[j]);
        CHECK(po && off == 0, "a 5.6e43 point outside the grid: %zu grid points differ (e.g. %g against %g)", off,
              oo[grid.count / 3], out[grid.count / 3]);
        xs_pattern_free(po), free(oo);

        /* normalising a range below the smallest normal float, whose float reciprocal overflows, in double:
         * 0, 1e-40 and 5e-41 become 0, 1 and 0.5 (1e-3: 5e-41 is a subnormal float, held to about 3 digits) */
        float tiny[3] = {0, 1e-40f, 5e-41f};
        xs_pattern_normalize(tiny, 3);
        CHECK(tiny[0] == 0 && tiny[1] == 1 && fabs(tiny[2] - 0.5) < 1e-3, "subnormal range normalised: %g %g %g",
              tiny[0], tiny[1], tiny[2]);
    }

    /* table: two patterns on a small grid from the header */
    snprintf(text, sizeof text, "# patterns, 2theta 10.00..10.09 step 0.01 deg, Cu K-alpha\n# columns\n"
                                "a\t225\t1 2 3 4 50 6 7 8 9 10\nb\t14\t5 5 5 5 5 5 5 6 5 5\n");
    CHECK(read_one(".tsv", text, &l, &n, &err) != XS_OK && err.message[0], "short rows with ids are neither table nor xy: %s", err.message);
    xs_pattern_list_free(l, n);
    {
        size_t used = (size_t)snprintf(text, sizeof text, "# RRUFF, 2theta 5.00..89.99 step 0.01 deg\n#x\n");
        for (int row = 0; row < 2; row++) {
            used += (size_t)snprintf(text + used, sizeof text - used, "R%d\t%d\t", row, row ? 14 : 225);
            for (int k = 0; k < 8500; k++)
                used += (size_t)snprintf(text + used, sizeof text - used, "%d%c", k == 2500 + row ? 1000 : 1, k < 8499 ? ' ' : '\n');
        }
        CHECK(read_one(".tsv", text, &l, &n, &err) == XS_OK && n == 2, "table: %s", err.message);
        if (n == 2) {
            CHECK(xs_pattern_label(l[0]) == 225 && xs_pattern_label(l[1]) == 14, "labels");
            CHECK(xs_pattern_size(l[1]) == 8500 && fabs(xs_pattern_two_theta(l[1])[8499] - 89.99) < 1e-9, "grid from header");
            CHECK(strstr(xs_pattern_name(l[1]), "#R1") != NULL, "row id in the name: %s", xs_pattern_name(l[1]));
        }
        xs_pattern_list_free(l, n);
        /* a label that is not 1..230 is an error at its line and column, not an unlabelled pattern */
        char *label = strstr(text, "R1\t14\t");
        if (label) memcpy(label + 3, "x4", 2);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".tsv", text, &l, &n, &err) == XS_ERR_PARSE && err.line == 4 && err.column == 4 && strstr(err.message, "'x4'"),
              "label 'x4' refused at 4:4: %d:%d %s", err.line, err.column, err.message);
        xs_pattern_list_free(l, n);
        if (label) memcpy(label + 3, "14", 2);
        /* truncated last row */
        text[strlen(text) - 30] = '\n';
        text[strlen(text) - 29] = 0;
        memset(&err, 0, sizeof err);
        CHECK(read_one(".tsv", text, &l, &n, &err) == XS_ERR_PARSE && err.line == 4, "truncated row: line %d %s", err.line,
              err.message);
    }

    /* xrdml */
    {
        size_t used = (size_t)snprintf(text, sizeof text,
                                       "<?xml version=\"1.0\"?>\n<xrdMeasurements><xrdMeasurement>\n<usedWavelength intended=\"K-Alpha 1\">"
                                       "<kAlpha1 unit=\"Angstrom\">1.5405980</kAlpha1><kAlpha2 unit=\"Angstrom\">1.5444260</kAlpha2>"
                                       "<ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1></usedWavelength>\n"
                                       "<incidentBeamPath><radius unit=\"mm\">240.00</radius></incidentBeamPath>\n"
                                       "<diffractedBeamPath><radius unit=\"mm\">240.50</radius></diffractedBeamPath>\n"
                                       "<scan><dataPoints>\n"
                                       "<positions axis=\"2Theta\" unit=\"deg\"><startPosition>10.00</startPosition>"
                                       "<endPosition>80.00</endPosition></positions>\n<intensities unit=\"counts\">");
        for (int k = 0; k <= 3500; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d ", k == 1000 ? 900 : 20);
        snprintf(text + used, sizeof text - used, "</intensities></dataPoints></scan></xrdMeasurement></xrdMeasurements>\n");
        CHECK(read_one(".xrdml", text, &l, &n, &err) == XS_OK && n == 1, "xrdml: %s", err.message);
        if (n == 1) {
            CHECK(xs_pattern_size(l[0]) == 3501, "3501 points");
            CHECK_NEAR(xs_pattern_two_theta(l[0])[1000], 30.0, 1e-9, "positions from start/end");
            double ratio;
            CHECK_NEAR(xs_pattern_kalpha2(l[0], &ratio), 1.544426, 1e-9, "K-alpha2");
            /* weighted mean of the doublet, (ka1 + 0.5 ka2) / 1.5 */
            CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.540598 + 0.5 * 1.544426) / 1.5, 1e-9, "K-alpha mean");
            /* the receiving side's radius (the distance a displaced sample's shift is measured over) */
            CHECK_NEAR(xs_pattern_goniometer_radius(l[0]), 240.5, 1e-12, "goniometer radius from diffractedBeamPath");
        }
        xs_pattern_list_free(l, n);
        /* a NaN among the counts is named with its line; a file cut inside the counts says so */
        char *third = strstr(text, "<intensities");
        third = third ? strchr(third, '>') : NULL;
        if (third) memcpy(third + 1 + 5, "nan", 3); /* the counts "20 20 20 ..." become "20 20nan 20 ..." (line 8) */
        memset(&err, 0, sizeof err);
        CHECK(read_one(".xrdml", text, &l, &n, &err) == XS_ERR_INVALID && err.line == 8 && strstr(err.message, "'nan'"),
              "NaN among xrdml intensities on line 8: %d %s", err.line, err.message);
        xs_pattern_list_free(l, n);
        char *close = strstr(text, "</intensities>");
        if (close) *close = 0;
        memset(&err, 0, sizeof err);
        CHECK(read_one(".xrdml", text, &l, &n, &err) == XS_ERR_PARSE && err.line == 8 && strstr(err.message, "cut short"),
              "xrdml cut inside its intensities: %d %s", err.line, err.message);
        xs_pattern_list_free(l, n);
    }

    /* powder CIF */
    {
        size_t used = (size_t)snprintf(text, sizeof text,
                                       "data_pattern\n_diffrn_radiation_wavelength 1.5406\n_pd_meas_2theta_range_min 10\n"
                                       "_pd_meas_2theta_range_max 29.9\n_pd_meas_2theta_range_inc 0.1\nloop_\n_pd_meas_counts_total\n");
        for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 50 ? 500 : 10);
        CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1, "pdCIF: %s", err.message);
        if (n == 1) {
            CHECK(xs_pattern_size(l[0]) == 200 && fabs(xs_pattern_two_theta(l[0])[50] - 15.0) < 1e-9, "pdCIF range");
            CHECK_NEAR(xs_pattern_wavelength(l[0]), 1.5406, 1e-12, "pdCIF wavelength");
            CHECK(xs_pattern_goniometer_radius(l[0]) == 0, "no goniometer radius where the file gives none");
        }
        xs_pattern_list_free(l, n);
        /* a '?' point is absent; a word or a NaN among the counts is an error at its line, since a file with
         * garbage in its counts is not one to classify in silence */
        char *fifth = text;
        for (int line = 1; line < 12 && fifth; line++) fifth = strchr(fifth, '\n') ? strchr(fifth, '\n') + 1 : NULL;
        if (fifth) memcpy(fifth, "?\n", 2); /* line 12, the fifth count "10" */
        memset(&err, 0, sizeof err);
        CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_size(l[0]) == 199, "'?' point absent: %s",
              err.message);
        xs_pattern_list_free(l, n);
        if (fifth) memcpy(fifth, "x\n", 2);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".cif", text, &l, &n, &err) == XS_ERR_PARSE && err.line == 12 && strstr(err.message, "'x'"),
              "a word among the counts at its line 12: %d %s", err.line, err.message);
        xs_pattern_list_free(l, n);
        /* the same broken block before a good one: the good one is read and the broken one is said, with its
         * line, not left out in silence; a read that fails says nothing but its error */
        warnings_seen seen;
        CHECK(read_one_ex(".cif", text, &seen, &l, &n, &err) == XS_ERR_PARSE && seen.n == 0,
              "a failed read reports no warning (%d)", seen.n);
        used = strlen(text);
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "data_good\n_pd_meas_2theta_range_min 10\n_pd_meas_2theta_range_inc 0.1\n"
                                 "loop_\n_pd_meas_counts_total\n");
        for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 70 ? 500 : 10);
        memset(&err, 0, sizeof err);
        CHECK(read_one_ex(".cif", text, &seen, &l, &n, &err) == XS_OK && n == 1 && strstr(xs_pattern_name(l[0]), "#good"),
              "the good block of two is read (%zu): %s", n, err.message);
        CHECK(seen.n == 1 && seen.kind[0] == XS_PATTERN_PART_LEFT_OUT && seen.line[0] == 12 &&
                  strstr(seen.message[0], "block 'pattern'") && strstr(seen.message[0], "'x'"),
              "the broken block is reported at its line 12: %d warnings, kind %d line %d '%s'", seen.n, seen.kind[0],
              seen.line[0], seen.message[0]);
        xs_pattern_list_free(l, n);
        CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1, "xs_pattern_read reads the same without a callback");
        xs_pattern_list_free(l, n);
        /* a syntax error in a file that still gives a pattern: an unterminated quoted string in a block after it */
        used = strlen(text);
        snprintf(text + used, sizeof text - used, "data_notes\n_pd_proc_info_excluded_regions 'none\n");
        memset(&err, 0, sizeof err);
        CHECK(read_one_ex(".cif", text, &seen, &l, &n, &err) == XS_OK && n == 1, "syntax damage after the profiles: %s",
              err.message);
        CHECK(seen.n == 2 && seen.kind[0] == XS_PATTERN_PART_LEFT_OUT && seen.kind[1] == XS_PATTERN_SYNTAX_DAMAGE &&
                  seen.line[1] > 12,
              "the left-out block, then the syntax error: %d warnings, kinds %d %d, line %d '%s'", seen.n, seen.kind[0],
              seen.kind[1], seen.line[1], seen.message[1]);
        xs_pattern_list_free(l, n);
        /* formats other than CIF report nothing */
        char xy[4096];
        gaussian_lines(xy, sizeof xy, 10, 30, 0.1, 20, " ");
        CHECK(read_one_ex(".xy", xy, &seen, &l, &n, &err) == XS_OK && n == 1 && seen.n == 0, "an .xy file: no warnings");
        xs_pattern_list_free(l, n);
    }

    /* A Rietveld CIF as journals publish it: the profile block states no wavelength; the phase block linked
     * to it by _pd_block_diffractogram_id does, and declares the refined structure's group by a Hall symbol
     * with a bar (P-6m2); a simulated block with a calculated profile only follows. */
    {
        char phase[1024];
        snprintf(phase, sizeof phase,
                 "data_phase\n_pd_block_id PH\n_pd_block_diffractogram_id PROF\n_diffrn_radiation_wavelength 0.49935\n"
                 "_symmetry_space_group_name_Hall 'P -6 2'\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 5\n"
                 "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n"
                 "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\n");
        for (int variant = 0; variant < 3; variant++) {
            size_t used = (size_t)snprintf(text, sizeof text,
                                           "data_profile\n_pd_block_id PROF\n_pd_proc_2theta_range_min 5\n"
                                           "_pd_proc_2theta_range_inc 0.05\nloop_\n_pd_proc_intensity_net\n");
            for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 50 ? 500 : 10);
            used += (size_t)snprintf(text + used, sizeof text - used, "%s", phase);
            if (variant == 1) /* a second phase of another group: a mixture, no label */
                used += (size_t)snprintf(text + used, sizeof text - used,
                                         "data_phase2\n_pd_block_id PH2\n_pd_block_diffractogram_id PROF\n"
                                         "_space_group_IT_number 225\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n"
                                         "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
                                         "_atom_site_fract_z\nCl1 0 0 0\n");
            if (variant == 2) /* a phase whose group is not known (a superspace group): no label either */
                used += (size_t)snprintf(text + used, sizeof text - used,
                                         "data_phase3\n_pd_block_id PH3\n_pd_block_diffractogram_id PROF\n"
                                         "_space_group_ssg_name 'X2/m(a0g)0s'\n_cell_length_a 4\n_cell_length_b 4\n"
                                         "_cell_length_c 4\nloop_\n_atom_site_label\n_atom_site_fract_x\n"
                                         "_atom_site_fract_y\n_atom_site_fract_z\nCl1 0 0 0\n");
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     "data_simulated\n_pd_proc_2theta_range_min 0.02\n_pd_proc_2theta_range_inc 0.02\n"
                                     "_diffrn_radiation_wavelength 0.71073\nloop_ _pd_calc_intensity_total\n");
            for (int k = 0; k < 50; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 5 ? 9 : 1);
            memset(&err, 0, sizeof err);
            CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1, "Rietveld CIF %d: one measured profile (%zu): %s",
                  variant, n, err.message);
            if (n == 1) {
                CHECK(strstr(xs_pattern_name(l[0]), "#profile") != NULL, "the measured block, not the simulated one: %s",
                      xs_pattern_name(l[0]));
                CHECK_NEAR(xs_pattern_wavelength(l[0]), 0.49935, 1e-12, "wavelength from the linked phase block");
                CHECK(xs_pattern_label(l[0]) == (variant == 0 ? 187 : 0), "variant %d: label %d (P-6m2 once, else none)",
                      variant, xs_pattern_label(l[0]));
            }
            xs_pattern_list_free(l, n);
        }
        /* no wavelength in the profile or its phase: the simulated block's (a simulation's own) is not taken */
        {
            size_t used = (size_t)snprintf(text, sizeof text, "data_profile\n_pd_proc_2theta_range_min 5\n"
                                           "_pd_proc_2theta_range_inc 0.05\nloop_\n_pd_proc_intensity_net\n");
            for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 50 ? 500 : 10);
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     "data_simulated\n_pd_proc_2theta_range_min 0.02\n_pd_proc_2theta_range_inc 0.02\n"
                                     "_diffrn_radiation_wavelength 0.71073\nloop_ _pd_calc_intensity_total\n");
            for (int k = 0; k < 50; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 5 ? 9 : 1);
            CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_wavelength(l[0]) == 0,
                  "the simulation's wavelength is not the measurement's: %s", err.message);
            xs_pattern_list_free(l, n);
        }
        /* wavelength from _pd_proc_wavelength, and from the anode of _diffrn_radiation_type */
        static const char *const wl_items[] = {"_pd_proc_wavelength 0.71073\n", "_diffrn_radiation_type 'MoK\\a'\n"};
        for (int i = 0; i < 2; i++) {
            size_t used = (size_t)snprintf(text, sizeof text, "data_p\n%s_pd_meas_2theta_range_min 5\n"
                                           "_pd_meas_2theta_range_inc 0.05\nloop_\n_pd_meas_counts_total\n", wl_items[i]);
            for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 50 ? 500 : 10);
            CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1 && fabs(xs_pattern_wavelength(l[0]) - 0.71073) < 1e-9,
                  "wavelength from %s", wl_items[i]);
            xs_pattern_list_free(l, n);
        }
        /* a file of calculated profiles only is still read */
        size_t used = (size_t)snprintf(text, sizeof text, "data_c\n_pd_proc_2theta_range_min 5\n_pd_proc_2theta_range_inc 0.05\n"
                                       "loop_ _pd_calc_intensity_total\n");
        for (int k = 0; k < 200; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", k == 50 ? 500 : 10);
        CHECK(read_one(".cif", text, &l, &n, &err) == XS_OK && n == 1, "calculated profile alone: %s", err.message);
        xs_pattern_list_free(l, n);
    }

    /* Rigaku .ras: two scans, the first with an attenuator factor on its peak; then an omega scan, and a
     * file cut off inside a scan */
    {
        static const char *const head = "*RAS_DATA_START\n*RAS_HEADER_START\n*FILE_SAMPLE \"quartz\"\n"
                                        "*HW_XG_WAVE_LENGTH_ALPHA1 \"1.540593\"\n*HW_XG_WAVE_LENGTH_ALPHA2 \"1.544414\"\n"
                                        "*MEAS_SCAN_AXIS_X \"%s\"\n*RAS_HEADER_END\n*RAS_INT_START\n";
        size_t used = 0;
        for (int scan = 0; scan < 2; scan++) {
            used += (size_t)snprintf(text + used, sizeof text - used, head, "TwoThetaOmega");
            for (int k = 0; k < 100; k++)
                used += (size_t)snprintf(text + used, sizeof text - used, "%.4f %d %.4f\r\n", 10 + 0.02 * k,
                                         k == 40 ? 300 : 20, scan == 0 && k == 40 ? 12.5 : 1.0);
            used += (size_t)snprintf(text + used, sizeof text - used, "*RAS_INT_END\r\n*RAS_DATA_END\r\n");
        }
        memset(&err, 0, sizeof err);
        CHECK(read_one(".ras", text, &l, &n, &err) == XS_OK && n == 2, "Rigaku .ras, two scans (%zu): %s", n, err.message);
        if (n == 2) {
            CHECK(strstr(xs_pattern_name(l[1]), "#2") != NULL, "second scan named #2: %s", xs_pattern_name(l[1]));
            CHECK_NEAR(xs_pattern_two_theta(l[0])[40], 10.8, 1e-9, ".ras angle");
            CHECK_NEAR(xs_pattern_intensity(l[0])[40], 300 * 12.5, 1e-9, "count times the attenuator factor");
            CHECK_NEAR(xs_pattern_intensity(l[1])[40], 300, 1e-9, "factor 1");
            CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.540593 + 0.5 * 1.544414) / 1.5, 1e-12, "K-alpha mean");
            CHECK_NEAR(xs_pattern_kalpha2(l[0], NULL), 1.544414, 1e-12, "K-alpha2 kept");
        }
        xs_pattern_list_free(l, n);
        used = (size_t)snprintf(text, sizeof text, head, "Omega");
        for (int k = 0; k < 20; k++) used += (size_t)snprintf(text + used, sizeof text - used, "%.2f 5 1\n", 10 + 0.1 * k);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".ras", text, &l, &n, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "Omega") && err.line == 8,
              "an omega scan is refused, its line named: %d %s", err.line, err.message);
        memset(&err, 0, sizeof err);
        snprintf(strstr(text, "Omega"), 20, "2Theta\"\n");
        strcat(text, "*RAS_HEADER_END\n*RAS_INT_START\n");
        for (int k = 0; k < 20; k++) snprintf(text + strlen(text), 32, "%.2f 5 1\n", 10 + 0.1 * k);
        CHECK(read_one(".ras", text, &l, &n, &err) == XS_ERR_PARSE && strstr(err.message, "ends inside"),
              "a .ras cut off inside a scan: %s", err.message);
    }

    /* GSAS: STD (counters and intensities in fixed columns), ESD, FXYE (angles in centidegrees); a
     * time-of-flight bank and a bank cut short */
    {
        size_t used = (size_t)snprintf(text, sizeof text, "quartz, GSAS\nBANK 1 30 3 CONST 1000.00 2.00 0 0 STD\n");
        for (int k = 0; k < 30; k++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%2d%6d%s", k == 12 ? 2 : 1, k == 12 ? 800 : 40 + k,
                                     k % 10 == 9 ? "\n" : "");
        used += (size_t)snprintf(text + used, sizeof text - used, "BANK 2 20 4 CONST 1000.00 2.00 0 0 ESD\n");
        for (int k = 0; k < 20; k++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%8.1f%8.2f%s", k == 3 ? 500.0 : 10.0 + k, 3.16,
                                     k % 5 == 4 ? "\n" : "");
        used += (size_t)snprintf(text + used, sizeof text - used, "BANK 3 15 15 CONST 1000.00 2.00 0 0 FXYE\n");
        for (int k = 0; k < 15; k++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%.2f %.1f 3.0\n", 1000 + 2.0 * k, k == 7 ? 90.0 : 9.0);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".gsa", text, &l, &n, &err) == XS_OK && n == 3, "GSAS, three banks (%zu): %s", n, err.message);
        if (n == 3) {
            CHECK(xs_pattern_size(l[0]) == 30 && xs_pattern_size(l[1]) == 20 && xs_pattern_size(l[2]) == 15,
                  "points of each bank");
            CHECK_NEAR(xs_pattern_two_theta(l[0])[12], 10.24, 1e-9, "STD: 2theta from centidegrees");
            CHECK_NEAR(xs_pattern_intensity(l[0])[12], 800, 1e-9, "STD: the intensity as written (2 counters weigh its variance only, as GSAS-II reads it)");
            CHECK_NEAR(xs_pattern_intensity(l[0])[13], 53, 1e-9, "STD: next field");
            CHECK_NEAR(xs_pattern_intensity(l[1])[3], 500, 1e-9, "ESD: intensity, not its error");
            CHECK_NEAR(xs_pattern_two_theta(l[2])[7], 10.14, 1e-9, "FXYE: 2theta from centidegrees");
            CHECK(xs_pattern_wavelength(l[0]) == 0, "GSAS states no wavelength");
        }
        xs_pattern_list_free(l, n);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".gsa", "title\nBANK 1 4000 800 RALF 1000 20 1000 0.0005 ALT\n1 2 3\n", &l, &n, &err) ==
                  XS_ERR_UNSUPPORTED && err.line == 2 && strstr(err.message, "RALF"),
              "time of flight refused on line 2: %s", err.message);
        memset(&err, 0, sizeof err);
        CHECK(read_one(".gsa", "title\nBANK 1 30 3 CONST 1000.00 2.00 0 0 STD\n 1    10 1    11\n", &l, &n, &err) ==
                  XS_ERR_PARSE && strstr(err.message, "2 of its 30"),
              "a bank cut short: %s", err.message);
    }

    /* broken files */
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "", &l, &n, &err) == XS_ERR_NOT_FOUND && l == NULL, "empty file");
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "# only a header\n", &l, &n, &err) == XS_ERR_NOT_FOUND, "header only: %s", err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "10 1\n11 2\n12 nan\n", &l, &n, &err) == XS_ERR_INVALID && err.line == 3 && err.column == 4 &&
              strstr(err.message, "intensity 'nan'"),
          "NaN on line 3, column 4: %d:%d %s", err.line, err.column, err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "10 1\n  inf, 2\n", &l, &n, &err) == XS_ERR_INVALID && err.line == 2 && err.column == 3 &&
              strstr(err.message, "2theta 'inf'"),
          "infinite 2theta on line 2, column 3: %d:%d %s", err.line, err.column, err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "10 1\n11 2\n10.5 3\n", &l, &n, &err) == XS_ERR_INVALID && err.line == 3, "decreasing 2theta");
    memset(&err, 0, sizeof err);
    CHECK(read_one(".xy", "10 1\n11\n", &l, &n, &err) == XS_ERR_PARSE && err.line == 2, "one number on a line");
    memset(&err, 0, sizeof err);
    gaussian_lines(body, sizeof body, 5, 10, 0.1, 7, " ");
    strcat(body, "garbage here\n");
    CHECK(read_one(".xy", body, &l, &n, &err) == XS_ERR_PARSE && err.line == 52, "text after data: line %d", err.line);
    memset(&err, 0, sizeof err);
    CHECK(xs_pattern_read("/nonexistent/p.xy", &l, &n, &err) == XS_ERR_IO && strstr(err.file, "p.xy"), "missing file");

    /* A zero error corrected: a peak at 30.10 deg measured with a +0.10 deg zero error lands at 30.00 on the grid
     * (within half a grid step, 0.005 deg: the argmax of a symmetric peak sampled every 0.02 deg). */
    {
        enum { M = 4251 };
        double *tt = malloc(M * sizeof *tt), *yy = malloc(M * sizeof *yy);
        for (int i = 0; i < M; i++) {
            tt[i] = 5 + 0.02 * i;
            yy[i] = 10 + 1000 * exp(-4 * log(2) * (tt[i] - 30.1) * (tt[i] - 30.1) / 0.01);
        }
        xs_pattern *zp = NULL;
        CHECK(xs_pattern_create("zero.xy", M, tt, yy, 1.54184, &zp, &err) == XS_OK, "create: %s", err.message);
        if (zp) {
            CHECK(xs_pattern_correct_zero(zp, 0.1, &err) == XS_OK, "correct 0.1: %s", err.message);
            CHECK_NEAR(xs_pattern_two_theta(zp)[0], 4.9, 1e-12, "every angle minus 0.1 (one rounding)");
            CHECK(xs_pattern_to_grid(zp, 1.54184, &grid, 1.54184, 0.5, out, NULL, &err) == XS_OK, "to grid");
            CHECK_NEAR(argmax_angle(out, &grid), 30.0, 0.005, "the peak at 30.00 after the correction");
            CHECK(xs_pattern_correct_zero(zp, 2.5, &err) == XS_ERR_RANGE && strstr(err.message, "at most 2 deg") &&
                      !strcmp(err.file, "zero.xy"),
                  "2.5 deg is not a zero error, the pattern named: %s %s", err.file, err.message);
            CHECK(xs_pattern_correct_zero(zp, NAN, &err) == XS_ERR_RANGE, "NaN refused");
            CHECK_NEAR(xs_pattern_two_theta(zp)[0], 4.9, 1e-12, "refused corrections leave the pattern as it was");
            xs_pattern_free(zp);
        }
        for (int i = 0; i < M; i++) tt[i] = 0.05 + 0.02 * i; /* from 0.05 deg: -0.05 after a +0.1 correction */
        CHECK(xs_pattern_create("low.xy", M, tt, yy, 1.54184, &zp, &err) == XS_OK, "create: %s", err.message);
        if (zp) {
            CHECK(xs_pattern_correct_zero(zp, 0.1, &err) == XS_ERR_RANGE && strstr(err.message, "would leave 0..180"),
                  "an angle below 0 refused: %s", err.message);
            CHECK_NEAR(xs_pattern_two_theta(zp)[0], 0.05, 1e-15, "and the pattern unchanged");
            CHECK(xs_pattern_correct_zero(zp, -0.1, &err) == XS_OK, "a negative zero error moves it up");
            xs_pattern_free(zp);
        }
        /* A sample displacement corrected: a sample 0.2 mm too high on a 240 mm goniometer moves a peak at
         * true 30.00 deg by (2 * 0.2 / 240) cos(15 deg) rad = 0.09224 deg up, and 80.00 deg only by 0.07314: the
         * correction puts both back (argmax within half a grid step, 0.005 deg), and every corrected angle t
         * satisfies m = t + shift(t) to 1e-9 deg (the iteration stops at 1e-12). */
        const double deg = M_PI / 180, h = 0.2, R = 240;
        double s30 = 2 * h / R * cos(15 * deg) / deg, s80 = 2 * h / R * cos(40 * deg) / deg;
        CHECK(s30 > 0.092 && s30 < 0.0923 && s80 > 0.073 && s80 < 0.0732, "the shifts worked out: %g %g", s30, s80);
        for (int i = 0; i < M; i++) {
            tt[i] = 5 + 0.02 * i;
            double a = tt[i] - 30 - s30, b = tt[i] - 80 - s80;
            yy[i] = 10 + 1000 * exp(-4 * log(2) * a * a / 0.01) + 500 * exp(-4 * log(2) * b * b / 0.01);
        }
        CHECK(xs_pattern_create("displaced.xy", M, tt, yy, 1.54184, &zp, &err) == XS_OK, "create: %s", err.message);
        if (zp) {
            CHECK(xs_pattern_correct_displacement(zp, h, R, &err) == XS_OK, "correct 0.2 mm: %s", err.message);
            double worst = 0;
            for (int i = 0; i < M; i++) {
                double t = xs_pattern_two_theta(zp)[i], back = t + 2 * h / R * cos(t * deg / 2) / deg;
                if (fabs(back - tt[i]) > worst) worst = fabs(back - tt[i]);
            }
            CHECK(worst < 1e-9, "every angle solves measured = true + shift: worst %g deg", worst);
            CHECK(xs_pattern_to_grid(zp, 1.54184, &grid, 1.54184, 0.5, out, NULL, &err) == XS_OK, "to grid");
            CHECK_NEAR(argmax_angle(out, &grid), 30.0, 0.005, "the strong peak at 30.00 after the correction");
            int i80 = (int)lround((80 - grid.start) / grid.step), best = i80 - 50;
            for (int i = i80 - 50; i <= i80 + 50; i++)
                if (out[i] > out[best]) best = i;
            CHECK_NEAR(grid.start + grid.step * best, 80.0, 0.005, "the weak peak at 80.00: the shift falls with angle");
            double first = xs_pattern_two_theta(zp)[0];
            CHECK(xs_pattern_correct_displacement(zp, h, 10, &err) == XS_ERR_RANGE && strstr(err.message, "radius") &&
                      !strcmp(err.file, "displaced.xy"),
                  "a 10 mm goniometer refused, the pattern named: %s %s", err.file, err.message);
            CHECK(xs_pattern_correct_displacement(zp, 200, R, &err) == XS_ERR_RANGE && strstr(err.message, "in mm"),
                  "200 mm (a unit mistake) refused: %s", err.message);
            CHECK(xs_pattern_correct_displacement(zp, NAN, R, &err) == XS_ERR_RANGE, "NaN refused");
            CHECK(xs_pattern_correct_displacement(zp, h, NAN, &err) == XS_ERR_RANGE, "NaN radius refused");
            CHECK(xs_pattern_two_theta(zp)[0] == first, "refused corrections leave the pattern as it was");
            xs_pattern_free(zp);
        }
        for (int i = 0; i < M; i++) tt[i] = 0.05 + 0.02 * i; /* 0.05 deg is below the 0.095 deg shift there */
        CHECK(xs_pattern_create("low.xy", M, tt, yy, 1.54184, &zp, &err) == XS_OK, "create: %s", err.message);
        if (zp) {
            CHECK(xs_pattern_correct_displacement(zp, h, R, &err) == XS_ERR_RANGE && strstr(err.message, "0..180"),
                  "an angle below 0 refused: %s", err.message);
            CHECK(xs_pattern_two_theta(zp)[0] == 0.05, "and the pattern unchanged");
            xs_pattern_free(zp);
        }
        free(tt);
        free(yy);
    }

    /* Text as other locales and Windows programs write it: a decimal comma, UTF-16, a byte-order mark, a
     * scan from high to low angle; each must give the same pattern as the plain file. */
    {
        gaussian_lines(body, sizeof body, 5, 90, 0.02, 30, " ");
        CHECK(read_one(".xy", body, &l, &n, &err) == XS_OK && n == 1, "plain xy: %s", err.message);
        size_t m = n == 1 ? xs_pattern_size(l[0]) : 0;
        double *x0 = malloc(m * sizeof *x0), *y0 = malloc(m * sizeof *y0);
        if (m) {
            memcpy(x0, xs_pattern_two_theta(l[0]), m * sizeof *x0);
            memcpy(y0, xs_pattern_intensity(l[0]), m * sizeof *y0);
        }
        xs_pattern_list_free(l, n);
        const char *seps[] = {";", "\t", " "};
        for (int k = 0; k < 3; k++) {
            gaussian_lines(body, sizeof body, 5, 90, 0.02, 30, seps[k]);
            for (char *c = body; *c; c++)
                if (*c == '.') *c = ',';
            snprintf(text, sizeof text, "Winkel%sIntensit\xe4t\nWavelength%s1,5406\n%s", seps[k], seps[k], body);
            CHECK(read_one(".csv", text, &l, &n, &err) == XS_OK && n == 1, "decimal comma, separator '%s': %s", seps[k], err.message);
            if (n == 1) {
                int same = xs_pattern_size(l[0]) == m;
                for (size_t i = 0; same && i < m; i++)
                    same = xs_pattern_two_theta(l[0])[i] == x0[i] && xs_pattern_intensity(l[0])[i] == y0[i];
                CHECK(same, "decimal comma '%s': the same points as with a decimal point", seps[k]);
                /* 1,5406 read as 1.5406, not as 1 */
                CHECK(xs_pattern_wavelength(l[0]) == 1.5406, "decimal-comma wavelength: %g", xs_pattern_wavelength(l[0]));
            }
            xs_pattern_list_free(l, n);
        }
        /* "5,100" is a comma-separated pair of numbers, not 5.1 */
        CHECK(read_one(".csv", "5,100\n6,300\n7,200\n8,1\n9,1\n10,1\n11,1\n12,1\n13,1\n14,1\n", &l, &n, &err) == XS_OK && n == 1 &&
                  xs_pattern_size(l[0]) == 10 &&
                  xs_pattern_two_theta(l[0])[1] == 6 && xs_pattern_intensity(l[0])[1] == 300,
              "comma-separated integers stay two columns");
        xs_pattern_list_free(l, n);
        /* a point in one line and a comma in another: not a decimal-comma file, so the error of the mixed line */
        CHECK(read_one(".csv", "5.0;100\n6,0;300\n", &l, &n, &err) != XS_OK && err.line == 2, "mixed decimal marks refused at line 2: %d %s",
              err.line, err.message);

        /* UTF-16 (little and big endian, with its byte-order mark) and UTF-8 with a byte-order mark */
        gaussian_lines(body, sizeof body, 5, 90, 0.02, 30, "\t");
        snprintf(text, sizeof text, "2Theta\tCounts\n%s", body);
        size_t len = strlen(text);
        for (int big = 0; big < 2; big++) {
            unsigned char *wide = malloc(2 * len + 2);
            wide[0] = big ? 0xFE : 0xFF;
            wide[1] = big ? 0xFF : 0xFE;
            for (size_t i = 0; i < len; i++) {
                wide[2 + 2 * i + big] = (unsigned char)text[i];
                wide[2 + 2 * i + !big] = 0;
            }
            snprintf(tmp_path, sizeof tmp_path, "/tmp/xs_pat_%d.txt", (int)getpid());
            FILE *f = fopen(tmp_path, "wb");
            fwrite(wide, 1, 2 * len + 2, f);
            fclose(f);
            free(wide);
            CHECK(xs_pattern_read(tmp_path, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_size(l[0]) == m &&
                      xs_pattern_intensity(l[0])[m / 2] == y0[m / 2],
                  "UTF-16 %s endian read as text: %s", big ? "big" : "little", err.message);
            unlink(tmp_path);
            xs_pattern_list_free(l, n);
        }
        snprintf(text, sizeof text, "\xef\xbb\xbf%s", body);
        CHECK(read_one(".xy", text, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_size(l[0]) == m && xs_pattern_two_theta(l[0])[0] == x0[0],
              "UTF-8 byte-order mark: the first point is kept: %s", err.message);
        xs_pattern_list_free(l, n);

        /* high to low angle: reversed; a turn in the middle is an error at its line */
        size_t used = 0;
        for (size_t i = m; i-- > 0;) used += (size_t)snprintf(text + used, sizeof text - used, "%.4f %.3f\n", x0[i], y0[i]);
        CHECK(read_one(".xy", text, &l, &n, &err) == XS_OK && n == 1, "descending scan: %s", err.message);
        if (n == 1) {
            int same = xs_pattern_size(l[0]) == m;
            for (size_t i = 0; same && i < m; i++)
                same = fabs(xs_pattern_two_theta(l[0])[i] - x0[i]) < 1e-9 && fabs(xs_pattern_intensity(l[0])[i] - y0[i]) < 1e-9;
            CHECK(same, "descending scan read in increasing order, the same points");
        }
        xs_pattern_list_free(l, n);
        CHECK(read_one(".xy", "30 5\n29 6\n29.5 7\n", &l, &n, &err) == XS_ERR_INVALID && err.line == 3 && strstr(err.message, "decrease"),
              "a turn in a descending scan: line %d %s", err.line, err.message);
        free(x0);
        free(y0);
    }

    /* a .gz cut short is said to be so, not read as its first half; the whole one reads */
    {
        gaussian_lines(body, sizeof body, 5, 90, 0.02, 30, " ");
        const char *plain = write_tmp(".xy", body);
        char gz[96], cmd[256];
        snprintf(gz, sizeof gz, "%s.gz", plain);
        snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", plain, gz);
        CHECK(system(cmd) == 0, "gzip available");
        unlink(plain);
        CHECK(xs_pattern_read(gz, &l, &n, &err) == XS_OK && n == 1 && xs_pattern_size(l[0]) == 4251, "whole .gz: %s", err.message);
        xs_pattern_list_free(l, n);
        FILE *f = fopen(gz, "rb");
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        CHECK(truncate(gz, size / 2) == 0, "truncate");
        CHECK(xs_pattern_read(gz, &l, &n, &err) == XS_ERR_IO && strstr(err.message, "cut short") && n == 0,
              "half a .gz refused: %s", err.message);
        unlink(gz);
        /* a .gz that inflates past 512 MiB (600 MiB of spaces, 2.7 MB compressed at level 1) is refused before
         * it fills the memory */
        gzFile z = gzopen(gz, "wb1");
        CHECK(z != NULL, "gzopen %s", gz);
        if (z) {
            static char spaces[1 << 20];
            memset(spaces, ' ', sizeof spaces);
            for (int i = 0; i < 600; i++) gzwrite(z, spaces, sizeof spaces);
            gzclose(z);
            CHECK(xs_pattern_read(gz, &l, &n, &err) == XS_ERR_INVALID && strstr(err.message, "512 MiB") && n == 0,
                  "a .gz bomb refused: %s", err.message);
            unlink(gz);
        }
    }

    /* intensities that are all at or below 0 are not counts */
    {
        size_t used = 0;
        for (int i = 0; i < 100; i++) used += (size_t)snprintf(text + used, sizeof text - used, "%d %d\n", 10 + i, -i);
        CHECK(read_one(".xy", text, &l, &n, &err) == XS_ERR_INVALID && strstr(err.message, "above 0"), "no positive intensity: %s",
              err.message);
    }

    /* a directory is named as one */
    CHECK(xs_pattern_read("/tmp", &l, &n, &err) != XS_OK && strstr(err.message, "directory"), "directory: %s", err.message);
    free(out);
    return xs_test_finish();
}
