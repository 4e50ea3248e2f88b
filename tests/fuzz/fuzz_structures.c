/* Fuzz target: the structure readers (CIF through libcif, POSCAR), then what `info` and `simulate` do with a
 * structure they accept: its space group (spglib) and its powder peaks. The first byte chooses CIF or POSCAR.
 * A refusal must say why; nothing may crash, hang or read out of bounds. Built with clang
 * -fsanitize=fuzzer (scripts/fuzz.sh). */
#include "fuzz_common.h"

static void use(const xs_structure *s)
{
    xs_error err = {0};
    xs_spacegroup sg;
    xs_sym_find(s, XS_SYMPREC_DEFAULT, &sg, &err);
    xs_xrd_options opt;
    xs_xrd_options_default(&opt);
    /* A protein's cell (1.4e6 A^3, 948,284 peaks: 1.4 s in a release build) takes more than libFuzzer's 10 s
     * under the sanitizers, and the simulator's cost grows with the cell's volume times sin^3 of the largest
     * angle, not with anything a reader did. Large cells are simulated to 30 deg (1/20 of the reflections):
     * their code paths run, in bounded time. */
    if (!(xs_structure_volume(s) <= 2e4)) opt.two_theta_max = 30;
    xs_peaks *peaks = NULL;
    if (xs_xrd_peaks(s, &opt, &peaks, &err) == XS_OK) xs_peaks_free(peaks);
}

/* a warning must say what and where, as an error does */
static void check_warning(xs_cif_warning_kind kind, const xs_error *warning, void *user)
{
    (void)user;
    if (!warning->message[0] || (kind == XS_CIF_ATOMS_TOO_CLOSE && warning->line <= 0)) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    int cif = data[0] & 1;
    const char *path = fuzz_file(cif ? ".cif" : ".vasp", data + 1, size - 1);
    if (!path) return 0;
    xs_error err = {0};
    if (cif) {
        xs_structure **list = NULL;
        size_t n = 0;
        if (xs_cif_read_ex(path, check_warning, NULL, &list, &n, &err) != XS_OK) {
            if (!err.message[0]) abort();
            return 0;
        }
        for (size_t i = 0; i < n; i++) use(list[i]);
        xs_structure_list_free(list, n);
    } else {
        xs_structure *s = NULL;
        xs_error warning = {0};
        if (xs_poscar_read_ex(path, 0, &warning, &s, &err) != XS_OK) {
            if (!err.message[0]) abort();
            return 0;
        }
        if (warning.code != XS_OK && (!warning.message[0] || warning.line <= 0)) abort();
        use(s);
        xs_structure_free(s);
    }
    return 0;
}
