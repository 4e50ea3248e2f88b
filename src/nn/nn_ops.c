/* Threads, pooling, softmax, dropout masks and losses of the neural-network module. */
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "common/rng.h"
#include "nn/nn_internal.h"

/* ---- threads ---- */
typedef struct {
    xs_nn_task_fn fn;
    void *ctx;
    int t0, t1;
} range_arg;

static void *range_run(void *p)
{
    range_arg *a = p;
    for (int t = a->t0; t < a->t1; t++) a->fn(a->ctx, t);
    return NULL;
}

void xs_nn_parallel(int threads, int ntasks, xs_nn_task_fn fn, void *ctx)
{
    if (ntasks <= 0) return;
    if (threads > ntasks) threads = ntasks;
    if (threads > 64) threads = 64;
    if (threads <= 1) {
        for (int t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_t tid[64];
    range_arg args[64];
    int started[64] = {0};
    for (int i = 0; i < threads; i++) {
        args[i].fn = fn;
        args[i].ctx = ctx;
        args[i].t0 = (int)((long)ntasks * i / threads);
        args[i].t1 = (int)((long)ntasks * (i + 1) / threads);
    }
    for (int i = 1; i < threads; i++) started[i] = pthread_create(&tid[i], NULL, range_run, &args[i]) == 0;
    range_run(&args[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            range_run(&args[i]); /* no thread could be started: do its share here */
    }
}

void xs_nn_blas_threads(int threads) { openblas_set_num_threads(threads); }

/* ---- pooling ---- */
typedef struct {
    const float *X;
    float *Y;
    int *argmax;
    size_t rows, per;
    int lin, lout, p, s;
} pool_ctx;

static void avg_fwd_task(void *q, int task)
{
    pool_ctx *c = q;
    size_t r1 = (size_t)(task + 1) * c->per < c->rows ? (size_t)(task + 1) * c->per : c->rows;
    float inv = 1.0f / (float)c->p;
    for (size_t r = (size_t)task * c->per; r < r1; r++) {
        const float *x = c->X + r * c->lin;
        float *y = c->Y + r * c->lout;
        for (int t = 0; t < c->lout; t++) {
            float sum = 0;
            for (int j = 0; j < c->p; j++) sum += x[t * c->s + j];
            y[t] = sum * inv;
        }
    }
}

static void avg_bwd_task(void *q, int task)
{
    pool_ctx *c = q;
    size_t r1 = (size_t)(task + 1) * c->per < c->rows ? (size_t)(task + 1) * c->per : c->rows;
    float inv = 1.0f / (float)c->p;
    for (size_t r = (size_t)task * c->per; r < r1; r++) {
        const float *dy = c->X + r * c->lout;
        float *dx = c->Y + r * c->lin;
        memset(dx, 0, sizeof(float) * (size_t)c->lin);
        for (int t = 0; t < c->lout; t++) {
            float g = dy[t] * inv;
            for (int j = 0; j < c->p; j++) dx[t * c->s + j] += g;
        }
    }
}

static void max_fwd_task(void *q, int task)
{
    pool_ctx *c = q;
    size_t r1 = (size_t)(task + 1) * c->per < c->rows ? (size_t)(task + 1) * c->per : c->rows;
    for (size_t r = (size_t)task * c->per; r < r1; r++) {
        const float *x = c->X + r * c->lin;
        float *y = c->Y + r * c->lout;
        int *am = c->argmax + r * c->lout;
        for (int t = 0; t < c->lout; t++) {
            int best = t * c->s;
            for (int j = 1; j < c->p; j++)
                if (x[t * c->s + j] > x[best]) best = t * c->s + j;
            y[t] = x[best];
            am[t] = best;
        }
    }
}

static void max_bwd_task(void *q, int task)
{
    pool_ctx *c = q;
    size_t r1 = (size_t)(task + 1) * c->per < c->rows ? (size_t)(task + 1) * c->per : c->rows;
    for (size_t r = (size_t)task * c->per; r < r1; r++) {
        const float *dy = c->X + r * c->lout;
        const int *am = c->argmax + r * c->lout;
        float *dx = c->Y + r * c->lin;
        memset(dx, 0, sizeof(float) * (size_t)c->lin);
        for (int t = 0; t < c->lout; t++) dx[am[t]] += dy[t];
    }
}

static void pool_run(xs_nn_task_fn fn, const float *X, float *Y, int *argmax, size_t rows, int lin, int p, int s,
                     int threads)
{
    pool_ctx c = {X, Y, argmax, rows, 0, lin, (lin - p) / s + 1, p, s};
    size_t ntasks = threads > 1 ? (size_t)threads * 4 : 1;
    if (ntasks > rows) ntasks = rows ? rows : 1;
    c.per = (rows + ntasks - 1) / ntasks;
    if (!c.per) return;
    xs_nn_parallel(threads, (int)((rows + c.per - 1) / c.per), fn, &c);
}

void xs_nn_avgpool_forward(const float *X, float *Y, size_t rows, int lin, int p, int s, int threads)
{
    pool_run(avg_fwd_task, X, Y, NULL, rows, lin, p, s, threads);
}
void xs_nn_avgpool_backward(const float *dY, float *dX, size_t rows, int lin, int p, int s, int threads)
{
    pool_run(avg_bwd_task, dY, dX, NULL, rows, lin, p, s, threads);
}
void xs_nn_maxpool_forward(const float *X, float *Y, int *argmax, size_t rows, int lin, int p, int s,
                           int threads)
{
    pool_run(max_fwd_task, X, Y, argmax, rows, lin, p, s, threads);
}
void xs_nn_maxpool_backward(const float *dY, const int *argmax, float *dX, size_t rows, int lin, int p, int s,
                            int threads)
{
    pool_run(max_bwd_task, dY, dX, (int *)argmax, rows, lin, p, s, threads);
}

/* ---- softmax ---- */
void xs_nn_softmax_forward(const float *X, float *Y, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        const float *x = X + (size_t)r * n;
        float *y = Y + (size_t)r * n;
        float mx = x[0];
        for (int i = 1; i < n; i++)
            if (x[i] > mx) mx = x[i];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            y[i] = expf(x[i] - mx);
            sum += y[i];
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < n; i++) y[i] *= inv;
    }
}

void xs_nn_softmax_backward(const float *A, float *dA, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        const float *a = A + (size_t)r * n;
        float *d = dA + (size_t)r * n;
        double dot = 0;
        for (int i = 0; i < n; i++) dot += (double)d[i] * a[i];
        for (int i = 0; i < n; i++) d[i] = (float)(a[i] * (d[i] - dot));
    }
}

/* ---- dropout ----
 * Values are taken in blocks of XS_NN_MASK_BLOCK; each block gets two 32-bit keys from xs_rng seeded with
 * (network seed, stream of step, layer and block), and value i of the block is kept when
 * h(i) = fmix32(fmix32(i * golden + key1) ^ key2) >= rate * 2^32 (fmix32: MurmurHash3's finaliser, a bijection
 * with full avalanche). Being a function of the index, it runs eight lanes at a time, and the mask does not
 * depend on the thread count. */
#define XS_NN_MASK_BLOCK 4096

typedef struct {
    const float *in;
    float *out, *mask;
    size_t n;
    uint32_t threshold;
    float keep;
    uint64_t seed, stream0;
} mask_ctx;

static inline uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    return h ^ (h >> 16);
}

static inline __m256i fmix32x8(__m256i h)
{
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x85EBCA6Bu));
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0xC2B2AE35u));
    return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

static void mask_task(void *p, int block)
{
    mask_ctx *c = p;
    xs_rng r;
    xs_rng_seed(&r, c->seed, c->stream0 + (uint64_t)block);
    uint64_t keys = xs_rng_next(&r);
    uint32_t k1 = (uint32_t)keys, k2 = (uint32_t)(keys >> 32);
    size_t i0 = (size_t)block * XS_NN_MASK_BLOCK, i1 = i0 + XS_NN_MASK_BLOCK;
    if (i1 > c->n) i1 = c->n;
    uint32_t i = 0, n = (uint32_t)(i1 - i0);
    float *m = c->mask + i0, *o = c->out ? c->out + i0 : NULL;
    const float *x = c->in ? c->in + i0 : NULL;
    /* unsigned h >= threshold  <=>  signed (h ^ 2^31) >= (threshold ^ 2^31) */
    const __m256i flip = _mm256_set1_epi32((int)0x80000000u), thr = _mm256_set1_epi32((int)(c->threshold ^ 0x80000000u)),
                  golden = _mm256_set1_epi32((int)0x9E3779B1u), key1 = _mm256_set1_epi32((int)k1),
                  key2 = _mm256_set1_epi32((int)k2), lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 keep = _mm256_set1_ps(c->keep);
    for (; i + 8 <= n; i += 8) {
        __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)i), lane);
        __m256i h = fmix32x8(_mm256_add_epi32(_mm256_mullo_epi32(idx, golden), key1));
        h = _mm256_xor_si256(fmix32x8(_mm256_xor_si256(h, key2)), flip);
        /* kept where h >= thr, i.e. not (thr > h) */
        __m256 drop = _mm256_castsi256_ps(_mm256_cmpgt_epi32(thr, h));
        __m256 mv = _mm256_andnot_ps(drop, keep);
        _mm256_storeu_ps(m + i, mv);
        if (o) _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), mv));
    }
    for (; i < n; i++) {
        uint32_t h = fmix32(fmix32(i * 0x9E3779B1u + k1) ^ k2);
        m[i] = h >= c->threshold ? c->keep : 0.0f;
        if (o) o[i] = x[i] * m[i];
    }
}

void xs_nn_dropout_forward(const float *in, float *out, float *mask, size_t n, float rate, uint64_t seed, long step,
                           int layer, int threads)
{
    /* stream = step (30 bits) | layer (10 bits) | block (24 bits) */
    mask_ctx c = {in, out, mask, n, (uint32_t)fmin(4294967295.0, floor((double)rate * 4294967296.0)),
                  1.0f / (1.0f - rate), seed, ((uint64_t)step << 34) | ((uint64_t)(layer & 1023) << 24)};
    size_t blocks = (n + XS_NN_MASK_BLOCK - 1) / XS_NN_MASK_BLOCK;
    xs_nn_parallel(blocks > 4 ? threads : 1, (int)blocks, mask_task, &c);
}

/* ---- losses ---- */
#define XS_NN_CLIP 1e-7 /* Keras's epsilon: probabilities are clipped to [eps, 1 - eps] in the paper's loss */

double xs_nn_loss_eval(xs_nn_loss loss, const float *A, const int *labels, int B, int n, float *dZ)
{
    double total = 0;
    for (int r = 0; r < B; r++) {
        const float *a = A + (size_t)r * n;
        float *dz = dZ ? dZ + (size_t)r * n : NULL;
        int lab = labels[r];
        for (int i = 0; i < n; i++) {
            double y = i == lab ? 1.0 : 0.0, ai = a[i], da;
            switch (loss) {
            case XS_NN_LOSS_QUADRATIC:
                total += 0.5 * (y - ai) * (y - ai);
                da = (ai - y) / B;
                break;
            case XS_NN_LOSS_PAPER_CE: {
                double c = ai < XS_NN_CLIP ? XS_NN_CLIP : ai > 1 - XS_NN_CLIP ? 1 - XS_NN_CLIP : ai;
                total -= y * log(c) + (1 - y) * log(1 - c);
                da = c == ai ? -(y / c - (1 - y) / (1 - c)) / B : 0.0;
                break;
            }
            default: /* categorical cross entropy; the gradient below skips the softmax Jacobian */
                if (i == lab) total -= log(ai > 1e-45 ? ai : 1e-45);
                da = (ai - y) / B;
                break;
            }
            if (dz) dz[i] = (float)da;
        }
        if (dz && loss != XS_NN_LOSS_CCE) xs_nn_softmax_backward(a, dz, 1, n);
    }
    return total / B;
}
