/* Structures, elements, POSCAR and symmetry on textbook crystals built in code. */
#include "xrdsym.h"
#include "xs_test.h"
#include "xs_fixtures.h"

#include <unistd.h>

int main(void)
{
    /* Elements and charges. */
    int z, q;
    CHECK(xs_element_parse("O2-", &z, &q, NULL) == XS_OK && z == 8 && q == -2, "O2-: z=%d q=%d", z, q);
    CHECK(xs_element_parse("Fe3+", &z, &q, NULL) == XS_OK && z == 26 && q == 3, "Fe3+: z=%d q=%d", z, q);
    CHECK(xs_element_parse("Fe+3", &z, &q, NULL) == XS_OK && z == 26 && q == 3, "Fe+3");
    CHECK(xs_element_parse("Na1", &z, &q, NULL) == XS_OK && z == 11 && q == 0, "Na1 is a label, not a charge");
    CHECK(xs_element_parse("OW", &z, &q, NULL) == XS_OK && z == 8, "OW is a water oxygen");
    CHECK(xs_element_parse("CL1", &z, &q, NULL) == XS_OK && z == 17, "CL1 is chlorine");
    CHECK(xs_element_parse("Cl-", &z, &q, NULL) == XS_OK && z == 17 && q == -1, "Cl-");
    xs_error err = {0};
    CHECK(xs_element_parse("Xx", &z, &q, &err) == XS_ERR_INVALID && strstr(err.message, "Xx"), "unknown element named");
    CHECK(xs_element_parse("1a", &z, &q, NULL) == XS_ERR_INVALID, "digit first is no element");

    /* Textbook structures: expansion count and space group found. */
    const int nacl_z[] = {11, 17};
    const double nacl_f[][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    xs_structure *nacl = xs_fixture_build(225, 5.6402, 5.6402, 5.6402, 90, 90, 90, 2, nacl_z, nacl_f);
    CHECK(nacl && xs_structure_num_sites(nacl) == 8, "NaCl has 8 atoms in the cell");
    xs_spacegroup sg;
    CHECK(nacl && xs_sym_find(nacl, 1e-3, &sg, NULL) == XS_OK && sg.number == 225 && sg.crystal_system == XS_CUBIC &&
              sg.centrosymmetric,
          "NaCl is Fm-3m, cubic, centrosymmetric (got %d)", sg.number);
    char formula[64];
    xs_structure_formula(nacl, formula, sizeof formula);
    CHECK(!strcmp(formula, "ClNa"), "NaCl formula in Hill order: %s", formula);

    const int si_z[] = {14};
    const double si_f[][3] = {{0, 0, 0}}; /* default setting is origin choice 1: Si at 8a (0,0,0) */
    xs_structure *si = xs_fixture_build(227, 5.4309, 5.4309, 5.4309, 90, 90, 90, 1, si_z, si_f);
    CHECK(si && xs_structure_num_sites(si) == 8, "Si has 8 atoms");
    CHECK(si && xs_sym_find(si, 1e-3, &sg, NULL) == XS_OK && sg.number == 227, "Si is Fd-3m (got %d)", sg.number);

    const int rut_z[] = {22, 8};
    const double rut_f[][3] = {{0, 0, 0}, {0.3048, 0.3048, 0}};
    xs_structure *rut = xs_fixture_build(136, 4.5937, 4.5937, 2.9587, 90, 90, 90, 2, rut_z, rut_f);
    CHECK(rut && xs_structure_num_sites(rut) == 6, "rutile has 6 atoms");
    CHECK(rut && xs_sym_find(rut, 1e-3, &sg, NULL) == XS_OK && sg.number == 136 && sg.crystal_system == XS_TETRAGONAL,
          "rutile is P4_2/mnm (got %d)", sg.number);

    const int qz_z[] = {14, 8};
    const double qz_f[][3] = {{0.4697, 0, 2.0 / 3}, {0.4135, 0.2669, 0.7858}}; /* P3_221 setting: Si on 3a (x,0,2/3) */
    xs_structure *qz = xs_fixture_build(154, 4.9134, 4.9134, 5.4052, 90, 90, 120, 2, qz_z, qz_f);
    CHECK(qz && xs_structure_num_sites(qz) == 9, "quartz has 9 atoms");
    CHECK(qz && xs_sym_find(qz, 1e-3, &sg, NULL) == XS_OK && sg.number == 154 && sg.crystal_system == XS_TRIGONAL &&
              !sg.centrosymmetric,
          "quartz is P3_221, trigonal, acentric (got %d)", sg.number);

    const int cor_z[] = {13, 8};
    const double cor_f[][3] = {{0, 0, 0.35216}, {0.30624, 0, 0.25}};
    xs_structure *cor = xs_fixture_build(167, 4.7589, 4.7589, 12.991, 90, 90, 120, 2, cor_z, cor_f);
    CHECK(cor && xs_structure_num_sites(cor) == 30, "corundum has 30 atoms in the hexagonal cell");
    CHECK(cor && xs_sym_find(cor, 1e-3, &sg, NULL) == XS_OK && sg.number == 167, "corundum is R-3c (got %d)", sg.number);

    /* Bad input gets a clear error, never a crash. */
    double lat[3][3];
    CHECK(xs_lattice_from_parameters(5, 5, -1, 90, 90, 90, lat, &err) == XS_ERR_INVALID, "negative length");
    CHECK(xs_lattice_from_parameters(5, 5, 5, 90, 90, 180, lat, &err) == XS_ERR_INVALID, "flat angle");
    CHECK(xs_lattice_from_parameters(5, 5, 5, 120, 120, 120, lat, &err) == XS_ERR_INVALID, "angles enclosing no volume");
    xs_site bad = {.frac = {0, 0, 0}, .z = 8, .occupancy = 1};
    xs_structure *s = NULL;
    double tiny[3][3] = {{0.5, 0, 0}, {0, 0.5, 0}, {0, 0, 0.5}};
    CHECK(xs_structure_create(tiny, 1, &bad, &s, &err) == XS_ERR_INVALID && strstr(err.message, "volume"), "absurd cell");
    xs_lattice_from_parameters(5, 5, 5, 90, 90, 90, lat, NULL);
    bad.frac[1] = NAN;
    CHECK(xs_structure_create(lat, 1, &bad, &s, &err) == XS_ERR_INVALID, "NaN coordinate");
    bad.frac[1] = 0;
    bad.z = 0;
    CHECK(xs_structure_create(lat, 1, &bad, &s, &err) == XS_ERR_INVALID, "unknown element");
    bad.z = 8;
    bad.occupancy = 0;
    CHECK(xs_structure_create(lat, 1, &bad, &s, &err) == XS_ERR_INVALID, "zero occupancy");
    CHECK(xs_structure_create(lat, 0, &bad, &s, &err) == XS_ERR_INVALID, "no atoms");

    /* POSCAR: VASP 5, VASP 4 with comments, VASP 4 with a formula title, and broken files. */
    char dir[] = "/tmp/xs_test_poscar_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    char path[256];
    snprintf(path, sizeof path, "%s/POSCAR5", dir);
    xs_test_write_file(path, "NaCl\n1.0\n5.64 0 0\n0 5.64 0\n0 0 5.64\nNa Cl\n4 4\nDirect\n"
                     "0 0 0\n0 .5 .5\n.5 0 .5\n.5 .5 0\n.5 .5 .5\n.5 0 0\n0 .5 0\n0 0 .5\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_OK && xs_structure_num_sites(s) == 8 && xs_structure_sites(s)[7].z == 17,
          "VASP 5 POSCAR: %s", err.message);
    CHECK(s && xs_sym_find(s, 1e-3, &sg, NULL) == XS_OK && sg.number == 225, "POSCAR NaCl is Fm-3m");
    xs_structure_free(s);
    snprintf(path, sizeof path, "%s/POSCAR4", dir);
    xs_test_write_file(path, "title\n1.0\n2.86 0 0\n0 2.86 0\n0 0 2.86\n2\nDirect\n0 0 0 # Fe1\n.5 .5 .5 # Fe2\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_OK && xs_structure_sites(s)[1].z == 26, "VASP 4 with comments: %s",
          err.message);
    xs_structure_free(s);
    snprintf(path, sizeof path, "%s/POSCAR4f", dir);
    xs_test_write_file(path, "Li4Mn2O6 (C2/m)\n1.0\n5 0 0\n0 8 0\n0 0 5\n1 1 1\nCartesian\n0 0 0\n2.5 4 2.5\n1 2 3\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_OK && xs_structure_sites(s)[1].z == 25 &&
              fabs(xs_structure_sites(s)[1].frac[1] - 0.5) < 1e-12,
          "VASP 4 with a formula title, Cartesian: %s", err.message);
    xs_structure_free(s);
    snprintf(path, sizeof path, "%s/POSCARnone", dir);
    xs_test_write_file(path, "cell\n1.0\n5 0 0\n0 5 0\n0 0 5\n1 1\nDirect\n0 0 0\n.5 .5 .5\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_ERR_INVALID && strstr(err.message, "species"), "no species: error");
    CHECK(xs_poscar_read(path, XS_POSCAR_PLACEHOLDER_SPECIES, &s, &err) == XS_OK, "placeholder species allowed on request");
    xs_structure_free(s);
    snprintf(path, sizeof path, "%s/POSCARtrunc", dir);
    xs_test_write_file(path, "NaCl\n1.0\n5.64 0 0\n0 5.64 0\n0 0 5.64\nNa Cl\n4 4\nDirect\n0 0 0\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_ERR_PARSE && err.line == 10 && strstr(err.file, "POSCARtrunc"),
          "truncated POSCAR names file and line (line %d)", err.line);
    snprintf(path, sizeof path, "%s/POSCARempty", dir);
    xs_test_write_file(path, "");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_ERR_PARSE && err.line == 1, "empty POSCAR");
    snprintf(path, sizeof path, "%s/POSCARnan", dir);
    xs_test_write_file(path, "x\n1.0\n5 0 0\n0 5 0\n0 0 5\nO\n1\nDirect\nnan 0 0\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_ERR_PARSE && err.line == 9, "NaN coordinate in POSCAR (line %d)", err.line);
    snprintf(path, sizeof path, "%s/POSCARelem", dir);
    xs_test_write_file(path, "x\n1.0\n5 0 0\n0 5 0\n0 0 5\nQq\n1\nDirect\n0 0 0\n");
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_ERR_INVALID && err.line == 6, "unknown element in POSCAR");
    /* a scaling factor of 0, or a negative one among three, is the factor's fault at its line 2 (before: "the
     * lattice vectors enclose no volume" at line 3); one negative number is the volume, read as VASP does */
    static const char *const scales[] = {"0", "1 1 -1", "nan"};
    for (int k = 0; k < 3; k++) {
        char text[200];
        snprintf(text, sizeof text, "x\n%s\n5 0 0\n0 5 0\n0 0 5\nO\n1\nDirect\n0 0 0\n", scales[k]);
        xs_test_write_file(path, text);
        memset(&err, 0, sizeof err);
        CHECK(xs_poscar_read(path, 0, &s, &err) != XS_OK && err.line == 2 && strstr(err.message, "scaling factor"),
              "scaling factor '%s' refused at line 2: %d %s", scales[k], err.line, err.message);
    }
    xs_test_write_file(path, "x\n-64\n5 0 0\n0 5 0\n0 0 5\nO\n1\nDirect\n0 0 0\n");
    double cell[3][3] = {{0}};
    s = NULL;
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_OK, "a negative factor: %s", err.message);
    if (s) xs_structure_lattice(s, cell);
    /* 1e-9: the cube root of 64/125 times 5, cubed, in doubles */
    CHECK(fabs(xs_lattice_volume((const double (*)[3])cell) - 64) < 1e-9, "a negative factor is the cell's volume: %g",
          xs_lattice_volume((const double (*)[3])cell));
    xs_structure_free(s);
    CHECK(xs_poscar_read("/nonexistent/POSCAR", 0, &s, &err) == XS_ERR_IO && strstr(err.file, "nonexistent"), "missing file");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");

    /* Symbols to groups: H-M in several spellings, and Hall symbols with a bar, which the old bar-less H-M
     * spelling must not swallow ("P -6 2" once read as P6_2, "P 4 -2" as P4_2; both from IUCr CIFs). */
    static const struct {
        const char *symbol;
        int number;
    } symbols[] = {{"P 4 -2", 99},      {"P -6 2", 187},     {"P 4 M M", 99},  {"P -6 m 2", 187},
                   {"P 6c -2c", 186},   {"P 63 m c", 186},   {"P42", 77},      {"P 1 21/n 1", 14},
                   {"-p 4a 2a", 129},   {"P 4/n m m", 129},  {"P -4 21 m", 113}, {"Fd3m", 227},
                   {"R -3 m", 166},     {"-P 2ac 2n", 62},   {"P -1", 2},
                   /* as old files write them: SHELX's screw axes, a Hall symbol without its blanks */
                   {"P2(1)/c", 14},     {"P2(1)2(1)2(1)", 19}, {"-P2ybc", 14}, {"-P2ac2n", 62}};
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        int number = xs_sym_number_from_text(symbols[i].symbol);
        CHECK(number == symbols[i].number, "'%s' is group %d, got %d", symbols[i].symbol, symbols[i].number, number);
    }
    /* numbers as text: in range, with trailing blanks; not out of range, not with other trailing text */
    const struct {
        const char *text;
        int number;
    } texts[] = {{"14", 14}, {"230 ", 230}, {"1", 1}, {"0", 0}, {"231", 0}, {"14x", 0}, {"", 0}, {"Xyz", 0}, {"-5", 0}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        CHECK(xs_sym_number_from_text(texts[i].text) == texts[i].number, "'%s' is %d, got %d", texts[i].text,
              texts[i].number, xs_sym_number_from_text(texts[i].text));
    CHECK(xs_sym_number_from_text(NULL) == 0, "NULL");

    xs_structure_free(nacl);
    xs_structure_free(si);
    xs_structure_free(rut);
    xs_structure_free(qz);
    xs_structure_free(cor);
    return xs_test_finish();
}
