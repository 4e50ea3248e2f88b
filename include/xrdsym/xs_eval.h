/* xrdsym evaluation: how well a classifier of powder patterns does on labelled patterns (the figures of the
 * seed paper's Section V, Vecsei et al., PRB 99, 245120 (2019)), and the maximal-subgroup graph that says
 * how far a wrong space group lies from the right one.
 *
 * Maximal-subgroup graph: the 230 space-group types are the nodes; an edge joins G and H when H is a
 * maximal non-isomorphic subgroup of G (translationengleiche or klassengleiche), as compiled into the
 * library from ../shared/data/symmetry/maximal_subgroup_edges.tsv by tools/gen_subgroups.py (1,294 edges,
 * the union of PyXtal's Bilbao MAXSUB lists and pymatgen's). The distance between two groups is the length
 * of the shortest path with the edges taken UNDIRECTED: 0 for the same group, 1 when one is a maximal
 * subgroup of the other (Pm-3m 221 and Pm-3 200), 2 for two maximal subgroups of one group or a subgroup of
 * a subgroup, and so on. Every group reaches P1 through its subgroups, so the graph is connected and every
 * distance is finite. Distances are computed once (breadth-first search from every node, thread-safe).
 *
 * Metrics: an xs_eval accumulates predictions, one sample at a time: the true space group and the model's
 * output (one probability per class). The model classifies either space groups (each class stands for a
 * group) or crystal systems (each class stands for a system). xs_eval_compute then gives every figure at
 * once in an xs_eval_results:
 *  - accuracy: the most probable class is the right one. For a space-group model the crystal system is
 *    derived twice: (a) the system whose groups' probabilities sum highest (acc_crystal_system), (b) the
 *    system of the most probable group (acc_crystal_system_of_top);
 *  - centrosymmetric accuracy (space-group models): over the samples whose true group is one of the 92
 *    centrosymmetric groups, the output restricted to the classes of centrosymmetric groups and
 *    renormalised (so the answer is the most probable centrosymmetric group), as the paper does when the
 *    presence of an inversion centre is known;
 *  - top-n: the true class is among the n most probable (ties: the lower class index ranks first, as
 *    for the most probable class);
 *  - certainty: the largest output (the paper's eq. 13), histogrammed for right and wrong answers;
 *  - calibration: does a certainty of 0.8 mean right 8 times in 10? Samples binned by certainty (bins of
 *    0.1), each bin's mean certainty against its fraction right (a reliability diagram); the expected
 *    calibration error, sum over bins of (samples in bin / n) |fraction right - mean certainty|; and the
 *    log loss, the mean of -ln(probability given to the true answer), the probabilities of all classes
 *    standing for it summed and floored at 1e-12 (a class-free answer, or an output of 0, costs 27.6);
 *  - refusal: a sample is unclassified when its certainty is below a threshold t; for t = 0, 0.01, .., 1
 *    the accuracy on the accepted samples and the unclassified fraction. "At half": the ceil(n/2) most
 *    certain samples are accepted (ties in certainty broken by the order of adding), accuracy_at_half is
 *    their accuracy and threshold_at_half the smallest certainty among them (certainty >= it accepts
 *    them);
 *  - confusion matrices [true][predicted] of crystal systems (7x7) and of space groups (231x231, index
 *    0 for a predicted class that stands for no group);
 *  - per space group: samples and right answers (to set against the group's abundance in training);
 *  - distance on the maximal-subgroup graph between true and predicted group (space-group models).
 * Accuracy, top-n, certainty and refusal are those of the model's own task (space group or crystal system).
 * Fractions are 0..1; a figure that does not apply (no sample, or the other task) is NaN.
 *
 * Ownership: xs_eval_create returns a handle the caller frees with xs_eval_free. The library never prints.
 */
#ifndef XS_EVAL_H
#define XS_EVAL_H

#include <stddef.h>

#include "xrdsym/xs_common.h"
#include "xrdsym/xs_dataset.h"
#include "xrdsym/xs_symmetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- maximal-subgroup graph ---- */

/* Shortest undirected path between space groups a and b (1..230) on the maximal-subgroup graph; -1 when
 * either is out of range. */
int xs_eval_subgroup_distance(int a, int b);
/* 1 when `subgroup` is listed as a maximal subgroup of `group` (directed), else 0. */
int xs_eval_is_maximal_subgroup(int group, int subgroup);
/* Largest distance between two groups (the graph's diameter). */
int xs_eval_subgroup_diameter(void);
/* Edges compiled in. */
size_t xs_eval_subgroup_edge_count(void);

/* ---- metrics ---- */

#define XS_EVAL_TOP_N 10            /* top-1 .. top-10 */
#define XS_EVAL_CERTAINTY_BINS 20   /* certainty histogram bins of width 0.05; bin b: [b/20, (b+1)/20), last closed */
#define XS_EVAL_CALIBRATION_BINS 10 /* reliability bins of width 0.1; bin b: [b/10, (b+1)/10), last closed */
#define XS_EVAL_THRESHOLDS 101      /* refusal curve at t = i/100, i = 0..100 */
#define XS_EVAL_MAX_DISTANCE 32     /* distance histogram bins 0..32 (the diameter is far below) */

typedef enum { XS_EVAL_SPACE_GROUP = 0, XS_EVAL_CRYSTAL_SYSTEM = 1 } xs_eval_task;

typedef struct xs_eval xs_eval;

/* A new accumulator for a model of n_classes outputs. class_label[c] is what class c stands for: a space
 * group 1..230 (task XS_EVAL_SPACE_GROUP; 0 for a class that stands for no known group) or a crystal system
 * 0..6 as xs_crystal_system (task XS_EVAL_CRYSTAL_SYSTEM; -1 for none). class_label NULL: class c is group
 * c+1 (n_classes must be 230) or system c (n_classes must be 7). Copies class_label. */
xs_status xs_eval_create(xs_eval_task task, int n_classes, const int *class_label, xs_eval **out, xs_error *err);
void xs_eval_free(xs_eval *ev);

/* Add one sample: its true space group (1..230) and the model's n_classes outputs (finite, >= 0; they
 * need not sum to 1). XS_ERR_INVALID for a group out of range or a NaN/negative output (nothing added). */
xs_status xs_eval_add(xs_eval *ev, int space_group, const float *probs, xs_error *err);
/* Add a sample whose true crystal system (0..6, xs_crystal_system) alone is known, to a crystal-system
 * accumulator (XS_ERR_INVALID for a space-group one): its per-group figures are left out. */
xs_status xs_eval_add_crystal_system(xs_eval *ev, int crystal_system, const float *probs, xs_error *err);
size_t xs_eval_count(const xs_eval *ev);

/* Everything at once. About 230 kB: allocate it on the heap. */
typedef struct {
    xs_eval_task task;
    size_t n;                          /* samples */
    double acc_space_group;            /* NaN for a crystal-system model */
    double acc_crystal_system;         /* space-group model: summed probabilities; else the model's own */
    double acc_crystal_system_of_top;  /* space-group model: the system of the most probable group */
    double acc_centrosymmetric;        /* space-group model, true group centrosymmetric, 92-group output */
    double acc_extinction_class;       /* space-group model: the top group gives peaks where the true one does
                                        * (xs_sym_extinction_class): right as far as peak positions can tell */
    double acc_extinction_class_summed; /* space-group model: the class whose groups' probabilities sum highest is
                                         * the true group's */
    size_t n_centrosymmetric;          /* samples whose true group is centrosymmetric */
    double top_n_space_group[XS_EVAL_TOP_N];      /* [k]: top-(k+1); NaN for a crystal-system model */
    double top_n_crystal_system[XS_CRYSTAL_SYSTEM_COUNT]; /* [k]: top-(k+1) of the (summed) systems */
    /* certainty (largest output) of right and wrong answers of the model's task */
    size_t certainty_right[XS_EVAL_CERTAINTY_BINS], certainty_wrong[XS_EVAL_CERTAINTY_BINS];
    double mean_certainty_right, mean_certainty_wrong;
    /* calibration: per certainty bin the samples, their mean certainty and fraction right (NaN: empty bin) */
    size_t calibration_count[XS_EVAL_CALIBRATION_BINS];
    double calibration_certainty[XS_EVAL_CALIBRATION_BINS], calibration_accuracy[XS_EVAL_CALIBRATION_BINS];
    double calibration_error;                        /* expected calibration error over those bins */
    double log_loss;                                 /* mean -ln(probability of the true answer) */
    /* refusal */
    double refusal_threshold[XS_EVAL_THRESHOLDS];    /* i / 100 */
    double refusal_accuracy[XS_EVAL_THRESHOLDS];     /* accuracy of the samples with certainty >= t */
    double refusal_unclassified[XS_EVAL_THRESHOLDS]; /* fraction with certainty < t */
    double accuracy_at_half, threshold_at_half;
    size_t accepted_at_half;                         /* ceil(n/2) */
    double threshold;                                /* the threshold given to xs_eval_compute */
    double accuracy_at_threshold, unclassified_at_threshold;
    /* confusion [true][predicted] */
    size_t confusion_crystal_system[XS_CRYSTAL_SYSTEM_COUNT][XS_CRYSTAL_SYSTEM_COUNT];
    unsigned confusion_space_group[231][231];        /* space-group model; predicted 0: class of no group */
    /* per true space group (index 1..230; 0: samples labelled by crystal system only): samples, and right
     * answers of the model's task */
    size_t group_count[231], group_correct[231];
    /* distance between true and predicted group (space-group model; a class of no group is left out) */
    size_t distance_histogram[XS_EVAL_MAX_DISTANCE + 1];
    int distance_max;                                /* largest distance that occurred (-1: none) */
    double mean_distance, mean_distance_wrong;       /* over all samples / over the wrong ones */
} xs_eval_results;

/* Compute the figures of the samples added so far; threshold (0..1) is the refusal threshold whose
 * accuracy and unclassified fraction are reported on their own. XS_ERR_INVALID when no sample was added or
 * the threshold is outside 0..1. */
xs_status xs_eval_compute(const xs_eval *ev, double threshold, xs_eval_results *res, xs_error *err);

/* Crystals per space group (index 1..230; index 0 gets 0) in one split of a dataset (XS_SPLIT_TRAIN, _VAL,
 * _TEST), or in all of them when split is -1: the abundance that per-group accuracy is set against. */
void xs_eval_dataset_counts(const xs_dataset *d, int split, size_t counts[231]);

/* Wilson score interval of a proportion, right of n, at z standard normal deviates (1.959963984540054 for
 * 95%): how far an accuracy measured on n samples can be from the one on all such samples (Newcombe,
 * Stat. Med. 17, 857 (1998), method 3). *lo = *hi = NaN when n is 0 or right > n. */
void xs_eval_wilson_interval(size_t right, size_t n, double z, double *lo, double *hi);

/* Spearman rank correlation (ties get mean ranks) between per-group accuracy and abundance[g] over the
 * groups with at least one sample; NaN when fewer than 3 groups or a constant variable. */
double xs_eval_abundance_correlation(const xs_eval_results *res, const size_t abundance[231]);

/* ---- class prior of real materials ----
 * The training crystals are uniform over the 230 space groups, or drawn with probability prior^t
 * (xs_train_options.sample_prior; the model's metadata sample_prior_power holds t); real materials are not
 * uniform (P2_1/c, C2/c, Pnma, P-1 ... dominate). xs_eval_apply_prior turns a network's outputs into
 * probabilities for materials drawn like the Materials Project's 88,678 structures (compiled in by
 * tools/gen_sg_prior.py): p_c <- p_c w_c / sum_k p_k w_k with w_c = prior(class c) / training share(class c),
 * where prior(group) = (MP count + 1) / (88,678 + 230) and, for a crystal-system network, a system's prior
 * and training share are the sums over its groups. probs is batch rows of the network's n_classes outputs. XS_ERR_INVALID for a
 * network whose labels are not space groups or crystal systems. */
double xs_eval_prior_mp(int space_group);
struct xs_nn;
xs_status xs_eval_apply_prior(struct xs_nn *net, float *probs, int batch, xs_error *err);
/* The same for groups drawn with probability prior^power (power in [0, 2]): power 1 is
 * xs_eval_apply_prior, power 0 the probabilities for groups all equally likely (for a network trained
 * uniformly, its own outputs unchanged; for one trained with sample_prior_power t, its outputs divided
 * by prior^t). XS_ERR_RANGE for a power outside [0, 2]. */
xs_status xs_eval_apply_prior_power(struct xs_nn *net, double power, float *probs, int batch, xs_error *err);
/* A prior of minerals: the space groups of the 295 inorganic structures (mostly AMCSD minerals) among the
 * COD's real-world CIFs in the shared data, smoothed towards the Materials Project's prior:
 * (n(g) + k prior_mp(g)) / (295 + k), k = 100 chosen by leave-one-out likelihood on those structures
 * (tools/gen_mineral_prior.py). 0 outside 1..230. */
double xs_eval_prior_minerals(int space_group);
/* Which class prior xs_eval_apply_class_prior turns outputs into. */
typedef enum {
    XS_PRIOR_UNIFORM = 0,       /* groups all equally likely */
    XS_PRIOR_MATERIALS_PROJECT, /* xs_eval_prior_mp: xs_eval_apply_prior_power with power 1 */
    XS_PRIOR_MINERALS           /* xs_eval_prior_minerals */
} xs_eval_prior;
/* Its name as the command line and the JSON reports write it ("uniform", "materials-project", "minerals"). */
const char *xs_eval_prior_name(xs_eval_prior prior);
/* Outputs of a network (trained with sample_prior_power t) reweighted to the groups' frequencies under
 * prior, as xs_eval_apply_prior_power does for the Materials Project's; for the prior a network was trained
 * on, its outputs are left exactly as they are. XS_ERR_RANGE for an unknown prior. */
xs_status xs_eval_apply_class_prior(struct xs_nn *net, xs_eval_prior prior, float *probs, int batch, xs_error *err);

/* What the peak positions say: the extinction class (xs_sym_extinction_class) whose groups' probabilities sum
 * highest, probs[c] being that of group groups[c] (0: a class that stands for no group, left out); ties go to
 * the lower class. Returns the class, 0 when no probability falls on a group; *p (may be NULL) receives its
 * summed probability. */
int xs_eval_extinction_class_sum(const int *groups, const float *probs, int n, double *p);

#ifdef __cplusplus
}
#endif
#endif
