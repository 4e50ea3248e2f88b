/* Peaks dataset files: roundtrip, duplicate removal, split fractions, atomic writing, bad files. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

static char dir[256];

static void path_in_dir(char *buf, size_t size, const char *name) { snprintf(buf, size, "%s/%s", dir, name); }

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Number of files in the test folder (to see that no temporary file is left behind). */
static int files_in_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

/* A deterministic pseudo-random crystal number k: sg, lattice and 5..60 peaks. */
typedef struct {
    char formula[32];
    double tt[64], in[64];
    xs_dataset_entry e;
} fake;

static void make_fake(fake *f, unsigned k)
{
    unsigned x = k * 2654435761u + 12345u;
#define NEXT() (x = x * 1664525u + 1013904223u, (double)(x >> 8) / 16777216.0)
    snprintf(f->formula, sizeof f->formula, "Ab%uC%u", k % 7 + 1, k);
    f->e.space_group = 1 + (int)(k % 230);
    f->e.formula = f->formula;
    for (int j = 0; j < 3; j++) f->e.lattice_params[j] = 3.0 + 10.0 * NEXT();
    for (int j = 3; j < 6; j++) f->e.lattice_params[j] = 60.0 + 60.0 * NEXT();
    f->e.n_atoms = 1 + (int)(k % 50);
    f->e.source = (k % 2) ? "synth:test" : NULL;
    size_t n = 5 + (size_t)(55 * NEXT());
    for (size_t j = 0; j < n; j++) {
        f->tt[j] = 5.0 + 84.9 * NEXT();
        f->in[j] = 0.5 + 99.0 * NEXT();
    }
    f->in[n / 2] = 250.0; /* so that rescaling to 100 is exercised */
    f->e.n_peaks = n;
    f->e.two_theta = f->tt;
    f->e.intensity = f->in;
#undef NEXT
}

static void test_roundtrip(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "roundtrip.h5");
    xs_error err = {0};
    xs_dataset_writer *w = NULL;
    CHECK(xs_dataset_writer_create(path, 1.5406, 5.0, 90.0, "test_dataset seed=1", &w, &err) == XS_OK, "%s",
          err.message);
    if (!w) return;
    CHECK(!file_exists(path), "no file at the path before close");
    const unsigned N = 500;
    fake f;
    for (unsigned k = 0; k < N; k++) {
        make_fake(&f, k);
        CHECK(xs_dataset_writer_add(w, &f.e, &err) == XS_OK, "add %u: %s", k, err.message);
    }
    CHECK(xs_dataset_writer_count(w) == N, "count before close %zu", xs_dataset_writer_count(w));
    CHECK(!file_exists(path), "no file at the path before close");
    size_t kept = 0;
    CHECK(xs_dataset_writer_close_ex(w, 7, 0.1, 0.1, &kept, &err) == XS_OK, "%s", err.message);
    CHECK(kept == N, "all distinct entries kept: %zu", kept);
    CHECK(file_exists(path), "file exists after close");
    CHECK(files_in_dir() == 1, "no temporary file left (%d files in the folder)", files_in_dir());

    xs_dataset *d = NULL;
    CHECK(xs_dataset_open(path, &d, &err) == XS_OK, "%s", err.message);
    if (!d) return;
    CHECK(xs_dataset_count(d) == N, "count %zu", xs_dataset_count(d));
    CHECK_NEAR(xs_dataset_wavelength(d), 1.5406, 0.0, "wavelength (stored as float64: exact)");
    CHECK_NEAR(xs_dataset_two_theta_min(d), 5.0, 0.0, "two_theta_min");
    CHECK_NEAR(xs_dataset_two_theta_max(d), 90.0, 0.0, "two_theta_max");
    CHECK(!strcmp(xs_dataset_generator(d), "test_dataset seed=1"), "generator '%s'", xs_dataset_generator(d));
    CHECK(strlen(xs_dataset_created(d)) == 20, "created '%s' is ISO 8601 UTC", xs_dataset_created(d));
    CHECK(xs_dataset_format_version(d) == 1, "version");
    size_t total = 0, bad_order = 0, bad_values = 0, bad_meta = 0;
    for (unsigned k = 0; k < N; k++) {
        make_fake(&f, k);
        CHECK(xs_dataset_space_group(d, k) == f.e.space_group, "sg of %u", k);
        CHECK(xs_dataset_crystal_system(d, k) == (int)xs_sym_crystal_system(f.e.space_group), "crystal system of %u", k);
        if (strcmp(xs_dataset_formula(d, k), f.formula) || xs_dataset_n_atoms(d, k) != f.e.n_atoms ||
            strcmp(xs_dataset_source(d, k), f.e.source ? f.e.source : ""))
            bad_meta++;
        const double *lat = xs_dataset_lattice(d, k);
        for (int j = 0; j < 6; j++)
            if (lat[j] != f.e.lattice_params[j]) bad_meta++;
        const float *tt, *in;
        size_t n = xs_dataset_peaks(d, k, &tt, &in);
        CHECK(n == f.e.n_peaks, "peaks of %u: %zu vs %zu", k, n, f.e.n_peaks);
        if (n != f.e.n_peaks) continue;
        total += n;
        float imax = 0;
        for (size_t j = 0; j < n; j++) {
            if (j && tt[j] < tt[j - 1]) bad_order++;
            if (in[j] > imax) imax = in[j];
            /* find the original peak: float32 rounding of a 2theta <= 90 deg is <= 4e-6 (so 1e-5) and of an
             * intensity <= 100 is <= 4e-6 (so 1e-2 is loose but far below the spacing of random values) */
            int found = 0;
            for (size_t q = 0; q < n; q++)
                if (fabs(f.tt[q] - tt[j]) < 1e-5 && fabs(f.in[q] * 100.0 / 250.0 - in[j]) < 1e-2) found = 1;
            if (!found) bad_values++;
        }
        CHECK(imax == 100.0f, "max intensity of %u is %g (rescaled to 100 exactly: 250*(100/250))", k, imax);
    }
    CHECK(bad_meta == 0, "%zu metadata mismatches", bad_meta);
    CHECK(bad_order == 0, "%zu peaks out of 2theta order", bad_order);
    CHECK(bad_values == 0, "%zu peaks not found in the input", bad_values);
    CHECK(xs_dataset_total_peaks(d) == total, "total peaks");
    /* out-of-range getters */
    const float *tt = (const float *)1;
    CHECK(xs_dataset_peaks(d, N, &tt, NULL) == 0 && tt == NULL, "peaks out of range");
    CHECK(xs_dataset_space_group(d, N) == 0 && xs_dataset_split(d, N) == -1 && xs_dataset_lattice(d, N) == NULL,
          "getters out of range");
    xs_dataset_free(d);

    /* the same seed gives the same split; another seed another one */
    char p2[512], p3[512];
    path_in_dir(p2, sizeof p2, "roundtrip2.h5");
    path_in_dir(p3, sizeof p3, "roundtrip3.h5");
    uint64_t seeds[2] = {7, 8};
    const char *paths[2] = {p2, p3};
    for (int s = 0; s < 2; s++) {
        CHECK(xs_dataset_writer_create(paths[s], 1.5406, 5.0, 90.0, NULL, &w, &err) == XS_OK, "%s", err.message);
        for (unsigned k = 0; k < N; k++) {
            make_fake(&f, k);
            xs_dataset_writer_add(w, &f.e, &err);
        }
        CHECK(xs_dataset_writer_close(w, seeds[s], 0.1, 0.1, &err) == XS_OK, "%s", err.message);
    }
    xs_dataset *a = NULL, *b = NULL, *c = NULL;
    xs_dataset_open(path, &a, &err);
    xs_dataset_open(p2, &b, &err);
    xs_dataset_open(p3, &c, &err);
    if (a && b && c) {
        size_t same_ab = 0, same_ac = 0;
        for (unsigned k = 0; k < N; k++) {
            same_ab += xs_dataset_split(a, k) == xs_dataset_split(b, k);
            same_ac += xs_dataset_split(a, k) == xs_dataset_split(c, k);
        }
        CHECK(same_ab == N, "same seed, same split (%zu of %u)", same_ab, N);
        /* with 80/10/10, two independent splits agree on ~0.66 of the entries; 0.9 is > 8 sigma above that */
        CHECK(same_ac < 0.9 * N, "another seed, another split (%zu of %u agree)", same_ac, N);
    }
    xs_dataset_free(a);
    xs_dataset_free(b);
    xs_dataset_free(c);
    unlink(path);
    unlink(p2);
    unlink(p3);
}

static void test_dedupe(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "dedupe.h5");
    xs_error err = {0};
    xs_dataset_writer *w = NULL;
    CHECK(xs_dataset_writer_create(path, 1.5406, 0.0, 90.0, "dedupe", &w, &err) == XS_OK, "%s", err.message);
    if (!w) return;
    fake f, g;
    size_t expect = 0;
    for (unsigned k = 0; k < 200; k++) {
        make_fake(&f, k);
        xs_dataset_writer_add(w, &f.e, &err);
        expect++;
    }
    /* exact copies of entries 0..49: removed */
    for (unsigned k = 0; k < 50; k++) {
        make_fake(&f, k);
        f.e.source = "copy";
        CHECK(xs_dataset_writer_add(w, &f.e, &err) == XS_OK, "%s", err.message);
    }
    /* copies with every peak moved by 4e-4 deg (inside the 1e-3 tolerance), peaks given in reverse order and
     * intensities scaled by 3 (rescaled to 100 on add): removed */
    for (unsigned k = 50; k < 80; k++) {
        make_fake(&f, k);
        g = f;
        size_t n = f.e.n_peaks;
        for (size_t j = 0; j < n; j++) {
            g.tt[j] = f.tt[n - 1 - j] + 4e-4;
            g.in[j] = 3.0 * f.in[n - 1 - j];
        }
        g.e.two_theta = g.tt;
        g.e.intensity = g.in;
        g.e.formula = g.formula;
        CHECK(xs_dataset_writer_add(w, &g.e, &err) == XS_OK, "%s", err.message);
    }
    /* near copies that must be kept: one peak moved by 0.01 deg (10x the tolerance) - peak n/2, the strongest;
     * another space group; another formula; one strong intensity changed by 5 (of 100) */
    for (unsigned k = 80; k < 90; k++) {
        make_fake(&f, k);
        f.tt[f.e.n_peaks / 2] += 0.01;
        xs_dataset_writer_add(w, &f.e, &err);
        expect++;
        make_fake(&f, k);
        f.e.space_group = f.e.space_group % 230 + 1;
        xs_dataset_writer_add(w, &f.e, &err);
        expect++;
        make_fake(&f, k);
        f.formula[0] = 'X';
        xs_dataset_writer_add(w, &f.e, &err);
        expect++;
        make_fake(&f, k);
        f.in[f.e.n_peaks / 2] = 250.0 * 0.95; /* still the strongest: all others rise by 5%, up to ~2 of 100 */
        xs_dataset_writer_add(w, &f.e, &err);
        expect++;
    }
    CHECK(xs_dataset_writer_count(w) == 200 + 50 + 30 + 40, "added %zu", xs_dataset_writer_count(w));
    size_t kept = 0;
    CHECK(xs_dataset_writer_close_ex(w, 1, 0.2, 0.2, &kept, &err) == XS_OK, "%s", err.message);
    CHECK(kept == expect, "kept %zu, expected %zu", kept, expect);
    xs_dataset *d = NULL;
    CHECK(xs_dataset_open(path, &d, &err) == XS_OK, "%s", err.message);
    if (d) {
        CHECK(xs_dataset_count(d) == expect, "file holds %zu", xs_dataset_count(d));
        size_t copies = 0;
        for (size_t i = 0; i < xs_dataset_count(d); i++) copies += !strcmp(xs_dataset_source(d, i), "copy");
        CHECK(copies == 0, "the first-added entry is the one kept (%zu copies kept)", copies);
        /* the first 200 are the originals in their order */
        size_t order_ok = 0;
        for (unsigned k = 0; k < 200; k++) {
            make_fake(&f, k);
            order_ok += !strcmp(xs_dataset_formula(d, k), f.formula);
        }
        CHECK(order_ok == 200, "add order preserved (%zu)", order_ok);
        xs_dataset_free(d);
    }
    unlink(path);
}

static void test_split_fractions(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "split.h5");
    xs_error err = {0};
    const double fv = 0.15, ft = 0.05;
    xs_dataset_writer *w = NULL;
    CHECK(xs_dataset_writer_create(path, 1.5406, 0.0, 90.0, NULL, &w, &err) == XS_OK, "%s", err.message);
    if (!w) return;
    const unsigned N = 23000; /* 100 per space group */
    fake f;
    for (unsigned k = 0; k < N; k++) {
        make_fake(&f, k);
        xs_dataset_writer_add(w, &f.e, &err);
    }
    CHECK(xs_dataset_writer_close(w, 12345, fv, ft, &err) == XS_OK, "%s", err.message);
    xs_dataset *d = NULL;
    CHECK(xs_dataset_open(path, &d, &err) == XS_OK, "%s", err.message);
    if (!d) return;
    size_t nv = xs_dataset_count_split(d, XS_SPLIT_VAL), nt = xs_dataset_count_split(d, XS_SPLIT_TEST),
           ntr = xs_dataset_count_split(d, XS_SPLIT_TRAIN);
    CHECK(nv + nt + ntr == N, "splits sum to N");
    /* the low-discrepancy rule guarantees |count - frac*N| <= 2 (header), a binomial draw would be off by ~54 */
    CHECK_NEAR(nv, fv * N, 2.0, "validation count");
    CHECK_NEAR(nt, ft * N, 2.0, "test count");
    /* per space group (100 each): within 2 of 15 and 5, the stratification guarantee */
    size_t cv[231] = {0}, ct[231] = {0}, cn[231] = {0};
    for (size_t i = 0; i < N; i++) {
        int g = xs_dataset_space_group(d, i), s = xs_dataset_split(d, i);
        cn[g]++;
        if (s == XS_SPLIT_VAL) cv[g]++;
        if (s == XS_SPLIT_TEST) ct[g]++;
    }
    int bad = 0;
    for (int g = 1; g <= 230; g++)
        if (fabs((double)cv[g] - fv * cn[g]) > 2.0 || fabs((double)ct[g] - ft * cn[g]) > 2.0) bad++;
    CHECK(bad == 0, "%d space groups have a split off by more than 2", bad);
    /* the held-out entries are not simply the first ones of each group: the validation entries' mean index
     * within its group should be near 49.5; for 15 draws from 0..99 its sd is ~7.5, and over 230 groups
     * the grand mean's sd ~0.5: allow 3 (6 sigma) */
    double sum = 0;
    size_t cnt = 0, seen[231] = {0};
    for (size_t i = 0; i < N; i++) {
        int g = xs_dataset_space_group(d, i);
        if (xs_dataset_split(d, i) == XS_SPLIT_VAL) {
            sum += (double)seen[g];
            cnt++;
        }
        seen[g]++;
    }
    CHECK_NEAR(sum / (double)cnt, 49.5, 3.0, "mean within-group index of validation entries");
    /* a selection: all of a split in file order, or `limit` of it spread over every group (the first 230
     * of the file would hold only groups 1..3) */
    size_t *idx = malloc(N * sizeof *idx);
    size_t n_sel = xs_dataset_select(d, XS_SPLIT_VAL, 0, idx);
    int order_ok = n_sel == nv;
    for (size_t k = 0; order_ok && k < n_sel; k++)
        order_ok = xs_dataset_split(d, idx[k]) == XS_SPLIT_VAL && (k == 0 || idx[k] > idx[k - 1]);
    CHECK(order_ok, "the validation split in file order (%zu of %zu)", n_sel, nv);
    CHECK(xs_dataset_select(d, -1, 0, idx) == N && idx[N - 1] == N - 1, "all crystals");
    size_t n_train_all = xs_dataset_select(d, XS_SPLIT_TRAIN, 0, idx);
    size_t *spread = malloc(230 * sizeof *spread);
    n_sel = xs_dataset_select(d, XS_SPLIT_TRAIN, 230, spread);
    int every_ok = n_sel == 230, lo = 231, hi = 0;
    for (size_t k = 0; every_ok && k < n_sel; k++) {
        every_ok = spread[k] == idx[k * n_train_all / 230];
        int g = xs_dataset_space_group(d, spread[k]);
        lo = g < lo ? g : lo, hi = g > hi ? g : hi;
    }
    CHECK(every_ok, "230 spread: training crystal k * n / 230 for every k");
    CHECK(lo == 1 && hi >= 229, "the spread reaches from group %d to group %d", lo, hi);
    free(spread);
    CHECK(xs_dataset_select(d, XS_SPLIT_TEST, N, idx) == nt, "a limit above the split's size keeps all");
    free(idx);
    xs_dataset_free(d);
    unlink(path);

    /* bad fractions */
    CHECK(xs_dataset_writer_create(path, 1.5406, 0.0, 90.0, NULL, &w, &err) == XS_OK, "%s", err.message);
    make_fake(&f, 1);
    xs_dataset_writer_add(w, &f.e, &err);
    CHECK(xs_dataset_writer_close(w, 1, 0.7, 0.6, &err) == XS_ERR_INVALID, "fractions summing to 1.3 rejected");
    CHECK(!file_exists(path), "no file after a failed close");
    CHECK(files_in_dir() == 0, "no temporary file after a failed close (%d)", files_in_dir());
}

static void test_atomic_and_bad_input(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "abort.h5");
    xs_error err = {0};
    xs_dataset_writer *w = NULL;
    CHECK(xs_dataset_writer_create(path, 1.5406, 0.0, 90.0, NULL, &w, &err) == XS_OK, "%s", err.message);
    CHECK(files_in_dir() == 1, "the temporary file is reserved at create (%d files)", files_in_dir());
    fake f;
    make_fake(&f, 3);
    xs_dataset_writer_add(w, &f.e, &err);
    /* bad entries are rejected and leave the writer usable */
    xs_dataset_entry e = f.e;
    e.space_group = 231;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID && strstr(err.message, "space group"), "sg 231: %s",
          err.message);
    e = f.e;
    e.lattice_params[0] = NAN;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID, "NaN lattice");
    e = f.e;
    double tt[2] = {10.0, NAN}, in[2] = {1.0, 1.0};
    e.n_peaks = 2;
    e.two_theta = tt;
    e.intensity = in;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID && strstr(err.message, "2theta"), "NaN 2theta: %s",
          err.message);
    tt[1] = 95.0;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID, "2theta outside the file's range");
    tt[1] = 20.0;
    in[0] = -1.0;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID, "negative intensity");
    in[0] = in[1] = 0.0;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID, "all-zero intensities");
    e.n_peaks = 0;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_ERR_INVALID, "no peaks");
    CHECK(xs_dataset_writer_count(w) == 1, "rejected entries not added");
    xs_dataset_writer_abort(w);
    CHECK(!file_exists(path), "abort leaves no file");
    CHECK(files_in_dir() == 0, "abort leaves no temporary file (%d)", files_in_dir());
    xs_dataset_writer_abort(NULL);

    /* unwritable folder */
    CHECK(xs_dataset_writer_create("/nonexistent-dir/x.h5", 1.5406, 0.0, 90.0, NULL, &w, &err) == XS_ERR_IO && !w,
          "missing folder: %s", err.message);
    CHECK(xs_dataset_writer_create(path, NAN, 0.0, 90.0, NULL, &w, &err) == XS_ERR_INVALID, "NaN wavelength");
    CHECK(xs_dataset_writer_create(path, 1.54, 50.0, 40.0, NULL, &w, &err) == XS_ERR_INVALID, "reversed range");

    /* an existing file at the path is replaced only at close */
    FILE *fp = fopen(path, "w");
    fputs("old", fp);
    fclose(fp);
    CHECK(xs_dataset_writer_create(path, 1.5406, 0.0, 90.0, NULL, &w, &err) == XS_OK, "%s", err.message);
    xs_dataset_writer_add(w, &f.e, &err);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 3, "old file untouched before close");
    xs_dataset_writer_abort(w);
    CHECK(stat(path, &st) == 0 && st.st_size == 3, "old file untouched after abort");

    /* reading bad files */
    xs_dataset *d = NULL;
    CHECK(xs_dataset_open(path, &d, &err) == XS_ERR_IO && !d && strstr(err.message, "HDF5"), "text file: %s",
          err.message);
    char missing[512];
    path_in_dir(missing, sizeof missing, "missing.h5");
    CHECK(xs_dataset_open(missing, &d, &err) == XS_ERR_IO && strstr(err.message, "No such file"), "missing: %s",
          err.message);
    CHECK(xs_dataset_open(dir, &d, &err) == XS_ERR_IO, "a folder: %s", err.message);
    unlink(path);

    /* a truncated real file */
    char good[512];
    path_in_dir(good, sizeof good, "good.h5");
    xs_dataset_writer_create(good, 1.5406, 0.0, 90.0, NULL, &w, &err);
    for (unsigned k = 0; k < 300; k++) {
        make_fake(&f, k);
        xs_dataset_writer_add(w, &f.e, &err);
    }
    CHECK(xs_dataset_writer_close(w, 1, 0.1, 0.1, &err) == XS_OK, "%s", err.message);
    CHECK(stat(good, &st) == 0, "good file");
    CHECK(truncate(good, st.st_size / 2) == 0, "truncate");
    xs_status s = xs_dataset_open(good, &d, &err);
    CHECK((s == XS_ERR_IO || s == XS_ERR_PARSE) && !d, "truncated file: status %d, %s", (int)s, err.message);
    xs_dataset_free(d);
    unlink(good);
}

/* Files made by hand with HDF5: wrong format name, newer version, missing array, inconsistent offsets. */
#include <hdf5.h>
static void write_raw(const char *path, const char *format, int version, int drop_intensity, long long last_offset)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format", st, sc, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, st, &format);
    H5Aclose(a);
    a = H5Acreate2(f, "format_version", H5T_STD_I32LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version);
    H5Aclose(a);
    double vals[3] = {1.5406, 5.0, 90.0};
    const char *names[3] = {"wavelength", "two_theta_min", "two_theta_max"};
    for (int i = 0; i < 3; i++) {
        a = H5Acreate2(f, names[i], H5T_IEEE_F64LE, sc, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_DOUBLE, &vals[i]);
        H5Aclose(a);
    }
    hid_t gc = H5Gcreate2(f, "crystals", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t gp = H5Gcreate2(f, "peaks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n1[1] = {1}, n2[1] = {2}, n6[2] = {1, 6}, m[1] = {3};
    int sg = 225, na = 8;
    signed char cs = 6, sp = 0;
    double lat[6] = {5, 5, 5, 90, 90, 90};
    long long off[2] = {0, last_offset};
    float tt[3] = {30, 40, 50}, in[3] = {100, 50, 20};
    const char *formula = "Na4Cl4", *source = "hand";
#define DS(g, name, ftype, mtype, dims, rank, data)                                                  \
    do {                                                                                             \
        hid_t s_ = H5Screate_simple(rank, dims, NULL);                                               \
        hid_t d_ = H5Dcreate2(g, name, ftype, s_, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);            \
        H5Dwrite(d_, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);                                    \
        H5Dclose(d_);                                                                                \
        H5Sclose(s_);                                                                                \
    } while (0)
    DS(gc, "space_group", H5T_STD_I32LE, H5T_NATIVE_INT, n1, 1, &sg);
    DS(gc, "crystal_system", H5T_STD_I8LE, H5T_NATIVE_SCHAR, n1, 1, &cs);
    DS(gc, "formula", st, st, n1, 1, &formula);
    DS(gc, "lattice", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n6, 2, lat);
    DS(gc, "n_atoms", H5T_STD_I32LE, H5T_NATIVE_INT, n1, 1, &na);
    DS(gc, "split", H5T_STD_I8LE, H5T_NATIVE_SCHAR, n1, 1, &sp);
    DS(gc, "source", st, st, n1, 1, &source);
    DS(gp, "offset", H5T_STD_I64LE, H5T_NATIVE_LLONG, n2, 1, off);
    DS(gp, "two_theta", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, m, 1, tt);
    if (!drop_intensity) DS(gp, "intensity", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, m, 1, in);
#undef DS
    H5Gclose(gc);
    H5Gclose(gp);
    H5Sclose(sc);
    H5Tclose(st);
    H5Fclose(f);
}

static void test_foreign_files(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "raw.h5");
    xs_error err = {0};
    xs_dataset *d = NULL;
    write_raw(path, XS_DATASET_FORMAT, 1, 0, 3);
    CHECK(xs_dataset_open(path, &d, &err) == XS_OK, "hand-written valid file: %s", err.message);
    if (d) {
        CHECK(xs_dataset_count(d) == 1 && xs_dataset_space_group(d, 0) == 225 && !strcmp(xs_dataset_formula(d, 0), "Na4Cl4"),
              "hand-written content");
        xs_dataset_free(d);
        d = NULL;
    }
    write_raw(path, "something-else", 1, 0, 3);
    CHECK(xs_dataset_open(path, &d, &err) == XS_ERR_PARSE && strstr(err.message, "something-else"), "wrong format: %s",
          err.message);
    write_raw(path, XS_DATASET_FORMAT, 2, 0, 3);
    CHECK(xs_dataset_open(path, &d, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "version 2"),
          "newer version: %s", err.message);
    write_raw(path, XS_DATASET_FORMAT, 1, 1, 3);
    CHECK(xs_dataset_open(path, &d, &err) == XS_ERR_PARSE && strstr(err.message, "intensity"), "missing array: %s",
          err.message);
    write_raw(path, XS_DATASET_FORMAT, 1, 0, 2);
    CHECK(xs_dataset_open(path, &d, &err) == XS_ERR_PARSE && strstr(err.message, "offset"), "bad offsets: %s",
          err.message);
    CHECK(d == NULL, "no dataset on error");
    unlink(path);
}

/* test_dataset --write PATH: the small file that tests/test_dataset_h5py.py reads with h5py. */
static int write_for_h5py(const char *path)
{
    xs_error err = {0};
    xs_dataset_writer *w = NULL;
    if (xs_dataset_writer_create(path, 1.5406, 5.0, 90.0, "test_dataset --write", &w, &err) != XS_OK) return 1;
    double tt0[3] = {45.45, 27.37, 31.70}, in0[3] = {27.5, 6.5, 50.0};
    double tt1[4] = {17.4, 22.9, 32.3, 36.5}, in1[4] = {30, 100, 60, 80};
    double tt2[2] = {20.0, 30.0}, in2[2] = {100, 40};
    xs_dataset_entry e[4] = {
        {225, "Na4Cl4", {5.64, 5.64, 5.64, 90, 90, 90}, 8, "hand:NaCl", 3, tt0, in0},
        {62, "Mg4Si2O8", {10.2, 6.0, 4.75, 90, 90, 90}, 28, "hand:forsterite", 4, tt1, in1},
        {14, "C4H4", {5.0, 6.0, 7.0, 90, 100, 90}, 8, NULL, 2, tt2, in2},
        {225, "Na4Cl4", {5.64, 5.64, 5.64, 90, 90, 90}, 8, "hand:NaCl again", 3, tt0, in0},
    };
    for (int i = 0; i < 4; i++)
        if (xs_dataset_writer_add(w, &e[i], &err) != XS_OK) {
            fprintf(stderr, "%s\n", err.message);
            xs_dataset_writer_abort(w);
            return 1;
        }
    if (xs_dataset_writer_close(w, 1, 0.0, 0.0, &err) != XS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write")) return write_for_h5py(argv[2]);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/xs_test_dataset.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot create a temporary folder\n");
        return 1;
    }
    test_roundtrip();
    test_dedupe();
    test_split_fractions();
    test_atomic_and_bad_input();
    test_foreign_files();
    rmdir(dir);
    return xs_test_finish();
}
