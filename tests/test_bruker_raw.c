/* Bruker DIFFRAC .raw, versions 3 and 4: files written here in the layout the reader follows (xylib's
 * description; no instrument file was at hand), read back through xs_pattern_read: angles, counts, the
 * wavelength from the tube's K-alpha lines, several ranges; and every cut of the files, a garbled header,
 * a non-2theta scan and the old versions give a clear error, never a crash (asan_bruker_raw runs this
 * under the sanitizers). */
#include "xrdsym.h"
#include "xs_test.h"

#include "xs_bruker_raw_files.h"

static char path[64];

static xs_status read_bytes(size_t size, xs_pattern ***l, size_t *n, xs_error *err)
{
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, size, f);
    fclose(f);
    memset(err, 0, sizeof *err);
    return xs_pattern_read(path, l, n, err);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/xs_bruker_%d.raw", (int)getpid());
    xs_pattern **l = NULL;
    size_t n = 0;
    xs_error err = {0};

    /* version 3, two ranges, 24 bytes of supplementary header in each */
    size_t size3 = make_v3(2, 24);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_OK && n == 2, "v3: %zu ranges: %s", n, err.message);
    if (n == 2) {
        CHECK(xs_pattern_size(l[0]) == 200 && strstr(xs_pattern_name(l[1]), "#2"), "v3 sizes and names");
        CHECK_NEAR(xs_pattern_two_theta(l[0])[50], 11.0, 1e-9, "v3 angle of point 50");
        CHECK_NEAR(xs_pattern_two_theta(l[1])[0], 50.0, 1e-9, "v3 second range start");
        CHECK_NEAR(xs_pattern_intensity(l[0])[50], 5100, 0, "v3 count of point 50");
        CHECK_NEAR(xs_pattern_intensity(l[1])[3], 113, 0, "v3 count in range 2");
        /* (1.5406 + 0.5 * 1.54439) / 1.5, the K-alpha mean with the file's ratio */
        CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.5406 + 0.5 * 1.54439) / 1.5, 1e-12, "v3 wavelength");
        double ratio = 0;
        CHECK_NEAR(xs_pattern_kalpha2(l[0], &ratio), 1.54439, 1e-12, "v3 K-alpha2");
    }
    xs_pattern_list_free(l, n);

    /* a ratio of 0 (K-alpha1 alone, behind a monochromator): K-alpha1, and no K-alpha2 */
    size3 = make_v3(1, 0);
    put_f64(648, 0);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_OK && n == 1, "v3 ratio 0: %s", err.message);
    if (n == 1) {
        double ratio = 0;
        CHECK(xs_pattern_wavelength(l[0]) == 1.5406 && xs_pattern_kalpha2(l[0], &ratio) == 0, "v3 K-alpha1 alone: %g",
              xs_pattern_wavelength(l[0]));
    }
    xs_pattern_list_free(l, n);

    /* the file's own ratio (not 0.5) in both the mean and the K-alpha2 the pattern reports */
    size3 = make_v3(1, 0);
    put_f64(648, 0.52);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_OK && n == 1, "v3 ratio 0.52: %s", err.message);
    if (n == 1) {
        double ratio = 0;
        CHECK(xs_pattern_kalpha2(l[0], &ratio) == 1.54439 && ratio == 0.52, "v3 ratio reported %g", ratio);
        CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.5406 + 0.52 * 1.54439) / 1.52, 1e-12, "v3 mean with ratio 0.52");
    }
    xs_pattern_list_free(l, n);

    /* version 4: Co tube, two coupled ranges after a variable and a hardware segment */
    size_t size4 = make_v4(2, "Locked Coupled");
    CHECK(read_bytes(size4, &l, &n, &err) == XS_OK && n == 2, "v4: %zu ranges: %s", n, err.message);
    if (n == 2) {
        CHECK_NEAR(xs_pattern_two_theta(l[0])[50], 15.5, 1e-9, "v4 angle of point 50");
        CHECK_NEAR(xs_pattern_two_theta(l[1])[199], 45 + 1.99, 1e-9, "v4 last angle of range 2");
        CHECK_NEAR(xs_pattern_intensity(l[0])[50], 5100, 0, "v4 count of point 50");
        CHECK_NEAR(xs_pattern_wavelength(l[0]), (1.78897 + 0.5 * 1.79285) / 1.5, 1e-12, "v4 Co wavelength");
    }
    xs_pattern_list_free(l, n);
    /* one range: the name is the file's */
    size_t one = make_v4(1, "Unlocked Coupled");
    CHECK(read_bytes(one, &l, &n, &err) == XS_OK && n == 1 && !strchr(xs_pattern_name(l[0]), '#'), "v4 one range");
    xs_pattern_list_free(l, n);
    /* trailing padding after the last range is not a range */
    CHECK(read_bytes(one + 3, &l, &n, &err) == XS_OK && n == 1, "v4 with 3 padding bytes: %s", err.message);
    xs_pattern_list_free(l, n);

    /* every cut of both files: an error naming the file (or, cut between ranges of v4, the ranges before) */
    int cuts = 0, errors = 0, partial = 0;
    for (size_t cut = 0; cut < size3; cut += 13) {
        make_v3(2, 24);
        xs_status st = read_bytes(cut, &l, &n, &err);
        cuts++;
        if (st != XS_OK) errors += strstr(err.file, "xs_bruker_") != NULL && l == NULL && n == 0;
        xs_pattern_list_free(l, n);
    }
    CHECK(errors == cuts, "v3: %d of %d cuts gave a clear error", errors, cuts);
    cuts = errors = 0;
    for (size_t cut = 0; cut < size4; cut += 11) {
        make_v4(2, "Locked Coupled");
        xs_status st = read_bytes(cut, &l, &n, &err);
        cuts++;
        if (st != XS_OK) errors += strstr(err.file, "xs_bruker_") != NULL && l == NULL;
        else partial += n == 1; /* cut exactly at the end of range 1 */
        xs_pattern_list_free(l, n);
    }
    CHECK(errors + partial == cuts && partial <= 1, "v4: %d errors and %d whole first ranges of %d cuts", errors, partial,
          cuts);
    /* a cut inside the counts says so */
    make_v3(1, 0);
    CHECK(read_bytes(712 + 304 + 100, &l, &n, &err) == XS_ERR_PARSE && strstr(err.message, "counts of range 1"),
          "v3 cut in the counts: %s", err.message);

    /* garbled: a range header of the wrong length, a zero step, a NaN count, a huge segment */
    size3 = make_v3(1, 0);
    put_u32(712, 300);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_ERR_PARSE && strstr(err.message, "not 304"), "v3 header: %s", err.message);
    size3 = make_v3(1, 0);
    put_f64(712 + 176, 0);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_ERR_INVALID && strstr(err.message, "step 0"), "v3 step: %s", err.message);
    size3 = make_v3(1, 0);
    put_f32(712 + 304 + 40, NAN);
    CHECK(read_bytes(size3, &l, &n, &err) == XS_ERR_INVALID && strstr(err.message, "finite"), "v3 NaN: %s", err.message);
    size4 = make_v4(1, "Locked Coupled");
    put_u32(61 + 4, 0x7fffffff);
    CHECK(read_bytes(size4, &l, &n, &err) == XS_ERR_PARSE && strstr(err.message, "claims"), "v4 segment: %s", err.message);
    /* not a powder pattern: a rocking curve */
    size4 = make_v4(1, "Rocking Curve");
    CHECK(read_bytes(size4, &l, &n, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "Rocking Curve"), "v4 rocking: %s",
          err.message);
    /* the old versions are named, not read as garbage */
    memset(buf, 0, 64);
    memcpy(buf, "RAW2", 4);
    CHECK(read_bytes(64, &l, &n, &err) == XS_ERR_UNSUPPORTED && strstr(err.message, "version 1 or 2"), "v2: %s", err.message);

    unlink(path);
    return xs_test_finish();
}
