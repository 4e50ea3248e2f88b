/* Internal declarations of the neural-network module (src/nn). Not installed; tests include it to reach the
 * kernels directly.
 *
 * Memory layout of activations: values before a "flatten" are [channel][batch][length] so that a
 * convolution over the whole batch is one matrix product (W[filters][in_channels*kernel] times the im2col
 * matrix [in_channels*kernel][batch*length]); flat values are [batch][n], which is the same memory as one
 * channel. */
#ifndef XS_NN_INTERNAL_H
#define XS_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "xrdsym/xs_nn.h"

enum { XS_NN_ACT_NONE = 0, XS_NN_ACT_RELU, XS_NN_ACT_SOFTMAX };

typedef enum {
    XS_NN_L_DENSE = 0,
    XS_NN_L_CONV,
    XS_NN_L_AVGPOOL,
    XS_NN_L_MAXPOOL,
    XS_NN_L_DROPOUT,
    XS_NN_L_RELU,
    XS_NN_L_SOFTMAX,
    XS_NN_L_FLATTEN,
    XS_NN_L_LOGQ,
    XS_NN_L_HIGHPASS,
    XS_NN_L_AUTOCORR,
    XS_NN_L_SQRT,
    XS_NN_L_PEAKS
} xs_nn_layer_type;

/* One statement of a specification. */
typedef struct {
    xs_nn_layer_type type;
    int units;  /* dense units or convolution filters; -1 = "classes" until resolved */
    int kernel; /* convolution kernel or pooling size */
    int stride;
    int act;
    float rate; /* dropout; peaks: the significance K */
    double start, step; /* logq: the input's 2theta grid (degrees) */
    int line, column; /* where it was written */
} xs_nn_layer_desc;

/* Sparse resampling map of a logq layer: output j = sum_r w[off[j] + r] * x[i0[j] + r], r < len[j]. */
typedef struct {
    int points;
    int *i0, *len;
    size_t *off;
    float *w;
} xs_nn_logq_map;

typedef struct {
    xs_nn_layer_desc d;
    int in_c, in_l, out_c, out_l; /* shapes per sample (channels, length); flat = one channel */
    size_t in_n, out_n;           /* values per sample */
    size_t w_off, w_n, b_off, b_n; /* into the parameter arena */
    float *out, *dout;            /* batch * out_n each */
    float *mask;                  /* dropout and peaks: batch * out_n */
    int *argmax;                  /* max pooling: batch * out_n */
    int mask_valid;
    xs_nn_logq_map logq;          /* logq layers */
    double *prefix;               /* highpass: n + 1 doubles of work space */
    double t_fwd, t_bwd;          /* wall seconds spent in this layer's forward / backward so far (bench) */
} xs_nn_layer;

/* One parameter tensor (a dense or convolution layer's W or b) inside the parameter arena. */
typedef struct {
    char name[32];
    int layer, ndim, dims[3];
    size_t off, count;
} xs_nn_tensor_slot;

typedef struct {
    char *key, *value;
} xs_nn_meta_entry;

struct xs_nn {
    int n_in, n_classes, nl;
    xs_nn_layer *L;
    char *spec;
    uint64_t seed;
    long step;
    long adam_base;   /* step at which Adam's moments last started from zero (xs_nn_reset_adam) */
    int threads, reference;
    double lr, beta1, beta2, eps;
    char last_loss[32];
    /* parameter arena and its gradients and Adam moments, n_params floats each */
    float *param, *grad, *adam_m, *adam_v;
    size_t n_params;
    xs_nn_tensor_slot *tensors;
    int n_tensors;
    /* activations for up to batch_cap samples */
    int batch_cap, mask_batch, col_threads;
    float *col;        /* im2col work buffer */
    size_t col_floats;
    float *loss_grad;  /* batch_cap * n_classes */
    /* what the model means */
    xs_nn_grid grid;
    int has_grid;
    char *label_kind;
    char **labels;
    xs_nn_meta_entry *meta;
    int n_meta;
};

/* Network from parsed statements (takes nothing over; copies descs). */
xs_status xs_nn_create_parsed(const xs_nn_layer_desc *descs, int n, int n_in, uint64_t seed, xs_nn **net,
                              xs_error *err);

/* Parse a specification (no built-in names). n_inputs / n_classes as for xs_nn_create. On success *descs
 * is malloc'd (*n entries) and *n_in the input count. */
xs_status xs_nn_spec_parse(const char *text, int n_inputs, int n_classes, xs_nn_layer_desc **descs, int *n,
                           int *n_in, xs_error *err);
/* Canonical text of a parsed specification (malloc'd). */
char *xs_nn_spec_format(const xs_nn_layer_desc *descs, int n, int n_in);

/* ---- threads ---- */
typedef void (*xs_nn_task_fn)(void *ctx, int task);
/* Run fn(ctx, 0..ntasks-1) on up to `threads` threads (the caller's included). Tasks must write disjoint
 * memory; the result is then independent of the thread count. */
void xs_nn_parallel(int threads, int ntasks, xs_nn_task_fn fn, void *ctx);
/* Set OpenBLAS's thread count (process-wide). */
void xs_nn_blas_threads(int threads);

/* ---- kernels: readable reference (_ref) and fast (_fast) versions, tested against each other ----
 * Dense: X[B][nin], W[nout][nin], b[nout]; Y[B][nout] = act(X W^T + b) with act none or relu.
 * Backward: dZ[B][nout] is the gradient of the pre-activation; dW, db are overwritten; dX (may be NULL) is
 * overwritten with dZ W. */
void xs_nn_dense_forward_ref(const float *X, const float *W, const float *b, float *Y, int B, int nin,
                             int nout, int act);
void xs_nn_dense_backward_ref(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                              float *db, int B, int nin, int nout);
void xs_nn_dense_forward_fast(const float *X, const float *W, const float *b, float *Y, int B, int nin,
                              int nout, int act, int threads);
void xs_nn_dense_backward_fast(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                               float *db, int B, int nin, int nout, int threads);

/* Convolution (valid, stride s): X[cin][B][lin], W[cout][cin][k], b[cout] -> Y[cout][B][lout] with
 * lout = (lin - k) / s + 1. Backward as for dense. col is a work buffer of col_floats floats (fast only;
 * any size >= cin*k*lout works; xs_nn_conv_col_floats gives the size that lets every thread work on its own
 * part of the batch). The fast kernels set OpenBLAS's thread count and leave it at `threads`. */
size_t xs_nn_conv_col_floats(int B, int cin, int lin, int cout, int k, int s, int threads);
void xs_nn_conv_forward_ref(const float *X, const float *W, const float *b, float *Y, int B, int cin, int lin,
                            int cout, int k, int s, int act);
void xs_nn_conv_backward_ref(const float *X, const float *W, const float *dZ, float *dX, float *dW, float *db,
                             int B, int cin, int lin, int cout, int k, int s);
void xs_nn_conv_forward_fast(const float *X, const float *W, const float *b, float *Y, int B, int cin,
                             int lin, int cout, int k, int s, int act, float *col, size_t col_floats,
                             int threads);
void xs_nn_conv_backward_fast(const float *X, const float *W, const float *dZ, float *dX, float *dW,
                              float *db, int B, int cin, int lin, int cout, int k, int s, float *col,
                              size_t col_floats, int threads);

/* Adam update of n parameters (PyTorch's form, see xs_nn.h); t >= 1 is the step number. */
void xs_nn_adam_ref(float *w, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                    double beta2, double eps, long t);
void xs_nn_adam_fast(float *w, const float *g, float *m, float *v, size_t n, double lr, double beta1,
                     double beta2, double eps, long t, int threads);

/* Pooling over rows of length lin (rows = channels * batch): Y[row][lout], lout = (lin - p) / s + 1.
 * Max pooling records the winning input index per output (first of equal values). */
void xs_nn_avgpool_forward(const float *X, float *Y, size_t rows, int lin, int p, int s, int threads);
void xs_nn_avgpool_backward(const float *dY, float *dX, size_t rows, int lin, int p, int s, int threads);
void xs_nn_maxpool_forward(const float *X, float *Y, int *argmax, size_t rows, int lin, int p, int s,
                           int threads);
void xs_nn_maxpool_backward(const float *dY, const int *argmax, float *dX, size_t rows, int lin, int p, int s,
                            int threads);
/* Row-wise softmax of X[rows][n] into Y (may alias X); backward in place: dA := A * (dA - sum(dA * A)). */
void xs_nn_softmax_forward(const float *X, float *Y, int rows, int n);
void xs_nn_softmax_backward(const float *A, float *dA, int rows, int n);
/* Dropout mask of n values for (seed, step, layer), each 0 or 1/(1-rate), and, where in is not NULL,
 * out = in * mask in the same pass. */
void xs_nn_dropout_forward(const float *in, float *out, float *mask, size_t n, float rate, uint64_t seed, long step,
                           int layer, int threads);

/* ---- fixed feature layers (nn_features.c), flat input of one channel ----
 * logq: resample X[B][n_in] on the 2theta grid (start, step) onto `points` values evenly spaced in ln sin(theta)
 * over the same range, each the mean of the input over its interval. highpass: Y = X minus its running mean
 * over `window` points (clipped at the ends); prefix is n + 1 doubles of work space. autocorr: Y[B][n + lags]
 * = the input, then a_t = sum_u x_u x_{u+t} / sum_u x_u^2 for t < lags (0 where the input is all zero). */
xs_status xs_nn_logq_map_build(xs_nn_logq_map *m, int n_in, double start, double step, int points, xs_error *err);
void xs_nn_logq_map_free(xs_nn_logq_map *m);
void xs_nn_logq_forward(const xs_nn_logq_map *m, const float *X, float *Y, int B, int n_in);
void xs_nn_logq_backward(const xs_nn_logq_map *m, const float *dY, float *dX, int B, int n_in);
void xs_nn_highpass_forward(const float *X, float *Y, int B, int n, int window, double *prefix);
void xs_nn_highpass_backward(const float *dY, float *dX, int B, int n, int window, double *prefix);
void xs_nn_autocorr_forward_ref(const float *X, float *Y, int B, int n, int lags);
void xs_nn_autocorr_forward_fast(const float *X, float *Y, int B, int n, int lags, int threads);
void xs_nn_autocorr_backward(const float *X, const float *Yout, const float *dY, float *dX, int B, int n, int lags);
/* peaks: Y = X where the point lies in a run of positive values whose maximum exceeds k times the local noise,
 * else 0; mask[B][n] records which (1 or 0), and the backward pass is dX = dY * mask. The local noise is
 * median |x[u+1] - x[u]| / (0.6745 sqrt 2) over blocks of XS_NN_PEAKS_BLOCK points (the last block takes
 * the rest), which is sigma for white noise and barely moved by the few points that peaks occupy. */
#define XS_NN_PEAKS_BLOCK 128
void xs_nn_peaks_forward(const float *X, float *Y, float *mask, int B, int n, float k);

/* Loss of probabilities A[B][n] against labels and its gradient with respect to the softmax input
 * (dZ[B][n], may be NULL). Returns the mean loss. */
double xs_nn_loss_eval(xs_nn_loss loss, const float *A, const int *labels, int B, int n, float *dZ);

#endif
