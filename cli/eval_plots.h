/* The figures of `xrdsym evaluate --plots DIR` (SVG, drawn with svg.c). */
#ifndef XS_CLI_EVAL_PLOTS_H
#define XS_CLI_EVAL_PLOTS_H
#include "xrdsym.h"

typedef struct {
    const char *title;               /* what was evaluated, e.g. "model.h5 on rruff-dev.tsv.gz (332 patterns)" */
    const xs_eval_results *res;
    const size_t *abundance;         /* training crystals per group (index 1..230), or NULL */
    const char *abundance_source;    /* where the abundance comes from (for the axis title) */
    double abundance_spearman;       /* NaN when unknown */
    /* the first pattern, as the network saw it, and its output */
    const char *pattern_name;
    int pattern_true_group;          /* 0 when unknown */
    const xs_grid *grid;             /* the model's grid */
    const float *pattern;            /* grid->count values */
    const float *probs;              /* n_classes outputs */
    int n_classes;
    const int *class_group;          /* group of each class (space-group model), else NULL */
    const char *const *class_name;   /* label of each class */
} xs_cli_eval_plot_input;

/* Write DIR/pattern.svg, refusal.svg, certainty.svg, calibration.svg, top_n.svg, confusion_crystal_system.svg,
 * confusion_space_group.svg and subgroup_distance.svg (space-group models), per_group_accuracy.svg; each
 * atomically; DIR is created when absent. Returns the number of files written (-1: DIR unusable), printing
 * what failed on stderr. */
int xs_cli_eval_plots(const char *dir, const xs_cli_eval_plot_input *in);
#endif
