/* xrdsym neural networks: dense and 1-D convolutional classifiers of powder patterns, trained with Adam.
 *
 * Architecture specification (text). Statements are separated by ';' or newlines; '#' starts a comment
 * that runs to the end of the line; words are separated by blanks:
 *
 *   input N                  optional first statement: the number of inputs (must agree with n_inputs)
 *   dense UNITS [ACT]        fully connected; UNITS is a number or the word "classes"; ACT relu|softmax|linear
 *   conv FILTERS KERNEL STRIDE [ACT]   1-D convolution, no padding ("valid"); ACT relu|linear (alias conv1d)
 *   avgpool SIZE [STRIDE]    average pooling, no padding; STRIDE defaults to SIZE
 *   maxpool SIZE [STRIDE]    maximum pooling, no padding
 *   dropout RATE             inverted dropout: drops a fraction RATE (0 <= RATE < 1) while training
 *   relu | softmax | flatten
 *
 * Fixed feature statements (no parameters; a flat input of one channel):
 *   logq POINTS [START STEP] resample a pattern on the 2theta grid START, START+STEP, ... (degrees; default the
 *                            paper's 5, 0.01) onto POINTS values evenly spaced in ln sin(theta) over the same
 *                            range, each the mean of the pattern over its interval. Scaling a cell by s shifts
 *                            every reflection by -ln s on this axis. As the first statement it must match the
 *                            model grid (xs_nn_set_grid checks).
 *   highpass WINDOW          subtract the running mean over WINDOW points (clipped at the ends): removes slowly
 *                            varying background.
 *   autocorr LAGS            append the normalised autocorrelation a_t = sum_u x_u x_{u+t} / sum_u x_u^2,
 *                            t = 0..LAGS-1, to the input (output: n + LAGS values). After logq it depends on
 *                            ratios of d-spacings only, not on the cell's size.
 *   sqrt                     square root of the positive part (0 at and below 0): weak reflections count more.
 *   peaks K                  keep each run of positive values whose highest point exceeds K times the local
 *                            noise (median |x[u+1] - x[u]| / 0.954 over blocks of 128 points, sigma for white
 *                            noise), 0 elsewhere: after highpass, what lies between the peaks (noise, what the
 *                            background leaves) is removed, in training and on measured patterns alike.
 *
 * The input is one channel of n_inputs values. Convolutions and pooling work on (channels, length);
 * "flatten" turns that into channels*length values in channel-major order (as torch.flatten does); a dense
 * layer needs a flat input (or a single channel). The network must end with a softmax (fused into the last
 * dense layer or as its own statement) to be trained. Built-in names:
 *
 *   "dense": input N; dense 4000 relu; dropout 0.6; dense 3000 relu; dropout 0.5; dense 1000 relu;
 *            dropout 0.4; dense 800 relu; dropout 0.3; dense classes softmax      (Vecsei et al. Fig. 2b)
 *   "cnn":   input N; conv 80 100 5 relu; dropout 0.3; avgpool 3 2; conv 80 50 5 relu; dropout 0.3;
 *            avgpool 3 3; conv 80 25 2 relu; dropout 0.3; avgpool 3 3; flatten; dense 2300 relu;
 *            dropout 0.5; dense 1150 relu; dropout 0.5; dense classes softmax     (Park et al. 2017)
 *            with 700 and 70 instead of 2300 and 1150 when there are 7 classes or fewer.
 *
 * Initialisation as Keras does by default: glorot_uniform weights (limit sqrt(6/(fan_in+fan_out)), for a
 * convolution fan_in = in_channels*kernel, fan_out = filters*kernel), zero biases. Weights are stored as
 * PyTorch stores them: dense W[out][in], convolution W[filters][in_channels][kernel].
 *
 * Adam: the form of Kingma & Ba and PyTorch: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * w -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps); defaults lr 0.001, b1 0.9, b2 0.999, eps 1e-8.
 *
 * Dropout masks of training step t are drawn from the network's seed and t alone, so training is
 * reproducible for any thread count, and saving (with the Adam state), loading and continuing training gives
 * the same losses bit for bit as training straight through.
 *
 * Ownership: xs_nn_create / xs_nn_load / xs_nn_ensemble_create / xs_nn_ensemble_load return handles the
 * caller owns and frees with xs_nn_free / xs_nn_ensemble_free. xs_nn_ensemble_add takes ownership of the
 * network it is given (also when it fails). Every returned pointer into a network (strings, tensors) is
 * borrowed and valid until the network is freed or, for tensors, until the next call that changes it.
 * A network is not safe to use from two threads at once; it runs its own threads inside each call.
 */
#ifndef XS_NN_H
#define XS_NN_H

#include <stddef.h>
#include <stdint.h>

#include "xrdsym/xs_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xs_nn xs_nn;

typedef enum {
    XS_NN_LOSS_QUADRATIC = 0, /* paper eq. 4: C = 1/(2n) sum_x ||y - a||^2 */
    XS_NN_LOSS_PAPER_CE,      /* paper eq. 5: C = -1/n sum_x sum_j [y ln a + (1-y) ln(1-a)], a clipped to
                                 [1e-7, 1-1e-7] as Keras does (zero gradient where clipped) */
    XS_NN_LOSS_CCE            /* categorical cross entropy: C = -1/n sum_x ln a_label */
} xs_nn_loss;

/* Parse a loss name: "quadratic" (or "mse"), "paper-ce" (or "binary-ce"), "cce" (or "categorical-ce"). */
xs_status xs_nn_loss_parse(const char *name, xs_nn_loss *loss, xs_error *err);
const char *xs_nn_loss_name(xs_nn_loss loss);

/* Expand a built-in name ("dense", "cnn") into its specification text for n_inputs and n_classes.
 * *spec is malloc'd; the caller frees it. XS_ERR_NOT_FOUND for an unknown name. */
xs_status xs_nn_builtin_spec(const char *name, int n_inputs, int n_classes, char **spec, xs_error *err);

/* New network from a specification text or a built-in name. n_inputs: inputs per sample (0: take it from
 * the spec's "input" statement); n_classes: outputs (0: whatever the spec gives; required when the spec
 * says "classes"). seed drives the initial weights and the dropout masks. */
xs_status xs_nn_create(const char *spec_or_name, int n_inputs, int n_classes, uint64_t seed, xs_nn **net,
                       xs_error *err);
void xs_nn_free(xs_nn *net);

int xs_nn_n_inputs(const xs_nn *net);
int xs_nn_n_classes(const xs_nn *net);
size_t xs_nn_n_params(const xs_nn *net);
uint64_t xs_nn_seed(const xs_nn *net);
/* Canonical specification text of the network (built-ins expanded, "classes" replaced by the number). */
const char *xs_nn_spec(const xs_nn *net);
/* Training steps (Adam updates) done so far. */
long xs_nn_step(const xs_nn *net);

/* Threads used by this network's kernels and by OpenBLAS (default 2; 1..64). OpenBLAS's count is global to
 * the process: each call sets it to this number (large products split among the network's own threads run
 * single-threaded OpenBLAS inside each part and set it back afterwards). Results are deterministic for a
 * given thread count; another count may change the last bits of summed weight gradients (the dropout masks
 * never change). */
xs_status xs_nn_set_threads(xs_nn *net, int threads, xs_error *err);
/* 1: use the readable reference kernels; 0 (default): the fast ones. */
void xs_nn_use_reference(xs_nn *net, int reference);

/* Fine-tuning a trained network: Adam's moments start again from zero and so does its bias correction
 * (without it the first updates of a loaded model, whose step count is large, are several times the step
 * size); the step count, and so the dropout masks, go on. */
void xs_nn_reset_adam(xs_nn *net);

/* Adam hyper-parameters (defaults as documented above). */
xs_status xs_nn_set_adam(xs_nn *net, double lr, double beta1, double beta2, double eps, xs_error *err);

/* Inference (no dropout): x is batch rows of n_inputs floats; probs gets batch rows of n_classes values
 * (softmax probabilities when the network ends with softmax). */
xs_status xs_nn_forward(xs_nn *net, const float *x, int batch, float *probs, xs_error *err);

/* Forward (with dropout when dropout=1) and backward pass without an update: fills the gradients (see
 * xs_nn_tensor). labels are class indices 0..n_classes-1. loss_out (may be NULL) gets the mean loss,
 * n_correct (may be NULL) the number of samples whose largest output is the label. The dropout masks are
 * those of the next training step. probs (may be NULL) gets the outputs as in xs_nn_forward. */
xs_status xs_nn_gradients(xs_nn *net, const float *x, const int *labels, int batch, xs_nn_loss loss,
                          int dropout, double *loss_out, int *n_correct, float *probs, xs_error *err);

/* One training step on one mini-batch: forward with dropout, backward, Adam update. */
xs_status xs_nn_train_step(xs_nn *net, const float *x, const int *labels, int batch, xs_nn_loss loss,
                           double *loss_out, int *n_correct, xs_error *err);

/* ---- parameters and gradients (for tests and tools) ---- */
typedef struct {
    char name[32];   /* "<layer index>.W" or "<layer index>.b" */
    int layer;       /* index of the statement in the canonical spec (the "input" statement not counted) */
    float *value;    /* count floats; writable (e.g. to load weights from elsewhere) */
    float *grad;     /* count floats: the gradient of the last xs_nn_gradients / xs_nn_train_step */
    float *adam_m, *adam_v; /* Adam's moments */
    size_t count;
    int ndim;
    int dims[3];     /* dense: {out, in}; convolution: {filters, in_channels, kernel}; bias: {n} */
} xs_nn_tensor_info;

int xs_nn_n_tensors(const xs_nn *net);
xs_status xs_nn_tensor(xs_nn *net, int index, xs_nn_tensor_info *info, xs_error *err);

/* The dropout mask of statement `layer` from the last xs_nn_gradients / xs_nn_train_step with dropout:
 * per element 0 (dropped) or 1/(1-rate) (kept), *n = batch * elements per sample. Layout: flat values are
 * [batch][n]; values before "flatten" are [channel][batch][length]. XS_ERR_NOT_FOUND when the statement is
 * not a dropout or no mask was drawn yet. */
xs_status xs_nn_dropout_mask(const xs_nn *net, int layer, const float **mask, size_t *n, xs_error *err);

/* ---- what the model means (stored in model files) ---- */
typedef struct {
    double two_theta_start; /* degrees */
    double two_theta_step;  /* degrees */
    int count;              /* points; equals n_inputs for a network trained on the grid */
    double wavelength;      /* angstrom */
} xs_nn_grid;

xs_status xs_nn_set_grid(xs_nn *net, const xs_nn_grid *grid, xs_error *err);
/* 0 when no grid was set (the grid is then all zeros). */
int xs_nn_get_grid(const xs_nn *net, xs_nn_grid *grid);
/* Label set: kind says what the classes are ("space_group", "crystal_system" or free text), names[i] is the
 * meaning of class i ("225", "cubic"); n must equal n_classes. Copies the strings. */
xs_status xs_nn_set_labels(xs_nn *net, const char *kind, const char *const *names, int n, xs_error *err);
/* Label kind ("" when unset) and name of class i (NULL when unset or out of range). */
const char *xs_nn_label_kind(const xs_nn *net);
const char *xs_nn_label(const xs_nn *net, int i);
/* Free-form training metadata (epochs, seed, data file...): string values, set replaces. */
xs_status xs_nn_set_meta(xs_nn *net, const char *key, const char *value, xs_error *err);
/* A metadata value read as a number; `absent` when the key is missing or its value is not a number. */
double xs_nn_get_meta_number(const xs_nn *net, const char *key, double absent);
const char *xs_nn_get_meta(const xs_nn *net, const char *key); /* NULL when absent */
int xs_nn_meta_count(const xs_nn *net);
/* Key and value of entry i (borrowed); 0 when i is out of range. */
int xs_nn_meta_at(const xs_nn *net, int i, const char **key, const char **value);

/* ---- model files (HDF5) ----
 * Root attributes: format = "xrdsym-model", format_version = 1, spec (canonical text), n_inputs, n_classes,
 * seed, step, loss (last training loss name or ""), label_kind; groups: grid (attributes two_theta_start,
 * two_theta_step, count, wavelength), meta (one string attribute per key), weights/<layer>_<type>/{W,b}
 * (float32, or IEEE binary16 with XS_NN_SAVE_HALF; PyTorch shapes; <type> is "dense" or "conv"), adam (when
 * saved: attributes t, lr, beta1, beta2, eps; groups m and v laid out as weights, always float32); dataset
 * labels (variable-length strings, when set). Written atomically (temporary file in the same folder, flushed,
 * then renamed). flags: 0, or an OR of
 *   XS_NN_SAVE_ADAM  also store the optimiser state so that training can continue exactly; a model loaded
 *                    without it keeps its step count (and so its dropout masks) but restarts Adam's moments
 *                    from zero with the default hyper-parameters;
 *   XS_NN_SAVE_HALF  weights as 16-bit floats (half the file; each weight rounded to 11 significant bits,
 *                    magnitudes below 6e-8 become 0); loading converts back to float whatever was stored. */
enum { XS_NN_SAVE_ADAM = 1, XS_NN_SAVE_HALF = 2 };
xs_status xs_nn_save(const xs_nn *net, const char *path, int flags, xs_error *err);
/* Read a model file (or the first member of an ensemble file). XS_ERR_IO for a missing or unreadable file,
 * XS_ERR_PARSE for a file that is not an xrdsym model or is inconsistent. */
xs_status xs_nn_load(const char *path, xs_nn **net, xs_error *err);

/* ---- ensembles: K networks with the same inputs and classes whose probabilities are averaged ---- */
typedef struct xs_nn_ensemble xs_nn_ensemble;

xs_status xs_nn_ensemble_create(xs_nn_ensemble **ens, xs_error *err);
void xs_nn_ensemble_free(xs_nn_ensemble *ens);
/* Takes ownership of net (freed on failure too). XS_ERR_INVALID when its inputs, classes, grid, label
 * kind or training class distribution (metadata sample_prior_power, xs_train.h) differ from the first
 * member's. */
xs_status xs_nn_ensemble_add(xs_nn_ensemble *ens, xs_nn *net, xs_error *err);
int xs_nn_ensemble_size(const xs_nn_ensemble *ens);
xs_nn *xs_nn_ensemble_member(xs_nn_ensemble *ens, int i); /* borrowed; NULL when out of range */
/* Removes member i from the ensemble and returns it: the caller owns it (xs_nn_free). NULL when out of range. */
xs_nn *xs_nn_ensemble_take(xs_nn_ensemble *ens, int i);
/* How the members' probabilities are combined: their mean (the default, as the paper averages its ensembles),
 * or their geometric mean (the product of the K members' probabilities to the power 1/K, renormalised; a class
 * is likely only where every member finds it so; README measures both). */
typedef enum { XS_NN_COMBINE_MEAN = 0, XS_NN_COMBINE_GEOMETRIC = 1 } xs_nn_combine;
/* XS_ERR_INVALID for a missing ensemble or an unknown mode. Stored in the ensemble's file (root attribute
 * combine = "mean" or "geometric"; a file without it, as written before 2026-12-02, is averaged). */
xs_status xs_nn_ensemble_set_combine(xs_nn_ensemble *ens, xs_nn_combine how, xs_error *err);
xs_nn_combine xs_nn_ensemble_combine(const xs_nn_ensemble *ens);
const char *xs_nn_combine_name(xs_nn_combine how); /* "mean", "geometric" */
/* The members' outputs combined as set (batch rows of n_classes). */
xs_status xs_nn_ensemble_forward(xs_nn_ensemble *ens, const float *x, int batch, float *probs, xs_error *err);
/* One HDF5 file: root attributes format = "xrdsym-ensemble", format_version = 1, members = K, combine;
 * groups member_0 .. member_{K-1}, each laid out as a model file's root. */
xs_status xs_nn_ensemble_save(const xs_nn_ensemble *ens, const char *path, int flags, xs_error *err);
/* Reads an ensemble file, or a single model file as an ensemble of one. */
xs_status xs_nn_ensemble_load(const char *path, xs_nn_ensemble **ens, xs_error *err);
/* Adds every member of a model or ensemble file, in order; an error names the file (XS_ERR_INVALID when a
 * member does not fit the members already there; those added before stay). Into an empty ensemble it also
 * takes the file's combination (so load_files combines as its first file says). */
xs_status xs_nn_ensemble_append_file(xs_nn_ensemble *ens, const char *path, xs_error *err);
/* K model or ensemble files: every member of each, in order. */
xs_status xs_nn_ensemble_load_files(const char *const *paths, int k, xs_nn_ensemble **ens, xs_error *err);

#ifdef __cplusplus
}
#endif
#endif
