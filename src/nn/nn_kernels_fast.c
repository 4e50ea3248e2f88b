/* Fast kernels: OpenBLAS sgemm for dense layers and for convolutions (im2col over a chunk of the batch),
 * AVX2 for Adam, and the module's threads for the element-wise passes. Each has a reference twin in
 * nn_kernels_ref.c; tests/test_nn_kernels.c compares them on many shapes. */
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

/* ---- dense ---- */
typedef struct {
    float *Y;
    const float *b;
    int B, nout, act, rows_per_task;
} bias_act_ctx;

static void bias_act_task(void *p, int task)
{
    bias_act_ctx *c = p;
    int r0 = task * c->rows_per_task, r1 = r0 + c->rows_per_task;
    if (r1 > c->B) r1 = c->B;
    for (int r = r0; r < r1; r++) {
        float *y = c->Y + (size_t)r * c->nout;
        if (c->act == XS_NN_ACT_RELU)
            for (int o = 0; o < c->nout; o++) {
                float z = y[o] + c->b[o];
                y[o] = z > 0 ? z : 0;
            }
        else
            for (int o = 0; o < c->nout; o++) y[o] += c->b[o];
    }
}

static int tasks_for(size_t rows, int threads, int *per)
{
    int ntasks = threads > 1 ? 4 * threads : 1;
    if ((size_t)ntasks > rows) ntasks = (int)rows;
    if (ntasks < 1) ntasks = 1;
    *per = (int)((rows + ntasks - 1) / ntasks);
    return (int)((rows + *per - 1) / *per);
}

/* Large dense products are split among the threads by output columns (forward, weight gradient by rows,
 * input gradient by columns), each part a single-threaded sgemm on contiguous rows of W, so that the threads
 * meet once per product; small ones go to OpenBLAS's own threads. */
typedef struct {
    const float *X, *W, *b, *dZ;
    float *Y, *dX, *dW;
    int B, nin, nout, act, parts;
} dense_ctx;

static void split16(int n, int part, int parts, int *a, int *b)
{
    *a = (int)((long)n * part / parts) & ~15;
    *b = part == parts - 1 ? n : (int)((long)n * (part + 1) / parts) & ~15;
}

static void dense_fwd_part(void *p, int part)
{
    const dense_ctx *c = p;
    int o0, o1;
    split16(c->nout, part, c->parts, &o0, &o1);
    if (o1 <= o0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->B, o1 - o0, c->nin, 1.0f, c->X, c->nin,
                c->W + (size_t)o0 * c->nin, c->nin, 0.0f, c->Y + o0, c->nout);
    for (int r = 0; r < c->B; r++) {
        float *y = c->Y + (size_t)r * c->nout;
        if (c->act == XS_NN_ACT_RELU)
            for (int o = o0; o < o1; o++) {
                float z = y[o] + c->b[o];
                y[o] = z > 0 ? z : 0;
            }
        else
            for (int o = o0; o < o1; o++) y[o] += c->b[o];
    }
}

static void dense_bwd_part(void *p, int part)
{
    const dense_ctx *c = p;
    int o0, o1, i0, i1;
    split16(c->nout, part, c->parts, &o0, &o1);
    split16(c->nin, part, c->parts, &i0, &i1);
    if (o1 > o0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, c->nin, c->B, 1.0f, c->dZ + o0, c->nout, c->X,
                    c->nin, 0.0f, c->dW + (size_t)o0 * c->nin, c->nin);
    if (c->dX && i1 > i0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->B, i1 - i0, c->nout, 1.0f, c->dZ, c->nout, c->W + i0,
                    c->nin, 0.0f, c->dX + i0, c->nin);
}

/* Parts for a product of B x nin x nout multiply-adds: one per thread when large enough to be worth it. */
static int dense_parts(int B, int nin, int nout, int threads)
{
    if (threads < 2 || nout < 64 * threads || nin < 64 * threads || (double)B * nin * nout < 4e6) return 1;
    return threads;
}

static void dense_run(dense_ctx *c, xs_nn_task_fn fn, int threads)
{
    xs_nn_blas_threads(1);
    xs_nn_parallel(c->parts, c->parts, fn, c);
    xs_nn_blas_threads(threads);
}

void xs_nn_dense_forward_fast(const float *X, const float *W, const float *b, float *Y, int B, int nin,
                              int nout, int act, int threads)
{
    dense_ctx d = {X, W, b, NULL, Y, NULL, NULL, B, nin, nout, act, dense_parts(B, nin, nout, threads)};
    if (d.parts > 1) {
        dense_run(&d, dense_fwd_part, threads);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nout, nin, 1.0f, X, nin, W, nin, 0.0f, Y, nout);
    bias_act_ctx c = {Y, b, B, nout, act, 0};
    int ntasks = tasks_for((size_t)B, threads, &c.rows_per_task);
    xs_nn_parallel(threads, ntasks, bias_act_task, &c);
}

/* Column sums of dZ[B][n] into db, in a fixed order (deterministic), columns split among tasks. */
typedef struct {
    const float *dZ;
    float *db;
    int B, n, cols_per_task;
} colsum_ctx;

static void colsum_task(void *p, int task)
{
    colsum_ctx *c = p;
    int o0 = task * c->cols_per_task, o1 = o0 + c->cols_per_task;
    if (o1 > c->n) o1 = c->n;
    for (int o = o0; o < o1; o++) c->db[o] = 0;
    for (int r = 0; r < c->B; r++) {
        const float *d = c->dZ + (size_t)r * c->n;
        for (int o = o0; o < o1; o++) c->db[o] += d[o];
    }
}

void xs_nn_dense_backward_fast(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                               float *db, int B, int nin, int nout, int threads)
{
    colsum_ctx c = {dZ, db, B, nout, 0};
    int ntasks = tasks_for((size_t)nout, threads, &c.cols_per_task);
    xs_nn_parallel(threads, ntasks, colsum_task, &c);
    dense_ctx d = {X, W, NULL, dZ, NULL, dX, dW, B, nin, nout, 0, dense_parts(B, nin, nout, threads)};
    if (d.parts > 1) {
        dense_run(&d, dense_bwd_part, threads);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, nin, B, 1.0f, dZ, nout, X, nin, 0.0f, dW, nin);
    if (dX)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nin, nout, 1.0f, dZ, nout, W, nin, 0.0f, dX,
                    nin);
}

/* ---- convolution ----
 * The im2col matrix is built transposed, colT[(bl, t)][(c, j)] = X(c, b0 + bl, t*s + j): every row is made of
 * cin contiguous runs of k input values (memcpy, no strided gathers), and the products take colT with a
 * transpose flag. */
typedef struct {
    const float *X;
    float *col;
    int B, cin, lin, k, s, lout, b0, nb;
} im2col_ctx;

/* Rows (bl, t) of colT for sample bl (one task per sample in the chunk). */
static void im2col_task(void *p, int bl)
{
    im2col_ctx *q = p;
    size_t K = (size_t)q->cin * q->k;
    float *dst = q->col + (size_t)bl * q->lout * K;
    for (int t = 0; t < q->lout; t++, dst += K)
        for (int c = 0; c < q->cin; c++)
            memcpy(dst + (size_t)c * q->k, q->X + ((size_t)c * q->B + q->b0 + bl) * q->lin + (size_t)t * q->s,
                   sizeof(float) * (size_t)q->k);
}

/* The input gradient goes the other way round: col[(c, j)][(bl, t)] = sum_o W(o, c, j) dZ(o, b0 + bl, t) (one
 * product, output in the orientation that the scatter below reads row by row, which measured faster than
 * scattering colT), then dX(c, b0 + bl, t*s + j) = sum_j col[(c, j)][(bl, t)]; one task per input channel
 * (disjoint rows of dX). */
static void col2im_task(void *p, int c)
{
    im2col_ctx *q = p;
    size_t N = (size_t)q->nb * q->lout;
    float *dX = (float *)q->X;
    for (int bl = 0; bl < q->nb; bl++) {
        float *d = dX + ((size_t)c * q->B + q->b0 + bl) * q->lin;
        memset(d, 0, sizeof(float) * (size_t)q->lin);
        for (int j = 0; j < q->k; j++) {
            const float *src = q->col + ((size_t)c * q->k + j) * N + (size_t)bl * q->lout;
            float *dj = d + j;
            for (int t = 0; t < q->lout; t++) dj[(size_t)t * q->s] += src[t];
        }
    }
}

/* The batch is split into one contiguous part per thread; each thread runs im2col, a single-threaded sgemm and
 * the epilogue (bias and activation, or the scatter of the input gradient) on chunks of its own samples in
 * its own region of the work buffer, so that the threads never wait for each other inside a layer. In the
 * backward pass every part but the first accumulates its weight gradient in its region, added in part order
 * at the end (the result depends on the thread count only through that summation order). */
#ifndef XS_NN_CONV_CHUNK_FLOATS
/* im2col floats per chunk, at least one sample: 1 MiB stays in the L2 cache between im2col and sgemm (measured
 * on the CNN: conv1 forward 2x, conv2 backward 1.4x faster than with 32 MiB chunks) */
#define XS_NN_CONV_CHUNK_FLOATS ((size_t)1 << 18)
#endif

size_t xs_nn_conv_col_floats(int B, int cin, int lin, int cout, int k, int s, int threads)
{
    size_t lout = (size_t)((lin - k) / s + 1), K = (size_t)cin * k, per = K * lout;
    size_t nb = ((size_t)B + threads - 1) / threads, chunk = per * nb;
    size_t cap = per > XS_NN_CONV_CHUNK_FLOATS ? per : XS_NN_CONV_CHUNK_FLOATS;
    return (size_t)threads * ((chunk < cap ? chunk : cap) + (size_t)cout * K);
}

typedef struct {
    const float *X, *W, *b, *dZ;
    float *Y, *dX, *dW, *col;
    size_t region; /* work floats per part */
    int B, cin, lin, cout, k, s, lout, act, parts, backward;
} conv_ctx;

static void conv_part(void *p, int part)
{
    const conv_ctx *c = p;
    int n0 = (int)((long)c->B * part / c->parts), n1 = (int)((long)c->B * (part + 1) / c->parts);
    size_t K = (size_t)c->cin * c->k, per = K * c->lout, ld = (size_t)c->B * c->lout;
    float *col = c->col + (size_t)part * c->region, *dW = c->dW;
    size_t avail = c->region;
    if (c->backward && part > 0) {
        dW = col;
        col += (size_t)c->cout * K;
        avail -= (size_t)c->cout * K;
    }
    int nb = (int)(avail / per);
    if (nb < 1) nb = 1;
    for (int b0 = n0; b0 < n1; b0 += nb) {
        int n = n1 - b0 < nb ? n1 - b0 : nb, N = n * c->lout;
        im2col_ctx q = {c->X, col, c->B, c->cin, c->lin, c->k, c->s, c->lout, b0, n};
        for (int bl = 0; bl < n; bl++) im2col_task(&q, bl);
        if (!c->backward) {
            float *Y = c->Y + (size_t)b0 * c->lout;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, N, (int)K, 1.0f, c->W, (int)K, col, (int)K,
                        0.0f, Y, (int)ld);
            for (int o = 0; o < c->cout; o++) { /* bias and activation while the chunk is in cache */
                float *y = Y + (size_t)o * ld, bo = c->b[o];
                if (c->act == XS_NN_ACT_RELU)
                    for (int i = 0; i < N; i++) {
                        float z = y[i] + bo;
                        y[i] = z > 0 ? z : 0;
                    }
                else
                    for (int i = 0; i < N; i++) y[i] += bo;
            }
            continue;
        }
        const float *dZ = c->dZ + (size_t)b0 * c->lout;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, (int)K, N, 1.0f, dZ, (int)ld, col, (int)K,
                    b0 > n0 ? 1.0f : 0.0f, dW, (int)K);
        if (c->dX) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, N, c->cout, 1.0f, c->W, (int)K, dZ, (int)ld,
                        0.0f, col, N);
            im2col_ctx r = {c->dX, col, c->B, c->cin, c->lin, c->k, c->s, c->lout, b0, n};
            for (int ch = 0; ch < c->cin; ch++) col2im_task(&r, ch);
        }
    }
}

/* Run the parts: one per thread when the buffer holds a sample (and a weight gradient) per thread, else one
 * part with OpenBLAS's own threads. */
static void conv_run(conv_ctx *c, size_t col_floats, int threads)
{
    size_t K = (size_t)c->cin * c->k, per = K * c->lout;
    int parts = threads < c->B ? threads : c->B;
    if (parts < 1) parts = 1;
    while (parts > 1 && col_floats / parts < per + (c->backward ? (size_t)c->cout * K : 0)) parts--;
    c->parts = parts;
    c->region = col_floats / parts;
    if (parts == 1) {
        conv_part(c, 0);
        return;
    }
    xs_nn_blas_threads(1);
    xs_nn_parallel(parts, parts, conv_part, c);
    xs_nn_blas_threads(threads);
    if (c->backward) /* partial weight gradients, in part order */
        for (int part = 1; part < parts; part++) {
            const float *g = c->col + (size_t)part * c->region;
            for (size_t i = 0; i < (size_t)c->cout * K; i++) c->dW[i] += g[i];
        }
}

void xs_nn_conv_forward_fast(const float *X, const float *W, const float *b, float *Y, int B, int cin,
                             int lin, int cout, int k, int s, int act, float *col, size_t col_floats,
                             int threads)
{
    conv_ctx c = {X, W, b, NULL, Y, NULL, NULL, col, 0, B, cin, lin, cout, k, s, (lin - k) / s + 1, act, 1, 0};
    conv_run(&c, col_floats, threads);
}

typedef struct {
    const float *dZ;
    float *db;
    size_t row_len;
} conv_db_ctx;

static void conv_db_task(void *p, int o)
{
    conv_db_ctx *c = p;
    const float *d = c->dZ + (size_t)o * c->row_len;
    double s = 0;
    for (size_t i = 0; i < c->row_len; i++) s += d[i];
    c->db[o] = (float)s;
}

void xs_nn_conv_backward_fast(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                              float *db, int B, int cin, int lin, int cout, int k, int s, float *col,
                              size_t col_floats, int threads)
{
    int lout = (lin - k) / s + 1;
    conv_db_ctx d = {dZ, db, (size_t)B * lout};
    xs_nn_parallel(threads, cout, conv_db_task, &d);
    conv_ctx c = {X, W, NULL, dZ, NULL, dX, dW, col, 0, B, cin, lin, cout, k, s, lout, 0, 1, 1};
    conv_run(&c, col_floats, threads);
}

/* ---- Adam ---- */
typedef struct {
    float *w, *m, *v;
    const float *g;
    size_t n, per;
    float b1, b2, step, rs, eps;
} adam_ctx;

static void adam_task(void *p, int task)
{
    adam_ctx *c = p;
    size_t i0 = (size_t)task * c->per, i1 = i0 + c->per;
    if (i1 > c->n) i1 = c->n;
    size_t i = i0;
    const __m256 b1 = _mm256_set1_ps(c->b1), b2 = _mm256_set1_ps(c->b2), c1 = _mm256_set1_ps(1.0f - c->b1),
                 c2 = _mm256_set1_ps(1.0f - c->b2), step = _mm256_set1_ps(c->step), rs = _mm256_set1_ps(c->rs),
                 eps = _mm256_set1_ps(c->eps);
    for (; i + 8 <= i1; i += 8) {
        __m256 g = _mm256_loadu_ps(c->g + i);
        __m256 m = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(c->m + i)), _mm256_mul_ps(c1, g));
        __m256 v = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(c->v + i)),
                                 _mm256_mul_ps(c2, _mm256_mul_ps(g, g)));
        _mm256_storeu_ps(c->m + i, m);
        _mm256_storeu_ps(c->v + i, v);
        __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(v), rs), eps);
        __m256 w = _mm256_sub_ps(_mm256_loadu_ps(c->w + i), _mm256_mul_ps(step, _mm256_div_ps(m, den)));
        _mm256_storeu_ps(c->w + i, w);
    }
    /* The tail with the same operations in the same order, without fused multiply-adds. */
    for (; i < i1; i++) {
        float g = c->g[i];
        volatile float t1 = c->b1 * c->m[i], t2 = (1.0f - c->b1) * g;
        float m = t1 + t2;
        volatile float t3 = c->b2 * c->v[i], t4 = (1.0f - c->b2) * (g * g);
        float v = t3 + t4;
        c->m[i] = m;
        c->v[i] = v;
        volatile float den = sqrtf(v) * c->rs;
        volatile float upd = c->step * (m / (den + c->eps));
        c->w[i] -= upd;
    }
}

void xs_nn_adam_fast(float *w, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                     double beta2, double eps, long t, int threads)
{
    double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    adam_ctx c = {w, m, v, g, n, 0, (float)beta1, (float)beta2, (float)(lr / bc1), (float)(1.0 / sqrt(bc2)),
                  (float)eps};
    size_t per = (size_t)1 << 16;
    size_t ntasks = (n + per - 1) / per;
    c.per = per;
    xs_nn_parallel(threads, (int)ntasks, adam_task, &c);
}
