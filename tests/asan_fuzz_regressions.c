/* Inputs the fuzzers of tests/fuzz found a fault with (scripts/fuzz.sh), each read again here through the same
 * reader, under AddressSanitizer and UndefinedBehaviorSanitizer (halt on the first error), with what the
 * reader must make of it. Add every new finding here, reduced to the few lines that show it. */
#include "xrdsym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xs_test.h"

typedef struct {
    const char *what, *ext, *text;
    int accepted;   /* 1: read, 0: refused with a message */
    int first_z;    /* accepted structures: atomic number of the first site */
    const char *reader; /* "pattern" reads a .cif as a powder pattern, else by the extension; "simulate": a
                         * structure read, then its peaks simulated (default options) */
    int line;       /* refused: the line the message must name (0: any) */
} finding;

/* 600 intensities: a line of the one-pattern-a-line table must be longer than 1,000 characters to be read as one */
#define VALUES_10 "1 2 3 4 5 6 7 8 9 0 "
#define VALUES_100 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10 VALUES_10
#define VALUES_600 VALUES_100 VALUES_100 VALUES_100 VALUES_100 VALUES_100 VALUES_100

static const finding findings[] = {
    /* 2026-11-30, fuzz_structures: a site name with many digits overflowed the int of xs_element_parse while
     * it looked for a charge after them (signed overflow, undefined behaviour) */
    {"POSCAR species after a position, many digits", ".vasp",
     "X\n1.0\n5 0 0\n0 5 0\n0 0 5\n1\nDirect\n0 0 0 W22222222222222222222\n", 1, 74, NULL, 0},
    {"CIF atom label with many digits", ".cif",
     "data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n_cell_angle_alpha 90\n_cell_angle_beta 90\n"
     "_cell_angle_gamma 90\n_symmetry_space_group_name_H-M \"P 1\"\nloop_\n_atom_site_label\n_atom_site_fract_x\n"
     "_atom_site_fract_y\n_atom_site_fract_z\nW22222222222222222222 0 0 0\n",
     1, 74, NULL, 0},
    /* 2026-11-30, fuzz_patterns: libcif 0.4.2 freed an invalid pointer (a crash of `predict` and `info`) when
     * told to go on past a save frame code holding a form feed, once that code came again */
    {"powder CIF: a save frame code with a form feed, twice (as fuzzed)", ".cif", "save_frame\fT#0 save_frame\fT#0", 0, 0,
     "pattern", 1},
    {"CIF: a save frame code with a form feed, twice in a block", ".cif",
     "data_x\nsave_f\fT\nsave_\nsave_f\fT\nsave_\n", 0, 0, NULL, 2},
    {"powder CIF: the same", ".cif", "data_x\nsave_f\fT\nsave_\nsave_f\fT\nsave_\n", 0, 0, "pattern", 2},
    /* 2026-11-30, fuzz_patterns: the table's header grid asked for 9e11 points (7 TB), which only failed as
     * "out of memory" (and aborts under AddressSanitizer) */
    {"pattern table: a header grid of 9e11 points", ".tsv",
     "# RRUFF powder patterns (Cu K-alpha), 2theta 5.00..8999999999.99 step 0.01 deg\nx\t14\t" VALUES_600 "\n", 0, 0,
     NULL, 1},
    /* 2026-12-01, fuzz_structures: an axis of 56,402 A (a POSCAR's digits run together) passed the cell checks
     * (volume 1 to 1e7 A^3, the box of reciprocal points to search) and the simulator's h * h overflowed an int
     * (signed overflow, undefined behaviour) once h passed 46,340; the pattern is simulated (b = c = 1 A keeps it
     * to about 90,000 reflections) */
    {"POSCAR with a 56,402 A axis, simulated", ".vasp", "X\n1.0\n56402 0 0\n0 1 0\n0 0 1\nNa\n1\nDirect\n0 0 0\n", 1,
     11, "simulate", 0},
    /* 2026-12-01, fuzz_structures (a timeout, 5.6 s in a release build): an organic structure's 60 sites under
     * Fd-3m's 192 operations in a 137 A^3 cell made 6,856 sites, each image compared with every one kept; more
     * than one site a cubic angstrom is now refused (here 1,920 images in 125 A^3), on the atoms' line */
    {"CIF: ten general sites of Fd-3m in a 5 A cell", ".cif",
     "data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n_symmetry_space_group_name_H-M 'F d -3 m'\n"
     "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
     "C1 0.11 0.21 0.31\nC2 0.12 0.22 0.33\nC3 0.13 0.27 0.36\nC4 0.17 0.24 0.39\nC5 0.18 0.28 0.41\n"
     "C6 0.14 0.29 0.43\nC7 0.19 0.25 0.44\nC8 0.151 0.26 0.46\nC9 0.161 0.262 0.47\nC10 0.171 0.263 0.48\n",
     0, 0, NULL, 11},
    /* 2026-12-01, fuzz_structures: a symmetry operation's coefficient of 4.4e119 ("444...444y") was converted to an
     * int (undefined behaviour); a coefficient past 6 is now no operation, refused on its line */
    {"CIF: a symmetry operation with a coefficient of 4.4e29", ".cif",
     "data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\nloop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n"
     "-x,444444444444444444444444444444y,-z\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
     "_atom_site_fract_z\nNa1 0.1 0.2 0.3\n",
     0, 0, NULL, 8},
};

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

int main(void)
{
    char dir[] = "/tmp/xs-fuzzreg-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    for (size_t i = 0; i < sizeof findings / sizeof findings[0]; i++) {
        const finding *f = &findings[i];
        char path[256];
        snprintf(path, sizeof path, "%s/input%s", dir, f->ext);
        CHECK(write_file(path, f->text), "%s: written", f->what);
        xs_error err = {0};
        xs_status st;
        int z = 0;
        if (!strcmp(f->ext, ".vasp")) {
            xs_structure *s = NULL;
            st = xs_poscar_read(path, 0, &s, &err);
            if (!st) {
                z = xs_structure_sites(s)[0].z;
                if (f->reader && !strcmp(f->reader, "simulate")) {
                    xs_xrd_options opt;
                    xs_xrd_options_default(&opt);
                    xs_peaks *peaks = NULL;
                    xs_status sim = xs_xrd_peaks(s, &opt, &peaks, &err);
                    CHECK(sim == XS_OK && xs_peaks_count(peaks) > 0, "%s: simulated (status %d, %zu peaks): %s", f->what,
                          (int)sim, peaks ? xs_peaks_count(peaks) : (size_t)0, err.message);
                    xs_peaks_free(peaks);
                }
                xs_structure_free(s);
            }
        } else if (!strcmp(f->ext, ".cif") && !f->reader) {
            xs_structure **list = NULL;
            size_t n = 0;
            st = xs_cif_read(path, &list, &n, &err);
            if (!st && n) z = xs_structure_sites(list[0])[0].z;
            xs_structure_list_free(list, n);
        } else {
            xs_pattern **list = NULL;
            size_t n = 0;
            st = xs_pattern_read(path, &list, &n, &err);
            xs_pattern_list_free(list, n);
        }
        if (f->accepted)
            CHECK(st == XS_OK && (!f->first_z || z == f->first_z), "%s: read (status %d, z %d): %s", f->what, (int)st, z,
                  err.message);
        else
            CHECK(st != XS_OK && err.message[0] && (!f->line || err.line == f->line),
                  "%s: refused with a message at line %d (status %d, line %d: %s)", f->what, f->line, (int)st, err.line,
                  err.message);
        unlink(path);
    }
    /* the parser itself: digits past a charge's range are a site index, whatever their number */
    int z = 0, q = 1;
    CHECK(xs_element_parse("O22222222222222222222222222-", &z, &q, NULL) == XS_OK && z == 8 && q == 0,
          "O2222...-: z %d charge %d", z, q);
    CHECK(xs_element_parse("Fe0003+", &z, &q, NULL) == XS_OK && z == 26 && q == 3, "Fe0003+: z %d charge %d", z, q);
    rmdir(dir);
    return xs_test_finish();
}
