/* Training on a small dataset written here: three space groups whose peak lists differ, a small network;
 * training must learn them, and a run interrupted after one epoch and resumed from its checkpoint must give
 * the same weights, bit for bit, as a run straight through. Class-balanced epochs draw the groups in the
 * prior's proportions; fine-tuning starts from a trained model and resumes bit for bit too, and so does a run
 * with a second dataset mixed into every batch. */
#include "xrdsym.h"
#include "xs_test.h"
#include "xs_fixtures.h"
#include "eval/eval_internal.h"

#include <unistd.h>

static int stop_after_first_epoch(const xs_train_progress *p, void *ctx)
{
    (void)ctx;
    return p->epoch_end && p->epoch == 0;
}

/* The run stopped by the callback after its first epoch (checkpoint written), then started again to the end:
 * the resumed result, or NULL. */
static xs_nn_ensemble *stopped_then_resumed(const xs_dataset *d, const char *data, xs_train_options opt, const char *ckpt,
                                            const char *what)
{
    xs_error err = {0};
    xs_nn_ensemble *e = NULL;
    opt.checkpoint = ckpt;
    opt.progress = stop_after_first_epoch;
    CHECK(xs_train_run(d, data, &opt, &e, &err) == XS_ERR_CANCELLED && !e, "%s: stopped by the callback", what);
    opt.progress = NULL;
    CHECK(xs_train_run(d, data, &opt, &e, &err) == XS_OK && e, "%s: resumed: %s", what, err.message);
    return e;
}

/* New renders of the mix's 60 Pnma (even) and 60 P1 (odd) crystals: how many of each the network names rightly. */
static void mix_named(xs_nn *net, const xs_dataset *mix, const xs_train_options *opt, int named[2])
{
    enum { M = 120 };
    xs_error err = {0};
    size_t idx[M];
    uint64_t items[M];
    for (size_t i = 0; i < M; i++) idx[i] = i, items[i] = 1000 + i;
    float *x = malloc((size_t)M * 8500 * sizeof *x), *probs = malloc((size_t)M * 230 * sizeof *probs);
    named[0] = named[1] = 0;
    if (x && probs && xs_train_render(mix, idx, M, &opt->grid, &opt->aug, 77, items, 1, x, &err) == XS_OK &&
        xs_nn_forward(net, x, M, probs, &err) == XS_OK) {
        for (int i = 0; i < M; i++) {
            int best = 0;
            for (int c = 1; c < 230; c++)
                if (probs[i * 230 + c] > probs[i * 230 + best]) best = c;
            int g = xs_dataset_space_group(mix, (size_t)i);
            named[g == 1] += best == g - 1;
        }
    } else {
        CHECK(0, "render and forward the mix: %s", err.message);
    }
    free(x);
    free(probs);
}

static float first_weight_sum(xs_nn_ensemble *e)
{
    xs_nn *net = xs_nn_ensemble_member(e, 0);
    xs_nn_tensor_info t;
    float s = 0;
    for (int i = 0; i < xs_nn_n_tensors(net); i++)
        if (xs_nn_tensor(net, i, &t, NULL) == XS_OK)
            for (size_t k = 0; k < t.count; k++) s += t.value[k] * (float)(k % 7 + 1);
    return s;
}

int main(void)
{
    char data[64], ckpt[64], ckpt_file[96];
    snprintf(data, sizeof data, "/tmp/xs_train_%d.h5", (int)getpid());
    snprintf(ckpt, sizeof ckpt, "/tmp/xs_train_ckpt_%d", (int)getpid());
    snprintf(ckpt_file, sizeof ckpt_file, "%s.member0.h5", ckpt);
    xs_fixture_tiny_dataset(data);
    xs_dataset *d = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_open(data, &d, &err) == XS_OK, "open: %s", err.message);
    if (!d) return xs_test_finish();

    CHECK(xs_train_class_of(XS_TASK_SPACE_GROUP, 225) == 224, "class of 225");
    CHECK(xs_train_class_of(XS_TASK_CRYSTAL_SYSTEM, 225) == XS_CUBIC, "crystal system of 225");
    CHECK(xs_train_class_of(XS_TASK_SPACE_GROUP, 0) == -1, "no class for 0");

    xs_train_options opt;
    xs_fixture_tiny_train_options(&opt);
    xs_nn_ensemble *straight = NULL;
    CHECK(xs_train_run(d, data, &opt, &straight, &err) == XS_OK, "train: %s", err.message);
    if (straight) {
        xs_nn *net = xs_nn_ensemble_member(straight, 0);
        const char *va = xs_nn_get_meta(net, "val_accuracy");
        /* three well separated classes: far above chance (1/3) after 4 epochs */
        CHECK(va && atof(va) > 0.9, "validation accuracy %s", va ? va : "(none)");
        CHECK(!strcmp(xs_nn_label_kind(net), "space_group") && !strcmp(xs_nn_label(net, 224), "225"), "labels stored");
        xs_nn_grid g;
        CHECK(xs_nn_get_grid(net, &g) && g.count == 8500 && fabs(g.wavelength - 1.54184) < 1e-9, "grid stored");
    }

    /* interrupted after epoch 1, then resumed */
    opt.checkpoint = ckpt;
    opt.progress = stop_after_first_epoch;
    xs_nn_ensemble *part = NULL;
    CHECK(xs_train_run(d, data, &opt, &part, &err) == XS_ERR_CANCELLED && part == NULL, "stopped by the callback");
    CHECK(access(ckpt_file, F_OK) == 0, "checkpoint written");
    opt.progress = NULL;
    xs_nn_ensemble *resumed = NULL;
    CHECK(xs_train_run(d, data, &opt, &resumed, &err) == XS_OK, "resume: %s", err.message);
    if (straight && resumed) {
        float a = first_weight_sum(straight), b = first_weight_sum(resumed);
        CHECK(a == b, "resumed run equals the straight run bit for bit: %.9g vs %.9g", a, b);
        CHECK(xs_nn_step(xs_nn_ensemble_member(straight, 0)) == xs_nn_step(xs_nn_ensemble_member(resumed, 0)), "same steps");
    }
    xs_nn_ensemble_free(resumed);
    unlink(ckpt_file);

    /* cosine learning rate: set anew at every epoch, so a resumed run still equals a straight one */
    opt.lr_cosine = 1;
    opt.checkpoint = NULL;
    xs_nn_ensemble *cos_straight = NULL;
    CHECK(xs_train_run(d, data, &opt, &cos_straight, &err) == XS_OK, "cosine: %s", err.message);
    xs_nn_ensemble *cos_resumed = stopped_then_resumed(d, data, opt, ckpt, "cosine");
    if (cos_straight && cos_resumed && straight) {
        xs_nn *net = xs_nn_ensemble_member(cos_straight, 0);
        const char *va = xs_nn_get_meta(net, "val_accuracy"), *lr = xs_nn_get_meta(net, "learning_rate");
        CHECK(va && atof(va) > 0.9, "cosine: validation accuracy %s", va ? va : "(none)");
        CHECK(lr && strstr(lr, "cosine"), "schedule recorded: %s", lr ? lr : "(none)");
        float a = first_weight_sum(cos_straight), b = first_weight_sum(cos_resumed), c = first_weight_sum(straight);
        CHECK(a == b, "cosine: resumed run equals the straight run bit for bit: %.9g vs %.9g", a, b);
        CHECK(a != c, "the schedule changes the training: %.9g vs constant %.9g", a, c);
    }
    xs_nn_ensemble_free(cos_straight);
    xs_nn_ensemble_free(cos_resumed);
    xs_nn_ensemble_free(straight);
    unlink(ckpt_file);
    opt.lr_cosine = 0;

    /* class-balanced draws: groups in proportion to prior^power, whatever their number of crystals */
    {
        size_t all[300], n_train = xs_dataset_select(d, XS_SPLIT_TRAIN, 0, all);
        const int groups[3] = {225, 14, 2};
        for (int pw = 0; pw <= 2; pw++) {
            double power = 0.5 * pw;
            xs_train_sampler cs;
            CHECK(xs_train_sampler_build(&cs, d, all, n_train, power, &err) == XS_OK, "sampler: %s", err.message);
            enum { N = 200000 };
            size_t *draw = malloc(N * sizeof *draw), *again = malloc(N * sizeof *again);
            xs_train_sampler_draw(&cs, 5, 2, draw, N);
            xs_train_sampler_draw(&cs, 5, 2, again, N);
            CHECK(!memcmp(draw, again, N * sizeof *draw), "same seed and epoch, same draws");
            xs_train_sampler_draw(&cs, 5, 3, again, N);
            CHECK(memcmp(draw, again, N * sizeof *draw), "another epoch, other draws");
            double z = 0, seen[3] = {0};
            for (int k = 0; k < 3; k++) z += pow(xs_eval_prior_mp(groups[k]), power);
            int in_range = 1;
            for (size_t i = 0; i < N; i++) {
                in_range &= draw[i] < n_train;
                int g = draw[i] < n_train ? xs_dataset_space_group(d, all[draw[i]]) : 0;
                for (int k = 0; k < 3; k++) seen[k] += g == groups[k];
            }
            CHECK(in_range, "draws are positions in the training list");
            for (int k = 0; k < 3; k++) {
                double want = pow(xs_eval_prior_mp(groups[k]), power) / z;
                /* 0.005: five binomial standard deviations of a share near 1/3 over 200,000 draws (0.001) */
                CHECK(fabs(seen[k] / N - want) <= 0.005, "power %g: share of group %d %g, want %g", power, groups[k], seen[k] / N, want);
            }
            free(draw);
            free(again);
            free(cs.by_group);
        }
    }

    /* fine-tuning from a saved model with class-balanced epochs; interrupted and resumed, bit for bit */
    {
        char base[64], ft_ckpt[64], ft_ckpt_file[96];
        snprintf(base, sizeof base, "/tmp/xs_train_base_%d.h5", (int)getpid());
        snprintf(ft_ckpt, sizeof ft_ckpt, "/tmp/xs_train_ft_%d", (int)getpid());
        snprintf(ft_ckpt_file, sizeof ft_ckpt_file, "%s.member0.h5", ft_ckpt);
        xs_train_options ft;
        xs_fixture_tiny_train_options(&ft);
        xs_nn_ensemble *base_model = NULL;
        CHECK(xs_train_run(d, data, &ft, &base_model, &err) == XS_OK, "base: %s", err.message);
        CHECK(base_model && xs_nn_ensemble_save(base_model, base, 0, &err) == XS_OK, "save base: %s", err.message);
        ft.arch = "input 8500; dense 7 relu; dense classes softmax"; /* not used: the init model's architecture */
        ft.init_model = base;
        ft.sample_prior = 1;
        ft.sample_prior_power = 1;
        ft.learning_rate = 0.0005;
        ft.epochs = 2;
        ft.seed = 9;
        xs_nn_ensemble *tuned = NULL, *tuned2 = NULL;
        CHECK(xs_train_run(d, data, &ft, &tuned, &err) == XS_OK && tuned, "fine-tune: %s", err.message);
        if (tuned && base_model) {
            xs_nn *net = xs_nn_ensemble_member(tuned, 0);
            const char *va = xs_nn_get_meta(net, "val_accuracy"), *pw = xs_nn_get_meta(net, "sample_prior_power");
            CHECK(!strcmp(xs_nn_spec(net), xs_nn_spec(xs_nn_ensemble_member(base_model, 0))), "architecture of the init model");
            CHECK(va && atof(va) > 0.9, "fine-tuned: validation accuracy %s", va ? va : "(none)");
            CHECK(pw && atof(pw) == 1, "power recorded: %s", pw ? pw : "(none)");
            CHECK(xs_nn_get_meta(net, "fine_tuned_from") && !strcmp(xs_nn_get_meta(net, "fine_tuned_from"), base),
                  "origin recorded");
            CHECK(xs_nn_step(net) > xs_nn_step(xs_nn_ensemble_member(base_model, 0)), "steps go on from the base");
            CHECK(first_weight_sum(tuned) != first_weight_sum(base_model), "the weights moved");
            /* an ensemble may not average networks trained on different class distributions */
            xs_nn *copy = NULL;
            CHECK(xs_nn_load(base, &copy, &err) == XS_OK, "load base: %s", err.message);
            xs_nn_ensemble *mixed = NULL;
            CHECK(xs_nn_ensemble_create(&mixed, &err) == XS_OK, "create");
            xs_nn *t0 = NULL;
            xs_nn_ensemble *tmp = NULL;
            char tuned_path[80];
            snprintf(tuned_path, sizeof tuned_path, "/tmp/xs_train_tuned_%d.h5", (int)getpid());
            CHECK(xs_nn_ensemble_save(tuned, tuned_path, 0, &err) == XS_OK, "save tuned");
            CHECK(xs_nn_ensemble_load(tuned_path, &tmp, &err) == XS_OK, "load tuned");
            t0 = tmp ? xs_nn_ensemble_take(tmp, 0) : NULL;
            CHECK(t0 && xs_nn_ensemble_size(tmp) == 0, "take leaves the ensemble empty");
            xs_nn_ensemble_free(tmp);
            CHECK(xs_nn_ensemble_add(mixed, copy, &err) == XS_OK, "first member");
            CHECK(xs_nn_ensemble_add(mixed, t0, &err) == XS_ERR_INVALID && strstr(err.message, "class distribution"),
                  "mixed class distributions refused: %s", err.message);
            /* fine-tuned on balanced groups from the prior-trained model: the inherited power is not kept, and
             * it joins the balanced base in an ensemble */
            xs_train_options back = ft;
            back.init_model = tuned_path;
            back.sample_prior = 0;
            back.epochs = 1;
            xs_nn_ensemble *balanced = NULL;
            CHECK(xs_train_run(d, data, &back, &balanced, &err) == XS_OK && balanced, "balanced again: %s", err.message);
            xs_nn *b0 = balanced ? xs_nn_ensemble_take(balanced, 0) : NULL;
            CHECK(b0 && xs_nn_get_meta_number(b0, "sample_prior_power", -1) == 0, "power 0 recorded, not 1 inherited");
            if (b0) CHECK(xs_nn_ensemble_add(mixed, b0, &err) == XS_OK, "same distribution as the base: %s", err.message);
            xs_nn_ensemble_free(balanced);
            xs_nn_ensemble_free(mixed);
            unlink(tuned_path);
        }
        ft.checkpoint = ft_ckpt;
        ft.progress = stop_after_first_epoch;
        CHECK(xs_train_run(d, data, &ft, &tuned2, &err) == XS_ERR_CANCELLED, "fine-tune stopped");
        ft.progress = NULL;
        ft.sample_prior_power = 0.5; /* the checkpoint of epoch 1 was drawn at power 1 */
        xs_nn_ensemble *other_power = NULL;
        CHECK(xs_train_run(d, data, &ft, &other_power, &err) == XS_ERR_INVALID && !other_power &&
                  strstr(err.message, "class distribution"), "checkpoint of another power refused: %s", err.message);
        ft.sample_prior_power = 1;
        CHECK(xs_train_run(d, data, &ft, &tuned2, &err) == XS_OK && tuned2, "fine-tune resumed: %s", err.message);
        if (tuned && tuned2) {
            float a = first_weight_sum(tuned), b = first_weight_sum(tuned2);
            CHECK(a == b, "resumed fine-tuning equals the straight one bit for bit: %.9g vs %.9g", a, b);
        }
        unlink(ft_ckpt_file);
        /* a model of other classes cannot start this run */
        ft.checkpoint = NULL;
        ft.task = XS_TASK_CRYSTAL_SYSTEM;
        xs_nn_ensemble *wrong = NULL;
        CHECK(xs_train_run(d, data, &ft, &wrong, &err) == XS_ERR_INVALID && !wrong && !strcmp(err.file, base),
              "init model of other classes refused: %s", err.message);
        xs_nn_ensemble_free(tuned);
        xs_nn_ensemble_free(tuned2);
        xs_nn_ensemble_free(base_model);
        unlink(base);
    }

    /* mixing in a second dataset: a group that only it holds is learned from it, the first dataset's groups
     * still are, and a run with it resumes bit for bit */
    {
        char mix_path[64], far_path[64], mix_ckpt[64], mix_ckpt_file[96];
        snprintf(mix_path, sizeof mix_path, "/tmp/xs_train_mix_%d.h5", (int)getpid());
        snprintf(far_path, sizeof far_path, "/tmp/xs_train_mix_mo_%d.h5", (int)getpid());
        snprintf(mix_ckpt, sizeof mix_ckpt, "/tmp/xs_train_mix_ckpt_%d", (int)getpid());
        snprintf(mix_ckpt_file, sizeof mix_ckpt_file, "%s.member0.h5", mix_ckpt);
        for (int file = 0; file < 2; file++) {
            xs_dataset_writer *w = NULL;
            /* the second file is at Mo K-alpha: its peaks mean other d-spacings */
            CHECK(xs_dataset_writer_create(file ? far_path : mix_path, file ? 0.7107 : 1.54184, 5, 90, "test_train mix", &w,
                                           &err) == XS_OK, "mix writer: %s", err.message);
            for (int i = 0; w && i < 120; i++) {
                double tt[4], in[4];
                for (int k = 0; k < 4; k++) {
                    /* between the tiny dataset's peaks (15, 21, 27 + 20k): Pnma at 10 + 20k, P1 at 12 + 20k */
                    tt[k] = (i % 2 ? 12 : 10) + 20 * k + 0.01 * (i / 2);
                    in[k] = 100 - 20 * k;
                }
                xs_fixture_add_crystal(w, i % 2 ? 1 : 62, "Y", tt, in, 4);
            }
            if (w) CHECK(xs_dataset_writer_close(w, 7, 0.0, 0.0, &err) == XS_OK, "mix close: %s", err.message);
        }
        xs_dataset *mix = NULL, *far = NULL;
        CHECK(xs_dataset_open(mix_path, &mix, &err) == XS_OK && xs_dataset_open(far_path, &far, &err) == XS_OK, "open mixes");
        xs_train_options mo;
        xs_fixture_tiny_train_options(&mo);
        mo.mix = mix;
        mo.mix_path = mix_path;
        mo.mix_fraction = 0.5;
        xs_nn_ensemble *mixed = NULL, *mixed2 = NULL;
        CHECK(mix && xs_train_run(d, data, &mo, &mixed, &err) == XS_OK && mixed, "train with a mix: %s", err.message);
        int named[2] = {0, 0}; /* renders of the mix's Pnma and P1 crystals named rightly */
        if (mixed) {
            xs_nn *net = xs_nn_ensemble_member(mixed, 0);
            const char *va = xs_nn_get_meta(net, "val_accuracy"), *md = xs_nn_get_meta(net, "mixed_data");
            /* validation is the first dataset's: its three groups are still told apart */
            CHECK(va && atof(va) > 0.9, "with a mix: validation accuracy %s", va ? va : "(none)");
            CHECK(md && strstr(md, mix_path) && strstr(md, "0.5"), "mix recorded: %s", md ? md : "(none)");
            mix_named(net, mix, &mo, named);
            /* groups seen only in the mix, half of every batch for 4 epochs: far above chance (1/5) */
            CHECK(named[0] >= 54 && named[1] >= 54, "the mix's groups named for %d and %d of 60 new renders each", named[0],
                  named[1]);
        }
        /* drawn with the prior: P1, which the prior makes rare (one structure in 88,908), is almost never drawn
         * and not learned; Pnma, common, still is */
        {
            xs_train_options po = mo;
            po.sample_prior = 1;
            po.sample_prior_power = 1;
            xs_nn_ensemble *prior_mixed = NULL;
            CHECK(xs_train_run(d, data, &po, &prior_mixed, &err) == XS_OK && prior_mixed, "prior mix: %s", err.message);
            if (prior_mixed) {
                mix_named(xs_nn_ensemble_member(prior_mixed, 0), mix, &po, named);
                CHECK(named[0] >= 54 && named[1] <= 6, "with the prior: Pnma named for %d of 60, P1 for %d of 60", named[0],
                      named[1]);
            }
            xs_nn_ensemble_free(prior_mixed);
        }
        mixed2 = stopped_then_resumed(d, data, mo, mix_ckpt, "mix run");
        if (mixed && mixed2) CHECK(first_weight_sum(mixed) == first_weight_sum(mixed2), "resumed mix run bit for bit");
        unlink(mix_ckpt_file);
        xs_nn_ensemble *none = NULL;
        mo.mix_fraction = 0.95;
        CHECK(xs_train_run(d, data, &mo, &none, &err) == XS_ERR_RANGE && !none && strstr(err.message, "0.95"),
              "fraction 0.95 refused: %s", err.message);
        mo.mix_fraction = 0.25;
        mo.mix = far;
        mo.mix_path = far_path;
        CHECK(far && xs_train_run(d, data, &mo, &none, &err) == XS_ERR_INVALID && !none && strstr(err.message, "wavelength") &&
                  !strcmp(err.file, far_path),
              "mix at another wavelength refused: %s", err.message);
        xs_nn_ensemble_free(mixed);
        xs_nn_ensemble_free(mixed2);
        xs_dataset_free(mix);
        xs_dataset_free(far);
        unlink(mix_path);
        unlink(far_path);
    }

    /* ensemble of two: different seeds, different weights */
    opt.checkpoint = NULL;
    opt.ensemble = 2;
    opt.epochs = 1;
    xs_nn_ensemble *two = NULL;
    CHECK(xs_train_run(d, data, &opt, &two, &err) == XS_OK && two && xs_nn_ensemble_size(two) == 2, "ensemble of 2: %s", err.message);
    xs_nn_ensemble_free(two);

    xs_dataset_free(d);
    unlink(data);
    return xs_test_finish();
}
