/* Random crystals of a chosen space group (training data).
 *
 * One draw: occupied Wyckoff positions (from the prior's rows of the group, weighted by their counts, or
 * the built-in distribution), species (2..4 distinct elements drawn by their frequency in inorganic
 * compounds, spread over the sites), free coordinates uniform in [0, 1), B uniform, a lattice obeying the
 * crystal system with a volume that fits the atoms. The draw is rejected when two atoms come closer than
 * min_dist_factor times the sum of their covalent radii, or when spglib does not find exactly the target
 * group; then the next draw of the same random stream is tried. */
#include "synth/synth_internal.h"

#include "common/rng.h"
#include "xrdsym/xs_symmetry.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Covalent radii in angstrom, B. Cordero et al., Dalton Trans. (2008) 2832-2838 (Table 2; low-spin values
 * for Mn, Fe, Co; sp3 carbon), as tabulated by ASE and pymatgen. Index = Z. */
static const double cordero_radius[97] = {
    0,    0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, /* H..Ne */
    1.66, 1.41, 1.21, 1.11, 1.07, 1.05, 1.02, 1.06,                   /* Na..Ar */
    2.03, 1.76, 1.70, 1.60, 1.53, 1.39, 1.39, 1.32, 1.26, 1.24, 1.32, 1.22, /* K..Zn */
    1.22, 1.20, 1.19, 1.20, 1.20, 1.16,                               /* Ga..Kr */
    2.20, 1.95, 1.90, 1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44, /* Rb..Cd */
    1.42, 1.39, 1.39, 1.38, 1.39, 1.40,                               /* In..Xe */
    2.44, 2.15, 2.07, 2.04, 2.03, 2.01, 1.99, 1.98, 1.98, 1.96, 1.94, 1.92, 1.92, 1.89, 1.90, 1.87, 1.87, /* Cs..Lu */
    1.75, 1.70, 1.62, 1.51, 1.44, 1.41, 1.36, 1.36, 1.32,             /* Hf..Hg */
    1.45, 1.46, 1.48, 1.40, 1.50, 1.50,                               /* Tl..Rn */
    2.60, 2.21, 2.15, 2.06, 2.00, 1.96, 1.90, 1.87, 1.80, 1.69};      /* Fr..Cm */

double xs_synth_radius(int z) { return z >= 1 && z <= 96 ? cordero_radius[z] : 0.0; }

void xs_synth_options_default(xs_synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_atoms = 64;
    o->max_sites = 8;
    o->min_dist_factor = 0.7;
    o->packing_min = 0.35;
    o->packing_max = 0.60;
    o->b_min = 0.3;
    o->b_max = 1.5;
    o->max_attempts = 2000;
    o->symprec = 1e-3;
}

/* Cumulative element weights, built once. */
static double g_element_cdf[XS_MAX_Z + 1];
static pthread_once_t g_element_once = PTHREAD_ONCE_INIT;

static void init_element_cdf(void)
{
    double s = 0;
    for (int i = 0; i <= XS_MAX_Z; i++) {
        s += xs_synth_element_weight[i];
        g_element_cdf[i] = s;
    }
}

static double element_cdf(int z) { return g_element_cdf[z]; }

static int draw_element(xs_rng *r, const int *exclude, int n_exclude)
{
    pthread_once(&g_element_once, init_element_cdf);
    for (;;) {
        double u = xs_rng_uniform(r) * element_cdf(XS_MAX_Z);
        int z = 1;
        while (z < XS_MAX_Z && element_cdf(z) <= u) z++;
        int dup = 0;
        for (int i = 0; i < n_exclude; i++) dup |= exclude[i] == z;
        if (!dup) return z;
    }
}

static int is_anion_former(int z)
{
    /* O F S Cl N Se Br Te I */
    return z == 8 || z == 9 || z == 16 || z == 17 || z == 7 || z == 34 || z == 35 || z == 52 || z == 53;
}

/* An anion former by the element weights (every anion former has weight > 0). */
static int draw_anion(xs_rng *r)
{
    double total = 0;
    for (int z = 1; z <= XS_MAX_Z; z++)
        if (is_anion_former(z)) total += xs_synth_element_weight[z];
    double u = xs_rng_uniform(r) * total;
    int last = 8;
    for (int z = 1; z <= XS_MAX_Z; z++) {
        if (!is_anion_former(z)) continue;
        last = z;
        if ((u -= xs_synth_element_weight[z]) < 0) return z;
    }
    return last;
}

typedef struct {
    int pos;      /* letter index */
    int z;
    double p[3];  /* free parameters */
    double b;
} site_draw;

/* The anion (species[0]) on about a fraction U(0.45, 0.85) of the atoms and every other species (n_species >= 2)
 * on at least one site: the sites, visited in a random order, go to the anion while its atoms stay nearest that
 * fraction and enough sites remain for the others; the rest are the others', each at least once, then at random. */
static void assign_anion_sites(xs_rng *r, const xs_synth_wyckoff_set *w, site_draw *sites, int n_sites,
                               const int *species, int n_species)
{
    int order[64], mult[64], total = 0;
    for (int k = 0; k < n_sites; k++) {
        order[k] = k;
        total += mult[k] = xs_synth_wyckoff_get(w, sites[k].pos)->multiplicity;
    }
    for (int k = n_sites - 1; k > 0; k--) {
        int j = (int)xs_rng_below(r, (uint64_t)k + 1), t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    double target = xs_rng_range(r, 0.45, 0.85) * total;
    int n_others = n_species - 1, anion_atoms = 0, n_anion = 0;
    unsigned char is_anion[64] = {0};
    for (int i = 0; i < n_sites; i++) {
        int k = order[i];
        if (n_sites - n_anion - 1 < n_others) break; /* the others need their sites */
        if (n_anion && anion_atoms + 0.5 * mult[k] > target) continue;
        is_anion[k] = 1;
        anion_atoms += mult[k];
        n_anion++;
    }
    int given = 0;
    for (int i = 0; i < n_sites; i++) {
        int k = order[i];
        if (is_anion[k]) sites[k].z = species[0];
        else sites[k].z = species[1 + (given < n_others ? given++ : (int)xs_rng_below(r, (uint64_t)n_others))];
    }
}

/* A prior row's weight: its count times n_atoms^atoms_power (exactly the count at the default, so that its
 * draws stay what they were). */
static double row_weight(const xs_synth_options *o, const xs_synth_prior_row *row)
{
    return o->atoms_power == 0 ? (double)row->count : row->count * pow((double)row->n_atoms, o->atoms_power);
}

/* A prior row within the options' limits of atoms and occupied positions. */
static int row_fits(const xs_synth_options *o, const xs_synth_prior_row *row)
{
    return row->n_atoms <= o->max_atoms && row->n_sites <= o->max_sites;
}

/* Occupied positions from the prior's rows (by row_weight) within the limits; 0 if none fits. */
static int occupation_from_prior(const xs_synth_options *o, int sg, const xs_synth_wyckoff_set *w, xs_rng *r,
                                 int *pos)
{
    const xs_synth_prior_row *rows;
    size_t n = xs_synth_prior_get(o->prior, sg, &rows);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (row_fits(o, &rows[i])) total += row_weight(o, &rows[i]);
    if (total <= 0) return 0;
    double u = xs_rng_uniform(r) * total;
    size_t pick = n;
    for (size_t i = 0; i < n; i++) {
        if (!row_fits(o, &rows[i])) continue;
        pick = i;
        u -= row_weight(o, &rows[i]);
        if (u < 0) break;
    }
    (void)w;
    for (int k = 0; k < rows[pick].n_sites; k++) pos[k] = rows[pick].pos[k];
    return rows[pick].n_sites;
}

/* Built-in distribution: 1..min(max_sites, 6) sites, each a position drawn uniformly among those that
 * still fit the atom budget (a position without free parameters at most once). */
static int occupation_builtin(const xs_synth_options *o, const xs_synth_wyckoff_set *w, xs_rng *r, int *pos)
{
    int n_pos = xs_synth_wyckoff_count(w);
    int max_sites = o->max_sites < 6 ? o->max_sites : 6;
    int want = 1 + (int)xs_rng_below(r, (uint64_t)max_sites);
    int n = 0, atoms = 0;
    char used[64] = {0};
    for (int k = 0; k < want; k++) {
        int cand[64], nc = 0;
        for (int i = 0; i < n_pos && i < 64; i++) {
            const xs_synth_wyckoff_position *p = xs_synth_wyckoff_get(w, i);
            if (atoms + p->multiplicity > o->max_atoms || (p->n_free == 0 && used[i])) continue;
            cand[nc++] = i;
        }
        if (!nc) break;
        int i = cand[xs_rng_below(r, (uint64_t)nc)];
        used[i] = 1;
        atoms += xs_synth_wyckoff_get(w, i)->multiplicity;
        pos[n++] = i;
    }
    return n;
}

/* ln of an axis length before scaling: uniform in [-0.5, 0.5], or normal (sd > 0) cut at 3 sd. */
static double axis_log(xs_rng *r, double sd)
{
    if (sd <= 0) return xs_rng_range(r, -0.5, 0.5);
    double v;
    do v = xs_rng_normal(r);
    while (fabs(v) > 3);
    return sd * v;
}

/* Lattice obeying the crystal system, shape drawn, scaled to the volume. */
static int draw_lattice(xs_crystal_system cs, double volume, double axis_sd, xs_rng *r, double lat[3][3])
{
    double ra = exp(axis_log(r, axis_sd)), rb = exp(axis_log(r, axis_sd)), rc = exp(axis_log(r, axis_sd));
    double al = 90, be = 90, ga = 90;
    switch (cs) {
    case XS_TRICLINIC:
        al = xs_rng_range(r, 70, 110), be = xs_rng_range(r, 70, 110), ga = xs_rng_range(r, 70, 110);
        break;
    case XS_MONOCLINIC: be = xs_rng_range(r, 90, 120); break;
    case XS_ORTHORHOMBIC: break;
    case XS_TETRAGONAL: rb = ra; break;
    case XS_TRIGONAL:
    case XS_HEXAGONAL:
        rb = ra;
        ga = 120;
        break;
    default: rb = rc = ra; break;
    }
    if (xs_lattice_from_parameters(ra, rb, rc, al, be, ga, lat, NULL)) return 0;
    double v = fabs(xs_lattice_volume(lat));
    if (!(v > 1e-3)) return 0;
    double s = cbrt(volume / v);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lat[i][j] *= s;
    return 1;
}

/* Smallest d_ij / (r_i + r_j) over pairs of atoms and lattice images (27 neighbour cells; the drawn cells
 * are close enough to reduced that nearer images do not hide outside them). Returns early, with a value
 * below stop_below, as soon as one pair is that close. */
static double min_distance_ratio(const double lat[3][3], const xs_site *s, size_t n, double stop_below)
{
    double img[27][3];
    for (int a = -1, m = 0; a <= 1; a++)
        for (int b = -1; b <= 1; b++)
            for (int c = -1; c <= 1; c++, m++)
                for (int k = 0; k < 3; k++) img[m][k] = a * lat[0][k] + b * lat[1][k] + c * lat[2][k];
    double best2 = INFINITY; /* smallest (d / rs)^2 */
    const double stop2 = stop_below * stop_below;
    for (size_t i = 0; i < n; i++) {
        double ri = xs_synth_radius(s[i].z);
        for (size_t j = i; j < n; j++) {
            double rs = ri + xs_synth_radius(s[j].z), inv2 = 1.0 / (rs * rs);
            double d[3], c0[3];
            for (int k = 0; k < 3; k++) {
                d[k] = s[j].frac[k] - s[i].frac[k];
                d[k] -= nearbyint(d[k]);
            }
            for (int k = 0; k < 3; k++) c0[k] = d[0] * lat[0][k] + d[1] * lat[1][k] + d[2] * lat[2][k];
            for (int m = 0; m < 27; m++) {
                if (i == j && m == 13) continue; /* the atom itself */
                double x = c0[0] + img[m][0], y = c0[1] + img[m][1], z = c0[2] + img[m][2];
                double q = (x * x + y * y + z * z) * inv2;
                if (q < best2) {
                    best2 = q;
                    if (best2 < stop2) return sqrt(best2);
                }
            }
        }
    }
    return sqrt(best2);
}

/* ---- extra symmetry, checked directly ----
 * By construction the crystal has every operation of the target group G. Its group is a proper supergroup
 * exactly when some other operation maps it onto itself: a pure translation that is not one of G's
 * centring vectors, or an operation whose rotation preserves the metric but is not in G's point group. The
 * metric-preserving rotations are those of the crystal system's holohedry (the lattice parameters are
 * drawn continuously, so a higher metric symmetry by accident has probability zero). */

typedef struct {
    int n;
    int rot[48][3][3];
} holohedry;

static holohedry g_holo[XS_CRYSTAL_SYSTEM_COUNT];
static pthread_once_t g_holo_once = PTHREAD_ONCE_INIT;

static void init_holohedries(void)
{
    /* a generic cell of each system (conventional basis, b-unique monoclinic, hexagonal axes) */
    static const double par[XS_CRYSTAL_SYSTEM_COUNT][6] = {
        {1.0, 1.31, 1.73, 77, 83, 97}, {1.0, 1.31, 1.73, 90, 103, 90}, {1.0, 1.31, 1.73, 90, 90, 90},
        {1.0, 1.0, 1.73, 90, 90, 90},  {1.0, 1.0, 1.73, 90, 90, 120},  {1.0, 1.0, 1.73, 90, 90, 120},
        {1.0, 1.0, 1.0, 90, 90, 90}};
    for (int cs = 0; cs < XS_CRYSTAL_SYSTEM_COUNT; cs++) {
        double l[3][3], g[3][3];
        xs_lattice_from_parameters(par[cs][0], par[cs][1], par[cs][2], par[cs][3], par[cs][4], par[cs][5], l, NULL);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) g[i][j] = l[i][0] * l[j][0] + l[i][1] * l[j][1] + l[i][2] * l[j][2];
        holohedry *h = &g_holo[cs];
        h->n = 0;
        for (int code = 0; code < 19683; code++) {
            int R[3][3], c = code;
            for (int i = 0; i < 9; i++, c /= 3) R[i / 3][i % 3] = c % 3 - 1;
            /* R^T G R == G: R maps the basis onto vectors of the same lengths and angles */
            int ok = 1;
            for (int i = 0; i < 3 && ok; i++)
                for (int j = 0; j < 3 && ok; j++) {
                    double v = 0;
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) v += R[a][i] * g[a][b] * R[b][j];
                    ok = fabs(v - g[i][j]) < 1e-9;
                }
            if (ok && h->n < 48) memcpy(h->rot[h->n++], R, sizeof R);
        }
    }
}

static int maps_onto_itself(const double lat[3][3], const xs_site *a, int n, const int R[3][3], const double t[3],
                            double tol2)
{
    for (int i = 0; i < n; i++) {
        double y[3];
        for (int k = 0; k < 3; k++) y[k] = R[k][0] * a[i].frac[0] + R[k][1] * a[i].frac[1] + R[k][2] * a[i].frac[2] + t[k];
        int found = 0;
        for (int j = 0; j < n && !found; j++) {
            if (a[j].z != a[i].z) continue;
            double d[3], c[3];
            for (int k = 0; k < 3; k++) d[k] = y[k] - a[j].frac[k], d[k] -= nearbyint(d[k]);
            for (int k = 0; k < 3; k++) c[k] = d[0] * lat[0][k] + d[1] * lat[1][k] + d[2] * lat[2][k];
            found = c[0] * c[0] + c[1] * c[1] + c[2] * c[2] < tol2;
        }
        if (!found) return 0;
    }
    return 1;
}

/* 1 if an operation outside G maps the crystal onto itself within tol (angstrom). */
static int has_extra_symmetry(const xs_synth_wyckoff_set *w, xs_crystal_system cs, const double lat[3][3],
                              const xs_site *a, int n, double tol)
{
    pthread_once(&g_holo_once, init_holohedries);
    const int(*rot)[3][3];
    const double(*tr)[3];
    int n_ops = xs_synth_wyckoff_operations(w, &rot, &tr);
    /* the atom of the rarest element anchors the candidate translations */
    int anchor = 0, best = n + 1;
    for (int i = 0; i < n; i++) {
        int c = 0;
        for (int j = 0; j < n; j++) c += a[j].z == a[i].z;
        if (c < best) best = c, anchor = i;
    }
    const holohedry *h = &g_holo[cs];
    double tol2 = tol * tol;
    for (int r = 0; r < h->n; r++) {
        const int(*R)[3] = h->rot[r];
        int in_g = 0, is_identity = 1;
        for (int g = 0; g < n_ops && !in_g; g++) in_g = !memcmp(rot[g], R, sizeof rot[g]);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) is_identity &= R[i][j] == (i == j);
        if (in_g && !is_identity) continue; /* such an extra operation implies an extra pure translation */
        double rx[3];
        for (int k = 0; k < 3; k++)
            rx[k] = R[k][0] * a[anchor].frac[0] + R[k][1] * a[anchor].frac[1] + R[k][2] * a[anchor].frac[2];
        for (int j = 0; j < n; j++) {
            if (a[j].z != a[anchor].z) continue;
            double t[3];
            for (int k = 0; k < 3; k++) t[k] = a[j].frac[k] - rx[k];
            if (is_identity) { /* a centring vector of G (or zero) is no extra symmetry */
                int centring = 0;
                for (int g = 0; g < n_ops && !centring; g++) {
                    if (memcmp(rot[g], R, sizeof rot[g])) continue;
                    double d[3], c[3];
                    for (int k = 0; k < 3; k++) d[k] = t[k] - tr[g][k], d[k] -= nearbyint(d[k]);
                    for (int k = 0; k < 3; k++) c[k] = d[0] * lat[0][k] + d[1] * lat[1][k] + d[2] * lat[2][k];
                    centring = c[0] * c[0] + c[1] * c[1] + c[2] * c[2] < tol2;
                }
                if (centring) continue;
            }
            if (maps_onto_itself(lat, a, n, R, t, tol2)) return 1;
        }
    }
    return 0;
}

xs_status xs_synth_crystal(int sg, const xs_synth_options *opt, uint64_t seed, uint64_t index, xs_structure **out,
                           xs_error *err)
{
    *out = NULL;
    if (sg < 1 || sg > 230) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "space group %d outside 1..230", sg);
    xs_synth_options o;
    if (opt) o = *opt;
    else xs_synth_options_default(&o);
    if (o.max_sites < 1 || o.max_atoms < 1 || !(o.packing_min > 0) || o.packing_max < o.packing_min ||
        o.b_max < o.b_min || o.b_min < 0 || o.max_attempts < 1 || !(o.symprec > 0) || o.min_dist_factor < 0 ||
        !(o.axis_log_sd >= 0 && o.axis_log_sd <= 1.5) || !(o.anion_prob >= 0 && o.anion_prob <= 1) ||
        !(o.atoms_power >= 0 && o.atoms_power <= 4))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "synth options out of range");
    if (o.max_sites > 64) o.max_sites = 64;
    const xs_synth_wyckoff_set *w;
    xs_status st = xs_synth_wyckoff(sg, &w, err);
    if (st) return st;
    xs_spacegroup info;
    xs_sym_from_hall(xs_synth_wyckoff_hall(w), &info, NULL);
    xs_crystal_system cs = xs_sym_crystal_system(sg);

    xs_rng r;
    xs_rng_seed(&r, seed, index);
    int pos[64];
    site_draw sites[64];
    /* In a few groups every occupation of special positions alone has a larger group (in F432, say, each
     * special position is also one of Fm-3m), so their crystals need the general position, however many
     * atoms it has: after 200 failed attempts the atom limit is raised to its multiplicity. */
    int general_mult = xs_synth_wyckoff_get(w, xs_synth_wyckoff_count(w) - 1)->multiplicity;
    int atom_cap = o.max_atoms > general_mult ? o.max_atoms : general_mult;
    xs_site *atoms = malloc((size_t)atom_cap * sizeof *atoms);
    if (!atoms) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int n_fail_dist = 0, n_fail_sym = 0, n_fail_occ = 0;
    for (int attempt = 0; attempt < o.max_attempts; attempt++) {
        if (attempt == 200) o.max_atoms = atom_cap;
        int n_sites = 0;
        /* Some of the prior's occupations (special positions only) always come out in a supergroup; after
         * 50 attempts every other one uses the built-in distribution, whose free positions break it. */
        if (o.prior && (attempt < 50 || attempt % 2 == 0)) n_sites = occupation_from_prior(&o, sg, w, &r, pos);
        if (!n_sites) n_sites = occupation_builtin(&o, w, &r, pos);
        int n_atoms = 0, ok = n_sites > 0;
        for (int k = 0; k < n_sites && ok; k++) {
            const xs_synth_wyckoff_position *p = xs_synth_wyckoff_get(w, pos[k]);
            n_atoms += p->multiplicity;
            for (int j = 0; j < k && ok; j++) ok = !(pos[j] == pos[k] && p->n_free == 0);
        }
        if (!ok || n_atoms > o.max_atoms) {
            n_fail_occ++;
            continue;
        }
        /* species: 2..4 distinct elements (binary to quaternary compounds; never more than the sites), each
         * used at least once */
        int n_species = 2 + (int)xs_rng_below(&r, 3);
        if (n_species > n_sites) n_species = n_sites;
        int species[4];
        /* (no draw at all when anion_prob is 0, so that the default's crystals stay what they were) */
        int with_anion = o.anion_prob > 0 && n_species >= 2 && xs_rng_uniform(&r) < o.anion_prob;
        if (with_anion) species[0] = draw_anion(&r);
        for (int e = with_anion; e < n_species; e++) species[e] = draw_element(&r, species, e);
        for (int k = 0; k < n_sites; k++) {
            sites[k].pos = pos[k];
            sites[k].z = species[k < n_species ? k : (int)xs_rng_below(&r, (uint64_t)n_species)];
            for (int j = 0; j < 3; j++) sites[k].p[j] = xs_rng_uniform(&r);
            sites[k].b = xs_rng_range(&r, o.b_min, o.b_max);
        }
        /* shuffle so that the first species is not always on the first (smallest) position */
        for (int k = n_sites - 1; k > 0; k--) {
            int j = (int)xs_rng_below(&r, (uint64_t)k + 1);
            int t = sites[k].z;
            sites[k].z = sites[j].z;
            sites[j].z = t;
        }
        if (with_anion) assign_anion_sites(&r, w, sites, n_sites, species, n_species);
        double atom_volume = 0;
        int n = 0;
        for (int k = 0; k < n_sites; k++) {
            const xs_synth_wyckoff_position *p = xs_synth_wyckoff_get(w, sites[k].pos);
            double rad = xs_synth_radius(sites[k].z);
            for (int m = 0; m < p->n_coords; m++, n++) {
                xs_site *a = &atoms[n];
                memset(a, 0, sizeof *a);
                xs_synth_wyckoff_eval(p, m, sites[k].p, a->frac);
                a->z = sites[k].z;
                a->occupancy = 1.0;
                a->b_iso = sites[k].b;
                snprintf(a->label, sizeof a->label, "%s%d", xs_element_symbol(a->z), k + 1);
                atom_volume += 4.0 / 3.0 * M_PI * rad * rad * rad;
            }
        }
        double packing = xs_rng_range(&r, o.packing_min, o.packing_max);
        double lat[3][3];
        if (!draw_lattice(cs, atom_volume / packing, o.axis_log_sd, &r, lat)) {
            n_fail_occ++;
            continue;
        }
        /* Too close by a little: the cell grows to fit (up to 30% in length; the packing drawn is then an
         * upper bound). Closer than that (an atom near a special position meets its own image): rejected. */
        double ratio = min_distance_ratio(lat, atoms, (size_t)n, o.min_dist_factor / 1.3);
        if (ratio < o.min_dist_factor / 1.3) {
            n_fail_dist++;
            continue;
        }
        if (ratio < o.min_dist_factor) {
            double g = o.min_dist_factor / ratio * (1 + 1e-9);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) lat[i][j] *= g;
        }
        if (has_extra_symmetry(w, cs, lat, atoms, n, o.symprec)) {
            n_fail_sym++;
            continue;
        }
        xs_structure *s;
        if (xs_structure_create(lat, (size_t)n, atoms, &s, NULL)) {
            n_fail_occ++;
            continue;
        }
        xs_spacegroup found;
        if (o.verify == XS_SYNTH_VERIFY_SPGLIB && (xs_sym_find(s, o.symprec, &found, NULL) || found.number != sg)) {
            xs_structure_free(s);
            n_fail_sym++;
            continue;
        }
        char name[96];
        snprintf(name, sizeof name, "synth-%d-%llu-%llu", sg, (unsigned long long)seed, (unsigned long long)index);
        xs_structure_set_name(s, name, "");
        xs_structure_set_declared_group(s, sg, info.international, info.hall_symbol);
        free(atoms);
        *out = s;
        return XS_OK;
    }
    free(atoms);
    return xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0,
                        "space group %d: no crystal in %d attempts (%d too close, %d other group, %d no fitting "
                        "occupation)",
                        sg, o.max_attempts, n_fail_dist, n_fail_sym, n_fail_occ);
}
