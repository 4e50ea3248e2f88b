/* Powder X-ray peaks of a structure, following the kinematic model of pymatgen's XRDCalculator so that
 * the two agree number for number when given the same form factors. */
#include "diffraction/ff_tables.h"
#include "xrdsym/xs_xrd.h"

#include <complex.h>
#include <stdint.h>
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
    o->wavelength = XS_CU_KALPHA;
    o->two_theta_min = 0;
    o->two_theta_max = 90;
    o->debye_waller = 1;
    o->merge_tol = 1e-5;
    o->min_intensity = 1e-3;
    o->march_dollase_r = 1;
    o->preferred_axis[2] = 1;
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

/* Miller indices packed so that one integer comparison gives pymatgen's tie order (-h, -k, -l):
 * 21 bits each, stored as XS_HKL_BIAS - index. */
#define XS_HKL_BITS 21
#define XS_HKL_BIAS (1 << (XS_HKL_BITS - 1))
typedef struct {
    double g;      /* |g| = 1/d */
    uint64_t tie;  /* packed h, k, l */
    size_t sum;    /* index of the per-type partial structure factors, shared by a Friedel pair */
} reflection;

static inline uint64_t pack_hkl(int h, int k, int l)
{
    return ((uint64_t)(XS_HKL_BIAS - h) << (2 * XS_HKL_BITS)) | ((uint64_t)(XS_HKL_BIAS - k) << XS_HKL_BITS) |
           (uint64_t)(XS_HKL_BIAS - l);
}

static inline void unpack_hkl(uint64_t t, int hkl[3])
{
    const uint64_t mask = ((uint64_t)1 << XS_HKL_BITS) - 1;
    hkl[0] = XS_HKL_BIAS - (int)((t >> (2 * XS_HKL_BITS)) & mask);
    hkl[1] = XS_HKL_BIAS - (int)((t >> XS_HKL_BITS) & mask);
    hkl[2] = XS_HKL_BIAS - (int)(t & mask);
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
 * multiplication from one sincos per atom and axis. Rounding grows by about one ulp per step, and the exact
 * value is recomputed every 16 steps, far below the 1e-4 tolerances.
 * Axes a and b: complex [atom][2*nmax+1]. Axis c, the inner loop of the structure factor: real and
 * imaginary parts apart, [atom][2*nmax+1+3] (3 zeros of padding so that whole vectors of 4 can be read). */
typedef struct {
    int nmax[3];
    size_t wz;                /* row length of the c tables */
    double complex *table[2]; /* axes a, b */
    double *z_re, *z_im;      /* axis c */
} phase_tables;

#define XS_LANES 4

static void phase_row(double x, int nmax, double complex *row)
{
    double complex e = cexp(2 * M_PI * I * x);
    row[0] = 1;
    for (int n = 1; n <= nmax; n++) {
        row[n] = (n % 16 == 0) ? cexp(2 * M_PI * I * x * n) : row[n - 1] * e;
        row[-n] = conj(row[n]);
    }
}

static int build_phases(const scatterers *sc, const int nmax[3], phase_tables *pt)
{
    memcpy(pt->nmax, nmax, sizeof pt->nmax);
    for (int ax = 0; ax < 2; ax++) {
        size_t w = 2 * (size_t)nmax[ax] + 1;
        pt->table[ax] = malloc(sc->n_atoms * w * sizeof(double complex));
        if (!pt->table[ax]) return 0;
        for (size_t a = 0; a < sc->n_atoms; a++) phase_row(sc->frac[a][ax], nmax[ax], pt->table[ax] + a * w + nmax[ax]);
    }
    size_t w = 2 * (size_t)nmax[2] + 1;
    pt->wz = w + XS_LANES - 1;
    pt->z_re = calloc(sc->n_atoms * pt->wz, sizeof(double));
    pt->z_im = calloc(sc->n_atoms * pt->wz, sizeof(double));
    double complex *row = malloc(w * sizeof *row);
    if (!pt->z_re || !pt->z_im || !row) {
        free(row);
        return 0;
    }
    for (size_t a = 0; a < sc->n_atoms; a++) {
        phase_row(sc->frac[a][2], nmax[2], row + nmax[2]);
        for (size_t i = 0; i < w; i++) {
            pt->z_re[a * pt->wz + i] = creal(row[i]);
            pt->z_im[a * pt->wz + i] = cimag(row[i]);
        }
    }
    free(row);
    return 1;
}

static void free_phases(phase_tables *pt)
{
    free(pt->table[0]);
    free(pt->table[1]);
    free(pt->z_re);
    free(pt->z_im);
}

/* Four doubles at a time (one AVX register where the target has it; GCC and Clang split it otherwise). */
typedef double v4d __attribute__((vector_size(XS_LANES * sizeof(double))));
static inline v4d load4(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store4(double *p, v4d v) { memcpy(p, &v, sizeof v); }

/* Partial structure factors of one row of reflections (h, k, l = lo .. lo + 4 nv - 1) for every scatterer
 * type: acc[t] holds the real parts, acc[t] + wz the imaginary parts of sum_atoms exp(2 pi i (hx + ky + lz)).
 * The l direction is the vector lane, so no horizontal sums are needed; eight l at a time stay in registers
 * while the atoms of a type stream past. exy: scratch for 2 n_atoms doubles. */
static void row_sums(const scatterers *sc, const phase_tables *pt, int h, int k, int lo, int nv, double *acc, double *exy)
{
    const size_t w0 = 2 * (size_t)pt->nmax[0] + 1, w1 = 2 * (size_t)pt->nmax[1] + 1, wz = pt->wz;
    const size_t off = (size_t)(lo + pt->nmax[2]);
    for (size_t a = 0; a < sc->n_atoms; a++) {
        double complex e = pt->table[0][a * w0 + (size_t)(pt->nmax[0] + h)] * pt->table[1][a * w1 + (size_t)(pt->nmax[1] + k)];
        exy[2 * a] = creal(e);
        exy[2 * a + 1] = cimag(e);
    }
    for (size_t t = 0; t < sc->n_types; t++) {
        double *ar = acc + t * 2 * wz, *ai = ar + wz;
        const scatterer_type *ty = &sc->types[t];
        const size_t a0 = ty->first, a1 = ty->first + ty->count;
        int j = 0;
        for (; j + 2 * XS_LANES <= nv * XS_LANES; j += 2 * XS_LANES) {
            v4d r0 = {0, 0, 0, 0}, i0 = r0, r1 = r0, i1 = r0;
            for (size_t a = a0; a < a1; a++) {
                const double *zr = pt->z_re + a * wz + off + j, *zi = pt->z_im + a * wz + off + j;
                const double er = exy[2 * a], ei = exy[2 * a + 1];
                const v4d xr = {er, er, er, er}, xi = {ei, ei, ei, ei};
                v4d zr0 = load4(zr), zi0 = load4(zi), zr1 = load4(zr + XS_LANES), zi1 = load4(zi + XS_LANES);
                r0 = r0 + xr * zr0 - xi * zi0;
                i0 = i0 + xr * zi0 + xi * zr0;
                r1 = r1 + xr * zr1 - xi * zi1;
                i1 = i1 + xr * zi1 + xi * zr1;
            }
            store4(ar + j, r0);
            store4(ai + j, i0);
            store4(ar + j + XS_LANES, r1);
            store4(ai + j + XS_LANES, i1);
        }
        if (j < nv * XS_LANES) {
            v4d r0 = {0, 0, 0, 0}, i0 = r0;
            for (size_t a = a0; a < a1; a++) {
                const double *zr = pt->z_re + a * wz + off + j, *zi = pt->z_im + a * wz + off + j;
                const double er = exy[2 * a], ei = exy[2 * a + 1];
                const v4d xr = {er, er, er, er}, xi = {ei, ei, ei, ei};
                v4d zr0 = load4(zr), zi0 = load4(zi);
                r0 = r0 + xr * zr0 - xi * zi0;
                i0 = i0 + xr * zi0 + xi * zr0;
            }
            store4(ar + j, r0);
            store4(ai + j, i0);
        }
    }
}

/* Sort into pymatgen's order (g, -h, -k, -l): a counting sort into n buckets of equal volume of reciprocal
 * space (g^3 is monotonic in g, so bucket order is g order), then insertion sort inside each bucket, which
 * holds only the few reflections of nearly the same g (the members of one family). */
static int refl_before(const reflection *x, const reflection *y)
{
    return x->g < y->g || (x->g == y->g && x->tie < y->tie);
}

static int sort_reflections(reflection *r, size_t n, double g_lo, double g_hi)
{
    size_t *bucket = malloc(n * sizeof *bucket), *start = calloc(n + 1, sizeof *start);
    reflection *tmp = malloc(n * sizeof *tmp);
    if (!bucket || !start || !tmp) {
        free(bucket);
        free(start);
        free(tmp);
        return 0;
    }
    double lo3 = g_lo * g_lo * g_lo, span = g_hi * g_hi * g_hi - lo3;
    if (!(span > 0)) span = 1;
    for (size_t i = 0; i < n; i++) {
        double v = (r[i].g * r[i].g * r[i].g - lo3) / span * (double)n;
        size_t b = v > 0 ? (size_t)v : 0;
        bucket[i] = b < n ? b : n - 1;
        start[bucket[i] + 1]++;
    }
    for (size_t b = 0; b < n; b++) start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++) tmp[start[bucket[i]]++] = r[i]; /* start[b] is now the end of bucket b */
    size_t begin = 0;
    for (size_t b = 0; b < n; b++) {
        /* binary insertion: a family of 48 shares one bucket, and moving a block is cheaper than
         * comparing and moving one element at a time */
        for (size_t i = begin + 1; i < start[b]; i++) {
            reflection x = tmp[i];
            if (!refl_before(&x, &tmp[i - 1])) continue;
            size_t lo = begin, hi = i - 1; /* the first element that x precedes is in [lo, hi] */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (refl_before(&x, &tmp[mid])) hi = mid;
                else lo = mid + 1;
            }
            memmove(&tmp[lo + 1], &tmp[lo], (i - lo) * sizeof *tmp);
            tmp[lo] = x;
        }
        begin = start[b];
    }
    memcpy(r, tmp, n * sizeof *r);
    free(bucket);
    free(start);
    free(tmp);
    return 1;
}

/* March-Dollase factor of one reflection (see xs_xrd_options). */
static double march_dollase(const reflection *rf, const double rec[3][3], const double axis[3], double r)
{
    int hkl[3];
    unpack_hkl(rf->tie, hkl);
    double dot = 0;
    for (int m = 0; m < 3; m++) dot += (hkl[0] * rec[0][m] + hkl[1] * rec[1][m] + hkl[2] * rec[2][m]) * axis[m];
    double c2 = dot * dot / (rf->g * rf->g);
    if (c2 > 1) c2 = 1;
    return pow(r * r * c2 + (1 - c2) / r, -1.5);
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
static inline void order2(uint32_t *x, uint32_t *y)
{
    uint32_t lo = *x < *y ? *x : *y, hi = *x < *y ? *y : *x;
    *x = lo;
    *y = hi;
}

static size_t unique_families(const int (*hkl)[4], size_t n, int dim, xs_hkl_family *out)
{
    size_t nf = 0, last = 0;
    uint64_t key[64][2];
    for (size_t i = 0; i < n; i++) {
        /* sorted absolute values, packed into two integers */
        uint32_t a[4] = {0, 0, 0, 0};
        for (int d = 0; d < dim; d++) a[d] = (uint32_t)abs(hkl[i][d]);
        if (dim == 4) {
            order2(&a[0], &a[1]);
            order2(&a[2], &a[3]);
            order2(&a[0], &a[2]);
            order2(&a[1], &a[3]);
            order2(&a[1], &a[2]);
        } else {
            order2(&a[0], &a[1]);
            order2(&a[1], &a[2]);
            order2(&a[0], &a[1]);
        }
        uint64_t k0 = (uint64_t)a[0] << 32 | a[1], k1 = (uint64_t)a[2] << 32 | a[3];
        size_t f = last; /* consecutive reflections mostly belong to the same family */
        if (!(f < nf && key[f][0] == k0 && key[f][1] == k1))
            for (f = 0; f < nf && !(key[f][0] == k0 && key[f][1] == k1); f++) {
            }
        if (f == nf) {
            if (nf == 64) continue; /* more distinct families in one peak than any real pattern has */
            key[nf][0] = k0;
            key[nf][1] = k1;
            memcpy(out[nf].hkl, hkl[i], sizeof out[nf].hkl);
            out[nf].multiplicity = 0;
            nf++;
        }
        last = f;
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
    double md_r = opt.march_dollase_r;
    const double *ax = opt.preferred_axis;
    if (!(md_r >= 0.1 && md_r <= 10))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "March-Dollase ratio %g is outside 0.1..10", md_r);
    if (!(isfinite(ax[0]) && isfinite(ax[1]) && isfinite(ax[2])) || (ax[0] == 0 && ax[1] == 0 && ax[2] == 0))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "preferred-orientation axis %g %g %g is not a direction",
                            ax[0], ax[1], ax[2]);
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
    double box = 1;
    for (int i = 0; i < 3; i++) {
        double n = floor(max_r * params[i] + 1e-9);
        nmax[i] = n < XS_HKL_BIAS ? (int)n : XS_HKL_BIAS; /* larger than the box limit below allows */
        box *= 2 * n + 1;
    }
    if (box > 5e7)
        return xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                            "cell too large for this wavelength and range (%.3g reciprocal points to search)", box);

    scatterers sc = {0};
    phase_tables pt = {.z_re = NULL};
    reflection *refl = NULL;
    xs_peaks *res = NULL;
    int (*peak_hkl)[4] = NULL;
    double *peak_key = NULL, *peak_sum = NULL, *acc = NULL, *exy = NULL, *sums = NULL, *f_type = NULL;
    size_t *peak_first = NULL, *hkl_next = NULL;
    double *peak_d = NULL;
    size_t *peak_last = NULL, *peak_count = NULL;
    xs_status st = build_scatterers(s, &opt, &sc, err);
    if (st) goto done;
    acc = malloc(sc.n_types * 2 * (2 * (size_t)nmax[2] + XS_LANES) * sizeof *acc);
    exy = malloc(2 * sc.n_atoms * sizeof *exy);
    if (!acc || !exy || !build_phases(&sc, nmax, &pt)) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }

    /* The preferred-orientation axis in Cartesian coordinates, as a unit vector. */
    double axis[3], axis_len = 0;
    for (int m = 0; m < 3; m++) {
        axis[m] = ax[0] * rec[0][m] + ax[1] * rec[1][m] + ax[2] * rec[2][m];
        axis_len += axis[m] * axis[m];
    }
    axis_len = sqrt(axis_len);
    for (int m = 0; m < 3; m++) axis[m] /= axis_len;

    /* Reciprocal metric: g^2 = h^T G* h. */
    double G[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) G[i][j] = rec[i][0] * rec[j][0] + rec[i][1] * rec[j][1] + rec[i][2] * rec[j][2];
    size_t cap = 1024, nref = 0;
    refl = malloc(cap * sizeof *refl);
    sums = malloc(cap * 2 * sc.n_types * sizeof *sums);
    f_type = malloc(sc.n_types * sizeof *f_type);
    if (!refl || !sums || !f_type) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    /* Half of reciprocal space (h > 0, or h = 0 and k > 0, or h = k = 0 and l > 0): with real form factors
     * F(-h) is the complex conjugate of F(h) (Friedel's law), so every intensity is computed once and
     * stored for both reflections. */
    double max_r2 = max_r * max_r;
    const size_t wz = pt.wz;
    for (int h = 0; h <= nmax[0]; h++)
        for (int k = h ? -nmax[1] : 0; k <= nmax[1]; k++) {
            /* l^2 G33 + 2 l (h G13 + k G23) + q <= r^2 bounds l for this (h, k). */
            /* in double: h and k reach 2^20 (the box limit above), and h * h overflows an int beyond 46,340 (a
             * 56,402 A axis, fuzzed) */
            double hd = h, kd = k;
            double q = hd * hd * G[0][0] + kd * kd * G[1][1] + 2 * hd * kd * G[0][1];
            double lin = h * G[0][2] + k * G[1][2];
            double disc = lin * lin - G[2][2] * (q - max_r2);
            if (disc < 0) continue;
            double sq = sqrt(disc);
            int lo = (int)ceil((-lin - sq) / G[2][2] - 1e-9), hi = (int)floor((-lin + sq) / G[2][2] + 1e-9);
            if (lo < -nmax[2]) lo = -nmax[2];
            if (hi > nmax[2]) hi = nmax[2];
            if (!h && !k && lo < 1) lo = 1;
            if (lo > hi) continue;
            int nv = (hi - lo + XS_LANES) / XS_LANES;
            int sums_done = 0;
            for (int l = lo; l <= hi; l++) {
                double cart[3];
                for (int m = 0; m < 3; m++) cart[m] = h * rec[0][m] + k * rec[1][m] + l * rec[2][m];
                double g = sqrt(cart[0] * cart[0] + cart[1] * cart[1] + cart[2] * cart[2]);
                if (g > max_r + 1e-8 || g < min_r) continue; /* pymatgen's sphere search tolerance is 1e-8 */
                if (!sums_done) {
                    row_sums(&sc, &pt, h, k, lo, nv, acc, exy);
                    sums_done = 1;
                }
                if (nref == cap) {
                    cap *= 2;
                    reflection *grown = realloc(refl, cap * sizeof *refl);
                    double *grown_sums = realloc(sums, cap * 2 * sc.n_types * sizeof *sums);
                    if (grown) refl = grown;
                    if (grown_sums) sums = grown_sums;
                    if (!grown || !grown_sums) {
                        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
                        goto done;
                    }
                }
                size_t j = (size_t)(l - lo);
                for (size_t t = 0; t < sc.n_types; t++) {
                    sums[nref * 2 * sc.n_types + 2 * t] = acc[t * 2 * wz + j];
                    sums[nref * 2 * sc.n_types + 2 * t + 1] = acc[t * 2 * wz + wz + j];
                }
                refl[nref] = (reflection){g, pack_hkl(h, k, l), nref};
                nref++;
            }
        }
    if (nref == 0) {
        st = xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                          "no reflection falls in 2theta %g..%g deg at %g A", opt.two_theta_min, opt.two_theta_max, lambda);
        goto done;
    }
    /* Only the half with h > 0 (...) was listed. Sorted, each run of equal g lists, in pymatgen's order
     * (g, -h, -k, -l), first all its members from that half (their h, k, l are the larger ones), then their
     * Friedel mates in the reverse order: the whole list follows without sorting the mates. */
    reflection *grown = NULL;
    if (!sort_reflections(refl, nref, min_r, max_r + 1e-8) || !(grown = realloc(refl, 2 * nref * sizeof *refl))) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    refl = grown;
    /* In place from the back: the run [a, b) of the half moves to [2a, a + b) and its mates fill [a + b, 2b). */
    for (size_t b = nref, a; b > 0; b = a) {
        for (a = b - 1; a > 0 && refl[a - 1].g == refl[b - 1].g; a--) {
        }
        for (size_t i = b; i-- > a;) {
            int hkl[3];
            unpack_hkl(refl[i].tie, hkl);
            refl[a + b + (b - 1 - i)] = (reflection){refl[i].g, pack_hkl(-hkl[0], -hkl[1], -hkl[2]), refl[i].sum};
        }
        memmove(&refl[2 * a], &refl[a], (b - a) * sizeof *refl);
    }
    nref *= 2;

    peak_key = malloc(nref * sizeof *peak_key);
    peak_sum = malloc(nref * sizeof *peak_sum);
    peak_first = malloc(nref * sizeof *peak_first);
    hkl_next = malloc(nref * sizeof *hkl_next);
    peak_d = malloc(nref * sizeof *peak_d);
    peak_last = malloc(nref * sizeof *peak_last);
    peak_count = calloc(nref, sizeof *peak_count);
    if (!peak_key || !peak_sum || !peak_first || !hkl_next || !peak_d || !peak_last || !peak_count) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    size_t npk = 0;
    double last_g = -1, lp = 0, two_theta = 0, ff_g = -1, f_bound = 0;
    for (size_t r = 0; r < nref; r++) {
        const reflection *rf = &refl[r];
        double g = rf->g;
        if (g != last_g) { /* members of a family often share g exactly: the angles are computed once */
            double sin_theta = lambda * g / 2;
            if (sin_theta > 1) continue;
            double theta = asin(sin_theta);
            lp = (1 + cos(2 * theta) * cos(2 * theta)) / (sin(theta) * sin(theta) * cos(theta));
            two_theta = 2 * theta * 180 / M_PI;
            last_g = g;
        }
        /* Form factors are smooth in g: members of a family whose g differ only by rounding (1e-13
         * relative, which moves no printed digit) share one evaluation. */
        if (fabs(g - ff_g) > 1e-13 * g) {
            double s2 = (g / 2) * (g / 2);
            for (size_t t = 0; t < sc.n_types; t++) {
                const scatterer_type *ty = &sc.types[t];
                f_type[t] = xs_ff_eval(ty->ff, s2) * ty->weight;
                if (ty->b != 0) f_type[t] *= exp(-ty->b * s2);
            }
            f_bound = 0; /* |F| when every atom scatters in phase */
            for (size_t t = 0; t < sc.n_types; t++) f_bound += fabs(f_type[t]) * (double)sc.types[t].count;
            ff_g = g;
        }
        const double *sum = sums + rf->sum * 2 * sc.n_types;
        double f_re = 0, f_im = 0;
        for (size_t t = 0; t < sc.n_types; t++) {
            f_re += f_type[t] * sum[2 * t];
            f_im += f_type[t] * sum[2 * t + 1];
        }
        double f2 = f_re * f_re + f_im * f_im;
        /* A systematically absent reflection sums to zero only up to rounding (|F| ~ 1e-16 of the bound); scaled
         * to the maximum where no other reflection is in range (NaCl's 100 and 110 at 5 A), that noise was a
         * peak of 100. 1e-9 of the bound is far below any reflection the written coordinates make (coordinates
         * rounded to 4 decimals leave 1e-4). */
        if (f2 <= 1e-18 * f_bound * f_bound) f2 = 0;
        double intensity = f2 * lp;
        if (md_r != 1) intensity *= march_dollase(rf, rec, axis, md_r);
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
                 ? xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                                "every reflection in 2theta %g..%g deg at %g A is systematically absent (no intensity)",
                                opt.two_theta_min, opt.two_theta_max, lambda)
                 : xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        xs_peaks_free(res);
        res = NULL;
        goto done;
    }
    res->hexagonal = lattice_is_hexagonal(lat);
    int dim = res->hexagonal ? 4 : 3;
    for (size_t p = 0; p < npk; p++) {
        if (!(peak_sum[p] / max_i * 100 > opt.min_intensity)) continue;
        size_t m = 0;
        for (size_t r = peak_first[p]; r != (size_t)-1; r = hkl_next[r]) {
            int hkl[3];
            unpack_hkl(refl[r].tie, hkl);
            if (res->hexagonal) {
                int v[4] = {hkl[0], hkl[1], -hkl[0] - hkl[1], hkl[2]};
                memcpy(peak_hkl[m++], v, sizeof v);
            } else {
                int v[4] = {hkl[0], hkl[1], hkl[2], 0};
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
    *out = res;
done:
    free(peak_d);
    free(peak_last);
    free(peak_count);
    free(acc);
    free(exy);
    free(sums);
    free(f_type);
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
