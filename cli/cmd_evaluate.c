/* xrdsym evaluate: the figures of the seed paper's Section V for a model on labelled patterns (measured
 * files, or a dataset split rendered as training renders it), as JSON, a summary and SVG plots. The
 * metrics are computed by the library (xs_eval.h); this file reads, runs the model and formats. */
#include "cli.h"
#include "eval_plots.h"
#include "label_table.h"
#include "svg.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym evaluate [--model MODEL.h5] (--patterns FILE... | --data FILE.h5 [--split S])\n"
            "                       [--threshold T] [--seed S] --json OUT.json [--plots DIR]\n"
            "  Accuracy (space group, crystal system also summed over each system's groups, centrosymmetric\n"
            "  groups), top-1..10, certainty of right and wrong answers, its calibration (reliability, expected\n"
            "  calibration error, log loss), the refusal curve, confusion matrices,\n"
            "  accuracy per space group against its abundance in training and the distances on the\n"
            "  maximal-subgroup graph between true and predicted groups (see include/xrdsym/xs_eval.h).\n"
            "  --model FILE        model or ensemble (default: the shipped models/default.h5)\n"
            "  --patterns FILE...  labelled pattern files (the one-pattern-a-line table with space groups, e.g.\n"
            "                      ../shared/data/experimental/rruff-dev.tsv.gz; a Rietveld CIF's refined\n"
            "                      structure); unlabelled patterns are skipped\n"
            "  --labels TABLE      labels of the --patterns (CSV/TSV with a header: first column the pattern's file\n"
            "                      name with or without extension, then 'space group' (number or symbol) and/or\n"
            "                      'crystal system', optionally 'wavelength' (for files that state none));\n"
            "                      crystal systems alone give a crystal-system evaluation of any model\n"
            "  --data FILE.h5      a peaks dataset: its crystals rendered and augmented as training does\n"
            "  --split S           test (default), val, train or all\n"
            "  --limit N           at most N crystals of the split, spread evenly over it\n"
            "  --seed S            augmentation seed for --data (default 0); augmentation options as the model\n"
            "                      records them (meta 'augmentation'), else the defaults\n"
            "  --augmentation TEXT render --data with these options instead, written as models record them\n"
            "                      (the JSON report's source.augmentation); to compare models trained apart\n"
            "                      (--data only)\n"
            "  --threshold T       refusal threshold reported on its own (default: the model's, else 0.5)\n"
            "  --abundance FILE.h5 dataset whose training split gives the abundance per group (default: the\n"
            "                      --data file, else the model's training data where it still exists)\n"
            "  --wavelength W      for pattern files that do not state theirs (default: Cu K-alpha, said)\n"
            "  --zero-shift Z      the diffractometer's zero error in degrees 2theta (measured = true + Z),\n"
            "                      subtracted from every angle of the --patterns (at most 2 deg)\n"
            "  --displacement H    the sample surface H mm above the goniometer axis, corrected (predict --help);\n"
            "                      the goniometer radius from the files (.xrdml), else --goniometer-radius R\n"
            "  --min-coverage F    least fraction of the grid a pattern must cover (default 0.5)\n"
            "  --combine mean|geometric  an ensemble's members' probabilities averaged or their\n"
            "                      geometric mean (default: as the model file says, else averaged)\n"
            "  --prior uniform|mp|minerals  probabilities for groups all equally likely (default: a\n"
            "                      network's own outputs, or for one trained with --sample-prior T those\n"
            "                      with prior^T divided out), for groups as frequent as among the Materials\n"
            "                      Project's structures (real materials), or as among minerals (the COD's\n"
            "                      inorganic structures, smoothed towards the Materials Project's)\n"
            "  --json OUT.json     all figures (written atomically); keys: n, accuracy.*, top_n.*, certainty.*,\n"
            "                      calibration.*, refusal.*, confusion.*, per_space_group, subgroup_distance.*\n"
            "  --plots DIR         SVG figures (pattern, refusal, certainty, calibration, top-n, confusion,\n"
            "                      per group, distances)\n"
            "  --outputs OUT.tsv   every sample's output (after --prior): name, true group, then one column per\n"
            "                      class, for analyses of your own (written atomically)\n");
}

/* ---- the model's classes ---- */
typedef struct {
    xs_nn_ensemble *ens;
    xs_nn *net;
    char path[PATH_MAX + 64];
    xs_nn_grid mg;
    xs_grid grid;
    int nc, sg_model;
    int *class_label;        /* group (space-group model) or crystal system of each class */
    const char **class_name;
} model_info;

static int model_open(model_info *m, const char *path)
{
    xs_error err = {0};
    if (xs_cli_load_model(path, &m->ens, m->path, sizeof m->path, &err) != XS_OK) {
        xs_cli_print_error(&err);
        return 0;
    }
    m->net = xs_nn_ensemble_member(m->ens, 0);
    if (!xs_nn_get_grid(m->net, &m->mg)) {
        fprintf(stderr, "xrdsym evaluate: %s has no input grid\n", m->path);
        return 0;
    }
    m->grid = (xs_grid){m->mg.two_theta_start, m->mg.two_theta_step, (size_t)m->mg.count};
    m->nc = xs_nn_n_classes(m->net);
    const char *kind = xs_nn_label_kind(m->net);
    m->sg_model = !strcmp(kind, "space_group");
    if (!m->sg_model && strcmp(kind, "crystal_system")) {
        fprintf(stderr, "xrdsym evaluate: %s classifies '%s', neither space groups nor crystal systems\n", m->path,
                kind[0] ? kind : "(unlabelled classes)");
        return 0;
    }
    m->class_label = malloc((size_t)m->nc * sizeof *m->class_label);
    m->class_name = malloc((size_t)m->nc * sizeof *m->class_name);
    if (!m->class_label || !m->class_name) return 0;
    for (int c = 0; c < m->nc; c++) {
        const char *name = xs_nn_label(m->net, c);
        m->class_name[c] = name ? name : "?";
        if (m->sg_model) {
            m->class_label[c] = xs_cli_class_space_group(m->net, c);
        } else {
            m->class_label[c] = -1;
            for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++)
                if (name && !strcmp(name, xs_crystal_system_name((xs_crystal_system)k))) m->class_label[c] = k;
        }
    }
    return 1;
}

static void model_close(model_info *m)
{
    xs_nn_ensemble_free(m->ens);
    free(m->class_label);
    free(m->class_name);
}

/* --augmentation: rendered with these options whatever the model was trained with (parsed once, with the
 * arguments) */
static const char *augmentation_override;
static xs_aug_options augmentation_given;
/* the options --data was rendered with, as text, for the report */
static char augmentation_used[512];

/* The augmentation the model was trained with (meta "augmentation", as xs_train_run writes it). */
static void model_augmentation(const xs_nn *net, xs_aug_options *aug)
{
    if (augmentation_override) {
        *aug = augmentation_given;
        return;
    }
    xs_aug_options_default(aug);
    const char *meta = xs_nn_get_meta(net, "augmentation");
    if (meta) xs_aug_options_parse(meta, aug, NULL); /* unreadable: the defaults stay */
}

/* ---- what is evaluated ---- */
typedef struct {
    xs_eval *ev;
    size_t unlabelled, failed, assumed_cu;
    /* --labels: the table, which of its rows named a pattern, and whether only crystal systems are judged */
    const xs_cli_label_table *labels;
    unsigned char *label_used;
    int cs_mode;
    /* the first sample, for the plot */
    char first_name[PATH_MAX + 256];
    int first_group;
    float *first_x, *first_p;
    /* --outputs: every sample's name, label and output, kept until the end (written atomically) */
    int keep_outputs, out_failed;
    size_t out_n, out_cap;
    char **out_name;
    int *out_label;
    float *out_p;
} run_state;

static void keep_output(run_state *rs, int nc, const char *name, int label, const float *p)
{
    if (!rs->keep_outputs || rs->out_failed) return;
    if (rs->out_n == rs->out_cap) {
        size_t cap = rs->out_cap ? 2 * rs->out_cap : 1024;
        char **nn = realloc(rs->out_name, cap * sizeof *nn);
        if (nn) rs->out_name = nn;
        int *nl = realloc(rs->out_label, cap * sizeof *nl);
        if (nl) rs->out_label = nl;
        float *np = realloc(rs->out_p, cap * (size_t)nc * sizeof *np);
        if (np) rs->out_p = np;
        if (!nn || !nl || !np) {
            rs->out_failed = 1;
            return;
        }
        rs->out_cap = cap;
    }
    rs->out_name[rs->out_n] = strdup(name);
    if (!rs->out_name[rs->out_n]) {
        rs->out_failed = 1;
        return;
    }
    rs->out_label[rs->out_n] = label;
    memcpy(rs->out_p + rs->out_n * (size_t)nc, p, (size_t)nc * sizeof *p);
    rs->out_n++;
}

typedef struct {
    const run_state *rs;
    const model_info *m;
} outputs_view;

/* Names are written with tabs and line breaks replaced by spaces, so that a row stays one line of columns. */
static int write_outputs(FILE *o, void *ctx)
{
    const outputs_view *v = ctx;
    int cs = v->rs->cs_mode, nc = cs ? XS_CRYSTAL_SYSTEM_COUNT : v->m->nc;
    fputs(cs ? "name\ttrue_crystal_system" : "name\ttrue_space_group", o);
    for (int c = 0; c < nc; c++)
        fprintf(o, "\t%s", cs ? xs_crystal_system_name((xs_crystal_system)c) : v->m->class_name[c]);
    fputc('\n', o);
    for (size_t i = 0; i < v->rs->out_n; i++) {
        for (const char *s = v->rs->out_name[i]; *s; s++) fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, o);
        fprintf(o, "\t%d", v->rs->out_label[i]);
        const float *p = v->rs->out_p + i * (size_t)nc;
        for (int c = 0; c < nc; c++) fprintf(o, "\t%.6g", p[c]);
        fputc('\n', o);
    }
    return !ferror(o);
}

/* p: the nc outputs judged (the model's, or in a crystal-system evaluation the 7 systems') */
static void keep_first(run_state *rs, const model_info *m, int nc, const char *name, int group, const float *x,
                       const float *p)
{
    if (rs->first_x) return;
    rs->first_x = malloc(m->grid.count * sizeof *rs->first_x);
    rs->first_p = malloc((size_t)nc * sizeof *rs->first_p);
    if (!rs->first_x || !rs->first_p) return;
    memcpy(rs->first_x, x, m->grid.count * sizeof *x);
    memcpy(rs->first_p, p, (size_t)nc * sizeof *p);
    snprintf(rs->first_name, sizeof rs->first_name, "%s", name);
    rs->first_group = group;
}

/* --prior: outputs reweighted to the space-group frequencies of real materials (xs_eval_apply_class_prior). */
static xs_eval_prior class_prior = XS_PRIOR_UNIFORM;
/* --combine: how an ensemble's members are combined (xs_nn_ensemble_set_combine). */
static xs_nn_combine combine = XS_NN_COMBINE_MEAN;
static int combine_given;

enum { PATTERN_BATCH = 64 };

/* Run the model on the nb patterns on the grid in x (their labels, and their indices in pats) and add them. */
static void flush_patterns(run_state *rs, model_info *m, xs_pattern **pats, const size_t *which,
                           const int *labels, int nb, float *x, float *p)
{
    xs_error err = {0};
    if (!nb) return;
    if (xs_nn_ensemble_forward(m->ens, x, nb, p, &err) != XS_OK ||
        xs_eval_apply_class_prior(m->net, class_prior, p, nb, &err) != XS_OK) {
        xs_cli_print_error(&err);
        rs->failed += (size_t)nb;
        return;
    }
    for (int k = 0; k < nb; k++) {
        const float *pk = p + (size_t)k * m->nc;
        float systems[XS_CRYSTAL_SYSTEM_COUNT] = {0};
        int nc = m->nc;
        xs_status st;
        if (rs->cs_mode) { /* labels[k] is a crystal system; the outputs are summed over each system's classes */
            for (int c = 0; c < m->nc; c++) {
                int l = m->class_label[c];
                int sys = m->sg_model ? (l >= 1 ? (int)xs_sym_crystal_system(l) : -1) : l;
                if (sys >= 0) systems[sys] += pk[c];
            }
            pk = systems;
            nc = XS_CRYSTAL_SYSTEM_COUNT;
            st = xs_eval_add_crystal_system(rs->ev, labels[k], pk, &err);
        } else {
            st = xs_eval_add(rs->ev, labels[k], pk, &err);
        }
        if (st != XS_OK) {
            xs_cli_print_error(&err);
            rs->failed++;
            continue;
        }
        if (!rs->first_x)
            keep_first(rs, m, nc, xs_pattern_name(pats[which[k]]), rs->cs_mode ? 0 : labels[k],
                       x + (size_t)k * m->grid.count, pk);
        keep_output(rs, nc, xs_pattern_name(pats[which[k]]), labels[k], pk);
    }
}

static int run_patterns(run_state *rs, model_info *m, const char **files, int n_files, double user_wl,
                        double min_coverage, const xs_cli_angle_correction *angles)
{
    float *x = malloc(PATTERN_BATCH * m->grid.count * sizeof *x), *p = malloc((size_t)PATTERN_BATCH * m->nc * sizeof *p);
    if (!x || !p) return free(x), free(p), 0;
    xs_error err = {0};
    for (int f = 0; f < n_files; f++) {
        xs_pattern **pats = NULL;
        size_t np = 0;
        if (xs_cli_read_patterns(files[f], NULL, &pats, &np, &err) != XS_OK) { /* reads .gz too */
            xs_cli_print_error(&err);
            rs->failed++;
            continue;
        }
        size_t which[PATTERN_BATCH];
        int labels[PATTERN_BATCH], nb = 0;
        for (size_t q = 0; q < np; q++) {
            int label = xs_pattern_label(pats[q]);
            const xs_cli_label_row *row = rs->labels ? xs_cli_label_table_find(rs->labels, xs_pattern_name(pats[q])) : NULL;
            if (row) {
                rs->label_used[row - rs->labels->rows] = 1;
                if (row->group) label = row->group;
            }
            if (rs->cs_mode) /* the table's crystal system, else that of the group the table or the file gives */
                label = row && row->system >= 0 ? row->system
                      : label >= 1 && label <= 230 ? (int)xs_sym_crystal_system(label) : -1;
            if (rs->cs_mode ? label < 0 : (label < 1 || label > 230)) {
                rs->unlabelled++;
                continue;
            }
            xs_wavelength_source from;
            double wl = xs_pattern_choose_wavelength(pats[q], row && row->wavelength > 0 ? row->wavelength : user_wl, &from);
            if (from == XS_WAVELENGTH_ASSUMED_CU) rs->assumed_cu++;
            if (xs_cli_correct_angles("evaluate", pats[q], angles, NULL, &err) != XS_OK ||
                xs_pattern_to_grid(pats[q], wl, &m->grid, m->mg.wavelength, min_coverage,
                                   x + (size_t)nb * m->grid.count, NULL, &err) != XS_OK) {
                xs_cli_print_error(&err);
                rs->failed++;
                continue;
            }
            which[nb] = q;
            labels[nb++] = label;
            if (nb == PATTERN_BATCH) {
                flush_patterns(rs, m, pats, which, labels, nb, x, p);
                nb = 0;
            }
        }
        flush_patterns(rs, m, pats, which, labels, nb, x, p);
        xs_pattern_list_free(pats, np);
    }
    free(x);
    free(p);
    return 1;
}

/* Whether the model's members were trained on this very file's split. A file made again by the command a
 * member's training file was made with ("data_generator", compared by xs_cli_dataset_identity without the output) is taken for that file; if its crystals or split
 * differ (the generator changed: one crystal more or less reshuffles every split), its test split is not the
 * one the network was kept from, and its figures count crystals the network trained on: said on stderr and in
 * the JSON. "same split", "other split" (warned), "not recorded" (a member trained before digests were
 * recorded), or "other data" (no member was trained on a file of this command). */
static const char *check_training_split(const model_info *m, const xs_dataset *ds, const char *ds_path)
{
    const char *verdict = "other data";
    char digest[32], members[256] = "";
    const char *their_digest = NULL, *their_count = NULL;
    size_t members_len = 0;
    snprintf(digest, sizeof digest, "%016llx", (unsigned long long)xs_dataset_split_digest(ds));
    char gen[2048], mine[2048];
    xs_cli_dataset_identity(xs_dataset_generator(ds), 1, gen, sizeof gen);
    for (int k = 0; k < xs_nn_ensemble_size(m->ens); k++) {
        const xs_nn *net = xs_nn_ensemble_member(m->ens, k);
        const char *mg = xs_nn_get_meta(net, "data_generator");
        if (!mg || !gen[0]) continue;
        xs_cli_dataset_identity(mg, 1, mine, sizeof mine);
        if (strcmp(mine, gen)) continue;
        const char *md = xs_nn_get_meta(net, "data_split_digest");
        if (!md) {
            if (strcmp(verdict, "other split")) verdict = "not recorded";
            continue;
        }
        if (!strcmp(md, digest)) {
            if (!strcmp(verdict, "other data")) verdict = "same split";
            continue;
        }
        if (members_len < sizeof members - 16)
            members_len += (size_t)snprintf(members + members_len, sizeof members - members_len, "%s%d",
                                            members_len ? ", " : "", k + 1);
        their_digest = md;
        their_count = xs_nn_get_meta(net, "data_crystals");
        verdict = "other split";
    }
    if (their_digest)
        fprintf(stderr,
                "xrdsym evaluate: warning: member(s) %s of %s were trained on a file made by the same command as %s, "
                "but with other crystals or another split (%s crystals, digest %s; this file: %zu, %s): this file's "
                "splits are not the ones the network was trained and kept apart on, and its figures may count "
                "crystals it trained on\n",
                members, m->path, ds_path, their_count ? their_count : "?", their_digest, xs_dataset_count(ds), digest);
    return verdict;
}

static int run_dataset(run_state *rs, model_info *m, const xs_dataset *ds, const char *ds_path, int split,
                       size_t limit, uint64_t seed)
{
    size_t n_all = xs_dataset_count(ds);
    size_t *idx = malloc((n_all ? n_all : 1) * sizeof *idx);
    if (!idx) return 0;
    size_t n = xs_dataset_select(ds, split, limit, idx);
    if (!n) {
        fprintf(stderr, "xrdsym evaluate: %s has no crystals in that split\n", ds_path);
        free(idx);
        return 0;
    }
    if (fabs(xs_dataset_wavelength(ds) - m->mg.wavelength) > 1e-4)
        fprintf(stderr, "xrdsym evaluate: warning: %s was computed for %.5f A, the model's grid is for %.5f A\n",
                ds_path, xs_dataset_wavelength(ds), m->mg.wavelength);
    xs_aug_options aug;
    model_augmentation(m->net, &aug);
    xs_aug_options_format(&aug, augmentation_used, sizeof augmentation_used);
    enum { BATCH = 256 };
    float *x = malloc((size_t)BATCH * m->grid.count * sizeof *x), *p = malloc((size_t)BATCH * m->nc * sizeof *p);
    uint64_t items[BATCH];
    int ok = x && p, tty = isatty(2);
    xs_error err = {0};
    for (size_t b0 = 0; ok && b0 < n; b0 += BATCH) {
        size_t b = n - b0 < BATCH ? n - b0 : BATCH;
        for (size_t k = 0; k < b; k++) items[k] = idx[b0 + k]; /* crystal i always gets augmentation item i */
        if (xs_train_render(ds, idx + b0, b, &m->grid, &aug, seed, items, 2, x, &err) != XS_OK ||
            xs_nn_ensemble_forward(m->ens, x, (int)b, p, &err) != XS_OK ||
            xs_eval_apply_class_prior(m->net, class_prior, p, (int)b, &err) != XS_OK) {
            xs_cli_print_error(&err);
            ok = 0;
            break;
        }
        for (size_t k = 0; k < b; k++) {
            int g = xs_dataset_space_group(ds, idx[b0 + k]);
            if (xs_eval_add(rs->ev, g, p + k * (size_t)m->nc, &err) != XS_OK) {
                xs_cli_print_error(&err);
                rs->failed++;
                continue;
            }
            char name[600];
            snprintf(name, sizeof name, "%s crystal %zu (%s)", ds_path, idx[b0 + k], xs_dataset_formula(ds, idx[b0 + k]));
            keep_first(rs, m, m->nc, name, g, x + k * m->grid.count, p + k * (size_t)m->nc);
            keep_output(rs, m->nc, name, g, p + k * (size_t)m->nc);
        }
        if (tty) fprintf(stderr, "\rxrdsym evaluate: %zu / %zu", b0 + b, n);
    }
    if (tty) fputc('\n', stderr);
    free(x);
    free(p);
    free(idx);
    return ok;
}

/* ---- JSON ---- */
typedef struct {
    const char *model, *label_kind, *source_kind, *split;
    const char **files;
    int n_files;
    uint64_t seed;
    int members;
    const run_state *rs;
    const xs_eval_results *res;
    const size_t *abundance;
    const char *abundance_source;
    double spearman;
    double sample_prior_power; /* the model's training class distribution, prior^t (0: uniform) */
    const char *labels_path;   /* --labels, or NULL */
    xs_cli_angle_correction angles; /* --zero-shift, --displacement, --goniometer-radius on the patterns */
    const char *training_split;     /* --data: check_training_split's verdict */
} json_view;

static void jnum(FILE *o, double v)
{
    if (isfinite(v)) fprintf(o, "%.10g", v);
    else fputs("null", o);
}

/* A separator and key ("..., \"key\": "), then a number. */
static void jkv(FILE *o, const char *sep_key, double v)
{
    fputs(sep_key, o);
    jnum(o, v);
}

static void jnums(FILE *o, const double *v, int n)
{
    fputc('[', o);
    for (int i = 0; i < n; i++) jkv(o, i ? ", " : "", v[i]);
    fputc(']', o);
}

/* The edges of bins of equal width over 0..1: bins + 1 numbers. */
static void jbin_edges(FILE *o, int bins)
{
    fputs("[", o);
    for (int b = 0; b <= bins; b++) {
        if (b) fputs(", ", o);
        jnum(o, (double)b / bins);
    }
    fputs("]", o);
}

/* the number right behind an accuracy of n samples (the accuracies are right / n) */
static int interval95(double acc, size_t n, double *lo, double *hi)
{
    if (!isfinite(acc) || n == 0) return 0;
    double right = nearbyint(acc * (double)n);
    xs_eval_wilson_interval((size_t)right, n, 1.959963984540054, lo, hi);
    return isfinite(*lo);
}

/* [lo, hi] of the 95% interval, or null */
static void jinterval(FILE *o, double acc, size_t n)
{
    double lo, hi;
    if (!interval95(acc, n, &lo, &hi)) {
        fputs("null", o);
        return;
    }
    fprintf(o, "[%.10g, %.10g]", lo, hi);
}

static void jcounts(FILE *o, const size_t *v, int n)
{
    fputc('[', o);
    for (int i = 0; i < n; i++) fprintf(o, "%s%zu", i ? ", " : "", v[i]);
    fputc(']', o);
}

static int write_json(FILE *o, void *ctx)
{
    const json_view *v = ctx;
    const xs_eval_results *r = v->res;
    int sgm = r->task == XS_EVAL_SPACE_GROUP;
    fputs("{\n  \"model\": ", o);
    xs_cli_json_string(o, v->model);
    fprintf(o, ", \"model_members\": %d, \"combine\": \"%s\", \"prior\": \"%s\", \"training_prior_power\": %.17g, \"label_kind\": ",
            v->members, xs_nn_combine_name(combine), xs_eval_prior_name(class_prior), v->sample_prior_power);
    xs_cli_json_string(o, v->label_kind);
    fputs(",\n  \"source\": {\"kind\": ", o);
    xs_cli_json_string(o, v->source_kind);
    if (v->split) {
        fputs(", \"data\": ", o);
        xs_cli_json_string(o, v->files[0]);
        fputs(", \"split\": ", o);
        xs_cli_json_string(o, v->split);
        fprintf(o, ", \"augmentation_seed\": %llu, \"augmentation\": ", (unsigned long long)v->seed);
        xs_cli_json_string(o, augmentation_used);
        fputs(", \"training_split\": ", o);
        xs_cli_json_string(o, v->training_split ? v->training_split : "not checked");
    } else {
        fputs(", \"files\": [", o);
        for (int i = 0; i < v->n_files; i++) {
            if (i) fputs(", ", o);
            xs_cli_json_string(o, v->files[i]);
        }
        fputc(']', o);
        jkv(o, ", \"zero_shift_deg\": ", v->angles.zero_shift);
        jkv(o, ", \"displacement_mm\": ", v->angles.displacement);
        jkv(o, ", \"goniometer_radius_mm\": ", v->angles.radius); /* 0: each file's own */
    }
    fputs(", \"labels\": ", o);
    if (v->labels_path) xs_cli_json_string(o, v->labels_path);
    else fputs("null", o);
    fprintf(o, ", \"skipped_unlabelled\": %zu, \"failed\": %zu, \"assumed_cu_kalpha\": %zu},\n", v->rs->unlabelled,
            v->rs->failed, v->rs->assumed_cu);
    fprintf(o, "  \"n\": %zu,\n", r->n);
    jkv(o, "  \"accuracy\": {\"space_group\": ", r->acc_space_group);
    jkv(o, ", \"crystal_system\": ", r->acc_crystal_system);
    jkv(o, ", \"crystal_system_of_top_space_group\": ", sgm ? r->acc_crystal_system_of_top : NAN);
    jkv(o, ", \"centrosymmetric_space_group\": ", r->acc_centrosymmetric);
    jkv(o, ", \"extinction_class\": ", r->acc_extinction_class);
    jkv(o, ", \"extinction_class_summed\": ", r->acc_extinction_class_summed);
    fprintf(o, ", \"n_centrosymmetric\": %zu,\n    \"note\": ", r->n_centrosymmetric);
    xs_cli_json_string(o, sgm ? "crystal_system: the system whose groups' probabilities sum highest; "
                                "centrosymmetric_space_group: samples with a centrosymmetric true group, output "
                                "renormalised over the 92 centrosymmetric groups; extinction_class: the top group "
                                "puts its peaks where the true group does (groups that peak positions cannot tell "
                                "apart count as right); extinction_class_summed: the class whose groups' "
                                "probabilities sum highest is the true group's"
                          : v->rs->cs_mode ? "patterns labelled by crystal system only (--labels): the model's "
                                             "outputs summed over each system's classes; no space-group figures"
                                           : "crystal-system model: no space-group figures");
    fputs("},\n  \"interval95\": {\"space_group\": ", o);
    jinterval(o, r->acc_space_group, r->n);
    fputs(", \"crystal_system\": ", o);
    jinterval(o, r->acc_crystal_system, r->n);
    fputs(", \"centrosymmetric_space_group\": ", o);
    jinterval(o, r->acc_centrosymmetric, r->n_centrosymmetric);
    fputs(", \"extinction_class\": ", o);
    jinterval(o, r->acc_extinction_class, r->n);
    fputs(", \"extinction_class_summed\": ", o);
    jinterval(o, r->acc_extinction_class_summed, r->n);
    fputs(", \"accuracy_at_half\": ", o);
    jinterval(o, r->accuracy_at_half, r->accepted_at_half);
    fputs(", \"note\": ", o);
    xs_cli_json_string(o, "Wilson score intervals (95%) of the accuracies above: where the accuracy on all such "
                          "patterns may lie");
    fputs("},\n  \"top_n\": {\"space_group\": ", o);
    if (sgm) jnums(o, r->top_n_space_group, XS_EVAL_TOP_N);
    else fputs("null", o);
    fputs(", \"crystal_system\": ", o);
    jnums(o, r->top_n_crystal_system, XS_CRYSTAL_SYSTEM_COUNT);
    fputs("},\n", o);

    fputs("  \"certainty\": {\"bin_edges\": ", o);
    jbin_edges(o, XS_EVAL_CERTAINTY_BINS);
    fputs(", \"right\": ", o);
    jcounts(o, r->certainty_right, XS_EVAL_CERTAINTY_BINS);
    fputs(", \"wrong\": ", o);
    jcounts(o, r->certainty_wrong, XS_EVAL_CERTAINTY_BINS);
    jkv(o, ", \"mean_right\": ", r->mean_certainty_right);
    jkv(o, ", \"mean_wrong\": ", r->mean_certainty_wrong);
    fputs("},\n", o);

    fputs("  \"calibration\": {\"bin_edges\": ", o);
    jbin_edges(o, XS_EVAL_CALIBRATION_BINS);
    fputs(", \"count\": ", o);
    jcounts(o, r->calibration_count, XS_EVAL_CALIBRATION_BINS);
    fputs(",\n    \"mean_certainty\": ", o);
    jnums(o, r->calibration_certainty, XS_EVAL_CALIBRATION_BINS);
    fputs(",\n    \"accuracy\": ", o);
    jnums(o, r->calibration_accuracy, XS_EVAL_CALIBRATION_BINS);
    jkv(o, ",\n    \"expected_calibration_error\": ", r->calibration_error);
    jkv(o, ", \"log_loss\": ", r->log_loss);
    fputs(", \"note\": ", o);
    xs_cli_json_string(o, "samples binned by certainty: each bin's mean certainty against its fraction right; "
                          "expected calibration error: sum over bins of count/n |accuracy - mean_certainty|; "
                          "log_loss: mean -ln(probability of the true answer), floored at 1e-12");
    fputs("},\n", o);

    jkv(o, "  \"refusal\": {\"accuracy_at_half\": ", r->accuracy_at_half);
    jkv(o, ", \"threshold_at_half\": ", r->threshold_at_half);
    fprintf(o, ", \"accepted_at_half\": %zu, \"threshold\": ", r->accepted_at_half);
    jnum(o, r->threshold);
    jkv(o, ", \"accuracy_at_threshold\": ", r->accuracy_at_threshold);
    jkv(o, ", \"unclassified_at_threshold\": ", r->unclassified_at_threshold);
    fputs(",\n    \"curve\": {\"threshold\": ", o);
    jnums(o, r->refusal_threshold, XS_EVAL_THRESHOLDS);
    fputs(",\n      \"accuracy\": ", o);
    jnums(o, r->refusal_accuracy, XS_EVAL_THRESHOLDS);
    fputs(",\n      \"unclassified\": ", o);
    jnums(o, r->refusal_unclassified, XS_EVAL_THRESHOLDS);
    fputs("}},\n", o);

    fputs("  \"confusion\": {\"crystal_system\": {\"labels\": [", o);
    for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++) {
        if (k) fputs(", ", o);
        xs_cli_json_string(o, xs_crystal_system_name((xs_crystal_system)k));
    }
    fputs("], \"rows_true_columns_predicted\": [", o);
    for (int t = 0; t < XS_CRYSTAL_SYSTEM_COUNT; t++) {
        if (t) fputs(", ", o);
        jcounts(o, r->confusion_crystal_system[t], XS_CRYSTAL_SYSTEM_COUNT);
    }
    fputs("]},\n    \"space_group\": ", o);
    if (sgm) {
        fputs("{\"format\": \"[true, predicted, count] for every nonzero cell; predicted 0: a class of no group\", "
              "\"entries\": [",
              o);
        int first = 1;
        for (int t = 1; t <= 230; t++)
            for (int q = 0; q <= 230; q++)
                if (r->confusion_space_group[t][q]) {
                    fprintf(o, "%s[%d, %d, %u]", first ? "" : ", ", t, q, r->confusion_space_group[t][q]);
                    first = 0;
                }
        fputs("]}", o);
    } else {
        fputs("null", o);
    }
    fputs("},\n", o);

    fputs("  \"per_space_group\": {\"abundance_source\": ", o);
    if (v->abundance) xs_cli_json_string(o, v->abundance_source);
    else fputs("null", o);
    jkv(o, ", \"spearman_accuracy_vs_abundance\": ", v->spearman);
    fputs(", \"groups\": [", o);
    int first = 1;
    for (int g = 1; g <= 230; g++) {
        if (!r->group_count[g]) continue;
        fprintf(o, "%s\n    {\"space_group\": %d, \"symbol\": ", first ? "" : ",", g);
        xs_cli_json_string(o, xs_sym_symbol(g));
        fprintf(o, ", \"n\": %zu, \"correct\": %zu, \"accuracy\": ", r->group_count[g], r->group_correct[g]);
        jnum(o, (double)r->group_correct[g] / (double)r->group_count[g]);
        fputs(", \"train_abundance\": ", o);
        if (v->abundance) fprintf(o, "%zu}", v->abundance[g]);
        else fputs("null}", o);
        first = 0;
    }
    fputs("]},\n", o);

    fputs("  \"subgroup_distance\": {\"histogram\": ", o);
    if (sgm) jcounts(o, r->distance_histogram, xs_eval_subgroup_diameter() + 1);
    else fputs("null", o);
    jkv(o, ", \"mean\": ", r->mean_distance);
    jkv(o, ", \"mean_wrong\": ", r->mean_distance_wrong);
    fprintf(o, ", \"diameter\": %d, \"graph\": ", xs_eval_subgroup_diameter());
    xs_cli_json_string(o, "maximal non-isomorphic subgroups (1,294 edges, "
                          "../shared/data/symmetry/maximal_subgroup_edges.tsv), shortest path with edges "
                          "undirected; histogram[d]: samples whose predicted group is d steps from the true");
    fputs("}\n}\n", o);
    return 1;
}

/* ---- summary ---- */
/* "   (95%: lo-hi%)" and the end of the line */
static void print_interval95(double v, size_t n)
{
    double lo, hi;
    if (interval95(v, n, &lo, &hi)) printf("   (95%%: %.1f-%.1f%%)", 100 * lo, 100 * hi);
    printf("\n");
}

static void pct(const char *what, double v, size_t n)
{
    if (!isfinite(v)) return;
    printf("  %-30s %5.1f%%", what, 100 * v);
    print_interval95(v, n);
}

static void print_summary(const model_info *m, const json_view *v, const char *json_path)
{
    const xs_eval_results *r = v->res;
    int sgm = r->task == XS_EVAL_SPACE_GROUP;
    printf("%s: %s model, %d classes, %d member(s)%s%s\n", m->path, m->sg_model ? "space-group" : "crystal-system", m->nc,
           v->members, v->members > 1 && combine == XS_NN_COMBINE_GEOMETRIC ? ", their geometric mean" : "",
           v->rs->cs_mode ? "; judged on crystal systems (the labels give no more)" : "");
    printf("%zu samples from %s%s%s", r->n, v->split ? v->files[0] : (v->n_files == 1 ? v->files[0] : "the files"),
           v->split ? ", split " : "", v->split ? v->split : "");
    if (v->rs->unlabelled) printf(" (%zu unlabelled skipped)", v->rs->unlabelled);
    if (v->rs->failed) printf(" (%zu failed)", v->rs->failed);
    printf("\n");
    if (sgm) {
        pct("space group", r->acc_space_group, r->n);
        pct("crystal system (summed)", r->acc_crystal_system, r->n);
        pct("crystal system of top group", r->acc_crystal_system_of_top, r->n);
        pct("same peak positions (class)", r->acc_extinction_class, r->n);
        pct("same peak positions (summed)", r->acc_extinction_class_summed, r->n);
        if (r->n_centrosymmetric) {
            char what[64];
            snprintf(what, sizeof what, "centrosymmetric (n = %zu)", r->n_centrosymmetric);
            pct(what, r->acc_centrosymmetric, r->n_centrosymmetric);
        }
        printf("  top-n space group             ");
        for (int k = 0; k < XS_EVAL_TOP_N; k++) printf(" %.0f", 100 * r->top_n_space_group[k]);
        printf(" %%\n");
    } else {
        pct("crystal system", r->acc_crystal_system, r->n);
        printf("  top-n crystal system          ");
        for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++) printf(" %.0f", 100 * r->top_n_crystal_system[k]);
        printf(" %%\n");
    }
    printf("  half refused: %.1f%% right on the %zu most certain (certainty >= %.3f)", 100 * r->accuracy_at_half,
           r->accepted_at_half, r->threshold_at_half);
    print_interval95(r->accuracy_at_half, r->accepted_at_half);
    if (isfinite(r->accuracy_at_threshold))
        printf("  threshold %.2f: %.1f%% unclassified, %.1f%% right on the rest\n", r->threshold,
               100 * r->unclassified_at_threshold, 100 * r->accuracy_at_threshold);
    else
        printf("  threshold %.2f: all unclassified\n", r->threshold);
    printf("  calibration: certainty off the fraction right by %.3f on average (10 bins); log loss %.2f\n",
           r->calibration_error, r->log_loss);
    if (sgm && isfinite(r->mean_distance_wrong)) {
        size_t wrong = r->n - r->distance_histogram[0];
        printf("  wrong groups: mean subgroup-graph distance %.2f; %.0f%% are a maximal sub- or supergroup\n",
               r->mean_distance_wrong, wrong ? 100.0 * (double)r->distance_histogram[1] / (double)wrong : 0.0);
    }
    if (isfinite(v->spearman))
        printf("  per-group accuracy vs training abundance: Spearman %.2f (%s)\n", v->spearman, v->abundance_source);
    printf("  written: %s\n", json_path);
}

int xs_cmd_evaluate(int argc, char **argv)
{
    const char *model_path = NULL, *data_path = NULL, *split_name = "test", *json_path = NULL, *plots = NULL;
    const char *training_split = NULL; /* --data: whether the model trained on this file's split */
    const char *wl_arg = NULL, *abundance_path = NULL, *outputs_path = NULL, *labels_path = NULL;
    double threshold = -1, min_coverage = 0.5;
    xs_cli_angle_correction angles = {0};
    uint64_t seed = 0, limit = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int n_files = 0, bad = !files;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "--model") && more) model_path = argv[++i];
        else if (!strcmp(a, "--patterns") && more) {
            while (i + 1 < argc && (argv[i + 1][0] != '-' || !argv[i + 1][1])) files[n_files++] = argv[++i];
        } else if (!strcmp(a, "--data") && more) data_path = argv[++i];
        else if (!strcmp(a, "--split") && more) split_name = argv[++i];
        else if (!strcmp(a, "--threshold") && more)
            bad = !xs_cli_parse_double("evaluate", a, argv[++i], &threshold) ||
                  !xs_cli_require("evaluate", a, threshold >= 0 && threshold <= 1, "0..1", argv[i]);
        else if (!strcmp(a, "--seed") && more) bad = !xs_cli_parse_u64("evaluate", a, argv[++i], &seed);
        else if (!strcmp(a, "--limit") && more) bad = !xs_cli_parse_u64("evaluate", a, argv[++i], &limit);
        else if (!strcmp(a, "--json") && more) json_path = argv[++i];
        else if (!strcmp(a, "--plots") && more) plots = argv[++i];
        else if (!strcmp(a, "--augmentation") && more) {
            xs_error aerr = {0};
            augmentation_override = argv[++i];
            if (xs_aug_options_parse(augmentation_override, &augmentation_given, &aerr) != XS_OK) {
                fprintf(stderr, "xrdsym evaluate: --augmentation: %s\n", aerr.message);
                bad = 1;
            }
        }
        else if (!strcmp(a, "--outputs") && more) outputs_path = argv[++i];
        else if (!strcmp(a, "--labels") && more) labels_path = argv[++i];
        else if (!strcmp(a, "--wavelength") && more) wl_arg = argv[++i];
        else if (!strcmp(a, "--abundance") && more) abundance_path = argv[++i];
        else if (!strcmp(a, "--combine") && more) bad = !xs_cli_parse_combine("evaluate", argv[++i], &combine), combine_given = 1;
        else if (!strcmp(a, "--prior") && more) {
            bad = !xs_cli_parse_prior("evaluate", argv[++i], &class_prior);
        }
        else if (!strcmp(a, "--min-coverage") && more)
            bad = !xs_cli_parse_double("evaluate", a, argv[++i], &min_coverage) ||
                  !xs_cli_require("evaluate", a, min_coverage > 0 && min_coverage <= 1, "above 0 and at most 1", argv[i]);
        else if (xs_cli_angle_option("evaluate", argc, argv, &i, &angles, &bad)) continue;
        else {
            fprintf(stderr, "xrdsym evaluate: unknown or incomplete option %s\n", a);
            bad = 1;
        }
    }
    int split = !strcmp(split_name, "train") ? XS_SPLIT_TRAIN : !strcmp(split_name, "val") ? XS_SPLIT_VAL
              : !strcmp(split_name, "test") ? XS_SPLIT_TEST : !strcmp(split_name, "all") ? -1 : -2;
    if (!bad && split == -2) {
        fprintf(stderr, "xrdsym evaluate: --split is test, val, train or all, not '%s'\n", split_name);
        bad = 1;
    }
    if (!bad && (!json_path || (!n_files) == (!data_path))) {
        fprintf(stderr, "xrdsym evaluate: give --json and either --patterns FILE... or --data FILE.h5\n");
        bad = 1;
    }
    if (!bad && labels_path && data_path) {
        fprintf(stderr, "xrdsym evaluate: --labels labels --patterns files; a dataset's crystals carry their groups\n");
        bad = 1;
    }
    if (!bad && (angles.zero_shift != 0 || angles.displacement != 0 || angles.radius != 0) && data_path) {
        fprintf(stderr, "xrdsym evaluate: --zero-shift, --displacement and --goniometer-radius correct measured "
                        "--patterns; --data renders its own\n");
        bad = 1;
    }
    if (!bad && augmentation_override && !data_path) {
        fprintf(stderr, "xrdsym evaluate: --augmentation renders --data; measured --patterns are used as they are\n");
        bad = 1;
    }
    xs_error err = {0};
    double user_wl = 0;
    if (!bad && wl_arg && xs_xrd_wavelength(wl_arg, &user_wl, &err) != XS_OK) {
        xs_cli_print_error(&err);
        bad = 1;
    }
    if (bad) {
        usage(stderr);
        free(files);
        return 2;
    }

    model_info m;
    memset(&m, 0, sizeof m);
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.keep_outputs = outputs_path != NULL;
    xs_cli_label_table labels;
    memset(&labels, 0, sizeof labels);
    xs_dataset *ds = NULL, *ab_ds = NULL;
    xs_eval_results *res = NULL;
    size_t *abundance = NULL;
    char abundance_source[PATH_MAX + 64] = "";
    int status = 1;
    if (!model_open(&m, model_path)) goto done;
    /* the model file says how its members are combined unless --combine does */
    if (combine_given) xs_nn_ensemble_set_combine(m.ens, combine, NULL);
    combine = xs_nn_ensemble_combine(m.ens);
    if (threshold < 0) {
        const char *t = xs_nn_get_meta(m.net, "refusal_threshold");
        threshold = t ? atof(t) : 0.5;
        if (!(threshold >= 0 && threshold <= 1)) threshold = 0.5;
    }
    if (labels_path) {
        if (xs_cli_label_table_read(labels_path, &labels, &err) != XS_OK) {
            xs_cli_print_error(&err);
            goto done;
        }
        if (!(rs.label_used = calloc(labels.n, 1))) {
            fprintf(stderr, "xrdsym evaluate: out of memory\n");
            goto done;
        }
        rs.labels = &labels;
        rs.cs_mode = !labels.has_group; /* crystal systems only: any model judged on its summed systems */
    }
    if ((rs.cs_mode ? xs_eval_create(XS_EVAL_CRYSTAL_SYSTEM, XS_CRYSTAL_SYSTEM_COUNT, NULL, &rs.ev, &err)
                    : xs_eval_create(m.sg_model ? XS_EVAL_SPACE_GROUP : XS_EVAL_CRYSTAL_SYSTEM, m.nc, m.class_label,
                                     &rs.ev, &err)) != XS_OK) {
        xs_cli_print_error(&err);
        goto done;
    }
    if (data_path) {
        if (xs_dataset_open(data_path, &ds, &err) != XS_OK) {
            if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", data_path);
            xs_cli_print_error(&err);
            goto done;
        }
        files[n_files++] = data_path;
        training_split = check_training_split(&m, ds, data_path);
        if (!run_dataset(&rs, &m, ds, data_path, split, (size_t)limit, seed)) goto done;
    } else if (!run_patterns(&rs, &m, files, n_files, user_wl, min_coverage, &angles)) {
        goto done;
    }
    if (rs.labels) {
        size_t unused = 0;
        for (size_t i = 0; i < labels.n; i++) unused += !rs.label_used[i];
        if (unused)
            fprintf(stderr, "xrdsym evaluate: warning: %zu of the %zu rows of %s named no pattern read\n", unused,
                    labels.n, labels_path);
    }
    if (rs.assumed_cu)
        fprintf(stderr, "xrdsym evaluate: %zu pattern(s) do not state a wavelength: Cu K-alpha %.5f A assumed "
                        "(use --wavelength)\n", rs.assumed_cu, XS_CU_KALPHA);
    if (!xs_eval_count(rs.ev)) {
        fprintf(stderr, "xrdsym evaluate: no labelled pattern could be evaluated (%zu unlabelled, %zu failed)\n",
                rs.unlabelled, rs.failed);
        goto done;
    }

    /* abundance in training: --abundance, else the --data file, else the model's training data */
    const char *model_data = xs_nn_get_meta(m.net, "data");
    const xs_dataset *ab_from = NULL;
    if (abundance_path || (!ds && model_data && model_data[0] && access(model_data, R_OK) == 0)) {
        const char *p = abundance_path ? abundance_path : model_data;
        if (xs_dataset_open(p, &ab_ds, &err) == XS_OK) {
            ab_from = ab_ds;
            snprintf(abundance_source, sizeof abundance_source, "training split of %s", p);
        } else {
            fprintf(stderr, "xrdsym evaluate: no abundance per group: ");
            xs_cli_print_error(&err);
        }
    } else if (ds) {
        ab_from = ds;
        snprintf(abundance_source, sizeof abundance_source, "training split of %s", data_path);
    }
    res = malloc(sizeof *res);
    if (!res || xs_eval_compute(rs.ev, threshold, res, &err) != XS_OK) {
        xs_cli_print_error(&err);
        goto done;
    }
    double spearman = NAN;
    if (ab_from) {
        abundance = malloc(231 * sizeof *abundance);
        if (abundance) {
            xs_eval_dataset_counts(ab_from, XS_SPLIT_TRAIN, abundance);
            spearman = xs_eval_abundance_correlation(res, abundance);
        }
    }
    json_view v = {m.path, xs_nn_label_kind(m.net), data_path ? "dataset" : "patterns", data_path ? split_name : NULL,
                   files, n_files, seed, xs_nn_ensemble_size(m.ens), &rs, res, abundance, abundance_source, spearman,
                   xs_nn_get_meta_number(m.net, "sample_prior_power", 0), labels_path, angles, training_split};
    if (!xs_cli_write_atomic(json_path, write_json, &v, "evaluate")) goto done;
    print_summary(&m, &v, json_path);
    status = rs.failed ? 1 : 0;
    if (plots) {
        char title[2 * PATH_MAX + 256];
        const char *mbase = xs_cli_base_name(m.path);
        const char *sbase = xs_cli_base_name(files[0]);
        snprintf(title, sizeof title, "%s on %s%s%s (%zu %s)", mbase, sbase, data_path ? ", " : "",
                 data_path ? split_name : "", res->n, data_path ? "crystals" : "patterns");
        const char *system_names[XS_CRYSTAL_SYSTEM_COUNT];
        for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++) system_names[k] = xs_crystal_system_name((xs_crystal_system)k);
        xs_cli_eval_plot_input pin = {title, res, abundance, abundance_source, spearman, rs.first_name, rs.first_group,
                                      &m.grid, rs.first_x, rs.first_p, rs.cs_mode ? XS_CRYSTAL_SYSTEM_COUNT : m.nc,
                                      m.sg_model && !rs.cs_mode ? m.class_label : NULL,
                                      rs.cs_mode ? (const char *const *)system_names : (const char *const *)m.class_name};
        int written = xs_cli_eval_plots(plots, &pin);
        if (written < 0) status = 1;
        else printf("  plots: %d SVG files in %s\n", written, plots);
    }
    if (outputs_path) {
        outputs_view ov = {&rs, &m};
        if (rs.out_failed) {
            fprintf(stderr, "xrdsym evaluate: out of memory keeping the outputs; %s not written\n", outputs_path);
            status = 1;
        } else if (!xs_cli_write_atomic(outputs_path, write_outputs, &ov, "evaluate")) {
            status = 1;
        } else {
            printf("  outputs: %zu rows in %s\n", rs.out_n, outputs_path);
        }
    }
done:
    xs_cli_label_table_free(&labels);
    free(rs.label_used);
    for (size_t i = 0; i < rs.out_n; i++) free(rs.out_name[i]);
    free(rs.out_name);
    free(rs.out_label);
    free(rs.out_p);
    free(res);
    free(abundance);
    free(rs.first_x);
    free(rs.first_p);
    xs_eval_free(rs.ev);
    xs_dataset_free(ds);
    xs_dataset_free(ab_ds);
    model_close(&m);
    free(files);
    return status;
}
