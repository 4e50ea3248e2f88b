/* Training loop: render, augment, normalise, Adam steps; validation, checkpoints, ensembles. */
#include "xrdsym/xs_train.h"
#include "xrdsym/xs_eval.h"
#include "xrdsym/xs_pattern.h"
#include "xrdsym/xs_symmetry.h"
#include "common/rng.h"
#include "eval/eval_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int xs_train_n_classes(xs_train_task task) { return task == XS_TASK_CRYSTAL_SYSTEM ? XS_CRYSTAL_SYSTEM_COUNT : 230; }

int xs_train_class_of(xs_train_task task, int space_group)
{
    if (space_group < 1 || space_group > 230) return -1;
    return task == XS_TASK_CRYSTAL_SYSTEM ? (int)xs_sym_crystal_system(space_group) : space_group - 1;
}

void xs_train_options_default(xs_train_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->arch = "dense";
    opt->task = XS_TASK_SPACE_GROUP;
    opt->epochs = 10;
    opt->batch = 128;
    opt->ensemble = 1;
    opt->seed = 1;
    opt->loss = XS_TRAIN_LOSS_ALTERNATE;
    opt->learning_rate = 0.001;
    opt->lr_final_fraction = 0.02;
    opt->threads = 2;
    opt->grid = xs_grid_paper();
    xs_aug_options_default(&opt->aug);
    opt->max_val = 2000;
    opt->progress_every = 4096;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

xs_status xs_train_render(const xs_dataset *data, const size_t *idx, size_t n, const xs_grid *grid,
                          const xs_aug_options *aug, uint64_t seed, const uint64_t *items, int threads, float *out,
                          xs_error *err)
{
    if (n == 0) return XS_OK;
    xs_aug_peaks *peaks = malloc(n * sizeof *peaks);
    if (!peaks) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        peaks[i].n = xs_dataset_peaks(data, idx[i], &peaks[i].two_theta, &peaks[i].intensity);
    }
    xs_status st = xs_aug_render_batch(aug, grid, peaks, n, seed, items, threads, out, err);
    free(peaks);
    if (st != XS_OK) return st;
    for (size_t i = 0; i < n; i++) xs_pattern_normalize(out + i * grid->count, grid->count);
    return XS_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static xs_nn_loss loss_of_epoch(int mode, int epoch)
{
    if (mode == XS_TRAIN_LOSS_ALTERNATE) return epoch % 2 == 0 ? XS_NN_LOSS_QUADRATIC : XS_NN_LOSS_PAPER_CE;
    return (xs_nn_loss)mode;
}

/* Mean categorical cross entropy and accuracy of the network on rendered validation patterns. */
static xs_status validate(xs_nn *net, const float *x, const int *labels, size_t n, int n_inputs, int batch,
                          double *loss, double *acc, xs_error *err)
{
    *loss = 0;
    *acc = 0;
    if (n == 0) return XS_OK;
    int nc = xs_nn_n_classes(net);
    float *probs = malloc((size_t)batch * (size_t)nc * sizeof *probs);
    if (!probs) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    double sum = 0;
    size_t correct = 0;
    for (size_t s = 0; s < n; s += (size_t)batch) {
        int b = (int)(n - s < (size_t)batch ? n - s : (size_t)batch);
        xs_status st = xs_nn_forward(net, x + s * (size_t)n_inputs, b, probs, err);
        if (st != XS_OK) {
            free(probs);
            return st;
        }
        for (int i = 0; i < b; i++) {
            const float *p = probs + (size_t)i * (size_t)nc;
            int best = 0;
            for (int c = 1; c < nc; c++)
                if (p[c] > p[best]) best = c;
            correct += best == labels[s + (size_t)i];
            double pl = p[labels[s + (size_t)i]];
            sum += -log(pl > 1e-7 ? pl : 1e-7);
        }
    }
    free(probs);
    *loss = sum / (double)n;
    *acc = (double)correct / (double)n;
    return XS_OK;
}

static xs_status describe(xs_nn *net, const xs_train_options *opt, const xs_dataset *data, const char *data_path,
                          xs_error *err)
{
    xs_nn_grid g = {opt->grid.start, opt->grid.step, (int)opt->grid.count, xs_dataset_wavelength(data)};
    xs_status st = xs_nn_set_grid(net, &g, err);
    if (st != XS_OK) return st;
    int nc = xs_train_n_classes(opt->task);
    char names[230][16];
    const char *ptr[230];
    for (int c = 0; c < nc; c++) {
        if (opt->task == XS_TASK_CRYSTAL_SYSTEM)
            snprintf(names[c], sizeof names[c], "%s", xs_crystal_system_name((xs_crystal_system)c));
        else
            snprintf(names[c], sizeof names[c], "%d", c + 1);
        ptr[c] = names[c];
    }
    st = xs_nn_set_labels(net, opt->task == XS_TASK_CRYSTAL_SYSTEM ? "crystal_system" : "space_group", ptr, nc, err);
    if (st != XS_OK) return st;
    char buf[256];
    xs_nn_set_meta(net, "task", opt->task == XS_TASK_CRYSTAL_SYSTEM ? "crystal-system" : "space-group", NULL);
    xs_nn_set_meta(net, "data", data_path ? data_path : "", NULL);
    xs_nn_set_meta(net, "data_generator", xs_dataset_generator(data), NULL);
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)xs_dataset_split_digest(data));
    xs_nn_set_meta(net, "data_split_digest", buf, NULL);
    snprintf(buf, sizeof buf, "%zu", xs_dataset_count(data));
    xs_nn_set_meta(net, "data_crystals", buf, NULL);
    snprintf(buf, sizeof buf, "%d", opt->epochs);
    xs_nn_set_meta(net, "epochs", buf, NULL);
    snprintf(buf, sizeof buf, "%d", opt->batch);
    xs_nn_set_meta(net, "batch", buf, NULL);
    if (opt->lr_cosine)
        snprintf(buf, sizeof buf, "%g, cosine to %g", opt->learning_rate, opt->learning_rate * opt->lr_final_fraction);
    else
        snprintf(buf, sizeof buf, "%g", opt->learning_rate);
    xs_nn_set_meta(net, "learning_rate", buf, NULL);
    xs_nn_set_meta(net, "loss", opt->loss == XS_TRAIN_LOSS_ALTERNATE ? "alternate quadratic/paper-ce"
                                                                      : xs_nn_loss_name((xs_nn_loss)opt->loss), NULL);
    xs_aug_options_format(&opt->aug, buf, sizeof buf);
    xs_nn_set_meta(net, "augmentation", buf, NULL);
    xs_nn_set_meta(net, "normalisation", "minimum subtracted, maximum scaled to 1", NULL);
    /* %.17g reads back as the same double; a network fine-tuned on balanced groups from one trained on the
     * prior must not keep the power it inherited */
    if (opt->sample_prior || xs_nn_get_meta(net, "sample_prior_power")) {
        snprintf(buf, sizeof buf, "%.17g", opt->sample_prior ? opt->sample_prior_power : 0.0);
        xs_nn_set_meta(net, "sample_prior_power", buf, NULL);
    }
    if (opt->init_model) xs_nn_set_meta(net, "fine_tuned_from", opt->init_model, NULL);
    if (opt->mix) {
        snprintf(buf, sizeof buf, "%s, fraction %g of every batch", opt->mix_path ? opt->mix_path : "", opt->mix_fraction);
        xs_nn_set_meta(net, "mixed_data", buf, NULL);
    }
    return XS_OK;
}

static xs_train_progress progress_of(int member, const xs_train_options *opt, int epoch, size_t done_n, size_t n_train,
                                     double loss_sum, size_t correct, double t_epoch, double t_start, size_t samples_run,
                                     size_t samples_left, xs_nn_loss loss)
{
    xs_train_progress p = {0};
    double el = now_s() - t_start;
    p.member = member;
    p.members = opt->ensemble;
    p.epoch = epoch;
    p.epochs = opt->epochs;
    p.done = done_n;
    p.total = n_train;
    p.loss = done_n ? loss_sum / (double)done_n : 0;
    p.accuracy = done_n ? (double)correct / (double)done_n : 0;
    p.rate = (double)done_n / (now_s() - t_epoch + 1e-9);
    p.eta_s = samples_run ? (double)samples_left * el / (double)samples_run : 0;
    p.loss_name = xs_nn_loss_name(loss);
    return p;
}

/* The Adam step of an epoch: constant, or lowered along a cosine (xs_train.h). */
static double learning_rate_of_epoch(const xs_train_options *opt, int epoch)
{
    if (!opt->lr_cosine) return opt->learning_rate;
    double f = opt->lr_final_fraction, c = 0.5 * (1 + cos(M_PI * epoch / opt->epochs));
    return opt->learning_rate * (f + (1 - f) * c);
}

xs_status xs_train_sampler_build(xs_train_sampler *cs, const xs_dataset *data, const size_t *train, size_t n_train,
                                 double power, xs_error *err)
{
    memset(cs, 0, sizeof *cs);
    size_t count[231] = {0};
    for (size_t k = 0; k < n_train; k++) count[xs_dataset_space_group(data, train[k])]++;
    cs->by_group = malloc(n_train * sizeof *cs->by_group);
    if (!cs->by_group) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    cs->start[1] = 0;
    for (int g = 1; g <= 230; g++) cs->start[g + 1] = cs->start[g] + count[g];
    size_t fill[231];
    for (int g = 1; g <= 230; g++) fill[g] = cs->start[g];
    for (size_t k = 0; k < n_train; k++) cs->by_group[fill[xs_dataset_space_group(data, train[k])]++] = k;
    double total = 0;
    for (int g = 1; g <= 230; g++) {
        total += count[g] ? pow(xs_eval_prior_mp(g), power) : 0;
        cs->cumulative[g] = total;
    }
    int last = 230;
    while (count[last] == 0) last--; /* n_train > 0: some group has crystals */
    /* an empty group's cumulative equals the one before, so the first group above a draw always has crystals;
     * from the last group that has some on it is 1, so no draw falls past it through rounding */
    for (int g = 1; g <= 230; g++) cs->cumulative[g] = g >= last ? 1.0 : cs->cumulative[g] / total;
    return XS_OK;
}

void xs_train_sampler_draw(const xs_train_sampler *cs, uint64_t seed, int epoch, size_t *out, size_t n)
{
    xs_rng rng;
    xs_rng_seed(&rng, seed, 0x73616d706c65ULL + (uint64_t)epoch);
    for (size_t i = 0; i < n; i++) {
        double u = xs_rng_uniform(&rng);
        int lo = 1, hi = 230; /* first group whose cumulative probability exceeds u */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cs->cumulative[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        size_t size = cs->start[lo + 1] - cs->start[lo];
        out[i] = cs->by_group[cs->start[lo] + (size_t)xs_rng_below(&rng, (uint64_t)size)];
    }
}

/* A member's starting network for fine-tuning: member k mod M of the init file, Adam afresh. */
static xs_status load_init_member(const char *path, int k, int n_in, int nc, const char *kind, xs_nn **out, xs_error *err)
{
    *out = NULL;
    xs_nn_ensemble *ens = NULL;
    xs_status st = xs_nn_ensemble_load(path, &ens, err);
    if (st != XS_OK) return st;
    xs_nn *net = xs_nn_ensemble_take(ens, k % xs_nn_ensemble_size(ens));
    xs_nn_ensemble_free(ens);
    if (!net) return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "the model file has no network");
    if (xs_nn_n_inputs(net) != n_in || xs_nn_n_classes(net) != nc || strcmp(xs_nn_label_kind(net), kind)) {
        st = xs_error_set(err, XS_ERR_INVALID, path, 0, 0,
                          "the network to fine-tune reads %d points into %d classes (%s), this run %d into %d (%s)",
                          xs_nn_n_inputs(net), xs_nn_n_classes(net), xs_nn_label_kind(net), n_in, nc, kind);
        xs_nn_free(net);
        return st;
    }
    xs_nn_reset_adam(net);
    *out = net;
    return XS_OK;
}

/* Crystals of the mixed-in dataset that join b of the first dataset's: the full share in a full batch, the
 * same proportion (never past the batch size) in the last, shorter one. */
static size_t mix_share(size_t b, size_t batch_main, size_t batch, double fraction)
{
    if (fraction <= 0) return 0;
    if (b >= batch_main) return batch - batch_main;
    size_t m = (size_t)llround((double)b * fraction / (1 - fraction));
    return m < batch - b ? m : batch - b;
}

xs_status xs_train_run(const xs_dataset *data, const char *data_path, const xs_train_options *opt_in,
                       xs_nn_ensemble **out, xs_error *err)
{
    *out = NULL;
    xs_train_options opt = *opt_in;
    if (opt.epochs < 1 || opt.batch < 1 || opt.ensemble < 1 || opt.ensemble > 100 || !(opt.learning_rate > 0) ||
        !(opt.lr_final_fraction > 0 && opt.lr_final_fraction <= 1) ||
        (opt.sample_prior && !(opt.sample_prior_power >= 0 && opt.sample_prior_power <= 2)))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "epochs, batch and ensemble must be >= 1 (ensemble <= 100), "
                                                         "the learning rate > 0, its final fraction in (0, 1] and the prior's power in [0, 2]");
    if (!opt.progress_every) opt.progress_every = 4096;
    xs_status st = xs_aug_options_check(&opt.aug, err);
    if (st != XS_OK) return st;
    if (opt.mix) {
        if (!(opt.mix_fraction > 0 && opt.mix_fraction <= 0.9))
            return xs_error_set(err, XS_ERR_RANGE, opt.mix_path, 0, 0,
                                "the fraction of every batch from the mixed-in dataset must be in (0, 0.9], not %g",
                                opt.mix_fraction);
        /* peaks are positions at a wavelength: a mix of two wavelengths or ranges would be two grids */
        if (fabs(xs_dataset_wavelength(opt.mix) - xs_dataset_wavelength(data)) > 1e-9 ||
            fabs(xs_dataset_two_theta_min(opt.mix) - xs_dataset_two_theta_min(data)) > 1e-9 ||
            fabs(xs_dataset_two_theta_max(opt.mix) - xs_dataset_two_theta_max(data)) > 1e-9)
            return xs_error_set(err, XS_ERR_INVALID, opt.mix_path, 0, 0,
                                "the mixed-in dataset has wavelength %g A and 2theta %g..%g deg, the training data %g A "
                                "and %g..%g deg",
                                xs_dataset_wavelength(opt.mix), xs_dataset_two_theta_min(opt.mix),
                                xs_dataset_two_theta_max(opt.mix), xs_dataset_wavelength(data),
                                xs_dataset_two_theta_min(data), xs_dataset_two_theta_max(data));
    } else {
        opt.mix_fraction = 0;
    }
    int nc = xs_train_n_classes(opt.task);
    size_t n_all = xs_dataset_count(data);
    size_t *train = malloc((n_all ? n_all : 1) * sizeof *train), *val = malloc((n_all ? n_all : 1) * sizeof *val);
    int *train_label = malloc((n_all ? n_all : 1) * sizeof *train_label);
    int *val_label = malloc((n_all ? n_all : 1) * sizeof *val_label);
    size_t n_train = 0, n_val = 0;
    size_t *mix_list = NULL, *mix_idx = NULL;
    int *mix_label = NULL;
    if (!train || !val || !train_label || !val_label) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done_lists;
    }
    n_train = xs_dataset_select(data, XS_SPLIT_TRAIN, opt.max_train, train);
    n_val = xs_dataset_select(data, XS_SPLIT_VAL, opt.max_val, val);
    /* space groups are 1..230 in every dataset that opens: every crystal has a class */
    for (size_t k = 0; k < n_train; k++) train_label[k] = xs_train_class_of(opt.task, xs_dataset_space_group(data, train[k]));
    for (size_t k = 0; k < n_val; k++) val_label[k] = xs_train_class_of(opt.task, xs_dataset_space_group(data, val[k]));
    if (n_train == 0) {
        st = xs_error_set(err, XS_ERR_INVALID, data_path, 0, 0, "the dataset has no training crystals");
        goto done_lists;
    }
    size_t n_mix = 0;
    if (opt.mix) {
        size_t n_mix_all = xs_dataset_count(opt.mix);
        mix_list = malloc((n_mix_all ? n_mix_all : 1) * sizeof *mix_list);
        mix_label = malloc((n_mix_all ? n_mix_all : 1) * sizeof *mix_label);
        if (!mix_list || !mix_label) {
            st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
            goto done_lists;
        }
        n_mix = xs_dataset_select(opt.mix, XS_SPLIT_TRAIN, 0, mix_list);
        for (size_t k = 0; k < n_mix; k++) mix_label[k] = xs_train_class_of(opt.task, xs_dataset_space_group(opt.mix, mix_list[k]));
        if (n_mix == 0) {
            st = xs_error_set(err, XS_ERR_INVALID, opt.mix_path, 0, 0, "the dataset to mix in has no training crystals");
            goto done_lists;
        }
    }

    size_t n_in = opt.grid.count;
    size_t batch = (size_t)opt.batch;
    /* first-dataset crystals a batch; the rest of it comes from the mixed-in one */
    size_t batch_main = batch - (size_t)llround(opt.mix_fraction * (double)batch);
    if (batch_main < 1) batch_main = 1;
    size_t per_epoch = n_train; /* patterns an epoch trains, both datasets */
    for (size_t s = 0; s < n_train; s += batch_main)
        per_epoch += mix_share(n_train - s < batch_main ? n_train - s : batch_main, batch_main, batch, opt.mix_fraction);
    mix_idx = malloc(batch * sizeof *mix_idx);
    size_t n_mix_epoch = per_epoch - n_train;
    size_t *mix_draw = malloc((n_mix_epoch ? n_mix_epoch : 1) * sizeof *mix_draw);
    xs_train_sampler mix_sampler = {0};
    float *x = malloc(batch * n_in * sizeof *x);
    float *xval = malloc((n_val ? n_val : 1) * n_in * sizeof *xval);
    size_t *bidx = malloc(batch * sizeof *bidx);
    uint64_t *bitem = malloc(batch * sizeof *bitem);
    int *blabel = malloc(batch * sizeof *blabel);
    size_t *perm = malloc(n_train * sizeof *perm);
    uint64_t *val_items = malloc((n_val ? n_val : 1) * sizeof *val_items);
    xs_nn_ensemble *ens = NULL;
    xs_train_sampler sampler = {0};
    if (opt.sample_prior && (st = xs_train_sampler_build(&sampler, data, train, n_train, opt.sample_prior_power, err)) != XS_OK)
        goto done;
    /* with sample_prior, the mixed-in crystals are drawn group by group with the same power: the classes the
     * network sees stay those the model records (a group the prior makes rare, such as P1, stays rare) */
    if (opt.sample_prior && opt.mix &&
        (st = xs_train_sampler_build(&mix_sampler, opt.mix, mix_list, n_mix, opt.sample_prior_power, err)) != XS_OK)
        goto done;
    if (!x || !xval || !bidx || !bitem || !blabel || !perm || !val_items || !mix_idx || !mix_draw) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    /* Validation patterns: one fixed augmentation for all epochs and members. */
    for (size_t i = 0; i < n_val; i++) val_items[i] = i;
    st = xs_train_render(data, val, n_val, &opt.grid, &opt.aug, opt.seed ^ 0x76616c6964617465ULL, val_items, opt.threads,
                         xval, err);
    if (st != XS_OK) goto done;
    st = xs_nn_ensemble_create(&ens, err);
    if (st != XS_OK) goto done;

    double t_start = now_s();
    size_t samples_run = 0;            /* trained in this process, for the rate */
    size_t samples_left_total = (size_t)opt.ensemble * (size_t)opt.epochs * per_epoch;
    for (int k = 0; k < opt.ensemble && st == XS_OK; k++) {
        uint64_t seed = opt.seed + (uint64_t)k;
        xs_nn *net = NULL;
        int first_epoch = 0;
        char ckpt[4096] = "";
        if (opt.checkpoint) snprintf(ckpt, sizeof ckpt, "%s.member%d.h5", opt.checkpoint, k);
        if (ckpt[0] && file_exists(ckpt)) {
            st = xs_nn_load(ckpt, &net, err);
            if (st != XS_OK) break;
            const char *done_s = xs_nn_get_meta(net, "epochs_done");
            const char *ck_seed = xs_nn_get_meta(net, "member_seed");
            char want_seed[32];
            snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)seed);
            if (!done_s || !ck_seed || strcmp(ck_seed, want_seed) || xs_nn_n_inputs(net) != (int)n_in ||
                xs_nn_n_classes(net) != nc ||
                xs_nn_get_meta_number(net, "sample_prior_power", 0) != (opt.sample_prior ? opt.sample_prior_power : 0)) {
                xs_nn_free(net);
                st = xs_error_set(err, XS_ERR_INVALID, ckpt, 0, 0,
                                  "checkpoint does not belong to this run (other seed, grid, classes or class "
                                  "distribution): remove it or change --checkpoint");
                break;
            }
            first_epoch = atoi(done_s);
            if (first_epoch > opt.epochs) first_epoch = opt.epochs;
            samples_left_total -= (size_t)first_epoch * per_epoch;
        } else if (opt.init_model) {
            st = load_init_member(opt.init_model, k, (int)n_in, nc,
                                  opt.task == XS_TASK_CRYSTAL_SYSTEM ? "crystal_system" : "space_group", &net, err);
            if (st != XS_OK) break;
        } else {
            st = xs_nn_create(opt.arch, (int)n_in, nc, seed, &net, err);
            if (st != XS_OK) break;
        }
        if ((st = xs_nn_set_threads(net, opt.threads, err)) != XS_OK ||
            (st = describe(net, &opt, data, data_path, err)) != XS_OK) {
            xs_nn_free(net);
            break;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
        xs_nn_set_meta(net, "member_seed", buf, NULL);
        if (first_epoch > 0 && opt.progress) {
            xs_train_progress p = {0};
            p.member = k;
            p.members = opt.ensemble;
            p.epoch = first_epoch - 1;
            p.epochs = opt.epochs;
            p.resumed = 1;
            p.epoch_end = 1;
            const char *va = xs_nn_get_meta(net, "val_accuracy");
            p.val_accuracy = va ? atof(va) : 0;
            p.loss_name = "";
            if (opt.progress(&p, opt.progress_ctx)) {
                xs_nn_free(net);
                st = xs_error_set(err, XS_ERR_CANCELLED, NULL, 0, 0, "training stopped");
                break;
            }
        }
        for (int epoch = first_epoch; epoch < opt.epochs && st == XS_OK; epoch++) {
            xs_nn_loss loss = loss_of_epoch(opt.loss, epoch);
            if ((st = xs_nn_set_adam(net, learning_rate_of_epoch(&opt, epoch), 0.9, 0.999, 1e-8, err)) != XS_OK) break;
            if (opt.sample_prior) {
                xs_train_sampler_draw(&sampler, seed, epoch, perm, n_train);
            } else { /* Fisher-Yates from (seed, epoch) */
                xs_rng rng;
                xs_rng_seed(&rng, seed, 0x73687566ULL + (uint64_t)epoch);
                for (size_t i = 0; i < n_train; i++) perm[i] = i;
                for (size_t i = n_train - 1; i > 0; i--) {
                    size_t j = (size_t)xs_rng_below(&rng, (uint64_t)(i + 1));
                    size_t t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
            }
            /* the mixed-in crystals' own seed: their draws and their items never repeat the first dataset's */
            const uint64_t mix_seed = seed ^ 0x6d69782d696e2121ULL;
            if (opt.sample_prior && opt.mix) {
                xs_train_sampler_draw(&mix_sampler, mix_seed, epoch, mix_draw, n_mix_epoch);
            } else if (opt.mix) {
                xs_rng mix_rng;
                xs_rng_seed(&mix_rng, seed, 0x6d69780000ULL + (uint64_t)epoch);
                for (size_t i = 0; i < n_mix_epoch; i++) mix_draw[i] = (size_t)xs_rng_below(&mix_rng, (uint64_t)n_mix);
            }
            size_t mix_next = 0;
            double loss_sum = 0, t_epoch = now_s();
            size_t correct = 0, done_n = 0, next_report = opt.progress_every;
            for (size_t s = 0; s < n_train; s += batch_main) {
                size_t b = n_train - s < batch_main ? n_train - s : batch_main;
                size_t bm = mix_share(b, batch_main, batch, opt.mix_fraction);
                for (size_t i = 0; i < b; i++) {
                    size_t t = perm[s + i];
                    bidx[i] = train[t];
                    blabel[i] = train_label[t];
                    /* a crystal drawn twice in a class-balanced epoch gets two augmentations */
                    bitem[i] = (uint64_t)epoch * (uint64_t)n_train + (uint64_t)(opt.sample_prior ? s + i : t);
                }
                st = xs_train_render(data, bidx, b, &opt.grid, &opt.aug, seed, bitem, opt.threads, x, err);
                if (st != XS_OK) break;
                if (bm) {
                    for (size_t i = 0; i < bm; i++) {
                        size_t t = mix_draw[mix_next++];
                        mix_idx[i] = mix_list[t];
                        blabel[b + i] = mix_label[t];
                        bitem[b + i] = (uint64_t)epoch * (uint64_t)n_train + (uint64_t)(s + i);
                    }
                    st = xs_train_render(opt.mix, mix_idx, bm, &opt.grid, &opt.aug, mix_seed, bitem + b, opt.threads,
                                         x + b * n_in, err);
                    if (st != XS_OK) break;
                    b += bm;
                }
                double l = 0;
                int nc_ok = 0;
                st = xs_nn_train_step(net, x, blabel, (int)b, loss, &l, &nc_ok, err);
                if (st != XS_OK) break;
                if (!isfinite(l)) {
                    st = xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                                      "the loss became %g in epoch %d: lower the learning rate", l, epoch + 1);
                    break;
                }
                loss_sum += l * (double)b;
                correct += (size_t)nc_ok;
                done_n += b;
                samples_run += b;
                samples_left_total -= b;
                if (opt.progress && done_n >= next_report && done_n < per_epoch) {
                    next_report = done_n + opt.progress_every;
                    xs_train_progress p = progress_of(k, &opt, epoch, done_n, per_epoch, loss_sum, correct, t_epoch, t_start,
                                                      samples_run, samples_left_total, loss);
                    if (opt.progress(&p, opt.progress_ctx)) {
                        st = xs_error_set(err, XS_ERR_CANCELLED, NULL, 0, 0, "training stopped after %zu samples of epoch %d",
                                          done_n, epoch + 1);
                        break;
                    }
                }
            }
            if (st != XS_OK) break;
            /* end of the epoch: validate, record, checkpoint, report */
            xs_train_progress p = progress_of(k, &opt, epoch, done_n, per_epoch, loss_sum, correct, t_epoch, t_start,
                                              samples_run, samples_left_total, loss);
            st = validate(net, xval, val_label, n_val, (int)n_in, opt.batch, &p.val_loss, &p.val_accuracy, err);
            if (st != XS_OK) break;
            p.epoch_end = 1;
            char v[64];
            snprintf(v, sizeof v, "%.6f", p.val_accuracy);
            xs_nn_set_meta(net, "val_accuracy", v, NULL);
            snprintf(v, sizeof v, "%.6f", p.accuracy);
            xs_nn_set_meta(net, "train_accuracy", v, NULL);
            snprintf(v, sizeof v, "%d", epoch + 1);
            xs_nn_set_meta(net, "epochs_done", v, NULL);
            if (ckpt[0] && (st = xs_nn_save(net, ckpt, XS_NN_SAVE_ADAM, err)) != XS_OK) break;
            if (opt.progress && opt.progress(&p, opt.progress_ctx))
                st = xs_error_set(err, XS_ERR_CANCELLED, NULL, 0, 0, "training stopped after epoch %d", epoch + 1);
        }
        if (st != XS_OK) {
            xs_nn_free(net);
            break;
        }
        st = xs_nn_ensemble_add(ens, net, err);
    }
done:
    if (st == XS_OK) {
        *out = ens;
        ens = NULL;
    }
    xs_nn_ensemble_free(ens);
    free(x);
    free(xval);
    free(bidx);
    free(bitem);
    free(blabel);
    free(perm);
    free(val_items);
    free(mix_idx);
    free(mix_draw);
    free(mix_sampler.by_group);
    free(sampler.by_group);
done_lists:
    free(mix_list);
    free(mix_label);
    free(train);
    free(val);
    free(train_label);
    free(val_label);
    return st;
}
