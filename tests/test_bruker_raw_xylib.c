/* The .raw reader against an independent implementation: Debian's xylib (libxy-dev, 1.6) reads version 3
 * files; every angle and count of a two-range file written in our layout must be what xylib reads, and a cut
 * file must fail in both. (xylib 1.6 has no version 4; that version is checked in test_bruker_raw.c only.)
 * Built with xylib when CMake finds it; without it this test is skipped (exit 77). */
#include "xrdsym.h"
#include "xs_test.h"

#include "xs_bruker_raw_files.h"

#ifdef XS_HAVE_XYLIB
#include <xylib/xylib.h>

int main(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/xs_bruker_xylib_%d.raw", (int)getpid());
    size_t size = make_v3(2, 24);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, size, f);
    fclose(f);
    xs_pattern **l = NULL;
    size_t n = 0;
    xs_error err = {0};
    CHECK(xs_pattern_read(path, &l, &n, &err) == XS_OK && n == 2, "ours: %s", err.message);
    void *d = xylib_load_file(path, "bruker_raw", NULL);
    CHECK(d != NULL, "xylib could not read %s", path);
    if (d && n == 2) {
        for (int k = 0; k < 2; k++) {
            void *b = xylib_get_block(d, k);
            CHECK(xylib_count_columns(b) == 2 && (size_t)xylib_count_rows(b, 2) == xs_pattern_size(l[k]),
                  "range %d: xylib %d points, ours %zu", k + 1, xylib_count_rows(b, 2), xs_pattern_size(l[k]));
            if ((size_t)xylib_count_rows(b, 2) != xs_pattern_size(l[k])) continue;
            double worst_x = 0, worst_y = 0;
            for (size_t i = 0; i < xs_pattern_size(l[k]); i++) {
                /* xylib computes start + i * step in double as we do; the counts are the same float32 */
                worst_x = fmax(worst_x, fabs(xylib_get_data(b, 1, (int)i) - xs_pattern_two_theta(l[k])[i]));
                worst_y = fmax(worst_y, fabs(xylib_get_data(b, 2, (int)i) - xs_pattern_intensity(l[k])[i]));
            }
            CHECK(worst_x < 1e-9 && worst_y == 0, "range %d: angles differ by %g, counts by %g", k + 1, worst_x, worst_y);
        }
        const char *a1 = xylib_dataset_metadata(d, "ALPHA1"), *a2 = xylib_dataset_metadata(d, "ALPHA2");
        double ratio = 0;
        CHECK(a1 && a2 && fabs(atof(a2) - xs_pattern_kalpha2(l[0], &ratio)) < 1e-5, "K-alpha2: xylib %s", a2 ? a2 : "-");
        CHECK(a1 && fabs((atof(a1) + 0.5 * atof(a2)) / 1.5 - xs_pattern_wavelength(l[0])) < 1e-5, "wavelength");
    }
    if (d) xylib_free_dataset(d);
    xs_pattern_list_free(l, n);
    /* cut inside the counts of range 1: both refuse */
    f = fopen(path, "wb");
    fwrite(buf, 1, 712 + 304 + 24 + 100, f);
    fclose(f);
    void *cut = xylib_load_file(path, "bruker_raw", NULL);
    CHECK(cut == NULL, "xylib read a cut file");
    if (cut) xylib_free_dataset(cut);
    CHECK(xs_pattern_read(path, &l, &n, &err) == XS_ERR_PARSE, "ours read a cut file");
    unlink(path);
    return xs_test_finish();
}
#else
int main(void)
{
    (void)make_v4;
    printf("SKIPPED: built without xylib (apt-get install libxy-dev, then cmake again)\n");
    return 77;
}
#endif
