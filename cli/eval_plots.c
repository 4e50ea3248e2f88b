/* The SVG figures of xrdsym evaluate (see eval_plots.h). */
#include "eval_plots.h"
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BLUE "#1f4e9c"
#define ORANGE "#e07b00"
#define GREEN "#2a8a3e"
#define RED "#b0182b"
#define GREY "#9a9a9a"

/* Title (bold) and a grey subtitle line. */
static void heading(FILE *o, double x, const char *title, const char *subtitle)
{
    fprintf(o, "<text x=\"%.0f\" y=\"28\" font-size=\"18\" font-weight=\"bold\">", x);
    xs_svg_text(o, title);
    fputs("</text>\n", o);
    if (subtitle) {
        fprintf(o, "<text x=\"%.0f\" y=\"50\" fill=\"#444\">", x);
        xs_svg_text(o, subtitle);
        fputs("</text>\n", o);
    }
}

/* Vertical bars of width bw centred at x[i], from 0 to y[i]; label (printf of y[i]) above each when given. */
static void bars(FILE *o, const xs_svg_frame *f, int n, const double *x, const double *y, double bw, const char *fill,
                 const char *label_fmt, double label_scale)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) continue;
        double x0 = xs_svg_px(f, x[i] - bw / 2), x1 = xs_svg_px(f, x[i] + bw / 2);
        double top = xs_svg_py(f, y[i]), base = xs_svg_py(f, fmax(0, f->ymin));
        fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x0, top, x1 - x0,
                fmax(0, base - top), fill);
        if (label_fmt) {
            fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">", (x0 + x1) / 2, top - 4);
            fprintf(o, label_fmt, y[i] * label_scale);
            fputs("</text>\n", o);
        }
    }
}

/* White (0) to dark blue (1). */
static void shade(double v, char *out, size_t size)
{
    v = fmin(1, fmax(0, v));
    int r = (int)lround(255 - v * (255 - 24)), g = (int)lround(255 - v * (255 - 64)), b = (int)lround(255 - v * (255 - 140));
    snprintf(out, size, "#%02x%02x%02x", r, g, b);
}

static void pct_text(char *buf, size_t size, double v)
{
    if (isfinite(v)) snprintf(buf, size, "%.1f%%", 100 * v);
    else snprintf(buf, size, "n/a");
}

static const char *class_text(const xs_cli_eval_plot_input *in, int c, char *buf, size_t size)
{
    if (in->class_group && in->class_group[c] >= 1)
        snprintf(buf, size, "%s (%d)", xs_sym_symbol(in->class_group[c]), in->class_group[c]);
    else snprintf(buf, size, "%s", in->class_name[c]);
    return buf;
}

/* ---- the first pattern and its top guesses ---- */
static int plot_pattern(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const double W = 1100, H = 600;
    const xs_grid *g = in->grid;
    xs_svg_begin(o, W, H);
    heading(o, 80, in->pattern_name, NULL);
    fputs("<text x=\"80\" y=\"50\" fill=\"#444\">", o);
    if (in->pattern_true_group >= 1) {
        fputs("true space group ", o);
        xs_svg_symbol(o, xs_sym_symbol(in->pattern_true_group));
        fprintf(o, " (No. %d, %s); ", in->pattern_true_group,
                xs_crystal_system_name(xs_sym_crystal_system(in->pattern_true_group)));
    }
    fputs("as the network sees it: on its grid, normalised</text>\n", o);
    xs_svg_frame f = {80, 84, 680, 430, g->start, g->start + g->step * (double)(g->count - 1), 0, 1.05};
    xs_svg_axes(o, &f, xs_svg_nice_step(f.xmax - f.xmin, 8), 0.2, "2\xce\xb8 (degrees)", "intensity (maximum = 1)");
    xs_svg_clip(o, &f, "plot");
    fputs("<g clip-path=\"url(#plot)\">\n", o);
    xs_svg_curve(o, &f, g, in->pattern, "stroke=\"" BLUE "\" stroke-width=\"1\"");
    fputs("</g>\n", o);

    /* top 10 guesses as horizontal bars */
    int nc = in->n_classes, top = nc < 10 ? nc : 10;
    int order[10];
    for (int k = 0; k < top; k++) {
        int best = -1;
        for (int c = 0; c < nc; c++) {
            int used = 0;
            for (int j = 0; j < k; j++) used |= order[j] == c;
            if (!used && (best < 0 || in->probs[c] > in->probs[best])) best = c;
        }
        order[k] = best;
    }
    const double bx = 790, bw = 200, by = 100;
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">top guesses</text>\n", bx, by - 6);
    for (int k = 0; k < top; k++) {
        int c = order[k];
        int right = in->class_group ? in->class_group[c] == in->pattern_true_group
                                    : in->pattern_true_group >= 1 &&
                                          !strcmp(in->class_name[c], xs_crystal_system_name(xs_sym_crystal_system(
                                                                         in->pattern_true_group)));
        double y = by + 8 + 40 * k;
        char name[96];
        fprintf(o, "<text x=\"%.0f\" y=\"%.0f\">%d. ", bx, y + 10, k + 1);
        if (in->class_group && in->class_group[c] >= 1) {
            xs_svg_symbol(o, xs_sym_symbol(in->class_group[c]));
            fprintf(o, " (No. %d)", in->class_group[c]);
        } else {
            xs_svg_text(o, class_text(in, c, name, sizeof name));
        }
        fprintf(o, "%s</text>\n", right ? " \xe2\x9c\x93" : "");
        fprintf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"12\" fill=\"#eee\"/>", bx, y + 16, bw);
        fprintf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>", bx, y + 16,
                bw * fmin(1, fmax(0, in->probs[c])), right ? GREEN : GREY);
        fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\">%.3f</text>\n", bx + bw + 8, y + 27, in->probs[c]);
    }
    xs_svg_end(o);
    return 1;
}

/* ---- refusal curve ---- */
static int plot_refusal(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    xs_svg_begin(o, 900, 580);
    char sub[256], a[32];
    pct_text(a, sizeof a, r->accuracy_at_half);
    snprintf(sub, sizeof sub, "half unclassified: %s right on the rest, at certainty %.3f", a, r->threshold_at_half);
    heading(o, 80, "Refusal: accuracy on the accepted patterns and the unclassified fraction", sub);
    xs_svg_frame f = {80, 70, 780, 430, 0, 1, 0, 1};
    xs_svg_axes(o, &f, 0.1, 0.1, "threshold on the certainty (largest output)", "fraction");
    xs_svg_polyline(o, &f, r->refusal_threshold, r->refusal_accuracy, XS_EVAL_THRESHOLDS,
                    "stroke=\"" BLUE "\" stroke-width=\"2.5\"");
    xs_svg_polyline(o, &f, r->refusal_threshold, r->refusal_unclassified, XS_EVAL_THRESHOLDS,
                    "stroke=\"" ORANGE "\" stroke-width=\"2.5\"");
    double hx = xs_svg_px(&f, r->threshold_at_half);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"5 4\"/>\n", hx,
            f.y0, hx, f.y0 + f.h);
    if (isfinite(r->accuracy_at_half))
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"" BLUE "\"/>\n", hx, xs_svg_py(&f, r->accuracy_at_half));
    fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"" ORANGE "\"/>\n", hx, xs_svg_py(&f, 0.5));
    const char *names[3] = {"accuracy on the accepted", "unclassified fraction", "half unclassified"};
    const char *styles[3] = {"stroke=\"" BLUE "\" stroke-width=\"2.5\"", "stroke=\"" ORANGE "\" stroke-width=\"2.5\"",
                             "stroke=\"#555\" stroke-dasharray=\"5 4\""};
    xs_svg_legend(o, f.x0 + f.w - 222, f.y0 + f.h - 72, 210, 3, names, styles);
    xs_svg_end(o);
    return 1;
}

/* ---- certainty histograms ---- */
static int plot_certainty(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    enum { NB = XS_EVAL_CERTAINTY_BINS };
    double x_r[NB], x_w[NB], y_r[NB], y_w[NB], ymax = 1;
    for (int b = 0; b < NB; b++) {
        x_r[b] = (b + 0.3) / NB;
        x_w[b] = (b + 0.7) / NB;
        y_r[b] = (double)r->certainty_right[b];
        y_w[b] = (double)r->certainty_wrong[b];
        ymax = fmax(ymax, fmax(y_r[b], y_w[b]));
    }
    ymax *= 1.1; /* room for the legend */
    double ystep = xs_svg_nice_step(ymax, 6);
    xs_svg_begin(o, 900, 580);
    char sub[256];
    snprintf(sub, sizeof sub, "mean certainty: right %.3f, wrong %.3f", r->mean_certainty_right, r->mean_certainty_wrong);
    heading(o, 80, "Certainty (largest output) of right and wrong answers", sub);
    xs_svg_frame f = {80, 70, 780, 430, 0, 1, 0, ceil(ymax / ystep) * ystep};
    xs_svg_axes(o, &f, 0.1, ystep, "certainty", "patterns");
    bars(o, &f, NB, x_r, y_r, 0.4 / NB, GREEN, NULL, 1);
    bars(o, &f, NB, x_w, y_w, 0.4 / NB, RED, NULL, 1);
    const char *names[2] = {"right", "wrong"};
    const char *styles[2] = {"stroke=\"" GREEN "\" stroke-width=\"8\"", "stroke=\"" RED "\" stroke-width=\"8\""};
    xs_svg_legend(o, f.x0 + 12, f.y0 + 12, 110, 2, names, styles);
    xs_svg_end(o);
    return 1;
}

/* ---- calibration (reliability diagram) ---- */
static int plot_calibration(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    enum { NB = XS_EVAL_CALIBRATION_BINS };
    xs_svg_begin(o, 900, 580);
    char sub[256];
    snprintf(sub, sizeof sub, "expected calibration error %.3f (%d bins of certainty); log loss %.2f",
             r->calibration_error, NB, r->log_loss);
    heading(o, 80, "Calibration: fraction right against certainty", sub);
    xs_svg_frame f = {80, 70, 780, 430, 0, 1, 0, 1};
    xs_svg_axes(o, &f, 0.1, 0.1, "certainty (mean over the bin)", "fraction right");
    double diag[2] = {0, 1};
    xs_svg_polyline(o, &f, diag, diag, 2, "stroke=\"#555\" stroke-dasharray=\"5 4\"");
    double x[NB], y[NB];
    size_t m = 0, most = 1;
    for (int b = 0; b < NB; b++) most = r->calibration_count[b] > most ? r->calibration_count[b] : most;
    for (int b = 0; b < NB; b++)
        if (r->calibration_count[b]) {
            x[m] = r->calibration_certainty[b];
            y[m] = r->calibration_accuracy[b];
            m++;
        }
    xs_svg_polyline(o, &f, x, y, m, "stroke=\"" BLUE "\" stroke-width=\"2.5\"");
    /* circle area proportional to the bin's samples, so a point resting on few patterns looks small */
    for (int b = 0; b < NB; b++) {
        size_t n = r->calibration_count[b];
        if (!n) continue;
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"" BLUE "\" fill-opacity=\"0.5\">"
                   "<title>certainty %.1f-%.1f: %zu samples, mean certainty %.3f, %.1f%% right</title></circle>\n",
                xs_svg_px(&f, r->calibration_certainty[b]), xs_svg_py(&f, r->calibration_accuracy[b]),
                3 + 15 * sqrt((double)n / (double)most), (double)b / NB, (double)(b + 1) / NB, n,
                r->calibration_certainty[b], 100 * r->calibration_accuracy[b]);
    }
    const char *names[2] = {"fraction right (area: samples)", "certainty = fraction right"};
    const char *styles[2] = {"stroke=\"" BLUE "\" stroke-width=\"2.5\"", "stroke=\"#555\" stroke-dasharray=\"5 4\""};
    xs_svg_legend(o, f.x0 + 12, f.y0 + 12, 250, 2, names, styles);
    xs_svg_end(o);
    return 1;
}

/* ---- top-n ---- */
static int plot_top_n(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    int sgm = r->task == XS_EVAL_SPACE_GROUP, n = sgm ? XS_EVAL_TOP_N : XS_CRYSTAL_SYSTEM_COUNT;
    const double *v = sgm ? r->top_n_space_group : r->top_n_crystal_system;
    double x[XS_EVAL_TOP_N];
    for (int k = 0; k < n; k++) x[k] = k + 1;
    xs_svg_begin(o, 900, 580);
    heading(o, 80, sgm ? "Top-n accuracy: the true space group among the n most probable"
                       : "Top-n accuracy: the true crystal system among the n most probable",
            in->title);
    xs_svg_frame f = {80, 70, 780, 430, 0.4, n + 0.6, 0, 1.05};
    xs_svg_axes(o, &f, 1, 0.1, "n", "accuracy");
    bars(o, &f, n, x, v, 0.6, BLUE, "%.1f%%", 100);
    xs_svg_end(o);
    return 1;
}

/* ---- confusion matrices ---- */
static int plot_confusion_cs(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    enum { N = XS_CRYSTAL_SYSTEM_COUNT };
    const double cell = 72, x0 = 170, y0 = 110;
    xs_svg_begin(o, x0 + N * cell + 150, y0 + N * cell + 120);
    char sub[256], a[32];
    pct_text(a, sizeof a, r->acc_crystal_system);
    snprintf(sub, sizeof sub, "%s right%s; rows: true, columns: predicted; shade: fraction of the row", a,
             r->task == XS_EVAL_SPACE_GROUP ? " (probabilities summed over each system's groups)" : "");
    heading(o, 20, "Confusion of crystal systems", sub);
    for (int t = 0; t < N; t++) {
        size_t row = 0;
        for (int p = 0; p < N; p++) row += r->confusion_crystal_system[t][p];
        for (int p = 0; p < N; p++) {
            size_t c = r->confusion_crystal_system[t][p];
            char fill[16];
            shade(row ? (double)c / (double)row : 0, fill, sizeof fill);
            double x = x0 + p * cell, y = y0 + t * cell;
            fprintf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" stroke=\"#ccc\"/>", x, y,
                    cell, cell, fill);
            fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"15\" fill=\"%s\"%s>%zu</text>\n",
                    x + cell / 2, y + cell / 2 + 5, row && (double)c / (double)row > 0.55 ? "white" : "#222",
                    t == p ? " font-weight=\"bold\"" : "", c);
        }
        fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n", x0 - 8, y0 + t * cell + cell / 2 + 5,
                xs_crystal_system_name((xs_crystal_system)t));
        char acc[32];
        pct_text(acc, sizeof acc, row ? (double)r->confusion_crystal_system[t][t] / (double)row : NAN);
        fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#444\">%zu, %s</text>\n", x0 + N * cell + 8,
                y0 + t * cell + cell / 2 + 5, row, acc);
    }
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#444\">n, right</text>\n", x0 + N * cell + 8, y0 - 8);
    for (int p = 0; p < N; p++)
        fprintf(o, "<text transform=\"translate(%.0f %.0f) rotate(35)\" font-size=\"12\">%s</text>\n",
                x0 + p * cell + cell / 2 - 4, y0 + N * cell + 14, xs_crystal_system_name((xs_crystal_system)p));
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#444\">predicted</text>\n",
            x0 + N * cell / 2, y0 + N * cell + 100);
    fprintf(o, "<text transform=\"translate(20 %.0f) rotate(-90)\" text-anchor=\"middle\" fill=\"#444\">true</text>\n",
            y0 + N * cell / 2);
    xs_svg_end(o);
    return 1;
}

/* First space group of each crystal system, and one past the last. */
static const int system_start[XS_CRYSTAL_SYSTEM_COUNT + 1] = {1, 3, 16, 75, 143, 168, 195, 231};

static int plot_confusion_sg(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    const double cell = 2.6, x0 = 140, y0 = 90, side = 230 * cell;
    xs_svg_begin(o, x0 + side + 120, y0 + side + 90);
    char sub[256], a[32];
    pct_text(a, sizeof a, r->acc_space_group);
    snprintf(sub, sizeof sub, "%s right; rows: true group, columns: predicted; shade: fraction of the row (square root)",
             a);
    heading(o, 20, "Confusion of space groups", sub);
    fprintf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#222\"/>\n", x0, y0,
            side, side);
    /* crystal-system blocks */
    fputs("<g stroke=\"#bbb\" stroke-width=\"0.7\">\n", o);
    for (int k = 1; k < XS_CRYSTAL_SYSTEM_COUNT; k++) {
        double p = (system_start[k] - 1) * cell;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/><line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
                   "y2=\"%.1f\"/>\n",
                x0 + p, y0, x0 + p, y0 + side, x0, y0 + p, x0 + side, y0 + p);
    }
    fputs("</g>\n", o);
    for (int t = 1; t <= 230; t++) {
        size_t row = r->group_count[t];
        if (!row) continue;
        for (int p = 1; p <= 230; p++) {
            unsigned c = r->confusion_space_group[t][p];
            if (!c) continue;
            char fill[16];
            shade(0.15 + 0.85 * sqrt((double)c / (double)row), fill, sizeof fill);
            fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>true %d, predicted "
                       "%d: %u</title></rect>\n",
                    x0 + (p - 1) * cell, y0 + (t - 1) * cell, cell, cell, fill, t, p, c);
        }
    }
    fputs("<g font-size=\"11\" fill=\"#222\">\n", o);
    for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++) {
        double mid = (system_start[k] - 1 + (system_start[k + 1] - system_start[k]) / 2.0) * cell;
        const char *nm = xs_crystal_system_name((xs_crystal_system)k);
        fprintf(o, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s %d-%d</text>\n", x0 - 6,
                y0 + mid + (k == 0 ? -2 : 4), nm, system_start[k], system_start[k + 1] - 1);
        if (k > 0) /* triclinic's two columns leave no room for its name below */
            fprintf(o, "<text transform=\"translate(%.1f %.0f) rotate(40)\">%s</text>\n", x0 + mid - 3, y0 + side + 12,
                    nm);
    }
    fputs("</g>\n", o);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#444\">predicted space group (1..230)</text>\n",
            x0 + side / 2, y0 + side + 80);
    xs_svg_end(o);
    return 1;
}

/* ---- per-group accuracy against abundance ---- */
static int plot_per_group(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    /* x: log10 of the abundance (groups absent from training at x = -0.5), else of the samples evaluated */
    double amax = 1;
    for (int g = 1; g <= 230; g++)
        if (r->group_count[g]) amax = fmax(amax, in->abundance ? (double)in->abundance[g] : (double)r->group_count[g]);
    double xmax = ceil(log10(amax) + 1e-9) + 0.2;
    xs_svg_begin(o, 900, 580);
    char sub[512];
    if (in->abundance && isfinite(in->abundance_spearman))
        snprintf(sub, sizeof sub, "abundance: %s; Spearman rank correlation %.2f", in->abundance_source,
                 in->abundance_spearman);
    else if (in->abundance)
        snprintf(sub, sizeof sub, "abundance: %s (too few groups for a rank correlation)", in->abundance_source);
    else snprintf(sub, sizeof sub, "no training abundance known (give --data or --abundance): x is the samples evaluated");
    heading(o, 80, "Accuracy per space group against its abundance", sub);
    xs_svg_frame f = {80, 70, 780, 430, -0.8, xmax, 0, 1.05};
    xs_svg_axes(o, &f, 0, 0.1, in->abundance ? "crystals of the group in training (log scale)"
                                              : "samples of the group evaluated (log scale)",
                "accuracy");
    fputs("<g font-size=\"12\" fill=\"#222\">\n", o);
    for (int k = 0; k <= (int)xmax; k++) {
        double x = xs_svg_px(&f, k);
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e3e3e3\"/>", x, f.y0, x, f.y0 + f.h);
        fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", x, f.y0 + f.h + 19, pow(10, k));
    }
    fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">0</text>\n", xs_svg_px(&f, -0.5), f.y0 + f.h + 19);
    fputs("</g>\n<g fill=\"" BLUE "\" fill-opacity=\"0.55\" stroke=\"" BLUE "\">\n", o);
    for (int g = 1; g <= 230; g++) {
        size_t n = r->group_count[g];
        if (!n) continue;
        double a = in->abundance ? (double)in->abundance[g] : (double)n;
        /* groups absent from training share the column at -0.5, spread a little so that they do not hide
         * each other */
        double x = a >= 1 ? log10(a) : -0.5 + 0.004 * (double)((g * 37) % 50 - 25);
        double acc = (double)r->group_correct[g] / (double)n;
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"><title>%s (No. %d): %zu of %zu right", xs_svg_px(&f, x),
                xs_svg_py(&f, acc), fmin(12, 2.5 + sqrt((double)n)), xs_sym_symbol(g), g, r->group_correct[g], n);
        if (in->abundance) fprintf(o, ", %zu in training", in->abundance[g]);
        fputs("</title></circle>\n", o);
    }
    fputs("</g>\n", o);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#444\">circle area: samples of the group "
               "evaluated</text>\n",
            f.x0 + 10, f.y0 + 18);
    xs_svg_end(o);
    return 1;
}

/* ---- subgroup distances ---- */
static int plot_distance(FILE *o, void *ctx)
{
    const xs_cli_eval_plot_input *in = ctx;
    const xs_eval_results *r = in->res;
    int nd = xs_eval_subgroup_diameter() + 1;
    double x[XS_EVAL_MAX_DISTANCE + 1], y[XS_EVAL_MAX_DISTANCE + 1];
    for (int d = 0; d < nd; d++) {
        x[d] = d;
        y[d] = r->n ? (double)r->distance_histogram[d] / (double)r->n : 0;
    }
    xs_svg_begin(o, 900, 580);
    char sub[256];
    snprintf(sub, sizeof sub, "0: right; 1: a maximal subgroup or supergroup; mean distance of wrong answers %.2f",
             r->mean_distance_wrong);
    heading(o, 80, "Distance between true and predicted group on the maximal-subgroup graph", sub);
    xs_svg_frame f = {80, 70, 780, 430, -0.6, nd - 0.4, 0, 1.05};
    xs_svg_axes(o, &f, 1, 0.1, "steps on the maximal-subgroup graph (edges undirected)", "fraction of patterns");
    bars(o, &f, nd, x, y, 0.6, BLUE, "%.1f%%", 100);
    xs_svg_end(o);
    return 1;
}

int xs_cli_eval_plots(const char *dir, const xs_cli_eval_plot_input *in)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "xrdsym evaluate: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct {
        const char *name;
        int (*fn)(FILE *, void *);
        int sg_only;
    } figs[] = {{"pattern.svg", plot_pattern, 0},
                {"refusal.svg", plot_refusal, 0},
                {"certainty.svg", plot_certainty, 0},
                {"calibration.svg", plot_calibration, 0},
                {"top_n.svg", plot_top_n, 0},
                {"confusion_crystal_system.svg", plot_confusion_cs, 0},
                {"confusion_space_group.svg", plot_confusion_sg, 1},
                {"per_group_accuracy.svg", plot_per_group, 0},
                {"subgroup_distance.svg", plot_distance, 1}};
    int written = 0, failed = 0;
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        if (figs[i].sg_only && in->res->task != XS_EVAL_SPACE_GROUP) continue;
        if (figs[i].fn == plot_pattern && !in->pattern) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, figs[i].name);
        if (xs_cli_write_atomic(path, figs[i].fn, (void *)in, "evaluate")) written++;
        else failed++;
    }
    return failed ? -1 : written;
}
