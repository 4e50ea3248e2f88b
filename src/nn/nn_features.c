/* Fixed (parameter-free) feature layers for powder patterns: resampling onto a log-Q grid, a high-pass filter
 * and the normalised autocorrelation (see xs_nn.h for why, nn_internal.h for the contracts).
 *
 * Why these exist: scaling a cell by s moves every reflection from Q to Q/s, which on a ln Q axis is a shift
 * by -ln s; the autocorrelation over ln Q is unchanged by that shift, so ratios of d-spacings (what tells a
 * cubic F lattice from a cubic P one, or a tetragonal ladder) reach the dense layers at the same inputs
 * whatever the cell size. A dense network on the 2theta grid must otherwise learn every cell size apart. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

/* ---- ln Q resampling ----
 * Output j is the mean of the input, read as a piecewise-linear function of 2theta, over the ln sin(theta)
 * interval [u_j - h/2, u_j + h/2] (clipped to the grid), sampled at enough points that every input point
 * inside the interval is seen; the weights are accumulated into one contiguous run of input indices per
 * output. */
static double u_of_2theta(double tt_deg) { return log(sin(tt_deg * M_PI / 360.0)); }
static double tt_of_u(double u) { return 360.0 / M_PI * asin(exp(u)); }

/* The ln sin(theta) interval of output j, clipped to [u0, u1]. */
static void bin_of(double u0, double u1, double h, int j, double *a, double *b)
{
    *a = fmax(u0, u0 + (j - 0.5) * h);
    *b = fmin(u1, u0 + (j + 0.5) * h);
}

xs_status xs_nn_logq_map_build(xs_nn_logq_map *m, int n_in, double start, double step, int points, xs_error *err)
{
    memset(m, 0, sizeof *m);
    double end = start + step * (n_in - 1);
    if (n_in < 2 || points < 2 || !(step > 0) || !(start > 0) || !(end < 180))
        return xs_error_set(err, XS_ERR_RANGE, "spec", 0, 0,
                            "logq needs at least 2 inputs and outputs on a 2theta grid inside (0, 180) degrees "
                            "(got %d inputs from %g step %g, %d outputs)", n_in, start, step, points);
    double u0 = u_of_2theta(start), u1 = u_of_2theta(end), h = (u1 - u0) / (points - 1);
    m->points = points;
    m->i0 = malloc(sizeof(int) * (size_t)points);
    m->len = malloc(sizeof(int) * (size_t)points);
    m->off = malloc(sizeof(size_t) * ((size_t)points + 1));
    if (!m->i0 || !m->len || !m->off) goto nomem;
    /* first pass: index ranges */
    size_t total = 0;
    int longest = 1;
    for (int j = 0; j < points; j++) {
        double a, b;
        bin_of(u0, u1, h, j, &a, &b);
        double fa = (tt_of_u(a) - start) / step, fb = (tt_of_u(b) - start) / step;
        int lo = (int)floor(fa), hi = (int)floor(fb) + 1;
        if (lo < 0) lo = 0;
        if (hi > n_in - 1) hi = n_in - 1;
        if (lo > hi) lo = hi;
        m->i0[j] = lo;
        m->len[j] = hi - lo + 1;
        if (m->len[j] > longest) longest = m->len[j];
        m->off[j] = total;
        total += (size_t)m->len[j];
    }
    m->off[points] = total;
    m->w = calloc(total ? total : 1, sizeof(float));
    double *wj = malloc(sizeof(double) * (size_t)longest); /* one output's weights, summed in double */
    if (!m->w || !wj) {
        free(wj);
        goto nomem;
    }
    for (int j = 0; j < points; j++) {
        double a, b;
        bin_of(u0, u1, h, j, &a, &b);
        double span = (tt_of_u(b) - tt_of_u(a)) / step;
        int samples = 8 + 2 * (int)ceil(span);
        memset(wj, 0, sizeof(double) * (size_t)m->len[j]);
        for (int s = 0; s < samples; s++) {
            double f = (tt_of_u(a + (b - a) * (s + 0.5) / samples) - start) / step;
            if (f < 0) f = 0;
            if (f > n_in - 1) f = n_in - 1;
            int k = (int)floor(f);
            if (k > n_in - 2) k = n_in - 2;
            double t = f - k;
            int r = k - m->i0[j];
            if (r >= 0 && r < m->len[j]) wj[r] += (1 - t) / samples;
            if (r + 1 >= 0 && r + 1 < m->len[j]) wj[r + 1] += t / samples;
        }
        for (int r = 0; r < m->len[j]; r++) m->w[m->off[j] + (size_t)r] = (float)wj[r];
    }
    free(wj);
    return XS_OK;
nomem:
    xs_nn_logq_map_free(m);
    return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

void xs_nn_logq_map_free(xs_nn_logq_map *m)
{
    free(m->i0);
    free(m->len);
    free(m->off);
    free(m->w);
    memset(m, 0, sizeof *m);
}

void xs_nn_logq_forward(const xs_nn_logq_map *m, const float *X, float *Y, int B, int n_in)
{
    for (int b = 0; b < B; b++) {
        const float *x = X + (size_t)b * n_in;
        float *y = Y + (size_t)b * m->points;
        for (int j = 0; j < m->points; j++) {
            const float *w = m->w + m->off[j], *xx = x + m->i0[j];
            float s = 0;
            for (int r = 0; r < m->len[j]; r++) s += w[r] * xx[r];
            y[j] = s;
        }
    }
}

void xs_nn_logq_backward(const xs_nn_logq_map *m, const float *dY, float *dX, int B, int n_in)
{
    memset(dX, 0, sizeof(float) * (size_t)B * n_in);
    for (int b = 0; b < B; b++) {
        float *dx = dX + (size_t)b * n_in;
        const float *dy = dY + (size_t)b * m->points;
        for (int j = 0; j < m->points; j++) {
            const float *w = m->w + m->off[j];
            float *d = dx + m->i0[j];
            for (int r = 0; r < m->len[j]; r++) d[r] += w[r] * dy[j];
        }
    }
}

/* ---- high-pass: x minus its running mean over `window` points (clipped at the ends) ---- */
/* The window of point u, [u - h, u + h] clipped to [0, n - 1]. */
static void window_of(int u, int h, int n, int *lo, int *hi)
{
    *lo = u - h < 0 ? 0 : u - h;
    *hi = u + h > n - 1 ? n - 1 : u + h;
}

void xs_nn_highpass_forward(const float *X, float *Y, int B, int n, int window, double *prefix)
{
    int h = window / 2, lo, hi;
    for (int b = 0; b < B; b++) {
        const float *x = X + (size_t)b * n;
        float *y = Y + (size_t)b * n;
        prefix[0] = 0;
        for (int u = 0; u < n; u++) prefix[u + 1] = prefix[u] + x[u];
        for (int u = 0; u < n; u++) {
            window_of(u, h, n, &lo, &hi);
            y[u] = (float)(x[u] - (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1));
        }
    }
}

/* The window of u holds v exactly when |u - v| <= h, so dx[v] = dy[v] - sum over those u of dy[u] / count(u). */
void xs_nn_highpass_backward(const float *dY, float *dX, int B, int n, int window, double *prefix)
{
    int h = window / 2, lo, hi;
    for (int b = 0; b < B; b++) {
        const float *dy = dY + (size_t)b * n;
        float *dx = dX + (size_t)b * n;
        prefix[0] = 0;
        for (int u = 0; u < n; u++) {
            window_of(u, h, n, &lo, &hi);
            prefix[u + 1] = prefix[u] + (double)dy[u] / (hi - lo + 1);
        }
        for (int v = 0; v < n; v++) {
            window_of(v, h, n, &lo, &hi);
            dx[v] = (float)(dy[v] - (prefix[hi + 1] - prefix[lo]));
        }
    }
}

/* ---- normalised autocorrelation: Y = [x, a_0 .. a_{L-1}], a_t = sum_u x_u x_{u+t} / sum_u x_u^2 ---- */
void xs_nn_autocorr_forward_ref(const float *X, float *Y, int B, int n, int lags)
{
    for (int b = 0; b < B; b++) {
        const float *x = X + (size_t)b * n;
        float *y = Y + (size_t)b * (n + lags);
        memcpy(y, x, sizeof(float) * (size_t)n);
        double c0 = 0;
        for (int u = 0; u < n; u++) c0 += (double)x[u] * x[u];
        for (int t = 0; t < lags; t++) {
            double c = 0;
            for (int u = 0; u + t < n; u++) c += (double)x[u] * x[u + t];
            y[n + t] = c0 > 0 ? (float)(c / c0) : 0.0f;
        }
    }
}

typedef struct {
    const float *X;
    float *Y;
    int n, lags;
} ac_ctx;

static float dot8(const float *a, const float *b, int n)
{
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
    float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) t += a[i] * b[i];
    return t;
}

/* A gated pattern (peaks) is mostly zeros: its autocorrelation is a sum over the pairs of nonzero points, a
 * hundredth of the dense products. Returns 0 (and leaves y alone) where the input is not sparse enough or
 * there is no memory for the pair sums, so that the dense path runs. */
static int ac_sparse(const float *x, float *y, int n, int lags)
{
    int nz = 0;
    for (int u = 0; u < n; u++) nz += x[u] != 0;
    if ((double)nz * nz > (double)n * lags / 8) return 0;
    int *at = malloc(sizeof(int) * (size_t)(nz ? nz : 1));
    double *acc = calloc((size_t)(lags ? lags : 1), sizeof(double));
    if (!at || !acc) {
        free(at), free(acc);
        return 0;
    }
    nz = 0;
    for (int u = 0; u < n; u++)
        if (x[u] != 0) at[nz++] = u;
    for (int i = 0; i < nz; i++) {
        double xi = x[at[i]];
        for (int j = i; j < nz && at[j] - at[i] < lags; j++) acc[at[j] - at[i]] += xi * x[at[j]];
    }
    double c0 = lags > 0 ? acc[0] : 0; /* a_0's numerator is sum x^2; with no lags nothing is written */
    for (int t = 0; t < lags; t++) y[n + t] = c0 > 0 ? (float)(acc[t] / c0) : 0.0f;
    free(at), free(acc);
    return 1;
}

static void ac_task(void *p, int b)
{
    ac_ctx *c = p;
    int n = c->n;
    const float *x = c->X + (size_t)b * n;
    float *y = c->Y + (size_t)b * (n + c->lags);
    memcpy(y, x, sizeof(float) * (size_t)n);
    if (ac_sparse(x, y, n, c->lags)) return;
    float c0 = dot8(x, x, n);
    float inv = c0 > 0 ? 1.0f / c0 : 0.0f;
    for (int t = 0; t < c->lags; t++) y[n + t] = t < n ? dot8(x, x + t, n - t) * inv : 0.0f;
}

void xs_nn_autocorr_forward_fast(const float *X, float *Y, int B, int n, int lags, int threads)
{
    ac_ctx c = {X, Y, n, lags};
    xs_nn_parallel(threads, B, ac_task, &c);
}

/* dx_v = dy_v + sum_t g_t (x_{v+t} + x_{v-t}) / c0 - 2 x_v / c0 * sum_t g_t a_t, with g the gradient of a. */
void xs_nn_autocorr_backward(const float *X, const float *Yout, const float *dY, float *dX, int B, int n, int lags)
{
    for (int b = 0; b < B; b++) {
        const float *x = X + (size_t)b * n, *dy = dY + (size_t)b * (n + lags), *a = Yout + (size_t)b * (n + lags) + n;
        float *dx = dX + (size_t)b * n;
        double c0 = 0;
        for (int u = 0; u < n; u++) c0 += (double)x[u] * x[u];
        const float *g = dy + n;
        double ga = 0;
        for (int t = 0; t < lags; t++) ga += (double)g[t] * a[t];
        for (int v = 0; v < n; v++) {
            double r = 0;
            if (c0 > 0) {
                for (int t = 0; t < lags; t++) {
                    if (v + t < n) r += (double)g[t] * x[v + t];
                    if (v - t >= 0) r += (double)g[t] * x[v - t];
                }
                r = r / c0 - 2.0 * x[v] / c0 * ga;
            }
            dx[v] = (float)(dy[v] + r);
        }
    }
}

/* ---- peaks: keep the runs of positive values that rise above the local noise ----
 * Measured and simulated patterns differ most between their peaks (counting noise that grows with the signal,
 * what a background leaves behind a high-pass); gating them away lets a network see the same thing in both. */
static float median_inplace(float *v, int n)
{
    /* quickselect of the lower median with a branchless Lomuto partition: on noise, which is what most of a
     * pattern is, the comparisons are coin flips, and a branch on each cost more than the rest of the gate */
    int k = (n - 1) / 2, lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        /* median of three as the pivot, moved to hi */
        if (v[mid] < v[lo]) { float t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { float t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[mid] < v[hi]) { float t = v[mid]; v[mid] = v[hi]; v[hi] = t; }
        float pivot = v[hi];
        int store = lo;
        for (int i = lo; i < hi; i++) {
            float t = v[i];
            v[i] = v[store];
            v[store] = t;
            store += t < pivot;
        }
        v[hi] = v[store];
        v[store] = pivot;
        if (store == k) return pivot;
        if (store < k)
            lo = store + 1;
        else
            hi = store - 1;
    }
    return v[k];
}

void xs_nn_peaks_forward(const float *X, float *Y, float *mask, int B, int n, float k)
{
    float diffs[2 * XS_NN_PEAKS_BLOCK];
    int blocks = n / XS_NN_PEAKS_BLOCK > 0 ? n / XS_NN_PEAKS_BLOCK : 1;
    for (int b = 0; b < B; b++) {
        const float *x = X + (size_t)b * n;
        float *y = Y + (size_t)b * n, *m = mask + (size_t)b * n;
        float amax = 0;
        for (int u = 0; u < n; u++) amax = fabsf(x[u]) > amax ? fabsf(x[u]) : amax;
        /* the threshold of each point, block by block; a floor so that a noiseless pattern keeps its peaks
         * and drops only rounding */
        float floor_sigma = 1e-6f * amax + 1e-30f;
        for (int q = 0; q < blocks; q++) {
            int lo = q * XS_NN_PEAKS_BLOCK, hi = q == blocks - 1 ? n : lo + XS_NN_PEAKS_BLOCK, cnt = 0;
            for (int u = lo; u < hi && u + 1 < n; u++) diffs[cnt++] = fabsf(x[u + 1] - x[u]);
            float sigma = cnt ? median_inplace(diffs, cnt) / 0.95387f : 0; /* 0.6745 sqrt 2 */
            if (sigma < floor_sigma) sigma = floor_sigma;
            for (int u = lo; u < hi; u++) m[u] = k * sigma; /* the threshold, for now */
        }
        for (int u = 0; u < n;) {
            if (!(x[u] > 0)) {
                m[u] = 0, y[u] = 0, u++;
                continue;
            }
            int end = u, top = u;
            while (end < n && x[end] > 0) {
                if (x[end] > x[top]) top = end;
                end++;
            }
            float keep = x[top] > m[top] ? 1.0f : 0.0f;
            for (int v = u; v < end; v++) m[v] = keep, y[v] = keep * x[v];
            u = end;
        }
    }
}
