/* Reference kernels: plain loops written to be read, not to be fast. Sums are accumulated in double so that
 * they are at least as accurate as the fast kernels they check. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

void xs_nn_dense_forward_ref(const float *X, const float *W, const float *b, float *Y, int B, int nin,
                             int nout, int act)
{
    for (int n = 0; n < B; n++)
        for (int o = 0; o < nout; o++) {
            double z = b[o];
            for (int i = 0; i < nin; i++) z += (double)X[(size_t)n * nin + i] * W[(size_t)o * nin + i];
            if (act == XS_NN_ACT_RELU && z < 0) z = 0;
            Y[(size_t)n * nout + o] = (float)z;
        }
}

void xs_nn_dense_backward_ref(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                              float *db, int B, int nin, int nout)
{
    for (int o = 0; o < nout; o++) {
        double s = 0;
        for (int n = 0; n < B; n++) s += dZ[(size_t)n * nout + o];
        db[o] = (float)s;
        for (int i = 0; i < nin; i++) {
            double g = 0;
            for (int n = 0; n < B; n++) g += (double)dZ[(size_t)n * nout + o] * X[(size_t)n * nin + i];
            dW[(size_t)o * nin + i] = (float)g;
        }
    }
    if (!dX) return;
    for (int n = 0; n < B; n++)
        for (int i = 0; i < nin; i++) {
            double g = 0;
            for (int o = 0; o < nout; o++) g += (double)dZ[(size_t)n * nout + o] * W[(size_t)o * nin + i];
            dX[(size_t)n * nin + i] = (float)g;
        }
}

/* Element (c, n, t) of a [channel][batch][length] tensor. */
#define AT(P, c, n, t, B, L) (P)[((size_t)(c) * (B) + (n)) * (L) + (t)]

void xs_nn_conv_forward_ref(const float *X, const float *W, const float *b, float *Y, int B, int cin, int lin,
                            int cout, int k, int s, int act)
{
    int lout = (lin - k) / s + 1;
    for (int o = 0; o < cout; o++)
        for (int n = 0; n < B; n++)
            for (int t = 0; t < lout; t++) {
                double z = b[o];
                for (int c = 0; c < cin; c++)
                    for (int j = 0; j < k; j++)
                        z += (double)W[((size_t)o * cin + c) * k + j] * AT(X, c, n, t * s + j, B, lin);
                if (act == XS_NN_ACT_RELU && z < 0) z = 0;
                AT(Y, o, n, t, B, lout) = (float)z;
            }
}

void xs_nn_conv_backward_ref(const float *X, const float *W, const float *dZ, float *dX, float *dW, float *db,
                             int B, int cin, int lin, int cout, int k, int s)
{
    int lout = (lin - k) / s + 1;
    for (int o = 0; o < cout; o++) {
        double sb = 0;
        for (int n = 0; n < B; n++)
            for (int t = 0; t < lout; t++) sb += AT(dZ, o, n, t, B, lout);
        db[o] = (float)sb;
        for (int c = 0; c < cin; c++)
            for (int j = 0; j < k; j++) {
                double g = 0;
                for (int n = 0; n < B; n++)
                    for (int t = 0; t < lout; t++)
                        g += (double)AT(dZ, o, n, t, B, lout) * AT(X, c, n, t * s + j, B, lin);
                dW[((size_t)o * cin + c) * k + j] = (float)g;
            }
    }
    if (!dX) return;
    /* dX(c, n, i) = sum over (o, t, j) with t*s + j = i of dZ(o, n, t) W(o, c, j) */
    for (int c = 0; c < cin; c++)
        for (int n = 0; n < B; n++)
            for (int i = 0; i < lin; i++) {
                double g = 0;
                for (int j = 0; j < k; j++) {
                    int ts = i - j;
                    if (ts < 0 || ts % s) continue;
                    int t = ts / s;
                    if (t >= lout) continue;
                    for (int o = 0; o < cout; o++)
                        g += (double)AT(dZ, o, n, t, B, lout) * W[((size_t)o * cin + c) * k + j];
                }
                AT(dX, c, n, i, B, lin) = (float)g;
            }
}

void xs_nn_adam_ref(float *w, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                    double beta2, double eps, long t)
{
    double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    float b1 = (float)beta1, b2 = (float)beta2, step = (float)(lr / bc1), rs = (float)(1.0 / sqrt(bc2));
    float e = (float)eps;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        w[i] -= step * (mi / (sqrtf(vi) * rs + e));
    }
}
