/* xrdsym training: networks trained on patterns rendered and augmented on the fly from a peak-list dataset.
 *
 * Every epoch renders each training crystal anew (xs_aug_render_batch: new peak width, noise and backgrounds),
 * normalises it as prediction will (xs_pattern_normalize: minimum 0, maximum 1) and takes Adam steps on
 * shuffled mini-batches. The loss alternates as in the seed paper: the quadratic cost on even epochs
 * (0, 2, ...) and the paper's cross entropy on odd ones (XS_TRAIN_LOSS_ALTERNATE), or one loss throughout.
 * After each epoch the network is validated on the validation split, rendered with one fixed augmentation
 * so that epochs compare.
 *
 * Determinism and resuming: the shuffle of epoch e is drawn from (seed, e), the augmentation of crystal i
 * in epoch e is item e * N + i of the member's seed (with sample_prior: draw j of epoch e is drawn from
 * (seed, e) and rendered as item e * N + j), dropout follows the network's step count. With a
 * checkpoint path, every member is saved with its optimiser state after every epoch (atomically); a run
 * started again with the same options continues after the last finished epoch and gives the same network,
 * bit for bit, as a run that was never interrupted.
 *
 * The library never prints: progress goes to the callback, which may also stop the run (return nonzero:
 * xs_train_run then returns XS_ERR_CANCELLED; the checkpoints of finished epochs stay). */
#ifndef XS_TRAIN_H
#define XS_TRAIN_H

#include <stdint.h>

#include "xrdsym/xs_augment.h"
#include "xrdsym/xs_dataset.h"
#include "xrdsym/xs_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { XS_TASK_SPACE_GROUP = 0, XS_TASK_CRYSTAL_SYSTEM = 1 } xs_train_task;
typedef enum {
    XS_TRAIN_LOSS_ALTERNATE = -1, /* quadratic on even epochs, the paper's cross entropy on odd ones */
} xs_train_loss_mode;

/* Class index of a space group for a task (0..229 or 0..6). */
int xs_train_class_of(xs_train_task task, int space_group);
int xs_train_n_classes(xs_train_task task);

typedef struct {
    int member, members;    /* ensemble member being trained, 0-based, and K */
    int epoch, epochs;      /* epoch (0-based) */
    size_t done, total;     /* samples done in this epoch, and per epoch */
    double loss;            /* mean loss so far in this epoch */
    double accuracy;        /* training accuracy so far in this epoch */
    double rate;            /* samples per second in this epoch */
    double eta_s;           /* seconds left for the whole run (all members) */
    int epoch_end;          /* 1 at the end of an epoch: the validation figures below are set */
    double val_loss, val_accuracy;
    const char *loss_name;
    int resumed;            /* 1 when this member's epoch was taken from a checkpoint */
} xs_train_progress;

/* Return nonzero to stop the run (it then returns XS_ERR_CANCELLED after saving nothing more). */
typedef int (*xs_train_progress_fn)(const xs_train_progress *p, void *ctx);

typedef struct {
    const char *arch;        /* "dense", "cnn" or a specification text (see xs_nn.h); default "dense" */
    xs_train_task task;
    int epochs;              /* default 10 */
    int batch;               /* default 128 */
    int ensemble;            /* members K, default 1; member k has seed seed + k */
    uint64_t seed;           /* default 1 */
    int loss;                /* XS_TRAIN_LOSS_ALTERNATE (default) or an xs_nn_loss */
    double learning_rate;    /* default 0.001 */
    int lr_cosine;           /* 0 (default): constant; 1: epoch e uses learning_rate * (f + (1 - f) (1 + cos(pi e / epochs)) / 2)
                                with f = lr_final_fraction, falling from learning_rate towards f * learning_rate */
    double lr_final_fraction; /* default 0.02 */
    int threads;             /* default 2 */
    xs_grid grid;            /* network input grid; default the paper's */
    xs_aug_options aug;      /* augmentation; default xs_aug_options_default */
    size_t max_train;        /* 0: all training crystals; else at most this many, spread evenly over the split */
    size_t max_val;          /* validation crystals used, spread evenly over the split; default 2000 (0: all) */
    const char *checkpoint;  /* path prefix of checkpoint files (<prefix>.member<k>.h5) or NULL */
    /* Fine-tuning: NULL (default) starts every member from random weights (arch); else the path of a model
     * or ensemble file whose member k mod M starts member k (its own architecture: arch is not used), with
     * Adam started afresh (xs_nn_reset_adam). Its inputs and classes must be this run's. A checkpoint of the
     * run, when there is one, is taken before it. */
    const char *init_model;
    /* Class balance of an epoch: sample_prior 0 (default) trains every training crystal once an epoch in
     * a shuffled order. 1: an epoch is as many draws as there are training crystals, each a space group
     * drawn with probability proportional to xs_eval_prior_mp(group)^sample_prior_power (among the groups
     * the split has; power 0 balances the groups exactly, 1 follows real materials), then one of its
     * crystals uniformly. The network is then trained on that class distribution; the model records the
     * power (metadata "sample_prior_power") and xs_eval_apply_prior applies only the rest of the prior. */
    int sample_prior;
    double sample_prior_power;
    /* Mixing in a second dataset (simulated patterns of real structures, say): NULL (default), or a dataset
     * whose training split fills a fraction mix_fraction (in (0, 0.9]) of every batch. Its crystals are drawn
     * with replacement from (seed, epoch), uniformly, or with sample_prior group by group with the same power
     * among the groups it holds (so the classes seen stay close to those the model records: a group the prior
     * makes rare stays rare), and rendered with the same augmentation (items of their own); the first
     * dataset's crystals fill the rest of each batch, so an epoch still passes each of them
     * once (or as many draws with sample_prior), and validation stays on the first dataset. Both datasets
     * must have one wavelength and 2theta range. The model records mix_path and the fraction ("mixed_data"). */
    const xs_dataset *mix;
    const char *mix_path;
    double mix_fraction;
    xs_train_progress_fn progress;
    void *progress_ctx;
    size_t progress_every;   /* call progress every this many samples (default 4096) and at epoch ends */
} xs_train_options;

void xs_train_options_default(xs_train_options *opt);

/* Train opt->ensemble networks on the dataset's training split. On XS_OK *out is a new ensemble the
 * caller frees with xs_nn_ensemble_free; every member carries its grid, labels and training metadata
 * (task, epochs, seed, data file, last validation accuracy...). */
xs_status xs_train_run(const xs_dataset *data, const char *data_path, const xs_train_options *opt,
                       xs_nn_ensemble **out, xs_error *err);

/* Render crystals of a dataset as training sees them (augmented, normalised) into out[n][grid->count]:
 * crystal idx[i] with augmentation item items[i] of seed. For evaluation on a dataset split. */
xs_status xs_train_render(const xs_dataset *data, const size_t *idx, size_t n, const xs_grid *grid,
                          const xs_aug_options *aug, uint64_t seed, const uint64_t *items, int threads, float *out,
                          xs_error *err);

#ifdef __cplusplus
}
#endif
#endif
