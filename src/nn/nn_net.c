/* Networks: creation from a specification, forward and backward passes over a mini-batch, Adam, and the
 * metadata a model file carries (see xs_nn.h for the contract, nn_internal.h for the memory layout). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "nn/nn_internal.h"


/* ---- creation ---- */
static xs_status shape_layers(xs_nn *net, xs_error *err)
{
    int c = 1, l = net->n_in;
    size_t n_params = 0;
    int n_tensors = 0;
    for (int i = 0; i < net->nl; i++) {
        xs_nn_layer *y = &net->L[i];
        const xs_nn_layer_desc *d = &y->d;
        y->in_c = c;
        y->in_l = l;
        switch (d->type) {
        case XS_NN_L_DENSE:
            if (c != 1)
                return xs_error_set(err, XS_ERR_INVALID, "spec", d->line, d->column,
                                    "dense layer after %d channels: insert 'flatten' first", c);
            y->w_off = n_params;
            y->w_n = (size_t)d->units * l;
            y->b_off = n_params + y->w_n;
            y->b_n = (size_t)d->units;
            n_params += y->w_n + y->b_n;
            n_tensors += 2;
            l = d->units;
            break;
        case XS_NN_L_CONV:
            if (l < d->kernel)
                return xs_error_set(err, XS_ERR_INVALID, "spec", d->line, d->column,
                                    "convolution kernel %d is longer than its input (%d values)", d->kernel, l);
            y->w_off = n_params;
            y->w_n = (size_t)d->units * c * d->kernel;
            y->b_off = n_params + y->w_n;
            y->b_n = (size_t)d->units;
            n_params += y->w_n + y->b_n;
            n_tensors += 2;
            l = (l - d->kernel) / d->stride + 1;
            c = d->units;
            break;
        case XS_NN_L_AVGPOOL:
        case XS_NN_L_MAXPOOL:
            if (l < d->kernel)
                return xs_error_set(err, XS_ERR_INVALID, "spec", d->line, d->column,
                                    "pool size %d is longer than its input (%d values)", d->kernel, l);
            l = (l - d->kernel) / d->stride + 1;
            break;
        case XS_NN_L_SOFTMAX:
            if (c != 1)
                return xs_error_set(err, XS_ERR_INVALID, "spec", d->line, d->column,
                                    "softmax needs a flat input: insert 'flatten' first");
            break;
        case XS_NN_L_FLATTEN:
            l = c * l;
            c = 1;
            break;
        case XS_NN_L_LOGQ:
        case XS_NN_L_HIGHPASS:
        case XS_NN_L_AUTOCORR:
        case XS_NN_L_PEAKS:
            if (c != 1)
                return xs_error_set(err, XS_ERR_INVALID, "spec", d->line, d->column,
                                    "logq, highpass, autocorr and peaks need a flat input of one channel (got %d)", c);
            if (d->type == XS_NN_L_PEAKS) break;
            if (d->type == XS_NN_L_LOGQ) {
                xs_status st = xs_nn_logq_map_build(&y->logq, l, d->start, d->step, d->units, err);
                if (st != XS_OK) {
                    if (err) err->line = d->line, err->column = d->column;
                    return st;
                }
                l = d->units;
            } else if (d->type == XS_NN_L_HIGHPASS) {
                y->prefix = malloc(sizeof(double) * ((size_t)l + 1));
                if (!y->prefix) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
            } else
                l += d->units;
            break;
        default: break;
        }
        y->out_c = c;
        y->out_l = l;
        y->in_n = (size_t)y->in_c * y->in_l;
        y->out_n = (size_t)c * l;
        if (y->out_n > ((size_t)1 << 28))
            return xs_error_set(err, XS_ERR_RANGE, "spec", d->line, d->column, "layer output too large");
    }
    net->n_params = n_params;
    net->n_tensors = n_tensors;
    net->n_classes = (int)net->L[net->nl - 1].out_n;
    return XS_OK;
}

static void glorot_init(xs_nn *net)
{
    for (int i = 0; i < net->nl; i++) {
        xs_nn_layer *y = &net->L[i];
        if (y->d.type != XS_NN_L_DENSE && y->d.type != XS_NN_L_CONV) continue;
        double fan_in = (double)y->w_n / y->d.units, fan_out = (double)y->d.units;
        if (y->d.type == XS_NN_L_CONV) fan_out *= y->d.kernel;
        double limit = sqrt(6.0 / (fan_in + fan_out));
        xs_rng r;
        xs_rng_seed(&r, net->seed, 0x1000 + (uint64_t)i); /* streams 0x1000+ : initial weights */
        float *w = net->param + y->w_off;
        for (size_t k = 0; k < y->w_n; k++) w[k] = (float)xs_rng_range(&r, -limit, limit);
        memset(net->param + y->b_off, 0, sizeof(float) * y->b_n);
    }
}

static void fill_tensors(xs_nn *net)
{
    int t = 0;
    for (int i = 0; i < net->nl; i++) {
        xs_nn_layer *y = &net->L[i];
        if (y->d.type != XS_NN_L_DENSE && y->d.type != XS_NN_L_CONV) continue;
        xs_nn_tensor_slot *W = &net->tensors[t++], *b = &net->tensors[t++];
        snprintf(W->name, sizeof W->name, "%d.W", i);
        snprintf(b->name, sizeof b->name, "%d.b", i);
        W->layer = b->layer = i;
        W->off = y->w_off;
        W->count = y->w_n;
        b->off = y->b_off;
        b->count = y->b_n;
        b->ndim = 1;
        b->dims[0] = y->d.units;
        W->dims[0] = y->d.units;
        if (y->d.type == XS_NN_L_DENSE) {
            W->ndim = 2;
            W->dims[1] = (int)y->in_n;
        } else {
            W->ndim = 3;
            W->dims[1] = y->in_c;
            W->dims[2] = y->d.kernel;
        }
    }
}

xs_status xs_nn_create_parsed(const xs_nn_layer_desc *descs, int n, int n_in, uint64_t seed, xs_nn **out,
                              xs_error *err)
{
    *out = NULL;
    xs_nn *net = calloc(1, sizeof *net);
    if (!net) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    net->n_in = n_in;
    net->nl = n;
    net->seed = seed;
    net->threads = 2;
    net->lr = 0.001;
    net->beta1 = 0.9;
    net->beta2 = 0.999;
    net->eps = 1e-8;
    net->L = calloc((size_t)n, sizeof *net->L);
    xs_status st = net->L ? XS_OK : xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (int i = 0; st == XS_OK && i < n; i++) net->L[i].d = descs[i];
    if (st == XS_OK) st = shape_layers(net, err);
    if (st == XS_OK) {
        net->spec = xs_nn_spec_format(descs, n, n_in);
        net->param = malloc(sizeof(float) * (net->n_params ? net->n_params : 1));
        net->grad = calloc(net->n_params ? net->n_params : 1, sizeof(float));
        net->adam_m = calloc(net->n_params ? net->n_params : 1, sizeof(float));
        net->adam_v = calloc(net->n_params ? net->n_params : 1, sizeof(float));
        net->tensors = calloc((size_t)net->n_tensors + 1, sizeof *net->tensors);
        net->label_kind = strdup("");
        if (!net->spec || !net->param || !net->grad || !net->adam_m || !net->adam_v || !net->tensors ||
            !net->label_kind)
            st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory for %zu parameters", net->n_params);
    }
    if (st != XS_OK) {
        xs_nn_free(net);
        return st;
    }
    glorot_init(net);
    fill_tensors(net);
    *out = net;
    return XS_OK;
}

xs_status xs_nn_create(const char *spec_or_name, int n_inputs, int n_classes, uint64_t seed, xs_nn **net,
                       xs_error *err)
{
    if (net) *net = NULL;
    if (!spec_or_name || !net) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing argument");
    char *builtin = NULL;
    const char *text = spec_or_name;
    if (!strcmp(spec_or_name, "dense") || !strcmp(spec_or_name, "cnn")) {
        xs_status st = xs_nn_builtin_spec(spec_or_name, n_inputs, n_classes, &builtin, err);
        if (st != XS_OK) return st;
        text = builtin;
    }
    xs_nn_layer_desc *d;
    int n, n_in;
    xs_status st = xs_nn_spec_parse(text, n_inputs, n_classes, &d, &n, &n_in, err);
    free(builtin);
    if (st != XS_OK) return st;
    st = xs_nn_create_parsed(d, n, n_in, seed, net, err);
    free(d);
    if (st == XS_OK && n_classes > 0 && (*net)->n_classes != n_classes) {
        st = xs_error_set(err, XS_ERR_INVALID, "spec", 0, 0, "the network has %d outputs but %d classes were asked",
                          (*net)->n_classes, n_classes);
        xs_nn_free(*net);
        *net = NULL;
    }
    return st;
}

static void free_activations(xs_nn *net)
{
    for (int i = 0; i < net->nl; i++) {
        free(net->L[i].out);
        free(net->L[i].dout);
        free(net->L[i].mask);
        free(net->L[i].argmax);
        net->L[i].out = net->L[i].dout = net->L[i].mask = NULL;
        net->L[i].argmax = NULL;
        net->L[i].mask_valid = 0;
    }
    free(net->col);
    free(net->loss_grad);
    net->col = net->loss_grad = NULL;
    net->batch_cap = 0;
}

void xs_nn_free(xs_nn *net)
{
    if (!net) return;
    if (net->L) {
        free_activations(net);
        for (int i = 0; i < net->nl; i++) {
            xs_nn_logq_map_free(&net->L[i].logq);
            free(net->L[i].prefix);
        }
    }
    free(net->L);
    free(net->spec);
    free(net->param);
    free(net->grad);
    free(net->adam_m);
    free(net->adam_v);
    free(net->tensors);
    free(net->label_kind);
    if (net->labels)
        for (int i = 0; i < net->n_classes; i++) free(net->labels[i]);
    free(net->labels);
    for (int i = 0; i < net->n_meta; i++) {
        free(net->meta[i].key);
        free(net->meta[i].value);
    }
    free(net->meta);
    free(net);
}

int xs_nn_n_inputs(const xs_nn *net) { return net ? net->n_in : 0; }
int xs_nn_n_classes(const xs_nn *net) { return net ? net->n_classes : 0; }
size_t xs_nn_n_params(const xs_nn *net) { return net ? net->n_params : 0; }
uint64_t xs_nn_seed(const xs_nn *net) { return net ? net->seed : 0; }
const char *xs_nn_spec(const xs_nn *net) { return net ? net->spec : NULL; }
long xs_nn_step(const xs_nn *net) { return net ? net->step : 0; }

void xs_nn_reset_adam(xs_nn *net)
{
    if (!net) return;
    memset(net->adam_m, 0, sizeof(float) * (net->n_params ? net->n_params : 1));
    memset(net->adam_v, 0, sizeof(float) * (net->n_params ? net->n_params : 1));
    net->adam_base = net->step;
}

xs_status xs_nn_set_threads(xs_nn *net, int threads, xs_error *err)
{
    if (!net) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing network");
    if (threads < 1 || threads > 64)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "threads must be 1..64, not %d", threads);
    net->threads = threads;
    xs_nn_blas_threads(threads);
    return XS_OK;
}

void xs_nn_use_reference(xs_nn *net, int reference)
{
    if (net) net->reference = reference != 0;
}

xs_status xs_nn_set_adam(xs_nn *net, double lr, double beta1, double beta2, double eps, xs_error *err)
{
    if (!net) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing network");
    if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0,
                            "Adam needs lr > 0, 0 <= beta1, beta2 < 1 and eps > 0 (got %g, %g, %g, %g)", lr, beta1,
                            beta2, eps);
    net->lr = lr;
    net->beta1 = beta1;
    net->beta2 = beta2;
    net->eps = eps;
    return XS_OK;
}

/* ---- activations ---- */
static xs_status ensure_batch(xs_nn *net, int B, xs_error *err)
{
    if (B <= net->batch_cap && net->threads == net->col_threads) return XS_OK;
    free_activations(net);
    size_t col = 0;
    for (int i = 0; i < net->nl; i++) {
        xs_nn_layer *y = &net->L[i];
        size_t n = (size_t)B * y->out_n;
        y->out = malloc(sizeof(float) * n);
        y->dout = malloc(sizeof(float) * n);
        int has_mask = y->d.type == XS_NN_L_DROPOUT || y->d.type == XS_NN_L_PEAKS;
        if (has_mask) y->mask = malloc(sizeof(float) * n);
        if (y->d.type == XS_NN_L_MAXPOOL) y->argmax = malloc(sizeof(int) * n);
        if (!y->out || !y->dout || (has_mask && !y->mask) ||
            (y->d.type == XS_NN_L_MAXPOOL && !y->argmax)) {
            free_activations(net);
            return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory for a batch of %d", B);
        }
        if (y->d.type == XS_NN_L_CONV) {
            size_t need = xs_nn_conv_col_floats(B, y->in_c, y->in_l, y->d.units, y->d.kernel, y->d.stride, net->threads);
            if (need > col) col = need;
        }
    }
    net->loss_grad = malloc(sizeof(float) * (size_t)B * net->n_classes);
    if (col) net->col = malloc(sizeof(float) * col);
    if (!net->loss_grad || (col && !net->col)) {
        free_activations(net);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory for a batch of %d", B);
    }
    net->col_floats = col;
    net->col_threads = net->threads;
    net->batch_cap = B;
    return XS_OK;
}

/* ---- element-wise passes, split among threads in fixed blocks ---- */
enum { EW_COPY, EW_RELU, EW_MUL, EW_RELU_GRAD, EW_SQRT, EW_SQRT_GRAD };

typedef struct {
    const float *a, *b;
    float *y;
    size_t n, per;
    int op;
} ew_ctx;

static void ew_task(void *p, int task)
{
    ew_ctx *c = p;
    size_t i0 = (size_t)task * c->per, i1 = i0 + c->per < c->n ? i0 + c->per : c->n;
    const float *a = c->a, *b = c->b;
    float *y = c->y;
    switch (c->op) {
    case EW_COPY: memcpy(y + i0, a + i0, sizeof(float) * (i1 - i0)); break;
    case EW_RELU:
        for (size_t i = i0; i < i1; i++) y[i] = a[i] > 0 ? a[i] : 0;
        break;
    case EW_MUL:
        for (size_t i = i0; i < i1; i++) y[i] = a[i] * b[i];
        break;
    case EW_RELU_GRAD: /* b is the ReLU's output */
        for (size_t i = i0; i < i1; i++) y[i] = b[i] > 0 ? a[i] : 0;
        break;
    case EW_SQRT: /* of the positive part: a pattern is never negative, noise may push a point below 0 */
        for (size_t i = i0; i < i1; i++) y[i] = a[i] > 0 ? sqrtf(a[i]) : 0;
        break;
    case EW_SQRT_GRAD: /* b is the output; d sqrt(x) = 1 / (2 sqrt(x)), taken as 0 at and below 0 */
        for (size_t i = i0; i < i1; i++) y[i] = b[i] > 0 ? a[i] / (2 * b[i]) : 0;
        break;
    }
}

static void elementwise(int op, const float *a, const float *b, float *y, size_t n, int threads)
{
    ew_ctx c = {a, b, y, n, (size_t)1 << 15, op};
    xs_nn_parallel(n > c.per ? threads : 1, (int)((n + c.per - 1) / c.per), ew_task, &c);
}

/* [c][B][l] <-> [B][c*l] */
typedef struct {
    const float *src;
    float *dst;
    int B, c, l, back;
} flat_ctx;

static void flatten_task(void *p, int n)
{
    flat_ctx *q = p;
    for (int ch = 0; ch < q->c; ch++) {
        size_t chw = ((size_t)ch * q->B + n) * q->l, flat = (size_t)n * q->c * q->l + (size_t)ch * q->l;
        if (q->back)
            memcpy(q->dst + chw, q->src + flat, sizeof(float) * (size_t)q->l);
        else
            memcpy(q->dst + flat, q->src + chw, sizeof(float) * (size_t)q->l);
    }
}

static void flatten(const float *src, float *dst, int B, int c, int l, int back, int threads)
{
    flat_ctx q = {src, dst, B, c, l, back};
    xs_nn_parallel(threads, B, flatten_task, &q);
}

/* ---- forward and backward ---- */
#ifndef XS_NN_PROFILE_CLOCK
#define XS_NN_PROFILE_CLOCK CLOCK_MONOTONIC /* CLOCK_PROCESS_CPUTIME_ID for CPU time in a profiling build */
#endif
static double wall(void)
{
    struct timespec t;
    clock_gettime(XS_NN_PROFILE_CLOCK, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int is_param_layer(const xs_nn_layer *y) { return y->d.type == XS_NN_L_DENSE || y->d.type == XS_NN_L_CONV; }

/* train: draw dropout masks. keep: a backward pass follows, so every layer's output must be in its buffer
 * (otherwise an inference-mode dropout, or a flatten of one channel, passes its input on without a copy). */
static void forward(xs_nn *net, const float *x, int B, int train, int keep)
{
    const float *in = x;
    int th = net->threads, ref = net->reference;
    for (int i = 0; i < net->nl; i++) {
        double t0 = wall();
        xs_nn_layer *y = &net->L[i];
        const xs_nn_layer_desc *d = &y->d;
        size_t n = (size_t)B * y->out_n;
        int pass_on = 0;
        const float *W = net->param + y->w_off, *b = net->param + y->b_off;
        int act = d->act == XS_NN_ACT_RELU ? XS_NN_ACT_RELU : XS_NN_ACT_NONE;
        switch (d->type) {
        case XS_NN_L_DENSE:
            if (ref)
                xs_nn_dense_forward_ref(in, W, b, y->out, B, (int)y->in_n, d->units, act);
            else
                xs_nn_dense_forward_fast(in, W, b, y->out, B, (int)y->in_n, d->units, act, th);
            if (d->act == XS_NN_ACT_SOFTMAX) xs_nn_softmax_forward(y->out, y->out, B, d->units);
            break;
        case XS_NN_L_CONV:
            if (ref)
                xs_nn_conv_forward_ref(in, W, b, y->out, B, y->in_c, y->in_l, d->units, d->kernel, d->stride, act);
            else
                xs_nn_conv_forward_fast(in, W, b, y->out, B, y->in_c, y->in_l, d->units, d->kernel, d->stride, act,
                                        net->col, net->col_floats, th);
            break;
        case XS_NN_L_AVGPOOL:
            xs_nn_avgpool_forward(in, y->out, (size_t)y->in_c * B, y->in_l, d->kernel, d->stride, th);
            break;
        case XS_NN_L_MAXPOOL:
            xs_nn_maxpool_forward(in, y->out, y->argmax, (size_t)y->in_c * B, y->in_l, d->kernel, d->stride, th);
            break;
        case XS_NN_L_DROPOUT:
            y->mask_valid = 0;
            if (train && d->rate > 0) {
                xs_nn_dropout_forward(in, y->out, y->mask, n, d->rate, net->seed, net->step + 1, i, th);
                y->mask_valid = 1;
                net->mask_batch = B;
            } else if (keep || i == net->nl - 1)
                elementwise(EW_COPY, in, NULL, y->out, n, th);
            else
                pass_on = 1;
            break;
        case XS_NN_L_RELU: elementwise(EW_RELU, in, NULL, y->out, n, th); break;
        case XS_NN_L_SOFTMAX: xs_nn_softmax_forward(in, y->out, B, (int)y->out_n); break;
        case XS_NN_L_LOGQ: xs_nn_logq_forward(&y->logq, in, y->out, B, (int)y->in_n); break;
        case XS_NN_L_SQRT: elementwise(EW_SQRT, in, NULL, y->out, n, th); break;
        case XS_NN_L_HIGHPASS: xs_nn_highpass_forward(in, y->out, B, (int)y->in_n, d->units, y->prefix); break;
        case XS_NN_L_PEAKS: xs_nn_peaks_forward(in, y->out, y->mask, B, (int)y->in_n, d->rate); break;
        case XS_NN_L_AUTOCORR:
            if (ref)
                xs_nn_autocorr_forward_ref(in, y->out, B, (int)y->in_n, d->units);
            else
                xs_nn_autocorr_forward_fast(in, y->out, B, (int)y->in_n, d->units, th);
            break;
        case XS_NN_L_FLATTEN:
            if (y->in_c > 1)
                flatten(in, y->out, B, y->in_c, y->in_l, 0, th);
            else if (keep || i == net->nl - 1)
                elementwise(EW_COPY, in, NULL, y->out, n, th);
            else
                pass_on = 1;
            break;
        }
        if (!pass_on) in = y->out;
        y->t_fwd += wall() - t0;
    }
}

/* Backward from net->L[last].dout, which holds the gradient of the loss with respect to the input of the final
 * softmax. Fills net->grad for every parameter. */
static void backward(xs_nn *net, const float *x, int B)
{
    int th = net->threads, ref = net->reference, last = net->nl - 1;
    int first_param = 0; /* no layer before the first one with parameters needs a gradient */
    while (first_param < last && !is_param_layer(&net->L[first_param])) first_param++;
    for (int i = last; i >= first_param; i--) {
        xs_nn_layer *y = &net->L[i];
        const xs_nn_layer_desc *d = &y->d;
        const float *in = i ? net->L[i - 1].out : x;
        float *din = i > first_param ? net->L[i - 1].dout : NULL;
        float *dz = y->dout;
        size_t n = (size_t)B * y->out_n;
        if (!din && !is_param_layer(y)) break; /* nothing before it needs a gradient */
        double t0 = wall();
        if (is_param_layer(y)) {
            if (d->act == XS_NN_ACT_RELU)
                elementwise(EW_RELU_GRAD, dz, y->out, dz, n, th);
            else if (d->act == XS_NN_ACT_SOFTMAX && i != last)
                xs_nn_softmax_backward(y->out, dz, B, d->units);
            const float *W = net->param + y->w_off;
            float *dW = net->grad + y->w_off, *db = net->grad + y->b_off;
            if (d->type == XS_NN_L_DENSE) {
                if (ref)
                    xs_nn_dense_backward_ref(in, W, dz, din, dW, db, B, (int)y->in_n, d->units);
                else
                    xs_nn_dense_backward_fast(in, W, dz, din, dW, db, B, (int)y->in_n, d->units, th);
            } else if (ref)
                xs_nn_conv_backward_ref(in, W, dz, din, dW, db, B, y->in_c, y->in_l, d->units, d->kernel, d->stride);
            else
                xs_nn_conv_backward_fast(in, W, dz, din, dW, db, B, y->in_c, y->in_l, d->units, d->kernel,
                                         d->stride, net->col, net->col_floats, th);
            y->t_bwd += wall() - t0;
            continue;
        }
        switch (d->type) {
        case XS_NN_L_AVGPOOL:
            xs_nn_avgpool_backward(dz, din, (size_t)y->in_c * B, y->in_l, d->kernel, d->stride, th);
            break;
        case XS_NN_L_MAXPOOL:
            xs_nn_maxpool_backward(dz, y->argmax, din, (size_t)y->in_c * B, y->in_l, d->kernel, d->stride, th);
            break;
        case XS_NN_L_DROPOUT:
            elementwise(y->mask_valid ? EW_MUL : EW_COPY, dz, y->mask, din, n, th);
            break;
        case XS_NN_L_RELU: elementwise(EW_RELU_GRAD, dz, y->out, din, n, th); break;
        case XS_NN_L_SOFTMAX:
            elementwise(EW_COPY, dz, NULL, din, n, th);
            if (i != last) xs_nn_softmax_backward(y->out, din, B, (int)y->out_n);
            break;
        case XS_NN_L_LOGQ: xs_nn_logq_backward(&y->logq, dz, din, B, (int)y->in_n); break;
        case XS_NN_L_SQRT: elementwise(EW_SQRT_GRAD, dz, y->out, din, n, th); break;
        case XS_NN_L_HIGHPASS: xs_nn_highpass_backward(dz, din, B, (int)y->in_n, d->units, y->prefix); break;
        case XS_NN_L_AUTOCORR: xs_nn_autocorr_backward(in, y->out, dz, din, B, (int)y->in_n, d->units); break;
        case XS_NN_L_PEAKS: elementwise(EW_MUL, dz, y->mask, din, n, th); break;
        case XS_NN_L_FLATTEN:
            if (y->in_c == 1)
                elementwise(EW_COPY, dz, NULL, din, n, th);
            else
                flatten(dz, din, B, y->in_c, y->in_l, 1, th);
            break;
        default: break;
        }
        y->t_bwd += wall() - t0;
    }
}

static int ends_with_softmax(const xs_nn *net)
{
    const xs_nn_layer *y = &net->L[net->nl - 1];
    return y->d.type == XS_NN_L_SOFTMAX || (y->d.type == XS_NN_L_DENSE && y->d.act == XS_NN_ACT_SOFTMAX);
}

static xs_status check_call(xs_nn *net, const float *x, int batch, xs_error *err)
{
    if (!net || !x) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing network or input");
    if (batch < 1 || batch > 1000000)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "batch must be 1..1000000, not %d", batch);
    xs_nn_blas_threads(net->threads);
    return ensure_batch(net, batch, err);
}

xs_status xs_nn_forward(xs_nn *net, const float *x, int batch, float *probs, xs_error *err)
{
    xs_status st = check_call(net, x, batch, err);
    if (st != XS_OK) return st;
    if (!probs) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing output buffer");
    forward(net, x, batch, 0, 0);
    memcpy(probs, net->L[net->nl - 1].out, sizeof(float) * (size_t)batch * net->n_classes);
    return XS_OK;
}

xs_status xs_nn_gradients(xs_nn *net, const float *x, const int *labels, int batch, xs_nn_loss loss,
                          int dropout, double *loss_out, int *n_correct, float *probs, xs_error *err)
{
    xs_status st = check_call(net, x, batch, err);
    if (st != XS_OK) return st;
    if (!labels) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing labels");
    if (loss < XS_NN_LOSS_QUADRATIC || loss > XS_NN_LOSS_CCE)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "unknown loss %d", (int)loss);
    if (!ends_with_softmax(net))
        return xs_error_set(err, XS_ERR_INVALID, "spec", 0, 0, "only a network that ends with softmax can be trained");
    int nc = net->n_classes;
    for (int r = 0; r < batch; r++)
        if (labels[r] < 0 || labels[r] >= nc)
            return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "label %d of sample %d is outside 0..%d", labels[r], r,
                                nc - 1);
    forward(net, x, batch, dropout, 1);
    xs_nn_layer *top = &net->L[net->nl - 1];
    double l = xs_nn_loss_eval(loss, top->out, labels, batch, nc, top->dout);
    if (n_correct) {
        int good = 0;
        for (int r = 0; r < batch; r++) {
            const float *a = top->out + (size_t)r * nc;
            int best = 0;
            for (int j = 1; j < nc; j++)
                if (a[j] > a[best]) best = j;
            good += best == labels[r];
        }
        *n_correct = good;
    }
    if (probs) memcpy(probs, top->out, sizeof(float) * (size_t)batch * nc);
    backward(net, x, batch);
    if (loss_out) *loss_out = l;
    snprintf(net->last_loss, sizeof net->last_loss, "%s", xs_nn_loss_name(loss));
    return XS_OK;
}

xs_status xs_nn_train_step(xs_nn *net, const float *x, const int *labels, int batch, xs_nn_loss loss,
                           double *loss_out, int *n_correct, xs_error *err)
{
    xs_status st = xs_nn_gradients(net, x, labels, batch, loss, 1, loss_out, n_correct, NULL, err);
    if (st != XS_OK) return st;
    net->step++;
    if (net->reference)
        xs_nn_adam_ref(net->param, net->grad, net->adam_m, net->adam_v, net->n_params, net->lr, net->beta1,
                       net->beta2, net->eps, net->step - net->adam_base);
    else
        xs_nn_adam_fast(net->param, net->grad, net->adam_m, net->adam_v, net->n_params, net->lr, net->beta1,
                        net->beta2, net->eps, net->step - net->adam_base, net->threads);
    return XS_OK;
}

/* ---- tensors ---- */
int xs_nn_n_tensors(const xs_nn *net) { return net ? net->n_tensors : 0; }

xs_status xs_nn_tensor(xs_nn *net, int index, xs_nn_tensor_info *info, xs_error *err)
{
    if (!net || !info) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing argument");
    if (index < 0 || index >= net->n_tensors)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "tensor %d outside 0..%d", index, net->n_tensors - 1);
    const xs_nn_tensor_slot *t = &net->tensors[index];
    memset(info, 0, sizeof *info);
    memcpy(info->name, t->name, sizeof info->name);
    info->layer = t->layer;
    info->value = net->param + t->off;
    info->grad = net->grad + t->off;
    info->adam_m = net->adam_m + t->off;
    info->adam_v = net->adam_v + t->off;
    info->count = t->count;
    info->ndim = t->ndim;
    memcpy(info->dims, t->dims, sizeof info->dims);
    return XS_OK;
}

xs_status xs_nn_dropout_mask(const xs_nn *net, int layer, const float **mask, size_t *n, xs_error *err)
{
    if (!net || !mask || !n) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing argument");
    if (layer < 0 || layer >= net->nl || net->L[layer].d.type != XS_NN_L_DROPOUT || !net->L[layer].mask_valid)
        return xs_error_set(err, XS_ERR_NOT_FOUND, NULL, 0, 0, "statement %d has no dropout mask", layer);
    *mask = net->L[layer].mask;
    *n = (size_t)net->mask_batch * net->L[layer].out_n;
    return XS_OK;
}

/* ---- what the model means ---- */
xs_status xs_nn_set_grid(xs_nn *net, const xs_nn_grid *grid, xs_error *err)
{
    if (!net || !grid) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing argument");
    if (grid->count <= 0 || !(grid->two_theta_step > 0) || !isfinite(grid->two_theta_start) ||
        !(grid->wavelength > 0))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "grid needs count > 0, step > 0 and wavelength > 0");
    const xs_nn_layer_desc *d0 = &net->L[0].d;
    if (d0->type == XS_NN_L_LOGQ &&
        (fabs(d0->start - grid->two_theta_start) > 1e-9 || fabs(d0->step - grid->two_theta_step) > 1e-12))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                            "the network's first statement 'logq' reads a 2theta grid from %g step %g, but the "
                            "model grid starts at %g with step %g",
                            d0->start, d0->step, grid->two_theta_start, grid->two_theta_step);
    net->grid = *grid;
    net->has_grid = 1;
    return XS_OK;
}

int xs_nn_get_grid(const xs_nn *net, xs_nn_grid *grid)
{
    if (grid) {
        if (net && net->has_grid)
            *grid = net->grid;
        else
            memset(grid, 0, sizeof *grid);
    }
    return net && net->has_grid;
}

xs_status xs_nn_set_labels(xs_nn *net, const char *kind, const char *const *names, int n, xs_error *err)
{
    if (!net || !kind || (!names && n)) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing argument");
    if (n != net->n_classes)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "%d label names for %d classes", n, net->n_classes);
    char *k = strdup(kind);
    char **l = calloc((size_t)n + 1, sizeof *l);
    int ok = k && l;
    for (int i = 0; ok && i < n; i++) ok = names[i] && (l[i] = strdup(names[i]));
    if (!ok) {
        free(k);
        if (l)
            for (int i = 0; i < n; i++) free(l[i]);
        free(l);
        return xs_error_set(err, names ? XS_ERR_NOMEM : XS_ERR_INVALID, NULL, 0, 0, "cannot copy the labels");
    }
    if (net->labels)
        for (int i = 0; i < net->n_classes; i++) free(net->labels[i]);
    free(net->labels);
    free(net->label_kind);
    net->labels = l;
    net->label_kind = k;
    return XS_OK;
}

const char *xs_nn_label_kind(const xs_nn *net) { return net && net->label_kind ? net->label_kind : ""; }

const char *xs_nn_label(const xs_nn *net, int i)
{
    return net && net->labels && i >= 0 && i < net->n_classes ? net->labels[i] : NULL;
}

xs_status xs_nn_set_meta(xs_nn *net, const char *key, const char *value, xs_error *err)
{
    if (!net || !key || !*key || !value) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing key or value");
    if (strchr(key, '/') || key[0] == '.')
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "metadata key '%s' may not contain '/' or start with '.'",
                            key);
    char *v = strdup(value);
    if (!v) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (int i = 0; i < net->n_meta; i++)
        if (!strcmp(net->meta[i].key, key)) {
            free(net->meta[i].value);
            net->meta[i].value = v;
            return XS_OK;
        }
    xs_nn_meta_entry *m = realloc(net->meta, sizeof *m * (size_t)(net->n_meta + 1));
    char *k = strdup(key);
    if (!m || !k) {
        if (m) net->meta = m;
        free(k);
        free(v);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    net->meta = m;
    m[net->n_meta].key = k;
    m[net->n_meta].value = v;
    net->n_meta++;
    return XS_OK;
}

const char *xs_nn_get_meta(const xs_nn *net, const char *key)
{
    if (!net || !key) return NULL;
    for (int i = 0; i < net->n_meta; i++)
        if (!strcmp(net->meta[i].key, key)) return net->meta[i].value;
    return NULL;
}

double xs_nn_get_meta_number(const xs_nn *net, const char *key, double absent)
{
    const char *text = xs_nn_get_meta(net, key);
    char *end = NULL;
    double v = text ? strtod(text, &end) : absent;
    return text && end != text && *end == 0 ? v : absent;
}

int xs_nn_meta_count(const xs_nn *net) { return net ? net->n_meta : 0; }

int xs_nn_meta_at(const xs_nn *net, int i, const char **key, const char **value)
{
    if (!net || i < 0 || i >= net->n_meta) return 0;
    if (key) *key = net->meta[i].key;
    if (value) *value = net->meta[i].value;
    return 1;
}

/* ---- losses by name ---- */
xs_status xs_nn_loss_parse(const char *name, xs_nn_loss *loss, xs_error *err)
{
    static const struct {
        const char *name;
        xs_nn_loss loss;
    } names[] = {{"quadratic", XS_NN_LOSS_QUADRATIC}, {"mse", XS_NN_LOSS_QUADRATIC},
                 {"paper-ce", XS_NN_LOSS_PAPER_CE},   {"binary-ce", XS_NN_LOSS_PAPER_CE},
                 {"cce", XS_NN_LOSS_CCE},             {"categorical-ce", XS_NN_LOSS_CCE}};
    for (size_t i = 0; name && loss && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name)) {
            *loss = names[i].loss;
            return XS_OK;
        }
    return xs_error_set(err, XS_ERR_NOT_FOUND, NULL, 0, 0,
                        "unknown loss '%s' (known: quadratic, paper-ce, cce)", name ? name : "(null)");
}

const char *xs_nn_loss_name(xs_nn_loss loss)
{
    switch (loss) {
    case XS_NN_LOSS_QUADRATIC: return "quadratic";
    case XS_NN_LOSS_PAPER_CE: return "paper-ce";
    case XS_NN_LOSS_CCE: return "cce";
    }
    return "";
}
