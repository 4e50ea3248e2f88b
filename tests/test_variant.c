/* Isostructural relatives (xs_synth_variant) and `dataset structures --variants`: the group survives the
 * strain in any setting, coordinates stay, elements go only to their neighbours, the same seed gives the
 * same relative. */
#include "xs_fixtures.h"

static double lattice_param(const xs_structure *s, int k)
{
    double lat[3][3], p[6];
    xs_structure_lattice(s, lat);
    xs_lattice_parameters(lat, p);
    return p[k];
}

static int group_of(const xs_structure *s)
{
    xs_spacegroup sg;
    xs_error err = {0};
    return xs_sym_find(s, XS_SYMPREC_DEFAULT, &sg, &err) ? 0 : sg.number;
}

/* xs_synth_variant with the structure's own rotations, found as the dataset command finds them. */
static xs_status relative(const xs_structure *s, const xs_synth_variant_options *opt, uint64_t seed, uint64_t index,
                          xs_structure **out, xs_error *err)
{
    int rot[48][3][3], n_rot = 0;
    *out = NULL;
    xs_status st = xs_sym_cell_rotations(s, XS_SYMPREC_DEFAULT, rot, 48, &n_rot, err);
    return st ? st : xs_synth_variant(s, (const int (*)[3][3])rot, n_rot, opt, seed, index, out, err);
}

/* Every relative of s keeps group `number`, the site count, every fractional coordinate, and elements that
 * are the original's or its neighbours'. Returns how many relatives changed their cell by more than 0.1%
 * (a strain that did nothing would pass the rest). */
static int check_relatives(const char *what, const xs_structure *s, int number, const xs_synth_variant_options *opt)
{
    int strained = 0;
    for (uint64_t index = 1; index <= 12; index++) {
        xs_structure *v = NULL;
        xs_error err = {0};
        CHECK(relative(s, opt, 7, index, &v, &err) == XS_OK, "%s relative %llu: %s", what,
              (unsigned long long)index, err.message);
        if (!v) continue;
        int g = group_of(v);
        /* substitution may merge two species and raise the symmetry; these fixtures have one cation and
         * one anion, which never merge (O stays O, S stays in its family) */
        CHECK(g == number, "%s relative %llu: group %d, not %d", what, (unsigned long long)index, g, number);
        CHECK(xs_structure_num_sites(v) == xs_structure_num_sites(s), "%s: sites", what);
        const xs_site *a = xs_structure_sites(s), *b = xs_structure_sites(v);
        for (size_t i = 0; i < xs_structure_num_sites(s); i++) {
            CHECK(!memcmp(a[i].frac, b[i].frac, sizeof a[i].frac), "%s site %zu moved", what, i);
            CHECK(b[i].z == a[i].z || b[i].z == xs_synth_neighbour_element(a[i].z, 0) ||
                      b[i].z == xs_synth_neighbour_element(a[i].z, 1) || abs(b[i].z - a[i].z) <= 2,
                  "%s site %zu: %d is no neighbour of %d", what, i, b[i].z, a[i].z);
        }
        for (int k = 0; k < 3; k++) {
            double ratio = lattice_param(v, k) / lattice_param(s, k);
            /* components cut at 3 sd = 0.09 each; three of them add at most about 0.16 to a length */
            CHECK(ratio > 0.8 && ratio < 1.2, "%s relative %llu: axis %d scaled by %g", what, (unsigned long long)index, k,
                  ratio);
            if (fabs(ratio - 1) > 1e-3) strained = 1;
        }
        xs_structure_free(v);
    }
    return strained;
}

int main(void)
{
    xs_synth_variant_options opt;
    xs_synth_variant_options_default(&opt);
    CHECK(opt.strain_sd == 0.03 && opt.substitute_prob == 0.5, "defaults %g %g", opt.strain_sd, opt.substitute_prob);

    /* Neighbours: families at their ends turn back, runs stay inside, others are kept. */
    CHECK(xs_synth_neighbour_element(55, 0) == 37 && xs_synth_neighbour_element(55, 1) == 37, "Cs -> Rb");
    CHECK(xs_synth_neighbour_element(3, 0) == 11 && xs_synth_neighbour_element(3, 1) == 11, "Li -> Na");
    int mg0 = xs_synth_neighbour_element(12, 0), mg1 = xs_synth_neighbour_element(12, 1);
    CHECK(mg0 != mg1 && (mg0 == 4 || mg0 == 20) && (mg1 == 4 || mg1 == 20), "Mg -> Be or Ca: %d %d", mg0, mg1);
    CHECK(xs_synth_neighbour_element(8, 5) == 8 && xs_synth_neighbour_element(7, 5) == 7, "O and N kept");
    CHECK(xs_synth_neighbour_element(1, 5) == 1 && xs_synth_neighbour_element(18, 5) == 18, "H and Ar kept");
    int seen_fe[103] = {0};
    for (uint64_t d = 0; d < 16; d++) seen_fe[xs_synth_neighbour_element(26, d)]++;
    CHECK(seen_fe[24] && seen_fe[25] && seen_fe[27] && seen_fe[28] && !seen_fe[26], "Fe -> Cr, Mn, Co, Ni");
    for (uint64_t d = 0; d < 16; d++) {
        int z = xs_synth_neighbour_element(30, d);
        CHECK(z == 28 || z == 29, "Zn -> Ni or Cu, not %d", z);
        z = xs_synth_neighbour_element(62, d);
        CHECK(z == 63 || z == 64, "Sm -> Eu or Gd (Pm left out), not %d", z);
    }

    /* Rutile (P4_2/mnm), corundum (R-3c, hexagonal axes), pyrite-like FeS2 (Pa-3). */
    const int rutile_z[] = {22, 8};
    const double rutile_x[][3] = {{0, 0, 0}, {0.3053, 0.3053, 0}};
    xs_structure *rutile = xs_fixture_build(136, 4.594, 4.594, 2.959, 90, 90, 90, 2, rutile_z, rutile_x);
    const int cor_z[] = {13, 8};
    const double cor_x[][3] = {{0, 0, 0.3523}, {0.3064, 0, 0.25}};
    xs_structure *corundum = xs_fixture_build(167, 4.759, 4.759, 12.991, 90, 90, 120, 2, cor_z, cor_x);
    const int py_z[] = {26, 16};
    const double py_x[][3] = {{0, 0, 0}, {0.385, 0.385, 0.385}};
    xs_structure *pyrite = xs_fixture_build(205, 5.417, 5.417, 5.417, 90, 90, 90, 2, py_z, py_x);
    /* Monoclinic P2_1/c, then the same crystal with its axes relabelled (a, b, c) -> (b, c, a): the unique
     * axis is then the first, a setting a general strain would break unless symmetrised in that setting. */
    const int mono_z[] = {12, 14, 8, 8};
    const double mono_x[][3] = {{0.11, 0.23, 0.31}, {0.62, 0.14, 0.77}, {0.35, 0.41, 0.09}, {0.83, 0.67, 0.52}};
    xs_structure *mono = xs_fixture_build(14, 5.1, 8.3, 6.7, 90, 104.5, 90, 4, mono_z, mono_x);
    CHECK(rutile && corundum && pyrite && mono, "fixtures built");
    if (!rutile || !corundum || !pyrite || !mono) return xs_test_finish();
    CHECK(group_of(rutile) == 136 && group_of(corundum) == 167 && group_of(pyrite) == 205 && group_of(mono) == 14,
          "fixture groups %d %d %d %d", group_of(rutile), group_of(corundum), group_of(pyrite), group_of(mono));
    xs_structure *rotated = NULL;
    {
        double lat[3][3], rl[3][3];
        xs_structure_lattice(mono, lat);
        for (int j = 0; j < 3; j++) rl[0][j] = lat[1][j], rl[1][j] = lat[2][j], rl[2][j] = lat[0][j];
        size_t n = xs_structure_num_sites(mono);
        xs_site *sites = malloc(n * sizeof *sites);
        memcpy(sites, xs_structure_sites(mono), n * sizeof *sites);
        for (size_t i = 0; i < n; i++) {
            double f[3] = {sites[i].frac[1], sites[i].frac[2], sites[i].frac[0]};
            memcpy(sites[i].frac, f, sizeof f);
        }
        xs_error err = {0};
        CHECK(xs_structure_create(rl, n, sites, &rotated, &err) == XS_OK, "relabelled: %s", err.message);
        free(sites);
    }
    CHECK(rotated && group_of(rotated) == 14, "relabelled monoclinic cell still P2_1/c");
    CHECK(check_relatives("rutile", rutile, 136, &opt), "rutile: no relative strained");
    CHECK(check_relatives("corundum", corundum, 167, &opt), "corundum: no relative strained");
    CHECK(check_relatives("pyrite", pyrite, 205, &opt), "pyrite: no relative strained");
    CHECK(check_relatives("monoclinic", mono, 14, &opt), "monoclinic: no relative strained");
    if (rotated) CHECK(check_relatives("relabelled monoclinic", rotated, 14, &opt), "relabelled: no relative strained");

    /* The metric keeps what the group fixes: a = b and gamma = 120 for corundum, a = b = c and right angles for
     * pyrite, right angles around the unique axis (the first, after relabelling) while alpha's partner moves. */
    int beta_moved = 0;
    for (uint64_t index = 1; index <= 8; index++) {
        xs_structure *v = NULL;
        xs_error err = {0};
        /* 1e-9: the symmetrised metric is exact up to rounding of a few products of 5-A lengths */
        if (relative(corundum, &opt, 3, index, &v, &err) == XS_OK) {
            CHECK_NEAR(lattice_param(v, 0), lattice_param(v, 1), 1e-9, "corundum a = b");
            CHECK_NEAR(lattice_param(v, 5), 120, 1e-7, "corundum gamma");
            CHECK_NEAR(lattice_param(v, 3), 90, 1e-7, "corundum alpha");
            xs_structure_free(v);
        }
        if (relative(pyrite, &opt, 3, index, &v, &err) == XS_OK) {
            CHECK_NEAR(lattice_param(v, 0), lattice_param(v, 2), 1e-9, "pyrite a = c");
            CHECK_NEAR(lattice_param(v, 4), 90, 1e-7, "pyrite beta");
            xs_structure_free(v);
        }
        if (rotated && relative(rotated, &opt, 3, index, &v, &err) == XS_OK) {
            CHECK_NEAR(lattice_param(v, 4), 90, 1e-7, "relabelled: angle between a (unique) and c");
            CHECK_NEAR(lattice_param(v, 5), 90, 1e-7, "relabelled: angle between a (unique) and b");
            if (fabs(lattice_param(v, 3) - lattice_param(rotated, 3)) > 0.05) beta_moved = 1;
            xs_structure_free(v);
        }
    }
    CHECK(beta_moved, "the monoclinic angle never moved");

    /* Same (seed, index), same relative; another index, another. */
    xs_structure *v1 = NULL, *v2 = NULL, *v3 = NULL;
    xs_error err = {0};
    relative(rutile, &opt, 5, 9, &v1, &err);
    relative(rutile, &opt, 5, 9, &v2, &err);
    relative(rutile, &opt, 5, 10, &v3, &err);
    CHECK(v1 && v2 && v3, "relatives made");
    if (v1 && v2 && v3) {
        CHECK(lattice_param(v1, 0) == lattice_param(v2, 0) && lattice_param(v1, 2) == lattice_param(v2, 2), "same seed");
        CHECK(lattice_param(v1, 0) != lattice_param(v3, 0), "another index");
        CHECK(strstr(xs_structure_name(v1), "~v9") != NULL, "name %s", xs_structure_name(v1));
    }
    xs_structure_free(v1);
    xs_structure_free(v2);
    xs_structure_free(v3);

    /* Substitution off: the elements stay; always: every substitutable element changes. */
    opt.substitute_prob = 0;
    for (uint64_t index = 1; index <= 5; index++) {
        xs_structure *v = NULL;
        if (relative(rutile, &opt, 1, index, &v, &err) == XS_OK) {
            CHECK(xs_structure_sites(v)[0].z == 22, "Ti kept without substitution");
            xs_structure_free(v);
        }
    }
    opt.substitute_prob = 1;
    for (uint64_t index = 1; index <= 5; index++) {
        xs_structure *v = NULL;
        if (relative(pyrite, &opt, 1, index, &v, &err) == XS_OK) {
            const xs_site *s = xs_structure_sites(v);
            for (size_t i = 0; i < xs_structure_num_sites(v); i++) {
                if (xs_structure_sites(pyrite)[i].z == 26)
                    CHECK(s[i].z == 24 || s[i].z == 25 || s[i].z == 27 || s[i].z == 28, "Fe became %d", s[i].z);
                else
                    CHECK(s[i].z == 34, "S became %d, not Se", s[i].z);
            }
            xs_structure_free(v);
        }
    }
    opt.strain_sd = 0.5;
    xs_structure *bad = NULL;
    CHECK(relative(rutile, &opt, 1, 1, &bad, &err) == XS_ERR_RANGE && !bad && strstr(err.message, "strain"),
          "a strain sd of 0.5 refused: %s", err.message);
    opt.strain_sd = 0.03;
    const int identity[1][3][3] = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    CHECK(xs_synth_variant(rutile, identity, 0, &opt, 1, 1, &bad, &err) == XS_ERR_RANGE && !bad &&
              strstr(err.message, "rotations"),
          "no rotations refused: %s", err.message);

    xs_structure_free(rutile);
    xs_structure_free(corundum);
    xs_structure_free(pyrite);
    xs_structure_free(mono);
    xs_structure_free(rotated);

    /* The command: relatives after each structure, a structure read twice gets them once, --seed required. */
    char exe[1024], out[512], args[2048], log[8192];
    xs_test_cli_exe(exe, sizeof exe);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(out, sizeof out, "%s/xs_variant_%d.h5", tmp, (int)getpid());
    snprintf(args, sizeof args, "tests/fixtures/rutile.cif tests/fixtures/rutile.cif tests/fixtures/corundum.cif --variants 3 "
                                "--seed 1 --val 0 --test 0 --quiet --out '%s'", out);
    char report[600];
    snprintf(report, sizeof report, "%s.txt", out);
    int rc = xs_test_run_cli(exe, "dataset structures", args, report);
    snprintf(log, sizeof log, "cat '%s.err'", report);
    char err_text[4096] = "";
    xs_test_capture(log, err_text, sizeof err_text);
    CHECK(rc == 0, "dataset structures --variants: exit %d: %s", rc, err_text);
    xs_dataset *d = NULL;
    if (rc == 0 && xs_dataset_open(out, &d, &err) == XS_OK) {
        /* rutile + 3, its second reading removed as a duplicate without relatives, corundum + 3 */
        CHECK(xs_dataset_count(d) == 8, "8 crystals, not %zu: %s", xs_dataset_count(d), err_text);
        int n136 = 0, n167 = 0;
        for (size_t i = 0; i < xs_dataset_count(d); i++) {
            n136 += xs_dataset_space_group(d, i) == 136;
            n167 += xs_dataset_space_group(d, i) == 167;
        }
        CHECK(n136 == 4 && n167 == 4, "groups: %d rutile-like, %d corundum-like", n136, n167);
        int named = 0;
        for (size_t i = 0; i < xs_dataset_count(d); i++) {
            const char *src = xs_dataset_source(d, i), *v = strstr(src, "~v");
            named += v && v[2] >= '1' && v[2] <= '3' && !v[3];
        }
        CHECK(named == 6, "relatives named ~v1..~v3 after their structure: %d", named);
        CHECK(strstr(err_text, "1 structures read before got none") != NULL, "report: %s", err_text);
        xs_dataset_free(d);
    } else {
        CHECK(0, "open %s: %s", out, err.message);
    }
    remove(out);
    snprintf(args, sizeof args, "tests/fixtures/rutile.cif --variants 3 --quiet --out '%s'", out);
    rc = xs_test_run_cli(exe, "dataset structures", args, report);
    xs_test_capture(log, err_text, sizeof err_text);
    CHECK(rc == 2 && strstr(err_text, "--variants needs --seed"), "without --seed: exit %d: %s", rc, err_text);
    CHECK(access(out, F_OK) != 0, "nothing written without --seed");
    remove(report);
    snprintf(log, sizeof log, "%s.err", report);
    remove(log);
    return xs_test_finish();
}
