/* Expansion by symmetry and the atoms-too-close check against plain references that compare every pair, on
 * seeded random structures in every setting; and the POSCAR reader's warning for atoms too close. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

static unsigned long long rng_state = 20261201;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static int pick(int n) { return (int)(uniform() * n) % n; }

/* The minimal-image distance, searched wider than the library does (translations -2..2 after rounding). */
static double reference_distance(const double l[3][3], const double a[3], const double b[3])
{
    double f[3], best = INFINITY;
    for (int k = 0; k < 3; k++) f[k] = b[k] - a[k] - nearbyint(b[k] - a[k]);
    for (int i = -2; i <= 2; i++)
        for (int j = -2; j <= 2; j++)
            for (int k = -2; k <= 2; k++) {
                double g[3] = {f[0] + i, f[1] + j, f[2] + k}, c[3];
                for (int m = 0; m < 3; m++) c[m] = g[0] * l[0][m] + g[1] * l[1][m] + g[2] * l[2][m];
                double r = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
                if (r < best) best = r;
            }
    return sqrt(best);
}

static double reference_wrap(double x)
{
    double w = x - floor(x);
    return w >= 1.0 - 1e-12 ? 0.0 : w;
}

/* xs_structure_expand as first written: every image compared with every site kept. */
static size_t reference_expand(const double l[3][3], const xs_site *asym, size_t n_asym, int n_ops, const int (*rot)[3][3],
                               const double (*tr)[3], double tol, xs_site *out)
{
    size_t n = 0;
    for (size_t i = 0; i < n_asym; i++) {
        size_t first_of_site = n;
        for (int o = 0; o < n_ops; o++) {
            xs_site img = asym[i];
            for (int r = 0; r < 3; r++)
                img.frac[r] = reference_wrap(rot[o][r][0] * asym[i].frac[0] + rot[o][r][1] * asym[i].frac[1] +
                                             rot[o][r][2] * asym[i].frac[2] + tr[o][r]);
            int dup = 0;
            for (size_t k = 0; k < n && !dup; k++) {
                if (out[k].z != img.z) continue;
                if (k < first_of_site && fabs(out[k].occupancy - img.occupancy) > 1e-6) continue;
                if (reference_distance(l, out[k].frac, img.frac) < tol) dup = 1;
            }
            if (!dup) out[n++] = img;
        }
    }
    return n;
}

/* A coordinate on a special value (0, 1/4, 1/3, 1/2...) or off it by a fraction of the merge tolerance, or
 * anywhere: special positions and near-duplicates are where merging decides. */
static double random_coordinate(double tol, double axis)
{
    static const double special[] = {0, 0.25, 1.0 / 3, 0.5, 2.0 / 3, 0.75, 1.0 / 6, 1.0 / 8};
    int kind = pick(3);
    if (kind == 0) return uniform();
    double x = special[pick(8)];
    return kind == 1 ? x : x + (uniform() - 0.5) * 2.5 * tol / axis;
}

static void random_lattice(double l[3][3])
{
    for (;;) {
        double a = 3 + 9 * uniform(), b = 3 + 9 * uniform(), c = 3 + 9 * uniform();
        double al = 90, be = 90, ga = 90;
        int shape = pick(3);
        if (shape == 1) ga = 120, b = a;
        if (shape == 2) al = 70 + 40 * uniform(), be = 70 + 40 * uniform(), ga = 70 + 40 * uniform();
        if (xs_lattice_from_parameters(a, b, c, al, be, ga, l, NULL) == XS_OK) return;
    }
}

/* Brute-force count of the pairs xs_structure_clashes means, and the closest one's distance. */
static size_t reference_clashes(const xs_structure *s, double *closest)
{
    double l[3][3];
    xs_structure_lattice(s, l);
    const xs_site *a = xs_structure_sites(s);
    size_t n = xs_structure_num_sites(s), count = 0;
    *closest = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (a[i].occupancy + a[j].occupancy <= XS_CLASH_OCCUPANCY) continue;
            double limit = a[i].z == 1 || a[j].z == 1 ? XS_CLASH_DISTANCE_H : XS_CLASH_DISTANCE;
            double d = reference_distance(l, a[i].frac, a[j].frac);
            if (d >= limit) continue;
            count++;
            if (d < *closest) *closest = d;
        }
    return count;
}

int main(void)
{
    static int rot[192][3][3];
    static double tr[192][3];
    static xs_site expected[8 * 192];
    static const int elements[] = {1, 8, 8, 14, 26};
    static const double tols[] = {0.01, 0.1, 0.5, 2.0};
    int structures = 0, mismatched = 0, clash_checked = 0, clash_mismatched = 0, with_clashes = 0;
    for (int trial = 0; trial < 400; trial++) {
        double l[3][3];
        random_lattice(l);
        int hall = 1 + pick(530);
        int n_ops = xs_sym_operations(hall, rot, tr, 192);
        CHECK(n_ops > 0, "Hall number %d has operations", hall);
        if (n_ops <= 0) continue;
        double tol = tols[pick(4)];
        double axes[3];
        for (int k = 0; k < 3; k++) axes[k] = sqrt(l[k][0] * l[k][0] + l[k][1] * l[k][1] + l[k][2] * l[k][2]);
        xs_site asym[8];
        size_t n_asym = 1 + (size_t)pick(8);
        for (size_t i = 0; i < n_asym; i++) {
            memset(&asym[i], 0, sizeof asym[i]);
            asym[i].z = elements[pick(5)];
            asym[i].occupancy = pick(3) ? 1.0 : 0.5;
            for (int k = 0; k < 3; k++) asym[i].frac[k] = random_coordinate(tol, axes[k]);
            snprintf(asym[i].label, sizeof asym[i].label, "%s%zu", xs_element_symbol(asym[i].z), i + 1);
        }
        if (n_asym > 1 && pick(2)) { /* a listed site repeated near another, as files do */
            asym[n_asym - 1] = asym[0];
            asym[n_asym - 1].frac[0] += (uniform() - 0.5) * tol / axes[0];
        }
        xs_structure *s = NULL, *full = NULL;
        xs_error err = {0};
        if (xs_structure_create(l, n_asym, asym, &s, &err) != XS_OK) {
            CHECK(0, "trial %d: random structure refused: %s", trial, err.message);
            continue;
        }
        size_t want = reference_expand(l, asym, n_asym, n_ops, (const int (*)[3][3])rot, (const double (*)[3])tr, tol,
                                       expected);
        double volume = fabs(xs_lattice_volume(l));
        xs_status st = xs_structure_expand(s, (size_t)n_ops, (const int (*)[3][3])rot, (const double (*)[3])tr, tol, &full,
                                           &err);
        structures++;
        if (want > (size_t)volume + 16) { /* more sites than a crystal can hold: refused, as documented */
            CHECK(st == XS_ERR_INVALID, "trial %d: %zu sites in %g A^3 refused", trial, want, volume);
        } else if (st != XS_OK) {
            CHECK(0, "trial %d (Hall %d, tol %g): %s", trial, hall, tol, err.message);
        } else {
            size_t got = xs_structure_num_sites(full);
            const xs_site *sites = xs_structure_sites(full);
            int same = got == want;
            for (size_t i = 0; same && i < got; i++)
                same = sites[i].z == expected[i].z && sites[i].occupancy == expected[i].occupancy &&
                       sites[i].frac[0] == expected[i].frac[0] && sites[i].frac[1] == expected[i].frac[1] &&
                       sites[i].frac[2] == expected[i].frac[2];
            if (!same) {
                mismatched++;
                fprintf(stderr, "trial %d (Hall %d, tol %g): %zu sites, the reference %zu\n", trial, hall, tol, got, want);
            }
            double closest, distance = 0;
            size_t i = 0, j = 0;
            size_t pairs = xs_structure_clashes(full, &i, &j, &distance), ref = reference_clashes(full, &closest);
            clash_checked++;
            if (ref) with_clashes++;
            /* the closest distance is the same arithmetic on the same pair unless two images tie */
            if (pairs != ref || (ref && (fabs(distance - closest) > 1e-9 || i >= j || j >= got ||
                                         fabs(xs_lattice_distance(l, sites[i].frac, sites[j].frac) - distance) > 1e-9))) {
                clash_mismatched++;
                fprintf(stderr, "trial %d: %zu pairs too close (closest %g), the reference %zu (%g)\n", trial, pairs,
                        distance, ref, closest);
            }
        }
        xs_structure_free(full);
        xs_structure_free(s);
    }
    CHECK(mismatched == 0, "%d of %d random structures expanded unlike the pairwise reference", mismatched, structures);
    CHECK(clash_mismatched == 0, "%d of %d random structures' close pairs unlike the reference", clash_mismatched,
          clash_checked);
    /* the random structures must exercise both answers, or the comparison proves little */
    CHECK(with_clashes > 20 && with_clashes < clash_checked - 20, "structures with close pairs: %d of %d", with_clashes,
          clash_checked);

    /* POSCAR: atom 3 (line 11) 0.3 A from atom 1 (line 9), as Cartesian coordinates read as fractional put them */
    char path[] = "/tmp/xs_test_clash_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    xs_test_write_file(path, "close\n1.0\n5 0 0\n0 5 0\n0 0 5\nNa Cl\n2 1\nDirect\n0 0 0\n0.5 0.5 0.5\n0.06 0 0\n");
    xs_structure *s = NULL;
    xs_error warning = {0}, err = {0};
    CHECK(xs_poscar_read_ex(path, 0, &warning, &s, &err) == XS_OK && s && xs_structure_num_sites(s) == 3,
          "atoms too close are read as written: %s", err.message);
    CHECK(warning.code == XS_ERR_INVALID && warning.line == 11 && strstr(warning.message, "atoms 1 (Na, line 9) and 3 (Cl)") &&
              strstr(warning.message, "0.3 A apart") && strstr(warning.file, "xs_test_clash_"),
          "warning at atom 3's line: %d %s", warning.line, warning.message);
    xs_structure_free(s);
    xs_test_write_file(path, "NaCl\n1.0\n5.64 0 0\n0 5.64 0\n0 0 5.64\nNa Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n");
    warning.code = XS_ERR_INVALID;
    CHECK(xs_poscar_read_ex(path, 0, &warning, &s, &err) == XS_OK && warning.code == XS_OK,
          "nothing to say of NaCl: %s", warning.message);
    xs_structure_free(s);
    CHECK(xs_poscar_read(path, 0, &s, &err) == XS_OK, "xs_poscar_read reads it too");
    xs_structure_free(s);
    unlink(path);
    return xs_test_finish();
}
