/* Every layer's and every loss's backward pass against central finite differences of the loss, with the
 * reference and the fast kernels, dropout masks active (they are fixed for a training step).
 *
 * The forward pass runs in float32, so the loss carries a rounding noise of about 1e-7 relative; with a step
 * h = 1e-2 the difference quotient has a noise of about 1e-5 and a truncation error of order h^2 |f'''| ~ 1e-4;
 * the check |fd - grad| <= 1e-4 + 1e-2 |grad| is ten times that (seen: at most 1.1e-5). Where a parameter's step crosses a kink (ReLU,
 * max pooling, the clipping of the paper's loss) the quotient means nothing: such parameters are recognised by
 * quotients with h and h/2 that disagree with each other, skipped, and counted (at most 5% may be). */
#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "xs_test.h"

#define H 1e-2

static double loss_of(xs_nn *net, const float *x, const int *y, int B, xs_nn_loss loss)
{
    double l = 0;
    xs_error err = {0};
    xs_status st = xs_nn_gradients(net, x, y, B, loss, 1, &l, NULL, NULL, &err);
    CHECK(st == XS_OK, "gradients: %s", err.message);
    return l;
}

static void check_net(const char *spec, int n_in, int B, xs_nn_loss loss, int reference, uint64_t seed)
{
    xs_nn *net = NULL;
    xs_error err = {0};
    CHECK(xs_nn_create(spec, n_in, 0, seed, &net, &err) == XS_OK, "create '%s': %s", spec, err.message);
    if (!net) return;
    xs_nn_use_reference(net, reference);
    xs_nn_set_threads(net, 2, NULL);
    int nc = xs_nn_n_classes(net);
    xs_rng r;
    xs_rng_seed(&r, seed, 1);
    float *x = malloc(sizeof(float) * (size_t)B * n_in);
    int *y = malloc(sizeof(int) * (size_t)B);
    for (int i = 0; i < B * n_in; i++) x[i] = (float)xs_rng_range(&r, -1, 1);
    for (int i = 0; i < B; i++) y[i] = (int)xs_rng_below(&r, (uint64_t)nc);
    /* larger biases so that ReLUs are mixed on and off */
    for (int t = 0; t < xs_nn_n_tensors(net); t++) {
        xs_nn_tensor_info ti;
        xs_nn_tensor(net, t, &ti, NULL);
        if (ti.ndim == 1)
            for (size_t i = 0; i < ti.count; i++) ti.value[i] = (float)xs_rng_range(&r, -0.3, 0.3);
    }
    loss_of(net, x, y, B, loss);
    size_t np = xs_nn_n_params(net);
    float *g = malloc(sizeof(float) * np);
    {
        xs_nn_tensor_info t0;
        xs_nn_tensor(net, 0, &t0, NULL);
        memcpy(g, t0.grad, sizeof(float) * np); /* the arena is contiguous from tensor 0 */
    }
    int checked = 0, skipped = 0, bad = 0;
    double worst = 0;
    for (int t = 0; t < xs_nn_n_tensors(net); t++) {
        xs_nn_tensor_info ti;
        xs_nn_tensor(net, t, &ti, NULL);
        xs_nn_tensor_info t0;
        xs_nn_tensor(net, 0, &t0, NULL);
        size_t off = (size_t)(ti.value - t0.value);
        for (size_t i = 0; i < ti.count; i++) {
            float w = ti.value[i];
            double q[2];
            for (int k = 0; k < 2; k++) {
                double h = k ? H / 2 : H;
                ti.value[i] = (float)(w + h);
                double hp = (double)ti.value[i] - w, lp = loss_of(net, x, y, B, loss);
                ti.value[i] = (float)(w - h);
                double hm = w - (double)ti.value[i], lm = loss_of(net, x, y, B, loss);
                q[k] = (lp - lm) / (hp + hm);
            }
            ti.value[i] = w;
            double an = g[off + i];
            checked++;
            if (fabs(q[0] - q[1]) > 1e-3 + 1e-2 * fabs(q[1])) {
                skipped++;
                continue;
            }
            double e = fabs(q[1] - an);
            if (e > worst) worst = e;
            if (e > 1e-4 + 1e-2 * fabs(an)) {
                if (bad < 5)
                    fprintf(stderr, "  %s[%zu]: analytic %.6g, finite difference %.6g\n", ti.name, i, an, q[1]);
                bad++;
            }
        }
    }
    CHECK(bad == 0 && skipped * 20 <= checked,
          "'%s' loss %s %s: %d of %d parameters differ, %d skipped at kinks (largest difference %g)", spec,
          xs_nn_loss_name(loss), reference ? "reference" : "fast", bad, checked, skipped, worst);
    printf("%-70.70s %-9s %-9s checked %4d skipped %2d worst |fd-grad| %.2e\n", spec, xs_nn_loss_name(loss),
           reference ? "reference" : "fast", checked, skipped, worst);
    free(g), free(x), free(y);
    xs_nn_free(net);
}

int main(void)
{
    /* Between them these cover dense (relu, linear, fused softmax), conv with stride (relu, linear), max and
     * average pooling, dropout on channels and on flat values, relu and softmax as statements, and flatten of
     * several channels, and the logq, highpass, autocorr, sqrt and peaks feature layers. */
    const struct {
        const char *spec;
        int n_in;
    } nets[] = {
        {"dense 7 relu; dropout 0.5; dense 6 linear; relu; dense 4 softmax", 10},
        {"conv 3 5 2 relu; maxpool 2 2; dropout 0.3; conv 2 3 1; relu; avgpool 3 2; flatten; dense 6 relu; "
         "dropout 0.2; dense 5; softmax",
         26},
        {"conv 4 4 3; avgpool 2 1; conv 3 2 2 relu; maxpool 3 3; flatten; dense 3 softmax", 30},
        /* the fixed feature layers, behind a dense layer so that their input gradients are checked */
        {"dense 12 linear; logq 8 10 3; highpass 3; autocorr 4; dense 5 relu; dense 4 softmax", 10},
        {"dense 30 linear; logq 25 20 1.5; autocorr 11; dropout 0.2; dense 3 softmax", 6},
        /* sqrt behind a softmax so that its inputs are positive and away from the kink at 0 */
        {"dense 16 softmax; sqrt; logq 9 30 2; autocorr 5; dense 3 softmax", 5},
        /* peaks passes the gradient of the points it keeps and none of the others */
        {"dense 24 linear; peaks 1.5; dense 6 relu; dense 3 softmax", 8},
    };
    const xs_nn_loss losses[] = {XS_NN_LOSS_QUADRATIC, XS_NN_LOSS_PAPER_CE, XS_NN_LOSS_CCE};
    for (size_t n = 0; n < sizeof nets / sizeof nets[0]; n++)
        for (int l = 0; l < 3; l++)
            for (int ref = 0; ref < 2; ref++) check_net(nets[n].spec, nets[n].n_in, 3, losses[l], ref, 17 + n);
    return xs_test_finish();
}
