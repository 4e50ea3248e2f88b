#include "cli.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym predict [--model MODEL.h5] FILE... [options]\n"
            "  Crystal system and space group of measured powder patterns: .xy .xye .csv .txt (two columns,\n"
            "  RRUFF text), the one-pattern-a-line table, PANalytical .xrdml, Rigaku .ras and .rasx, Bruker .raw\n"
            "  (versions 3 and 4) and .brml, GSAS .gsa/.fxye, powder CIF (the measured profile of a Rietveld CIF).\n"
            "  --model FILE      model or ensemble (default: the shipped models/default.h5)\n"
            "  --top K           guesses to list (default 5)\n"
            "  --threshold T     refuse when the certainty (largest probability) is below T (default: the\n"
            "                    model's own, else 0.5)\n"
            "  --wavelength W    angstrom or a name (CuKa, MoKa, CoKa, ...) for files that do not state it (a\n"
            "                    text header states it as 'wavelength 1.5406', '0.15406 nm', 'energy 17 keV'\n"
            "                    or 'Cu K-alpha')\n"
            "  --zero-shift Z    the diffractometer's zero error in degrees 2theta (measured = true + Z, e.g.\n"
            "                    from a silicon standard), subtracted from every angle (at most 2 deg)\n"
            "  --displacement H  the sample surface H mm above the goniometer axis (a sample too high: peaks at\n"
            "                    higher angles, by 2 H cos(theta) / R rad), corrected; the goniometer radius R\n"
            "                    from the file (.xrdml), else from --goniometer-radius R (mm)\n"
            "  --min-coverage F  least fraction of the model's grid the pattern must cover (default 0.5)\n"
            "  --prior mp|minerals|uniform  outputs reweighted to the space-group frequencies of real materials\n"
            "                    (the Materials Project's structures; default), of minerals (the COD's\n"
            "                    inorganic structures, smoothed towards the Materials Project's), or for\n"
            "                    groups all equally likely (a network's own outputs, or with the prior it\n"
            "                    learned divided out)\n"
            "  --combine mean|geometric  how an ensemble's members are combined: the mean of their\n"
            "                    probabilities or their geometric mean (README measures both); default:\n"
            "                    as the model file says (xrdsym ensemble --combine), else the mean\n"
            "  --reference REF.h5  also the nearest known structures: the simulated patterns of a dataset of\n"
            "                    structures (xrdsym dataset structures FILE... --out REF.h5), each with its space\n"
            "                    group and similarity (search-match; see xs_match.h)\n"
            "  --matches K       nearest references to list (default 3)\n"
            "  --format text|json|tsv  (a file that cannot be classified: its error on stderr, and in json\n"
            "                    a record {\"file\", \"error\": {message, line, column}}, in tsv a line\n"
            "                    '# error<TAB>file<TAB>line<TAB>message'; what a file that was read left\n"
            "                    out: a warning on stderr, in json each of its records' file_warnings\n"
            "                    [{message, line}], in tsv '# warning<TAB>file<TAB>line<TAB>message')\n");
}

typedef struct {
    int cls;
    float p;
} ranked;

static int by_p(const void *a, const void *b)
{
    float pa = ((const ranked *)a)->p, pb = ((const ranked *)b)->p;
    return pa < pb ? 1 : pa > pb ? -1 : ((const ranked *)a)->cls - ((const ranked *)b)->cls;
}

/* A similarity from which the RRUFF patterns' nearest references had their group 18 times of 18 (README). */
#define MATCH_CLOSE 0.7

/* A file or pattern that could not be classified: the error on stderr as always, and in the JSON and TSV
 * output as well, so that a batch run's table accounts for every input (a record with "error" in JSON, a
 * comment line "# error<TAB>name<TAB>line<TAB>message" in TSV, which table readers skip). */
/* A '# KIND<TAB>file<TAB>line<TAB>message' line of the TSV output, the message on one line. */
static void tsv_note(const char *kind, const char *name, const xs_error *e)
{
    printf("# %s\t%s\t%d\t", kind, name, e->line);
    for (const char *c = e->message; *c; c++) putchar(*c == '\t' || *c == '\n' || *c == '\r' ? ' ' : *c);
    printf("\n");
}

static void report_failure(const char *format, const char *name, const xs_error *err, int *first_json)
{
    xs_cli_print_error(err);
    if (!strcmp(format, "json")) {
        printf("%s\n  {\"file\": ", *first_json ? "" : ",");
        *first_json = 0;
        xs_cli_json_string(stdout, name);
        printf(", \"error\": {\"message\": ");
        xs_cli_json_string(stdout, err->message);
        printf(", \"line\": %d, \"column\": %d}}", err->line, err->column);
    } else if (!strcmp(format, "tsv")) {
        tsv_note("error", name, err);
    }
}

int xs_cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL, *format = "text", *wl_arg = NULL, *ref_path = NULL;
    int top = 5, n_matches = 3;
    xs_eval_prior prior = XS_PRIOR_MATERIALS_PROJECT;
    xs_nn_combine combine = XS_NN_COMBINE_MEAN;
    int combine_given = 0;
    double threshold = -1, min_coverage = 0.5;
    xs_cli_angle_correction angles = {0};
    const char **files = calloc((size_t)argc, sizeof *files);
    int n_files = 0, bad = !files;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "--model") && more) model_path = argv[++i];
        else if (!strcmp(a, "--top") && more) bad = !xs_cli_parse_int("predict", a, argv[++i], &top) || !xs_cli_require("predict", a, top >= 1, "at least 1", argv[i]);
        else if (!strcmp(a, "--threshold") && more)
            bad = !xs_cli_parse_double("predict", a, argv[++i], &threshold) ||
                  !xs_cli_require("predict", a, threshold >= 0 && threshold <= 1, "0..1", argv[i]);
        else if (!strcmp(a, "--wavelength") && more) wl_arg = argv[++i];
        else if (xs_cli_angle_option("predict", argc, argv, &i, &angles, &bad)) continue;
        else if (!strcmp(a, "--min-coverage") && more)
            bad = !xs_cli_parse_double("predict", a, argv[++i], &min_coverage) ||
                  !xs_cli_require("predict", a, min_coverage > 0 && min_coverage <= 1, "above 0 and at most 1", argv[i]);
        else if (!strcmp(a, "--format") && more) format = argv[++i];
        else if (!strcmp(a, "--reference") && more) ref_path = argv[++i];
        else if (!strcmp(a, "--matches") && more) bad = !xs_cli_parse_int("predict", a, argv[++i], &n_matches) || !xs_cli_require("predict", a, n_matches >= 1, "at least 1", argv[i]);
        else if (!strcmp(a, "--combine") && more) bad = !xs_cli_parse_combine("predict", argv[++i], &combine), combine_given = 1;
        else if (!strcmp(a, "--prior") && more) {
            const char *pr = argv[++i];
            if (!xs_cli_parse_prior("predict", pr, &prior)) {
                free(files);
                return 2;
            }
        }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "xrdsym predict: unknown or incomplete option %s\n", a);
            usage(stderr);
            free(files);
            return 2;
        } else files[n_files++] = a;
    }
    if (bad || !n_files || (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "tsv"))) {
        usage(stderr);
        free(files);
        return 2;
    }
    xs_error err = {0};
    double user_wl = 0;
    if (wl_arg && xs_xrd_wavelength(wl_arg, &user_wl, &err) != XS_OK) {
        xs_cli_print_error(&err);
        free(files);
        return 2;
    }
    xs_nn_ensemble *ens = NULL;
    char used[PATH_MAX + 64];
    if (xs_cli_load_model(model_path, &ens, used, sizeof used, &err) != XS_OK) {
        xs_cli_print_error(&err);
        free(files);
        return 1;
    }
    /* the model file says how its members are combined unless --combine does */
    if (combine_given) xs_nn_ensemble_set_combine(ens, combine, NULL);
    combine = xs_nn_ensemble_combine(ens);
    xs_nn *net = xs_nn_ensemble_member(ens, 0);
    xs_nn_grid mg;
    if (!xs_nn_get_grid(net, &mg)) {
        fprintf(stderr, "xrdsym predict: %s has no input grid\n", used);
        xs_nn_ensemble_free(ens);
        free(files);
        return 1;
    }
    if (threshold < 0) {
        const char *t = xs_nn_get_meta(net, "refusal_threshold");
        threshold = t ? atof(t) : 0.5;
    }
    int nc = xs_nn_n_classes(net);
    int sg_model = !strcmp(xs_nn_label_kind(net), "space_group");
    if (top > nc) top = nc;
    xs_grid grid = {mg.two_theta_start, mg.two_theta_step, (size_t)mg.count};
    xs_dataset *refs = NULL;
    xs_match_library *lib = NULL;
    if (ref_path && (xs_dataset_open(ref_path, &refs, &err) != XS_OK ||
                     xs_match_library_create(refs, &grid, mg.wavelength, XS_MATCH_DEFAULT_MAX_SHIFT, &lib, &err) != XS_OK)) {
        if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", ref_path);
        xs_cli_print_error(&err);
        xs_dataset_free(refs);
        xs_nn_ensemble_free(ens);
        free(files);
        return 1;
    }
    float *x = malloc(grid.count * sizeof *x), *probs = malloc((size_t)nc * sizeof *probs);
    ranked *rk = malloc((size_t)nc * sizeof *rk);
    int *class_group = malloc((size_t)nc * sizeof *class_group); /* group of each class, 0 none */
    for (int c = 0; class_group && c < nc; c++) class_group[c] = sg_model ? xs_cli_class_space_group(net, c) : 0;
    if (lib && (size_t)n_matches > xs_match_library_count(lib)) n_matches = (int)xs_match_library_count(lib);
    xs_match_hit *hits = malloc((size_t)n_matches * sizeof *hits);
    xs_cli_warnings *warnings = calloc(1, sizeof *warnings);
    int status = 0, first_json = 1;
    if (!x || !probs || !rk || !hits || !class_group || !warnings) {
        fprintf(stderr, "xrdsym predict: out of memory\n");
        n_files = 0;
        status = 1;
    }
    if (!strcmp(format, "json")) printf("[");
    if (!strcmp(format, "tsv"))
        printf("# file\tspace_group\tsymbol\tprobability\tcrystal_system\tcs_probability\tcertainty\trefused\ttop%s\n",
               lib ? "\tnearest_reference\treference_space_group\tsimilarity\tshift_deg" : "");
    for (int f = 0; f < n_files; f++) {
        xs_pattern **pats = NULL;
        size_t np = 0;
        if (xs_cli_read_patterns(files[f], warnings, &pats, &np, &err) != XS_OK) {
            report_failure(format, files[f], &err, &first_json);
            status = 1;
            continue;
        }
        if (!strcmp(format, "tsv"))
            for (size_t k = 0; k < warnings->n; k++) tsv_note("warning", files[f], &warnings->items[k]);
        for (size_t q = 0; q < np; q++) {
            xs_pattern *pat = pats[q];
            double radius = 0;
            if (xs_cli_correct_angles("predict", pat, &angles, &radius, &err) != XS_OK) {
                report_failure(format, xs_pattern_name(pat), &err, &first_json);
                status = 1;
                continue;
            }
            xs_wavelength_source from;
            double wl = xs_pattern_choose_wavelength(pat, user_wl, &from);
            const char *wl_source = from == XS_WAVELENGTH_FROM_FILE ? "from the file"
                                  : from == XS_WAVELENGTH_GIVEN     ? "from --wavelength"
                                                                    : "ASSUMED Cu K-alpha (the file does not say; use --wavelength)";
            if (from == XS_WAVELENGTH_FROM_FILE && user_wl > 0 && fabs(wl - user_wl) > 1e-3)
                fprintf(stderr, "xrdsym predict: %s: the file states %.5f A; --wavelength %.5f A is ignored for it\n",
                        xs_pattern_name(pat), wl, user_wl);
            if (from == XS_WAVELENGTH_ASSUMED_CU)
                fprintf(stderr, "xrdsym predict: %s: no wavelength in the file, assuming Cu K-alpha %.5f A\n",
                        xs_pattern_name(pat), XS_CU_KALPHA);
            double coverage = 0;
            if (xs_pattern_to_grid(pat, wl, &grid, mg.wavelength, min_coverage, x, &coverage, &err) != XS_OK ||
                xs_nn_ensemble_forward(ens, x, 1, probs, &err) != XS_OK ||
                xs_eval_apply_class_prior(net, prior, probs, 1, &err) != XS_OK) {
                report_failure(format, xs_pattern_name(pat), &err, &first_json);
                status = 1;
                continue;
            }
            size_t n_hits = 0;
            if (lib && xs_match_find(lib, x, (size_t)n_matches, hits, &n_hits, &err) != XS_OK) {
                /* a pattern with nothing to match is still classified; the match says why it is missing */
                fprintf(stderr, "xrdsym predict: %s: no search-match: %s\n", xs_pattern_name(pat), err.message);
                n_hits = 0;
            }
            for (int c = 0; c < nc; c++) {
                rk[c].cls = c;
                rk[c].p = probs[c];
            }
            qsort(rk, (size_t)nc, sizeof *rk, by_p);
            /* crystal system: the sum of its groups' probabilities (or the class itself) */
            double cs_p[XS_CRYSTAL_SYSTEM_COUNT] = {0};
            for (int c = 0; c < nc; c++) {
                if (sg_model) {
                    int sg = xs_cli_class_space_group(net, c);
                    if (sg) cs_p[xs_sym_crystal_system(sg)] += probs[c];
                } else if (c < XS_CRYSTAL_SYSTEM_COUNT) {
                    cs_p[c] += probs[c];
                }
            }
            int cs_best = 0;
            for (int c = 1; c < XS_CRYSTAL_SYSTEM_COUNT; c++)
                if (cs_p[c] > cs_p[cs_best]) cs_best = c;
            double certainty = rk[0].p;
            int refused = certainty < threshold;
            const char *name = xs_pattern_name(pat);
            char sym[64];
            /* the groups whose peaks lie where the first guess's do: a powder pattern's positions cannot choose */
            int top_sg = class_group[rk[0].cls], peers[230];
            int n_peers = top_sg ? xs_sym_same_extinctions(top_sg, peers, 230) : 0;
            /* and the class the probabilities point to, summed over its groups (it may hold several weak guesses) */
            double ext_prob = 0;
            int ext_groups[230], n_ext = 0;
            int ext_best = sg_model ? xs_eval_extinction_class_sum(class_group, probs, nc, &ext_prob) : 0;
            for (int g = 1; ext_best && g <= 230; g++)
                if (xs_sym_extinction_class(g) == ext_best) ext_groups[n_ext++] = g;
            if (!strcmp(format, "text")) {
                printf("%s\n  wavelength     %.5f A %s; %.0f%% of the model's grid covered\n", name, wl, wl_source,
                       100 * coverage);
                if (angles.zero_shift != 0)
                    printf("  zero error     %+.3f deg subtracted from every 2theta (--zero-shift)\n", angles.zero_shift);
                if (angles.displacement != 0)
                    printf("  displacement   %+.3f mm at a goniometer radius of %g mm corrected (--displacement; "
                           "%+.3f deg at 30 deg)\n", angles.displacement, radius,
                           2 * angles.displacement / radius * cos(15 * M_PI / 180) * 180 / M_PI);
                for (int k = 0; k < top; k++) {
                    int sg = sg_model ? xs_cli_class_space_group(net, rk[k].cls) : 0;
                    if (sg) snprintf(sym, sizeof sym, "%-10s (No. %d)", xs_sym_symbol(sg), sg);
                    else snprintf(sym, sizeof sym, "%s", xs_nn_label(net, rk[k].cls) ? xs_nn_label(net, rk[k].cls) : "?");
                    printf("  %-14s %d. %-22s p = %.3f\n", k == 0 ? (sg_model ? "space group" : "crystal system") : "", k + 1,
                           sym, rk[k].p);
                }
                if (n_peers > 1) {
                    printf("  same peaks as  ");
                    for (int k = 0, shown = 0; k < n_peers; k++)
                        if (peers[k] != top_sg)
                            printf("%s%s (No. %d)", shown++ ? ", " : "", xs_sym_symbol(peers[k]), peers[k]);
                    printf(":\n                 their peaks lie where %s's do; only intensities tell them apart\n",
                           xs_sym_symbol(top_sg));
                }
                if (n_ext) {
                    printf("  peak positions ");
                    for (int k = 0; k < n_ext && k < 6; k++) printf("%s%s", k ? ", " : "", xs_sym_symbol(ext_groups[k]));
                    if (n_ext > 6) printf(" and %d more", n_ext - 6);
                    printf(" (p = %.3f, summed over the groups with these peak positions)\n", ext_prob);
                }
                if (sg_model)
                    printf("  crystal system %s (p = %.3f, summed over its groups)\n",
                           xs_crystal_system_name((xs_crystal_system)cs_best), cs_p[cs_best]);
                printf("  certainty      %.3f: %s (threshold %.2f)\n", certainty,
                       refused ? "REFUSED, too uncertain to answer" : "accepted", threshold);
                for (size_t k = 0; k < n_hits; k++) {
                    int g = hits[k].space_group;
                    printf("  %-14s %zu. %-10s (No. %d) similarity %.3f, shift %+.2f deg: %s %s\n",
                           k == 0 ? "nearest known" : "", k + 1, xs_sym_symbol(g), g, hits[k].similarity,
                           hits[k].shift_deg, xs_dataset_formula(refs, hits[k].index), xs_cli_base_name(xs_dataset_source(refs, hits[k].index)));
                }
                if (n_hits && hits[0].similarity >= MATCH_CLOSE && sg_model &&
                    hits[0].space_group != xs_cli_class_space_group(net, rk[0].cls))
                    printf("  note           the pattern is close to a known structure (similarity >= %.1f) of another "
                           "group than the network's first guess\n", MATCH_CLOSE);
                int learned = xs_nn_get_meta_number(net, "sample_prior_power", 0) > 0;
                if (prior == XS_PRIOR_MATERIALS_PROJECT)
                    printf("  prior          space-group frequencies of real materials (Materials Project%s; --prior "
                           "uniform for groups all equally likely)\n", learned ? ", learned in training" : "");
                else if (prior == XS_PRIOR_MINERALS)
                    printf("  prior          space-group frequencies of minerals (the COD's inorganic structures, smoothed "
                           "towards the Materials Project's%s)\n", learned ? "; the Materials Project's the network learned replaced" : "");
                else
                    printf("  prior          groups all equally likely%s\n",
                           learned ? " (the real-material frequencies learned in training divided out)"
                                   : " (the network's own outputs, as trained)");
                if (combine == XS_NN_COMBINE_GEOMETRIC && xs_nn_ensemble_size(ens) > 1)
                    printf("  members        %d, their probabilities combined by the geometric mean (--combine)\n",
                           xs_nn_ensemble_size(ens));
            } else if (!strcmp(format, "tsv")) {
                int sg = sg_model ? xs_cli_class_space_group(net, rk[0].cls) : 0;
                printf("%s\t%d\t%s\t%.4f\t%s\t%.4f\t%.4f\t%d\t", name, sg, sg ? xs_sym_symbol(sg) : "", rk[0].p,
                       xs_crystal_system_name((xs_crystal_system)cs_best), cs_p[cs_best], certainty, refused);
                for (int k = 0; k < top; k++)
                    printf("%s%s:%.4f", k ? "," : "", xs_nn_label(net, rk[k].cls) ? xs_nn_label(net, rk[k].cls) : "?",
                           rk[k].p);
                if (lib && n_hits)
                    printf("\t%s\t%d\t%.4f\t%+.2f", xs_cli_base_name(xs_dataset_source(refs, hits[0].index)), hits[0].space_group,
                           hits[0].similarity, hits[0].shift_deg);
                else if (lib)
                    printf("\t\t\t\t");
                printf("\n");
            } else {
                printf("%s\n  {\"file\": ", first_json ? "" : ",");
                first_json = 0;
                xs_cli_json_string(stdout, name);
                printf(", \"wavelength\": %.6f, \"wavelength_source\": ", wl);
                xs_cli_json_string(stdout, wl_source);
                printf(", \"coverage\": %.4f, \"zero_shift_deg\": %.4f, \"displacement_mm\": %.4f, "
                       "\"goniometer_radius_mm\": %.2f, \"top\": [", coverage, angles.zero_shift, angles.displacement, radius);
                for (int k = 0; k < top; k++) {
                    int sg = sg_model ? xs_cli_class_space_group(net, rk[k].cls) : 0;
                    printf("%s{\"label\": ", k ? ", " : "");
                    xs_cli_json_string(stdout, xs_nn_label(net, rk[k].cls) ? xs_nn_label(net, rk[k].cls) : "?");
                    if (sg) {
                        printf(", \"space_group\": %d, \"symbol\": ", sg);
                        xs_cli_json_string(stdout, xs_sym_symbol(sg));
                    }
                    printf(", \"probability\": %.6f}", rk[k].p);
                }
                printf("], \"same_peak_positions\": [");
                for (int k = 0; k < n_peers; k++) printf("%s%d", k ? ", " : "", peers[k]);
                printf("], \"peak_positions\": {\"groups\": [");
                for (int k = 0; k < n_ext; k++) printf("%s%d", k ? ", " : "", ext_groups[k]);
                printf("], \"probability\": %.6f}", ext_prob);
                printf(", \"crystal_system\": \"%s\", \"crystal_system_probability\": %.6f, \"certainty\": %.6f, "
                       "\"threshold\": %.4f, \"refused\": %s, \"prior\": \"%s\", \"combine\": \"%s\"",
                       xs_crystal_system_name((xs_crystal_system)cs_best), cs_p[cs_best], certainty, threshold,
                       refused ? "true" : "false", xs_eval_prior_name(prior), xs_nn_combine_name(combine));
                if (warnings->n) { /* what the file this pattern came from left out, as stderr says it */
                    printf(", \"file_warnings\": [");
                    for (size_t k = 0; k < warnings->n; k++) {
                        printf("%s{\"message\": ", k ? ", " : "");
                        xs_cli_json_string(stdout, warnings->items[k].message);
                        printf(", \"line\": %d}", warnings->items[k].line);
                    }
                    printf("]");
                }
                if (lib) {
                    printf(", \"references\": [");
                    for (size_t k = 0; k < n_hits; k++) {
                        printf("%s{\"source\": ", k ? ", " : "");
                        xs_cli_json_string(stdout, xs_dataset_source(refs, hits[k].index));
                        printf(", \"formula\": ");
                        xs_cli_json_string(stdout, xs_dataset_formula(refs, hits[k].index));
                        printf(", \"space_group\": %d, \"symbol\": ", hits[k].space_group);
                        xs_cli_json_string(stdout, xs_sym_symbol(hits[k].space_group));
                        printf(", \"similarity\": %.4f, \"shift_deg\": %.2f}", hits[k].similarity, hits[k].shift_deg);
                    }
                    printf("]");
                }
                printf("}");
            }
        }
        xs_pattern_list_free(pats, np);
    }
    if (!strcmp(format, "json")) printf("\n]\n");
    free(x);
    free(probs);
    free(rk);
    free(class_group);
    free(hits);
    free(warnings);
    free(files);
    xs_match_library_free(lib);
    xs_dataset_free(refs);
    xs_nn_ensemble_free(ens);
    return status;
}
