/* Peak profiles on a 2theta grid. */
#include "xrdsym/xs_xrd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

xs_grid xs_grid_paper(void) { return (xs_grid){5.0, 0.01, 8500}; }

void xs_profile_options_default(xs_profile_options *o)
{
    memset(o, 0, sizeof *o);
    o->shape = XS_PROFILE_GAUSSIAN;
    o->fwhm = 0.1;
    o->eta = 0.5;
    o->kalpha2 = 0;
    o->ka1 = 1.540562;
    o->ka2 = 1.544390;
    o->ka2_ratio = 0.5;
}

/* Add one peak of height `height` centred at x0. Gaussian tails are cut at 3 FWHM (below 1e-10 of the
 * height); pseudo-Voigt Lorentzian tails at 100 FWHM (below 2.5e-5). */
static void add_peak(double *acc, const xs_grid *grid, double x0, double height, const xs_profile_options *o)
{
    double fwhm = o->fwhm;
    double reach = (o->shape == XS_PROFILE_GAUSSIAN) ? 3 * fwhm : 100 * fwhm;
    long lo = (long)ceil((x0 - reach - grid->start) / grid->step);
    long hi = (long)floor((x0 + reach - grid->start) / grid->step);
    if (lo < 0) lo = 0;
    if (hi > (long)grid->count - 1) hi = (long)grid->count - 1;
    const double g_coef = -4 * M_LN2 / (fwhm * fwhm);
    const double l_coef = 4 / (fwhm * fwhm);
    if (o->shape == XS_PROFILE_GAUSSIAN && lo <= hi) {
        /* On an even grid exp(c dx^2) follows from its neighbour by one product: v(i+1) = v(i) q(i) with
         * q(i) = exp(c (2 dx step + step^2)) and q(i+1) = q(i) r, r = exp(2 c step^2); going left the
         * factors are r / q and r^2 / q. Three exp calls a peak instead of one a point; two chains run
         * outwards from the point nearest the centre (independent products, and the largest values carry
         * the fewest steps). Over the 6 FWHM window (61 points at the paper's grid) the products drift by
         * ~1e-14 relative, below the float output. */
        const double st = grid->step;
        double mid = floor((x0 - grid->start) / st + 0.5);
        long m = mid < (double)lo ? lo : mid > (double)hi ? hi : (long)mid;
        double dx = grid->start + m * st - x0;
        double v = exp(g_coef * dx * dx), q = exp(g_coef * (2 * dx * st + st * st)), r = exp(2 * g_coef * st * st);
        if (q > 0 && r > 0) { /* else an FWHM far below the step: one exp a point, below */
            double vl = v * (r / q), ql = r * r / q;
            long n_right = hi - m + 1, n_left = m - lo, n = n_right > n_left ? n_right : n_left;
            for (long k = 0; k < n; k++) {
                if (k < n_right) {
                    acc[m + k] += height * v;
                    v *= q;
                    q *= r;
                }
                if (k < n_left) {
                    acc[m - 1 - k] += height * vl;
                    vl *= ql;
                    ql *= r;
                }
            }
            return;
        }
    }
    for (long i = lo; i <= hi; i++) {
        double dx = grid->start + i * grid->step - x0;
        double g = exp(g_coef * dx * dx);
        double v = (o->shape == XS_PROFILE_GAUSSIAN) ? g : o->eta / (1 + l_coef * dx * dx) + (1 - o->eta) * g;
        acc[i] += height * v;
    }
}

xs_status xs_xrd_profile(const double *two_theta, const double *intensity, size_t n, const xs_grid *grid,
                         const xs_profile_options *opt_in, float *out, xs_error *err)
{
    xs_profile_options o;
    if (opt_in) o = *opt_in;
    else xs_profile_options_default(&o);
    if (!grid || grid->count == 0 || !(grid->step > 0) || !isfinite(grid->start))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "invalid 2theta grid");
    if (!(o.fwhm > 0 && o.fwhm < 20)) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "peak FWHM %g deg outside (0, 20)", o.fwhm);
    if (!(o.eta >= 0 && o.eta <= 1)) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "pseudo-Voigt eta %g outside [0, 1]", o.eta);
    if (o.kalpha2 && !(o.ka1 > 0 && o.ka2 > 0 && o.ka2_ratio >= 0))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "K-alpha2 doublet needs both wavelengths and a ratio >= 0");
    double *acc = calloc(grid->count, sizeof *acc);
    if (!acc) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t p = 0; p < n; p++) {
        if (!isfinite(two_theta[p]) || !isfinite(intensity[p])) {
            free(acc);
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "peak %zu has a non-finite position or intensity", p + 1);
        }
        add_peak(acc, grid, two_theta[p], intensity[p], &o);
        if (o.kalpha2) {
            /* Same d, longer wavelength: sin(theta2) = (ka2 / ka1) sin(theta1). */
            double s = sin(two_theta[p] * M_PI / 360) * o.ka2 / o.ka1;
            if (s < 1) add_peak(acc, grid, 360 / M_PI * asin(s), intensity[p] * o.ka2_ratio, &o);
        }
    }
    /* Maximum with four running maxima (no chain of dependent comparisons), then scaling four points at a
     * time by the reciprocal: at most one double ulp from the quotient, which the float result absorbs. */
    double m4[4] = {0, 0, 0, 0}, mx = 0;
    size_t n4 = grid->count / 4 * 4;
    for (size_t i = 0; i < n4; i += 4)
        for (int j = 0; j < 4; j++) m4[j] = acc[i + j] > m4[j] ? acc[i + j] : m4[j];
    for (size_t i = n4; i < grid->count; i++) mx = acc[i] > mx ? acc[i] : mx;
    for (int j = 0; j < 4; j++) mx = m4[j] > mx ? m4[j] : mx;
    if (mx > 0) {
        typedef double v4d __attribute__((vector_size(4 * sizeof(double))));
        typedef float v4f __attribute__((vector_size(4 * sizeof(float))));
        const double inv = 1 / mx;
        const v4d m = {inv, inv, inv, inv};
        for (size_t i = 0; i < n4; i += 4) {
            v4d a;
            memcpy(&a, acc + i, sizeof a);
            v4f q = __builtin_convertvector(a * m, v4f);
            memcpy(out + i, &q, sizeof q);
        }
        for (size_t i = n4; i < grid->count; i++) out[i] = (float)(acc[i] * inv);
    } else {
        memset(out, 0, grid->count * sizeof *out);
    }
    free(acc);
    return XS_OK;
}
