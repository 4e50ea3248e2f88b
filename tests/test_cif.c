/* CIF reading: textbook fixtures written by hand (in tests/fixtures) and broken files written here. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

static xs_structure **read_ok(const char *path, size_t *n)
{
    xs_structure **list = NULL;
    xs_error err = {0};
    xs_status st = xs_cif_read(path, &list, n, &err);
    CHECK(st == XS_OK, "%s: %s", path, err.message);
    return list;
}

static int found_group(const xs_structure *s)
{
    xs_spacegroup sg;
    return xs_sym_find(s, XS_SYMPREC_DEFAULT, &sg, NULL) == XS_OK ? sg.number : 0;
}

static size_t count_z(const xs_structure *s, int z)
{
    size_t c = 0;
    for (size_t i = 0; i < xs_structure_num_sites(s); i++) c += xs_structure_sites(s)[i].z == z;
    return c;
}

/* Write text to a temporary CIF and read it: returns the status, fills err. */
/* text as a CIF file, read; *sites (optional): the first structure's number of sites */
/* text in a new temporary file; path has room for its name (at least 24 characters); 0 if it cannot be written */
static int write_temp(const char *text, char *path)
{
    strcpy(path, "/tmp/xs_test_cif_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return 1;
}

static xs_status read_text_sites(const char *text, xs_error *err, size_t *sites)
{
    char path[32];
    if (!write_temp(text, path)) return XS_ERR_IO;
    xs_structure **list = NULL;
    size_t n = 0;
    xs_status st = xs_cif_read(path, &list, &n, err);
    if (sites) *sites = n ? xs_structure_num_sites(list[0]) : 0;
    xs_structure_list_free(list, n);
    unlink(path);
    return st;
}

static xs_status read_text(const char *text, xs_error *err) { return read_text_sites(text, err, NULL); }

/* What xs_cif_read_ex reports: kinds, lines and messages, in order. */
typedef struct {
    int n;
    xs_cif_warning_kind kind[4];
    int line[4];
    char message[4][1024];
} warnings;

static void collect_warning(xs_cif_warning_kind kind, const xs_error *w, void *user)
{
    warnings *ws = user;
    if (ws->n < 4) {
        ws->kind[ws->n] = kind;
        ws->line[ws->n] = w->line;
        snprintf(ws->message[ws->n], sizeof ws->message[0], "%s", w->message);
    }
    ws->n++;
}

/* text as a CIF file, read with xs_cif_read_ex: the status, *n structures, the warnings */
static xs_status read_text_warnings(const char *text, size_t *n, warnings *ws, xs_error *err)
{
    char path[32];
    if (!write_temp(text, path)) return XS_ERR_IO;
    xs_structure **list = NULL;
    memset(ws, 0, sizeof *ws);
    xs_status st = xs_cif_read_ex(path, collect_warning, ws, &list, n, err);
    xs_structure_list_free(list, *n);
    unlink(path);
    return st;
}

#define CELL_CUBIC(a) "_cell_length_a " a "\n_cell_length_b " a "\n_cell_length_c " a "\n"
#define ANGLES_90 "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
#define ATOMS_HEAD "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
/* ten carbon atoms near general positions (Fd-3m makes up to 1,920 sites of them) */
#define TEN_CARBONS                                                                                                 \
    "C1 0.11 0.21 0.31\nC2 0.12 0.22 0.33\nC3 0.13 0.27 0.36\nC4 0.17 0.24 0.39\nC5 0.18 0.28 0.41\n"            \
    "C6 0.14 0.29 0.43\nC7 0.19 0.25 0.44\nC8 0.151 0.26 0.46\nC9 0.161 0.262 0.47\nC10 0.171 0.263 0.48\n"

int main(void)
{
    size_t n;
    xs_structure **l;

    /* NaCl: symmetry from the H-M symbol, cell with uncertainties, charges in type symbols, B. */
    l = read_ok("tests/fixtures/NaCl.cif", &n);
    if (l) {
        CHECK(n == 1, "one structure, got %zu", n);
        CHECK(xs_structure_num_sites(l[0]) == 8, "NaCl conventional cell has 8 atoms, got %zu", xs_structure_num_sites(l[0]));
        CHECK(found_group(l[0]) == 225, "NaCl is Fm-3m");
        CHECK(xs_structure_declared_number(l[0]) == 225, "declared 225");
        CHECK(!strcmp(xs_structure_name(l[0]), "NaCl"), "block code as name, got %s", xs_structure_name(l[0]));
        const xs_site *s = xs_structure_sites(l[0]);
        int na = s[0].z == 11 ? 0 : 4;
        CHECK(s[na].charge == 1, "Na+ charge %d", s[na].charge);
        CHECK_NEAR(s[na].b_iso, 1.60, 1e-12, "B of Na read as written");
        double lat[3][3];
        xs_structure_lattice(l[0], lat);
        CHECK_NEAR(lat[0][0], 5.6402, 1e-9, "a without its uncertainty");
        xs_structure_list_free(l, n);
    }

    /* Quartz: operations listed; U_iso turned into B = 8 pi^2 U. */
    l = read_ok("examples/quartz.cif", &n);
    if (l) {
        CHECK(xs_structure_num_sites(l[0]) == 9, "quartz: 3 Si + 6 O, got %zu", xs_structure_num_sites(l[0]));
        CHECK(found_group(l[0]) == 154, "quartz is P3_221, got %d", found_group(l[0]));
        const xs_site *s = xs_structure_sites(l[0]);
        for (size_t i = 0; i < xs_structure_num_sites(l[0]); i++)
            if (s[i].z == 14) CHECK_NEAR(s[i].b_iso, 8 * M_PI * M_PI * 0.0066, 1e-9, "B of Si from U_iso");
        xs_structure_list_free(l, n);
    }

    /* Rutile: Hall symbol only, no types (element from the label). */
    l = read_ok("tests/fixtures/rutile.cif", &n);
    if (l) {
        CHECK(count_z(l[0], 22) == 2 && count_z(l[0], 8) == 4, "rutile Ti2O4");
        CHECK(found_group(l[0]) == 136, "rutile is P4_2/mnm, got %d", found_group(l[0]));
        xs_structure_list_free(l, n);
    }

    /* Corundum: group by number in hexagonal axes; B from anisotropic U. */
    l = read_ok("tests/fixtures/corundum.cif", &n);
    if (l) {
        CHECK(count_z(l[0], 13) == 12 && count_z(l[0], 8) == 18, "corundum Al12O18 in the hexagonal cell");
        CHECK(found_group(l[0]) == 167, "corundum is R-3c, got %d", found_group(l[0]));
        /* Ueq of Al: U11 = U22 = 0.0030, U33 = 0.0031, U12 = U11/2 (hexagonal constraint): in hexagonal axes
         * Ueq = (4/3 (U11 + U22 - U12) + U33) / 3 ... which for U12 = U11/2 is (2 U11 + U33)/3. */
        const xs_site *s = xs_structure_sites(l[0]);
        for (size_t i = 0; i < xs_structure_num_sites(l[0]); i++)
            if (s[i].z == 13)
                CHECK_NEAR(s[i].b_iso, 8 * M_PI * M_PI * (2 * 0.0030 + 0.0031) / 3, 1e-9, "Beq of Al from anisotropic U");
        xs_structure_list_free(l, n);
    }

    /* Two structures in one file and a block without atoms; Si's "Fd-3m" leaves the origin open: the
     * choice with the fewest sites (8, not 16) is taken. */
    l = read_ok("tests/fixtures/two_blocks.cif", &n);
    if (l) {
        CHECK(n == 2, "two structures, got %zu", n);
        if (n == 2) {
            CHECK(found_group(l[0]) == 221 && xs_structure_num_sites(l[0]) == 2, "CsCl Pm-3m, 2 atoms");
            CHECK(found_group(l[1]) == 227 && xs_structure_num_sites(l[1]) == 8, "Si Fd-3m, 8 atoms, got %zu",
                  xs_structure_num_sites(l[1]));
        }
        xs_structure_list_free(l, n);
    }

    /* A block that cannot be built, in a file whose other block can, is left out and said: xs_cif_read_ex
     * reports each such block (kind, line, the block's name), in the file's order; a syntax error that damaged
     * data in a file that still gave a structure is reported after them; a read that fails reports nothing. */
    {
        const char *good = "data_good\n" CELL_CUBIC("4.123") "_symmetry_space_group_name_H-M 'P m -3 m'\n" ATOMS_HEAD
                           "Cs1 0 0 0\nCl1 0.5 0.5 0.5\n";
        const char *bad_element = "data_bad_element\n" CELL_CUBIC("4.123") "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
                                  "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nX1 Xx 0 0 0\n";
        const char *no_cell = "data_no_cell\n" ATOMS_HEAD "Na1 0 0 0\n";
        char text[2048];
        snprintf(text, sizeof text, "%s%s%s", bad_element, good, no_cell);
        warnings ws;
        size_t nw = 0;
        xs_error err = {0};
        CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_OK && nw == 1, "mixed blocks: one structure (%zu)", nw);
        CHECK(ws.n == 2, "mixed blocks: two warnings (%d)", ws.n);
        if (ws.n == 2) {
            CHECK(ws.kind[0] == XS_CIF_BLOCK_LEFT_OUT && ws.line[0] == 11 && strstr(ws.message[0], "block 'bad_element'") &&
                      strstr(ws.message[0], "'Xx'"),
                  "first: the element's block and line (%d: %s)", ws.line[0], ws.message[0]);
            CHECK(ws.kind[1] == XS_CIF_BLOCK_LEFT_OUT && strstr(ws.message[1], "block 'no_cell'") &&
                      strstr(ws.message[1], "cell length"),
                  "second: the block without a cell (%s)", ws.message[1]);
        }
        CHECK(read_text(text, &err) == XS_OK, "xs_cif_read reads the same file");
        snprintf(text, sizeof text, "%s%s", bad_element, no_cell);
        CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_ERR_INVALID && nw == 0 && ws.n == 0 &&
                  strstr(err.message, "bad_element"),
              "no block built: the first block's error, no warning (%d; %s)", ws.n, err.message);
        snprintf(text, sizeof text, "stray\n%s", good);
        CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_OK && nw == 1 && ws.n == 1 &&
                  ws.kind[0] == XS_CIF_SYNTAX_DAMAGE && ws.line[0] == 1,
              "a stray value before the first block: read, and its syntax error reported (%d warnings)", ws.n);
        /* a mixed site written without its occupancies (as in two COD files): read as written, and said at the
         * line of its first site; with occupancies 0.5 and 0.5, or a site repeated for one element, nothing */
        snprintf(text, sizeof text, "data_mixed\n" CELL_CUBIC("5.64") "_symmetry_space_group_name_H-M 'F m -3 m'\n"
                 ATOMS_HEAD "Cl1 0.5 0.5 0.5\nNa1 0 0 0\nK1 0 0 0\n");
        CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_OK && nw == 1 && ws.n == 1 &&
                  ws.kind[0] == XS_CIF_OVERFULL_SITE && ws.line[0] == 12 && strstr(ws.message[0], "(Na1, K1)") &&
                  strstr(ws.message[0], "adding to 2"),
              "an overfull site said at line 12, Na1's (%d warnings: %d %s)", ws.n, ws.line[0], ws.message[0]);
        snprintf(text, sizeof text, "data_mixed\n" CELL_CUBIC("5.64") "_symmetry_space_group_name_H-M 'F m -3 m'\n"
                 "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                 "_atom_site_occupancy\nCl1 0.5 0.5 0.5 1\nNa1 0 0 0 0.5\nK1 0 0 0 0.5\nCl2 0.5 0.5 0.5 1\n");
        CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_OK && nw == 1 && ws.n == 0,
              "occupancies 0.5 + 0.5, and Cl listed twice: nothing said (%d: %s)", ws.n, ws.message[0]);
        /* sites that cannot both be there, read as written and said at the line of the second: two full O 0.3 A
         * apart (a disordered structure without its occupancies), O-H at 0.4 A, a site 0.2 A from its own image
         * under P-1 (beyond the merge tolerance: a coordinate of another setting); as alternatives (0.5 + 0.5),
         * or O-H at 0.6 A (an X-ray hydrogen), nothing */
        const char *occupancy_head = "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
                                     "_atom_site_fract_z\n_atom_site_occupancy\n";
        const struct {
            const char *group, *head, *sites, *said; /* said: NULL where nothing is */
        } close_cases[] = {
            {"P 1", ATOMS_HEAD, "O1 0 0 0\nO2 0.06 0 0\n", "sites O1 (O) and O2 (O) come 0.3 A apart with occupancies adding to 2"},
            {"P 1", occupancy_head, "O1 0 0 0 0.5\nO2 0.06 0 0 0.5\n", NULL},
            {"P 1", ATOMS_HEAD, "O1 0 0 0\nH1 0.12 0 0\n", NULL},
            {"P 1", ATOMS_HEAD, "O1 0 0 0\nH1 0.08 0 0\n", "sites O1 (O) and H1 (H) come 0.4 A apart"},
            {"P -1", ATOMS_HEAD, "Na1 0.5 0.5 0.5\nO1 0.02 0 0\n", "sites O1 (O) and O1 (O) come 0.2 A apart"},
        };
        for (size_t k = 0; k < sizeof close_cases / sizeof close_cases[0]; k++) {
            snprintf(text, sizeof text, "data_close\n" CELL_CUBIC("5") ANGLES_90 "_symmetry_space_group_name_H-M '%s'\n%s%s",
                     close_cases[k].group, close_cases[k].head, close_cases[k].sites);
            const char *said = close_cases[k].said;
            CHECK(read_text_warnings(text, &nw, &ws, &err) == XS_OK && nw == 1 &&
                      (said ? ws.n == 1 && ws.kind[0] == XS_CIF_ATOMS_TOO_CLOSE && ws.line[0] == 15 &&
                                  strstr(ws.message[0], said)
                            : ws.n == 0),
                  "atoms too close, case %zu (%s): %d warnings (%d: %s)", k, said ? said : "nothing said", ws.n, ws.line[0],
                  ws.message[0]);
        }
        /* a label without a type symbol: "HO1" is the hydrogen on O1 where the formula names H and not Ho (as in
         * COD 2003526), holmium where the formula says so or says nothing */
        const char *labels[][2] = {{"'H2 O'", "1"}, {"'Ho2 O3'", "67"}, {"?", "67"}};
        for (int k = 0; k < 3; k++) {
            snprintf(text, sizeof text, "data_ho\n" CELL_CUBIC("5") ANGLES_90 "_chemical_formula_sum %s\n"
                     "_symmetry_space_group_name_H-M 'P 1'\n" ATOMS_HEAD "O1 0 0 0\nHO1 0.19 0 0\n", labels[k][0]);
            char path[32];
            xs_structure **hl = NULL;
            size_t hn = 0;
            int z = atoi(labels[k][1]);
            CHECK(write_temp(text, path) && xs_cif_read(path, &hl, &hn, &err) == XS_OK && hn == 1 && count_z(hl[0], z) == 1,
                  "HO1 with formula %s is element %d: %s", labels[k][0], z, err.message);
            xs_structure_list_free(hl, hn);
            unlink(path);
        }
    }

    /* Rhombohedral axes from an R symbol with a rhombohedral cell. */
    {
        xs_error err = {0};
        char path[] = "/tmp/xs_test_cif_XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w");
        fputs("data_rh\n_cell_length_a 5.13\n_cell_length_b 5.13\n_cell_length_c 5.13\n_cell_angle_alpha 55.28\n"
              "_cell_angle_beta 55.28\n_cell_angle_gamma 55.28\n_symmetry_space_group_name_H-M 'R -3 c'\n" ATOMS_HEAD
              "Al1 0.352 0.352 0.352\nO1 0.556 -0.056 0.25\n", f);
        fclose(f);
        xs_structure **rl = NULL;
        size_t rn = 0;
        CHECK(xs_cif_read(path, &rl, &rn, &err) == XS_OK, "rhombohedral corundum: %s", err.message);
        if (rn == 1) {
            CHECK(xs_structure_num_sites(rl[0]) == 10, "rhombohedral cell holds Al4O6, got %zu", xs_structure_num_sites(rl[0]));
            CHECK(found_group(rl[0]) == 167, "R-3c in rhombohedral axes, got %d", found_group(rl[0]));
        }
        xs_structure_list_free(rl, rn);
        unlink(path);
    }

    /* Broken input: a clear error, with the file and (where it applies) the line. */
    xs_error err = {0};
    CHECK(xs_cif_read("/nonexistent/x.cif", &l, &n, &err) == XS_ERR_IO && l == NULL && n == 0, "missing file");
    CHECK(strstr(err.file, "x.cif") != NULL, "error names the file");
    CHECK(xs_cif_read("/tmp", &l, &n, &err) == XS_ERR_INVALID && strstr(err.message, "directory") && n == 0,
          "a directory named as one: %s", err.message);
    xs_structure *dir_poscar = NULL;
    CHECK(xs_poscar_read("/tmp", 0, &dir_poscar, &err) == XS_ERR_INVALID && strstr(err.message, "directory") && !dir_poscar,
          "a directory as POSCAR named as one: %s", err.message);

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") ATOMS_HEAD "Xx1 0 0 0\n", &err) == XS_ERR_INVALID, "unknown element");
    CHECK(err.line == 10 && strstr(err.message, "Xx1"), "unknown element on line 10: line %d, %s", err.line, err.message);

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("?") ATOMS_HEAD "Na1 0 0 0\n", &err) == XS_ERR_INVALID, "unknown cell");
    CHECK(err.line == 2, "unknown cell reported on its line 2, got %d", err.line);

    /* more sites than one a cubic angstrom (a fuzzed CIF put 6,856 in 137 A^3 and took 5.6 s to expand): refused
     * at the atoms, and not as an unknown symbol although neither origin choice of Fd-3m expands */
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("5") "_symmetry_space_group_name_H-M 'F d -3 m'\n" ATOMS_HEAD TEN_CARBONS,
                    &err) == XS_ERR_INVALID &&
              err.line == 11 && strstr(err.message, "more than 141 sites in a cell of 125 A^3"),
          "1,920 sites in 125 A^3 refused on line 11: %d %s", err.line, err.message);
    /* the same ten atoms in a cell of 10,078 A^3 expand (up to 1,920 images, fewer where images of one atom come
     * within the merge tolerance; any count above the 141 refused above shows the bound scales with the cell) */
    size_t roomy_sites = 0;
    memset(&err, 0, sizeof err);
    CHECK(read_text_sites("data_x\n" CELL_CUBIC("21.6") "_symmetry_space_group_name_H-M 'F d -3 m'\n" ATOMS_HEAD
                          TEN_CARBONS, &err, &roomy_sites) == XS_OK &&
              roomy_sites > 1000,
          "the same atoms in 10,078 A^3: %zu sites, %s", roomy_sites, err.message);

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("1e6") ATOMS_HEAD "Na1 0 0 0\n", &err) == XS_ERR_INVALID, "absurd cell: %s",
          err.message);
    /* a refused cell names the line of the parameter to blame, not the block's first line */
    CHECK(err.line == 2 && strstr(err.message, "absurd cell volume"), "absurd cell on the line of a: %d %s", err.line,
          err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 0.01\n" ATOMS_HEAD "Na1 0 0 0\n",
                    &err) == XS_ERR_INVALID &&
              err.line == 4,
          "too small a cell on the line of its shortest length c: %d %s", err.line, err.message);
#define CELL_ANGLES(al, be, ga) \
    CELL_CUBIC("5") "_cell_angle_alpha " al "\n_cell_angle_beta " be "\n_cell_angle_gamma " ga "\n"
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_ANGLES("90", "90", "190") ATOMS_HEAD "Na1 0 0 0\n", &err) == XS_ERR_INVALID &&
              err.line == 7 && strstr(err.message, "(0, 180)"),
          "gamma of 190 degrees on its line 7: %d %s", err.line, err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_ANGLES("90", "150", "120") ATOMS_HEAD "Na1 0 0 0\n", &err) == XS_ERR_INVALID &&
              err.line == 6 && strstr(err.message, "no volume"),
          "angles enclosing no volume blamed on the one farthest from 90 (beta, line 6): %d %s", err.line, err.message);

    /* Operations that are not symmetries of the cell put atoms in wrong places: a cubic group with a cell of 10 deg
     * (line 2, the cell), a mistyped operation "x,y,x" (as in one COD file), a primitive diamond cell given with
     * the conventional Fd-3m (as CASTEP writes it: before, read as 8 atoms in R-3m). A cell off by less than
     * XS_CIF_METRIC_TOL, as refined cells of a real crystal are, is read. */
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_ANGLES("10", "90", "90") "_symmetry_space_group_name_H-M 'F m -3 m'\n" ATOMS_HEAD
                    "Na1 0 0 0\nCl1 0.5 0.5 0.5\n", &err) == XS_ERR_INVALID &&
              err.line == 2 && strstr(err.message, "not a symmetry of the cell (5 5 5, 10 90 90)"),
          "a cubic group in a cell of 10 deg, at the cell's line 2: %d %s", err.line, err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_ANGLES("90", "92.8", "90") "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\nx,y,x\n" ATOMS_HEAD
                    "Rh1 0.44 0.14 0.47\n", &err) == XS_ERR_INVALID &&
              strstr(err.message, "operation x,y,x is not"),
          "a mistyped operation named: %s", err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_Si2\n_cell_length_a 3.811962\n_cell_length_b 3.811962\n_cell_length_c 3.811962\n"
                    "_cell_angle_alpha 60\n_cell_angle_beta 60\n_cell_angle_gamma 60\n_symmetry_space_group_name_H-M Fd-3m\n"
                    ATOMS_HEAD "Si1 0 0 0\nSi2 0.25 0.25 0.25\n", &err) == XS_ERR_INVALID &&
              strstr(err.message, "primitive cell"),
          "a primitive cell with the conventional group's symbol: %s", err.message);
    {
        size_t sites = 0;
        memset(&err, 0, sizeof err);
        CHECK(read_text_sites("data_x\n_cell_length_a 5.000\n_cell_length_b 5.002\n_cell_length_c 7\n_cell_angle_alpha 90.1\n"
                              "_cell_angle_beta 90\n_cell_angle_gamma 89.9\n_symmetry_space_group_name_H-M 'P 4/m m m'\n"
                              ATOMS_HEAD "Na1 0 0 0\nCl1 0.5 0.5 0.5\n", &err, &sites) == XS_OK && sites == 2,
              "a tetragonal cell 0.04%% and 0.1 deg off is read (%zu sites): %s", sites, err.message);
    }

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") ATOMS_HEAD "Na1 0 nan 0\n", &err) != XS_OK, "NaN coordinate");
    CHECK(err.line == 10, "NaN on line 10, got %d (%s)", err.line, err.message);

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") "loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'-x,y,w'\n" ATOMS_HEAD
                    "Na1 0 0 0\n", &err) == XS_ERR_PARSE,
          "unreadable operation");
    CHECK(err.line == 8 && strstr(err.message, "-x,y,w"), "operation error names line 8 and the text: %d %s", err.line,
          err.message);

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") "_symmetry_space_group_name_H-M 'Q 9 z'\n" ATOMS_HEAD "Na1 0 0 0\n", &err) ==
              XS_ERR_SYMMETRY,
          "unknown symbol");

    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") "_chemical_name 'unclosed\n" ATOMS_HEAD "Na1 0 0 0\n", &err) == XS_ERR_PARSE,
          "unclosed quote: %s", err.message);
    CHECK(err.line == 5 && err.column > 0, "unclosed quote at line 5 with a column: %d:%d", err.line, err.column);

    memset(&err, 0, sizeof err);
    CHECK(read_text("", &err) == XS_ERR_NOT_FOUND, "empty file: %s", err.message);
    memset(&err, 0, sizeof err);
    CHECK(read_text("data_x\n" CELL_CUBIC("4.0") ATOMS_HEAD "Na1 0 0\n", &err) != XS_OK, "truncated loop");
    CHECK(err.line > 0, "truncated loop has a line: %s", err.message);

    return xs_test_finish();
}
