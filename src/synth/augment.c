/* Rendering and augmentation of training patterns on the fly; definitions in include/xrdsym/xs_augment.h. */
#include "xrdsym/xs_augment.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/rng.h"

/* The kernels below are written to vectorise; -O2 (the project default) uses GCC's "very cheap" vectoriser
 * cost model, which leaves loops with a remainder scalar. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

void xs_aug_options_default(xs_aug_options *o)
{
    memset(o, 0, sizeof *o);
    o->fwhm_min = 0.04;
    o->fwhm_max = 0.21;
    o->kernel_sigmas = 5;
    o->noise_min = 0.002;
    o->noise_max = 0.02;
    o->background_prob = 0.5;
    o->background_total = 0.1;
    o->ka1 = 1.540562;
    o->ka2 = 1.544390;
    o->kalpha2_prob = 1;
}

#define RANGE_CHECK(cond, ...) \
    if (!(cond)) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, __VA_ARGS__)

xs_status xs_aug_options_check(const xs_aug_options *o, xs_error *err)
{
    if (!o) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no augmentation options");
    RANGE_CHECK(o->fwhm_min > 0 && o->fwhm_min <= o->fwhm_max && o->fwhm_max <= 5,
                "fwhm_min %g / fwhm_max %g: need 0 < min <= max <= 5 deg", o->fwhm_min, o->fwhm_max);
    RANGE_CHECK(o->kernel_sigmas >= 2 && o->kernel_sigmas <= 10, "kernel_sigmas %g outside 2..10", o->kernel_sigmas);
    RANGE_CHECK(o->noise_min >= 0 && o->noise_min <= o->noise_max && o->noise_max < 1e3,
                "noise_min %g / noise_max %g: need 0 <= min <= max", o->noise_min, o->noise_max);
    RANGE_CHECK(o->background_prob >= 0 && o->background_prob <= 1, "background_prob %g outside 0..1",
                o->background_prob);
    RANGE_CHECK(o->background_total >= 0 && o->background_total < 1e3, "background_total %g outside 0..1000",
                o->background_total);
    RANGE_CHECK(o->zero_shift_max >= 0 && o->zero_shift_max <= 2, "zero_shift_max %g outside 0..2 deg",
                o->zero_shift_max);
    RANGE_CHECK(o->kalpha2_ratio >= 0 && o->kalpha2_ratio <= 1, "kalpha2_ratio %g outside 0..1", o->kalpha2_ratio);
    RANGE_CHECK(o->kalpha2_ratio == 0 || (o->ka1 > 0.05 && o->ka2 >= o->ka1 && o->ka2 < 5),
                "ka1 %g / ka2 %g: need 0.05 < ka1 <= ka2 < 5 angstrom", o->ka1, o->ka2);
    RANGE_CHECK(o->width_growth_max >= 0 && o->width_growth_max <= 100, "width_growth_max %g outside 0..100",
                o->width_growth_max);
    RANGE_CHECK(o->kalpha2_prob >= 0 && o->kalpha2_prob <= 1, "kalpha2_prob %g outside 0..1", o->kalpha2_prob);
    RANGE_CHECK(o->intensity_jitter >= 0 && o->intensity_jitter <= 2, "intensity_jitter %g outside 0..2",
                o->intensity_jitter);
    RANGE_CHECK(o->impurity_peaks_max >= 0 && o->impurity_peaks_max <= XS_AUG_IMPURITY_MAX,
                "impurity_peaks_max %d outside 0..%d", o->impurity_peaks_max, XS_AUG_IMPURITY_MAX);
    RANGE_CHECK(o->impurity_height_max >= 0 && o->impurity_height_max <= 1, "impurity_height_max %g outside 0..1",
                o->impurity_height_max);
    RANGE_CHECK((o->counts_min == 0 && o->counts_max == 0) ||
                    (o->counts_min >= 1 && o->counts_min <= o->counts_max && o->counts_max <= 1e9),
                "counts_min %g / counts_max %g: 0 0 (off) or 1 <= min <= max <= 1e9", o->counts_min, o->counts_max);
    RANGE_CHECK(o->noise_scale_max == 0 || (o->noise_scale_max >= 1 && o->noise_scale_max <= 100),
                "noise_scale_max %g: 0 (off) or 1..100", o->noise_scale_max);
    RANGE_CHECK(o->lorentz_min >= 0 && o->lorentz_min <= o->lorentz_max && o->lorentz_max <= 1,
                "lorentz_min %g / lorentz_max %g: need 0 <= min <= max <= 1", o->lorentz_min, o->lorentz_max);
    return XS_OK;
}

void xs_aug_options_format(const xs_aug_options *o, char *buf, size_t size)
{
    int len = snprintf(buf, size, "fwhm %g..%g noise %g..%g background p %g total %g zero_shift %g kalpha2 %g growth %g",
                       o->fwhm_min, o->fwhm_max, o->noise_min, o->noise_max, o->background_prob, o->background_total,
                       o->zero_shift_max, o->kalpha2_ratio, o->width_growth_max);
#define APPEND(...)                                                                         \
    if (len > 0 && (size_t)len < size) {                                                    \
        int more = snprintf(buf + len, size - (size_t)len, __VA_ARGS__);                   \
        len = more < 0 ? -1 : len + more;                                                   \
    }
    if (o->noise_scale_max > 0) APPEND(" noise_scale %g", o->noise_scale_max);
    if (o->kalpha2_ratio > 0 && o->kalpha2_prob < 1) APPEND(" kalpha2_prob %g", o->kalpha2_prob);
    if (o->intensity_jitter > 0) APPEND(" jitter %g", o->intensity_jitter);
    if (o->impurity_peaks_max > 0) APPEND(" impurity %d %g", o->impurity_peaks_max, o->impurity_height_max);
    if (o->counts_max > 0) APPEND(" counts %.17g %.17g", o->counts_min, o->counts_max);
    if (o->lorentz_max > 0) APPEND(" lorentz %.17g %.17g", o->lorentz_min, o->lorentz_max);
#undef APPEND
}

/* The value of an optional " name values" part of a format line: 1 found and read, 0 absent, -1 malformed. */
static int optional_part(const char *buf, const char *key, const char *fmt, int n_values, void *a, void *b)
{
    const char *p = strstr(buf, key);
    if (!p) return 0;
    return sscanf(p + strlen(key), fmt, a, b) == n_values ? 1 : -1;
}

xs_status xs_aug_options_parse(const char *text, xs_aug_options *opt, xs_error *err)
{
    if (!text || !opt) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing text or options");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = strstr(buf, ".."); p; p = strstr(p, "..")) p[0] = p[1] = ' ';
    xs_aug_options a;
    xs_aug_options_default(&a);
    if (sscanf(buf, "fwhm %lf %lf noise %lf %lf background p %lf total %lf zero_shift %lf kalpha2 %lf growth %lf",
               &a.fwhm_min, &a.fwhm_max, &a.noise_min, &a.noise_max, &a.background_prob, &a.background_total,
               &a.zero_shift_max, &a.kalpha2_ratio, &a.width_growth_max) != 9 ||
        optional_part(buf, " noise_scale ", "%lf", 1, &a.noise_scale_max, NULL) < 0 ||
        optional_part(buf, " kalpha2_prob ", "%lf", 1, &a.kalpha2_prob, NULL) < 0 ||
        optional_part(buf, " jitter ", "%lf", 1, &a.intensity_jitter, NULL) < 0 ||
        optional_part(buf, " impurity ", "%d %lf", 2, &a.impurity_peaks_max, &a.impurity_height_max) < 0 ||
        optional_part(buf, " counts ", "%lf %lf", 2, &a.counts_min, &a.counts_max) < 0 ||
        optional_part(buf, " lorentz ", "%lf %lf", 2, &a.lorentz_min, &a.lorentz_max) < 0)
        return xs_error_set(err, XS_ERR_PARSE, NULL, 0, 0, "not a description of augmentation options: '%s'", text);
    xs_status st = xs_aug_options_check(&a, err);
    if (st == XS_OK) *opt = a;
    return st;
}

static xs_status check_grid(const xs_grid *g, xs_error *err)
{
    if (!g || g->count < 2 || g->count > 100000000 || !(g->step > 0) || !isfinite(g->start) ||
        !isfinite(g->start + g->step * (double)g->count))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "invalid 2theta grid (need >= 2 points and a step > 0)");
    return XS_OK;
}

static xs_status check_peaks(const xs_aug_peaks *p, size_t item, xs_error *err)
{
    if (!p || (p->n && (!p->two_theta || !p->intensity)))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "pattern %zu: missing peak arrays", item);
    for (size_t i = 0; i < p->n; i++)
        if (!isfinite(p->two_theta[i]) || !isfinite(p->intensity[i]) || p->intensity[i] < 0)
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                                "pattern %zu, peak %zu: 2theta %g, intensity %g (need finite, intensity >= 0)", item,
                                i + 1, p->two_theta[i], p->intensity[i]);
    return XS_OK;
}

/* ---- random draws ---- */

/* N(mu, sigma) truncated to [lo, hi] by rejection. Every use here keeps more than 98% of the normal, so
 * the cap is never reached in practice; it only guarantees termination (then the clamped mean). */
static double trunc_normal(xs_rng *r, double mu, double sigma, double lo, double hi)
{
    for (int tries = 0; tries < 10000; tries++) {
        double v = mu + sigma * xs_rng_normal(r);
        if (v >= lo && v <= hi) return v;
    }
    return mu < lo ? lo : mu > hi ? hi : mu;
}

/* Uniform on the outer sevenths [0, 1/7] u [6/7, 1]. */
static double outer_seventh(xs_rng *r)
{
    double u = xs_rng_uniform(r) * (2.0 / 7.0);
    return u < 1.0 / 7.0 ? u : u + 5.0 / 7.0;
}

static void draw_background(const xs_aug_options *o, xs_rng *r, xs_aug_background *bg)
{
    memset(bg, 0, sizeof *bg);
    /* Which functions: four independent draws first, since T depends on how many are chosen. */
    bg->step_up = xs_rng_uniform(r) < o->background_prob;
    bg->step_down = xs_rng_uniform(r) < o->background_prob;
    bg->poly = xs_rng_uniform(r) < o->background_prob;
    bg->bump = xs_rng_uniform(r) < o->background_prob;
    bg->n_chosen = bg->step_up + bg->step_down + bg->poly + bg->bump;
    if (!bg->n_chosen) return;
    double T = o->background_total / bg->n_chosen;
    bg->T = T;
    if (bg->step_up) {
        bg->step_up_h = trunc_normal(r, 2 * T / 3, T / 7, 0, T);
        bg->step_up_a = xs_rng_range(r, 10, 60);
        bg->step_up_x0 = outer_seventh(r);
    }
    if (bg->step_down) {
        bg->step_down_h = trunc_normal(r, 2 * T / 3, T / 7, 0, T);
        bg->step_down_a = xs_rng_range(r, 10, 60);
        bg->step_down_x0 = outer_seventh(r);
    }
    if (bg->poly) {
        bg->poly_order = (int)xs_rng_below(r, 5);
        double scale = 3 * T / (2.0 * (bg->poly_order + 1));
        for (int i = 0; i <= bg->poly_order; i++) {
            int zero = xs_rng_uniform(r) < 0.5;
            double c = xs_rng_range(r, -1, 1); /* drawn either way: a fixed number of draws per order */
            bg->poly_c[i] = zero ? 0.0 : scale * c;
        }
    }
    if (bg->bump) {
        bg->bump_h = trunc_normal(r, 2 * T / 5, 3 * T / 35, 0, 3 * T / 5);
        bg->bump_n = xs_rng_range(r, 40, 70);
    }
}

static void draw_all(const xs_aug_options *o, xs_rng *r, xs_aug_drawn *d)
{
    memset(d, 0, sizeof *d);
    d->fwhm = xs_rng_range(r, o->fwhm_min, o->fwhm_max);
    if (o->zero_shift_max > 0) d->zero_shift = xs_rng_range(r, -o->zero_shift_max, o->zero_shift_max);
    if (o->width_growth_max > 0) d->width_growth = xs_rng_range(r, 0, o->width_growth_max);
    d->noise_scale = o->noise_scale_max > 1 ? exp(xs_rng_range(r, 0, log(o->noise_scale_max))) : 1.0;
    draw_background(o, r, &d->bg);
    /* Options added later draw after the others, so that patterns drawn without them stay as they were. */
    d->kalpha2 = o->kalpha2_ratio > 0;
    if (d->kalpha2 && o->kalpha2_prob < 1) d->kalpha2 = xs_rng_uniform(r) < o->kalpha2_prob;
    if (o->intensity_jitter > 0) d->jitter_seed = xs_rng_next(r);
    if (o->impurity_peaks_max > 0) {
        d->n_impurity = (int)xs_rng_below(r, (uint64_t)o->impurity_peaks_max + 1);
        for (int k = 0; k < d->n_impurity; k++) {
            d->impurity_x[k] = xs_rng_uniform(r);
            d->impurity_height[k] = xs_rng_range(r, 0, o->impurity_height_max);
        }
    }
    if (o->counts_max > 0) {
        /* from a copy of the generator: the per-point noise seeded next stays that of the pattern without
         * counting noise, which then differs from it by the counting noise alone */
        xs_rng c = *r;
        d->counts = exp(xs_rng_range(&c, log(o->counts_min), log(o->counts_max)));
    }
    if (o->lorentz_max > 0) {
        /* a copy too, one draw past the counts' own, so that noise and backgrounds stay those of the pattern
         * with Gaussian peaks */
        xs_rng c = *r;
        (void)xs_rng_next(&c);
        d->lorentz = xs_rng_range(&c, o->lorentz_min, o->lorentz_max);
    }
}

xs_status xs_aug_draw(const xs_aug_options *opt, uint64_t seed, uint64_t item, xs_aug_drawn *out, xs_error *err)
{
    xs_aug_options def;
    if (!opt) xs_aug_options_default(&def), opt = &def;
    xs_status st = xs_aug_options_check(opt, err);
    if (st) return st;
    if (!out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no output for the drawn parameters");
    xs_rng r;
    xs_rng_seed(&r, seed, item);
    draw_all(opt, &r, out);
    return XS_OK;
}

/* ---- fast kernels ---- */

/* exp(x) in float for x in [-87, 88] (callers keep it there: every argument below is within +-85), relative
 * error below 3e-7, written so that loops
 * calling it vectorise: x / ln 2 = k + f with k rounded to nearest by the 1.5 * 2^23 trick (round-to-nearest
 * arithmetic, no library call), 2^k from the exponent bits, 2^f (|f| <= 1/2) by its Taylor polynomial of
 * degree 6, whose remainder is below (ln 2 / 2)^7 / 7! < 1.2e-7. */
static inline float aug_expf(float x)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float t = x * 1.44269504088896341f;
    union {
        float f;
        int32_t i;
    } kb, s;
    kb.f = t + magic;
    float f = t - (kb.f - magic);
    float p = 1.54035304e-4f;
    p = p * f + 1.33335581e-3f;
    p = p * f + 9.61812911e-3f;
    p = p * f + 5.55041087e-2f;
    p = p * f + 2.40226507e-1f;
    p = p * f + 6.93147181e-1f;
    p = p * f + 1.0f;
    s.i = (kb.i - 0x4B400000 + 127) << 23;
    return p * s.f;
}

/* ---- peaks ----
 * A peak at grid position u (in steps) covers the 2L + 1 grid points nearest it, j0 - L .. j0 + L with
 * j0 = round(u), L = ceil(kernel_sigmas * sigma / step). Peaks are summed into a scratch buffer with `pad`
 * spare floats on each side, so that a window that sticks out of the grid needs no clipping. */

/* Scratch of one pattern: the accumulator and the kernel table. */
typedef struct {
    float *acc;   /* pad + count + pad floats; acc[pad + j] is grid point j */
    long pad;
    float *table; /* table_len floats */
    long table_len;
} scratch;

typedef struct {
    const xs_grid *grid;
    double reach_sig;      /* kernel half-width in sigmas */
    double fwhm, shift, growth;
    double ka_ratio, ka21; /* K-alpha2 intensity ratio (0 = off) and ka2 / ka1 */
    double jitter;         /* sigma of ln(intensity factor) per peak; 0 = off */
    double lorentz;        /* eta: the Lorentzian share of every peak's height; 0 = Gaussian */
    uint64_t jitter_seed;
    int n_impurity;
    const double *impurity_x, *impurity_height;
    /* constant width (growth 0 and sigma >= 1 step): table[i] = exp(-(i - L)^2 s) for i <= 2L, 0 up to Lp */
    int use_table;
    long L, Lp;
    float s;
    const float *table;
} peak_render;

static double sigma_steps(double fwhm, const xs_grid *g) { return fwhm / (2 * sqrt(2 * M_LN2)) / g->step; }

static long half_window(double reach_sig, double sig_u) { return (long)ceil(reach_sig * sig_u); }

/* Floats of scratch a pattern needs at most: the widest kernel, FWHM fwhm_max. */
static void scratch_size(const xs_aug_options *o, double fwhm_max, const xs_grid *g, long *pad, long *table_len)
{
    long L = half_window(o->kernel_sigmas, sigma_steps(fwhm_max, g));
    *table_len = (2 * L + 1 + 7) / 8 * 8;
    *pad = *table_len + 8;
}

static float *scratch_alloc(const xs_aug_options *o, double fwhm_max, const xs_grid *g, scratch *sc)
{
    scratch_size(o, fwhm_max, g, &sc->pad, &sc->table_len);
    float *mem = malloc((size_t)(2 * sc->pad + (long)g->count + sc->table_len) * sizeof *mem);
    if (!mem) return NULL;
    sc->acc = mem;
    sc->table = mem + 2 * sc->pad + (long)g->count;
    return mem;
}

/* Direct evaluation, for widths that vary from peak to peak: acc[j] += height * exp(-(j - u)^2 s) for
 * j0 - L <= j <= j0 + L, clipped to the grid (acc points at grid point 0). */
static void add_gaussian_direct(float *restrict acc, long n, double u, double sig_u, double reach_sig, float height)
{
    double jr = floor(u + 0.5);
    long L = half_window(reach_sig, sig_u);
    if (jr + (double)L < 0 || jr - (double)L > (double)(n - 1)) return;
    /* Below a sigma of 1/5 step the window (at least 1 point each side) reaches beyond exp(-80): cut
     * there too, which keeps aug_expf's argument in its range. */
    double s_d = 0.5 / (sig_u * sig_u), rmax = sqrt(80.0 / s_d);
    double lo_d = fmax(jr - (double)L, ceil(u - rmax)), hi_d = fmin(jr + (double)L, floor(u + rmax));
    lo_d = lo_d < 0 ? 0 : lo_d;
    hi_d = hi_d > (double)(n - 1) ? (double)(n - 1) : hi_d;
    if (hi_d < lo_d) return;
    long lo = (long)lo_d, hi = (long)hi_d;
    float off = (float)((double)lo - u), s = (float)s_d;
    float *a = acc + lo;
    int m = (int)(hi - lo + 1);
    for (int k = 0; k < m; k++) {
        float dx = (float)k + off;
        a[k] += height * aug_expf(-dx * dx * s);
    }
}

/* Constant width: with k = i - L and d = u - j0 (|d| <= 1/2),
 *   exp(-(k - d)^2 s) = table[i] * exp(2 k d s) * exp(-d^2 s),
 * and exp(2 k d s) runs along 8 lanes as a geometric sequence (factor exp(16 d s) per block of 8), so a
 * peak costs one vector of exponentials and Lp / 8 multiply-adds. With sigma >= 1 step every exponent
 * here stays within +-(s (L + 8) + 8s) < 10, and the products lose at most Lp / 8 roundings. */
static void add_gaussian_table(const peak_render *pr, float *restrict acc, long n, double u, float height)
{
    double jr = floor(u + 0.5);
    const long L = pr->L;
    if (jr + (double)L < 0 || jr - (double)L > (double)(n - 1)) return;
    float *restrict dst = acc + (long)jr - L; /* within the scratch padding by construction */
    const float *restrict tab = pr->table;
    float d = (float)(u - jr), tds = 2 * d * pr->s;
    const float q8 = aug_expf(8 * tds), hc = height * aug_expf(-d * d * pr->s);
#if defined(__GNUC__) && !defined(XS_AUG_PORTABLE)
    /* 8 lanes in one vector register (GCC and Clang vector extension; loads and stores unaligned). */
    typedef float v8f __attribute__((vector_size(32)));
    v8f b, t, a;
    for (int l = 0; l < 8; l++) b[l] = aug_expf(tds * (float)(l - L)) * hc;
    for (long i = 0; i < pr->Lp; i += 8) {
        memcpy(&t, tab + i, sizeof t);
        memcpy(&a, dst + i, sizeof a);
        a += t * b;
        memcpy(dst + i, &a, sizeof a);
        b *= q8;
    }
#else
    float b[8];
    for (int l = 0; l < 8; l++) b[l] = aug_expf(tds * (float)(l - L)) * hc;
    for (long i = 0; i < pr->Lp; i += 8) {
        for (int l = 0; l < 8; l++) dst[i + l] += tab[i + l] * b[l];
        for (int l = 0; l < 8; l++) b[l] *= q8;
    }
#endif
}

/* The Lorentzian part of a pseudo-Voigt peak: acc[j] += height * (l(j - u) - c) / (1 - c) for |j - u| <= R,
 * l(x) = 1 / (1 + (x / gamma)^2), gamma = FWHM / 2, R = LORENTZ_REACH FWHM, c = l(R): the tails fall to 0 at
 * the cut instead of stopping at c (1/1601 of the height at 20 FWHM), and the height stays. Clipped to the
 * grid (acc points at grid point 0). */
#define LORENTZ_REACH 20.0
static void add_lorentzian(float *restrict acc, long n, double u, double fwhm_steps, float height)
{
    double gamma = 0.5 * fwhm_steps, reach = LORENTZ_REACH * fwhm_steps;
    double lo_d = fmax(ceil(u - reach), 0), hi_d = fmin(floor(u + reach), (double)(n - 1));
    if (hi_d < lo_d) return;
    double c = 1 / (1 + (reach / gamma) * (reach / gamma));
    long lo = (long)lo_d, hi = (long)hi_d;
    const float inv_gamma = (float)(1 / gamma), off = (float)((double)lo - u), cf = (float)c,
                h = (float)(height / (1 - c));
    float *a = acc + lo;
    int m = (int)(hi - lo + 1);
    for (int k = 0; k < m; k++) {
        float x = ((float)k + off) * inv_gamma;
        float v = 1.0f / (1.0f + x * x) - cf;
        a[k] += h * (v > 0 ? v : 0.0f);
    }
}

static void render_one_peak(const peak_render *pr, float *acc, double two_theta, double height)
{
    const xs_grid *g = pr->grid;
    double u = (two_theta - g->start) / g->step;
    double fwhm = pr->fwhm;
    if (pr->growth > 0) {
        double t = tan(two_theta * (M_PI / 360));
        fwhm *= sqrt(1 + pr->growth * t * t);
    }
    if (pr->lorentz > 0) {
        add_lorentzian(acc, (long)g->count, u, fwhm / g->step, (float)(height * pr->lorentz));
        height *= 1 - pr->lorentz;
        if (height <= 0) return;
    }
    if (pr->use_table)
        add_gaussian_table(pr, acc, (long)g->count, u, (float)height);
    else
        add_gaussian_direct(acc, (long)g->count, u, sigma_steps(fwhm, g), pr->reach_sig, (float)height);
}

static void peak_render_init(peak_render *pr, const xs_aug_options *o, const xs_grid *g, const xs_aug_drawn *d,
                             const scratch *sc)
{
    memset(pr, 0, sizeof *pr);
    pr->grid = g;
    pr->reach_sig = o->kernel_sigmas;
    pr->fwhm = d->fwhm;
    pr->shift = d->zero_shift;
    pr->growth = d->width_growth;
    pr->ka_ratio = d->kalpha2 ? o->kalpha2_ratio : 0;
    pr->ka21 = pr->ka_ratio > 0 ? o->ka2 / o->ka1 : 1;
    pr->jitter = o->intensity_jitter;
    pr->jitter_seed = d->jitter_seed;
    pr->lorentz = d->lorentz;
    pr->n_impurity = d->n_impurity;
    pr->impurity_x = d->impurity_x;
    pr->impurity_height = d->impurity_height;
    double sig_u = sigma_steps(d->fwhm, g);
    pr->use_table = d->width_growth == 0 && sig_u >= 1;
    if (pr->use_table) {
        pr->L = half_window(o->kernel_sigmas, sig_u);
        pr->Lp = (2 * pr->L + 1 + 7) / 8 * 8; /* <= sc->table_len since fwhm <= fwhm_max */
        pr->s = (float)(0.5 / (sig_u * sig_u));
        float *tab = sc->table;
        for (long i = 0; i < pr->Lp; i++) {
            float k = (float)(i - pr->L);
            tab[i] = i <= 2 * pr->L ? aug_expf(-k * k * pr->s) : 0.0f;
        }
        pr->table = tab;
    }
}

static void render_with_kalpha2(const peak_render *pr, float *acc, double two_theta, double height)
{
    render_one_peak(pr, acc, two_theta, height);
    if (pr->ka_ratio > 0) {
        double s = sin(two_theta * (M_PI / 360)) * pr->ka21;
        if (s < 1) render_one_peak(pr, acc, asin(s) * (360 / M_PI), height * pr->ka_ratio);
    }
}

/* Every value is >= 0, and non-negative floats order as their bit patterns: an integer maximum, which
 * vectorises. */
static float grid_max(const float *acc, size_t n)
{
    int32_t mx = 0;
    for (size_t j = 0; j < n; j++) {
        int32_t b;
        memcpy(&b, &acc[j], sizeof b);
        mx = b > mx ? b : mx;
    }
    float m;
    memcpy(&m, &mx, sizeof m);
    return m;
}

/* Sum of the peaks into sc->acc (unscaled); returns the pointer to grid point 0 and, in *max, the
 * maximum on the grid (0 when nothing lands on it). */
static float *render_peaks_raw(const peak_render *pr, const xs_aug_peaks *p, const scratch *sc, float *max)
{
    size_t n = pr->grid->count;
    memset(sc->acc, 0, (size_t)(2 * sc->pad + (long)n) * sizeof *sc->acc);
    float *acc = sc->acc + sc->pad;
    xs_rng jr;
    xs_rng_seed(&jr, pr->jitter_seed, 0);
    for (size_t i = 0; i < p->n; i++) {
        double h = p->intensity[i];
        if (h <= 0) continue;
        /* one factor per reflection, drawn for every listed peak whether or not it lands on the grid */
        if (pr->jitter > 0) h *= exp(pr->jitter * xs_rng_normal(&jr));
        render_with_kalpha2(pr, acc, (double)p->two_theta[i] + pr->shift, h);
    }
    float m = grid_max(acc, n);
    if (pr->n_impurity > 0 && m > 0) {
        const xs_grid *g = pr->grid;
        double first = g->start, last = g->start + g->step * (double)(g->count - 1);
        for (int k = 0; k < pr->n_impurity; k++)
            render_with_kalpha2(pr, acc, first + pr->impurity_x[k] * (last - first), pr->impurity_height[k] * m);
        m = grid_max(acc, n);
    }
    *max = m;
    return acc;
}

/* Grid indices [lo, hi) of x in [x_lo, x_hi] (x = j dx), clipped to [0, n). */
static void index_range(double x_lo, double x_hi, double dx, int n, int *lo, int *hi)
{
    double l = ceil(x_lo / dx), h = floor(x_hi / dx) + 1;
    *lo = l < 0 ? 0 : l > n ? n : (int)l;
    *hi = h < 0 ? 0 : h > n ? n : (int)h;
    if (*hi < *lo) *hi = *lo;
}

/* Where a logistic step is saturated, |a (x - x0)| > SAT, it differs from 0 or h by less than
 * exp(-SAT) h = 4e-8 h, below the float resolution of the sum; only the rest is evaluated. The bump
 * h t exp(1 - t) (t = n x) is below 1e-8 h for t > 25. */
#define SAT 17.0

static void add_step(float *restrict out, int n, float dx, double h, double a, double x0, int up)
{
    int lo, hi;
    index_range(x0 - SAT / a, x0 + SAT / a, dx, n, &lo, &hi);
    const float hf = (float)h, af = up ? -(float)a : (float)a, x0f = (float)x0;
    for (int j = 0; j < lo; j++) out[j] += up ? 0.0f : hf;
    for (int j = lo; j < hi; j++) out[j] += hf / (1.0f + aug_expf(af * ((float)j * dx - x0f)));
    for (int j = hi; j < n; j++) out[j] += up ? hf : 0.0f;
}

/* out[j] += background(x_j), x_j = j / (n - 1). */
static void add_background(const xs_aug_background *bg, size_t n_points, float *restrict out)
{
    const int n = (int)n_points;
    const float dx = 1.0f / (float)(n - 1);
    if (bg->step_up) add_step(out, n, dx, bg->step_up_h, bg->step_up_a, bg->step_up_x0, 1);
    if (bg->step_down) add_step(out, n, dx, bg->step_down_h, bg->step_down_a, bg->step_down_x0, 0);
    if (bg->poly) {
        const float c0 = (float)bg->poly_c[0], c1 = (float)bg->poly_c[1], c2 = (float)bg->poly_c[2],
                    c3 = (float)bg->poly_c[3], c4 = (float)bg->poly_c[4];
        for (int j = 0; j < n; j++) {
            float x = (float)j * dx;
            out[j] += (((c4 * x + c3) * x + c2) * x + c1) * x + c0;
        }
    }
    if (bg->bump && bg->bump_n > 0) {
        const float h = (float)bg->bump_h, nn = (float)bg->bump_n;
        int lo, hi;
        index_range(0, 25.0 / bg->bump_n, dx, n, &lo, &hi);
        for (int j = 0; j < hi; j++) {
            float t = nn * ((float)j * dx);
            out[j] += h * t * aug_expf(1.0f - t);
        }
    }
}

xs_status xs_aug_background_render(const xs_aug_background *bg, const xs_grid *grid, float *out, xs_error *err)
{
    xs_status st = check_grid(grid, err);
    if (st) return st;
    if (!bg || !out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no background or no output");
    /* aug_expf needs its arguments within +-87: |a (x - x0)| <= 85 and n x <= 85 on x in [0, 1]. */
    int ok = (!bg->step_up || (bg->step_up_a >= 0 && bg->step_up_a <= 85 && bg->step_up_x0 >= 0 && bg->step_up_x0 <= 1)) &&
             (!bg->step_down || (bg->step_down_a >= 0 && bg->step_down_a <= 85 && bg->step_down_x0 >= 0 &&
                                 bg->step_down_x0 <= 1)) &&
             (!bg->bump || (bg->bump_n >= 0 && bg->bump_n <= 85));
    for (int i = 0; i < 5; i++) ok = ok && isfinite(bg->poly_c[i]);
    ok = ok && isfinite(bg->step_up_h) && isfinite(bg->step_down_h) && isfinite(bg->bump_h);
    if (!ok)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0,
                            "background parameters out of range (need a and n in 0..85, x0 in 0..1, finite h and c)");
    memset(out, 0, grid->count * sizeof *out);
    add_background(bg, grid->count, out);
    return XS_OK;
}

xs_status xs_aug_render_clean(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks,
                              const xs_aug_drawn *d, float *out, xs_error *err)
{
    xs_aug_options def;
    if (!opt) xs_aug_options_default(&def), opt = &def;
    xs_status st = xs_aug_options_check(opt, err);
    if (!st) st = check_grid(grid, err);
    if (!st) st = check_peaks(peaks, 0, err);
    if (st) return st;
    if (!out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no output buffer");
    xs_aug_drawn plain;
    if (!d) {
        memset(&plain, 0, sizeof plain);
        plain.fwhm = 0.5 * (opt->fwhm_min + opt->fwhm_max);
        plain.kalpha2 = opt->kalpha2_ratio > 0;
        plain.lorentz = 0.5 * (opt->lorentz_min + opt->lorentz_max);
        d = &plain;
    }
    int impurities_ok = d->n_impurity >= 0 && d->n_impurity <= XS_AUG_IMPURITY_MAX;
    for (int k = 0; impurities_ok && k < d->n_impurity; k++)
        impurities_ok = d->impurity_x[k] >= 0 && d->impurity_x[k] <= 1 && d->impurity_height[k] >= 0 &&
                        d->impurity_height[k] <= 1;
    if (!impurities_ok) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "drawn impurity peaks out of range");
    if (!(d->fwhm > 0 && d->fwhm <= 5) || !isfinite(d->zero_shift) || !(d->width_growth >= 0) ||
        !(d->lorentz >= 0 && d->lorentz <= 1))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "drawn FWHM %g / shift %g / growth %g / eta %g out of range",
                            d->fwhm, d->zero_shift, d->width_growth, d->lorentz);
    scratch sc;
    float *mem = scratch_alloc(opt, fmax(opt->fwhm_max, d->fwhm), grid, &sc);
    if (!mem) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    peak_render pr;
    peak_render_init(&pr, opt, grid, d, &sc);
    float mx;
    const float *acc = render_peaks_raw(&pr, peaks, &sc, &mx);
    /* x / mx is at most 1 for x <= mx, and exactly 1 at the maximum. */
    for (size_t j = 0; j < grid->count; j++) out[j] = mx > 0 ? acc[j] / mx : 0.0f;
    free(mem);
    return XS_OK;
}

/* Per-point noise: 8 xoshiro256** generators side by side, seeded from the pattern's own generator; each
 * 64-bit output gives two uniforms in [0, 1) of 23 bits (its upper and lower 32-bit halves, top 23 bits
 * each, as the mantissa of a float in [1, 2), minus 1). A block is 16 values: the upper halves of lanes
 * 0..7, then the lower halves. With GCC or Clang the lanes are vector registers; the portable loop gives
 * the same numbers. */
enum { NOISE_LANES = 8, NOISE_BLOCK = 2 * NOISE_LANES };
typedef struct {
    uint64_t s[4][NOISE_LANES];
} noise_lanes;

static void noise_seed(noise_lanes *nl, xs_rng *r)
{
    uint64_t base = xs_rng_next(r);
    for (int l = 0; l < NOISE_LANES; l++) {
        xs_rng lane;
        xs_rng_seed(&lane, base, (uint64_t)l);
        for (int k = 0; k < 4; k++) nl->s[k][l] = lane.s[k];
    }
}

/* One xoshiro256** step on scalars or on vectors of lanes (the same operators): output x, state s0..s3;
 * the multiplications by 5 and 9 as shifts and adds, which AVX2 has for 64-bit lanes. */
#define XOSHIRO_STEP(s0, s1, s2, s3, x, t) \
    do {                                   \
        x = (s1 << 2) + s1;                \
        x = (x << 7) | (x >> 57);          \
        x = (x << 3) + x;                  \
        t = s1 << 17;                      \
        s2 ^= s0;                          \
        s3 ^= s1;                          \
        s1 ^= s2;                          \
        s0 ^= s3;                          \
        s2 ^= t;                           \
        s3 = (s3 << 45) | (s3 >> 19);      \
    } while (0)


#if defined(__GNUC__) && !defined(XS_AUG_PORTABLE)
typedef uint64_t v4u64 __attribute__((vector_size(32)));
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));

static inline v4f unit_from_bits4(v4u32 h)
{
    h = (h >> 9) | 0x3F800000u;
    v4f f;
    memcpy(&f, &h, sizeof f);
    return f - 1.0f;
}

static inline void noise_block(noise_lanes *restrict nl, float *restrict u)
{
    for (int v = 0; v < 2; v++) {
        v4u64 s0, s1, s2, s3;
        memcpy(&s0, &nl->s[0][4 * v], sizeof s0);
        memcpy(&s1, &nl->s[1][4 * v], sizeof s1);
        memcpy(&s2, &nl->s[2][4 * v], sizeof s2);
        memcpy(&s3, &nl->s[3][4 * v], sizeof s3);
        v4u64 x, t;
        XOSHIRO_STEP(s0, s1, s2, s3, x, t);
        memcpy(&nl->s[0][4 * v], &s0, sizeof s0);
        memcpy(&nl->s[1][4 * v], &s1, sizeof s1);
        memcpy(&nl->s[2][4 * v], &s2, sizeof s2);
        memcpy(&nl->s[3][4 * v], &s3, sizeof s3);
        v4f hi = unit_from_bits4(__builtin_convertvector(x >> 32, v4u32));
        v4f lo = unit_from_bits4(__builtin_convertvector(x & 0xFFFFFFFFu, v4u32));
        memcpy(u + 4 * v, &hi, sizeof hi);
        memcpy(u + NOISE_LANES + 4 * v, &lo, sizeof lo);
    }
}
#else
static inline float unit_from_bits(uint32_t h)
{
    union {
        uint32_t i;
        float f;
    } v;
    v.i = (h >> 9) | 0x3F800000u;
    return v.f - 1.0f;
}

static inline void noise_block(noise_lanes *restrict nl, float *restrict u)
{
    for (int l = 0; l < NOISE_LANES; l++) {
        uint64_t s0 = nl->s[0][l], s1 = nl->s[1][l], s2 = nl->s[2][l], s3 = nl->s[3][l];
        uint64_t x, t;
        XOSHIRO_STEP(s0, s1, s2, s3, x, t);
        nl->s[0][l] = s0, nl->s[1][l] = s1, nl->s[2][l] = s2, nl->s[3][l] = s3;
        u[l] = unit_from_bits((uint32_t)(x >> 32));
        u[NOISE_LANES + l] = unit_from_bits((uint32_t)x);
    }
}
#endif

/* The whole pattern; inputs already checked. */
static void render_checked(const xs_aug_options *o, const xs_grid *g, const xs_aug_peaks *p, uint64_t seed,
                           uint64_t item, float *restrict out, xs_aug_drawn *drawn, const scratch *sc)
{
    xs_rng r;
    xs_rng_seed(&r, seed, item);
    xs_aug_drawn d;
    draw_all(o, &r, &d);
    peak_render pr;
    peak_render_init(&pr, o, g, &d, sc);
    float mx;
    const float *restrict acc = render_peaks_raw(&pr, p, sc, &mx);
    size_t n = g->count;
    const float lo = (float)(o->noise_min * d.noise_scale), span = (float)((o->noise_max - o->noise_min) * d.noise_scale);
    const float inv = mx > 0 ? 1.0f : 0.0f, div = mx > 0 ? mx : 1.0f;
    noise_lanes nl;
    noise_seed(&nl, &r);
    float u[NOISE_BLOCK];
    for (size_t j0 = 0; j0 < n; j0 += NOISE_BLOCK) {
        noise_block(&nl, u);
        size_t m = n - j0 < NOISE_BLOCK ? n - j0 : NOISE_BLOCK;
        float *o_ = out + j0;
        const float *a_ = acc + j0;
        for (size_t k = 0; k < m; k++) o_[k] = inv * (a_[k] / div) + (lo + span * u[k]);
    }
    add_background(&d.bg, n, out);
    if (d.counts > 0) {
        /* Poisson variance y / N (y in units of the maximum), with a uniform of that variance: the draws go on
         * from the lanes of the noise above */
        const float inv_counts = (float)(1.0 / d.counts), root12 = 3.4641016f;
        for (size_t j0 = 0; j0 < n; j0 += NOISE_BLOCK) {
            noise_block(&nl, u);
            size_t m = n - j0 < NOISE_BLOCK ? n - j0 : NOISE_BLOCK;
            float *o_ = out + j0;
            for (size_t k = 0; k < m; k++) {
                float y = o_[k] > 0 ? o_[k] : 0.0f;
                o_[k] += sqrtf(y * inv_counts) * root12 * (u[k] - 0.5f);
            }
        }
    }
    if (o->clip_negative)
        for (size_t k = 0; k < n; k++) out[k] = out[k] < 0 ? 0 : out[k];
    if (drawn) *drawn = d;
}

xs_status xs_aug_render(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks, uint64_t seed,
                        uint64_t item, float *out, xs_aug_drawn *drawn, xs_error *err)
{
    xs_aug_options def;
    if (!opt) xs_aug_options_default(&def), opt = &def;
    xs_status st = xs_aug_options_check(opt, err);
    if (!st) st = check_grid(grid, err);
    if (!st) st = check_peaks(peaks, item, err);
    if (st) return st;
    if (!out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no output buffer");
    scratch sc;
    float *mem = scratch_alloc(opt, opt->fwhm_max, grid, &sc);
    if (!mem) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    render_checked(opt, grid, peaks, seed, item, out, drawn, &sc);
    free(mem);
    return XS_OK;
}

/* ---- batches ---- */

typedef struct {
    const xs_aug_options *opt;
    const xs_grid *grid;
    const xs_aug_peaks *peaks;
    size_t n_items;
    uint64_t seed;
    const uint64_t *items;
    float *out;
    atomic_size_t next; /* first item of the next chunk to hand out */
} batch_job;
/* A worker that cannot get its scratch takes no items; the others render them. */

enum { BATCH_CHUNK = 8 };

static void *batch_worker(void *arg)
{
    batch_job *job = arg;
    scratch sc;
    float *mem = scratch_alloc(job->opt, job->opt->fwhm_max, job->grid, &sc);
    if (!mem) return NULL;
    for (;;) {
        size_t b0 = atomic_fetch_add(&job->next, (size_t)BATCH_CHUNK);
        if (b0 >= job->n_items) break;
        size_t b1 = b0 + BATCH_CHUNK < job->n_items ? b0 + BATCH_CHUNK : job->n_items;
        for (size_t b = b0; b < b1; b++)
            render_checked(job->opt, job->grid, &job->peaks[b], job->seed, job->items ? job->items[b] : b,
                           job->out + b * job->grid->count, NULL, &sc);
    }
    free(mem);
    return NULL;
}

xs_status xs_aug_render_batch(const xs_aug_options *opt, const xs_grid *grid, const xs_aug_peaks *peaks,
                              size_t n_items, uint64_t seed, const uint64_t *items, int n_threads, float *out,
                              xs_error *err)
{
    xs_aug_options def;
    if (!opt) xs_aug_options_default(&def), opt = &def;
    xs_status st = xs_aug_options_check(opt, err);
    if (!st) st = check_grid(grid, err);
    if (st) return st;
    if (n_items == 0) return XS_OK;
    if (!peaks || !out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no peak lists or no output buffer");
    for (size_t b = 0; b < n_items; b++)
        if ((st = check_peaks(&peaks[b], b, err))) return st;
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)(c < 256 ? c : 256) : 1;
    }
    size_t chunks = (n_items + BATCH_CHUNK - 1) / BATCH_CHUNK;
    if ((size_t)n_threads > chunks) n_threads = (int)chunks;
    batch_job job = {opt, grid, peaks, n_items, seed, items, out, 0};
    atomic_init(&job.next, 0);
    pthread_t *tid = n_threads > 1 ? malloc((size_t)(n_threads - 1) * sizeof *tid) : NULL;
    int started = 0;
    if (tid)
        for (; started < n_threads - 1; started++)
            if (pthread_create(&tid[started], NULL, batch_worker, &job)) break; /* fewer threads still finish */
    batch_worker(&job);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    if (atomic_load(&job.next) < n_items) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return XS_OK;
}
