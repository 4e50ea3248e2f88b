/* Rendering and augmentation: the drawn parameters against their definitions (100,000 draws), rendering
 * (position, maximum, width), the background functions against their formulas, the noise, determinism
 * across threads, errors.
 *
 * Statistical checks: every frequency and moment is compared with its exact value within Z_TOL standard
 * errors. The draws are seeded, so the test is deterministic; Z_TOL = 5 bounds the chance that some seed
 * would fail one of the ~100 checks by about 100 * 5.7e-7 = 6e-5. */
#include "xrdsym.h"
#include "xs_test.h"

#include <stdint.h>

#define N_DRAWS 100000
#define Z_TOL 5.0

/* ---- statistics helpers ---- */

static double phi(double z) { return exp(-0.5 * z * z) / sqrt(2 * M_PI); }
static double Phi(double z) { return 0.5 * erfc(-z / sqrt(2)); }

/* Mean and variance of N(mu, sigma) truncated to [lo, hi]. */
static void trunc_normal_moments(double mu, double sigma, double lo, double hi, double *mean, double *var)
{
    double a = (lo - mu) / sigma, b = (hi - mu) / sigma, Z = Phi(b) - Phi(a);
    double r = (phi(a) - phi(b)) / Z;
    *mean = mu + sigma * r;
    *var = sigma * sigma * (1 + (a * phi(a) - b * phi(b)) / Z - r * r);
}

/* A frequency k/n against probability p, within Z_TOL binomial standard errors. */
static void check_freq(const char *what, size_t k, size_t n, double p)
{
    double se = sqrt(p * (1 - p) / (double)n);
    double f = (double)k / (double)n;
    CHECK(fabs(f - p) <= Z_TOL * se, "%s: frequency %.5f vs %.5f (n %zu, %.1f standard errors)", what, f, p, n,
          fabs(f - p) / se);
    printf("  %-48s n %6zu  frequency %.5f  exact %.5f  z %+.2f\n", what, n, f, p, (f - p) / se);
}

/* Sample mean and variance against exact values. The standard error of the mean is sqrt(var / n); that of
 * the sample variance sqrt((m4 - var^2) / n), with the fourth central moment m4 taken from the sample
 * (its own relative error at n >= 10^4 is a few percent, small against the Z_TOL margin). */
static void check_moments(const char *what, const double *x, size_t n, double mean, double var)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    double s2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        s2 += d * d;
        m4 += d * d * d * d;
    }
    s2 /= (double)(n - 1);
    m4 /= (double)n;
    double se_m = sqrt(var / (double)n), se_v = sqrt(fmax(m4 - s2 * s2, 0) / (double)n);
    CHECK(n > 1000, "%s: only %zu samples", what, n);
    CHECK(fabs(m - mean) <= Z_TOL * se_m, "%s: mean %.6g vs %.6g (%.1f standard errors)", what, m, mean,
          fabs(m - mean) / se_m);
    CHECK(fabs(s2 - var) <= Z_TOL * se_v, "%s: variance %.6g vs %.6g (%.1f standard errors)", what, s2, var,
          fabs(s2 - var) / se_v);
    printf("  %-48s n %6zu  mean %.6g (exact %.6g, z %+.2f)  variance %.6g (exact %.6g, z %+.2f)\n", what, n, m,
           mean, (m - mean) / se_m, s2, var, (s2 - var) / se_v);
}

/* Mean and variance of the uniform distribution on [l, u]. */
static double u_mean(double l, double u) { return 0.5 * (l + u); }
static double u_var(double l, double u) { return (u - l) * (u - l) / 12; }

typedef struct {
    double *v;
    size_t n;
} sample;

static void push(sample *s, double x) { s->v[s->n++] = x; }
static sample new_sample(void) { return (sample){malloc(N_DRAWS * sizeof(double)), 0}; }

/* ---- the drawn parameters ---- */

static void test_draw_statistics(void)
{
    xs_aug_options o;
    xs_aug_options_default(&o);
    sample up_h = new_sample(), up_a = new_sample(), up_x = new_sample(), dn_h = new_sample(), dn_a = new_sample(),
           dn_x = new_sample(), pc = new_sample(), bu_h = new_sample(), bu_n = new_sample(), fw = new_sample();
    size_t chosen[4] = {0}, pair[4][4] = {{0}}, k_count[5] = {0}, order_count[5] = {0}, n_poly = 0;
    size_t coef_slots = 0, coef_zero = 0, x0_low = 0, n_steps = 0;
    int bad_T = 0, bad_range = 0, bad_high_coef = 0, bad_unchosen = 0;
    xs_error err = {0};
    for (size_t i = 0; i < N_DRAWS; i++) {
        xs_aug_drawn d;
        if (xs_aug_draw(&o, 2024, i, &d, &err)) {
            CHECK(0, "draw %zu: %s", i, err.message);
            break;
        }
        const xs_aug_background *b = &d.bg;
        push(&fw, d.fwhm);
        bad_range += !(d.fwhm >= 0.04 && d.fwhm <= 0.21) || d.zero_shift != 0 || d.width_growth != 0;
        int c[4] = {b->step_up, b->step_down, b->poly, b->bump};
        int k = c[0] + c[1] + c[2] + c[3];
        bad_T += b->n_chosen != k || (k ? fabs(b->T - 0.1 / k) > 1e-15 : b->T != 0);
        k_count[k]++;
        for (int f = 0; f < 4; f++) {
            chosen[f] += c[f];
            for (int g = f + 1; g < 4; g++) pair[f][g] += c[f] && c[g];
        }
        double T = b->T;
        if (b->step_up) {
            push(&up_h, b->step_up_h / T), push(&up_a, b->step_up_a), push(&up_x, b->step_up_x0);
            bad_range += !(b->step_up_h >= 0 && b->step_up_h <= T);
        } else bad_unchosen += b->step_up_h != 0 || b->step_up_a != 0 || b->step_up_x0 != 0;
        if (b->step_down) {
            push(&dn_h, b->step_down_h / T), push(&dn_a, b->step_down_a), push(&dn_x, b->step_down_x0);
            bad_range += !(b->step_down_h >= 0 && b->step_down_h <= T);
        } else bad_unchosen += b->step_down_h != 0 || b->step_down_a != 0 || b->step_down_x0 != 0;
        if (b->step_up || b->step_down) {
            double xs[2] = {b->step_up_x0, b->step_down_x0};
            int cs[2] = {b->step_up, b->step_down};
            for (int s = 0; s < 2; s++) {
                if (!cs[s]) continue;
                n_steps++;
                x0_low += xs[s] <= 1.0 / 7;
                bad_range += !((xs[s] >= 0 && xs[s] <= 1.0 / 7) || (xs[s] >= 6.0 / 7 && xs[s] <= 1));
            }
            bad_range += (b->step_up && !(b->step_up_a >= 10 && b->step_up_a <= 60)) ||
                         (b->step_down && !(b->step_down_a >= 10 && b->step_down_a <= 60));
        }
        if (b->poly) {
            n_poly++;
            order_count[b->poly_order]++;
            double scale = 3 * T / (2.0 * (b->poly_order + 1));
            for (int j = 0; j < 5; j++) {
                if (j > b->poly_order) {
                    bad_high_coef += b->poly_c[j] != 0;
                    continue;
                }
                coef_slots++;
                if (b->poly_c[j] == 0) coef_zero++;
                else push(&pc, b->poly_c[j] / scale);
                bad_range += fabs(b->poly_c[j]) > scale;
            }
        } else {
            bad_unchosen += b->poly_order != 0;
            for (int j = 0; j < 5; j++) bad_unchosen += b->poly_c[j] != 0;
        }
        if (b->bump) {
            push(&bu_h, b->bump_h / T), push(&bu_n, b->bump_n);
            bad_range += !(b->bump_h >= 0 && b->bump_h <= 0.6 * T) || !(b->bump_n >= 40 && b->bump_n <= 70);
        } else bad_unchosen += b->bump_h != 0 || b->bump_n != 0;
    }
    CHECK(!bad_T, "%d draws with n_chosen or T = 0.1 / n_chosen wrong", bad_T);
    CHECK(!bad_range, "%d values outside their supports", bad_range);
    CHECK(!bad_high_coef, "%d polynomial coefficients above the order are not 0", bad_high_coef);
    CHECK(!bad_unchosen, "%d parameters of functions not chosen are not 0", bad_unchosen);

    /* Which functions: each with probability 1/2, independently; their number Binomial(4, 1/2). */
    const char *names[4] = {"step up chosen", "step down chosen", "polynomial chosen", "bump chosen"};
    for (int f = 0; f < 4; f++) check_freq(names[f], chosen[f], N_DRAWS, 0.5);
    for (int f = 0; f < 4; f++)
        for (int g = f + 1; g < 4; g++) {
            char what[96];
            snprintf(what, sizeof what, "%s and %s", names[f], names[g]);
            check_freq(what, pair[f][g], N_DRAWS, 0.25);
        }
    const double binom4[5] = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};
    for (int k = 0; k <= 4; k++) {
        char what[64];
        snprintf(what, sizeof what, "%d functions chosen", k);
        check_freq(what, k_count[k], N_DRAWS, binom4[k]);
    }

    /* Steps: h / T ~ N(2/3, 1/7) truncated to [0, 1]; a ~ U(10, 60); x0 ~ U([0, 1/7] u [6/7, 1]). */
    double m, v;
    trunc_normal_moments(2.0 / 3, 1.0 / 7, 0, 1, &m, &v);
    check_moments("step up h / T", up_h.v, up_h.n, m, v);
    check_moments("step down h / T", dn_h.v, dn_h.n, m, v);
    check_moments("step up a", up_a.v, up_a.n, u_mean(10, 60), u_var(10, 60));
    check_moments("step down a", dn_a.v, dn_a.n, u_mean(10, 60), u_var(10, 60));
    /* Uniform on the two outer sevenths: mean 1/2; E[x^2] = ((1/7)^3 + 1 - (6/7)^3) / (3 * 2/7). */
    double ex2 = (pow(1.0 / 7, 3) + 1 - pow(6.0 / 7, 3)) / (3 * 2.0 / 7);
    check_moments("step up x0", up_x.v, up_x.n, 0.5, ex2 - 0.25);
    check_moments("step down x0", dn_x.v, dn_x.n, 0.5, ex2 - 0.25);
    check_freq("step x0 in the low seventh", x0_low, n_steps, 0.5);

    /* Polynomial: order uniform on 0..4; each coefficient 0 with probability 1/2, else
     * 3T / (2 (n + 1)) U(-1, 1). */
    for (int k = 0; k <= 4; k++) {
        char what[64];
        snprintf(what, sizeof what, "polynomial order %d", k);
        check_freq(what, order_count[k], n_poly, 0.2);
    }
    check_freq("polynomial coefficient is 0", coef_zero, coef_slots, 0.5);
    check_moments("polynomial coefficient / (3T / (2 (n + 1)))", pc.v, pc.n, 0, 1.0 / 3);

    /* Bump: h / T ~ N(2/5, 3/35) truncated to [0, 3/5]; n ~ U(40, 70). */
    trunc_normal_moments(2.0 / 5, 3.0 / 35, 0, 3.0 / 5, &m, &v);
    check_moments("bump h / T", bu_h.v, bu_h.n, m, v);
    check_moments("bump n", bu_n.v, bu_n.n, u_mean(40, 70), u_var(40, 70));

    /* Peak width: FWHM ~ U(0.04, 0.21) deg. */
    check_moments("FWHM", fw.v, fw.n, u_mean(0.04, 0.21), u_var(0.04, 0.21));
    printf("draws: %zu; chosen %zu %zu %zu %zu; polynomial coefficients %zu (%zu zero)\n", (size_t)N_DRAWS,
           chosen[0], chosen[1], chosen[2], chosen[3], coef_slots, coef_zero);

    sample all[] = {up_h, up_a, up_x, dn_h, dn_a, dn_x, pc, bu_h, bu_n, fw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i].v);

    /* Options beyond the paper: zero shift ~ U(-s, s), growth ~ U(0, g). */
    o.zero_shift_max = 0.3;
    o.width_growth_max = 2;
    sample zs = new_sample(), wg = new_sample();
    for (size_t i = 0; i < 20000; i++) {
        xs_aug_drawn d;
        xs_aug_draw(&o, 99, i, &d, NULL);
        push(&zs, d.zero_shift), push(&wg, d.width_growth);
    }
    check_moments("zero shift", zs.v, zs.n, 0, u_var(-0.3, 0.3));
    check_moments("width growth", wg.v, wg.n, u_mean(0, 2), u_var(0, 2));
    free(zs.v), free(wg.v);
}

/* ---- the background functions against their formulas ---- */

static double bg_formula(const xs_aug_background *b, double x)
{
    double y = 0;
    if (b->step_up) y += b->step_up_h / (1 + exp(-b->step_up_a * (x - b->step_up_x0)));
    if (b->step_down) y += b->step_down_h / (1 + exp(b->step_down_a * (x - b->step_down_x0)));
    if (b->poly)
        for (int i = 0; i <= b->poly_order; i++) y += b->poly_c[i] * pow(x, i);
    if (b->bump) y += b->bump_h * b->bump_n * x * exp(1 - b->bump_n * x);
    return y;
}

static void test_background_render(void)
{
    xs_grid g = xs_grid_paper();
    float *y = malloc(g.count * sizeof *y);
    double worst = 0;
    xs_error err = {0};
    for (uint64_t i = 0; i < 200; i++) {
        xs_aug_drawn d;
        xs_aug_draw(NULL, 5, i, &d, NULL);
        /* every function, so that each formula is exercised with the drawn numbers */
        d.bg.step_up = d.bg.step_down = d.bg.poly = d.bg.bump = 1;
        if (d.bg.T == 0) continue;
        if (!d.bg.step_up_a) d.bg.step_up_a = 35, d.bg.step_up_x0 = 0.9, d.bg.step_up_h = 0.05;
        if (!d.bg.step_down_a) d.bg.step_down_a = 12, d.bg.step_down_x0 = 0.1, d.bg.step_down_h = 0.05;
        if (!d.bg.bump_n) d.bg.bump_n = 55, d.bg.bump_h = 0.02;
        if (xs_aug_background_render(&d.bg, &g, y, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        for (size_t j = 0; j < g.count; j++) {
            double e = fabs(y[j] - bg_formula(&d.bg, (double)j / (double)(g.count - 1)));
            worst = e > worst ? e : worst;
        }
    }
    /* Float evaluation: x = j * dx carries a relative rounding of ~1e-7, which the steepest term (a <= 60,
     * h <= 0.1: slope h a / 4 <= 1.5 per unit x) turns into < 2e-7; the exp approximation adds < 3e-7 of
     * each term (< 0.1), the sum of four terms a few float roundings (6e-9 each). 2e-6 leaves a margin of 3. */
    CHECK(worst < 2e-6, "background render vs formula: largest difference %.3g", worst);
    printf("background render vs formula: largest difference %.3g\n", worst);
    /* parameters that would leave the exp approximation's range are refused */
    xs_aug_background b = {0};
    b.step_up = 1, b.step_up_a = 1000, b.step_up_h = 0.1, b.step_up_x0 = 0.5;
    CHECK(xs_aug_background_render(&b, &g, y, NULL) == XS_ERR_RANGE, "a = 1000 refused");
    free(y);
}

/* ---- rendering ---- */

/* Centre (first moment) and variance (second central moment) of y over 2theta. */
static void moments_of(const float *y, const xs_grid *g, size_t lo, size_t hi, double *centre, double *var)
{
    double s0 = 0, s1 = 0, s2 = 0;
    for (size_t j = lo; j <= hi; j++) s0 += y[j], s1 += y[j] * (g->start + g->step * j);
    *centre = s1 / s0;
    for (size_t j = lo; j <= hi; j++) {
        double d = g->start + g->step * j - *centre;
        s2 += y[j] * d * d;
    }
    *var = s2 / s0;
}

static size_t argmax(const float *y, size_t n)
{
    size_t m = 0;
    for (size_t j = 1; j < n; j++) m = y[j] > y[m] ? j : m;
    return m;
}

static void test_render_peaks(void)
{
    xs_grid g = xs_grid_paper();
    float *y = malloc(g.count * sizeof *y);
    xs_aug_options o;
    xs_aug_options_default(&o);
    xs_error err = {0};
    xs_aug_drawn d = {0};
    d.fwhm = 0.1;
    const double sigma2 = 0.1 * 0.1 / (8 * M_LN2);

    /* One peak on a grid point: maximum exactly 1 there, 1/2 at +-FWHM/2 (5 points). */
    float tt[3] = {30.0f, 60.0f, 95.0f}, in[3] = {100, 50, 70};
    xs_aug_peaks one = {tt, in, 1};
    CHECK(xs_aug_render_clean(&o, &g, &one, &d, y, &err) == XS_OK, "%s", err.message);
    CHECK(argmax(y, g.count) == 2500, "peak at 30 deg at index %zu", argmax(y, g.count));
    CHECK(y[2500] == 1.0f, "maximum %.9g, not 1", y[2500]);
    /* 1/2 at half the FWHM: float Gaussian with the exp approximation, relative error < 1e-6 */
    CHECK_NEAR(y[2495], 0.5, 1e-6, "value at -FWHM/2");
    CHECK_NEAR(y[2505], 0.5, 1e-6, "value at +FWHM/2");
    double c, v;
    moments_of(y, &g, 2400, 2600, &c, &v);
    /* The kernel is cut at 5 sigma, which removes 1.6e-5 of the second moment; sums over a sampled
     * Gaussian with sigma = 4.2 steps equal the integrals to far below that. 1e-4 relative. */
    CHECK(fabs(v / sigma2 - 1) < 1e-4, "variance %.6g vs sigma^2 %.6g", v, sigma2);
    CHECK(fabs(c - 30) < 1e-6, "centre %.8f", c);
    /* The kernel covers the grid points within L = ceil(5 sigma / step) = ceil(21.23) = 22 of the nearest
     * point. */
    CHECK(y[2500 + 23] == 0 && y[2500 - 23] == 0 && y[2500 + 22] > 0 && y[2500 - 22] > 0, "kernel cut at 22 points");

    /* The per-pattern table (constant width) against direct evaluation (used when the width varies from
     * peak to peak; a growth of 1e-12 selects it and widens by < 1e-11): both are float evaluations of the
     * same Gaussian, the table path with up to Lp / 8 = 6 extra roundings and three exp approximations
     * (3e-7 each) per value, so they agree to ~2e-6 of the maximum. */
    {
        float tt2[4] = {20.0031f, 20.05f, 47.3333f, 88.01f}, in2[4] = {30, 100, 60, 10};
        xs_aug_peaks four = {tt2, in2, 4};
        float *y2 = malloc(g.count * sizeof *y2);
        xs_aug_drawn dt = d, dd = d;
        dd.width_growth = 1e-12;
        double worst = 0;
        for (int w = 0; w < 3; w++) {
            dt.fwhm = dd.fwhm = w == 0 ? 0.04 : w == 1 ? 0.123 : 0.21;
            xs_aug_render_clean(&o, &g, &four, &dt, y, NULL);
            xs_aug_render_clean(&o, &g, &four, &dd, y2, NULL);
            for (size_t j = 0; j < g.count; j++) worst = fmax(worst, fabs(y[j] - y2[j]));
        }
        CHECK(worst < 2e-6, "table vs direct Gaussian: largest difference %.3g", worst);
        printf("peak kernel: table vs direct evaluation, largest difference %.3g\n", worst);
        /* a drawn FWHM wider than the option range still renders (the scratch follows the width) */
        dt.fwhm = 1.5;
        CHECK(xs_aug_render_clean(&o, &g, &four, &dt, y2, NULL) == XS_OK && y2[argmax(y2, g.count)] == 1.0f,
              "FWHM 1.5 beyond the option range");
        free(y2);
    }

    /* Off the grid: the centre follows the position; two peaks keep their ratio; one outside the grid is
     * ignored. */
    tt[0] = 30.0037f;
    xs_aug_peaks three = {tt, in, 3};
    CHECK(xs_aug_render_clean(&o, &g, &three, &d, y, &err) == XS_OK, "%s", err.message);
    moments_of(y, &g, 2400, 2600, &c, &v);
    /* float position 30.0037f differs from 30.0037 by < 1e-6; float sums over 40 points ~1e-7 */
    CHECK(fabs(c - (double)tt[0]) < 2e-6, "off-grid centre %.7f vs %.7f", c, (double)tt[0]);
    CHECK(fabs(v / sigma2 - 1) < 1e-4, "off-grid variance %.6g vs %.6g", v, sigma2);
    float mx = 0;
    for (size_t j = 0; j < g.count; j++) mx = y[j] > mx ? y[j] : mx;
    CHECK(mx == 1.0f, "maximum of two peaks %.9g", mx);
    /* the 50-peak sits on a grid point (60.00): exactly half of the sampled maximum of the 100-peak, whose
     * grid maximum is exp(-0.37^2 / (2 sigma^2)) (0.0037 deg from a grid point); float 1e-6 */
    double top = exp(-0.0037 * 0.0037 / (2 * sigma2));
    CHECK_NEAR(y[5500], 0.5 / top, 1e-6, "second peak height");
    CHECK(y[g.count - 1] == 0, "a peak beyond the grid adds nothing");

    /* Peaks at and beyond both ends of the grid, for the narrowest, widest and growing widths (the
     * windows stick out of the grid; the sanitized build checks the padding). A peak on the first point
     * has its maximum there. */
    {
        float te[7] = {5.0f, 4.93f, 89.99f, 90.05f, -50.0f, 1e6f, 47.0f}, ie[7] = {100, 80, 90, 70, 50, 50, 1};
        xs_aug_peaks edge = {te, ie, 7};
        xs_aug_options wide = o;
        wide.fwhm_max = 5;
        const double widths[4] = {0.001, 0.04, 0.21, 5};
        int ok = 1;
        for (int w = 0; w < 8; w++) {
            xs_aug_drawn de = d;
            de.fwhm = widths[w % 4];
            de.width_growth = w >= 4 ? 2 : 0;
            ok &= xs_aug_render_clean(&wide, &g, &edge, &de, y, &err) == XS_OK;
            for (size_t j = 0; j < g.count; j++) ok &= y[j] >= 0 && y[j] <= 1;
            if (w == 1) ok &= argmax(y, g.count) == 0 && y[0] == 1.0f;
        }
        CHECK(ok, "peaks at the grid ends render within [0, 1]");
    }

    /* No peak on the grid: all 0. */
    xs_aug_peaks outside = {tt + 2, in + 2, 1};
    CHECK(xs_aug_render_clean(&o, &g, &outside, &d, y, &err) == XS_OK, "%s", err.message);
    int nz = 0;
    for (size_t j = 0; j < g.count; j++) nz += y[j] != 0;
    CHECK(nz == 0, "no peak on the grid: %d non-zero points", nz);

    /* Beyond the paper: zero shift moves the centre; K-alpha2 adds a copy at the Ka2 angle; growth widens. */
    xs_aug_drawn e = d;
    e.zero_shift = 0.123;
    tt[0] = 40.0f;
    CHECK(xs_aug_render_clean(&o, &g, &one, &e, y, &err) == XS_OK, "%s", err.message);
    moments_of(y, &g, 3400, 3700, &c, &v);
    CHECK(fabs(c - 40.123) < 2e-6, "shifted centre %.7f", c);
    xs_aug_options ka = o;
    ka.kalpha2_ratio = 0.5;
    xs_aug_drawn dk = d;
    dk.kalpha2 = 1; /* the drawn coin, not the options, says whether this pattern has the copy */
    CHECK(xs_aug_render_clean(&ka, &g, &one, &dk, y, &err) == XS_OK, "%s", err.message);
    double t2 = 360 / M_PI * asin(sin(40 * M_PI / 360) * ka.ka2 / ka.ka1);
    size_t j2 = (size_t)floor((t2 - g.start) / g.step + 0.5);
    /* Ka2 at 40.1012 deg, 0.10 deg from Ka1: the two overlap (FWHM 0.1), so compare the summed first
     * moment with the intensity-weighted mean position, 1e-5 deg (float sums). */
    moments_of(y, &g, 3400, 3700, &c, &v);
    CHECK(fabs(c - (40 + 0.5 * t2) / 1.5) < 1e-5, "Ka1+Ka2 centre %.6f vs %.6f", c, (40 + 0.5 * t2) / 1.5);
    CHECK(j2 > 3500 && y[j2] > 0.4, "Ka2 peak at %.4f (value %.3f)", t2, y[j2]);
    e = d;
    e.width_growth = 3;
    tt[0] = 80.0f;
    CHECK(xs_aug_render_clean(&o, &g, &one, &e, y, &err) == XS_OK, "%s", err.message);
    moments_of(y, &g, 7200, 7800, &c, &v);
    double tn = tan(40 * M_PI / 180), grown = sigma2 * (1 + 3 * tn * tn);
    CHECK(fabs(v / grown - 1) < 1e-4, "grown variance %.6g vs %.6g (same cut as above)", v, grown);
    free(y);
}

/* The augmented pattern is exactly clean + noise + background, with the noise in [0.002, 0.02). */
static void test_augmented(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count;
    float *y = malloc(n * sizeof *y), *clean = malloc(n * sizeof *y), *bg = malloc(n * sizeof *y);
    float tt[40], in[40];
    for (int i = 0; i < 40; i++) tt[i] = 6.0f + 2.1f * (float)i, in[i] = (float)(1 + (i * 37) % 100);
    xs_aug_peaks pk = {tt, in, 40};
    xs_error err = {0};
    double s1 = 0, s2 = 0, lo = 1, hi = 0;
    size_t cnt = 0, clipped = 0;
    int bad_max = 0;
    for (uint64_t item = 0; item < 200; item++) {
        xs_aug_drawn d;
        if (xs_aug_render(NULL, &g, &pk, 77, item, y, &d, &err) || xs_aug_render_clean(NULL, &g, &pk, &d, clean, &err) ||
            xs_aug_background_render(&d.bg, &g, bg, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        xs_aug_drawn d2;
        xs_aug_draw(NULL, 77, item, &d2, NULL);
        CHECK(!memcmp(&d, &d2, sizeof d), "xs_aug_draw returns what the render used (item %d)", (int)item);
        float mx = 0;
        for (size_t j = 0; j < n; j++) mx = clean[j] > mx ? clean[j] : mx;
        bad_max += mx != 1.0f;
        for (size_t j = 0; j < n; j++) {
            double e = (double)y[j] - clean[j] - bg[j];
            s1 += e, s2 += e * e, cnt++;
            lo = e < lo ? e : lo, hi = e > hi ? e : hi;
        }
    }
    CHECK(!bad_max, "%d clean parts with a maximum other than 1", bad_max);
    /* float sums of three terms below 1.3: rounding < 3 * 2^-24 * 1.3 < 3e-7; 1e-6 */
    CHECK(lo >= 0.002 - 1e-6 && hi < 0.02 + 1e-6, "noise range [%.7f, %.7f] vs [0.002, 0.02)", lo, hi);
    double m = s1 / cnt, var = s2 / cnt - m * m;
    /* U(0.002, 0.02): mean 0.011, variance 0.018^2 / 12; standard errors from n = 1,700,000 points */
    double se_m = sqrt(u_var(0.002, 0.02) / cnt), se_v = sqrt((pow(0.018, 4) / 80 - pow(u_var(0.002, 0.02), 2)) / cnt);
    CHECK(fabs(m - 0.011) < Z_TOL * se_m + 1e-7, "noise mean %.6f", m);
    CHECK(fabs(var - u_var(0.002, 0.02)) < Z_TOL * se_v + 1e-9, "noise variance %.4g vs %.4g", var,
          u_var(0.002, 0.02));
    printf("noise: range [%.6f, %.6f], mean %.7f (%.1f standard errors from 0.011), variance %.5g (%.1f from %.5g) "
           "over %zu points\n", lo, hi, m, (m - 0.011) / se_m, var, (var - u_var(0.002, 0.02)) / se_v,
           u_var(0.002, 0.02), cnt);

    /* clip_negative: a strongly negative polynomial would go below 0; clipped output never does */
    xs_aug_options o;
    xs_aug_options_default(&o);
    o.clip_negative = 1;
    o.background_total = 5;
    for (uint64_t item = 0; item < 50; item++) {
        xs_aug_render(&o, &g, &pk, 3, item, y, NULL, &err);
        for (size_t j = 0; j < n; j++) clipped += y[j] < 0;
    }
    CHECK(clipped == 0, "%zu negative values with clip_negative", clipped);
    free(y), free(clean), free(bg);
}

static void test_determinism(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count, B = 37;
    float *tt = malloc(B * 60 * sizeof *tt), *in = malloc(B * 60 * sizeof *in);
    xs_aug_peaks *pk = malloc(B * sizeof *pk);
    unsigned x = 12345;
    for (size_t b = 0; b < B; b++) {
        size_t m = 1 + b % 60;
        for (size_t i = 0; i < m; i++) {
            x = x * 1664525u + 1013904223u;
            tt[b * 60 + i] = 5.0f + 85.0f * (float)(x >> 8) / 16777216.0f;
            in[b * 60 + i] = 1.0f + (float)(x % 1000);
        }
        pk[b] = (xs_aug_peaks){tt + b * 60, in + b * 60, m};
    }
    float *a = malloc(B * n * sizeof *a), *b2 = malloc(B * n * sizeof *a), *one = malloc(n * sizeof *one);
    xs_error err = {0};
    CHECK(xs_aug_render_batch(NULL, &g, pk, B, 9, NULL, 1, a, &err) == XS_OK, "%s", err.message);
    CHECK(xs_aug_render_batch(NULL, &g, pk, B, 9, NULL, 2, b2, &err) == XS_OK, "%s", err.message);
    CHECK(!memcmp(a, b2, B * n * sizeof *a), "1 and 2 threads give the same bytes");
    int same = 1;
    for (size_t b = 0; b < B; b++) {
        xs_aug_render(NULL, &g, &pk[b], 9, b, one, NULL, NULL);
        same &= !memcmp(one, a + b * n, n * sizeof *one);
    }
    CHECK(same, "batch row b equals the single render of item b");
    /* explicit item numbers: row b is item items[b] */
    uint64_t items[37];
    for (size_t b = 0; b < B; b++) items[b] = 1000000007ull * b + 5;
    CHECK(xs_aug_render_batch(NULL, &g, pk, B, 9, items, 2, b2, &err) == XS_OK, "%s", err.message);
    xs_aug_render(NULL, &g, &pk[3], 9, items[3], one, NULL, NULL);
    CHECK(!memcmp(one, b2 + 3 * n, n * sizeof *one), "row 3 is item items[3]");
    CHECK(memcmp(a, b2, n * sizeof *a) != 0, "other item numbers, other patterns");
    CHECK(xs_aug_render_batch(NULL, &g, pk, B, 10, NULL, 2, b2, &err) == XS_OK, "%s", err.message);
    CHECK(memcmp(a, b2, n * sizeof *a) != 0, "another seed, another pattern");
    free(tt), free(in), free(pk), free(a), free(b2), free(one);
}

static void test_errors(void)
{
    xs_grid g = xs_grid_paper(), bad_grid = {5, 0.01, 1};
    float y[8500], tt[2] = {30, NAN}, in[2] = {1, 1};
    xs_aug_peaks pk = {tt, in, 2}, ok = {tt, in, 1};
    xs_aug_options o;
    xs_aug_options_default(&o);
    xs_error err = {0};
    CHECK(xs_aug_render(&o, &g, &pk, 1, 0, y, NULL, &err) == XS_ERR_INVALID, "NaN peak refused");
    CHECK(strstr(err.message, "peak 2") != NULL, "message names the peak: %s", err.message);
    CHECK(xs_aug_render_batch(&o, &g, &pk, 1, 1, NULL, 2, y, &err) == XS_ERR_INVALID, "NaN peak refused in a batch");
    CHECK(xs_aug_render(&o, &bad_grid, &ok, 1, 0, y, NULL, &err) == XS_ERR_RANGE, "one-point grid refused");
    in[0] = -1;
    CHECK(xs_aug_render(&o, &g, &ok, 1, 0, y, NULL, &err) == XS_ERR_INVALID, "negative intensity refused");
    in[0] = 1;
    o.fwhm_min = 0.3;
    CHECK(xs_aug_render(&o, &g, &ok, 1, 0, y, NULL, &err) == XS_ERR_RANGE, "fwhm_min > fwhm_max refused");
    CHECK(strstr(err.message, "fwhm") != NULL, "message names the field: %s", err.message);
    xs_aug_options_default(&o);
    o.background_prob = 1.5;
    CHECK(xs_aug_options_check(&o, NULL) == XS_ERR_RANGE, "probability 1.5 refused");
    xs_aug_options_default(&o);
    CHECK(xs_aug_render_batch(&o, &g, NULL, 0, 1, NULL, 2, NULL, &err) == XS_OK, "empty batch is fine");
    CHECK(xs_aug_render(NULL, &g, &ok, 1, 0, y, NULL, NULL) == XS_OK, "default options with NULL");
}

/* Noise of a level drawn per pattern: with S = 8, every noise value of item i lies in s_i [0.002, 0.02), s_i
 * in [1, 8] with ln s ~ U(0, ln 8); off (0), the draws and patterns are those of the defaults. */
/* The draws of (seed 9, item 3) with options o, and whether they are those of the defaults: an option that
 * is off draws nothing. */
static int draws_as_defaults(const xs_aug_options *o, xs_aug_drawn *drawn)
{
    xs_aug_drawn def;
    xs_aug_draw(NULL, 9, 3, &def, NULL);
    xs_aug_draw(o, 9, 3, drawn, NULL);
    return !memcmp(&def, drawn, sizeof def);
}

static void test_noise_scale(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count;
    float *y = malloc(n * sizeof *y), *ref = malloc(n * sizeof *y);
    float tt[3] = {20, 30, 40}, in[3] = {1, 2, 3};
    xs_aug_peaks pk = {tt, in, 3};
    xs_aug_options o;
    xs_aug_options_default(&o);
    o.background_prob = 0; /* the pattern is then clean + noise */
    o.noise_scale_max = 8;
    xs_error err = {0};
    const int N = 4000;
    double sl = 0, sl2 = 0;
    int bad_range = 0, bad_scale = 0;
    for (int item = 0; item < N; item++) {
        xs_aug_drawn d;
        if (xs_aug_draw(&o, 5, (uint64_t)item, &d, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        bad_scale += !(d.noise_scale >= 1 && d.noise_scale <= 8);
        double l = log(d.noise_scale);
        sl += l, sl2 += l * l;
        if (item < 40) {
            xs_aug_render(&o, &g, &pk, 5, (uint64_t)item, y, NULL, &err);
            xs_aug_render_clean(&o, &g, &pk, &d, ref, &err);
            for (size_t j = 0; j < n; j++) {
                double e = (double)y[j] - ref[j];
                /* float rounding of values below 1.2: 1e-6 */
                bad_range += e < 0.002 * d.noise_scale - 1e-6 || e >= 0.02 * d.noise_scale + 1e-6;
            }
        }
    }
    CHECK(!bad_scale, "%d scales outside [1, 8]", bad_scale);
    CHECK(!bad_range, "%d noise values outside s [0.002, 0.02)", bad_range);
    /* ln s ~ U(0, ln 8): mean ln(8)/2, variance ln(8)^2/12 */
    double L = log(8.0), m = sl / N, v = sl2 / N - m * m, se = sqrt(L * L / 12 / N);
    CHECK(fabs(m - L / 2) < Z_TOL * se, "mean ln s %.4f vs %.4f (standard error %.4f)", m, L / 2, se);
    CHECK(fabs(v - L * L / 12) < 0.05 * L * L / 12, "variance of ln s %.4f vs %.4f", v, L * L / 12);
    /* off: the same draws and pattern as with the defaults */
    xs_aug_options def;
    xs_aug_options_default(&def);
    xs_aug_drawn a;
    CHECK(draws_as_defaults(&def, &a) && a.noise_scale == 1, "off: noise scale 1, same draws");
    /* the text model files record, and back */
    char text[256];
    xs_aug_options back;
    o.zero_shift_max = 0.05, o.width_growth_max = 1, o.fwhm_min = 0.05;
    xs_aug_options_format(&o, text, sizeof text);
    CHECK(!strcmp(text, "fwhm 0.05..0.21 noise 0.002..0.02 background p 0 total 0.1 zero_shift 0.05 kalpha2 0 growth 1 "
                        "noise_scale 8"),
          "options as text: %s", text);
    CHECK(xs_aug_options_parse(text, &back, &err) == XS_OK && back.fwhm_min == 0.05 && back.noise_scale_max == 8 &&
              back.width_growth_max == 1 && back.background_prob == 0 && back.zero_shift_max == 0.05,
          "parsed back: %s", err.message);
    xs_aug_options_format(&def, text, sizeof text);
    CHECK(xs_aug_options_parse(text, &back, &err) == XS_OK && !memcmp(&back, &def, sizeof def),
          "defaults round trip: %s", text);
    CHECK(xs_aug_options_parse("fwhm 0.04..0.21 noise", &back, &err) == XS_ERR_PARSE, "truncated text refused");
    CHECK(xs_aug_options_parse("fwhm 0.3..0.2 noise 0..0 background p 0 total 0 zero_shift 0 kalpha2 0 growth 0", &back,
                               &err) == XS_ERR_RANGE,
          "fwhm min above max refused");
    o.noise_scale_max = 0.5;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE && strstr(err.message, "noise_scale_max"),
          "noise_scale_max 0.5 refused: %s", err.message);
    free(y), free(ref);
}

/* Options for what a simulation of the ideal structure does not show: the K-alpha2 copy in a fraction of
 * the patterns, a log-normal factor on every peak's intensity, foreign peaks of an impurity phase. Clean
 * renders (no noise, no background) so that heights can be read off the grid. */
static void test_realism_options(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count;
    float *y = malloc(n * sizeof *y);
    xs_error err = {0};
    xs_aug_options o;
    xs_aug_options_default(&o);
    o.fwhm_min = o.fwhm_max = 0.05; /* sigma 0.021 deg: the K-alpha2 copy at 60 deg (0.16 deg away) stands apart */
    o.kalpha2_ratio = 0.5;
    o.kalpha2_prob = 0.3;
    o.intensity_jitter = 0.5;
    o.impurity_peaks_max = 4;
    o.impurity_height_max = 0.3;
    float tt[2] = {30, 60}, in[2] = {1, 1};
    xs_aug_peaks pk = {tt, in, 2};
    const size_t N = 4000;
    size_t with_ka2 = 0, no_impurity = 0;
    int bad_ka2 = 0, bad_impurity = 0, bad_max = 0;
    double *lr = malloc(N * sizeof *lr);
    size_t n_lr = 0;
    double ka2_at = asin(sin(30 * M_PI / 180) * o.ka2 / o.ka1) * 360 / M_PI;
    for (size_t item = 0; item < N; item++) {
        xs_aug_drawn d;
        if (xs_aug_draw(&o, 11, item, &d, &err) || xs_aug_render_clean(&o, &g, &pk, &d, y, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        with_ka2 += d.kalpha2 == 1;
        no_impurity += d.n_impurity == 0;
        float mx = 0;
        for (size_t j = 0; j < n; j++) mx = y[j] > mx ? y[j] : mx;
        bad_max += mx != 1.0f;
        /* the doublet: at 60.16 deg the copy has half the height of its K-alpha1 peak; without it, nothing
         * (impurity peaks may land there: those draws are left out) */
        int clear = 1;
        for (int k = 0; k < d.n_impurity; k++) {
            double at = g.start + d.impurity_x[k] * (g.step * (double)(n - 1));
            clear &= fabs(at - ka2_at) > 0.5 && fabs(at - 60) > 0.5 && fabs(at - 30) > 0.5;
        }
        size_t j60 = (size_t)lround((60 - g.start) / g.step), j2 = (size_t)lround((ka2_at - g.start) / g.step);
        double ratio = y[j2] / y[j60];
        /* the copy's centre is up to half a step off the grid: its height there is at least exp(-0.5 (0.005 /
         * 0.0212)^2) = 0.973 of it */
        if (clear) bad_ka2 += d.kalpha2 ? !(ratio > 0.5 * 0.97 && ratio < 0.5 * 1.001) : !(ratio < 1e-6);
        if (clear) lr[n_lr++] = log((double)y[(size_t)lround((30 - g.start) / g.step)] / y[j60]);
        for (int k = 0; k < d.n_impurity; k++) {
            bad_impurity += !(d.impurity_x[k] >= 0 && d.impurity_x[k] <= 1 && d.impurity_height[k] >= 0 &&
                              d.impurity_height[k] <= 0.3);
        }
        if (clear && d.n_impurity == 1 && !d.kalpha2) {
            /* one impurity peak of height h times the main maximum: (h m) / max(m, h m) = h on the grid, less
             * up to 2.7% for its centre between grid points (as above). Without K-alpha2, whose copy overlaps
             * its own peak at low angles. */
            double at = g.start + d.impurity_x[0] * (g.step * (double)(n - 1));
            size_t j = (size_t)lround((at - g.start) / g.step);
            double h = d.impurity_height[0];
            bad_impurity += !(y[j] >= 0.97 * h - 1e-6 && y[j] <= h + 1e-6);
        }
    }
    check_freq("K-alpha2 copy in a fraction 0.3", with_ka2, N, 0.3);
    check_freq("no impurity peak (m ~ U{0..4})", no_impurity, N, 0.2);
    CHECK(!bad_max, "%d patterns whose maximum is not exactly 1", bad_max);
    CHECK(!bad_ka2, "%d patterns whose K-alpha2 copy does not follow the drawn coin", bad_ka2);
    CHECK(!bad_impurity, "%d impurity peaks out of their drawn range or height", bad_impurity);
    /* ln(I30 / I60) = 0.5 (z1 - z2): mean 0, variance 2 * 0.5^2 */
    check_moments("ln of two jittered equal peaks' ratio", lr, n_lr, 0, 0.5);
    /* all three off: the draws of the defaults */
    xs_aug_options def;
    xs_aug_options_default(&def);
    xs_aug_drawn a;
    def.kalpha2_prob = 0.5; /* no effect without a K-alpha2 ratio */
    CHECK(draws_as_defaults(&def, &a) && !a.kalpha2 && !a.n_impurity && !a.jitter_seed,
          "off: same draws as the defaults");
    /* as text and back */
    char text[512];
    xs_aug_options back;
    xs_aug_options_format(&o, text, sizeof text);
    CHECK(strstr(text, " kalpha2_prob 0.3 jitter 0.5 impurity 4 0.3") != NULL, "options as text: %s", text);
    CHECK(xs_aug_options_parse(text, &back, &err) == XS_OK && back.kalpha2_prob == 0.3 && back.intensity_jitter == 0.5 &&
              back.impurity_peaks_max == 4 && back.impurity_height_max == 0.3 && back.kalpha2_ratio == 0.5,
          "parsed back: %s", err.message);
    CHECK(xs_aug_options_parse("fwhm 0.04..0.21 noise 0.002..0.02 background p 0.5 total 0.1 zero_shift 0 kalpha2 0 "
                               "growth 0 impurity 3",
                               &back, &err) == XS_ERR_PARSE,
          "impurity without its height refused");
    o.impurity_peaks_max = XS_AUG_IMPURITY_MAX + 1;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE && strstr(err.message, "impurity_peaks_max"),
          "too many impurity peaks refused: %s", err.message);
    o.impurity_peaks_max = 4, o.intensity_jitter = -1;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE && strstr(err.message, "intensity_jitter"),
          "negative jitter refused: %s", err.message);
    free(y), free(lr);
}

/* Counting noise: on top of the pattern without it (same draws otherwise), every point moves by
 * sqrt(y / N) times a uniform of unit variance; N log-uniform in [min, max]; off draws nothing. */
static void test_counting_noise(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count;
    float *on = malloc(n * sizeof *on), *off = malloc(n * sizeof *off);
    float tt[4] = {20, 30, 40, 55}, in[4] = {1, 2, 3, 0.5f};
    xs_aug_peaks pk = {tt, in, 4};
    xs_aug_options o, plain;
    xs_aug_options_default(&o);
    o.noise_scale_max = 4, o.zero_shift_max = 0.05;
    plain = o;
    o.counts_min = 50, o.counts_max = 2000;
    xs_error err = {0};
    const int N = 3000;
    double sl = 0, z2 = 0, z4 = 0;
    size_t nz = 0;
    int bad_counts = 0, bad_same = 0, bad_bound = 0;
    for (int item = 0; item < N; item++) {
        xs_aug_drawn d, dp;
        if (xs_aug_draw(&o, 7, (uint64_t)item, &d, &err) || xs_aug_draw(&plain, 7, (uint64_t)item, &dp, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        bad_counts += !(d.counts >= 50 && d.counts <= 2000);
        sl += log(d.counts);
        double c = d.counts;
        d.counts = 0;
        bad_same += memcmp(&d, &dp, sizeof d) != 0; /* the other draws are those of the options without it */
        if (item < 30) {
            xs_aug_render(&o, &g, &pk, 7, (uint64_t)item, on, NULL, &err);
            xs_aug_render(&plain, &g, &pk, 7, (uint64_t)item, off, NULL, &err);
            for (size_t j = 0; j < n; j++) {
                double y = off[j] > 0 ? off[j] : 0, e = (double)on[j] - off[j], sd = sqrt(y / c);
                /* |e| <= sqrt(3) sd; 1e-6: float rounding of values near 1 */
                bad_bound += fabs(e) > sqrt(3.0) * sd + 1e-6;
                if (sd > 1e-3) {
                    double z = e / sd;
                    z2 += z * z, z4 += z * z * z * z, nz++;
                }
            }
        }
    }
    CHECK(!bad_counts, "%d counts outside [50, 2000]", bad_counts);
    CHECK(!bad_same, "%d patterns whose other draws changed with counting noise on", bad_same);
    CHECK(!bad_bound, "%d points moved by more than sqrt(3 y / N)", bad_bound);
    /* ln N ~ U(ln 50, ln 2000): mean and its standard error */
    double a = log(50.0), b = log(2000.0), m = sl / N, se = (b - a) / sqrt(12.0 * N);
    CHECK(fabs(m - (a + b) / 2) < Z_TOL * se, "mean ln N %.4f vs %.4f (standard error %.4f)", m, (a + b) / 2, se);
    /* unit variance: z uniform on [-sqrt 3, sqrt 3] has E z^2 = 1, E z^4 = 9/5, so the mean of nz values of z^2
     * has standard error sqrt(0.8 / nz) */
    double v = z2 / (double)nz, v_se = sqrt(0.8 / (double)nz);
    CHECK(nz > 100000 && fabs(v - 1) < Z_TOL * v_se, "variance of the scaled counting noise %.4f (n %zu, se %.4f)", v,
          nz, v_se);
    /* E z^4 = 9/5 for the uniform (3 for a normal); E z^8 = 9 gives a standard error of sqrt(5.76 / nz), about
     * 0.005 here: 0.05 is 10 of them and still far from a normal's 3 */
    CHECK(fabs(z4 / (double)nz - 1.8) < 0.05, "fourth moment %.3f, uniform's 1.8", z4 / (double)nz);
    /* off: the draws of the defaults */
    xs_aug_options def;
    xs_aug_options_default(&def);
    xs_aug_drawn da;
    CHECK(draws_as_defaults(&def, &da) && da.counts == 0, "off: no counts drawn");
    /* as text and back, exactly */
    char text[512];
    xs_aug_options back;
    o.counts_min = 100.5;
    xs_aug_options_format(&o, text, sizeof text);
    CHECK(strstr(text, " counts 100.5 2000") != NULL, "options as text: %s", text);
    CHECK(xs_aug_options_parse(text, &back, &err) == XS_OK && back.counts_min == 100.5 && back.counts_max == 2000,
          "parsed back: %s", err.message);
    CHECK(xs_aug_options_parse("fwhm 0.04..0.21 noise 0.002..0.02 background p 0.5 total 0.1 zero_shift 0 kalpha2 0 "
                               "growth 0 counts 100",
                               &back, &err) == XS_ERR_PARSE,
          "counts without their maximum refused");
    o.counts_min = 0.5;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE && strstr(err.message, "counts_min"),
          "fewer than 1 count refused: %s", err.message);
    o.counts_min = 3000;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE, "counts min above max refused");
    o.counts_min = 0, o.counts_max = 10;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE, "counts min 0 with a max refused");
    /* a batch gives the same bytes as single renders, whatever the threads */
    o.counts_min = 50, o.counts_max = 2000;
    float *batch = malloc(3 * n * sizeof *batch);
    xs_aug_peaks pks[3] = {pk, pk, pk};
    uint64_t items[3] = {4, 11, 4000};
    CHECK(xs_aug_render_batch(&o, &g, pks, 3, 7, items, 2, batch, &err) == XS_OK, "batch: %s", err.message);
    xs_aug_render(&o, &g, &pk, 7, 11, on, NULL, &err);
    CHECK(!memcmp(batch + n, on, n * sizeof *on), "batch row equals the single render");
    free(batch), free(on), free(off);
}

/* Pseudo-Voigt peaks: (1 - eta) G + eta L of one FWHM and height, the Lorentzian cut at 20 FWHM and lowered by
 * its value there; eta ~ U(min, max) per pattern; noise, backgrounds and the other draws stay those of the
 * pattern with Gaussian peaks; off draws nothing. */
static void test_pseudo_voigt(void)
{
    xs_grid g = xs_grid_paper();
    size_t n = g.count;
    float *y = malloc(n * sizeof *y), *on = malloc(n * sizeof *on), *off = malloc(n * sizeof *off),
          *con = malloc(n * sizeof *con), *coff = malloc(n * sizeof *coff);
    xs_aug_options o, plain;
    xs_aug_options_default(&o);
    o.noise_scale_max = 4, o.zero_shift_max = 0.05, o.width_growth_max = 1;
    plain = o;
    o.lorentz_min = 0.2, o.lorentz_max = 0.9;
    xs_error err = {0};

    /* the shape against the closed form: one peak on a grid point, FWHM 0.1 deg = 10 steps */
    float tt[1] = {40.0f}, in[1] = {3};
    xs_aug_peaks one = {tt, in, 1};
    xs_aug_drawn d = {0};
    d.fwhm = 0.1;
    const double cut = 1.0 / 1601; /* l at 20 FWHM: 1 / (1 + 40^2) */
    const double etas[3] = {1.0, 0.5, 0.25};
    for (int k = 0; k < 3; k++) {
        d.lorentz = etas[k];
        CHECK(xs_aug_render_clean(&o, &g, &one, &d, y, &err) == XS_OK, "%s", err.message);
        int bad = 0, negative = 0;
        double worst = 0;
        for (long j = 0; j < (long)n; j++) {
            double x = (double)(j - 3500) / 10; /* in FWHM */
            double l = 1 / (1 + 4 * x * x), lc = fabs(x) <= 20 ? (l - cut) / (1 - cut) : 0;
            double gs = exp(-4 * M_LN2 * x * x);
            double want = etas[k] * lc + (1 - etas[k]) * (fabs(x) * 10 <= 22 ? gs : 0);
            double e = fabs(y[j] - want);
            worst = e > worst ? e : worst;
            /* float sums of a Gaussian with the exp approximation (3e-7 relative) and a float Lorentzian:
             * 2e-6 of the maximum */
            bad += e > 2e-6;
            negative += y[j] < 0;
        }
        CHECK(!bad && !negative, "eta %.2f: %d points off the closed form (worst %.3g), %d negative", etas[k], bad,
              worst, negative);
        CHECK(y[3500] == 1.0f && y[3500 + 201] == 0 && y[3500 - 201] == 0 && y[3500 + 199] > 0,
              "eta %.2f: maximum %.9g, cut at 20 FWHM", etas[k], y[3500]);
    }
    /* half the height at half the FWHM whatever eta (the cut's lowering moves it by (1/2 - 1) c / (1 - c)) */
    CHECK_NEAR(y[3505], 0.5 - 0.25 * 0.5 * cut / (1 - cut), 2e-6, "eta 0.25: value at +FWHM/2");

    /* against the simulator's readable profile (xs_xrd_profile: the same pseudo-Voigt, in double, tails to 100
     * FWHM, not lowered): the fast one lowers each peak's Lorentzian by at most c of its height and drops what
     * lies past 20 FWHM (below c), so on the maximum-1 scale the two differ by at most 2 c eta sum(h) / max,
     * plus float rounding (2e-6) */
    {
        float tt5[5] = {20.0f, 20.3f, 31.17f, 55.5f, 56.0f}, in5[5] = {2, 1, 3, 0.5f, 1.5f};
        double tt5d[5], in5d[5], sum_h = 0;
        for (int i = 0; i < 5; i++) tt5d[i] = tt5[i], in5d[i] = in5[i], sum_h += in5[i];
        xs_aug_peaks five = {tt5, in5, 5};
        float *ref = malloc(n * sizeof *ref);
        xs_profile_options po;
        xs_profile_options_default(&po);
        po.shape = XS_PROFILE_PSEUDO_VOIGT, po.fwhm = 0.1, po.kalpha2 = 0;
        for (int k = 0; k < 3; k++) {
            d.lorentz = po.eta = etas[k];
            CHECK(xs_aug_render_clean(&o, &g, &five, &d, y, &err) == XS_OK, "%s", err.message);
            CHECK(xs_xrd_profile(tt5d, in5d, 5, &g, &po, ref, &err) == XS_OK, "%s", err.message);
            double worst = 0, bound = 2 * cut * etas[k] * sum_h / 3 + 2e-6;
            for (size_t j = 0; j < n; j++) worst = fmax(worst, fabs((double)y[j] - ref[j]));
            CHECK(worst <= bound, "eta %.2f: fast pseudo-Voigt off the reference by %.3g (bound %.3g)", etas[k], worst,
                  bound);
        }
        free(ref);
    }

    /* draws: eta ~ U(0.2, 0.9); the rest as without it; noise and backgrounds unchanged */
    float tt4[4] = {20, 30, 40, 55}, in4[4] = {1, 2, 3, 0.5f};
    xs_aug_peaks pk = {tt4, in4, 4};
    const int N = 3000;
    double se_sum = 0;
    int bad_eta = 0, bad_same = 0, bad_rest = 0;
    for (int item = 0; item < N; item++) {
        xs_aug_drawn dd, dp;
        if (xs_aug_draw(&o, 9, (uint64_t)item, &dd, &err) || xs_aug_draw(&plain, 9, (uint64_t)item, &dp, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        bad_eta += !(dd.lorentz >= 0.2 && dd.lorentz <= 0.9);
        se_sum += dd.lorentz;
        xs_aug_drawn dz = dd;
        dz.lorentz = 0;
        bad_same += memcmp(&dz, &dp, sizeof dz) != 0;
        if (item < 20) {
            xs_aug_render(&o, &g, &pk, 9, (uint64_t)item, on, NULL, &err);
            xs_aug_render(&plain, &g, &pk, 9, (uint64_t)item, off, NULL, &err);
            xs_aug_render_clean(&o, &g, &pk, &dd, con, &err);
            xs_aug_render_clean(&plain, &g, &pk, &dp, coff, &err);
            /* pattern - its peaks = noise + backgrounds, the same for both; 1e-6: float rounding of values
             * near 1 */
            for (size_t j = 0; j < n; j++) bad_rest += fabsf((on[j] - con[j]) - (off[j] - coff[j])) > 1e-6f;
        }
    }
    CHECK(!bad_eta, "%d eta outside [0.2, 0.9]", bad_eta);
    CHECK(!bad_same, "%d patterns whose other draws changed with pseudo-Voigt peaks on", bad_same);
    CHECK(!bad_rest, "%d points whose noise or background changed with pseudo-Voigt peaks on", bad_rest);
    double m = se_sum / N, se = 0.7 / sqrt(12.0 * N);
    CHECK(fabs(m - 0.55) < Z_TOL * se, "mean eta %.4f vs 0.55 (standard error %.4f)", m, se);
    /* off: the draws of the defaults */
    xs_aug_options def;
    xs_aug_options_default(&def);
    xs_aug_drawn da;
    CHECK(draws_as_defaults(&def, &da) && da.lorentz == 0, "off: no eta drawn");
    /* as text and back, exactly */
    char text[512];
    xs_aug_options back;
    xs_aug_options_format(&o, text, sizeof text);
    CHECK(strstr(text, " lorentz 0.20000000000000001 0.90000000000000002") != NULL, "options as text: %s", text);
    CHECK(xs_aug_options_parse(text, &back, &err) == XS_OK && back.lorentz_min == 0.2 && back.lorentz_max == 0.9,
          "parsed back: %s", err.message);
    CHECK(xs_aug_options_parse("fwhm 0.04..0.21 noise 0.002..0.02 background p 0.5 total 0.1 zero_shift 0 kalpha2 0 "
                               "growth 0 lorentz 0.5",
                               &back, &err) == XS_ERR_PARSE,
          "lorentz without its maximum refused");
    o.lorentz_max = 1.5;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE && strstr(err.message, "lorentz_max"),
          "eta above 1 refused: %s", err.message);
    o.lorentz_min = 0.95, o.lorentz_max = 0.9;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE, "lorentz min above max refused");
    o.lorentz_min = -0.1, o.lorentz_max = 0.9;
    CHECK(xs_aug_options_check(&o, &err) == XS_ERR_RANGE, "negative lorentz min refused");
    d.lorentz = 1.5;
    CHECK(xs_aug_render_clean(&plain, &g, &one, &d, y, &err) == XS_ERR_RANGE, "drawn eta above 1 refused");
    free(y), free(on), free(off), free(con), free(coff);
}

int main(void)
{
    test_pseudo_voigt();
    test_counting_noise();
    test_realism_options();
    test_noise_scale();
    test_draw_statistics();
    test_background_render();
    test_render_peaks();
    test_augmented();
    test_determinism();
    test_errors();
    return xs_test_finish();
}
