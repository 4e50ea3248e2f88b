#include "cli.h"

#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym train --data FILE.h5 --out MODEL.h5 [options]\n"
            "  Trains networks on patterns rendered and augmented anew every epoch from the dataset's peak lists.\n"
            "  --arch dense|cnn|SPEC     architecture (built-in name or specification text; default dense)\n"
            "  --task space-group|crystal-system   (default space-group)\n"
            "  --epochs E                (default 10)     --batch B     (default 128)\n"
            "  --ensemble K              networks with seeds S..S+K-1 (default 1)\n"
            "  --seed S                  (default 1)      --lr RATE     Adam step (default 0.001)\n"
            "  --lr-cosine               lower the step along a cosine, epoch by epoch, to --lr-final F\n"
            "                            times RATE (default 0.02)\n"
            "  --loss alternate|quadratic|paper-ce|cce   (default alternate: quadratic on even epochs, the\n"
            "                            paper's cross entropy on odd ones)\n"
            "  --threads N               (default 2)\n"
            "  --max-train N             N training crystals only, spread evenly; --max-val N (default 2000)\n"
            "  --fwhm MIN MAX            Gaussian FWHM range in degrees (default 0.04 0.21)\n"
            "  --zero-shift D            random zero shift up to +-D degrees (default 0)\n"
            "  --kalpha2 R               K-alpha2 copies of the peaks with ratio R (default 0: none)\n"
            "  --kalpha2-prob P          ... in a fraction P of the patterns only (default 1)\n"
            "  --jitter SIGMA            every peak's intensity times exp(SIGMA z), z normal (default 0)\n"
            "  --impurity K H            0..K foreign peaks per pattern, heights up to H of the maximum\n"
            "  --width-growth G          peak width growing with angle (default 0)\n"
            "  --noise-scale S           noise of each pattern times s, log-uniform in [1, S] (default off)\n"
            "  --counts MIN MAX          counting noise of N counts at the maximum, N log-uniform (default off)\n"
            "  --lorentz MIN MAX         pseudo-Voigt peaks, Lorentzian fraction eta ~ U(MIN, MAX) (default off)\n"
            "  --init MODEL.h5           fine-tune: start member k from member k mod M of this model (its own\n"
            "                            architecture; --arch not allowed), Adam afresh\n"
            "  --sample-prior T          an epoch draws its patterns group by group with probability\n"
            "                            (Materials Project frequency)^T, T in [0, 2] (0: groups balanced exactly;\n"
            "                            1: as in real materials); --prior mp then applies the power 1 - T left\n"
            "  --mix FILE.h5 F           a fraction F (0..0.9] of every batch drawn from the training split of a\n"
            "                            second dataset (simulated real structures, say), same augmentation\n"
            "  --checkpoint PREFIX       save every member after every epoch (default MODEL.h5.ckpt); a run\n"
            "                            started again with the same options resumes there; --no-checkpoint\n"
            "  --quiet                   no progress lines\n");
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    int quiet;
    int tty;
} progress_state;

static void format_time(double s, char *buf, size_t size)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, size, "?");
        return;
    }
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, size, "%dh%02dm", t / 3600, t / 60 % 60);
    else snprintf(buf, size, "%dm%02ds", t / 60, t % 60);
}

static int on_progress(const xs_train_progress *p, void *ctx)
{
    progress_state *ps = ctx;
    if (ps->quiet) return interrupted;
    char eta[32];
    format_time(p->eta_s, eta, sizeof eta);
    if (p->resumed) {
        fprintf(stderr, "member %d/%d: resumed from its checkpoint after epoch %d (validation accuracy %.4f)\n",
                p->member + 1, p->members, p->epoch + 1, p->val_accuracy);
        return interrupted;
    }
    if (p->epoch_end) {
        if (ps->tty) fputc('\r', stderr);
        fprintf(stderr,
                "member %d/%d epoch %d/%d  %-10s  train loss %.5f acc %.4f | val loss %.4f acc %.4f | %.0f samples/s  "
                "ETA %s\n",
                p->member + 1, p->members, p->epoch + 1, p->epochs, p->loss_name, p->loss, p->accuracy, p->val_loss,
                p->val_accuracy, p->rate, eta);
    } else if (ps->tty) {
        int width = 30, filled = (int)((double)width * (double)p->done / (double)(p->total ? p->total : 1));
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\rmember %d/%d epoch %d/%d [%s] %zu/%zu loss %.5f acc %.4f %.0f/s ETA %s   ", p->member + 1,
                p->members, p->epoch + 1, p->epochs, bar, p->done, p->total, p->loss, p->accuracy, p->rate, eta);
    }
    fflush(stderr);
    return interrupted;
}

int xs_cmd_train(int argc, char **argv)
{
    xs_train_options opt;
    xs_train_options_default(&opt);
    const char *data_path = NULL, *out_path = NULL, *checkpoint = NULL, *mix_path = NULL;
    int no_checkpoint = 0, arch_given = 0;
    progress_state ps = {0, isatty(2)};
    int bad = 0; /* an option's value is not a number: said, and a usage error */
    uint64_t count = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--data") && more) data_path = argv[++i];
        else if (!strcmp(a, "--out") && more) out_path = argv[++i];
        else if (!strcmp(a, "--arch") && more) opt.arch = argv[++i], arch_given = 1;
        else if (!strcmp(a, "--init") && more) opt.init_model = argv[++i];
        else if (!strcmp(a, "--sample-prior") && more) {
            bad = !xs_cli_parse_double("train", a, argv[++i], &opt.sample_prior_power);
            opt.sample_prior = 1;
        }
        else if (!strcmp(a, "--task") && more) {
            const char *t = argv[++i];
            if (!strcmp(t, "space-group")) opt.task = XS_TASK_SPACE_GROUP;
            else if (!strcmp(t, "crystal-system")) opt.task = XS_TASK_CRYSTAL_SYSTEM;
            else {
                fprintf(stderr, "xrdsym train: --task is space-group or crystal-system, not '%s'\n", t);
                return 2;
            }
        } else if (!strcmp(a, "--epochs") && more) bad = !xs_cli_parse_int("train", a, argv[++i], &opt.epochs);
        else if (!strcmp(a, "--batch") && more) bad = !xs_cli_parse_int("train", a, argv[++i], &opt.batch);
        else if (!strcmp(a, "--ensemble") && more) bad = !xs_cli_parse_int("train", a, argv[++i], &opt.ensemble);
        else if (!strcmp(a, "--seed") && more) bad = !xs_cli_parse_u64("train", a, argv[++i], &opt.seed);
        else if (!strcmp(a, "--lr") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.learning_rate);
        else if (!strcmp(a, "--lr-cosine")) opt.lr_cosine = 1;
        else if (!strcmp(a, "--lr-final") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.lr_final_fraction);
        else if (!strcmp(a, "--threads") && more) bad = !xs_cli_parse_int("train", a, argv[++i], &opt.threads);
        else if (!strcmp(a, "--max-train") && more) {
            bad = !xs_cli_parse_u64("train", a, argv[++i], &count);
            opt.max_train = (size_t)count;
        } else if (!strcmp(a, "--max-val") && more) {
            bad = !xs_cli_parse_u64("train", a, argv[++i], &count);
            opt.max_val = (size_t)count;
        } else if (!strcmp(a, "--fwhm") && i + 2 < argc) {
            bad = !xs_cli_parse_double("train", a, argv[i + 1], &opt.aug.fwhm_min) ||
                  !xs_cli_parse_double("train", a, argv[i + 2], &opt.aug.fwhm_max);
            i += 2;
        } else if (!strcmp(a, "--zero-shift") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.zero_shift_max);
        else if (!strcmp(a, "--kalpha2") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.kalpha2_ratio);
        else if (!strcmp(a, "--kalpha2-prob") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.kalpha2_prob);
        else if (!strcmp(a, "--jitter") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.intensity_jitter);
        else if (!strcmp(a, "--impurity") && i + 2 < argc) {
            bad = !xs_cli_parse_int("train", a, argv[i + 1], &opt.aug.impurity_peaks_max) ||
                  !xs_cli_parse_double("train", a, argv[i + 2], &opt.aug.impurity_height_max);
            i += 2;
        }
        else if (!strcmp(a, "--width-growth") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.width_growth_max);
        else if (!strcmp(a, "--noise-scale") && more) bad = !xs_cli_parse_double("train", a, argv[++i], &opt.aug.noise_scale_max);
        else if (!strcmp(a, "--counts") && i + 2 < argc) {
            bad = !xs_cli_parse_double("train", a, argv[i + 1], &opt.aug.counts_min) ||
                  !xs_cli_parse_double("train", a, argv[i + 2], &opt.aug.counts_max);
            i += 2;
        }
        else if (!strcmp(a, "--lorentz") && i + 2 < argc) {
            bad = !xs_cli_parse_double("train", a, argv[i + 1], &opt.aug.lorentz_min) ||
                  !xs_cli_parse_double("train", a, argv[i + 2], &opt.aug.lorentz_max);
            i += 2;
        }
        else if (!strcmp(a, "--mix") && i + 2 < argc) {
            mix_path = argv[i + 1];
            bad = !xs_cli_parse_double("train", a, argv[i + 2], &opt.mix_fraction);
            i += 2;
        }
        else if (!strcmp(a, "--checkpoint") && more) checkpoint = argv[++i];
        else if (!strcmp(a, "--no-checkpoint")) no_checkpoint = 1;
        else if (!strcmp(a, "--quiet")) ps.quiet = 1;
        else if (!strcmp(a, "--loss") && more) {
            const char *l = argv[++i];
            xs_nn_loss loss;
            if (!strcmp(l, "alternate")) opt.loss = XS_TRAIN_LOSS_ALTERNATE;
            else if (xs_nn_loss_parse(l, &loss, NULL) == XS_OK) opt.loss = (int)loss;
            else {
                fprintf(stderr, "xrdsym train: unknown loss '%s'\n", l);
                return 2;
            }
        } else {
            fprintf(stderr, "xrdsym train: unknown or incomplete option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (bad) return 2;
    if (!data_path || !out_path) {
        usage(stderr);
        return 2;
    }
    if (arch_given && opt.init_model) {
        fprintf(stderr, "xrdsym train: --init takes the architecture of %s; leave out --arch\n", opt.init_model);
        return 2;
    }
    char default_ckpt[4096];
    snprintf(default_ckpt, sizeof default_ckpt, "%s.ckpt", out_path);
    opt.checkpoint = no_checkpoint ? NULL : checkpoint ? checkpoint : default_ckpt;
    opt.progress = on_progress;
    opt.progress_ctx = &ps;
    /* The callback also notices Ctrl-C, so it runs every 2,048 samples; off a terminal it prints only the
     * line that ends each epoch. */
    opt.progress_every = 2048;

    xs_error err = {0};
    xs_dataset *data = NULL;
    if (xs_dataset_open(data_path, &data, &err) != XS_OK) {
        xs_cli_print_error(&err);
        return 1;
    }
    xs_dataset *mix = NULL;
    if (mix_path && xs_dataset_open(mix_path, &mix, &err) != XS_OK) {
        xs_cli_print_error(&err);
        xs_dataset_free(data);
        return 1;
    }
    opt.mix = mix;
    opt.mix_path = mix_path;
    opt.grid.start = 5.0; /* the paper's grid; the dataset's peaks are at its own wavelength */
    fprintf(stderr, "xrdsym train: %zu crystals (%zu training, %zu validation) from %s; %s, %d epochs, batch %d, %d "
                    "member(s)\n",
            xs_dataset_count(data), xs_dataset_count_split(data, XS_SPLIT_TRAIN), xs_dataset_count_split(data, XS_SPLIT_VAL),
            data_path, opt.task == XS_TASK_CRYSTAL_SYSTEM ? "crystal systems" : "space groups", opt.epochs, opt.batch,
            opt.ensemble);
    if (mix)
        fprintf(stderr, "xrdsym train: %g of every batch from the %zu training crystals of %s\n", opt.mix_fraction,
                xs_dataset_count_split(mix, XS_SPLIT_TRAIN), mix_path);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    xs_nn_ensemble *ens = NULL;
    xs_status st = xs_train_run(data, data_path, &opt, &ens, &err);
    xs_dataset_free(data);
    xs_dataset_free(mix);
    if (st == XS_ERR_CANCELLED) {
        fprintf(stderr, "\nxrdsym train: interrupted; finished epochs are in %s.member*.h5; run the same command again "
                        "to resume\n",
                opt.checkpoint ? opt.checkpoint : "(no checkpoint)");
        return 130;
    }
    if (st != XS_OK) {
        xs_cli_print_error(&err);
        return 1;
    }
    if (xs_nn_ensemble_save(ens, out_path, 0, &err) != XS_OK) {
        xs_cli_print_error(&err);
        xs_nn_ensemble_free(ens);
        return 1;
    }
    xs_nn_ensemble_free(ens);
    fprintf(stderr, "xrdsym train: wrote %s\n", out_path);
    if (opt.checkpoint)
        for (int k = 0; k < opt.ensemble; k++) {
            char p[4200];
            snprintf(p, sizeof p, "%s.member%d.h5", opt.checkpoint, k);
            remove(p);
        }
    return 0;
}
