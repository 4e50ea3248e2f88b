/* The measured patterns of ../shared/data read as a user's files would be: the 332 RRUFF patterns (the
 * table), the 15 synchrotron .xy files and the 15 IUCr Rietveld CIFs with their measured profiles. */
#include "xrdsym.h"
#include "xs_test.h"

#include <dirent.h>

static int read_dir(const char *dir, const char *ext, int *n_files, int *n_patterns, int *with_wavelength)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < strlen(ext) || strcmp(e->d_name + len - strlen(ext), ext)) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        xs_pattern **l = NULL;
        size_t n = 0;
        xs_error err = {0};
        (*n_files)++;
        if (xs_pattern_read(path, &l, &n, &err) != XS_OK) {
            printf("  %s: %s\n", e->d_name, err.message);
            continue;
        }
        *n_patterns += (int)n;
        for (size_t i = 0; i < n; i++) *with_wavelength += xs_pattern_wavelength(l[i]) > 0;
        xs_pattern_list_free(l, n);
    }
    closedir(d);
    return 1;
}

int main(void)
{
    char path[2048], dir[1024];
    xs_test_shared("experimental/rruff-dev.tsv.gz", path, sizeof path);
    xs_pattern **l = NULL;
    size_t n = 0;
    xs_error err = {0};
    /* read compressed, as shipped */
    CHECK(xs_pattern_read(path, &l, &n, &err) == XS_OK, "RRUFF table (.tsv.gz): %s", err.message);
    CHECK(n == 332, "332 RRUFF patterns, got %zu", n);
    xs_grid grid = xs_grid_paper();
    float *out = malloc(grid.count * sizeof *out);
    int labelled = 0, on_grid = 0;
    for (size_t i = 0; i < n; i++) {
        labelled += xs_pattern_label(l[i]) >= 1;
        double cov;
        on_grid += xs_pattern_to_grid(l[i], 1.54184, &grid, 1.54184, 0.5, out, &cov, NULL) == XS_OK && cov == 1.0;
    }
    CHECK(labelled == 332 && on_grid == 332, "all labelled (%d) and on the paper grid (%d)", labelled, on_grid);
    CHECK(n > 0 && xs_pattern_wavelength(l[0]) > 1.54 && xs_pattern_wavelength(l[0]) < 1.55, "Cu K-alpha from the header");
    xs_pattern_list_free(l, n);
    free(out);

    int files = 0, patterns = 0, wl = 0;
    xs_test_unpack("experimental/ssrl-synchrotron-xy.tar.gz", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/XYdata", dir);
    read_dir(path, ".xy", &files, &patterns, &wl);
    printf("synchrotron: %d files, %d patterns\n", files, patterns);
    CHECK(files == 15 && patterns == 15, "15 synchrotron .xy files read (%d of %d)", patterns, files);

    files = patterns = wl = 0;
    xs_test_unpack("structures/iucr-rietveld-cifs.tar.gz", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cif_files", dir);
    read_dir(path, ".cif", &files, &patterns, &wl);
    printf("IUCr Rietveld CIFs: %d files, %d measured profiles, %d with their wavelength\n", files, patterns, wl);
    CHECK(files == 15 && patterns == 15,
          "one measured profile from every IUCr Rietveld CIF, their simulated blocks left out (%d from %d files)",
          patterns, files);
    CHECK(wl == 15, "every profile's wavelength found, in its own block or a linked one (%d)", wl);
    /* labels from the refined structures, as written in the files: a Hall symbol with a bar ('P 4 -2', 'P -6 2'),
     * a linked phase block; none for the two-phase mixture and the modulated structure */
    static const struct {
        const char *file;
        int label;
        double wavelength;
    } expect[] = {{"ks5409BTsup2.rtv.combined.cif", 99, 1.54056},
                  {"wn6225Isup2.rtv.combined.cif", 187, 0},
                  {"gw5052Mg2Si_100K_LTsup2.rtv.combined.cif", 225, 0.49935},
                  {"wh5012phaseIIsup2.rtv.combined.cif", 62, 0.71073},
                  {"av5088sup4.rtv.combined.cif", 0, 0},
                  {"ck5030Vsup6.rtv.combined.cif", 0, 0}};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        snprintf(path, sizeof path, "%s/cif_files/%s", dir, expect[i].file);
        l = NULL;
        n = 0;
        CHECK(xs_pattern_read(path, &l, &n, &err) == XS_OK && n == 1, "%s: %s", expect[i].file, err.message);
        if (n != 1) continue;
        CHECK(xs_pattern_label(l[0]) == expect[i].label, "%s: label %d, got %d", expect[i].file, expect[i].label,
              xs_pattern_label(l[0]));
        /* 1e-9: the number as written in the file */
        if (expect[i].wavelength > 0)
            CHECK(fabs(xs_pattern_wavelength(l[0]) - expect[i].wavelength) < 1e-9, "%s: wavelength %g, got %g",
                  expect[i].file, expect[i].wavelength, xs_pattern_wavelength(l[0]));
        xs_pattern_list_free(l, n);
    }
    return xs_test_finish();
}
