/* xrdsym render: one crystal of a peaks dataset, rendered and augmented exactly as for training; as a table
 * or as an SVG plot. */
#include "cli.h"
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym render FILE.h5 --index I [--seed S] [--format tsv] [--plot OUT.svg] [options]\n"
            "  crystal I (0-based) of a peaks dataset, rendered on the seed paper's grid (5.00..89.99 deg,\n"
            "  step 0.01) with Gaussian peaks and augmented with the paper's noise and backgrounds, exactly as\n"
            "  training sees item I with seed S (see include/xrdsym/xs_augment.h).\n"
            "  --index I           crystal number, 0 .. count-1 (required)\n"
            "  --seed S            augmentation seed (default 0)\n"
            "  --format tsv        print the pattern: two_theta, clean, background, augmented (the default\n"
            "                      when no --plot is given)\n"
            "  --plot OUT.svg      write a plot: the augmented and the clean pattern, the background, the peak\n"
            "                      positions (written atomically)\n"
            "  --fwhm MIN MAX      range of the drawn peak FWHM in degrees (default 0.04 0.21)\n"
            "  --no-background     no background functions\n"
            "  --no-noise          no noise\n"
            "  beyond the paper (off by default):\n"
            "  --zero-shift D      peak positions shifted by U(-D, D) degrees\n"
            "  --kalpha2 R         add a Cu K-alpha2 copy of every peak with intensity ratio R (e.g. 0.5)\n"
            "  --width-growth G    FWHM(theta) = FWHM sqrt(1 + g tan^2 theta), g ~ U(0, G)\n"
            "  --noise-scale S     the pattern's noise times s, ln s ~ U(0, ln S)\n"
            "  --kalpha2-prob P    the K-alpha2 copy in a fraction P of the patterns only (with --kalpha2)\n"
            "  --jitter SIGMA      every peak's intensity times exp(SIGMA z), z ~ N(0, 1)\n"
            "  --impurity K H      0..K foreign peaks, heights up to H of the pattern's maximum\n"
            "  --counts MIN MAX    counting noise of N counts at the maximum, N log-uniform in [MIN, MAX]\n"
            "  --lorentz MIN MAX   pseudo-Voigt peaks, Lorentzian fraction eta ~ U(MIN, MAX) per pattern\n");
}

/* ---- SVG (helpers in svg.c) ---- */

/* A chemical formula with its counts as subscripts ("Na4Cl4" -> Na<sub>4</sub>Cl<sub>4</sub>). */
static void svg_formula(FILE *o, const char *s)
{
    while (*s) {
        if ((*s >= '0' && *s <= '9') || *s == '.') {
            fputs("<tspan baseline-shift=\"sub\" font-size=\"75%\">", o);
            while ((*s >= '0' && *s <= '9') || *s == '.') fputc(*s++, o);
            fputs("</tspan>", o);
        } else {
            char c[2] = {*s++, 0};
            xs_svg_text(o, c);
        }
    }
}

typedef struct {
    const char *path;
    size_t index;
    uint64_t seed;
    const char *formula;
    int space_group, crystal_system;
    const xs_grid *grid;
    const float *clean, *background, *augmented;
    const xs_aug_peaks *peaks;
    const xs_aug_drawn *drawn;
    const xs_aug_options *opt;
} render_view;

static void describe_backgrounds(const xs_aug_background *b, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
#define ADD(...) used += (size_t)snprintf(buf + used, used < size ? size - used : 0, __VA_ARGS__)
    if (!b->n_chosen) ADD("none");
    if (b->step_up) ADD("%sstep up (h %.3f, a %.1f, x0 %.3f)", used ? ", " : "", b->step_up_h, b->step_up_a, b->step_up_x0);
    if (b->step_down)
        ADD("%sstep down (h %.3f, a %.1f, x0 %.3f)", used ? ", " : "", b->step_down_h, b->step_down_a, b->step_down_x0);
    if (b->poly) {
        ADD("%spolynomial order %d (", used ? ", " : "", b->poly_order);
        for (int i = 0; i <= b->poly_order; i++) ADD("%s%.3f", i ? " " : "", b->poly_c[i]);
        ADD(")");
    }
    if (b->bump) ADD("%sbump (h %.3f, n %.1f)", used ? ", " : "", b->bump_h, b->bump_n);
#undef ADD
}

static void write_svg(FILE *o, const render_view *v)
{
    const double W = 1100, H = 640;
    const xs_grid *g = v->grid;
    size_t n = g->count;
    double ymin = 0, ymax = 1;
    for (size_t j = 0; j < n; j++) {
        ymin = fmin(ymin, fmin(v->augmented[j], v->background[j]));
        ymax = fmax(ymax, v->augmented[j]);
    }
    double ystep = xs_svg_nice_step(ymax - ymin, 6);
    ymin = floor(ymin / (ystep / 4)) * (ystep / 4); /* a negative background gets a little room, not a whole step */
    ymax = ceil(ymax / ystep - 1e-9) * ystep;
    xs_svg_frame f = {80, 84, W - 80 - 30, 430, g->start, g->start + g->step * (double)(n - 1), ymin, ymax};
    /* peak strip under the plot */
    const double strip_top = f.y0 + f.h + 52, strip_h = 40;

    xs_svg_begin(o, W, H);
    /* title: formula, space group, crystal system; second line: what was drawn */
    fprintf(o, "<text x=\"%.0f\" y=\"28\" font-size=\"18\" font-weight=\"bold\">", f.x0);
    svg_formula(o, v->formula[0] ? v->formula : "(no formula)");
    fputs(" \xe2\x80\x94 ", o);
    if (v->space_group >= 1 && v->space_group <= 230) {
        xs_svg_symbol(o, xs_sym_symbol(v->space_group));
        fprintf(o, " (No. %d, %s)", v->space_group, xs_crystal_system_name((xs_crystal_system)v->crystal_system));
    } else {
        fputs("space group unknown", o);
    }
    fputs("</text>\n", o);
    char bgtext[512];
    describe_backgrounds(&v->drawn->bg, bgtext, sizeof bgtext);
    const char *base = xs_cli_base_name(v->path);
    fprintf(o, "<text x=\"%.0f\" y=\"50\" fill=\"#444\">", f.x0);
    xs_svg_text(o, base);
    fprintf(o, ", crystal %zu, seed %llu: %zu peaks, FWHM %.3f\xc2\xb0", v->index, (unsigned long long)v->seed,
            v->peaks->n, v->drawn->fwhm);
    if (v->drawn->zero_shift != 0) fprintf(o, ", zero shift %+.3f\xc2\xb0", v->drawn->zero_shift);
    if (v->drawn->width_growth != 0) fprintf(o, ", width growth g %.2f", v->drawn->width_growth);
    if (v->drawn->kalpha2) fprintf(o, ", K\xce\xb1" "2 ratio %.2f", v->opt->kalpha2_ratio);
    if (v->opt->intensity_jitter > 0) fprintf(o, ", intensity jitter %.2f", v->opt->intensity_jitter);
    if (v->drawn->n_impurity > 0) fprintf(o, ", %d impurity peaks", v->drawn->n_impurity);
    if (v->drawn->counts > 0) fprintf(o, ", counting noise of %.0f counts at the maximum", v->drawn->counts);
    if (v->drawn->lorentz > 0) fprintf(o, ", pseudo-Voigt peaks (eta %.2f)", v->drawn->lorentz);
    fprintf(o, ", noise U(%.3g, %.3g)</text>\n", v->opt->noise_min, v->opt->noise_max);
    fprintf(o, "<text x=\"%.0f\" y=\"68\" fill=\"#444\">backgrounds: ", f.x0);
    xs_svg_text(o, bgtext);
    fputs("</text>\n", o);

    /* grid lines, ticks, frame, axis titles */
    xs_svg_axes(o, &f, xs_svg_nice_step(f.xmax - f.xmin, 9), ystep, "2\xce\xb8 (degrees)",
                "intensity (strongest peak = 1)");
    if (ymin < 0)
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", f.x0, xs_svg_py(&f, 0),
                f.x0 + f.w, xs_svg_py(&f, 0));
    /* curves: augmented under clean, background dashed */
    xs_svg_clip(o, &f, "plot");
    fprintf(o, "<g clip-path=\"url(#plot)\">\n");
    xs_svg_curve(o, &f, g, v->augmented, "stroke=\"#e07b00\" stroke-width=\"1\"");
    xs_svg_curve(o, &f, g, v->clean, "stroke=\"#1f4e9c\" stroke-width=\"1\"");
    xs_svg_curve(o, &f, g, v->background, "stroke=\"#2a8a3e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
    fprintf(o, "</g>\n");

    /* peak positions: sticks of height proportional to intensity in a strip under the axis */
    double imax = 0;
    for (size_t i = 0; i < v->peaks->n; i++) imax = fmax(imax, v->peaks->intensity[i]);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\">peaks</text>\n", f.x0 - 8,
            strip_top + strip_h - 2);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", f.x0, strip_top + strip_h,
            f.x0 + f.w, strip_top + strip_h);
    fprintf(o, "<g stroke=\"#b0182b\" stroke-width=\"1\">\n");
    for (size_t i = 0; i < v->peaks->n; i++) {
        double t = v->peaks->two_theta[i] + v->drawn->zero_shift;
        if (t < f.xmin || t > f.xmax || imax <= 0) continue;
        double hgt = fmax(1.5, strip_h * v->peaks->intensity[i] / imax);
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", xs_svg_px(&f, t), strip_top + strip_h,
                xs_svg_px(&f, t), strip_top + strip_h - hgt);
    }
    fprintf(o, "</g>\n");

    /* legend */
    const char *names[4] = {"augmented (as the network sees it)", "clean (peaks only)", "background", "peak positions"};
    const char *styles[4] = {"stroke=\"#e07b00\" stroke-width=\"2\"", "stroke=\"#1f4e9c\" stroke-width=\"2\"",
                             "stroke=\"#2a8a3e\" stroke-width=\"2\" stroke-dasharray=\"6 4\"",
                             "stroke=\"#b0182b\" stroke-width=\"2\""};
    xs_svg_legend(o, f.x0 + f.w - 262, f.y0 + 12, 252, 4, names, styles);
    xs_svg_end(o);
}

static int write_svg_file(FILE *o, void *view)
{
    write_svg(o, view);
    return 1;
}

static void write_tsv(FILE *o, const render_view *v)
{
    char bgtext[512];
    describe_backgrounds(&v->drawn->bg, bgtext, sizeof bgtext);
    fprintf(o, "# %s crystal %zu: %s, space group %s (No. %d, %s), %zu peaks\n", v->path, v->index,
            v->formula[0] ? v->formula : "?",
            v->space_group >= 1 && v->space_group <= 230 ? xs_sym_symbol(v->space_group) : "?", v->space_group,
            v->space_group >= 1 && v->space_group <= 230 ? xs_crystal_system_name((xs_crystal_system)v->crystal_system)
                                                         : "?",
            v->peaks->n);
    fprintf(o, "# seed %llu, item %zu: FWHM %.5f deg, zero shift %.5f deg, width growth %.4f, noise U(%g, %g)\n",
            (unsigned long long)v->seed, v->index, v->drawn->fwhm, v->drawn->zero_shift, v->drawn->width_growth,
            v->opt->noise_min * v->drawn->noise_scale, v->opt->noise_max * v->drawn->noise_scale);
    fprintf(o, "# backgrounds (T = %.4f): %s\n", v->drawn->bg.T, bgtext);
    fprintf(o, "# two_theta\tclean\tbackground\taugmented\n");
    for (size_t j = 0; j < v->grid->count; j++)
        fprintf(o, "%.2f\t%.6g\t%.6g\t%.6g\n", v->grid->start + v->grid->step * (double)j, v->clean[j],
                v->background[j], v->augmented[j]);
}

int xs_cmd_render(int argc, char **argv)
{
    const char *file = NULL, *plot = NULL, *format = NULL;
    uint64_t index = 0, seed = 0;
    int have_index = 0;
    xs_aug_options opt;
    xs_aug_options_default(&opt);
    double v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has1 = i + 1 < argc, has2 = i + 2 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--index") && has1) {
            if (!xs_cli_parse_u64("render", a, argv[++i], &index)) return 2;
            have_index = 1;
        } else if (!strcmp(a, "--seed") && has1) {
            if (!xs_cli_parse_u64("render", a, argv[++i], &seed)) return 2;
        } else if (!strcmp(a, "--format") && has1) {
            format = argv[++i];
            if (strcmp(format, "tsv")) {
                fprintf(stderr, "xrdsym render: unknown format '%s' (tsv)\n", format);
                return 2;
            }
        } else if (!strcmp(a, "--plot") && has1) {
            plot = argv[++i];
        } else if (!strcmp(a, "--fwhm") && has2) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.fwhm_min) ||
                !xs_cli_parse_double("render", a, argv[++i], &opt.fwhm_max))
                return 2;
        } else if (!strcmp(a, "--no-background")) {
            opt.background_prob = 0;
        } else if (!strcmp(a, "--no-noise")) {
            opt.noise_min = opt.noise_max = 0;
        } else if (!strcmp(a, "--zero-shift") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.zero_shift_max)) return 2;
        } else if (!strcmp(a, "--kalpha2") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &v)) return 2;
            opt.kalpha2_ratio = v;
        } else if (!strcmp(a, "--width-growth") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.width_growth_max)) return 2;
        } else if (!strcmp(a, "--noise-scale") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.noise_scale_max)) return 2;
        } else if (!strcmp(a, "--kalpha2-prob") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.kalpha2_prob)) return 2;
        } else if (!strcmp(a, "--jitter") && has1) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.intensity_jitter)) return 2;
        } else if (!strcmp(a, "--counts") && has2) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.counts_min) ||
                !xs_cli_parse_double("render", a, argv[++i], &opt.counts_max))
                return 2;
        } else if (!strcmp(a, "--lorentz") && has2) {
            if (!xs_cli_parse_double("render", a, argv[++i], &opt.lorentz_min) ||
                !xs_cli_parse_double("render", a, argv[++i], &opt.lorentz_max))
                return 2;
        } else if (!strcmp(a, "--impurity") && has2) {
            if (!xs_cli_parse_int("render", a, argv[++i], &opt.impurity_peaks_max) ||
                !xs_cli_parse_double("render", a, argv[++i], &opt.impurity_height_max))
                return 2;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "xrdsym render: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "xrdsym render: one dataset file at a time ('%s' and '%s')\n", file, a);
            return 2;
        }
    }
    if (!file || !have_index) {
        usage(stderr);
        return 2;
    }
    xs_error err = {0};
    if (xs_aug_options_check(&opt, &err)) {
        fprintf(stderr, "xrdsym render: %s\n", err.message);
        return 2;
    }
    xs_dataset *ds;
    if (xs_dataset_open(file, &ds, &err)) {
        if (!err.file[0]) snprintf(err.file, sizeof err.file, "%s", file);
        xs_cli_print_error(&err);
        return 1;
    }
    size_t count = xs_dataset_count(ds);
    if (index >= count) {
        fprintf(stderr, "xrdsym render: %s has %zu crystals (index 0..%zu), not %llu\n", file, count,
                count ? count - 1 : 0, (unsigned long long)index);
        xs_dataset_free(ds);
        return 1;
    }
    const float *tt, *in;
    size_t np = xs_dataset_peaks(ds, (size_t)index, &tt, &in);
    xs_aug_peaks peaks = {tt, in, np};
    xs_grid grid = xs_grid_paper();
    size_t n = grid.count;
    float *buf = malloc(3 * n * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "xrdsym render: out of memory\n");
        xs_dataset_free(ds);
        return 1;
    }
    float *clean = buf, *bg = buf + n, *aug = buf + 2 * n;
    xs_aug_drawn drawn;
    int rc = 0;
    if (xs_aug_render(&opt, &grid, &peaks, seed, index, aug, &drawn, &err) ||
        xs_aug_render_clean(&opt, &grid, &peaks, &drawn, clean, &err) ||
        xs_aug_background_render(&drawn.bg, &grid, bg, &err)) {
        xs_cli_print_error(&err);
        rc = 1;
    } else {
        render_view view = {file,  (size_t)index, seed,  xs_dataset_formula(ds, (size_t)index),
                            xs_dataset_space_group(ds, (size_t)index),
                            xs_dataset_crystal_system(ds, (size_t)index),
                            &grid, clean, bg, aug, &peaks, &drawn, &opt};
        if (plot && !xs_cli_write_atomic(plot, write_svg_file, &view, "render")) rc = 1;
        if (format || !plot) write_tsv(stdout, &view);
        else if (!rc)
            printf("%s: crystal %llu (%s, No. %d), seed %llu, FWHM %.3f deg, %d background function(s)\n", plot,
                   (unsigned long long)index, view.formula, view.space_group, (unsigned long long)seed, drawn.fwhm,
                   drawn.bg.n_chosen);
    }
    free(buf);
    xs_dataset_free(ds);
    return rc;
}
