/* Evaluation metrics of a classifier on labelled patterns: accuracy, top-n, certainty, refusal, confusion,
 * per-group accuracy, subgroup distance (see include/xrdsym/xs_eval.h). */
#include "xrdsym/xs_eval.h"
#include "xrdsym/xs_symmetry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NCS XS_CRYSTAL_SYSTEM_COUNT

/* What is kept of one sample. */
typedef struct {
    float certainty;       /* largest output */
    float p_true;          /* summed output of the classes standing for the true answer */
    short sg;              /* true space group; 0 where only the crystal system is known */
    signed char cs;        /* true crystal system */
    short pred;            /* most probable class */
    short rank;            /* rank of the true class in the model's own output (0 = first); 32767: no class */
    signed char cs_sum;    /* crystal system of largest summed probability (-1: none) */
    signed char cs_top;    /* crystal system of the most probable class (-1: none) */
    signed char cs_rank;   /* rank of the true system among the summed systems */
    signed char centro_ok; /* -1: true group not centrosymmetric; else whether the 92-group answer is right */
    unsigned char correct; /* the model's task answered right */
    unsigned char ext_sum_ok; /* space-group task: the extinction class of largest summed probability is the truth's */
} sample;

struct xs_eval {
    xs_eval_task task;
    int n_classes;
    int *label;            /* group (1..230, 0 none) or system (0..6, -1 none) of each class */
    signed char *class_cs; /* crystal system of each class, -1 none */
    unsigned char *class_centro;
    int any_cs_class;      /* some class stands for a crystal system */
    sample *s;
    size_t n, cap;
};

xs_status xs_eval_create(xs_eval_task task, int n_classes, const int *class_label, xs_eval **out, xs_error *err)
{
    *out = NULL;
    if (task != XS_EVAL_SPACE_GROUP && task != XS_EVAL_CRYSTAL_SYSTEM)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "unknown evaluation task %d", (int)task);
    int need = task == XS_EVAL_SPACE_GROUP ? 230 : NCS;
    if (n_classes < 1 || n_classes > 32767 || (!class_label && n_classes != need))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                            "%d classes%s (a %s model without class labels has %d)", n_classes,
                            n_classes < 1 || n_classes > 32767 ? " is not a usable number" : "",
                            task == XS_EVAL_SPACE_GROUP ? "space-group" : "crystal-system", need);
    xs_eval *ev = calloc(1, sizeof *ev);
    if (!ev) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    ev->task = task;
    ev->n_classes = n_classes;
    ev->label = malloc((size_t)n_classes * sizeof *ev->label);
    ev->class_cs = malloc((size_t)n_classes);
    ev->class_centro = malloc((size_t)n_classes);
    if (!ev->label || !ev->class_cs || !ev->class_centro) {
        xs_eval_free(ev);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    for (int c = 0; c < n_classes; c++) {
        int l = class_label ? class_label[c] : task == XS_EVAL_SPACE_GROUP ? c + 1 : c;
        if (task == XS_EVAL_SPACE_GROUP) {
            if (l < 1 || l > 230) l = 0;
            ev->class_cs[c] = (signed char)(l ? (int)xs_sym_crystal_system(l) : -1);
            ev->class_centro[c] = (unsigned char)(l && xs_sym_is_centrosymmetric(l));
        } else {
            if (l < 0 || l >= NCS) l = -1;
            ev->class_cs[c] = (signed char)l;
            ev->class_centro[c] = 0;
        }
        ev->label[c] = l;
        if (ev->class_cs[c] >= 0) ev->any_cs_class = 1;
    }
    *out = ev;
    return XS_OK;
}

void xs_eval_free(xs_eval *ev)
{
    if (!ev) return;
    free(ev->label);
    free(ev->class_cs);
    free(ev->class_centro);
    free(ev->s);
    free(ev);
}

size_t xs_eval_count(const xs_eval *ev) { return ev->n; }

/* Rank of item t among v[0..n-1] sorted by value, largest first, ties by lower index. */
static int rank_of(const double *v, int n, int t)
{
    int r = 0;
    for (int c = 0; c < n; c++)
        if (v[c] > v[t] || (v[c] == v[t] && c < t)) r++;
    return r;
}

static xs_status add_sample(xs_eval *ev, int space_group, int true_cs, const float *probs, xs_error *err);

int xs_eval_extinction_class_sum(const int *groups, const float *probs, int n, double *p)
{
    double sum[231] = {0}; /* [0]: classes of no group */
    for (int c = 0; c < n; c++) sum[xs_sym_extinction_class(groups[c])] += probs[c];
    int best = 0;
    for (int e = 1; e <= xs_sym_extinction_class_count(); e++)
        if (sum[e] > 0 && (!best || sum[e] > sum[best])) best = e;
    if (p) *p = best ? sum[best] : 0;
    return best;
}

xs_status xs_eval_add(xs_eval *ev, int space_group, const float *probs, xs_error *err)
{
    if (space_group < 1 || space_group > 230)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "true space group %d is not 1..230", space_group);
    return add_sample(ev, space_group, (int)xs_sym_crystal_system(space_group), probs, err);
}

xs_status xs_eval_add_crystal_system(xs_eval *ev, int crystal_system, const float *probs, xs_error *err)
{
    if (ev->task != XS_EVAL_CRYSTAL_SYSTEM)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                            "a sample labelled by its crystal system only needs a crystal-system evaluation");
    if (crystal_system < 0 || crystal_system >= NCS)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "true crystal system %d is not 0..%d", crystal_system,
                            NCS - 1);
    return add_sample(ev, 0, crystal_system, probs, err);
}

static xs_status add_sample(xs_eval *ev, int space_group, int true_cs, const float *probs, xs_error *err)
{
    int nc = ev->n_classes;
    for (int c = 0; c < nc; c++)
        if (!(probs[c] >= 0) || !isfinite(probs[c]))
            return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "output %d of the model is %g (not a probability)",
                                c, (double)probs[c]);
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? 2 * ev->cap : 1024;
        sample *s = realloc(ev->s, cap * sizeof *s);
        if (!s) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        ev->s = s;
        ev->cap = cap;
    }
    int true_label = ev->task == XS_EVAL_SPACE_GROUP ? space_group : true_cs;
    int centro = ev->task == XS_EVAL_SPACE_GROUP && xs_sym_is_centrosymmetric(space_group);

    sample r;
    memset(&r, 0, sizeof r);
    r.sg = (short)space_group;
    r.cs = (signed char)true_cs;
    int pred = 0, tcls = -1, cbest = -1;
    double cs_p[NCS] = {0}, p_true = 0;
    for (int c = 0; c < nc; c++) {
        if (probs[c] > probs[pred]) pred = c;
        if (ev->label[c] == true_label) p_true += probs[c];
        if (ev->label[c] == true_label && (tcls < 0 || probs[c] > probs[tcls])) tcls = c;
        if (ev->class_centro[c] && (cbest < 0 || probs[c] > probs[cbest])) cbest = c;
        if (ev->class_cs[c] >= 0) cs_p[(int)ev->class_cs[c]] += probs[c];
    }
    r.pred = (short)pred;
    r.certainty = probs[pred];
    r.p_true = (float)p_true;
    r.correct = ev->label[pred] == true_label;
    if (tcls < 0) {
        r.rank = 32767;
    } else {
        int k = 0;
        for (int c = 0; c < nc; c++) k += probs[c] > probs[tcls] || (probs[c] == probs[tcls] && c < tcls);
        r.rank = (short)k;
    }
    int any_cs = 0, cs_sum = 0; /* ties: the lower system */
    for (int k = 0; k < NCS; k++) {
        if (cs_p[k] > 0) any_cs = 1;
        if (cs_p[k] > cs_p[cs_sum]) cs_sum = k;
    }
    if (ev->task == XS_EVAL_SPACE_GROUP) { /* what the peak positions say: the groups of a class summed */
        int ext_best = xs_eval_extinction_class_sum(ev->label, probs, nc, NULL);
        r.ext_sum_ok = ext_best && ext_best == xs_sym_extinction_class(space_group);
    }
    r.cs_sum = (signed char)(ev->any_cs_class || any_cs ? cs_sum : -1);
    r.cs_top = ev->class_cs[pred];
    if (ev->task == XS_EVAL_CRYSTAL_SYSTEM) r.cs_sum = r.cs_top; /* the model's own answer */
    r.cs_rank = (signed char)rank_of(cs_p, NCS, true_cs);
    r.centro_ok = (signed char)(centro ? (cbest >= 0 && ev->label[cbest] == space_group) : -1);
    ev->s[ev->n++] = r;
    return XS_OK;
}

static double frac(size_t a, size_t b) { return b ? (double)a / (double)b : NAN; }

typedef struct {
    float certainty;
    size_t index;
} keyed;

/* Most certain first; ties in the order of adding. */
static int by_certainty_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->certainty != y->certainty) return x->certainty > y->certainty ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

xs_status xs_eval_compute(const xs_eval *ev, double threshold, xs_eval_results *res, xs_error *err)
{
    if (!ev->n) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no samples to evaluate");
    if (!(threshold >= 0 && threshold <= 1))
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "threshold %g is not 0..1", threshold);
    memset(res, 0, sizeof *res);
    int sgm = ev->task == XS_EVAL_SPACE_GROUP;
    size_t n = ev->n;
    res->task = ev->task;
    res->n = n;
    res->threshold = threshold;

    size_t right = 0, cs_right = 0, cs_top_right = 0, centro_n = 0, centro_right = 0, ext_right = 0, ext_sum_right = 0;
    size_t top[XS_EVAL_TOP_N] = {0}, cs_topn[NCS] = {0};
    double sum_c_right = 0, sum_c_wrong = 0, sum_d = 0, sum_d_wrong = 0, sum_log = 0;
    double calib_sum[XS_EVAL_CALIBRATION_BINS] = {0};
    size_t calib_right[XS_EVAL_CALIBRATION_BINS] = {0};
    size_t n_d = 0, n_d_wrong = 0;
    res->distance_max = -1;
    for (size_t i = 0; i < n; i++) {
        const sample *r = &ev->s[i];
        int true_cs = r->cs;
        right += r->correct;
        ext_sum_right += r->ext_sum_ok;
        cs_right += r->cs_sum == true_cs;
        cs_top_right += r->cs_top == true_cs;
        if (r->centro_ok >= 0) {
            centro_n++;
            centro_right += (size_t)r->centro_ok;
        }
        for (int k = 0; k < XS_EVAL_TOP_N; k++) top[k] += r->rank <= k;
        for (int k = 0; k < NCS; k++) cs_topn[k] += r->cs_rank <= k;
        int bin = (int)(r->certainty * XS_EVAL_CERTAINTY_BINS);
        if (bin >= XS_EVAL_CERTAINTY_BINS) bin = XS_EVAL_CERTAINTY_BINS - 1;
        if (bin < 0) bin = 0;
        int cbin = (int)(r->certainty * XS_EVAL_CALIBRATION_BINS);
        if (cbin >= XS_EVAL_CALIBRATION_BINS) cbin = XS_EVAL_CALIBRATION_BINS - 1;
        if (cbin < 0) cbin = 0;
        res->calibration_count[cbin]++;
        calib_sum[cbin] += r->certainty;
        calib_right[cbin] += r->correct;
        sum_log -= log(fmax((double)r->p_true, 1e-12));
        if (r->correct) {
            res->certainty_right[bin]++;
            sum_c_right += r->certainty;
        } else {
            res->certainty_wrong[bin]++;
            sum_c_wrong += r->certainty;
        }
        if (r->cs_sum >= 0) res->confusion_crystal_system[true_cs][(int)r->cs_sum]++;
        res->group_count[r->sg]++; /* index 0: samples without a group, not reported */
        res->group_correct[r->sg] += r->correct;
        if (sgm) {
            int p = ev->label[r->pred];
            res->confusion_space_group[r->sg][p]++;
            ext_right += p && xs_sym_extinction_class(p) == xs_sym_extinction_class(r->sg);
            int d = p ? xs_eval_subgroup_distance(r->sg, p) : -1;
            if (d >= 0) {
                res->distance_histogram[d > XS_EVAL_MAX_DISTANCE ? XS_EVAL_MAX_DISTANCE : d]++;
                if (d > res->distance_max) res->distance_max = d;
                sum_d += d;
                n_d++;
                if (d > 0) {
                    sum_d_wrong += d;
                    n_d_wrong++;
                }
            }
        }
    }
    res->acc_space_group = sgm ? frac(right, n) : NAN;
    res->acc_crystal_system = frac(cs_right, n);
    res->acc_crystal_system_of_top = frac(cs_top_right, n);
    res->acc_centrosymmetric = sgm ? frac(centro_right, centro_n) : NAN;
    res->acc_extinction_class = sgm ? frac(ext_right, n) : NAN;
    res->acc_extinction_class_summed = sgm ? frac(ext_sum_right, n) : NAN;
    res->n_centrosymmetric = centro_n;
    for (int k = 0; k < XS_EVAL_TOP_N; k++) res->top_n_space_group[k] = sgm ? frac(top[k], n) : NAN;
    for (int k = 0; k < NCS; k++) res->top_n_crystal_system[k] = frac(cs_topn[k], n);
    res->mean_certainty_right = right ? sum_c_right / (double)right : NAN;
    res->mean_certainty_wrong = n - right ? sum_c_wrong / (double)(n - right) : NAN;
    res->calibration_error = 0;
    for (int b = 0; b < XS_EVAL_CALIBRATION_BINS; b++) {
        size_t m = res->calibration_count[b];
        res->calibration_certainty[b] = m ? calib_sum[b] / (double)m : NAN;
        res->calibration_accuracy[b] = frac(calib_right[b], m);
        if (m)
            res->calibration_error +=
                (double)m / (double)n * fabs(res->calibration_accuracy[b] - res->calibration_certainty[b]);
    }
    res->log_loss = sum_log / (double)n;
    res->mean_distance = n_d ? sum_d / (double)n_d : NAN;
    res->mean_distance_wrong = n_d_wrong ? sum_d_wrong / (double)n_d_wrong : NAN;

    /* refusal: samples by certainty, most certain first */
    keyed *order = malloc(n * sizeof *order);
    if (!order) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) order[i] = (keyed){ev->s[i].certainty, i};
    qsort(order, n, sizeof *order, by_certainty_desc);
    size_t half = n - n / 2, right_half = 0;
    for (size_t k = 0; k < half; k++) right_half += ev->s[order[k].index].correct;
    res->accepted_at_half = half;
    res->accuracy_at_half = frac(right_half, half);
    res->threshold_at_half = order[half - 1].certainty;
    /* thresholds ascending: drop samples from the least certain end; order[0..k-1] are accepted */
    size_t k = n, right_acc = right;
    for (int i = 0; i < XS_EVAL_THRESHOLDS; i++) {
        double t = (double)i / (XS_EVAL_THRESHOLDS - 1);
        while (k > 0 && (double)order[k - 1].certainty < t) right_acc -= ev->s[order[--k].index].correct;
        res->refusal_threshold[i] = t;
        res->refusal_accuracy[i] = frac(right_acc, k);
        res->refusal_unclassified[i] = frac(n - k, n);
    }
    k = n;
    right_acc = right;
    while (k > 0 && (double)order[k - 1].certainty < threshold) right_acc -= ev->s[order[--k].index].correct;
    res->accuracy_at_threshold = frac(right_acc, k);
    res->unclassified_at_threshold = frac(n - k, n);
    free(order);
    return XS_OK;
}

void xs_eval_dataset_counts(const xs_dataset *d, int split, size_t counts[231])
{
    memset(counts, 0, 231 * sizeof *counts);
    size_t n = xs_dataset_count(d);
    for (size_t i = 0; i < n; i++) {
        int g = xs_dataset_space_group(d, i);
        if (g >= 1 && g <= 230 && (split < 0 || xs_dataset_split(d, i) == split)) counts[g]++;
    }
}

/* Ranks 1..m of v (ties get their mean rank) into rank. */
static void mean_ranks(const double *v, int m, double *rank)
{
    for (int i = 0; i < m; i++) {
        int less = 0, equal = 0;
        for (int j = 0; j < m; j++) {
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        rank[i] = less + (equal + 1) / 2.0;
    }
}

void xs_eval_wilson_interval(size_t right, size_t n, double z, double *lo, double *hi)
{
    if (n == 0 || right > n || !(z > 0)) {
        *lo = *hi = NAN;
        return;
    }
    double N = (double)n, p = (double)right / N, z2 = z * z, d = 1 + z2 / N;
    double centre = (p + z2 / (2 * N)) / d, half = z * sqrt(p * (1 - p) / N + z2 / (4 * N * N)) / d;
    /* at 0 and n the bound is exactly 0 or 1; rounding would leave 1e-17 */
    *lo = right == 0 ? 0.0 : centre - half;
    *hi = right == n ? 1.0 : centre + half;
}

double xs_eval_abundance_correlation(const xs_eval_results *res, const size_t abundance[231])
{
    double acc[230], ab[230], ra[230], rb[230];
    int m = 0;
    for (int g = 1; g <= 230; g++)
        if (res->group_count[g]) {
            acc[m] = (double)res->group_correct[g] / (double)res->group_count[g];
            ab[m] = (double)abundance[g];
            m++;
        }
    if (m < 3) return NAN;
    mean_ranks(acc, m, ra);
    mean_ranks(ab, m, rb);
    double ma = 0, mb = 0;
    for (int i = 0; i < m; i++) ma += ra[i], mb += rb[i];
    ma /= m, mb /= m;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < m; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}
