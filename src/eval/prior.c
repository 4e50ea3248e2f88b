/* Class priors of real materials (Materials Project space-group frequencies; minerals of the COD) applied to
 * network outputs. */
#include "xrdsym/xs_eval.h"
#include "xrdsym/xs_nn.h"
#include "eval/sg_prior.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double xs_eval_prior_mp(int space_group)
{
    if (space_group < 1 || space_group > 230) return 0;
    static double total = 0;
    if (total == 0) {
        double t = 0;
        for (int g = 1; g <= 230; g++) t += xs_sg_prior_mp_counts[g] + 1.0;
        total = t; /* same value from every thread */
    }
    return (xs_sg_prior_mp_counts[space_group] + 1.0) / total;
}

double xs_eval_prior_minerals(int space_group)
{
    if (space_group < 1 || space_group > 230) return 0;
    static double n_total = 0;
    if (n_total == 0) {
        double t = 0;
        for (int g = 1; g <= 230; g++) t += xs_sg_prior_minerals_counts[g];
        n_total = t; /* same value from every thread */
    }
    double k = xs_sg_prior_minerals_strength;
    return (xs_sg_prior_minerals_counts[space_group] + k * xs_eval_prior_mp(space_group)) / (n_total + k);
}

const char *xs_eval_prior_name(xs_eval_prior prior)
{
    switch (prior) {
    case XS_PRIOR_UNIFORM: return "uniform";
    case XS_PRIOR_MATERIALS_PROJECT: return "materials-project";
    case XS_PRIOR_MINERALS: return "minerals";
    }
    return "unknown";
}

xs_status xs_eval_apply_prior(struct xs_nn *net, float *probs, int batch, xs_error *err)
{
    return xs_eval_apply_prior_power(net, 1.0, probs, batch, err);
}

/* target[g] (g = 1..230, summing to 1): the groups' frequencies the outputs are turned to. */
static xs_status reweight(struct xs_nn *net, const double *target, float *probs, int batch, xs_error *err);

xs_status xs_eval_apply_prior_power(struct xs_nn *net, double power, float *probs, int batch, xs_error *err)
{
    if (!(power >= 0 && power <= 2)) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "the prior's power must be in [0, 2]");
    double t = xs_nn_get_meta_number(net, "sample_prior_power", 0);
    if (t == power) return XS_OK; /* the outputs are already for that distribution: left exactly as they are */
    double target[231] = {0}, z = 0;
    for (int g = 1; g <= 230; g++) z += target[g] = pow(xs_eval_prior_mp(g), power);
    for (int g = 1; g <= 230; g++) target[g] /= z;
    return reweight(net, target, probs, batch, err);
}

xs_status xs_eval_apply_class_prior(struct xs_nn *net, xs_eval_prior prior, float *probs, int batch, xs_error *err)
{
    switch (prior) {
    case XS_PRIOR_UNIFORM: return xs_eval_apply_prior_power(net, 0, probs, batch, err);
    case XS_PRIOR_MATERIALS_PROJECT: return xs_eval_apply_prior_power(net, 1, probs, batch, err);
    case XS_PRIOR_MINERALS: {
        double target[231] = {0};
        for (int g = 1; g <= 230; g++) target[g] = xs_eval_prior_minerals(g);
        return reweight(net, target, probs, batch, err);
    }
    }
    return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "unknown class prior %d", (int)prior);
}

static xs_status reweight(struct xs_nn *net, const double *target, float *probs, int batch, xs_error *err)
{
    /* The network learned the classes in its training proportions: prior_mp^t over the groups, t its
     * sample_prior_power (0, uniform, when it was not trained class-balanced). */
    double t = xs_nn_get_meta_number(net, "sample_prior_power", 0);
    int nc = xs_nn_n_classes(net);
    const char *kind = xs_nn_label_kind(net);
    int sg_model = !strcmp(kind, "space_group"), cs_model = !strcmp(kind, "crystal_system");
    if (!sg_model && !cs_model)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "the model's classes are neither space groups nor crystal systems");
    double *w = malloc((size_t)nc * sizeof *w);
    if (!w) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    double train_share[231], z = 0;
    for (int g = 1; g <= 230; g++) z += train_share[g] = pow(xs_eval_prior_mp(g), t);
    double cs_prior[XS_CRYSTAL_SYSTEM_COUNT] = {0}, cs_share[XS_CRYSTAL_SYSTEM_COUNT] = {0};
    for (int g = 1; g <= 230; g++) {
        train_share[g] /= z;
        cs_prior[xs_sym_crystal_system(g)] += target[g];
        cs_share[xs_sym_crystal_system(g)] += train_share[g];
    }
    for (int c = 0; c < nc; c++) {
        const char *name = xs_nn_label(net, c);
        w[c] = 0;
        if (sg_model) {
            int g = name ? atoi(name) : 0;
            if (g >= 1 && g <= 230) w[c] = target[g] / train_share[g];
        } else {
            for (int s = 0; s < XS_CRYSTAL_SYSTEM_COUNT; s++)
                if (name && !strcmp(name, xs_crystal_system_name((xs_crystal_system)s)))
                    w[c] = cs_prior[s] / cs_share[s];
        }
    }
    for (int b = 0; b < batch; b++) {
        float *p = probs + (size_t)b * (size_t)nc;
        double sum = 0;
        for (int c = 0; c < nc; c++) sum += p[c] * w[c];
        if (sum > 0)
            for (int c = 0; c < nc; c++) p[c] = (float)(p[c] * w[c] / sum);
    }
    free(w);
    return XS_OK;
}
