/* The class prior of real materials: frequencies from the compiled-in Materials Project counts, and the
 * reweighting of a space-group and a crystal-system network's outputs. */
#include "xrdsym.h"
#include "xs_test.h"

static xs_nn *small_net(int n_classes, const char *kind, const char *const *names)
{
    xs_nn *net = NULL;
    xs_error err = {0};
    CHECK(xs_nn_create("input 10; dense classes softmax", 10, n_classes, 1, &net, &err) == XS_OK, "create: %s", err.message);
    if (net) CHECK(xs_nn_set_labels(net, kind, names, n_classes, &err) == XS_OK, "labels: %s", err.message);
    return net;
}

int main(void)
{
    double total = 0;
    int most = 1;
    for (int g = 1; g <= 230; g++) {
        total += xs_eval_prior_mp(g);
        CHECK(xs_eval_prior_mp(g) > 0, "add-one smoothing leaves no group at zero (%d)", g);
        if (xs_eval_prior_mp(g) > xs_eval_prior_mp(most)) most = g;
    }
    /* 1e-12: a sum of 230 doubles */
    CHECK_NEAR(total, 1.0, 1e-12, "prior sums to 1");
    /* Among the Materials Project's structures Fm-3m is the most frequent group (8.8%), P-1 next (7.5%) */
    CHECK(most == 225, "Fm-3m is the most frequent group, got %d", most);
    CHECK(xs_eval_prior_mp(2) > 0.07 && xs_eval_prior_mp(14) > 10.0 / 230, "P-1 and P2_1/c are common");
    CHECK(xs_eval_prior_mp(0) == 0 && xs_eval_prior_mp(231) == 0, "outside 1..230");

    /* space-group network: uniform outputs become the prior itself */
    char names[230][8];
    const char *ptr[230];
    for (int c = 0; c < 230; c++) {
        snprintf(names[c], sizeof names[c], "%d", c + 1);
        ptr[c] = names[c];
    }
    xs_nn *sg = small_net(230, "space_group", ptr);
    float p[2 * 230];
    for (int i = 0; i < 2 * 230; i++) p[i] = 1.0f / 230;
    p[230 + 224] = 0.9f; /* second row: confident in Fm-3m */
    xs_error err = {0};
    CHECK(sg && xs_eval_apply_prior(sg, p, 2, &err) == XS_OK, "apply: %s", err.message);
    double s0 = 0;
    for (int c = 0; c < 230; c++) s0 += p[c];
    /* 1e-5: float sums of 230 terms */
    CHECK_NEAR(s0, 1.0, 1e-5, "row 0 still sums to 1");
    CHECK_NEAR(p[13], xs_eval_prior_mp(14), 1e-6, "uniform output -> prior of P2_1/c");
    int best1 = 0;
    for (int c = 1; c < 230; c++)
        if (p[230 + c] > p[230 + best1]) best1 = c;
    CHECK(best1 == 224, "a confident answer survives the prior, got class %d", best1);
    xs_nn_free(sg);

    /* crystal-system network: uniform outputs become the systems' share of real materials relative to
     * their share of groups */
    const char *cs_names[7];
    for (int s = 0; s < 7; s++) cs_names[s] = xs_crystal_system_name((xs_crystal_system)s);
    xs_nn *cs = small_net(7, "crystal_system", cs_names);
    float q[7];
    for (int s = 0; s < 7; s++) q[s] = 1.0f / 7;
    CHECK(cs && xs_eval_apply_prior(cs, q, 1, &err) == XS_OK, "apply cs: %s", err.message);
    CHECK(q[XS_MONOCLINIC] > q[XS_TRIGONAL] && q[XS_TRIGONAL] > 0, "monoclinic gains over trigonal: %g vs %g",
          q[XS_MONOCLINIC], q[XS_TRIGONAL]);
    xs_nn_free(cs);

    /* a network trained with groups drawn as prior^t (sample_prior_power) gets only prior^(1 - t) */
    for (int k = 0; k < 2; k++) {
        double t = k ? 1.0 : 0.5;
        xs_nn *tuned = small_net(230, "space_group", ptr);
        if (!tuned) break;
        xs_nn_set_meta(tuned, "sample_prior_power", k ? "1" : "0.5", NULL);
        float u[230];
        for (int c = 0; c < 230; c++) u[c] = 1.0f / 230;
        CHECK(xs_eval_apply_prior(tuned, u, 1, &err) == XS_OK, "apply: %s", err.message);
        double z = 0;
        for (int g = 1; g <= 230; g++) z += pow(xs_eval_prior_mp(g), 1 - t);
        /* 1e-6: float probabilities near 1/230 */
        CHECK(fabs(u[224] - pow(xs_eval_prior_mp(225), 1 - t) / z) <= 1e-6, "t = %g: Fm-3m gets prior^(1 - t): %g", t, u[224]);
        CHECK(fabs(u[0] - pow(xs_eval_prior_mp(1), 1 - t) / z) <= 1e-6, "t = %g: P1 gets prior^(1 - t): %g", t, u[0]);
        xs_nn_free(tuned);
    }
    {
        xs_nn *tuned_cs = small_net(7, "crystal_system", cs_names);
        if (tuned_cs) {
            xs_nn_set_meta(tuned_cs, "sample_prior_power", "1", NULL);
            float v[7] = {0.1f, 0.2f, 0.05f, 0.15f, 0.2f, 0.25f, 0.05f};
            float before[7];
            memcpy(before, v, sizeof v);
            CHECK(xs_eval_apply_prior(tuned_cs, v, 1, &err) == XS_OK, "apply cs t=1: %s", err.message);
            /* 1e-6: trained on real proportions, nothing is left to apply (float rounding only) */
            for (int s = 0; s < 7; s++) CHECK(fabs(v[s] - before[s]) <= 1e-6, "t = 1 leaves system %d as it was: %g vs %g", s, v[s], before[s]);
            xs_nn_free(tuned_cs);
        }
    }

    /* xs_eval_apply_prior_power: to groups all equally likely (power 0) divides out what a network learned */
    {
        xs_nn *learned = small_net(230, "space_group", ptr);
        if (learned) {
            xs_nn_set_meta(learned, "sample_prior_power", "1", NULL);
            float u[230], same[230];
            for (int c = 0; c < 230; c++) u[c] = same[c] = (float)xs_eval_prior_mp(c + 1);
            CHECK(xs_eval_apply_prior_power(learned, 1, same, 1, &err) == XS_OK && !memcmp(u, same, sizeof u),
                  "the power it was trained on: outputs left exactly as they are");
            CHECK(xs_eval_apply_prior_power(learned, 0, u, 1, &err) == XS_OK, "power 0: %s", err.message);
            double worst = 0;
            for (int c = 0; c < 230; c++) worst = fmax(worst, fabs(u[c] - 1.0 / 230));
            /* 1e-6: float rounding of probabilities near 1/230 */
            CHECK(worst < 1e-6, "outputs equal to the prior it learned become uniform (worst %g)", worst);
            CHECK(xs_eval_apply_prior_power(learned, 2.5, u, 1, &err) == XS_ERR_RANGE, "power outside [0, 2] refused");
            xs_nn_free(learned);
        }
    }

    /* the prior of minerals: COD counts smoothed towards the Materials Project's, (n + k mp) / (N + k) */
    {
        double sum_min = 0, ratio[231], lowest = 1e300;
        for (int g = 1; g <= 230; g++) {
            sum_min += xs_eval_prior_minerals(g);
            CHECK(xs_eval_prior_minerals(g) > 0, "smoothing leaves no group at zero (%d)", g);
            ratio[g] = xs_eval_prior_minerals(g) / xs_eval_prior_mp(g);
            lowest = fmin(lowest, ratio[g]);
        }
        /* a group the COD lacks keeps the Materials Project's prior times one factor, k / (N + k) < 1, the
         * lowest; one it holds gets more (1e-9: the same double expression for every group) */
        int absent = 0, present = 0;
        for (int g = 1; g <= 230; g++) {
            absent += fabs(ratio[g] - lowest) < 1e-9;
            present += ratio[g] > lowest + 1e-9;
        }
        /* 1e-12: a sum of 230 doubles */
        CHECK_NEAR(sum_min, 1.0, 1e-12, "the prior of minerals sums to 1");
        CHECK(lowest < 1 && absent > 100 && present > 30 && absent + present == 230,
              "groups without a COD structure share one factor (%d), the others lie above it (%d)", absent, present);
        CHECK(xs_eval_prior_minerals(0) == 0 && xs_eval_prior_minerals(231) == 0, "outside 1..230");
        CHECK(!strcmp(xs_eval_prior_name(XS_PRIOR_MINERALS), "minerals") &&
              !strcmp(xs_eval_prior_name(XS_PRIOR_MATERIALS_PROJECT), "materials-project") &&
              !strcmp(xs_eval_prior_name(XS_PRIOR_UNIFORM), "uniform"), "prior names");

        /* a network that learned the Materials Project's prior: outputs equal to it become the minerals' prior,
         * and xs_eval_apply_class_prior's other two priors are xs_eval_apply_prior_power's powers 1 and 0 */
        xs_nn *learned = small_net(230, "space_group", ptr);
        if (learned) {
            xs_nn_set_meta(learned, "sample_prior_power", "1", NULL);
            float u[230], a[230], b[230];
            for (int c = 0; c < 230; c++) u[c] = a[c] = b[c] = (float)xs_eval_prior_mp(c + 1);
            CHECK(xs_eval_apply_class_prior(learned, XS_PRIOR_MINERALS, u, 1, &err) == XS_OK, "minerals: %s", err.message);
            double worst = 0;
            for (int c = 0; c < 230; c++) worst = fmax(worst, fabs(u[c] - xs_eval_prior_minerals(c + 1)));
            /* 1e-6: float rounding of probabilities below 0.1 */
            CHECK(worst < 1e-6, "outputs equal to the learned prior become the minerals' prior (worst %g)", worst);
            float c0[230];
            memcpy(c0, a, sizeof a);
            CHECK(xs_eval_apply_class_prior(learned, XS_PRIOR_UNIFORM, a, 1, &err) == XS_OK &&
                      xs_eval_apply_prior_power(learned, 0, c0, 1, &err) == XS_OK && !memcmp(a, c0, sizeof a),
                  "XS_PRIOR_UNIFORM is power 0");
            memcpy(c0, b, sizeof b);
            CHECK(xs_eval_apply_class_prior(learned, XS_PRIOR_MATERIALS_PROJECT, b, 1, &err) == XS_OK && !memcmp(b, c0, sizeof b),
                  "XS_PRIOR_MATERIALS_PROJECT on a network that learned it: outputs left as they are");
            CHECK(xs_eval_apply_class_prior(learned, (xs_eval_prior)7, b, 1, &err) == XS_ERR_RANGE, "unknown prior refused");
            xs_nn_free(learned);
        }
        /* a crystal-system network trained uniformly: the systems' share under the minerals' prior */
        xs_nn *csn = small_net(7, "crystal_system", cs_names);
        if (csn) {
            float v[7];
            for (int c = 0; c < 7; c++) v[c] = 1.0f / 7;
            CHECK(xs_eval_apply_class_prior(csn, XS_PRIOR_MINERALS, v, 1, &err) == XS_OK, "cs minerals: %s", err.message);
            double share[7] = {0}, groups[7] = {0}, z = 0;
            for (int g = 1; g <= 230; g++) share[xs_sym_crystal_system(g)] += xs_eval_prior_minerals(g), groups[xs_sym_crystal_system(g)] += 1;
            for (int c = 0; c < 7; c++) z += share[c] / groups[c];
            /* 1e-6: float probabilities */
            for (int c = 0; c < 7; c++)
                CHECK(fabs(v[c] - share[c] / groups[c] / z) < 1e-6, "system %d: %g against %g", c, v[c], share[c] / groups[c] / z);
            xs_nn_free(csn);
        }
    }

    xs_nn *other = small_net(3, "colours", (const char *const[]){"red", "green", "blue"});
    float r[3] = {0.2f, 0.3f, 0.5f};
    CHECK(other && xs_eval_apply_prior(other, r, 1, &err) == XS_ERR_INVALID, "other labels refused");
    xs_nn_free(other);
    return xs_test_finish();
}
