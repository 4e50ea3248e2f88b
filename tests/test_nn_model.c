/* Networks as a whole: specifications and built-ins, training, model files (save, load and continue training
 * bit for bit), metadata, errors, ensembles. */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "xs_test.h"

/* A small CNN with every kind of layer, and a toy problem: class = which third of the pattern holds a peak. */
#define SMALL_CNN \
    "input 60; conv 4 6 2 relu; dropout 0.2; avgpool 3 2; conv 3 4 1 relu; maxpool 2 2; flatten; dense 10 relu; " \
    "dropout 0.3; dense 3 softmax"
#define N_IN 60
#define BATCH 8

static void toy_batch(uint64_t seed, long step, float *x, int *y)
{
    xs_rng r;
    xs_rng_seed(&r, seed, (uint64_t)step);
    for (int n = 0; n < BATCH; n++) {
        int c = (int)xs_rng_below(&r, 3), pos = c * 20 + 3 + (int)xs_rng_below(&r, 14);
        for (int i = 0; i < N_IN; i++) x[n * N_IN + i] = (float)(0.05 * xs_rng_uniform(&r) + exp(-0.5 * (i - pos) * (i - pos)));
        y[n] = c;
    }
}

static void train(xs_nn *net, long from, long to, xs_nn_loss loss, double *losses)
{
    float x[BATCH * N_IN];
    int y[BATCH];
    for (long s = from; s < to; s++) {
        toy_batch(99, s, x, y);
        xs_error err = {0};
        xs_status st = xs_nn_train_step(net, x, y, BATCH, loss, &losses[s], NULL, &err);
        CHECK(st == XS_OK, "train step %ld: %s", s, err.message);
    }
}

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    const char *dir = getenv("XS_BUILD_DIR");
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/nn-test-%ld-%s", dir ? dir : "/tmp", (long)getpid(), name);
    return p;
}

static int same_params(xs_nn *a, xs_nn *b)
{
    if (xs_nn_n_params(a) != xs_nn_n_params(b)) return 0;
    xs_nn_tensor_info ta, tb;
    xs_nn_tensor(a, 0, &ta, NULL);
    xs_nn_tensor(b, 0, &tb, NULL);
    return !memcmp(ta.value, tb.value, sizeof(float) * xs_nn_n_params(a));
}

static void test_builtins(void)
{
    xs_error err = {0};
    char *spec = NULL;
    CHECK(xs_nn_builtin_spec("cnn", 8500, 230, &spec, &err) == XS_OK, "%s", err.message);
    xs_nn *net = NULL;
    CHECK(xs_nn_create("cnn", 8500, 230, 1, &net, &err) == XS_OK, "create cnn: %s", err.message);
    if (net) {
        /* Park et al.: 8500 -> conv(100, 5) 1681 -> pool 840 -> conv(50, 5) 159 -> pool 53 -> conv(25, 2) 15
         * -> pool 5; 80 * 5 = 400 flat values */
        size_t expect = 80 * 100 + 80 + 80 * 80 * 50 + 80 + 80 * 80 * 25 + 80 + 400 * 2300 + 2300 + 2300 * 1150 +
                        1150 + 1150 * 230 + 230;
        CHECK(xs_nn_n_params(net) == expect, "cnn parameters %zu, expected %zu", xs_nn_n_params(net), expect);
        CHECK(xs_nn_n_classes(net) == 230 && xs_nn_n_inputs(net) == 8500, "cnn shape");
        CHECK(!strcmp(xs_nn_spec(net), spec), "canonical spec '%s' vs built-in '%s'", xs_nn_spec(net), spec);
        CHECK(xs_nn_n_tensors(net) == 12, "cnn tensors %d", xs_nn_n_tensors(net));
        xs_nn_tensor_info t;
        xs_nn_tensor(net, 2, &t, NULL);
        CHECK(t.ndim == 3 && t.dims[0] == 80 && t.dims[1] == 80 && t.dims[2] == 50 && !strcmp(t.name, "3.W"),
              "second convolution tensor %s %d [%d %d %d]", t.name, t.ndim, t.dims[0], t.dims[1], t.dims[2]);
        /* glorot_uniform: all |w| <= sqrt(6 / (80*50 + 80*50)) and the variance limit^2/3 */
        double lim = sqrt(6.0 / 8000), s2 = 0, mx = 0;
        for (size_t i = 0; i < t.count; i++) s2 += (double)t.value[i] * t.value[i], mx = fmax(mx, fabs(t.value[i]));
        /* 320,000 samples: the variance estimate has a relative spread of 0.2%; 2% is ten standard deviations */
        CHECK(mx <= lim && fabs(s2 / t.count / (lim * lim / 3) - 1) < 0.02, "glorot: max %g (limit %g)", mx, lim);
        xs_nn_free(net);
    }
    free(spec);
    CHECK(xs_nn_create("cnn", 8500, 7, 1, &net, &err) == XS_OK, "create cnn/7: %s", err.message);
    if (net) {
        CHECK(strstr(xs_nn_spec(net), "dense 700 relu") && strstr(xs_nn_spec(net), "dense 70 relu"), "7-class cnn: %s",
              xs_nn_spec(net));
        xs_nn_free(net);
    }
    CHECK(xs_nn_builtin_spec("dense", 8500, 230, &spec, &err) == XS_OK, "%s", err.message);
    xs_nn_layer_desc *d = NULL;
    int n = 0, nin = 0;
    CHECK(xs_nn_spec_parse(spec, 0, 0, &d, &n, &nin, &err) == XS_OK && n == 9 && nin == 8500 && d[8].units == 230 &&
              d[0].units == 4000 && d[1].rate == 0.6f,
          "dense built-in parses: %s", err.message);
    free(d);
    free(spec);
    CHECK(xs_nn_builtin_spec("resnet", 10, 2, &spec, &err) == XS_ERR_NOT_FOUND && !spec, "unknown built-in");
}

static void test_spec_errors(void)
{
    xs_error err = {0};
    xs_nn *net = NULL;
    CHECK(xs_nn_create("input 10\ndense 5 relu\nconv 3 x 1", 0, 0, 1, &net, &err) == XS_ERR_PARSE && !net &&
              err.line == 3 && err.column == 8,
          "bad conv kernel: line %d column %d: %s", err.line, err.column, err.message);
    CHECK(xs_nn_create("conv 3 5 1; dense 4", 20, 0, 1, &net, &err) == XS_ERR_INVALID && !net,
          "dense after channels needs flatten: %s", err.message);
    CHECK(xs_nn_create("conv 3 50 1; flatten; dense 2", 20, 0, 1, &net, &err) == XS_ERR_INVALID, "kernel too long");
    CHECK(xs_nn_create("dense classes softmax", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "classes unknown");
    CHECK(xs_nn_create("input 30; dense 3", 20, 0, 1, &net, &err) == XS_ERR_INVALID, "input disagrees");
    CHECK(xs_nn_create("dropout 1.5; dense 3", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "dropout rate");
    CHECK(xs_nn_create("dense 3 # comment\n; softmax", 20, 4, 1, &net, &err) == XS_ERR_INVALID, "classes disagree");
    CHECK(xs_nn_create("dense 4; dropout 0.5", 20, 0, 1, &net, &err) == XS_OK, "network without softmax: %s",
          err.message);
    if (net) {
        float x[20] = {0}, p[4];
        int y = 0;
        CHECK(xs_nn_forward(net, x, 1, p, &err) == XS_OK, "forward without softmax");
        CHECK(xs_nn_train_step(net, x, &y, 1, XS_NN_LOSS_CCE, NULL, NULL, &err) == XS_ERR_INVALID,
              "training needs a softmax");
        xs_nn_free(net);
    }
    CHECK(xs_nn_create("dense 3 softmax", 20, 0, 1, &net, &err) == XS_OK, "tiny net");
    if (net) {
        float x[20] = {0};
        int y = 3;
        CHECK(xs_nn_train_step(net, x, &y, 1, XS_NN_LOSS_CCE, NULL, NULL, &err) == XS_ERR_RANGE, "label out of range");
        CHECK(xs_nn_set_threads(net, 0, &err) == XS_ERR_RANGE, "threads 0");
        CHECK(xs_nn_set_adam(net, -1, 0.9, 0.999, 1e-8, &err) == XS_ERR_RANGE, "negative lr");
        xs_nn_free(net);
    }
    /* feature statements: arguments, a flat input, and a first 'logq' that must read the model's grid */
    CHECK(xs_nn_create("logq 1; dense 3 softmax", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "logq of 1 point");
    CHECK(xs_nn_create("logq 10 5; dense 3 softmax", 20, 0, 1, &net, &err) == XS_ERR_PARSE && err.line == 1,
          "logq with a start but no step: %s", err.message);
    CHECK(xs_nn_create("logq 10 5 -1; dense 3 softmax", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "negative step");
    CHECK(xs_nn_create("logq 10 170 1; dense 3 softmax", 20, 0, 1, &net, &err) == XS_ERR_RANGE,
          "grid beyond 180 degrees: %s", err.message);
    CHECK(xs_nn_create("conv 2 3 1; autocorr 4; flatten; dense 3", 20, 0, 1, &net, &err) == XS_ERR_INVALID,
          "autocorr of 2 channels: %s", err.message);
    CHECK(xs_nn_create("highpass 0; dense 3", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "highpass window 0");
    CHECK(xs_nn_create("sqrt 2; dense 3", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "sqrt takes no argument");
    CHECK(xs_nn_create("peaks -1; dense 3", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "peaks -1");
    CHECK(xs_nn_create("peaks; dense 3", 20, 0, 1, &net, &err) == XS_ERR_PARSE, "peaks without K");
    CHECK(xs_nn_create("conv 2 3 1; peaks 3; flatten; dense 3", 20, 0, 1, &net, &err) != XS_OK,
          "peaks on two channels");
    CHECK(xs_nn_create("peaks 2.7; dense 3 softmax", 20, 0, 1, &net, &err) == XS_OK && net &&
              !strcmp(xs_nn_spec(net), "input 20; peaks 2.7; dense 3 softmax"),
          "peaks canonical text: %s", net ? xs_nn_spec(net) : err.message);
    xs_nn_free(net);
    net = NULL;
    CHECK(xs_nn_create("input 400; sqrt; logq 64 10 0.1; highpass 5; autocorr 16; dense 3 softmax", 0, 0, 1, &net,
                       &err) == XS_OK,
          "feature network: %s", err.message);
    if (net) {
        CHECK(xs_nn_n_params(net) == (size_t)3 * (64 + 16) + 3, "autocorr appends 16 values to 64: %zu params",
              xs_nn_n_params(net));
        CHECK(!strcmp(xs_nn_spec(net), "input 400; sqrt; logq 64 10 0.10000000000000001; highpass 5; autocorr 16; "
                                      "dense 3 softmax"),
              "canonical text: %s", xs_nn_spec(net));
        xs_nn *again = NULL;
        CHECK(xs_nn_create(xs_nn_spec(net), 0, 0, 1, &again, &err) == XS_OK && again &&
                  !strcmp(xs_nn_spec(again), xs_nn_spec(net)),
              "canonical text reads back: %s", err.message);
        xs_nn_free(again);
        xs_nn_free(net);
    }
    CHECK(xs_nn_create("input 400; logq 64 10 0.1; dense 3 softmax", 0, 0, 1, &net, &err) == XS_OK, "logq net");
    if (net) {
        xs_nn_grid g = {5.0, 0.01, 400, 1.5406};
        CHECK(xs_nn_set_grid(net, &g, &err) == XS_ERR_INVALID, "logq reads 10 step 0.1, grid 5 step 0.01: %s",
              err.message);
        g.two_theta_start = 10, g.two_theta_step = 0.1;
        CHECK(xs_nn_set_grid(net, &g, &err) == XS_OK, "matching grid: %s", err.message);
        xs_nn_free(net);
    }
    xs_nn_loss l;
    CHECK(xs_nn_loss_parse("paper-ce", &l, &err) == XS_OK && l == XS_NN_LOSS_PAPER_CE, "loss name");
    CHECK(xs_nn_loss_parse("hinge", &l, &err) == XS_ERR_NOT_FOUND, "unknown loss");
}

/* Training straight through and saving / loading / continuing give the same losses, bit for bit. */
static void test_save_continue(xs_nn_loss loss)
{
    enum { N = 12 };
    double straight[2 * N], resumed[2 * N];
    xs_nn *a = NULL, *b = NULL, *c = NULL;
    xs_error err = {0};
    CHECK(xs_nn_create(SMALL_CNN, 0, 0, 5, &a, &err) == XS_OK, "create: %s", err.message);
    CHECK(xs_nn_create(SMALL_CNN, 0, 0, 5, &b, &err) == XS_OK, "create: %s", err.message);
    if (!a || !b) return;
    train(a, 0, 2 * N, loss, straight);
    train(b, 0, N, loss, resumed);
    const char *path = tmp_path("continue.h5");
    CHECK(xs_nn_save(b, path, XS_NN_SAVE_ADAM, &err) == XS_OK, "save: %s", err.message);
    xs_nn_free(b);
    CHECK(xs_nn_load(path, &c, &err) == XS_OK, "load: %s", err.message);
    if (c) {
        CHECK(xs_nn_step(c) == N, "step after load %ld", xs_nn_step(c));
        train(c, N, 2 * N, loss, resumed);
        CHECK(!memcmp(straight, resumed, sizeof straight), "%s: losses after loading differ (%.17g vs %.17g at the end)",
              xs_nn_loss_name(loss), straight[2 * N - 1], resumed[2 * N - 1]);
        CHECK(same_params(a, c), "%s: weights after loading and continuing differ", xs_nn_loss_name(loss));
        xs_nn_free(c);
    }
    xs_nn_free(a);
    unlink(path);
}

static void test_file_contents(void)
{
    xs_nn *a = NULL, *b = NULL;
    xs_error err = {0};
    CHECK(xs_nn_create(SMALL_CNN, 0, 0, 77, &a, &err) == XS_OK, "create: %s", err.message);
    if (!a) return;
    xs_nn_grid g = {5.0, 0.01, 60, 1.5406}, g2;
    const char *names[] = {"cubic", "hexagonal", "triclinic"};
    CHECK(xs_nn_get_grid(a, &g2) == 0 && g2.count == 0, "no grid yet");
    CHECK(xs_nn_set_grid(a, &g, &err) == XS_OK, "grid");
    CHECK(xs_nn_set_labels(a, "crystal_system", names, 3, &err) == XS_OK, "labels");
    CHECK(xs_nn_set_labels(a, "crystal_system", names, 2, &err) == XS_ERR_INVALID, "label count");
    CHECK(xs_nn_set_meta(a, "epochs", "3", &err) == XS_OK && xs_nn_set_meta(a, "data", "train.h5", &err) == XS_OK &&
              xs_nn_set_meta(a, "epochs", "4", &err) == XS_OK && xs_nn_meta_count(a) == 2,
          "meta");
    double l[3];
    train(a, 0, 3, XS_NN_LOSS_PAPER_CE, l);
    const char *path = tmp_path("meta.h5");
    CHECK(xs_nn_save(a, path, 0, &err) == XS_OK, "save: %s", err.message);
    CHECK(xs_nn_load(path, &b, &err) == XS_OK, "load: %s", err.message);
    if (b) {
        CHECK(same_params(a, b), "weights round trip");
        CHECK(!strcmp(xs_nn_spec(a), xs_nn_spec(b)) && xs_nn_seed(b) == 77 && xs_nn_step(b) == 3, "spec, seed, step");
        CHECK(xs_nn_get_grid(b, &g2) && g2.two_theta_start == g.two_theta_start && g2.two_theta_step == g.two_theta_step &&
                  g2.count == g.count && g2.wavelength == g.wavelength,
              "grid round trip");
        CHECK(!strcmp(xs_nn_label_kind(b), "crystal_system") && !strcmp(xs_nn_label(b, 1), "hexagonal") &&
                  !xs_nn_label(b, 3),
              "labels round trip");
        CHECK(xs_nn_get_meta(b, "epochs") && !strcmp(xs_nn_get_meta(b, "epochs"), "4") && xs_nn_meta_count(b) == 2,
              "meta round trip");
        CHECK(xs_nn_get_meta_number(b, "epochs", -1) == 4 && xs_nn_get_meta_number(b, "data", -1) == -1 &&
                  xs_nn_get_meta_number(b, "absent", -1) == -1,
              "meta as a number: 4, and the default for text or a missing key");
        xs_nn_tensor_info t;
        xs_nn_tensor(b, 0, &t, NULL);
        int zero = 1;
        for (size_t i = 0; i < t.count; i++) zero &= t.adam_m[i] == 0;
        CHECK(zero, "without Adam state the moments start from zero");
        float x[BATCH * N_IN], pa[BATCH * 3], pb[BATCH * 3];
        int y[BATCH];
        toy_batch(1, 1, x, y);
        xs_nn_forward(a, x, BATCH, pa, NULL);
        xs_nn_forward(b, x, BATCH, pb, NULL);
        CHECK(!memcmp(pa, pb, sizeof pa), "same outputs after loading");
        xs_nn_free(b);
    }
    /* errors: missing file, not HDF5, HDF5 of another kind */
    CHECK(xs_nn_load(tmp_path("absent.h5"), &b, &err) == XS_ERR_IO && !b, "missing file: %s", err.message);
    const char *txt = tmp_path("text.h5");
    FILE *f = fopen(txt, "w");
    if (f) fputs("not hdf5\n", f), fclose(f);
    CHECK(xs_nn_load(txt, &b, &err) == XS_ERR_IO && !b, "text file: %s", err.message);
    unlink(txt);
    CHECK(xs_nn_save(a, "/nonexistent-dir/x.h5", 0, &err) == XS_ERR_IO, "unwritable folder");
    xs_nn_free(a);
    unlink(path);
}

static void test_ensemble(void)
{
    xs_nn_ensemble *e = NULL, *e2 = NULL;
    xs_error err = {0};
    CHECK(xs_nn_ensemble_create(&e, &err) == XS_OK, "ensemble");
    float x[BATCH * N_IN], p[BATCH * 3], q[BATCH * 3], sum[BATCH * 3] = {0};
    double logsum[BATCH * 3] = {0};
    int y[BATCH];
    toy_batch(3, 0, x, y);
    for (int k = 0; k < 3; k++) {
        xs_nn *net = NULL;
        xs_nn_create(SMALL_CNN, 0, 0, 100 + k, &net, NULL);
        xs_nn_forward(net, x, BATCH, p, NULL);
        for (int i = 0; i < BATCH * 3; i++) sum[i] += p[i], logsum[i] += log(p[i]);
        CHECK(xs_nn_ensemble_add(e, net, &err) == XS_OK, "add %d", k);
    }
    /* the geometric mean, written out in double: (p1 p2 p3)^(1/3) of each class over its row's sum */
    CHECK(xs_nn_ensemble_combine(e) == XS_NN_COMBINE_MEAN, "the mean by default");
    CHECK(xs_nn_ensemble_set_combine(e, XS_NN_COMBINE_GEOMETRIC, &err) == XS_OK, "geometric: %s", err.message);
    CHECK(xs_nn_ensemble_forward(e, x, BATCH, q, &err) == XS_OK, "geometric forward");
    double worst_geo = 0, worst_row = 0, apart = 0;
    for (int b = 0; b < BATCH; b++) {
        double g[3], total = 0, row = 0;
        for (int c = 0; c < 3; c++) total += g[c] = exp(logsum[b * 3 + c] / 3);
        for (int c = 0; c < 3; c++) {
            worst_geo = fmax(worst_geo, fabs(q[b * 3 + c] - g[c] / total));
            apart = fmax(apart, fabs(q[b * 3 + c] - sum[b * 3 + c] / 3));
            row += q[b * 3 + c];
        }
        worst_row = fmax(worst_row, fabs(row - 1));
    }
    /* float logarithms and exponentials of probabilities near 1/3: a few float epsilons */
    CHECK(worst_geo < 1e-6 && worst_row < 1e-6, "geometric mean of the members (%g), rows sum to 1 (%g)", worst_geo, worst_row);
    CHECK(apart > 1e-4, "the geometric mean is not the mean on these members (%g apart at most)", apart);
    CHECK(xs_nn_ensemble_set_combine(e, (xs_nn_combine)7, &err) == XS_ERR_INVALID &&
              xs_nn_ensemble_combine(e) == XS_NN_COMBINE_GEOMETRIC, "an unknown mode refused, the mode kept");
    CHECK(!strcmp(xs_nn_combine_name(XS_NN_COMBINE_GEOMETRIC), "geometric") &&
              !strcmp(xs_nn_combine_name(XS_NN_COMBINE_MEAN), "mean"), "names");
    xs_nn_ensemble_set_combine(e, XS_NN_COMBINE_MEAN, NULL);
    xs_nn *other = NULL;
    xs_nn_create("dense 4 softmax", N_IN, 0, 1, &other, NULL);
    CHECK(xs_nn_ensemble_add(e, other, &err) == XS_ERR_INVALID, "member with other classes refused (and freed)");
    CHECK(xs_nn_ensemble_size(e) == 3, "size");
    CHECK(xs_nn_ensemble_forward(e, x, BATCH, p, &err) == XS_OK, "ensemble forward");
    double worst = 0;
    for (int i = 0; i < BATCH * 3; i++) worst = fmax(worst, fabs(p[i] - sum[i] / 3));
    CHECK(worst < 1e-7, "ensemble = mean of members (%g); float rounding of a mean of three", worst);
    const char *path = tmp_path("ens.h5"), *one = tmp_path("one.h5");
    CHECK(xs_nn_ensemble_save(e, path, 0, &err) == XS_OK, "ensemble save: %s", err.message);
    CHECK(xs_nn_ensemble_load(path, &e2, &err) == XS_OK && xs_nn_ensemble_size(e2) == 3, "ensemble load: %s",
          err.message);
    if (e2) {
        xs_nn_ensemble_forward(e2, x, BATCH, q, NULL);
        CHECK(!memcmp(p, q, sizeof p), "same ensemble outputs after loading");
        CHECK(xs_nn_ensemble_combine(e2) == XS_NN_COMBINE_MEAN, "saved averaged, loaded averaged");
        xs_nn_ensemble_free(e2);
    }
    /* the combination travels with the file: saved geometric, loaded geometric with the same outputs; of several
     * files the first decides; a file naming another combination is refused with its name */
    const char *geo = tmp_path("geo.h5");
    float g1[BATCH * 3], g2[BATCH * 3];
    xs_nn_ensemble_set_combine(e, XS_NN_COMBINE_GEOMETRIC, NULL);
    xs_nn_ensemble_forward(e, x, BATCH, g1, NULL);
    CHECK(xs_nn_ensemble_save(e, geo, 0, &err) == XS_OK, "geometric ensemble save: %s", err.message);
    xs_nn_ensemble_set_combine(e, XS_NN_COMBINE_MEAN, NULL);
    e2 = NULL;
    CHECK(xs_nn_ensemble_load(geo, &e2, &err) == XS_OK && xs_nn_ensemble_combine(e2) == XS_NN_COMBINE_GEOMETRIC,
          "saved geometric, loaded geometric: %s", err.message);
    if (e2) {
        xs_nn_ensemble_forward(e2, x, BATCH, g2, NULL);
        CHECK(!memcmp(g1, g2, sizeof g1) && memcmp(g1, p, sizeof g1), "the geometric outputs after loading");
    }
    xs_nn_ensemble_free(e2);
    const char *geo_first[2] = {geo, path}, *mean_first[2] = {path, geo};
    e2 = NULL;
    CHECK(xs_nn_ensemble_load_files(geo_first, 2, &e2, &err) == XS_OK && xs_nn_ensemble_combine(e2) == XS_NN_COMBINE_GEOMETRIC &&
              xs_nn_ensemble_size(e2) == 6, "the first file (geometric) decides");
    xs_nn_ensemble_free(e2);
    e2 = NULL;
    CHECK(xs_nn_ensemble_load_files(mean_first, 2, &e2, &err) == XS_OK && xs_nn_ensemble_combine(e2) == XS_NN_COMBINE_MEAN,
          "the first file (averaged) decides");
    xs_nn_ensemble_free(e2);
    hid_t hf = H5Fopen(geo, H5F_ACC_RDWR, H5P_DEFAULT);
    if (hf >= 0) {
        H5Adelete(hf, "combine");
        hid_t st = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
        H5Tset_size(st, 6);
        hid_t at = H5Acreate2(hf, "combine", st, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(at, st, "median");
        H5Aclose(at), H5Sclose(sp), H5Tclose(st), H5Fclose(hf);
    }
    e2 = NULL;
    CHECK(xs_nn_ensemble_load(geo, &e2, &err) == XS_ERR_PARSE && !e2 && strstr(err.message, "\"median\"") &&
              strstr(err.file, "geo.h5"), "an unknown combination refused, the file named: %s (%s)", err.message, err.file);
    unlink(geo);
    xs_nn *m0 = NULL;
    CHECK(xs_nn_load(path, &m0, &err) == XS_OK && same_params(m0, xs_nn_ensemble_member(e, 0)), "first member");
    CHECK(xs_nn_save(m0, one, 0, &err) == XS_OK, "save one");
    xs_nn_free(m0);
    const char *files[2] = {one, one};
    CHECK(xs_nn_ensemble_load_files(files, 2, &e2, &err) == XS_OK && xs_nn_ensemble_size(e2) == 2, "from files");
    xs_nn_ensemble_free(e2);
    /* an ensemble file among the files brings all its members, in order, not only its first */
    const char *mixed[2] = {one, path};
    e2 = NULL;
    CHECK(xs_nn_ensemble_load_files(mixed, 2, &e2, &err) == XS_OK && xs_nn_ensemble_size(e2) == 4,
          "a model and a 3-member ensemble make 4 members: %d", e2 ? xs_nn_ensemble_size(e2) : -1);
    if (e2 && xs_nn_ensemble_size(e2) == 4)
        for (int m = 0; m < 3; m++)
            CHECK(same_params(xs_nn_ensemble_member(e2, m + 1), xs_nn_ensemble_member(e, m)), "member %d in order", m);
    xs_nn_ensemble_free(e2);
    CHECK(xs_nn_ensemble_load(one, &e2, &err) == XS_OK && xs_nn_ensemble_size(e2) == 1, "model as an ensemble");
    xs_nn_ensemble_free(e2);
    xs_nn_ensemble_free(e);
    unlink(path);
    unlink(one);
}

/* The reference and the fast kernels train the same network to nearly the same losses, and the dropout masks
 * follow (seed, step) whatever the thread count. */
static void test_reference_and_threads(void)
{
    xs_nn *a = NULL, *b = NULL;
    xs_nn_create(SMALL_CNN, 0, 0, 9, &a, NULL);
    xs_nn_create(SMALL_CNN, 0, 0, 9, &b, NULL);
    if (!a || !b) return;
    xs_nn_use_reference(b, 1);
    xs_nn_set_threads(b, 1, NULL);
    double la[5], lb[5];
    train(a, 0, 5, XS_NN_LOSS_CCE, la);
    train(b, 0, 5, XS_NN_LOSS_CCE, lb);
    /* float32 sums in a different order, over five Adam steps: 1e-4 relative is loose but catches real bugs */
    for (int i = 0; i < 5; i++) CHECK(fabs(la[i] - lb[i]) <= 1e-4 * fabs(la[i]), "step %d: %g vs %g", i, la[i], lb[i]);
    const float *ma, *mb;
    size_t na, nb;
    CHECK(xs_nn_dropout_mask(a, 1, &ma, &na, NULL) == XS_OK && xs_nn_dropout_mask(b, 1, &mb, &nb, NULL) == XS_OK &&
              na == nb && !memcmp(ma, mb, sizeof(float) * na),
          "dropout masks independent of thread count and kernels");
    CHECK(xs_nn_dropout_mask(a, 0, &ma, &na, NULL) == XS_ERR_NOT_FOUND, "statement 0 is no dropout");
    xs_nn_free(a);
    xs_nn_free(b);
}

/* The toy problem is learnt: mean loss of the last 20 of 300 steps well below that of the first 20. */
static void test_learns(void)
{
    enum { N = 300 };
    xs_nn *a = NULL;
    double l[N], first = 0, last = 0;
    xs_nn_create(SMALL_CNN, 0, 0, 3, &a, NULL);
    if (!a) return;
    xs_nn_set_adam(a, 3e-3, 0.9, 0.999, 1e-8, NULL);
    train(a, 0, N, XS_NN_LOSS_CCE, l);
    for (int i = 0; i < 20; i++) first += l[i] / 20, last += l[N - 1 - i] / 20;
    /* ln 3 = 1.10 at chance; a learnt problem ends far below (seen: 0.06) */
    CHECK(last < 0.5 * first, "toy problem not learnt: mean loss %g -> %g", first, last);
    printf("toy problem: mean cross entropy %.3f over the first 20 steps, %.3f over the last 20\n", first, last);
    xs_nn_free(a);
}

/* XS_NN_SAVE_HALF: weights as binary16, read back as float, each within half a binary16 step of the original
 * (round to nearest); the file is smaller, the outputs nearly the same, and h5py reads the weights as float16. */
static void test_half_weights(void)
{
    xs_error err = {0};
    xs_nn *a = NULL, *b = NULL;
    CHECK(xs_nn_create("input 60; dense 200 relu; dense 3 softmax", 0, 0, 5, &a, &err) == XS_OK, "create: %s", err.message);
    if (!a) return;
    double l[20];
    train(a, 0, 20, XS_NN_LOSS_CCE, l);
    const char *full = tmp_path("full.h5"), *half = tmp_path("half.h5");
    CHECK(xs_nn_save(a, full, 0, &err) == XS_OK, "save: %s", err.message);
    CHECK(xs_nn_save(a, half, XS_NN_SAVE_HALF, &err) == XS_OK, "save half: %s", err.message);
    CHECK(xs_nn_load(half, &b, &err) == XS_OK && b, "load half: %s", err.message);
    if (b) {
        xs_nn_tensor_info ta, tb;
        xs_nn_tensor(a, 0, &ta, NULL);
        xs_nn_tensor(b, 0, &tb, NULL);
        size_t n = xs_nn_n_params(a), off = 0;
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double w = ta.value[i], h = tb.value[i];
            /* binary16 keeps 11 significant bits: round to nearest is off by at most 2^-11 relative (normal
             * numbers), or half the subnormal step 2^-24 below 6.1e-5 */
            double bound = fabs(w) >= 6.103515625e-5 ? fabs(w) * 0x1p-11 : 0x1p-25;
            if (fabs(h - w) > bound) off++;
            worst = fmax(worst, fabs(h - w));
        }
        CHECK(off == 0, "%zu of %zu weights off by more than half a binary16 step (worst %g)", off, n, worst);
        CHECK(worst > 0, "the weights were rounded (not stored as float32)");
        float x[BATCH * N_IN], pa[BATCH * 3], pb[BATCH * 3];
        int y[BATCH];
        toy_batch(2, 0, x, y);
        xs_nn_forward(a, x, BATCH, pa, NULL);
        xs_nn_forward(b, x, BATCH, pb, NULL);
        double dp = 0;
        for (int i = 0; i < BATCH * 3; i++) dp = fmax(dp, fabs(pa[i] - pb[i]));
        /* 12,600 weights each off by <= 2^-11 relative: the probabilities move by far less than 1e-2 */
        CHECK(dp < 1e-2, "outputs with 16-bit weights within 1e-2 of float32 (%g)", dp);
        xs_nn_free(b);
    }
    long sf = xs_test_file_size(full), sh = xs_test_file_size(half);
    /* 12,803 parameters: 51 kB as float32, 26 kB as binary16, plus the same few kB of attributes in both */
    CHECK(sf > 0 && sh > 0 && sh < 0.65 * sf, "16-bit file %ld bytes against %ld", sh, sf);
    if (access("/usr/bin/python3", X_OK) == 0 && system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") == 0) {
        /* an independent conversion: numpy's float32 -> float16 of the float32 file gives the same bits, also
         * for the edge cases written into a second network (ties, the largest half, overflow, subnormals, the
         * rounding carry into the exponent that HDF5's own conversion gets wrong) */
        xs_nn *c = NULL;
        const float edge[] = {0.12497697f, -0.0624945089f, 65504.0f, 65519.0f, 65520.0f, -1e6f, 0x1p-24f, 0x1p-25f,
                              0x3p-25f, 0x1.8p-25f, 1e-9f, 6.1e-5f, 6.1035156e-05f, 1.00048828125f, 1.00146484375f,
                              -0.0f, 0.333333f, 2047.5f, 2048.5f};
        const char *full2 = tmp_path("edge.h5"), *half2 = tmp_path("edge16.h5");
        CHECK(xs_nn_create("input 60; dense 3 softmax", 0, 0, 6, &c, &err) == XS_OK, "create: %s", err.message);
        if (c) {
            xs_nn_tensor_info tc;
            xs_nn_tensor(c, 0, &tc, NULL);
            memcpy(tc.value, edge, sizeof edge);
            CHECK(xs_nn_save(c, full2, 0, &err) == XS_OK && xs_nn_save(c, half2, XS_NN_SAVE_HALF, &err) == XS_OK,
                  "save edge cases: %s", err.message);
            xs_nn_free(c);
        }
        char cmd[1600];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import h5py, numpy as np\n"
                 "for full, half in [('%s', '%s'), ('%s', '%s')]:\n"
                 "    a, b = h5py.File(full, 'r')['weights'], h5py.File(half, 'r')['weights']\n"
                 "    for g in a:\n"
                 "        for t in ('W', 'b'):\n"
                 "            x, h = a[g][t][...], b[g][t][...]\n"
                 "            assert x.dtype == np.float32 and h.dtype == np.float16, (x.dtype, h.dtype)\n"
                 "            with np.errstate(over='ignore'):\n"
                 "                want = x.astype(np.float16)\n"
                 "            bad = np.flatnonzero(want.view(np.uint16) != h.view(np.uint16))\n"
                 "            assert bad.size == 0, [(x.flat[i], want.flat[i], h.flat[i]) for i in bad[:5]]\n\"",
                 full, half, full2, half2);
        CHECK(system(cmd) == 0, "h5py reads float16 weights, bit for bit numpy's rounding of the float32 ones");
        /* read back by us: the binary16 values of IEEE 754 (round to nearest, ties to even) */
        const float want[] = {0.125f, -0.0625f, 65504.0f, 65504.0f, INFINITY, -INFINITY, 0x1p-24f, 0.0f, 0x1p-23f,
                              0x1p-24f, 0.0f, 6.0975552e-05f, 6.1035156e-05f, 1.0f, 1.001953125f, -0.0f, 0.33325195f,
                              2048.0f, 2048.0f};
        xs_nn *c16 = NULL;
        CHECK(xs_nn_load(half2, &c16, &err) == XS_OK && c16, "load edge cases: %s", err.message);
        if (c16) {
            xs_nn_tensor_info tc;
            xs_nn_tensor(c16, 0, &tc, NULL);
            for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
                CHECK(tc.value[i] == want[i] && signbit(tc.value[i]) == signbit(want[i]), "edge %zu: %.9g read as %.9g, want %.9g",
                      i, (double)edge[i], (double)tc.value[i], (double)want[i]);
            xs_nn_free(c16);
        }
        unlink(full2);
        unlink(half2);
    } else {
        printf("note: python3 with h5py absent; the float16 type as h5py sees it is not checked\n");
    }
    xs_nn_free(a);
    unlink(full);
    unlink(half);
}

int main(void)
{
    test_learns();
    test_builtins();
    test_spec_errors();
    test_save_continue(XS_NN_LOSS_CCE);
    test_save_continue(XS_NN_LOSS_PAPER_CE);
    test_save_continue(XS_NN_LOSS_QUADRATIC);
    test_file_contents();
    test_ensemble();
    test_half_weights();
    test_reference_and_threads();
    return xs_test_finish();
}
