/* Training on a small dataset written here: three space groups whose peak lists differ, a small network;
 * training must learn them, and a run interrupted after one epoch and resumed from its checkpoint must give
 * the same weights, bit for bit, as a run straight through. */
#include "xrdsym.h"
#include "xs_test.h"
#include "xs_fixtures.h"

#include <unistd.h>

static const char *SPEC = "input 8500; avgpool 10; dense 32 relu; dense classes softmax";

static int stop_after_first_epoch(const xs_train_progress *p, void *ctx)
{
    (void)ctx;
    return p->epoch_end && p->epoch == 0;
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
    xs_train_options_default(&opt);
    opt.arch = SPEC;
    opt.epochs = 4;
    opt.batch = 16;
    opt.seed = 3;
    opt.learning_rate = 0.003;
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
    xs_nn_ensemble *cos_straight = NULL, *cos_resumed = NULL;
    CHECK(xs_train_run(d, data, &opt, &cos_straight, &err) == XS_OK, "cosine: %s", err.message);
    opt.checkpoint = ckpt;
    opt.progress = stop_after_first_epoch;
    CHECK(xs_train_run(d, data, &opt, &cos_resumed, &err) == XS_ERR_CANCELLED, "cosine stopped");
    opt.progress = NULL;
    CHECK(xs_train_run(d, data, &opt, &cos_resumed, &err) == XS_OK, "cosine resume: %s", err.message);
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

    /* ensemble of two: different seeds, different weights */
    opt.checkpoint = NULL;
    opt.ensemble = 2;
    opt.epochs = 1;
    xs_nn_ensemble *two = NULL;
    CHECK(xs_train_run(d, data, &opt, &two, &err) == XS_OK && two && xs_nn_ensemble_size(two) == 2, "ensemble of 2");
    xs_nn_ensemble_free(two);

    xs_dataset_free(d);
    unlink(data);
    return xs_test_finish();
}
