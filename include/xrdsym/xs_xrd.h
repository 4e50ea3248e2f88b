/* xrdsym diffraction: powder X-ray peaks of a structure and their profile on a 2theta grid. */
#ifndef XS_XRD_H
#define XS_XRD_H

#include "xrdsym/xs_structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wavelengths ---- */
/* Cu K-alpha (angstrom), the weighted mean of K-alpha1 and K-alpha2, as pymatgen's "CuKa": the simulator's
 * default and the wavelength assumed for a pattern whose file does not say. */
#define XS_CU_KALPHA 1.54184
/* Wavelength in angstrom of a named line ("CuKa", "CuKa1", "CuKa2", "MoKa", "CoKa", "FeKa", "CrKa", "AgKa",
 * the Ka1/Ka2/Kb1 variants of each; case-insensitive) or of a number in angstrom ("1.5406"). Values as in
 * pymatgen's WAVELENGTHS table. XS_ERR_INVALID for an unknown name or a value outside 0.05..5 A. */
xs_status xs_xrd_wavelength(const char *name_or_value, double *angstrom, xs_error *err);
/* K-alpha1 and K-alpha2 wavelengths of the anode of a named line ("CuKa" -> Cu). XS_ERR_NOT_FOUND for a
 * plain number. */
xs_status xs_xrd_kalpha_pair(const char *name, double *ka1, double *ka2, xs_error *err);

/* ---- atomic form factors ---- */
typedef struct xs_formfactors xs_formfactors;
/* Built-in table (Waasmaier and Kirfel 1995, Acta Cryst. A51, 416: 5 Gaussians + c, neutral atoms and
 * ions); static, never free it. */
const xs_formfactors *xs_ff_builtin(void);
/* pymatgen's coefficient file (atomic_scattering_params.json: symbol -> 4 pairs [a, b]), used with
 * pymatgen's formula f = Z - 41.78214 s^2 sum a exp(-b s^2) so that results match pymatgen number for
 * number. Ions use their element's entry, as pymatgen does. The caller owns *out. */
xs_status xs_ff_load_pymatgen(const char *json_path, xs_formfactors **out, xs_error *err);
void xs_ff_free(xs_formfactors *ff);
/* f0 of element z with formal charge at s = sin(theta)/lambda (1/A). For the built-in table an ion missing
 * from it falls back to the nearest listed charge of that element, then the neutral atom. Returns NAN for
 * an element the table lacks. */
double xs_ff_value(const xs_formfactors *ff, int z, int charge, double s);
/* 1 if the table has element z (any charge). */
int xs_ff_has(const xs_formfactors *ff, int z);

/* ---- peaks ---- */
typedef struct {
    double wavelength;        /* angstrom; default XS_CU_KALPHA */
    double two_theta_min;     /* degrees; default 0 */
    double two_theta_max;     /* degrees; default 90 */
    const xs_formfactors *ff; /* NULL: built-in table */
    int debye_waller;         /* 1 (default): apply exp(-B s^2) where a site has B; 0: ignore B */
    double merge_tol;         /* degrees; reflections closer than this form one peak (default 1e-5) */
    double min_intensity;     /* peaks below this (of 100) are dropped (default 1e-3) */
    /* Preferred orientation, March-Dollase (Dollase 1986, J. Appl. Cryst. 19, 267; as GSAS-II applies it in
     * Bragg-Brentano): every reflection's intensity times (r^2 cos^2 a + sin^2 a / r)^(-3/2), a the angle
     * between its reciprocal-lattice vector and the axis. r < 1: plates lying flat, the axis their normal;
     * r > 1: needles lying flat, the axis along them; 1 (default): a random powder (no factor). The factor
     * averages to 1 over all directions, so the total diffracted intensity is kept. */
    double march_dollase_r;      /* 0.1..10 */
    double preferred_axis[3];    /* the axis as a reciprocal-lattice direction h k l; default 0 0 1 */
} xs_xrd_options;

void xs_xrd_options_default(xs_xrd_options *opt);

typedef struct {
    int hkl[4];      /* h k l, or h k i l (Miller-Bravais) when the lattice is hexagonal (hexagonal=1) */
    int multiplicity;
} xs_hkl_family;

typedef struct {
    double two_theta;   /* degrees */
    double intensity;   /* scaled so that the strongest peak is 100 */
    double d;           /* angstrom */
    size_t first_family, n_families; /* into xs_peaks_families() */
    int multiplicity;   /* reflections merged into this peak */
} xs_peak;

typedef struct xs_peaks xs_peaks;

/* Powder peaks: every reciprocal-lattice point inside the limiting sphere, structure factor with form
 * factors and occupancies (and Debye-Waller), Lorentz-polarisation (1+cos^2 2t)/(sin^2 t cos t), merged
 * within merge_tol, scaled to max 100. XS_ERR_INVALID for an element the form-factor table lacks, a
 * wavelength or range that admits no reflection. The caller owns *out. */
xs_status xs_xrd_peaks(const xs_structure *s, const xs_xrd_options *opt, xs_peaks **out, xs_error *err);
size_t xs_peaks_count(const xs_peaks *p);
const xs_peak *xs_peaks_get(const xs_peaks *p, size_t i);
const xs_hkl_family *xs_peaks_families(const xs_peaks *p);
int xs_peaks_hexagonal(const xs_peaks *p);
void xs_peaks_free(xs_peaks *p);

/* ---- profiles ---- */
typedef struct {
    double start;   /* 2theta of the first point, degrees */
    double step;    /* degrees */
    size_t count;
} xs_grid;

/* The seed paper's grid: 5.00 .. 89.99 deg, step 0.01, 8500 points. */
xs_grid xs_grid_paper(void);

typedef enum { XS_PROFILE_GAUSSIAN = 0, XS_PROFILE_PSEUDO_VOIGT } xs_profile_shape;

typedef struct {
    xs_profile_shape shape;
    double fwhm;          /* degrees 2theta; default 0.1 */
    double eta;           /* pseudo-Voigt Lorentzian fraction, 0..1; default 0.5 */
    int kalpha2;          /* 1: add a K-alpha2 copy of every peak */
    double ka1, ka2;      /* wavelengths for the doublet (angstrom); the peaks are taken as computed at ka1 */
    double ka2_ratio;     /* I(Ka2)/I(Ka1); default 0.5 */
} xs_profile_options;

void xs_profile_options_default(xs_profile_options *opt);

/* Sum of peak shapes on the grid, scaled to max 1 (left all zero if no peak touches the grid). Peaks are
 * given as arrays of 2theta (degrees) and intensity. out has grid->count floats. */
xs_status xs_xrd_profile(const double *two_theta, const double *intensity, size_t n_peaks,
                         const xs_grid *grid, const xs_profile_options *opt, float *out, xs_error *err);

#ifdef __cplusplus
}
#endif
#endif
