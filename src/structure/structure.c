#include "xrdsym/xs_structure.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xs_structure {
    double lattice[3][3];
    size_t n_sites;
    xs_site *sites;
    char name[128];
    char source[512];
    int declared_number;
    char declared_hm[32];
    char declared_hall[32];
};

double xs_lattice_volume(const double l[3][3])
{
    return l[0][0] * (l[1][1] * l[2][2] - l[1][2] * l[2][1]) - l[0][1] * (l[1][0] * l[2][2] - l[1][2] * l[2][0]) +
           l[0][2] * (l[1][0] * l[2][1] - l[1][1] * l[2][0]);
}

void xs_lattice_parameters(const double l[3][3], double p[6])
{
    double len[3];
    for (int i = 0; i < 3; i++) len[i] = sqrt(l[i][0] * l[i][0] + l[i][1] * l[i][1] + l[i][2] * l[i][2]);
    for (int i = 0; i < 3; i++) p[i] = len[i];
    for (int k = 0; k < 3; k++) {
        int i = (k + 1) % 3, j = (k + 2) % 3;
        double dot = l[i][0] * l[j][0] + l[i][1] * l[j][1] + l[i][2] * l[j][2];
        double c = dot / (len[i] * len[j]);
        if (c > 1) c = 1;
        if (c < -1) c = -1;
        p[3 + k] = acos(c) * 180.0 / M_PI;
    }
}

xs_status xs_lattice_from_parameters(double a, double b, double c, double alpha, double beta, double gamma,
                                     double l[3][3], xs_error *err)
{
    if (!(a > 0 && b > 0 && c > 0) || !isfinite(a + b + c))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "cell lengths must be positive (a=%g b=%g c=%g)", a, b, c);
    if (!(alpha > 0 && alpha < 180 && beta > 0 && beta < 180 && gamma > 0 && gamma < 180))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "cell angles must lie in (0, 180) degrees (%g %g %g)", alpha,
                            beta, gamma);
    double ca = cos(alpha * M_PI / 180), cb = cos(beta * M_PI / 180), cg = cos(gamma * M_PI / 180);
    double sg = sin(gamma * M_PI / 180);
    /* Angles that are exactly 90 give exact zeros, so orthogonal cells stay orthogonal to the last bit. */
    if (alpha == 90) ca = 0;
    if (beta == 90) cb = 0;
    if (gamma == 90) cg = 0, sg = 1;
    double cx = cb, cy = (ca - cb * cg) / sg;
    double cz2 = 1 - cx * cx - cy * cy;
    if (!(cz2 > 1e-10))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "cell angles %g %g %g enclose no volume", alpha, beta, gamma);
    memset(l, 0, 9 * sizeof(double));
    l[0][0] = a;
    l[1][0] = b * cg;
    l[1][1] = b * sg;
    l[2][0] = c * cx;
    l[2][1] = c * cy;
    l[2][2] = c * sqrt(cz2);
    return XS_OK;
}

xs_status xs_lattice_check(const double l[3][3], xs_error *err)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!isfinite(l[i][j])) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "lattice has a non-finite component");
    double v = fabs(xs_lattice_volume(l));
    /* 1 A^3 is below any real crystal's cell; 1e7 A^3 is beyond the largest protein crystals' cells. */
    if (!(v >= 1.0) || v > 1e7)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "absurd cell volume %g A^3 (expected 1 to 1e7)", v);
    return XS_OK;
}

xs_status xs_structure_create(const double lattice[3][3], size_t n_sites, const xs_site *sites, xs_structure **out,
                              xs_error *err)
{
    *out = NULL;
    xs_status st = xs_lattice_check(lattice, err);
    if (st) return st;
    if (n_sites == 0) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "structure has no atoms");
    for (size_t i = 0; i < n_sites; i++) {
        const xs_site *s = &sites[i];
        if (s->z < 1 || s->z > XS_MAX_Z)
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "site %zu (%s): unknown element (Z=%d)", i + 1, s->label, s->z);
        if (!isfinite(s->frac[0]) || !isfinite(s->frac[1]) || !isfinite(s->frac[2]) || fabs(s->frac[0]) > 1e6 ||
            fabs(s->frac[1]) > 1e6 || fabs(s->frac[2]) > 1e6)
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "site %zu (%s): non-finite or absurd coordinate", i + 1, s->label);
        /* Refinements report occupancies slightly above 1 within their uncertainty; 1.5 means a typo. */
        if (!(s->occupancy > 0 && s->occupancy <= 1.5))
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "site %zu (%s): occupancy %g outside (0, 1.5]", i + 1, s->label,
                                s->occupancy);
        if (!isfinite(s->b_iso) || s->b_iso < 0 || s->b_iso > 100)
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "site %zu (%s): displacement B %g outside [0, 100] A^2", i + 1,
                                s->label, s->b_iso);
    }
    xs_structure *s = calloc(1, sizeof *s);
    if (!s) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->sites = malloc(n_sites * sizeof *s->sites);
    if (!s->sites) {
        free(s);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    memcpy(s->lattice, lattice, sizeof s->lattice);
    memcpy(s->sites, sites, n_sites * sizeof *sites);
    for (size_t i = 0; i < n_sites; i++) {
        s->sites[i].label[sizeof s->sites[i].label - 1] = 0;
        if (!s->sites[i].label[0]) snprintf(s->sites[i].label, sizeof s->sites[i].label, "%s", xs_element_symbol(sites[i].z));
    }
    s->n_sites = n_sites;
    *out = s;
    return XS_OK;
}

xs_structure *xs_structure_clone(const xs_structure *src)
{
    if (!src) return NULL;
    xs_structure *s = malloc(sizeof *s);
    if (!s) return NULL;
    *s = *src;
    s->sites = malloc(src->n_sites * sizeof *s->sites);
    if (!s->sites) {
        free(s);
        return NULL;
    }
    memcpy(s->sites, src->sites, src->n_sites * sizeof *s->sites);
    return s;
}

void xs_structure_free(xs_structure *s)
{
    if (!s) return;
    free(s->sites);
    free(s);
}

void xs_structure_lattice(const xs_structure *s, double l[3][3]) { memcpy(l, s->lattice, sizeof s->lattice); }
size_t xs_structure_num_sites(const xs_structure *s) { return s->n_sites; }
const xs_site *xs_structure_sites(const xs_structure *s) { return s->sites; }
double xs_structure_volume(const xs_structure *s) { return fabs(xs_lattice_volume(s->lattice)); }
const char *xs_structure_name(const xs_structure *s) { return s->name; }
const char *xs_structure_source(const xs_structure *s) { return s->source; }

void xs_structure_set_name(xs_structure *s, const char *name, const char *source_file)
{
    snprintf(s->name, sizeof s->name, "%s", name ? name : "");
    snprintf(s->source, sizeof s->source, "%s", source_file ? source_file : "");
}

void xs_structure_set_declared_group(xs_structure *s, int number, const char *hm, const char *hall)
{
    s->declared_number = number;
    snprintf(s->declared_hm, sizeof s->declared_hm, "%s", hm ? hm : "");
    snprintf(s->declared_hall, sizeof s->declared_hall, "%s", hall ? hall : "");
}

int xs_structure_declared_number(const xs_structure *s) { return s->declared_number; }
const char *xs_structure_declared_hm(const xs_structure *s) { return s->declared_hm; }
const char *xs_structure_declared_hall(const xs_structure *s) { return s->declared_hall; }

void xs_structure_formula(const xs_structure *s, char *buf, size_t size)
{
    double amount[XS_MAX_Z + 1] = {0};
    for (size_t i = 0; i < s->n_sites; i++) amount[s->sites[i].z] += s->sites[i].occupancy;
    /* Reduce by the largest common divisor when all amounts are (nearly) whole numbers. */
    int whole = 1;
    long g = 0;
    for (int z = 1; z <= XS_MAX_Z; z++) {
        if (amount[z] == 0) continue;
        long n = lround(amount[z]);
        if (fabs(amount[z] - (double)n) > 1e-3 || n == 0) whole = 0;
        long a = n, b = g;
        while (b) {
            long t = a % b;
            a = b;
            b = t;
        }
        g = a;
    }
    double div = (whole && g > 1) ? (double)g : 1.0;
    /* Hill order: C, H, then alphabetical; without carbon, all alphabetical. */
    int order[XS_MAX_Z + 1], n = 0;
    if (amount[6] > 0) {
        order[n++] = 6;
        if (amount[1] > 0) order[n++] = 1;
    }
    for (char c1 = 'A'; c1 <= 'Z'; c1++)
        for (int pass = 0; pass < 27; pass++)
            for (int z = 1; z <= XS_MAX_Z; z++) {
                const char *sym = xs_element_symbol(z);
                if (sym[0] != c1 || amount[z] <= 0) continue;
                int second = sym[1] ? sym[1] - 'a' + 1 : 0;
                if (second != pass) continue;
                if (amount[6] > 0 && (z == 6 || z == 1)) continue;
                order[n++] = z;
            }
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used < size; i++) {
        double v = amount[order[i]] / div;
        int w;
        if (fabs(v - 1) < 1e-3)
            w = snprintf(buf + used, size - used, "%s", xs_element_symbol(order[i]));
        else if (fabs(v - lround(v)) < 1e-3)
            w = snprintf(buf + used, size - used, "%s%ld", xs_element_symbol(order[i]), lround(v));
        else
            w = snprintf(buf + used, size - used, "%s%.3g", xs_element_symbol(order[i]), v);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static double wrap01(double x)
{
    double w = x - floor(x);
    /* A coordinate a rounding step below 1 is the same point as 0; keep the representative in [0, 1). */
    if (w >= 1.0 - 1e-12) w = 0.0;
    return w;
}

static double periodic_distance(const double l[3][3], const double d[3]);

double xs_lattice_distance(const double lattice[3][3], const double a[3], const double b[3])
{
    double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    return periodic_distance(lattice, d);
}

/* Cartesian length of the shortest lattice translate of a fractional difference. */
static double periodic_distance(const double l[3][3], const double d[3])
{
    double best = INFINITY;
    double f[3];
    for (int k = 0; k < 3; k++) f[k] = d[k] - nearbyint(d[k]);
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            for (int k = -1; k <= 1; k++) {
                double g[3] = {f[0] + i, f[1] + j, f[2] + k};
                double c[3];
                for (int m = 0; m < 3; m++) c[m] = g[0] * l[0][m] + g[1] * l[1][m] + g[2] * l[2][m];
                double r = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
                if (r < best) best = r;
            }
    return sqrt(best);
}

/* Sites near one another, found through bins over the cell instead of comparing every pair: a bin spans at
 * least tol / h of an axis (h the spacing of the lattice planes across that axis), so two points within tol
 * angstrom of each other lie in the same bin or in neighbouring ones, periodically. Expanding 7,296 P1 sites
 * compared 27 million pairs. */
typedef struct {
    int nb[3];
    int *head; /* first point of each bin, -1 none */
    int *next; /* the point after it in its bin, -1 none */
} site_grid;

static int grid_init(site_grid *g, const double l[3][3], double tol, size_t max_points)
{
    double volume = fabs(xs_lattice_volume(l));
    /* about one bin a point: finer bins cost memory and clearing, coarser ones comparisons */
    double target = max_points > 1 ? (double)max_points : 1;
    double product = 1;
    for (int k = 0; k < 3; k++) {
        const double *u = l[(k + 1) % 3], *v = l[(k + 2) % 3];
        double cross[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
        double area = sqrt(cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]);
        double bins = tol > 0 && area > 0 ? floor(volume / area / tol) : 1;
        g->nb[k] = bins >= 1 ? (bins < 1024 ? (int)bins : 1024) : 1;
        product *= g->nb[k];
    }
    if (product > target) {
        double f = cbrt(target / product);
        for (int k = 0; k < 3; k++) {
            int b = (int)(g->nb[k] * f);
            g->nb[k] = b >= 1 ? b : 1;
        }
    }
    size_t n_bins = (size_t)g->nb[0] * (size_t)g->nb[1] * (size_t)g->nb[2];
    g->head = malloc(n_bins * sizeof *g->head);
    g->next = malloc((max_points ? max_points : 1) * sizeof *g->next);
    if (!g->head || !g->next) {
        free(g->head);
        free(g->next);
        return 0;
    }
    for (size_t b = 0; b < n_bins; b++) g->head[b] = -1;
    return 1;
}

static void grid_free(site_grid *g)
{
    free(g->head);
    free(g->next);
}

static int grid_cell(const site_grid *g, int k, double x)
{
    int b = (int)((x - floor(x)) * g->nb[k]);
    return b < 0 ? 0 : b >= g->nb[k] ? g->nb[k] - 1 : b;
}

static size_t grid_bin(const site_grid *g, int i, int j, int k)
{
    return ((size_t)i * (size_t)g->nb[1] + (size_t)j) * (size_t)g->nb[2] + (size_t)k;
}

static void grid_add(site_grid *g, int point, const double frac[3])
{
    size_t b = grid_bin(g, grid_cell(g, 0, frac[0]), grid_cell(g, 1, frac[1]), grid_cell(g, 2, frac[2]));
    g->next[point] = g->head[b];
    g->head[b] = point;
}

/* The bins that can hold a point within tol of frac: up to 27, none twice. */
static int grid_near(const site_grid *g, const double frac[3], size_t bins[27])
{
    int along[3][3], count[3];
    for (int k = 0; k < 3; k++) {
        int c = grid_cell(g, k, frac[k]), nb = g->nb[k];
        if (nb <= 3) {
            for (int b = 0; b < nb; b++) along[k][b] = b;
            count[k] = nb;
        } else {
            along[k][0] = (c + nb - 1) % nb, along[k][1] = c, along[k][2] = (c + 1) % nb;
            count[k] = 3;
        }
    }
    int n = 0;
    for (int i = 0; i < count[0]; i++)
        for (int j = 0; j < count[1]; j++)
            for (int k = 0; k < count[2]; k++)
                bins[n++] = grid_bin(g, along[0][i], along[1][j], along[2][k]);
    return n;
}

xs_status xs_structure_expand(const xs_structure *asym, size_t n_ops, const int (*rot)[3][3], const double (*trans)[3],
                              double merge_tol, xs_structure **out, xs_error *err)
{
    *out = NULL;
    if (n_ops == 0) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no symmetry operations to expand with");
    size_t cap = asym->n_sites * n_ops;
    /* No crystal holds more than about 0.2 atoms a cubic angstrom (diamond 0.18), nor twice that in listed sites
     * of a disordered structure. Past one site a cubic angstrom the cell, the operations or the setting is wrong
     * (a fuzzed CIF put 6,856 sites in 137 A^3, crowding the merge's bins). */
    double volume = fabs(xs_lattice_volume(asym->lattice));
    size_t max_sites = volume < 1e9 ? (size_t)volume + 16 : (size_t)1e9;
    size_t max_points = cap < max_sites ? cap : max_sites;
    xs_site *all = malloc((max_points ? max_points : 1) * sizeof *all);
    site_grid grid;
    if (!all || !grid_init(&grid, asym->lattice, merge_tol, max_points)) {
        free(all);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < asym->n_sites; i++) {
        const xs_site *s = &asym->sites[i];
        size_t first_of_site = n;
        for (size_t o = 0; o < n_ops; o++) {
            xs_site img = *s;
            for (int r = 0; r < 3; r++)
                img.frac[r] = wrap01(rot[o][r][0] * s->frac[0] + rot[o][r][1] * s->frac[1] + rot[o][r][2] * s->frac[2] +
                                     trans[o][r]);
            int dup = 0;
            /* Images of one site on a special position coincide: keep one. Another listed site of the same
             * element and occupancy at the same place is a duplicate in the file; a different element at
             * the same place is substitutional disorder and stays. */
            size_t bins[27];
            int n_bins = merge_tol > 0 ? grid_near(&grid, img.frac, bins) : 0;
            for (int b = 0; b < n_bins && !dup; b++)
                for (int k = grid.head[bins[b]]; k >= 0 && !dup; k = grid.next[k]) {
                    if (all[k].z != img.z) continue;
                    if ((size_t)k < first_of_site && fabs(all[k].occupancy - img.occupancy) > 1e-6) continue;
                    double d[3] = {img.frac[0] - all[k].frac[0], img.frac[1] - all[k].frac[1],
                                   img.frac[2] - all[k].frac[2]};
                    if (periodic_distance(asym->lattice, d) < merge_tol) dup = 1;
                }
            if (dup) continue;
            if (n == max_sites) {
                free(all);
                grid_free(&grid);
                return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                                    "the symmetry operations put more than %zu sites in a cell of %.4g A^3 (over one a "
                                    "cubic angstrom; crystals hold about 0.1): a wrong cell, operations or setting",
                                    max_sites, volume);
            }
            grid_add(&grid, (int)n, img.frac);
            all[n++] = img;
        }
    }
    grid_free(&grid);
    xs_status st = xs_structure_create(asym->lattice, n, all, out, err);
    free(all);
    if (st) return st;
    xs_structure_set_name(*out, asym->name, asym->source);
    xs_structure_set_declared_group(*out, asym->declared_number, asym->declared_hm, asym->declared_hall);
    return XS_OK;
}

static double clash_distance(int z1, int z2) { return z1 == 1 || z2 == 1 ? XS_CLASH_DISTANCE_H : XS_CLASH_DISTANCE; }

size_t xs_structure_clashes(const xs_structure *s, size_t *first, size_t *second, double *distance)
{
    size_t n = s->n_sites, count = 0;
    double closest = INFINITY;
    size_t best_i = 0, best_j = 0;
    site_grid grid;
    if (n < 2 || n > INT_MAX || !grid_init(&grid, s->lattice, XS_CLASH_DISTANCE, n)) return 0;
    for (size_t i = 0; i < n; i++) {
        const xs_site *a = &s->sites[i];
        size_t bins[27];
        int n_bins = grid_near(&grid, a->frac, bins);
        for (int b = 0; b < n_bins; b++)
            for (int k = grid.head[bins[b]]; k >= 0; k = grid.next[k]) {
                const xs_site *o = &s->sites[k];
                if (a->occupancy + o->occupancy <= XS_CLASH_OCCUPANCY) continue;
                double d = xs_lattice_distance(s->lattice, o->frac, a->frac);
                if (d >= clash_distance(a->z, o->z)) continue;
                count++;
                if (d < closest) closest = d, best_i = (size_t)k, best_j = i;
            }
        grid_add(&grid, (int)i, a->frac);
    }
    grid_free(&grid);
    if (count) {
        if (first) *first = best_i;
        if (second) *second = best_j;
        if (distance) *distance = closest;
    }
    return count;
}
