/* Helper of tests/test_nn_torch.py: builds a network, runs it on a seeded input and writes
 *   <out>-model.h5  the model file (xs_nn_save, as a user would get it)
 *   <out>-io.h5     input x [B][n], labels [B], inference outputs "probs" (no dropout), and per loss a group
 *                   <loss> with attribute "loss", outputs "probs" with dropout, and grad/<tensor name> for every
 *                   parameter tensor (PyTorch shapes); group masks with mask_<statement> in the engine's layout
 *                   ([batch][n] for flat values, [channel][batch][length] before a flatten).
 * Usage: test_nn_export ARCH N_INPUTS N_CLASSES BATCH OUT_PREFIX   (ARCH: dense, cnn or a specification)
 * Run without arguments (as ctest does) it exports a small network into the build folder and checks that the
 * files exist, so that the helper itself is known to work where torch is absent. */
#include <hdf5.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "xs_test.h"

static int put(hid_t loc, const char *name, hid_t mtype, hid_t ftype, const void *data, int ndim, const int *dims)
{
    hsize_t d[3];
    for (int i = 0; i < ndim; i++) d[i] = (hsize_t)dims[i];
    hid_t sp = H5Screate_simple(ndim, d, NULL);
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = ds >= 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(sp);
    return ok;
}

static int export(const char *arch, int n_in, int n_cls, int B, const char *prefix)
{
    xs_nn *net = NULL;
    xs_error err = {0};
    if (xs_nn_create(arch, n_in, n_cls, 4242, &net, &err) != XS_OK) {
        fprintf(stderr, "create: %s\n", err.message);
        return 1;
    }
    n_in = xs_nn_n_inputs(net);
    n_cls = xs_nn_n_classes(net);
    const char *names[] = {"a", "b"};
    if (n_cls == 2) xs_nn_set_labels(net, "test", names, 2, NULL);
    xs_nn_grid grid = {5.0, 0.01, n_in, 1.5406};
    xs_nn_set_grid(net, &grid, NULL);
    xs_nn_set_meta(net, "purpose", "torch comparison", NULL);
    /* a powder-pattern-like input: a few Gaussian peaks on a small background, maximum 1 */
    xs_rng r;
    xs_rng_seed(&r, 7, 0);
    float *x = calloc((size_t)B * n_in, sizeof(float)), *p = malloc(sizeof(float) * (size_t)B * n_cls);
    int *y = malloc(sizeof(int) * (size_t)B);
    for (int n = 0; n < B; n++) {
        float *xn = x + (size_t)n * n_in;
        for (int k = 0; k < 12; k++) {
            double c = xs_rng_range(&r, 0, n_in), w = 2 + 6 * xs_rng_uniform(&r), h = xs_rng_uniform(&r);
            for (int i = (int)fmax(0, c - 5 * w); i < n_in && i < c + 5 * w; i++)
                xn[i] += (float)(h * exp(-0.5 * (i - c) * (i - c) / (w * w)));
        }
        float mx = 1e-6f;
        for (int i = 0; i < n_in; i++) xn[i] += 0.02f * (float)xs_rng_uniform(&r), mx = fmaxf(mx, xn[i]);
        for (int i = 0; i < n_in; i++) xn[i] /= mx;
        y[n] = (int)xs_rng_below(&r, (uint64_t)n_cls);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s-model.h5", prefix);
    if (xs_nn_save(net, path, 0, &err) != XS_OK) {
        fprintf(stderr, "save: %s\n", err.message);
        return 1;
    }
    snprintf(path, sizeof path, "%s-io.h5", prefix);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int ok = f >= 0, dx[2] = {B, n_in}, dp[2] = {B, n_cls};
    ok = ok && put(f, "x", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, x, 2, dx) &&
         put(f, "labels", H5T_NATIVE_INT, H5T_STD_I32LE, y, 1, &B);
    ok = ok && xs_nn_forward(net, x, B, p, &err) == XS_OK && put(f, "probs", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, p, 2, dp);
    const xs_nn_loss losses[] = {XS_NN_LOSS_QUADRATIC, XS_NN_LOSS_PAPER_CE, XS_NN_LOSS_CCE};
    for (int l = 0; ok && l < 3; l++) {
        double loss = 0;
        ok = xs_nn_gradients(net, x, y, B, losses[l], 1, &loss, NULL, p, &err) == XS_OK;
        hid_t g = ok ? H5Gcreate2(f, xs_nn_loss_name(losses[l]), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        hid_t gg = g >= 0 ? H5Gcreate2(g, "grad", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        hid_t sp = H5Screate(H5S_SCALAR), a = gg >= 0 ? H5Acreate2(g, "loss", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
        ok = a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &loss) >= 0 && put(g, "probs", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, p, 2, dp);
        for (int t = 0; ok && t < xs_nn_n_tensors(net); t++) {
            xs_nn_tensor_info ti;
            xs_nn_tensor(net, t, &ti, NULL);
            ok = put(gg, ti.name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ti.grad, ti.ndim, ti.dims);
        }
        if (a >= 0) H5Aclose(a);
        H5Sclose(sp);
        if (gg >= 0) H5Gclose(gg);
        if (g >= 0) H5Gclose(g);
    }
    hid_t gm = ok ? H5Gcreate2(f, "masks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    for (int i = 0; ok && i < net->nl; i++) {
        const float *m;
        size_t n;
        if (xs_nn_dropout_mask(net, i, &m, &n, NULL) != XS_OK) continue;
        char name[32];
        snprintf(name, sizeof name, "mask_%d", i);
        const xs_nn_layer *L = &net->L[i];
        int dims3[3] = {L->out_c, B, L->out_l}, dims2[2] = {B, L->out_l};
        ok = L->out_c > 1 ? put(gm, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, m, 3, dims3)
                          : put(gm, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, m, 2, dims2);
    }
    if (gm >= 0) H5Gclose(gm);
    if (f >= 0) H5Fclose(f);
    if (!ok) fprintf(stderr, "export failed: %s\n", err.message);
    free(x), free(p), free(y);
    xs_nn_free(net);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 6) return export(argv[1], atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s ARCH N_INPUTS N_CLASSES BATCH OUT_PREFIX\n", argv[0]);
        return 2;
    }
    const char *dir = getenv("XS_BUILD_DIR");
    char prefix[512], a[600], b[600];
    snprintf(prefix, sizeof prefix, "%s/nn-export-%ld", dir ? dir : "/tmp", (long)getpid());
    CHECK(export("conv 2 5 2 relu; dropout 0.5; avgpool 2 2; flatten; dense 2 softmax", 30, 0, 3, prefix) == 0,
          "export of a small network");
    snprintf(a, sizeof a, "%s-model.h5", prefix);
    snprintf(b, sizeof b, "%s-io.h5", prefix);
    CHECK(access(a, R_OK) == 0 && access(b, R_OK) == 0, "both files written");
    unlink(a);
    unlink(b);
    return xs_test_finish();
}
