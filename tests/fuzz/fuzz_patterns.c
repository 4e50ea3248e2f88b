/* Fuzz target: every measured-pattern reader (xs_pattern_read), then the conversion to the model's grid, as
 * `predict` does. The first byte of an input chooses the file's extension, and with it the reader; the rest
 * is the file. A reader may refuse a file (with a message); it must not crash, hang or read out of bounds,
 * and what it accepts must be finite and increasing in angle. Built with clang -fsanitize=fuzzer (scripts/fuzz.sh). */
#include "fuzz_common.h"

static const char *const extensions[] = {".xy",   ".xye", ".csv",  ".txt", ".xrdml", ".ras", ".rasx", ".raw",
                                         ".brml", ".gsa", ".fxye", ".cif", ".tsv",   ".dat", ".xy.gz"};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    const size_t n_ext = sizeof extensions / sizeof extensions[0];
    const char *path = fuzz_file(extensions[data[0] % n_ext], data + 1, size - 1);
    if (!path) return 0;
    xs_pattern **list = NULL;
    size_t n = 0;
    if (!fuzz_read_patterns(path, &list, &n)) return 0;
    xs_grid grid = xs_grid_paper();
    float *out = malloc(grid.count * sizeof *out);
    for (size_t i = 0; i < n && out; i++) {
        double w = xs_pattern_wavelength(list[i]);
        if (w == 0) w = 1.5406;
        xs_error e2 = {0};
        if (xs_pattern_to_grid(list[i], w, &grid, 1.5406, 0.5, out, NULL, &e2) == XS_OK) {
            for (size_t j = 0; j < grid.count; j++)
                if (!(out[j] >= 0 && out[j] <= 1)) abort();
        } else if (!e2.message[0]) {
            abort();
        }
    }
    free(out);
    xs_pattern_list_free(list, n);
    return 0;
}
