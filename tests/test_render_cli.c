/* xrdsym render: a small dataset of textbook crystals, rendered as a table and as an SVG plot. */
#include "xrdsym.h"
#include "xs_fixtures.h"
#include "xs_test.h"

#include <unistd.h>

static char dir[256], exe[1024];

static int run(const char *args, const char *out_path) { return xs_test_run_cli(exe, "render", args, out_path); }

static int add_crystal(xs_dataset_writer *w, xs_structure *s, int sg, const char *formula, const double lp[6])
{
    xs_xrd_options xo;
    xs_xrd_options_default(&xo);
    xo.two_theta_min = 5;
    xo.two_theta_max = 90;
    xs_peaks *pk;
    xs_error err = {0};
    if (!s || xs_xrd_peaks(s, &xo, &pk, &err)) return 0;
    size_t n = xs_peaks_count(pk);
    double *tt = malloc(n * sizeof *tt), *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) tt[i] = xs_peaks_get(pk, i)->two_theta, in[i] = xs_peaks_get(pk, i)->intensity;
    xs_dataset_entry e = {sg, formula, {lp[0], lp[1], lp[2], lp[3], lp[4], lp[5]}, (int)xs_structure_num_sites(s),
                          "test", n, tt, in};
    int ok = xs_dataset_writer_add(w, &e, &err) == XS_OK;
    free(tt), free(in);
    xs_peaks_free(pk);
    xs_structure_free(s);
    return ok;
}

int main(void)
{
    xs_test_cli_exe(exe, sizeof exe);
    snprintf(dir, sizeof dir, "/tmp/xs_test_render.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char h5[512], out[512], svg[512];
    snprintf(h5, sizeof h5, "%s/two.h5", dir);
    snprintf(out, sizeof out, "%s/out.tsv", dir);
    snprintf(svg, sizeof svg, "%s/plot.svg", dir);

    xs_dataset_writer *w;
    xs_error err = {0};
    CHECK(xs_dataset_writer_create(h5, 1.54184, 5, 90, "test_render_cli", &w, &err) == XS_OK, "%s", err.message);
    const int z_nacl[2] = {11, 17}, z_cscl[2] = {55, 17};
    const double f_nacl[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    const double lp_nacl[6] = {5.64, 5.64, 5.64, 90, 90, 90}, lp_cscl[6] = {4.12, 4.12, 4.12, 90, 90, 90};
    CHECK(add_crystal(w, xs_fixture_build(225, 5.64, 5.64, 5.64, 90, 90, 90, 2, z_nacl, f_nacl), 225, "Na4Cl4", lp_nacl),
          "NaCl added");
    CHECK(add_crystal(w, xs_fixture_build(221, 4.12, 4.12, 4.12, 90, 90, 90, 2, z_cscl, f_nacl), 221, "CsCl", lp_cscl),
          "CsCl added");
    CHECK(xs_dataset_writer_close(w, 1, 0, 0, &err) == XS_OK, "%s", err.message);

    /* The table: four columns on the paper's grid; clean maximum 1; augmented = clean + background + noise. */
    char args[2048];
    snprintf(args, sizeof args, "'%s' --index 0 --seed 7 --format tsv", h5);
    CHECK(run(args, out) == 0, "render --format tsv exits 0");
    size_t len;
    char *text = xs_test_slurp(out, &len);
    CHECK(text && strstr(text, "Na4Cl4") && strstr(text, "Fm-3m") && strstr(text, "No. 225"),
          "header names formula and space group");
    size_t rows = 0, bad = 0;
    double cmax = 0, t_first = -1, t_last = -1;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        double t, c, b, a;
        if (sscanf(line, "%lf %lf %lf %lf", &t, &c, &b, &a) != 4) {
            bad++;
            continue;
        }
        if (t_first < 0) t_first = t;
        t_last = t;
        rows++;
        cmax = c > cmax ? c : cmax;
        double noise = a - c - b;
        /* printed with 6 significant digits: each column carries up to 5e-7 of rounding; 2e-6 */
        bad += !(noise >= 0.002 - 2e-6 && noise <= 0.02 + 2e-6);
    }
    CHECK(rows == 8500 && bad == 0, "%zu rows, %zu bad", rows, bad);
    CHECK(fabs(t_first - 5.0) < 1e-9 && fabs(t_last - 89.99) < 1e-9, "grid %.2f..%.2f", t_first, t_last);
    CHECK(cmax == 1.0, "clean maximum %g", cmax);
    free(text);

    /* Same seed and index: same output; the table is what training sees for item 0, seed 7. */
    char out2[600];
    snprintf(out2, sizeof out2, "%s.again", out);
    CHECK(run(args, out2) == 0, "second run");
    char *t1 = xs_test_slurp(out, NULL), *t2 = xs_test_slurp(out2, NULL);
    CHECK(t1 && t2 && !strcmp(t1, t2), "same seed, same table");
    free(t1), free(t2);

    /* The plot: a complete SVG with title, axes labels, both curves, written atomically. */
    snprintf(args, sizeof args, "'%s' --index 1 --seed 3 --plot '%s'", h5, svg);
    CHECK(run(args, out) == 0, "render --plot exits 0");
    char *s = xs_test_slurp(svg, &len);
    CHECK(s && !strncmp(s, "<?xml", 5) && strstr(s, "</svg>"), "SVG complete");
    CHECK(s && strstr(s, "Cs") && strstr(s, "No. 221, cubic") && strstr(s, "2\xce\xb8 (degrees)") &&
              strstr(s, "intensity"),
          "title and axis labels");
    int polylines = 0;
    for (char *p = s; p && (p = strstr(p, "<polyline")); p++) polylines++;
    CHECK(polylines == 3, "three curves (augmented, clean, background): %d", polylines);
    free(s);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c 'plot.svg.' > '%s/count'", dir, dir);
    (void)!system(cmd);
    char cnt_path[600];
    snprintf(cnt_path, sizeof cnt_path, "%s/count", dir);
    char *cnt = xs_test_slurp(cnt_path, NULL);
    CHECK(cnt && atoi(cnt) == 0, "no temporary file left");
    free(cnt);

    /* Errors: index out of range (1), missing file (1), bad option (2); an unwritable plot leaves no file. */
    snprintf(args, sizeof args, "'%s' --index 2", h5);
    CHECK(run(args, out) == 1, "index 2 of 2 refused");
    snprintf(args, sizeof args, "'%s/none.h5' --index 0", dir);
    CHECK(run(args, out) == 1, "missing file refused");
    snprintf(args, sizeof args, "'%s' --index 0 --fwhm 0.3 0.1", h5);
    CHECK(run(args, out) == 2, "bad FWHM range is a usage error");
    snprintf(args, sizeof args, "'%s' --index 0 --counts 0.5 10", h5);
    CHECK(run(args, out) == 2, "fewer than 1 count is a usage error");
    /* counting noise: the same table but its augmented column, and the plot says the counts */
    snprintf(args, sizeof args, "'%s' --index 1 --seed 3 --counts 100 1500 --plot '%s'", h5, svg);
    CHECK(run(args, out) == 0, "render --counts exits 0");
    s = xs_test_slurp(svg, NULL);
    CHECK(s && strstr(s, "counting noise of ") && strstr(s, " counts at the maximum"), "the plot names the counts");
    free(s);
    snprintf(args, sizeof args, "'%s' --index 0 --plot '%s/no/such/dir/p.svg'", h5, dir);
    CHECK(run(args, out) == 1, "unwritable plot path fails");

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)!system(cmd);
    return xs_test_finish();
}
