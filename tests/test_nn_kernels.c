/* Fast neural-network kernels (OpenBLAS, im2col, AVX2, threads) against the readable reference kernels on
 * many shapes, including strides, odd sizes, batch 1 and convolutions split into batch chunks.
 *
 * Tolerance: each output is compared relative to the sum of the absolute values of the terms that make it
 * (computed by running the reference kernel on |inputs|). A float32 sum of K terms has a rounding error of
 * about sqrt(K) * 6e-8 of that sum in practice (K <= 2000 here: <= 2.7e-6); 1e-5 leaves a margin of 4 and
 * still catches any wrong index (which gives errors of order 1). */
#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "xs_test.h"

#define REL_TOL 1e-5

static float *rnd(xs_rng *r, size_t n, double lo, double hi)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)xs_rng_range(r, lo, hi);
    return p;
}

static float *absv(const float *x, size_t n)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) p[i] = fabsf(x[i]);
    return p;
}

/* Largest |a - b| / (scale + tiny) over n values; 0 when all agree. */
static double worst(const float *a, const float *b, const float *scale, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / ((double)scale[i] + 1e-30);
        if (!(e <= w)) w = e; /* also catches NaN */
    }
    return w;
}

static void test_dense(xs_rng *r, int B, int nin, int nout, int act, int threads)
{
    float *X = rnd(r, (size_t)B * nin, -1, 1), *W = rnd(r, (size_t)nout * nin, -0.5, 0.5), *b = rnd(r, nout, -1, 1);
    float *dZ = rnd(r, (size_t)B * nout, -1, 1);
    size_t ny = (size_t)B * nout, nx = (size_t)B * nin, nw = (size_t)nout * nin;
    float *Y1 = malloc(4 * ny), *Y2 = malloc(4 * ny), *S = malloc(4 * ny);
    float *aX = absv(X, nx), *aW = absv(W, nw), *ab = absv(b, nout), *adZ = absv(dZ, ny);
    xs_nn_dense_forward_ref(X, W, b, Y1, B, nin, nout, act);
    xs_nn_dense_forward_fast(X, W, b, Y2, B, nin, nout, act, threads);
    xs_nn_dense_forward_ref(aX, aW, ab, S, B, nin, nout, XS_NN_ACT_NONE);
    double e = worst(Y1, Y2, S, ny);
    CHECK(e <= REL_TOL, "dense forward B=%d nin=%d nout=%d act=%d threads=%d: relative error %g", B, nin, nout, act,
          threads, e);
    float *dX1 = malloc(4 * nx), *dX2 = malloc(4 * nx), *dW1 = malloc(4 * nw), *dW2 = malloc(4 * nw);
    float *db1 = malloc(4 * nout), *db2 = malloc(4 * nout), *sX = malloc(4 * nx), *sW = malloc(4 * nw),
          *sb = malloc(4 * nout);
    xs_nn_dense_backward_ref(X, W, dZ, dX1, dW1, db1, B, nin, nout);
    xs_nn_dense_backward_fast(X, W, dZ, dX2, dW2, db2, B, nin, nout, threads);
    xs_nn_dense_backward_ref(aX, aW, adZ, sX, sW, sb, B, nin, nout);
    double ex = worst(dX1, dX2, sX, nx), ew = worst(dW1, dW2, sW, nw), eb = worst(db1, db2, sb, nout);
    CHECK(ex <= REL_TOL && ew <= REL_TOL && eb <= REL_TOL,
          "dense backward B=%d nin=%d nout=%d threads=%d: relative errors dX %g dW %g db %g", B, nin, nout, threads,
          ex, ew, eb);
    /* dX may be skipped */
    xs_nn_dense_backward_fast(X, W, dZ, NULL, dW2, db2, B, nin, nout, threads);
    CHECK(worst(dW1, dW2, sW, nw) <= REL_TOL, "dense backward without dX");
    free(X), free(W), free(b), free(dZ), free(Y1), free(Y2), free(S), free(aX), free(aW), free(ab), free(adZ);
    free(dX1), free(dX2), free(dW1), free(dW2), free(db1), free(db2), free(sX), free(sW), free(sb);
}

static void test_conv(xs_rng *r, int B, int cin, int lin, int cout, int k, int s, int act, size_t col_floats,
                      int threads)
{
    int lout = (lin - k) / s + 1;
    size_t nx = (size_t)cin * B * lin, ny = (size_t)cout * B * lout, nw = (size_t)cout * cin * k;
    float *X = rnd(r, nx, -1, 1), *W = rnd(r, nw, -0.5, 0.5), *b = rnd(r, cout, -1, 1), *dZ = rnd(r, ny, -1, 1);
    float *aX = absv(X, nx), *aW = absv(W, nw), *ab = absv(b, cout), *adZ = absv(dZ, ny);
    float *col = malloc(sizeof(float) * col_floats);
    float *Y1 = malloc(4 * ny), *Y2 = malloc(4 * ny), *S = malloc(4 * ny);
    xs_nn_conv_forward_ref(X, W, b, Y1, B, cin, lin, cout, k, s, act);
    xs_nn_conv_forward_fast(X, W, b, Y2, B, cin, lin, cout, k, s, act, col, col_floats, threads);
    xs_nn_conv_forward_ref(aX, aW, ab, S, B, cin, lin, cout, k, s, XS_NN_ACT_NONE);
    double e = worst(Y1, Y2, S, ny);
    CHECK(e <= REL_TOL, "conv forward B=%d cin=%d lin=%d cout=%d k=%d s=%d act=%d col=%zu threads=%d: %g", B, cin,
          lin, cout, k, s, act, col_floats, threads, e);
    float *dX1 = malloc(4 * nx), *dX2 = malloc(4 * nx), *dW1 = malloc(4 * nw), *dW2 = malloc(4 * nw);
    float *db1 = malloc(4 * cout), *db2 = malloc(4 * cout), *sX = malloc(4 * nx), *sW = malloc(4 * nw),
          *sb = malloc(4 * cout);
    xs_nn_conv_backward_ref(X, W, dZ, dX1, dW1, db1, B, cin, lin, cout, k, s);
    xs_nn_conv_backward_fast(X, W, dZ, dX2, dW2, db2, B, cin, lin, cout, k, s, col, col_floats, threads);
    xs_nn_conv_backward_ref(aX, aW, adZ, sX, sW, sb, B, cin, lin, cout, k, s);
    /* inputs no output window reaches get exactly 0 from both */
    double ex = worst(dX1, dX2, sX, nx), ew = worst(dW1, dW2, sW, nw), eb = worst(db1, db2, sb, cout);
    CHECK(ex <= REL_TOL && ew <= REL_TOL && eb <= REL_TOL,
          "conv backward B=%d cin=%d lin=%d cout=%d k=%d s=%d col=%zu threads=%d: dX %g dW %g db %g", B, cin, lin,
          cout, k, s, col_floats, threads, ex, ew, eb);
    free(X), free(W), free(b), free(dZ), free(aX), free(aW), free(ab), free(adZ), free(col), free(Y1), free(Y2);
    free(S), free(dX1), free(dX2), free(dW1), free(dW2), free(db1), free(db2), free(sX), free(sW), free(sb);
}

static void test_adam(xs_rng *r, size_t n, long t, int threads)
{
    float *w1 = rnd(r, n, -1, 1), *g = rnd(r, n, -0.1, 0.1), *m1 = rnd(r, n, -0.01, 0.01), *v1 = rnd(r, n, 0, 1e-3);
    float *w2 = malloc(4 * n), *m2 = malloc(4 * n), *v2 = malloc(4 * n);
    float *m0 = malloc(4 * n), *v0 = malloc(4 * n);
    memcpy(w2, w1, 4 * n), memcpy(m2, m1, 4 * n), memcpy(v2, v1, 4 * n), memcpy(m0, m1, 4 * n), memcpy(v0, v1, 4 * n);
    xs_nn_adam_ref(w1, g, m1, v1, n, 1e-3, 0.9, 0.999, 1e-8, t);
    xs_nn_adam_fast(w2, g, m2, v2, n, 1e-3, 0.9, 0.999, 1e-8, t, threads);
    /* The two may differ in whether the compiler fuses a multiply and an add, i.e. by a few float32 roundings:
     * the moments relative to the size of their two terms (cancellation makes a relative error of m itself
     * meaningless) within 1e-6 (8 ulp), the weights (|w| < 1.2) within 2 ulp of 1 (2.4e-7). */
    double ew = 0, em = 0, ev = 0;
    for (size_t i = 0; i < n; i++) {
        double gi = g[i], mterms = 0.9 * fabs(m0[i]) + 0.1 * fabs(gi), vterms = 0.999 * v0[i] + 0.001 * gi * gi;
        ew = fmax(ew, fabs((double)w1[i] - w2[i]));
        em = fmax(em, fabs((double)m1[i] - m2[i]) / (mterms + 1e-30));
        ev = fmax(ev, fabs((double)v1[i] - v2[i]) / (vterms + 1e-30));
    }
    CHECK(ew <= 2.4e-7 && em <= 1e-6 && ev <= 1e-6, "adam n=%zu t=%ld: w %g m %g v %g", n, t, ew, em, ev);
    free(m0), free(v0);
    free(w1), free(g), free(m1), free(v1), free(w2), free(m2), free(v2);
}

/* Pooling against a direct formula (pooling has a single implementation, threaded). */
static void test_pool(xs_rng *r, size_t rows, int lin, int p, int s, int threads)
{
    int lout = (lin - p) / s + 1;
    float *X = rnd(r, rows * lin, -1, 1), *Y = malloc(4 * rows * lout), *dY = rnd(r, rows * lout, -1, 1);
    float *dX = malloc(4 * rows * lin);
    int *am = malloc(sizeof(int) * rows * lout);
    int bad = 0;
    xs_nn_avgpool_forward(X, Y, rows, lin, p, s, threads);
    for (size_t q = 0; q < rows; q++)
        for (int t = 0; t < lout; t++) {
            double sum = 0;
            for (int j = 0; j < p; j++) sum += X[q * lin + t * s + j];
            bad += fabs(sum / p - Y[q * lout + t]) > 1e-6; /* float sum of <= 5 values in [-1, 1] */
        }
    xs_nn_avgpool_backward(dY, dX, rows, lin, p, s, threads);
    for (size_t q = 0; q < rows; q++)
        for (int i = 0; i < lin; i++) {
            double g = 0;
            for (int t = 0; t < lout; t++)
                if (i >= t * s && i < t * s + p) g += dY[q * lout + t] / p;
            bad += fabs(g - dX[q * lin + i]) > 1e-6;
        }
    xs_nn_maxpool_forward(X, Y, am, rows, lin, p, s, threads);
    for (size_t q = 0; q < rows; q++)
        for (int t = 0; t < lout; t++) {
            float m = X[q * lin + t * s];
            for (int j = 1; j < p; j++) m = fmaxf(m, X[q * lin + t * s + j]);
            bad += m != Y[q * lout + t] || X[q * lin + am[q * lout + t]] != m;
        }
    xs_nn_maxpool_backward(dY, am, dX, rows, lin, p, s, threads);
    for (size_t q = 0; q < rows; q++)
        for (int i = 0; i < lin; i++) {
            double g = 0;
            for (int t = 0; t < lout; t++)
                if (am[q * lout + t] == i) g += dY[q * lout + t];
            bad += fabs(g - dX[q * lin + i]) > 1e-6;
        }
    CHECK(bad == 0, "pooling rows=%zu lin=%d p=%d s=%d threads=%d: %d wrong values", rows, lin, p, s, threads, bad);
    free(X), free(Y), free(dY), free(dX), free(am);
}

/* Dropout masks: kept fraction, values, out = in * mask, independence of the thread count, and masks of other
 * steps and layers uncorrelated. */
static void test_dropout(float rate)
{
    size_t n = ((size_t)1 << 20) + 5;
    float *in = malloc(4 * n), *o1 = malloc(4 * n), *m1 = malloc(4 * n), *o2 = malloc(4 * n), *m2 = malloc(4 * n);
    for (size_t i = 0; i < n; i++) in[i] = (float)(i % 17) - 8.0f;
    xs_nn_dropout_forward(in, o1, m1, n, rate, 12345, 7, 3, 1);
    xs_nn_dropout_forward(in, o2, m2, n, rate, 12345, 7, 3, 2);
    CHECK(!memcmp(m1, m2, 4 * n) && !memcmp(o1, o2, 4 * n), "rate %g: masks depend on the thread count", rate);
    float keep = 1.0f / (1.0f - rate);
    size_t kept = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        kept += m1[i] != 0;
        bad += (m1[i] != 0 && m1[i] != keep) || o1[i] != in[i] * m1[i];
    }
    double frac = (double)kept / n;
    /* binomial spread of the kept fraction over 2^20 values: sqrt(p(1-p)/n) <= 4.9e-4; 3e-3 is six of them */
    CHECK(bad == 0 && fabs(frac - (1 - rate)) < 3e-3, "rate %g: kept %.5f, %zu bad values", rate, frac, bad);
    xs_nn_dropout_forward(NULL, NULL, m2, n, rate, 12345, 8, 3, 2);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += (m1[i] != 0) == (m2[i] != 0);
    double p = 1 - rate, expect = p * p + (1 - p) * (1 - p);
    /* independent masks agree on a fraction p^2 + (1-p)^2 of values, again within six binomial spreads */
    CHECK(fabs((double)same / n - expect) < 3e-3, "rate %g: masks of consecutive steps agree on %.4f (expected %.4f)",
          rate, (double)same / n, expect);
    free(in), free(o1), free(m1), free(o2), free(m2);
}

/* Autocorrelation, fast against reference; the scale of a_t is sum |x_u x_{u+t}| / sum x_u^2. */
static void test_autocorr(xs_rng *r, int B, int n, int lags, int threads, double zeros)
{
    float *X = rnd(r, (size_t)B * n, -1, 1);
    /* a fraction of the values set to 0, as the peaks gate leaves them (the fast kernel's sparse path) */
    for (size_t i = 0; i < (size_t)B * n; i++)
        if (xs_rng_uniform(r) < zeros) X[i] = 0;
    float *Xa = absv(X, (size_t)B * n);
    size_t no = (size_t)B * (n + lags);
    float *Yr = calloc(no, sizeof(float)), *Yf = calloc(no, sizeof(float)), *S = calloc(no, sizeof(float));
    xs_nn_autocorr_forward_ref(X, Yr, B, n, lags);
    xs_nn_autocorr_forward_fast(X, Yf, B, n, lags, threads);
    xs_nn_autocorr_forward_ref(Xa, S, B, n, lags);
    double w = worst(Yf, Yr, S, no);
    CHECK(w <= REL_TOL, "autocorr B=%d n=%d lags=%d threads=%d zeros=%g: relative error %g", B, n, lags, threads,
          zeros, w);
    for (int b = 0; b < B && lags > 0; b++) {
        int zero = 1; /* a_0 is 1, or 0 for an input of zeros */
        for (int u = 0; u < n; u++) zero &= X[(size_t)b * n + u] == 0;
        CHECK_NEAR(Yf[(size_t)b * (n + lags) + n], zero ? 0.0 : 1.0, 1e-6, "a_0 of the fast kernel");
    }
    free(X), free(Xa), free(Yr), free(Yf), free(S);
}

/* ln Q resampling on the paper's grid: a constant stays that constant (weights of every output sum to 1), a
 * narrow peak lands in the output bin of its ln sin(theta), and two peaks whose sin(theta) differ by a factor s
 * are ln(s)/h bins apart wherever they are (the point of the layer). */
static void test_logq(void)
{
    const int n = 8500, P = 2048;
    const double start = 5, step = 0.01;
    xs_nn_logq_map m;
    xs_error err = {0};
    CHECK(xs_nn_logq_map_build(&m, n, start, step, P, &err) == XS_OK, "logq map: %s", err.message);
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * P);
    for (int i = 0; i < n; i++) x[i] = 0.75f;
    xs_nn_logq_forward(&m, x, y, 1, n);
    double wc = 0;
    for (int j = 0; j < P; j++) wc = fmax(wc, fabs(y[j] - 0.75));
    CHECK(wc < 1e-5, "constant input: largest deviation %g", wc); /* float sums of <= 30 weights */
    double u0 = log(sin(start * M_PI / 360)), u1 = log(sin((start + step * (n - 1)) * M_PI / 360));
    double h = (u1 - u0) / (P - 1);
    const double s = 1.7; /* sin(theta) ratio of the two peaks */
    const double peaks[] = {8.0, 21.3, 33.3, 47.0};
    for (size_t k = 0; k < sizeof peaks / sizeof peaks[0]; k++) {
        double t1 = peaks[k], t2 = 360 / M_PI * asin(s * sin(t1 * M_PI / 360));
        int at[2];
        for (int q = 0; q < 2; q++) {
            double tt = q ? t2 : t1;
            for (int i = 0; i < n; i++) {
                double z = (start + step * i - tt) / 0.03;
                x[i] = (float)exp(-0.5 * z * z);
            }
            xs_nn_logq_forward(&m, x, y, 1, n);
            int best = 0;
            for (int j = 1; j < P; j++)
                if (y[j] > y[best]) best = j;
            at[q] = best;
            double want = (log(sin(tt * M_PI / 360)) - u0) / h;
            /* one bin: the peak (0.03 deg sigma) is narrower than a bin at high angle, wider at low angle */
            CHECK(fabs(best - want) <= 1.0, "peak at %g deg: output bin %d, expected %.2f", tt, best, want);
        }
        CHECK(fabs((at[1] - at[0]) - log(s) / h) <= 1.5, "peaks at %g and %g deg are %d bins apart, ln(s)/h = %.2f",
              t1, t2, at[1] - at[0], log(s) / h);
    }
    /* high-pass: a straight line is removed wherever the window fits, a constant everywhere */
    const int hn = 200, win = 21;
    double *pre = malloc(sizeof(double) * (hn + 1));
    float *hy = malloc(sizeof(float) * hn);
    for (int i = 0; i < hn; i++) x[i] = 0.3f + 0.002f * i;
    xs_nn_highpass_forward(x, hy, 1, hn, win, pre);
    double wl = 0;
    for (int i = win / 2; i < hn - win / 2; i++) wl = fmax(wl, fabs(hy[i]));
    CHECK(wl < 1e-6, "high-pass of a line: %g", wl); /* float rounding of values below 1 */
    for (int i = 0; i < hn; i++) x[i] = 2.5f;
    xs_nn_highpass_forward(x, hy, 1, hn, win, pre);
    wl = 0;
    for (int i = 0; i < hn; i++) wl = fmax(wl, fabs(hy[i]));
    CHECK(wl < 1e-6, "high-pass of a constant: %g", wl);
    free(pre), free(hy), free(x), free(y);
    xs_nn_logq_map_free(&m);
}

/* peaks: a deterministic "noise" (alternating +-a, so the estimated sigma is exactly 2a / 0.95387 in every
 * block) with triangular bumps; a bump is kept when its highest point exceeds K sigma of its own block. */
static void test_peaks(void)
{
    const int n = 1024;
    const float k = 3; /* threshold 3 * 2a / 0.95387 = 6.29 a */
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n), *m = malloc(sizeof(float) * n);
    float *y7 = malloc(sizeof(float) * n), *x7 = malloc(sizeof(float) * n);
    const struct {
        int at;
        float h;
        int kept;
    } bumps[] = {
        {100, 0.12f, 1}, /* 12 a of its block (a = 0.01): kept */
        {300, 0.03f, 0}, /* at most 4 a: below 6.29 a */
        {700, 0.12f, 0}, /* the same bump where a = 0.05: 0.17 < 0.31 */
        {900, 0.60f, 1}, /* 12 a there */
    };
    for (int u = 0; u < n; u++) x[u] = (u % 2 ? 1.0f : -1.0f) * (u < n / 2 ? 0.01f : 0.05f);
    for (int b = 0; b < 4; b++)
        for (int d = -2; d <= 2; d++) x[bumps[b].at + d] += bumps[b].h * (1.0f - (float)abs(d) / 3.0f);
    xs_nn_peaks_forward(x, y, m, 1, n, k);
    for (int b = 0; b < 4; b++) {
        int c = bumps[b].at;
        CHECK(bumps[b].kept ? y[c] == x[c] && m[c] == 1 : y[c] == 0 && m[c] == 0, "peaks: bump at %d %s", c,
              bumps[b].kept ? "dropped" : "kept");
    }
    int stray = 0, bad_mask = 0;
    for (int u = 0; u < n; u++) {
        int near = 0;
        for (int b = 0; b < 4; b++) near |= abs(u - bumps[b].at) <= 3 && bumps[b].kept;
        if (!near && y[u] != 0) stray++;
        if (y[u] != m[u] * x[u]) bad_mask++;
    }
    CHECK(stray == 0, "peaks: %d points of noise kept", stray);
    CHECK(bad_mask == 0, "peaks: %d outputs are not input times mask", bad_mask);
    /* the gate does not depend on the pattern's scale */
    for (int u = 0; u < n; u++) x7[u] = 7 * x[u];
    xs_nn_peaks_forward(x7, y7, m, 1, n, k);
    double worst = 0;
    for (int u = 0; u < n; u++) worst = fmax(worst, fabs(y7[u] - 7 * y[u]));
    CHECK(worst < 1e-6, "peaks of 7 x differ from 7 times peaks of x by %g", worst); /* both exact products */
    /* K = 0 keeps every positive run as it is; NaN is dropped */
    x[5] = NAN;
    xs_nn_peaks_forward(x, y, m, 1, n, 0);
    int pos_ok = 1;
    for (int u = 0; u < n; u++)
        if (u != 5 && y[u] != (x[u] > 0 ? x[u] : 0)) pos_ok = 0;
    CHECK(pos_ok && y[5] == 0, "peaks 0 is not the positive part");
    free(x), free(y), free(m), free(y7), free(x7);
}

/* The gate written out plainly, with its noise from a full sort, against the kernel on noisy patterns with
 * peaks of every height: the two must agree exactly (the median is one of the values, whatever finds it). */
static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_peaks_against_sort(void)
{
    const int n = 2048 + 77, B = 40; /* a last block longer than the others */
    float *x = malloc(sizeof(float) * n * B), *y = malloc(sizeof(float) * n * B), *m = malloc(sizeof(float) * n * B);
    float *want = malloc(sizeof(float) * n), *thr = malloc(sizeof(float) * n), d[256];
    xs_rng r;
    xs_rng_seed(&r, 5, 0);
    for (int b = 0; b < B; b++) {
        float *xb = x + (size_t)b * n, level = (float)xs_rng_range(&r, 0.001, 0.1);
        for (int u = 0; u < n; u++) xb[u] = level * (float)xs_rng_normal(&r) + 0.01f * (float)(u % 300) / 300.0f;
        for (int p = 0; p < 60; p++) {
            int at = (int)xs_rng_below(&r, (uint64_t)n);
            float h = level * (float)xs_rng_range(&r, 0, 12);
            for (int q = -3; q <= 3; q++)
                if (at + q >= 0 && at + q < n) xb[at + q] += h * (float)exp(-0.5 * q * q);
        }
        if (b % 10 == 3) xb[17] = 0, xb[18] = 0; /* ties */
    }
    xs_nn_peaks_forward(x, y, m, B, n, 3);
    int bad = 0;
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * n, *yb = y + (size_t)b * n;
        float amax = 0;
        for (int u = 0; u < n; u++) amax = fmaxf(amax, fabsf(xb[u]));
        int blocks = n / XS_NN_PEAKS_BLOCK;
        for (int q = 0; q < blocks; q++) {
            int lo = q * XS_NN_PEAKS_BLOCK, hi = q == blocks - 1 ? n : lo + XS_NN_PEAKS_BLOCK, c = 0;
            for (int u = lo; u < hi && u + 1 < n; u++) d[c++] = fabsf(xb[u + 1] - xb[u]);
            qsort(d, (size_t)c, sizeof(float), cmp_float);
            float sigma = fmaxf(d[(c - 1) / 2] / 0.95387f, 1e-6f * amax + 1e-30f);
            for (int u = lo; u < hi; u++) thr[u] = 3 * sigma;
        }
        for (int u = 0; u < n; u++) want[u] = 0;
        for (int u = 0; u < n; u++) {
            if (!(xb[u] > 0) || (u > 0 && xb[u - 1] > 0)) continue; /* u starts a run */
            int e = u, top = u;
            for (; e < n && xb[e] > 0; e++)
                if (xb[e] > xb[top]) top = e;
            if (xb[top] > thr[top])
                for (int v = u; v < e; v++) want[v] = xb[v];
        }
        for (int u = 0; u < n; u++) bad += yb[u] != want[u];
    }
    CHECK(bad == 0, "peaks: %d of %d outputs differ from the gate computed with a full sort", bad, n * B);
    free(x), free(y), free(m), free(want), free(thr);
}

int main(void)
{
    test_peaks();
    test_peaks_against_sort();
    test_logq();
    test_dropout(0.3f);
    test_dropout(0.5f);
    test_dropout(0.6f);
    xs_rng r;
    xs_rng_seed(&r, 20261123, 0);
    const int dense_shapes[][3] = {{1, 1, 1},   {1, 17, 5},    {3, 8, 8},    {7, 33, 19},  {16, 64, 10},
                                   {5, 300, 7}, {32, 129, 65}, {64, 70, 230}, {13, 1000, 3}, {128, 40, 33},
                                   /* large enough to be split among threads (B*nin*nout >= 4e6) */
                                   {64, 700, 300}, {128, 200, 257}, {3, 1500, 1000}};
    for (size_t i = 0; i < sizeof dense_shapes / sizeof dense_shapes[0]; i++)
        for (int threads = 1; threads <= 2; threads++) {
            xs_nn_blas_threads(threads);
            test_dense(&r, dense_shapes[i][0], dense_shapes[i][1], dense_shapes[i][2],
                       i % 2 ? XS_NN_ACT_RELU : XS_NN_ACT_NONE, threads);
        }
    /* B, cin, lin, cout, k, s */
    const int conv_shapes[][6] = {{1, 1, 10, 1, 3, 1},   {2, 1, 50, 4, 10, 5},  {3, 2, 31, 3, 4, 2},
                                  {4, 3, 40, 5, 7, 3},   {5, 1, 100, 8, 25, 5}, {2, 4, 64, 6, 64, 1},
                                  {6, 5, 57, 7, 5, 4},   {1, 8, 33, 2, 8, 8},   {9, 2, 120, 3, 11, 6},
                                  {4, 16, 60, 16, 12, 2}};
    for (size_t i = 0; i < sizeof conv_shapes / sizeof conv_shapes[0]; i++) {
        const int *c = conv_shapes[i];
        int lout = (c[2] - c[4]) / c[5] + 1;
        size_t per = (size_t)c[1] * c[4] * lout;
        for (int threads = 1; threads <= 2; threads++) {
            xs_nn_blas_threads(threads);
            /* whole batch in one im2col (per thread when it also holds a weight gradient), one sample (plus a
             * spare) per chunk */
            test_conv(&r, c[0], c[1], c[2], c[3], c[4], c[5], i % 2 ? XS_NN_ACT_RELU : XS_NN_ACT_NONE,
                      per * c[0], threads);
            test_conv(&r, c[0], c[1], c[2], c[3], c[4], c[5], XS_NN_ACT_RELU, per + per / 2, threads);
            /* the size the engine allocates: one part of the batch per thread */
            test_conv(&r, c[0], c[1], c[2], c[3], c[4], c[5], XS_NN_ACT_RELU,
                      xs_nn_conv_col_floats(c[0], c[1], c[2], c[3], c[4], c[5], threads), threads);
        }
    }
    const size_t adam_n[] = {1, 7, 8, 9, 100, 65536 + 13, 200003};
    for (size_t i = 0; i < sizeof adam_n / sizeof adam_n[0]; i++) {
        test_adam(&r, adam_n[i], 1, 2);
        test_adam(&r, adam_n[i], 1000, 1);
    }
    const int pool_shapes[][4] = {{1, 3, 3, 3}, {5, 10, 3, 2}, {40, 100, 3, 3}, {7, 9, 2, 1}, {300, 31, 5, 4}};
    for (size_t i = 0; i < sizeof pool_shapes / sizeof pool_shapes[0]; i++)
        for (int threads = 1; threads <= 2; threads++)
            test_pool(&r, (size_t)pool_shapes[i][0], pool_shapes[i][1], pool_shapes[i][2], pool_shapes[i][3],
                      threads);
    const int ac_shapes[][3] = {{1, 1, 1}, {2, 9, 3}, {3, 17, 17}, {5, 100, 40}, {16, 2048, 1024}, {4, 31, 40}};
    for (size_t i = 0; i < sizeof ac_shapes / sizeof ac_shapes[0]; i++)
        for (int threads = 1; threads <= 2; threads++)
            for (int z = 0; z < 3; z++) /* dense; 95% zeros (the sparse path on the larger shapes); all zeros */
                test_autocorr(&r, ac_shapes[i][0], ac_shapes[i][1], ac_shapes[i][2], threads, z == 0 ? 0 : z == 1 ? 0.95 : 1);
    return xs_test_finish();
}
