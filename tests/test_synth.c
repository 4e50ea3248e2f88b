/* Random crystals: every one of the 230 groups can be generated; spglib finds exactly the target group; no
 * two atoms closer than the bound; the same (seed, index) gives the same crystal; lattices obey the crystal
 * system. Runs with the built-in occupation distribution, and with the Materials Project prior when the
 * shared data folder has it. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

#define PER_GROUP 3

static double min_ratio(const xs_structure *s)
{
    double lat[3][3];
    xs_structure_lattice(s, lat);
    const xs_site *a = xs_structure_sites(s);
    size_t n = xs_structure_num_sites(s);
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            for (int u = -2; u <= 2; u++) /* wider than the generator's 27 cells, as an independent check */
                for (int v = -2; v <= 2; v++)
                    for (int w = -2; w <= 2; w++) {
                        if (i == j && !u && !v && !w) continue;
                        double f[3] = {a[j].frac[0] - a[i].frac[0] + u, a[j].frac[1] - a[i].frac[1] + v,
                                       a[j].frac[2] - a[i].frac[2] + w};
                        double x[3];
                        for (int k = 0; k < 3; k++) x[k] = f[0] * lat[0][k] + f[1] * lat[1][k] + f[2] * lat[2][k];
                        double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) /
                                   (xs_synth_radius(a[i].z) + xs_synth_radius(a[j].z));
                        if (r < best) best = r;
                    }
    return best;
}

static int same_structure(const xs_structure *a, const xs_structure *b)
{
    double la[3][3], lb[3][3];
    xs_structure_lattice(a, la);
    xs_structure_lattice(b, lb);
    if (memcmp(la, lb, sizeof la) || xs_structure_num_sites(a) != xs_structure_num_sites(b)) return 0;
    const xs_site *sa = xs_structure_sites(a), *sb = xs_structure_sites(b);
    for (size_t i = 0; i < xs_structure_num_sites(a); i++)
        if (memcmp(sa[i].frac, sb[i].frac, sizeof sa[i].frac) || sa[i].z != sb[i].z || sa[i].b_iso != sb[i].b_iso)
            return 0;
    return 1;
}

static void check_system(int sg, const xs_structure *s)
{
    double lat[3][3], p[6];
    xs_structure_lattice(s, lat);
    xs_lattice_parameters(lat, p);
    const double t = 1e-6; /* parameters are set exactly; this is rounding of the conversions only */
    switch (xs_sym_crystal_system(sg)) {
    case XS_CUBIC: CHECK(fabs(p[0] - p[1]) < t && fabs(p[0] - p[2]) < t && fabs(p[3] - 90) < t && fabs(p[5] - 90) < t, "cubic cell of %d", sg); break;
    case XS_TETRAGONAL: CHECK(fabs(p[0] - p[1]) < t && fabs(p[3] - 90) < t && fabs(p[4] - 90) < t && fabs(p[5] - 90) < t, "tetragonal cell of %d", sg); break;
    case XS_TRIGONAL:
    case XS_HEXAGONAL: CHECK(fabs(p[0] - p[1]) < t && fabs(p[3] - 90) < t && fabs(p[5] - 120) < t, "hexagonal cell of %d", sg); break;
    case XS_ORTHORHOMBIC: CHECK(fabs(p[3] - 90) < t && fabs(p[4] - 90) < t && fabs(p[5] - 90) < t, "orthorhombic cell of %d", sg); break;
    case XS_MONOCLINIC: CHECK(fabs(p[3] - 90) < t && fabs(p[5] - 90) < t, "monoclinic cell of %d", sg); break;
    default: break;
    }
}

/* Generate PER_GROUP crystals of every group with the direct check; spglib must agree on every one. */
static void all_groups(const xs_synth_options *opt, const char *what)
{
    int generated = 0, groups_ok = 0, spglib_agree = 0, close = 0, over_limit = 0;
    for (int sg = 1; sg <= 230; sg++) {
        int ok = 1;
        for (int i = 0; i < PER_GROUP; i++) {
            xs_structure *s;
            xs_error err = {0};
            uint64_t index = (uint64_t)sg * 100 + (uint64_t)i;
            if (xs_synth_crystal(sg, opt, 7, index, &s, &err) != XS_OK) {
                CHECK(0, "%s: group %d index %llu: %s", what, sg, (unsigned long long)index, err.message);
                ok = 0;
                continue;
            }
            generated++;
            xs_spacegroup found;
            int agree = xs_sym_find(s, opt->symprec, &found, NULL) == XS_OK && found.number == sg;
            spglib_agree += agree;
            CHECK(agree, "%s: group %d index %llu: spglib finds %d", what, sg, (unsigned long long)index, found.number);
            CHECK(xs_structure_declared_number(s) == sg, "declared group");
            double r = min_ratio(s);
            /* the bound itself; 1e-9 for the rounding of the distances */
            close += r < opt->min_dist_factor - 1e-9;
            CHECK(r >= opt->min_dist_factor - 1e-9, "%s: group %d: atoms at %.3f of their radii", what, sg, r);
            const xs_synth_wyckoff_set *ws;
            xs_synth_wyckoff(sg, &ws, NULL);
            int general = xs_synth_wyckoff_get(ws, xs_synth_wyckoff_count(ws) - 1)->multiplicity;
            int limit = opt->max_atoms > general ? opt->max_atoms : general;
            CHECK((int)xs_structure_num_sites(s) <= limit, "atom limit");
            over_limit += (int)xs_structure_num_sites(s) > opt->max_atoms;
            check_system(sg, s);
            const xs_site *a = xs_structure_sites(s);
            for (size_t k = 0; k < xs_structure_num_sites(s); k++)
                CHECK(a[k].b_iso >= opt->b_min && a[k].b_iso <= opt->b_max && a[k].occupancy == 1.0, "B, occupancy");
            if (i == 0) { /* determinism: the same (seed, index) again, after other draws */
                xs_structure *again;
                CHECK(xs_synth_crystal(sg, opt, 7, index, &again, NULL) == XS_OK && same_structure(s, again),
                      "group %d: same seed and index, same crystal", sg);
                if (again) xs_structure_free(again);
                xs_structure *other;
                if (xs_synth_crystal(sg, opt, 8, index, &other, NULL) == XS_OK) {
                    CHECK(!same_structure(s, other), "group %d: another seed, another crystal", sg);
                    xs_structure_free(other);
                }
            }
            xs_structure_free(s);
        }
        groups_ok += ok;
    }
    printf("%s: %d/230 groups generated, %d crystals, spglib finds the target group for %d, %d too close, %d above "
           "max_atoms\n", what, groups_ok, generated, spglib_agree, close, over_limit);
    CHECK(groups_ok == 230, "%s: %d/230 groups", what, groups_ok);
}

int main(void)
{
    xs_synth_options opt;
    xs_synth_options_default(&opt);
    opt.verify = XS_SYNTH_VERIFY_DIRECT;
    all_groups(&opt, "built-in occupations");

    /* the default verification (spglib) on a few groups */
    xs_synth_options_default(&opt);
    int groups[] = {1, 2, 14, 62, 148, 166, 191, 194, 221, 225, 227, 230};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        xs_structure *s;
        xs_error err = {0};
        if (xs_synth_crystal(groups[g], &opt, 3, g, &s, &err) != XS_OK) {
            CHECK(0, "spglib-verified group %d: %s", groups[g], err.message);
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "synth-%d-3-%zu", groups[g], g);
        CHECK(!strcmp(xs_structure_name(s), name), "name %s", xs_structure_name(s));
        xs_structure_free(s);
    }

    /* errors */
    xs_structure *s;
    CHECK(xs_synth_crystal(0, NULL, 1, 0, &s, NULL) == XS_ERR_RANGE, "group 0");
    CHECK(xs_synth_crystal(231, NULL, 1, 0, &s, NULL) == XS_ERR_RANGE, "group 231");
    opt.max_attempts = 0;
    CHECK(xs_synth_crystal(1, &opt, 1, 0, &s, NULL) == XS_ERR_RANGE, "max_attempts 0");
    CHECK(xs_synth_radius(8) == 0.66 && xs_synth_radius(0) == 0 && xs_synth_radius(200) == 0, "radii");

    /* a prior naming a position the group lacks */
    char tmp[] = "/tmp/xs_test_prior_XXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        const char *text = "spg,n_atoms,wps,count\n2,2,0,3\n2,1,9,1\n"; /* P-1 has 9 positions: 0..8 */
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
        close(fd);
        xs_synth_wyckoff_prior *p = NULL;
        xs_error err = {0};
        CHECK(xs_synth_wyckoff_prior_load(tmp, &p, &err) == XS_ERR_PARSE && err.line == 3, "bad index: %s line %d",
              err.message, err.line);
        unlink(tmp);
    }
    char tmp2[] = "/tmp/xs_test_prior_XXXXXX";
    fd = mkstemp(tmp2);
    if (fd >= 0) {
        const char *text = "spg,n_atoms,wps,count\n2,3,0-8,1\n2,4,0-8,1\n"; /* 2 + 1 atoms, not 4 */
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
        close(fd);
        xs_synth_wyckoff_prior *p = NULL;
        xs_error err = {0};
        CHECK(xs_synth_wyckoff_prior_load(tmp2, &p, &err) == XS_ERR_PARSE && err.line == 3, "n_atoms: %s line %d",
              err.message, err.line);
        unlink(tmp2);
    }

    /* Cell shapes: the default keeps the longest axis within e of the shortest; --axis-log-sd 0.5 gives the
     * longer axes of real structures (in the COD's low-symmetry inorganic structures 23% of cells exceed e).
     * 120 crystals of Pnma each way, direct verification; for a normal of sd 0.5 about a third exceed e, and
     * the chance that 120 draws give fewer than 12 is below 1e-6. */
    {
        int over_default = 0, over_wide = 0, made = 0;
        for (int wide = 0; wide < 2; wide++) {
            xs_synth_options_default(&opt);
            opt.verify = XS_SYNTH_VERIFY_DIRECT;
            opt.axis_log_sd = wide ? 0.5 : 0;
            for (int i = 0; i < 120; i++) {
                xs_structure *s = NULL;
                xs_error err = {0};
                if (xs_synth_crystal(62, &opt, 21, (uint64_t)i, &s, &err) != XS_OK) continue;
                made++;
                double lat[3][3], len[3];
                xs_structure_lattice(s, lat);
                for (int k = 0; k < 3; k++) len[k] = sqrt(lat[k][0] * lat[k][0] + lat[k][1] * lat[k][1] + lat[k][2] * lat[k][2]);
                double lo = fmin(len[0], fmin(len[1], len[2])), hi = fmax(len[0], fmax(len[1], len[2]));
                /* 1e-9: rounding of the lengths; the cell only grows as a whole (isotropically) */
                if (hi / lo > exp(1.0) + 1e-9) *(wide ? &over_wide : &over_default) += 1;
                xs_structure_free(s);
            }
        }
        CHECK(made == 240, "240 crystals made (%d)", made);
        CHECK(over_default == 0, "default cells: longest axis within e of the shortest (%d beyond)", over_default);
        CHECK(over_wide >= 12, "--axis-log-sd 0.5: long cells as real structures have (%d of 120 beyond e)", over_wide);
        opt.axis_log_sd = 2;
        xs_structure *s = NULL;
        xs_error err = {0};
        CHECK(xs_synth_crystal(62, &opt, 21, 0, &s, &err) == XS_ERR_RANGE && !s, "axis_log_sd 2 refused");
    }

    /* Chemistry: with anion_prob 1 every crystal of two or more elements holds an anion former, and anion
     * formers make about half of the atoms (the first one is given U(0.45, 0.85) of them, as near as the
     * Wyckoff multiplicities allow); by default every species is drawn alike and anion formers (about 30% of
     * the element weights) make fewer. 120 crystals of P2_1/c each way, direct verification. */
    {
        double share[2][120];
        int n_made[2] = {0, 0}, without[2] = {0, 0};
        for (int chem = 0; chem < 2; chem++) {
            xs_synth_options_default(&opt);
            opt.verify = XS_SYNTH_VERIFY_DIRECT;
            opt.anion_prob = chem ? 1.0 : 0.0;
            for (int i = 0; i < 120; i++) {
                xs_structure *s = NULL;
                xs_error err = {0};
                if (xs_synth_crystal(14, &opt, 33, (uint64_t)i, &s, &err) != XS_OK) continue;
                const xs_site *at = xs_structure_sites(s);
                size_t n = xs_structure_num_sites(s);
                int anions = 0, elements = 0, seen[XS_MAX_Z + 1] = {0};
                for (size_t k = 0; k < n; k++) {
                    int z = at[k].z;
                    anions += z == 7 || z == 8 || z == 9 || z == 16 || z == 17 || z == 34 || z == 35 || z == 52 || z == 53;
                    elements += !seen[z]++;
                }
                if (elements >= 2 && !anions) without[chem]++;
                share[chem][n_made[chem]++] = (double)anions / (double)n;
                xs_structure_free(s);
            }
        }
        CHECK(n_made[0] == 120 && n_made[1] == 120, "240 crystals made (%d, %d)", n_made[0], n_made[1]);
        CHECK(without[1] == 0, "anion_prob 1: every compound holds an anion former (%d without)", without[1]);
        CHECK(without[0] >= 12, "default: many compounds hold none (%d of 120)", without[0]);
        for (int chem = 0; chem < 2; chem++) /* insertion sort for the medians */
            for (int i = 1; i < n_made[chem]; i++)
                for (int j = i; j > 0 && share[chem][j - 1] > share[chem][j]; j--) {
                    double t = share[chem][j];
                    share[chem][j] = share[chem][j - 1];
                    share[chem][j - 1] = t;
                }
        CHECK(share[1][60] >= 0.45 && share[0][60] < 0.4, "median share of anion formers: %.2f with, %.2f without",
              share[1][60], share[0][60]);
        opt.anion_prob = 1.5;
        xs_structure *s = NULL;
        xs_error err = {0};
        CHECK(xs_synth_crystal(14, &opt, 33, 0, &s, &err) == XS_ERR_RANGE && !s, "anion_prob 1.5 refused");
    }

    /* the Materials Project prior */
    char path[1024];
    const char *root = getenv("XS_SHARED_DATA");
    snprintf(path, sizeof path, "%s/symmetry/mp_wyckoff_occupation_counts.csv", root ? root : "../shared/data");
    if (access(path, R_OK) != 0) {
        printf("SKIPPED (part): %s is absent, the prior is not tested\n", path);
        return xs_test_finish();
    }
    xs_synth_wyckoff_prior *prior = NULL;
    xs_error err = {0};
    CHECK(xs_synth_wyckoff_prior_load(path, &prior, &err) == XS_OK, "load prior: %s", err.message);
    if (!prior) return xs_test_finish();
    int with_rows = 0;
    for (int sg = 1; sg <= 230; sg++) with_rows += xs_synth_wyckoff_prior_rows(prior, sg) > 0;
    printf("prior: rows for %d of 230 groups\n", with_rows);
    CHECK(with_rows >= 200, "prior covers %d groups", with_rows);
    xs_synth_options_default(&opt);
    opt.verify = XS_SYNTH_VERIFY_DIRECT;
    opt.prior = prior;
    all_groups(&opt, "MP prior");

    /* atoms_power: the prior's occupations weighted by n_atoms^power draw larger cells. 80 crystals of
     * P2_1/c each way, up to 200 atoms on 16 positions; the median moves from about 20 to about 36 atoms (4,600
     * crystals of all groups), so "more than 1.3 times the default's" leaves room for 80 draws. */
    {
        double med[2];
        for (int big = 0; big < 2; big++) {
            int n_at[80], made = 0;
            xs_synth_options_default(&opt);
            opt.verify = XS_SYNTH_VERIFY_DIRECT;
            opt.prior = prior;
            opt.max_atoms = 200;
            opt.max_sites = 16;
            opt.atoms_power = big ? 2.5 : 0;
            for (int i = 0; i < 80; i++) {
                xs_structure *s = NULL;
                if (xs_synth_crystal(14, &opt, 44, (uint64_t)i, &s, &err) != XS_OK) continue;
                int v = (int)xs_structure_num_sites(s), j = made++;
                for (; j > 0 && n_at[j - 1] > v; j--) n_at[j] = n_at[j - 1];
                n_at[j] = v;
                xs_structure_free(s);
            }
            CHECK(made == 80, "80 crystals made (%d)", made);
            med[big] = made ? n_at[made / 2] : 0;
        }
        CHECK(med[1] > 1.3 * med[0], "atoms_power 2.5: larger cells (median %g atoms against %g)", med[1], med[0]);
        opt.atoms_power = 5;
        xs_structure *s = NULL;
        CHECK(xs_synth_crystal(14, &opt, 44, 0, &s, &err) == XS_ERR_RANGE && !s, "atoms_power 5 refused");
    }
    xs_synth_wyckoff_prior_free(prior);
    return xs_test_finish();
}
