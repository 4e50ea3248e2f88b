/* xrdsym augmentation: from a peak list to a training pattern on a 2theta grid, rendered on the fly.
 *
 * One augmented pattern is, in this order (x = (2theta - first grid point) / (last - first), 0..1):
 *
 *  1. Peaks. Every peak is a Gaussian of one FWHM per pattern, drawn FWHM ~ U(fwhm_min, fwhm_max) degrees
 *     2theta (default U(0.04, 0.21)). The default range is the 5th..95th percentile (0.042 .. 0.207 deg,
 *     median 0.086) of the half-maximum widths of the 5 strongest peaks of each of the 332 measured RRUFF
 *     patterns in ../shared/data/experimental/rruff-dev.tsv.gz (1,660 peaks; tools/rruff_peak_widths.py),
 *     which is also the range of a laboratory Bragg-Brentano diffractometer. Each Gaussian covers the
 *     2L + 1 grid points nearest its centre, L = ceil(kernel_sigmas * sigma / step) (default
 *     kernel_sigmas 5: the cut lies at least 5 sigma - step/2 from the centre, below 2e-5 of the peak
 *     height for the default widths, far under the noise floor 0.002). The sum is scaled so that its
 *     maximum is exactly 1 (a pattern with no peak on the grid stays 0).
 *  2. Noise, the seed paper's (Vecsei et al., PRB 99, 245120 (2019), Appendix A): every grid point gets an
 *     independent value ~ U(noise_min, noise_max) = U(0.002, 0.02) added (uniforms of 23 bits).
 *  3. Backgrounds, the paper's four functions. Each is chosen independently with probability
 *     background_prob (0.5); with k of them chosen, T = background_total / k (0.1 / k; k = 0: none).
 *       step up    f(x) = h / (1 + exp(-a (x - x0)))
 *       step down  f(x) = h / (1 + exp(+a (x - x0)))
 *                  h ~ N(2T/3, T/7) truncated to [0, T]; a ~ U(10, 60); x0 ~ U on the outer sevenths of
 *                  the range, [0, 1/7] u [6/7, 1] (each side with probability 1/2)
 *       polynomial f(x) = sum_{i=0..n} c_i x^i, order n uniform on {0, 1, 2, 3, 4}; every c_i is 0 with
 *                  probability 1/2, else c_i = 3T / (2 (n + 1)) * U(-1, 1) (so |f| <= 3T/2; f may be
 *                  negative)
 *       bump       f(x) = h * (n x) * exp(1 - n x): height h at x = 1/n, 1.2 .. 2.1 deg above the start of
 *                  the paper's grid, near the beam; h ~ N(2T/5, 3T/35) truncated to [0, 3T/5];
 *                  n ~ U(40, 70)
 *     The issue quoting the paper states the bump's h and the polynomial's numbers; for the steps' h it
 *     says only "from the truncated normals", and this module takes the bump's shape scaled to the
 *     steps' maximum T (mean 2/3 and sigma 1/7 of the upper bound). The functional forms of the steps
 *     (logistic) and of the bump are this module's reading of the paper's words. Where a step is
 *     saturated (|a (x - x0)| > 17) it is taken as exactly 0 or h, and the bump as 0 beyond n x = 25
 *     (differences below 4e-8 of h). The pattern is not rescaled after noise and backgrounds, and not
 *     clipped at 0 unless clip_negative is set.
 *
 * Options beyond the paper, all off by default: a zero shift of every peak by ~ U(-zero_shift_max,
 * +zero_shift_max) deg; a K-alpha2 copy of every peak (ratio kalpha2_ratio, position from ka2/ka1 at the
 * same d); peak width growing with angle, FWHM(theta) = FWHM * sqrt(1 + g tan^2 theta) with
 * g ~ U(0, width_growth_max); noise of a level that differs from pattern to pattern: every noise value of a
 * pattern times s, log-uniform in [1, noise_scale_max] (measured RRUFF patterns: the robust sigma of
 * point-to-point differences over the maximum has median 0.0063, 10% above 0.027; the paper's noise alone
 * gives 0.0057 to every pattern; tools/pattern_noise.py); the K-alpha2 copy in only a fraction
 * kalpha2_prob of the patterns (measured patterns come with the doublet or with K-alpha2 stripped); every
 * peak's intensity times a log-normal factor exp(sigma z), one per listed reflection (what a simulation
 * from the ideal structure does not know: preferred orientation, absorption, displacement parameters,
 * site occupancies); and m ~ U{0..K} foreign peaks of an impurity phase, each at a position uniform over
 * the grid's range, of height ~ U(0, h) times the maximum of the pattern's own peaks, with the pattern's
 * width and K-alpha2 (the maximum is taken again after them, so it stays exactly 1); and counting noise:
 * after the backgrounds every point y gets sqrt(max(y, 0) / N) times a zero-mean value of unit variance
 * added (uniform on [-sqrt 3, sqrt 3], one more 23-bit uniform a point: the variance of Poisson counts with
 * N counts at the maximum, not their shape), N log-uniform in [counts_min, counts_max] per pattern. Measured
 * RRUFF patterns are noisier where they are higher: the robust sigma of second differences in 50-point
 * windows without a peak grows as level^0.37 (median over the 332 patterns; IQR 0.31-0.42), where the
 * paper's noise gives level^0.02; read as Poisson counts, their N at the maximum has 10th/50th/90th
 * percentiles 61/259/682 (tools/pattern_noise.py --level). And pseudo-Voigt peaks: every peak (its K-alpha2 copy
 * and the impurity peaks too) becomes (1 - eta) G + eta L of the same FWHM and height, L the Lorentzian
 * 1 / (1 + 4 (dx / FWHM)^2), eta ~ U(lorentz_min, lorentz_max) per pattern. L is cut at +-20 FWHM and lowered
 * by its value there (1/1601 of the height), rescaled to keep the height, so that the cut leaves no step.
 * Measured RRUFF peaks are mostly Lorentzian: a pseudo-Voigt with a K-alpha2 copy, fitted to the 5 strongest
 * peaks of each of the 332 patterns, gives eta with 10th/50th/90th percentiles 0.42/0.74/1.00 (median over each
 * pattern's peaks), where Gaussian training renders give 0.00/0.01/0.11 (tools/peak_shape.py).
 *
 * Randomness: one pattern depends only on (options, grid, peaks, seed, item) where item is the pattern's
 * index (any 64-bit number): its generator is xs_rng_seed(seed, item). The draws come in a fixed order
 * (FWHM, zero shift, width growth, noise scale, the four backgrounds, the K-alpha2 coin, the jitter
 * generator's seed, the impurity peaks, then the noise of each grid point, then its counting noise; N is
 * drawn from a copy of the generator after the impurity peaks, so a pattern with counting noise differs
 * from the one without by that noise alone, and eta from a copy after one more draw, so a pattern with
 * pseudo-Voigt peaks has the noise and backgrounds of the one without; an option that is off draws
 * nothing, so patterns drawn without it are unchanged), so that
 * xs_aug_draw returns exactly the parameters the render of the same (seed, item) uses. A batch gives the
 * same bytes whatever the number of threads. The drawn parameters and noise values are the same on every
 * platform; the rendered floats are identical for one build, and another compiler or flag set (FMA
 * contraction) may change their last bits (below 1e-6 of the maximum).
 *
 * Training from a dataset (include/xrdsym/xs_dataset.h), one batch of crystal numbers idx[0..B-1]:
 *     for (b = 0; b < B; b++) {
 *         peaks[b].n = xs_dataset_peaks(ds, idx[b], &peaks[b].two_theta, &peaks[b].intensity);
 *         items[b] = epoch * xs_dataset_count(ds) + idx[b];  // a new augmentation of each crystal per epoch
 *     }
 *     xs_aug_render_batch(&opt, &grid, peaks, B, seed, items, 2, out, &err);  // out: B * grid.count floats
 *
 * Memory: a render allocates one scratch buffer of about count + 4 kernel widths floats (the batch one per
 * thread) and frees it before returning.
 *
 * Thread safety: every function is reentrant; inputs are only read.
 */
#ifndef XS_AUGMENT_H
#define XS_AUGMENT_H

#include <stdint.h>

#include "xrdsym/xs_common.h"
#include "xrdsym/xs_xrd.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { XS_AUG_IMPURITY_MAX = 16 };

typedef struct {
    double fwhm_min, fwhm_max;   /* degrees 2theta; default 0.04, 0.21; 0 < min <= max <= 5 */
    double kernel_sigmas;        /* half-width of the rendered Gaussian in sigmas; default 5; 2..10 */
    double noise_min, noise_max; /* default 0.002, 0.02; 0 <= min <= max */
    double background_prob;      /* default 0.5; each background's probability, 0..1 */
    double background_total;     /* default 0.1; T = total / number chosen; >= 0 */
    /* beyond the paper (0 = off, the default) */
    double zero_shift_max;       /* degrees, 0..2 */
    double kalpha2_ratio;        /* I(Ka2)/I(Ka1), 0..1 */
    double ka1, ka2;             /* angstrom, default Cu 1.540562, 1.544390 (used when kalpha2_ratio > 0) */
    double width_growth_max;     /* g of FWHM * sqrt(1 + g tan^2 theta), 0..100 */
    double noise_scale_max;      /* S: the noise of each pattern times s, ln s ~ U(0, ln S); 0 (off) or 1..100 */
    double kalpha2_prob;         /* probability of the K-alpha2 copy in a pattern when kalpha2_ratio > 0; default 1 */
    double intensity_jitter;     /* sigma: every peak's intensity times exp(sigma z), z ~ N(0, 1); 0..2 */
    int impurity_peaks_max;      /* K: m ~ U{0..K} foreign peaks per pattern; 0..XS_AUG_IMPURITY_MAX */
    double impurity_height_max;  /* h: each foreign peak's height ~ U(0, h) times the pattern's maximum; 0..1 */
    double counts_min, counts_max; /* counting noise, N counts at the maximum ~ log-uniform; 0 0 = off;
                                    * else 1 <= min <= max <= 1e9 */
    double lorentz_min, lorentz_max; /* pseudo-Voigt peaks, Lorentzian fraction eta ~ U(min, max) per pattern;
                                      * 0 0 = off (Gaussian); else 0 <= min <= max <= 1 */
    int clip_negative;           /* 1: values below 0 are set to 0 after the backgrounds */
} xs_aug_options;

void xs_aug_options_default(xs_aug_options *opt);
/* XS_ERR_RANGE (the message names the field) for a value outside its range above. */
xs_status xs_aug_options_check(const xs_aug_options *opt, xs_error *err);
/* The drawn options as one line, as model files record them ("fwhm 0.04..0.21 noise 0.002..0.02 background
 * p 0.5 total 0.1 zero_shift 0 kalpha2 0 growth 0", then " noise_scale S", " kalpha2_prob P", " jitter J"
 * , " impurity K H", " counts MIN MAX" and " lorentz MIN MAX" for those that are on), and back: parse
 * starts from the defaults (kernel_sigmas, ka1, ka2 and clip_negative stay so) and gives XS_ERR_PARSE for
 * text not of that form, XS_ERR_RANGE for values xs_aug_options_check refuses; *opt is set only on XS_OK. */
void xs_aug_options_format(const xs_aug_options *opt, char *buf, size_t size);
xs_status xs_aug_options_parse(const char *text, xs_aug_options *opt, xs_error *err);

/* The drawn background functions (see the top of this file). A function not chosen has all its
 * parameters 0. */
typedef struct {
    int n_chosen;                /* 0..4 */
    double T;                    /* background_total / n_chosen; 0 when none is chosen */
    int step_up;                 /* 1 if chosen */
    double step_up_h, step_up_a, step_up_x0;
    int step_down;
    double step_down_h, step_down_a, step_down_x0;
    int poly;
    int poly_order;              /* 0..4 */
    double poly_c[5];            /* c_0 .. c_4; 0 above poly_order */
    int bump;
    double bump_h, bump_n;
} xs_aug_background;

/* Everything drawn for one pattern except the per-point noise. */
typedef struct {
    double fwhm;                 /* degrees, at theta = 0 when width growth is on */
    double zero_shift;           /* degrees added to every peak position */
    double width_growth;         /* g */
    double noise_scale;          /* s (1 when noise_scale_max is off) */
    xs_aug_background bg;
    int kalpha2;                 /* 1: the peaks have their K-alpha2 copy */
    uint64_t jitter_seed;        /* generator of the per-peak intensity factors (0 when jitter is off) */
    int n_impurity;              /* foreign peaks: position (0..1 of the grid range) and relative height */
    double impurity_x[XS_AUG_IMPURITY_MAX], impurity_height[XS_AUG_IMPURITY_MAX];
    double counts;               /* N of the counting noise (0 when it is off) */
    double lorentz;              /* eta of the pseudo-Voigt peaks, 0..1 (0 when it is off: Gaussian) */
} xs_aug_drawn;

/* One peak list. two_theta in degrees, intensity >= 0 (any scale); both finite. Borrowed. */
typedef struct {
    const float *two_theta;
    const float *intensity;
    size_t n;
} xs_aug_peaks;

/* The parameters that rendering (seed, item) draws. opt NULL = defaults. */
xs_status xs_aug_draw(const xs_aug_options *opt, uint64_t seed, uint64_t item, xs_aug_drawn *out,
                      xs_error *err);

/* The background alone on the grid (grid->count floats, grid->count >= 2). */
xs_status xs_aug_background_render(const xs_aug_background *bg, const xs_grid *grid, float *out,
                                   xs_error *err);

/* The peaks alone with the width, shift, growth, K-alpha2 coin, intensity factors, impurity peaks and eta of d
 * (d NULL: FWHM = the mean of the option range, no shift, no growth, K-alpha2 as the options say, no
 * jitter, no impurity, eta the mean of the option range), maximum scaled to 1: xs_aug_render without noise and backgrounds. */
xs_status xs_aug_render_clean(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks,
                              const xs_aug_drawn *d, float *out, xs_error *err);

/* One augmented pattern (grid->count floats). drawn (may be NULL) receives the parameters used. */
xs_status xs_aug_render(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks,
                        uint64_t seed, uint64_t item, float *out, xs_aug_drawn *drawn, xs_error *err);

/* A batch for training: out is [n_items][grid->count] floats; row b is xs_aug_render(..., seed,
 * items ? items[b] : b, ...). n_threads <= 0: the number of online processors. All inputs are checked
 * before any work; on error out is unspecified. */
xs_status xs_aug_render_batch(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks,
                              size_t n_items, uint64_t seed, const uint64_t *items, int n_threads, float *out,
                              xs_error *err);

#ifdef __cplusplus
}
#endif
#endif
