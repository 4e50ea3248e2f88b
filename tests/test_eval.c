/* Evaluation: distances on the maximal-subgroup graph, and every metric on hand-made probability vectors
 * whose answers are worked out by hand in the comments. */
#include "xrdsym.h"
#include "xs_test.h"
#include "common/rng.h"

/* Counts and fractions computed from a handful of samples are exact ratios of small integers; 1e-12 only
 * allows the last bit of a double division. */
#define EXACT 1e-12

/* A 230-class output: pairs (group, probability), the rest 0. */
static void probs_of(float *p, int n_pairs, const int *groups, const float *values)
{
    for (int c = 0; c < 230; c++) p[c] = 0;
    for (int k = 0; k < n_pairs; k++) p[groups[k] - 1] = values[k];
}

static void test_distances(void)
{
    CHECK(xs_eval_subgroup_edge_count() == 1294, "edges compiled in: %zu", xs_eval_subgroup_edge_count());
    CHECK(xs_eval_subgroup_distance(225, 225) == 0, "d(225, 225)");
    /* Pm-3 (200) is a maximal t-subgroup of Pm-3m (221); the distance is undirected */
    CHECK(xs_eval_is_maximal_subgroup(221, 200) && !xs_eval_is_maximal_subgroup(200, 221), "221 -> 200 directed");
    CHECK(xs_eval_subgroup_distance(221, 200) == 1 && xs_eval_subgroup_distance(200, 221) == 1, "d(221, 200) = 1");
    /* Fm-3m and Pm-3m are maximal k-subgroups of each other (cell doubled / centring lost) */
    CHECK(xs_eval_is_maximal_subgroup(221, 225) && xs_eval_is_maximal_subgroup(225, 221), "221 <-> 225");
    CHECK(xs_eval_subgroup_distance(14, 2) == 1 && xs_eval_subgroup_distance(14, 4) == 1, "P2_1/c -> P-1, P2_1");
    /* Fd-3m (227) and Fm-3m (225) share a maximal subgroup (e.g. F-43m 216) but are not adjacent */
    CHECK(xs_eval_subgroup_distance(227, 225) == 2, "d(227, 225) = %d", xs_eval_subgroup_distance(227, 225));
    CHECK(xs_eval_subgroup_distance(195, 1) == 2, "P23 -> P222 -> P1: %d", xs_eval_subgroup_distance(195, 1));
    CHECK(xs_eval_subgroup_distance(225, 14) == 3, "d(225, 14) = %d", xs_eval_subgroup_distance(225, 14));
    CHECK(xs_eval_subgroup_distance(225, 1) == 4, "d(225, 1) = %d", xs_eval_subgroup_distance(225, 1));
    /* the longest shortest path: 6, e.g. from Fd-3 (203) to P4_2cm (101) */
    CHECK(xs_eval_subgroup_diameter() == 6, "diameter %d", xs_eval_subgroup_diameter());
    CHECK(xs_eval_subgroup_distance(203, 101) == 6, "d(203, 101) = %d", xs_eval_subgroup_distance(203, 101));
    CHECK(xs_eval_subgroup_distance(0, 1) == -1 && xs_eval_subgroup_distance(1, 231) == -1, "out of range");

    /* properties: symmetric, finite, 1 on every edge, and changes by at most 1 along an edge */
    int bad_sym = 0, bad_edge = 0, bad_lip = 0;
    for (int a = 1; a <= 230; a++)
        for (int b = 1; b <= 230; b++) {
            int d = xs_eval_subgroup_distance(a, b);
            if (d < 0 || d != xs_eval_subgroup_distance(b, a) || (d == 0) != (a == b)) bad_sym++;
            if (xs_eval_is_maximal_subgroup(a, b)) {
                if (d != 1) bad_edge++;
                for (int c = 1; c <= 230; c++)
                    if (abs(xs_eval_subgroup_distance(a, c) - xs_eval_subgroup_distance(b, c)) > 1) bad_lip++;
            }
        }
    CHECK(!bad_sym && !bad_edge && !bad_lip, "symmetric %d, edges %d, triangle %d", bad_sym, bad_edge, bad_lip);

    /* the compiled table against its source, where the shared folder is present */
    const char *root = getenv("XS_SHARED_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/symmetry/maximal_subgroup_edges.tsv", root ? root : "../shared/data");
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("note: %s absent; the compiled table is not compared with its source\n", path);
        return;
    }
    char line[256];
    int rows = 0, missing = 0;
    while (fgets(line, sizeof line, f)) {
        int g, h;
        if (line[0] == '#' || sscanf(line, "%d %d", &g, &h) != 2) continue;
        rows++;
        if (!xs_eval_is_maximal_subgroup(g, h)) missing++;
    }
    fclose(f);
    CHECK(rows == 1294 && !missing, "source rows %d, missing from the table %d", rows, missing);
}

static void test_space_group_metrics(void)
{
    xs_eval *ev = NULL;
    xs_error err = {0};
    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 230, NULL, &ev, &err) == XS_OK, "create: %s", err.message);
    if (!ev) return;
    float p[230];
    /* 1: Fm-3m, right (certainty 0.9) */
    probs_of(p, 2, (int[]){225, 221}, (float[]){0.9f, 0.1f});
    CHECK(xs_eval_add(ev, 225, p, &err) == XS_OK, "add 1");
    /* 2: Pm-3m taken for Pm-3 (0.6): wrong, rank 1, distance 1, system right; centrosymmetric answer 200: wrong */
    probs_of(p, 3, (int[]){200, 221, 1}, (float[]){0.6f, 0.3f, 0.1f});
    CHECK(xs_eval_add(ev, 221, p, &err) == XS_OK, "add 2");
    /* 3: P2_1/c taken for P2_1 (0.5): wrong, rank 1, distance 1; among centrosymmetric groups 14 (0.3) beats
     * P-1 (0.2): right; monoclinic 0.8 */
    probs_of(p, 3, (int[]){4, 14, 2}, (float[]){0.5f, 0.3f, 0.2f});
    CHECK(xs_eval_add(ev, 14, p, &err) == XS_OK, "add 3");
    /* 4: P2_1 (not centrosymmetric) taken for P1 (0.4): rank 2, distance 1; triclinic 0.75: system wrong */
    probs_of(p, 3, (int[]){1, 2, 4}, (float[]){0.4f, 0.35f, 0.25f});
    CHECK(xs_eval_add(ev, 4, p, &err) == XS_OK, "add 4");
    /* 5: P23 taken for P1 (0.3); 195 and 198 tie at 0.25, the lower class ranks first: rank 1; distance 2;
     * cubic sums to 0.7: system right from the sum, wrong from the top group */
    probs_of(p, 4, (int[]){1, 195, 198, 200}, (float[]){0.3f, 0.25f, 0.25f, 0.2f});
    CHECK(xs_eval_add(ev, 195, p, &err) == XS_OK, "add 5");
    CHECK(xs_eval_count(ev) == 5, "count");

    /* bad input adds nothing */
    CHECK(xs_eval_add(ev, 0, p, &err) == XS_ERR_INVALID, "group 0 refused");
    p[7] = NAN;
    CHECK(xs_eval_add(ev, 1, p, &err) == XS_ERR_INVALID, "NaN refused");
    CHECK(xs_eval_count(ev) == 5, "count after refusals");

    xs_eval_results *r = malloc(sizeof *r);
    CHECK(xs_eval_compute(ev, 2.0, r, &err) == XS_ERR_INVALID, "threshold 2 refused");
    CHECK(xs_eval_compute(ev, 0.55, r, &err) == XS_OK, "compute: %s", err.message);
    CHECK(r->n == 5 && r->task == XS_EVAL_SPACE_GROUP, "n");
    CHECK_NEAR(r->acc_space_group, 0.2, EXACT, "space group accuracy 1/5");
    CHECK_NEAR(r->acc_crystal_system, 0.8, EXACT, "crystal system from summed probabilities 4/5");
    CHECK_NEAR(r->acc_crystal_system_of_top, 0.6, EXACT, "crystal system of the top group 3/5");
    CHECK(r->n_centrosymmetric == 3, "centrosymmetric samples %zu", r->n_centrosymmetric);
    CHECK_NEAR(r->acc_centrosymmetric, 2.0 / 3, EXACT, "centrosymmetric accuracy 2/3");
    /* Pm-3 for Pm-3m (sample 2) puts its peaks where the truth does; P2_1 for P2_1/c, P1 for P2_1 or P23 do not */
    CHECK_NEAR(r->acc_extinction_class, 0.4, EXACT, "same peak positions 2/5");
    /* summed over each class: sample 5's P-lattice cubic groups (195 and 200: 0.45) beat P1 and P-1 (0.3) and
     * the P2_13 class (0.25), so it is right too: 3/5 */
    CHECK_NEAR(r->acc_extinction_class_summed, 0.6, EXACT, "class of largest summed probability 3/5");
    {
        /* the sum itself: Pmm2 0.2 + Pmmm 0.2 beat P2_1/c's 0.35; 0 stands for no group; a tie goes to the lower
         * class (P1/P-1 before P2/Pm/P2/m) */
        int groups[5] = {25, 47, 14, 0, 1};
        float pr[5] = {0.2f, 0.2f, 0.35f, 0.25f, 0.0f};
        double ps = 0;
        CHECK(xs_eval_extinction_class_sum(groups, pr, 5, &ps) == xs_sym_extinction_class(16) && fabs(ps - 0.4) < 1e-6,
              "P222's class summed: %g", ps);
        int g2[2] = {3, 2};
        float p2[2] = {0.5f, 0.5f};
        CHECK(xs_eval_extinction_class_sum(g2, p2, 2, NULL) == xs_sym_extinction_class(1), "tie to the lower class");
        int g3[1] = {0};
        CHECK(xs_eval_extinction_class_sum(g3, p2, 1, &ps) == 0 && ps == 0, "no group, no class");
    }
    /* ranks 0, 1, 1, 2, 1 */
    double top[10] = {0.2, 0.8, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int k = 0; k < 10; k++) CHECK_NEAR(r->top_n_space_group[k], top[k], EXACT, "top-n space group");
    CHECK_NEAR(r->top_n_crystal_system[0], 0.8, EXACT, "top-1 crystal system");
    CHECK_NEAR(r->top_n_crystal_system[1], 1.0, EXACT, "top-2 crystal system (sample 4: monoclinic second)");
    /* certainties 0.9 right; 0.6, 0.5, 0.4, 0.3 wrong. Half: the 3 most certain (0.9, 0.6, 0.5), 1 right */
    CHECK(r->accepted_at_half == 3, "accepted at half %zu", r->accepted_at_half);
    CHECK_NEAR(r->accuracy_at_half, 1.0 / 3, EXACT, "accuracy at half");
    CHECK_NEAR(r->threshold_at_half, 0.5, EXACT, "threshold at half");
    /* curve: t = 0 all, 20%; t = 0.5 (index 50) three; t = 0.55 two; t = 1 none */
    CHECK_NEAR(r->refusal_threshold[55], 0.55, EXACT, "threshold grid");
    CHECK_NEAR(r->refusal_accuracy[0], 0.2, EXACT, "refusal t=0");
    CHECK_NEAR(r->refusal_unclassified[0], 0, EXACT, "unclassified t=0");
    CHECK_NEAR(r->refusal_accuracy[50], 1.0 / 3, EXACT, "refusal t=0.5 (0.5 itself accepted)");
    CHECK_NEAR(r->refusal_accuracy[55], 0.5, EXACT, "refusal t=0.55");
    CHECK_NEAR(r->refusal_unclassified[55], 0.6, EXACT, "unclassified t=0.55");
    CHECK(isnan(r->refusal_accuracy[100]) && r->refusal_unclassified[100] == 1, "t=1: nothing accepted");
    CHECK_NEAR(r->accuracy_at_threshold, 0.5, EXACT, "accuracy at the given threshold 0.55");
    CHECK_NEAR(r->unclassified_at_threshold, 0.6, EXACT, "unclassified at the given threshold");
    size_t right = 0, wrong = 0;
    for (int b = 0; b < XS_EVAL_CERTAINTY_BINS; b++) right += r->certainty_right[b], wrong += r->certainty_wrong[b];
    CHECK(right == 1 && wrong == 4 && r->certainty_right[18] == 1, "certainty histograms");
    CHECK_NEAR(r->mean_certainty_wrong, 0.45, 1e-7, "mean wrong certainty (float inputs: 1e-7)");
    /* calibration: one sample in each of the bins 9, 6, 5, 4, 3; only the first right. ECE = (|1 - 0.9| + 0.6 +
     * 0.5 + 0.4 + 0.3) / 5; the true groups got 0.9, 0.3, 0.3, 0.25, 0.25 */
    CHECK(r->calibration_count[9] == 1 && r->calibration_count[6] == 1 && r->calibration_count[5] == 1 &&
              r->calibration_count[4] == 1 && r->calibration_count[3] == 1 && r->calibration_count[0] == 0,
          "calibration bins");
    CHECK(isnan(r->calibration_accuracy[0]) && isnan(r->calibration_certainty[0]), "empty bin: NaN");
    CHECK_NEAR(r->calibration_accuracy[9], 1.0, EXACT, "bin 9 right");
    CHECK_NEAR(r->calibration_certainty[6], 0.6, 1e-7, "bin 6 mean certainty (float input: 1e-7)");
    CHECK_NEAR(r->calibration_error, 1.9 / 5, 1e-7, "expected calibration error (float inputs: 1e-7)");
    CHECK_NEAR(r->log_loss, -(log(0.9) + 2 * log(0.3) + 2 * log(0.25)) / 5, 1e-7,
               "log loss (float inputs: 1e-7 relative to terms of order 1)");
    /* confusion */
    CHECK(r->confusion_space_group[221][200] == 1 && r->confusion_space_group[225][225] == 1 &&
              r->confusion_space_group[195][1] == 1,
          "space-group confusion");
    CHECK(r->confusion_crystal_system[XS_CUBIC][XS_CUBIC] == 3 &&
              r->confusion_crystal_system[XS_MONOCLINIC][XS_MONOCLINIC] == 1 &&
              r->confusion_crystal_system[XS_MONOCLINIC][XS_TRICLINIC] == 1,
          "crystal-system confusion");
    CHECK(r->group_count[225] == 1 && r->group_correct[225] == 1 && r->group_count[14] == 1 && r->group_correct[14] == 0,
          "per group");
    /* distances 0, 1, 1, 1, 2 */
    CHECK(r->distance_histogram[0] == 1 && r->distance_histogram[1] == 3 && r->distance_histogram[2] == 1 &&
              r->distance_max == 2,
          "distance histogram %zu %zu %zu max %d", r->distance_histogram[0], r->distance_histogram[1],
          r->distance_histogram[2], r->distance_max);
    CHECK_NEAR(r->mean_distance, 1.0, EXACT, "mean distance");
    CHECK_NEAR(r->mean_distance_wrong, 1.25, EXACT, "mean distance of wrong answers");

    /* abundance: 225 (accuracy 1) is the most abundant, the four others (accuracy 0) tie at 1 in both: the
     * mean ranks agree exactly */
    size_t ab[231] = {0};
    ab[225] = 100, ab[221] = 1, ab[14] = 1, ab[4] = 1, ab[195] = 1;
    CHECK_NEAR(xs_eval_abundance_correlation(r, ab), 1.0, EXACT, "Spearman: one abundant right group, ties");
    free(r);
    xs_eval_free(ev);

    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 3, NULL, &ev, &err) == XS_ERR_INVALID && !ev,
          "230 classes needed without labels");
    xs_eval *empty = NULL;
    xs_eval_results *r2 = malloc(sizeof *r2);
    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 230, NULL, &empty, &err) == XS_OK, "create");
    CHECK(xs_eval_compute(empty, 0.5, r2, &err) == XS_ERR_INVALID, "no samples");
    xs_eval_free(empty);
    free(r2);
}

static void test_labelled_classes(void)
{
    /* a 3-class model (as trained on the tiny dataset): classes stand for 225, 14, 2 */
    const int labels[3] = {225, 14, 2};
    xs_eval *ev = NULL;
    xs_error err = {0};
    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 3, labels, &ev, &err) == XS_OK, "create: %s", err.message);
    if (!ev) return;
    CHECK(xs_eval_add(ev, 14, (float[]){0.1f, 0.7f, 0.2f}, &err) == XS_OK, "add");
    /* Pnma has no class: never right, never in the top-n */
    CHECK(xs_eval_add(ev, 62, (float[]){0.2f, 0.7f, 0.1f}, &err) == XS_OK, "add");
    xs_eval_results *r = malloc(sizeof *r);
    CHECK(xs_eval_compute(ev, 0.5, r, &err) == XS_OK, "compute");
    CHECK_NEAR(r->acc_space_group, 0.5, EXACT, "accuracy");
    CHECK_NEAR(r->top_n_space_group[9], 0.5, EXACT, "top-10: the group without a class is never found");
    CHECK_NEAR(r->acc_crystal_system, 0.5, EXACT, "62 (orthorhombic) is taken for monoclinic");
    CHECK(r->distance_histogram[0] == 1 && r->distance_histogram[1] == 1, "d(62, 14) = 1");
    CHECK_NEAR(r->log_loss, (-log(0.7) - log(1e-12)) / 2, 1e-7, "a group without a class costs -ln 1e-12");
    free(r);
    xs_eval_free(ev);
}

static void test_crystal_system_model(void)
{
    xs_eval *ev = NULL;
    xs_error err = {0};
    CHECK(xs_eval_create(XS_EVAL_CRYSTAL_SYSTEM, 7, NULL, &ev, &err) == XS_OK, "create: %s", err.message);
    if (!ev) return;
    float p[7] = {0};
    p[XS_CUBIC] = 0.7f, p[XS_TETRAGONAL] = 0.3f;
    CHECK(xs_eval_add(ev, 225, p, &err) == XS_OK, "add cubic");
    float q[7] = {0};
    q[XS_TRICLINIC] = 0.6f, q[XS_MONOCLINIC] = 0.4f;
    CHECK(xs_eval_add(ev, 14, q, &err) == XS_OK, "add monoclinic");
    xs_eval_results *r = malloc(sizeof *r);
    CHECK(xs_eval_compute(ev, 0.5, r, &err) == XS_OK, "compute");
    CHECK(isnan(r->acc_space_group) && isnan(r->acc_centrosymmetric) && isnan(r->acc_extinction_class) && isnan(r->acc_extinction_class_summed) && isnan(r->top_n_space_group[0]),
          "no space-group figures");
    CHECK_NEAR(r->acc_crystal_system, 0.5, EXACT, "crystal system accuracy");
    CHECK_NEAR(r->top_n_crystal_system[0], 0.5, EXACT, "top-1");
    CHECK_NEAR(r->top_n_crystal_system[1], 1.0, EXACT, "top-2");
    CHECK_NEAR(r->accuracy_at_half, 1.0, EXACT, "the more certain half (0.7) is right");
    CHECK_NEAR(r->threshold_at_half, 0.7, 1e-7, "threshold at half (float 0.7: 1e-7)");
    CHECK(r->confusion_crystal_system[XS_MONOCLINIC][XS_TRICLINIC] == 1, "confusion");
    CHECK(r->distance_max == -1, "no distances for a crystal-system model");

    /* Samples whose crystal system alone is known (a label table of systems): the same figures, none per
     * group. A hexagonal sample answered trigonal (R-3c labelled "hexagonal" in hexagonal axes) is wrong. */
    float h[7] = {0};
    h[XS_TRIGONAL] = 0.9f, h[XS_HEXAGONAL] = 0.1f;
    CHECK(xs_eval_add_crystal_system(ev, XS_HEXAGONAL, h, &err) == XS_OK, "add by crystal system: %s", err.message);
    CHECK(xs_eval_add_crystal_system(ev, XS_CUBIC, p, &err) == XS_OK, "add a cubic one");
    CHECK(xs_eval_add_crystal_system(ev, 7, p, &err) == XS_ERR_INVALID, "system 7 refused");
    CHECK(xs_eval_compute(ev, 0.5, r, &err) == XS_OK && r->n == 4, "compute with 4 samples");
    CHECK_NEAR(r->acc_crystal_system, 0.5, EXACT, "2 of 4 right");
    CHECK(r->confusion_crystal_system[XS_HEXAGONAL][XS_TRIGONAL] == 1, "hexagonal answered trigonal");
    CHECK(r->group_count[225] == 1 && r->group_count[14] == 1 && r->group_count[0] == 2,
          "per group: the two with groups; the two without counted apart (index 0)");
    CHECK_NEAR(r->top_n_crystal_system[1], 1.0, EXACT, "top-2 over all four");
    free(r);
    xs_eval_free(ev);

    /* a space-group accumulator needs the group */
    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 230, NULL, &ev, &err) == XS_OK, "create space-group");
    float u[230];
    for (int c = 0; c < 230; c++) u[c] = 1.0f / 230;
    CHECK(ev && xs_eval_add_crystal_system(ev, XS_CUBIC, u, &err) == XS_ERR_INVALID, "system alone refused there");
    xs_eval_free(ev);
}

/* A model whose certainty means what it says in one bin (0.8: 8 of 10 right) and not in another (0.55: 2 of
 * 4 right): only the second adds to the expected calibration error, 4/14 * 0.05. */
static void test_calibration(void)
{
    xs_eval *ev = NULL;
    xs_error err = {0};
    CHECK(xs_eval_create(XS_EVAL_SPACE_GROUP, 230, NULL, &ev, &err) == XS_OK, "create: %s", err.message);
    if (!ev) return;
    float p[230];
    probs_of(p, 2, (int[]){1, 2}, (float[]){0.8f, 0.2f});
    for (int i = 0; i < 10; i++) CHECK(xs_eval_add(ev, i < 8 ? 1 : 2, p, &err) == XS_OK, "add");
    probs_of(p, 2, (int[]){1, 2}, (float[]){0.55f, 0.45f});
    for (int i = 0; i < 4; i++) CHECK(xs_eval_add(ev, i < 2 ? 1 : 2, p, &err) == XS_OK, "add");
    xs_eval_results *r = malloc(sizeof *r);
    CHECK(xs_eval_compute(ev, 0.5, r, &err) == XS_OK, "compute");
    CHECK(r->calibration_count[8] == 10 && r->calibration_count[5] == 4, "bins 8 and 5");
    CHECK_NEAR(r->calibration_accuracy[8], 0.8, EXACT, "8 of 10");
    CHECK_NEAR(r->calibration_error, 4.0 / 14 * 0.05, 1e-7, "only the 0.55 bin is off (float inputs: 1e-7)");
    double ll = -(8 * log(0.8) + 2 * log(0.2) + 2 * log(0.55) + 2 * log(0.45)) / 14;
    CHECK_NEAR(r->log_loss, ll, 1e-7, "log loss (float inputs: 1e-7)");
    free(r);
    xs_eval_free(ev);
}

/* Random outputs (quantised to eighths so that ties and zeros are common, sometimes all zero) for three
 * kinds of models; the figures must hold together whatever the input. */
static void test_random_invariants(void)
{
    xs_rng rng;
    xs_rng_seed(&rng, 11, 0);
    int odd_labels[300], cs_labels[9];
    for (int c = 0; c < 300; c++) odd_labels[c] = (int)(xs_rng_next(&rng) % 240); /* 0 and 231..239: no group */
    for (int c = 0; c < 9; c++) cs_labels[c] = c - 1;                             /* -1 and 7: no system */
    struct {
        xs_eval_task task;
        int nc;
        const int *labels;
    } kinds[3] = {{XS_EVAL_SPACE_GROUP, 230, NULL}, {XS_EVAL_SPACE_GROUP, 300, odd_labels},
                  {XS_EVAL_CRYSTAL_SYSTEM, 9, cs_labels}};
    xs_eval_results *r = malloc(sizeof *r);
    float p[300];
    for (int k = 0; k < 3; k++) {
        xs_eval *ev = NULL;
        xs_error err = {0};
        CHECK(xs_eval_create(kinds[k].task, kinds[k].nc, kinds[k].labels, &ev, &err) == XS_OK, "create %d", k);
        if (!ev) continue;
        size_t n = 1001;
        for (size_t i = 0; i < n; i++) {
            int zero = xs_rng_next(&rng) % 50 == 0;
            for (int c = 0; c < kinds[k].nc; c++) p[c] = zero ? 0.0f : (float)(xs_rng_next(&rng) % 9) / 8.0f;
            CHECK(xs_eval_add(ev, 1 + (int)(xs_rng_next(&rng) % 230), p, &err) == XS_OK, "add");
        }
        CHECK(xs_eval_compute(ev, 0.3, r, &err) == XS_OK, "compute");
        double acc = kinds[k].task == XS_EVAL_SPACE_GROUP ? r->acc_space_group : r->acc_crystal_system;
        const double *top = kinds[k].task == XS_EVAL_SPACE_GROUP ? r->top_n_space_group : r->top_n_crystal_system;
        int ntop = kinds[k].task == XS_EVAL_SPACE_GROUP ? XS_EVAL_TOP_N : XS_CRYSTAL_SYSTEM_COUNT;
        if (kinds[k].labels == NULL) CHECK_NEAR(top[0], acc, EXACT, "top-1 is the accuracy");
        int mono = 1;
        for (int j = 1; j < ntop; j++) mono &= top[j] >= top[j - 1];
        for (int j = 1; j < XS_EVAL_THRESHOLDS; j++) mono &= r->refusal_unclassified[j] >= r->refusal_unclassified[j - 1];
        CHECK(mono, "top-n and the unclassified fraction never decrease (kind %d)", k);
        CHECK_NEAR(r->refusal_accuracy[0], acc, EXACT, "threshold 0 accepts everything");
        CHECK(r->refusal_unclassified[0] == 0 && r->accepted_at_half == n - n / 2, "half");
        size_t hist = 0, groups = 0, right = 0;
        for (int b = 0; b < XS_EVAL_CERTAINTY_BINS; b++) hist += r->certainty_right[b] + r->certainty_wrong[b];
        for (int b = 0; b < XS_EVAL_CERTAINTY_BINS; b++) right += r->certainty_right[b];
        for (int g = 1; g <= 230; g++) groups += r->group_count[g];
        CHECK(hist == n && groups == n, "every sample counted once (kind %d)", k);
        size_t calib = 0;
        double calib_right = 0;
        for (int b = 0; b < XS_EVAL_CALIBRATION_BINS; b++) {
            calib += r->calibration_count[b];
            if (r->calibration_count[b]) calib_right += r->calibration_accuracy[b] * (double)r->calibration_count[b];
        }
        CHECK(calib == n && r->calibration_error >= 0 && r->calibration_error <= 1,
              "calibration bins hold every sample; error in 0..1 (kind %d)", k);
        CHECK_NEAR(calib_right / (double)n, acc, 1e-9, "right answers over the calibration bins (sums of 1001 terms)");
        CHECK_NEAR((double)right / (double)n, acc, EXACT, "right answers in the histogram");
        if (kinds[k].labels == NULL && kinds[k].task == XS_EVAL_SPACE_GROUP) {
            size_t d = 0, cs = 0;
            for (int j = 0; j <= XS_EVAL_MAX_DISTANCE; j++) d += r->distance_histogram[j];
            for (int a = 0; a < XS_CRYSTAL_SYSTEM_COUNT; a++)
                for (int b = 0; b < XS_CRYSTAL_SYSTEM_COUNT; b++) cs += r->confusion_crystal_system[a][b];
            CHECK(d == n && cs == n, "distances %zu and system confusion %zu of %zu samples", d, cs, n);
            CHECK_NEAR((double)r->distance_histogram[0] / (double)n, acc, EXACT, "distance 0 is right");
        }
        xs_eval_free(ev);
    }
    free(r);
}

/* The Wilson score interval against the published examples of Newcombe, Stat. Med. 17, 857 (1998), Table I,
 * method 3 (four decimals there, so 6e-5 covers their rounding), and its edge cases. */
static void test_wilson_interval(void)
{
    const struct {
        size_t right, n;
        double lo, hi;
    } ex[] = {{81, 263, 0.2553, 0.3662}, {15, 148, 0.0624, 0.1605}, {0, 20, 0.0, 0.1611}, {1, 29, 0.0061, 0.1718}};
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        double lo, hi;
        xs_eval_wilson_interval(ex[i].right, ex[i].n, 1.959963984540054, &lo, &hi);
        CHECK(fabs(lo - ex[i].lo) < 6e-5 && fabs(hi - ex[i].hi) < 6e-5, "%zu/%zu: %.5f-%.5f, published %.4f-%.4f",
              ex[i].right, ex[i].n, lo, hi, ex[i].lo, ex[i].hi);
    }
    double lo, hi;
    xs_eval_wilson_interval(20, 20, 1.959963984540054, &lo, &hi);
    CHECK(hi == 1.0 && fabs(lo - (1 - 0.1611)) < 6e-5, "20/20: %.5f-%.5f, the mirror of 0/20", lo, hi);
    xs_eval_wilson_interval(0, 0, 1.96, &lo, &hi);
    CHECK(isnan(lo) && isnan(hi), "no samples: NaN");
    xs_eval_wilson_interval(5, 4, 1.96, &lo, &hi);
    CHECK(isnan(lo) && isnan(hi), "more right than samples: NaN");
    /* the interval holds the proportion and narrows as n grows */
    double lo2, hi2;
    xs_eval_wilson_interval(80, 332, 1.959963984540054, &lo, &hi);
    xs_eval_wilson_interval(800, 3320, 1.959963984540054, &lo2, &hi2);
    CHECK(lo < 80.0 / 332 && 80.0 / 332 < hi && hi2 - lo2 < 0.4 * (hi - lo), "80/332 %.4f-%.4f, 800/3320 %.4f-%.4f", lo,
          hi, lo2, hi2);
}

int main(void)
{
    test_wilson_interval();
    test_distances();
    test_space_group_metrics();
    test_labelled_classes();
    test_crystal_system_model();
    test_calibration();
    test_random_invariants();
    return xs_test_finish();
}
