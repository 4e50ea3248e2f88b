/* Powder X-ray peaks of a structure, following the kinematic model of pymatgen's XRDCalculator so that
 * the two agree number for number when given the same form factors. */
#include "diffraction/ff_tables.h"
#include "xrdsym/xs_xrd.h"

#include <complex.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- wavelengths (pymatgen's WAVELENGTHS table, angstrom) ---- */
typedef struct {
    const char *name;
    double value;
} named_wavelength;

static const named_wavelength wavelengths[] = {
    {"CuKa", 1.54184},   {"CuKa2", 1.54439},  {"CuKa1", 1.54056},  {"CuKb1", 1.39222},  {"MoKa", 0.71073},
    {"MoKa2", 0.71359},  {"MoKa1", 0.70930},  {"MoKb1", 0.63229},  {"CrKa", 2.29100},   {"CrKa2", 2.29361},
    {"CrKa1", 2.28970},  {"CrKb1", 2.08487},  {"FeKa", 1.93735},   {"FeKa2", 1.93998},  {"FeKa1", 1.93604},
    {"FeKb1", 1.75661},  {"CoKa", 1.79026},   {"CoKa2", 1.79285},  {"CoKa1", 1.78896},  {"CoKb1", 1.63079},
    {"AgKa", 0.560885},  {"AgKa2", 0.563813}, {"AgKa1", 0.559421}, {"AgKb1", 0.497082},
};

static const named_wavelength *find_named(const char *name)
{
    for (size_t i = 0; i < sizeof wavelengths / sizeof wavelengths[0]; i++)
        if (!strcasecmp(name, wavelengths[i].name)) return &wavelengths[i];
    /* "Cu", "CuK-alpha" and "Cu Ka" are common spellings of the weighted K-alpha line. */
    char compact[32] = {0};
    size_t n = 0;
    for (const char *p = name; *p && n < sizeof compact - 1; p++)
        if (isalnum((unsigned char)*p)) compact[n++] = *p;
    if (n == 2) strcat(compact, "Ka");
    if (!strncasecmp(compact + 2, "Kalpha", 6)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.2sKa%s", compact, compact + 8);
        strcpy(compact, buf);
    }
    for (size_t i = 0; i < sizeof wavelengths / sizeof wavelengths[0]; i++)
        if (!strcasecmp(compact, wavelengths[i].name)) return &wavelengths[i];
    return NULL;
}

xs_status xs_xrd_wavelength(const char *text, double *angstrom, xs_error *err)
{
    if (!text || !*text) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "empty wavelength");
    char *end;
    double v = strtod(text, &end);
    if (end != text) {
        while (isspace((unsigned char)*end)) end++;
        if (*end && strcasecmp(end, "A") && strcasecmp(end, "angstrom"))
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "wavelength '%s': trailing text", text);
        /* X-ray diffraction uses 0.1 (hard synchrotron) to 2.3 A (Cr); outside 0.05..5 A it is a mistake
         * such as nanometres or keV. */
        if (!(v >= 0.05 && v <= 5.0))
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                                "wavelength %g A is outside 0.05..5 A (is it in nm or keV?)", v);
        *angstrom = v;
        return XS_OK;
    }
    const named_wavelength *w = find_named(text);
    if (!w)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                            "unknown wavelength '%s' (use CuKa, CuKa1, CuKa2, MoKa, CoKa, FeKa, CrKa, AgKa or a "
                            "value in angstrom)", text);
    *angstrom = w->value;
    return XS_OK;
}

xs_status xs_xrd_kalpha_pair(const char *name, double *ka1, double *ka2, xs_error *err)
{
    const named_wavelength *w = name ? find_named(name) : NULL;
    if (!w) return xs_error_set(err, XS_ERR_NOT_FOUND, NULL, 0, 0, "'%s' names no anode", name ? name : "");
    char buf[16];
    snprintf(buf, sizeof buf, "%.2sKa1", w->name);
    *ka1 = find_named(buf)->value;
    snprintf(buf, sizeof buf, "%.2sKa2", w->name);
    *ka2 = find_named(buf)->value;
    return XS_OK;
}

/* ---- peaks ---- */
void xs_xrd_options_default(xs_xrd_options *o)
{
    memset(o, 0, sizeof *o);
    o->wavelength = 1.54184;
    o->two_theta_min = 0;
    o->two_theta_max = 90;
    o->debye_waller = 1;
    o->merge_tol = 1e-5;
    o->min_intensity = 1e-3;
}

struct xs_peaks {
    size_t n;
    xs_peak *peaks;
    size_t n_families;
    xs_hkl_family *families;
    int hexagonal;
};

size_t xs_peaks_count(const xs_peaks *p) { return p->n; }
const xs_peak *xs_peaks_get(const xs_peaks *p, size_t i) { return i < p->n ? &p->peaks[i] : NULL; }
const xs_hkl_family *xs_peaks_families(const xs_peaks *p) { return p->families; }
int xs_peaks_hexagonal(const xs_peaks *p) { return p->hexagonal; }

void xs_peaks_free(xs_peaks *p)
{
    if (!p) return;
    free(p->peaks);
    free(p->families);
    free(p);
}

typedef struct {
    int h, k, l;
    double g;
} reflection;

static int cmp_reflection(const void *a, const void *b)
{
    const reflection *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->h != y->h) return x->h > y->h ? -1 : 1; /* pymatgen sorts by (g, -h, -k, -l) */
    if (x->k != y->k) return x->k > y->k ? -1 : 1;
    if (x->l != y->l) return x->l > y->l ? -1 : 1;
    return 0;
}

/* pymatgen's Lattice.is_hexagonal (angle tolerance 5 deg, length tolerance 0.01 A), used only to decide
 * whether hkl are reported as Miller-Bravais hkil. */
static int lattice_is_hexagonal(const double lat[3][3])
{
    double p[6];
    xs_lattice_parameters(lat, p);
    int right[3], n_right = 0, n_hex = 0;
    for (int i = 0; i < 3; i++) {
        if (fabs(p[3 + i] - 90) < 5) right[n_right++] = i;
        if (fabs(p[3 + i] - 60) < 5 || fabs(p[3 + i] - 120) < 5) n_hex++;
    }
    return n_right == 2 && n_hex == 1 && fabs(p[right[0]] - p[right[1]]) < 0.01;
}

/* Scatterers that share element, charge, occupancy and displacement share one form-factor value per
 * reflection; their phases are summed first. */
typedef struct {
    const xs_ff_coeffs *ff;
    double weight; /* occupancy */
    double b;      /* Debye-Waller B */
    size_t first, count;
} scatterer_type;

typedef struct {
    size_t n_atoms, n_types;
    scatterer_type *types;
    double (*frac)[3]; /* atoms ordered by type */
} scatterers;

static xs_status build_scatterers(const xs_structure *s, const xs_xrd_options *opt, scatterers *sc, xs_error *err)
{
    size_t n = xs_structure_num_sites(s);
    const xs_site *sites = xs_structure_sites(s);
    sc->types = calloc(n, sizeof *sc->types);
    sc->frac = malloc(n * sizeof *sc->frac);
    int *type_of = malloc(n * sizeof *type_of);
    if (!sc->types || !sc->frac || !type_of) {
        free(type_of);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    sc->n_types = 0;
    for (size_t i = 0; i < n; i++) {
        const xs_ff_coeffs *ff = xs_ff_lookup(opt->ff, sites[i].z, sites[i].charge);
        if (!ff) {
            free(type_of);
            return xs_error_set(err, XS_ERR_INVALID, xs_structure_source(s), 0, 0,
                                "no atomic form factor for %s (site %s) in the chosen table",
                                xs_element_symbol(sites[i].z), sites[i].label);
        }
        double b = opt->debye_waller ? sites[i].b_iso : 0.0;
        size_t t = 0;
        while (t < sc->n_types && !(sc->types[t].ff == ff && sc->types[t].weight == sites[i].occupancy && sc->types[t].b == b)) t++;
        if (t == sc->n_types) {
            sc->types[t].ff = ff;
            sc->types[t].weight = sites[i].occupancy;
            sc->types[t].b = b;
            sc->n_types++;
        }
        sc->types[t].count++;
        type_of[i] = (int)t;
    }
    size_t pos = 0;
    for (size_t t = 0; t < sc->n_types; t++) {
        sc->types[t].first = pos;
        for (size_t i = 0; i < n; i++)
            if (type_of[i] == (int)t) memcpy(sc->frac[pos++], sites[i].frac, sizeof sc->frac[0]);
    }
    sc->n_atoms = n;
    free(type_of);
    return XS_OK;
}

static void free_scatterers(scatterers *sc)
{
    free(sc->types);
    free(sc->frac);
}

/* Phase factors exp(2 pi i n x) for n in [-nmax, nmax] of every atom and axis, built by repeated
 * multiplication from one sincos per atom and axis: the inner loop then needs only two complex products
 * per atom and reflection. Rounding grows by about one ulp per step, far below the 1e-4 tolerances. */
typedef struct {
    int nmax[3];
    double complex *table[3]; /* [atom][2*nmax+1] */
} phase_tables;

static int build_phases(const scatterers *sc, const int nmax[3], phase_tables *pt)
{
    for (int ax = 0; ax < 3; ax++) {
        int w = 2 * nmax[ax] + 1;
        pt->nmax[ax] = nmax[ax];
        pt->table[ax] = malloc(sc->n_atoms * (size_t)w * sizeof(double complex));
        if (!pt->table[ax]) return 0;
        for (size_t a = 0; a < sc->n_atoms; a++) {
            double complex *row = pt->table[ax] + a * (size_t)w + nmax[ax];
            double x = sc->frac[a][ax];
            double complex e = cexp(2 * M_PI * I * x);
            row[0] = 1;
            /* Recompute exactly every 16 steps so that error does not accumulate over large indices. */
            for (int n = 1; n <= nmax[ax]; n++) {
                row[n] = (n % 16 == 0) ? cexp(2 * M_PI * I * x * n) : row[n - 1] * e;
                row[-n] = conj(row[n]);
            }
        }
    }
    return 1;
}

static void free_phases(phase_tables *pt)
{
    for (int ax = 0; ax < 3; ax++) free(pt->table[ax]);
}

static void invert3(const double m[3][3], double inv[3][3])
{
    double det = xs_lattice_volume(m);
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
}

/* Families of a merged peak as pymatgen's get_unique_families groups them: hkl that are permutations of
 * the same absolute values form one family, named by its lexicographically largest member. */
static size_t unique_families(const int (*hkl)[4], size_t n, int dim, xs_hkl_family *out)
{
    size_t nf = 0;
    int key[64][4];
    for (size_t i = 0; i < n; i++) {
        int a[4] = {0};
        for (int d = 0; d < dim; d++) a[d] = abs(hkl[i][d]);
        for (int x = 0; x < dim; x++) /* sort ascending */
            for (int y = x + 1; y < dim; y++)
                if (a[y] < a[x]) {
                    int t = a[x];
                    a[x] = a[y];
                    a[y] = t;
                }
        size_t f = 0;
        while (f < nf && memcmp(key[f], a, sizeof a)) f++;
        if (f == nf) {
            if (nf == 64) continue; /* more distinct families in one peak than any real pattern has */
            memcpy(key[nf], a, sizeof a);
            memcpy(out[nf].hkl, hkl[i], sizeof out[nf].hkl);
            out[nf].multiplicity = 0;
            nf++;
        }
        out[f].multiplicity++;
        int bigger = 0;
        for (int d = 0; d < dim; d++)
            if (hkl[i][d] != out[f].hkl[d]) {
                bigger = hkl[i][d] > out[f].hkl[d];
                break;
            }
        if (bigger) memcpy(out[f].hkl, hkl[i], sizeof out[f].hkl);
    }
    return nf;
}

xs_status xs_xrd_peaks(const xs_structure *s, const xs_xrd_options *opt_in, xs_peaks **out, xs_error *err)
{
    *out = NULL;
    xs_xrd_options opt;
    if (opt_in) opt = *opt_in;
    else xs_xrd_options_default(&opt);
    double lambda = opt.wavelength;
    if (!(lambda >= 0.05 && lambda <= 5.0))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "wavelength %g A is outside 0.05..5 A", lambda);
    if (!(opt.two_theta_min >= 0 && opt.two_theta_max <= 180 && opt.two_theta_min < opt.two_theta_max))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "2theta range %g..%g deg is not within 0..180", opt.two_theta_min,
                            opt.two_theta_max);
    double min_r = 2 * sin(opt.two_theta_min * M_PI / 360) / lambda;
    double max_r = 2 * sin(opt.two_theta_max * M_PI / 360) / lambda;

    double lat[3][3], inv[3][3], rec[3][3];
    xs_structure_lattice(s, lat);
    invert3(lat, inv);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) rec[i][j] = inv[j][i]; /* rows: a*, b*, c* (no 2 pi) */
    /* |h| = |g . a| <= |g| |a| bounds the box that holds the sphere. */
    int nmax[3];
    double params[6];
    xs_lattice_parameters(lat, params);
    size_t box = 1;
    for (int i = 0; i < 3; i++) {
        nmax[i] = (int)floor(max_r * params[i] + 1e-9);
        box *= (size_t)(2 * nmax[i] + 1);
    }
    if (box > 50000000)
        return xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                            "cell too large for this wavelength and range (%zu reciprocal points to search)", box);

    scatterers sc = {0};
    phase_tables pt = {{0}, {NULL, NULL, NULL}};
    reflection *refl = NULL;
    xs_peaks *res = NULL;
    int (*peak_hkl)[4] = NULL;
    double *peak_key = NULL, *peak_sum = NULL;
    size_t *peak_first = NULL, *hkl_next = NULL;
    xs_status st = build_scatterers(s, &opt, &sc, err);
    if (st) goto done;
    if (!build_phases(&sc, nmax, &pt)) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }

    /* Reciprocal metric: g^2 = h^T G* h. */
    double G[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) G[i][j] = rec[i][0] * rec[j][0] + rec[i][1] * rec[j][1] + rec[i][2] * rec[j][2];
    size_t cap = 1024, nref = 0;
    refl = malloc(cap * sizeof *refl);
    if (!refl) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    double max_r2 = max_r * max_r;
    for (int h = -nmax[0]; h <= nmax[0]; h++)
        for (int k = -nmax[1]; k <= nmax[1]; k++) {
            /* l^2 G33 + 2 l (h G13 + k G23) + q <= r^2 bounds l for this (h, k). */
            double q = h * h * G[0][0] + k * k * G[1][1] + 2 * h * k * G[0][1];
            double lin = h * G[0][2] + k * G[1][2];
            double disc = lin * lin - G[2][2] * (q - max_r2);
            if (disc < 0) continue;
            double sq = sqrt(disc);
            int lo = (int)ceil((-lin - sq) / G[2][2] - 1e-9), hi = (int)floor((-lin + sq) / G[2][2] + 1e-9);
            if (lo < -nmax[2]) lo = -nmax[2];
            if (hi > nmax[2]) hi = nmax[2];
            for (int l = lo; l <= hi; l++) {
                if (!h && !k && !l) continue;
                double cart[3];
                for (int m = 0; m < 3; m++) cart[m] = h * rec[0][m] + k * rec[1][m] + l * rec[2][m];
                double g = sqrt(cart[0] * cart[0] + cart[1] * cart[1] + cart[2] * cart[2]);
                if (g > max_r + 1e-8 || g < min_r) continue; /* pymatgen's sphere search tolerance is 1e-8 */
                if (nref == cap) {
                    cap *= 2;
                    reflection *grown = realloc(refl, cap * sizeof *refl);
                    if (!grown) {
                        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
                        goto done;
                    }
                    refl = grown;
                }
                refl[nref++] = (reflection){h, k, l, g};
            }
        }
    if (nref == 0) {
        st = xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                          "no reflection falls in 2theta %g..%g deg at %g A", opt.two_theta_min, opt.two_theta_max, lambda);
        goto done;
    }
    qsort(refl, nref, sizeof *refl, cmp_reflection);

    peak_key = malloc(nref * sizeof *peak_key);
    peak_sum = malloc(nref * sizeof *peak_sum);
    peak_first = malloc(nref * sizeof *peak_first);
    hkl_next = malloc(nref * sizeof *hkl_next);
    double *peak_d = malloc(nref * sizeof *peak_d);
    size_t *peak_last = malloc(nref * sizeof *peak_last);
    size_t *peak_count = calloc(nref, sizeof *peak_count);
    double complex *type_sum = malloc(sc.n_types * sizeof *type_sum);
    if (!peak_key || !peak_sum || !peak_first || !hkl_next || !peak_d || !peak_last || !peak_count || !type_sum) {
        free(peak_d);
        free(peak_last);
        free(peak_count);
        free(type_sum);
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    size_t npk = 0;
    const int w0 = 2 * nmax[0] + 1, w1 = 2 * nmax[1] + 1, w2 = 2 * nmax[2] + 1;
    for (size_t r = 0; r < nref; r++) {
        const reflection *rf = &refl[r];
        double g = rf->g;
        double sin_theta = lambda * g / 2;
        if (sin_theta > 1) continue;
        double theta = asin(sin_theta);
        double s2 = (g / 2) * (g / 2);
        double complex f_hkl = 0;
        for (size_t t = 0; t < sc.n_types; t++) {
            const scatterer_type *ty = &sc.types[t];
            double complex sum = 0;
            const double complex *ex = pt.table[0] + ty->first * (size_t)w0 + nmax[0] + rf->h;
            const double complex *ey = pt.table[1] + ty->first * (size_t)w1 + nmax[1] + rf->k;
            const double complex *ez = pt.table[2] + ty->first * (size_t)w2 + nmax[2] + rf->l;
            for (size_t a = 0; a < ty->count; a++) sum += ex[a * (size_t)w0] * ey[a * (size_t)w1] * ez[a * (size_t)w2];
            double f = xs_ff_eval(ty->ff, s2) * ty->weight;
            if (ty->b != 0) f *= exp(-ty->b * s2);
            f_hkl += f * sum;
        }
        double lp = (1 + cos(2 * theta) * cos(2 * theta)) / (sin(theta) * sin(theta) * cos(theta));
        double intensity = (creal(f_hkl) * creal(f_hkl) + cimag(f_hkl) * cimag(f_hkl)) * lp;
        double two_theta = 2 * theta * 180 / M_PI;
        /* pymatgen merges into the first earlier peak within the tolerance; keys ascend, so that is the
         * smallest key above two_theta - tol. */
        size_t match = npk;
        for (size_t j = npk; j-- > 0;) {
            if (two_theta - peak_key[j] >= opt.merge_tol) break;
            if (fabs(two_theta - peak_key[j]) < opt.merge_tol) match = j;
        }
        if (match == npk) {
            peak_key[npk] = two_theta;
            peak_sum[npk] = 0;
            peak_d[npk] = 1 / g;
            peak_first[npk] = r;
            peak_last[npk] = r;
            npk++;
        } else {
            hkl_next[peak_last[match]] = r;
            peak_last[match] = r;
        }
        hkl_next[r] = (size_t)-1;
        peak_sum[match] += intensity;
        peak_count[match]++;
    }
    free(type_sum);

    double max_i = 0;
    for (size_t p = 0; p < npk; p++)
        if (peak_sum[p] > max_i) max_i = peak_sum[p];
    res = calloc(1, sizeof *res);
    if (res) {
        res->peaks = malloc((npk ? npk : 1) * sizeof *res->peaks);
        res->families = malloc(nref * sizeof *res->families);
        peak_hkl = malloc(nref * sizeof *peak_hkl);
    }
    if (!res || !res->peaks || !res->families || !peak_hkl || !(max_i > 0)) {
        st = (res && res->peaks && res->families && peak_hkl)
                 ? xs_error_set(err, XS_ERR_INVALID, xs_structure_source(s), 0, 0, "all reflections have zero intensity")
                 : xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        xs_peaks_free(res);
        res = NULL;
        free(peak_d);
        free(peak_last);
        free(peak_count);
        goto done;
    }
    res->hexagonal = lattice_is_hexagonal(lat);
    int dim = res->hexagonal ? 4 : 3;
    for (size_t p = 0; p < npk; p++) {
        if (!(peak_sum[p] / max_i * 100 > opt.min_intensity)) continue;
        size_t m = 0;
        for (size_t r = peak_first[p]; r != (size_t)-1; r = hkl_next[r]) {
            const reflection *rf = &refl[r];
            if (res->hexagonal) {
                int v[4] = {rf->h, rf->k, -rf->h - rf->k, rf->l};
                memcpy(peak_hkl[m++], v, sizeof v);
            } else {
                int v[4] = {rf->h, rf->k, rf->l, 0};
                memcpy(peak_hkl[m++], v, sizeof v);
            }
        }
        xs_peak *pk = &res->peaks[res->n++];
        pk->two_theta = peak_key[p];
        pk->intensity = peak_sum[p] / max_i * 100;
        pk->d = peak_d[p];
        pk->multiplicity = (int)peak_count[p];
        pk->first_family = res->n_families;
        pk->n_families = unique_families((const int (*)[4])peak_hkl, m, dim, res->families + res->n_families);
        res->n_families += pk->n_families;
    }
    free(peak_d);
    free(peak_last);
    free(peak_count);
    *out = res;
done:
    free(peak_hkl);
    free(peak_key);
    free(peak_sum);
    free(peak_first);
    free(hkl_next);
    free(refl);
    free_phases(&pt);
    free_scatterers(&sc);
    return st;
}
