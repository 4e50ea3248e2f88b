/* xrdsym predict end to end: a small model trained here on the tiny dataset, a pattern file written as a
 * diffractometer would (two columns with a header), the answer in every format, and the errors of broken
 * files that must not stop the other files. */
#include "xrdsym.h"
#include "xs_test.h"
#include "xs_fixtures.h"

#include <unistd.h>

static char out_buf[1 << 16];

static int run(const char *cmd) { return xs_test_capture(cmd, out_buf, sizeof out_buf); }

/* `predict --format json` of one file with options A and then B: each must exit 0 and report what it holds
 * (hold_a, hold_b), and their first guesses' probabilities must differ by more than min_gap (an option that
 * changes the answer, shown to reach the network). */
static void answers_differ(const char *exe, const char *model, const char *file, const char *opts_a, const char *hold_a,
                           const char *opts_b, const char *hold_b, double min_gap)
{
    char cmd[2048];
    double p[2] = {-1, -1};
    const char *opts[2] = {opts_a, opts_b}, *hold[2] = {hold_a, hold_b};
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s %s --format json 2>/dev/null", exe, model, file, opts[k]);
        const char *q = run(cmd) == 0 && strstr(out_buf, hold[k]) ? strstr(out_buf, "\"probability\": ") : NULL;
        CHECK(q, "predict %s reports %s: %s", opts[k], hold[k], out_buf);
        if (q) p[k] = atof(q + 15);
    }
    CHECK(p[0] >= 0 && p[1] >= 0 && fabs(p[0] - p[1]) > min_gap, "'%s' and '%s' answer otherwise: %g / %g", opts_a,
          opts_b, p[0], p[1]);
}

int main(void)
{
    const char *build = getenv("XS_BUILD_DIR");
    char exe[1024], data[64], model[64], good[64], moly[64], bad[64], cmd[4096];
    snprintf(exe, sizeof exe, "%s/xrdsym", build ? build : "build");
    snprintf(data, sizeof data, "/tmp/xs_pred_data_%d.h5", (int)getpid());
    snprintf(model, sizeof model, "/tmp/xs_pred_model_%d.h5", (int)getpid());
    snprintf(good, sizeof good, "/tmp/xs_pred_%d.xy", (int)getpid());
    snprintf(moly, sizeof moly, "/tmp/xs_pred_mo_%d.xy", (int)getpid());
    snprintf(bad, sizeof bad, "/tmp/xs_pred_bad_%d.xy", (int)getpid());
    xs_fixture_tiny_dataset(data);

    snprintf(cmd, sizeof cmd,
             "'%s' train --data %s --out %s --arch 'input 8500; avgpool 10; dense 32 relu; dense classes softmax' "
             "--epochs 16 --batch 16 --lr 0.003 --seed 5 --quiet --no-checkpoint 2>&1",
             exe, data, model);
    CHECK(run(cmd) == 0, "train: %s", out_buf);
    /* a value that is not a number is a usage error naming the option, not a silent 0 */
    snprintf(cmd, sizeof cmd, "'%s' train --data %s --out /tmp/never.h5 --noise-scale eight 2>&1", exe, data);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--noise-scale expects a number, got 'eight'"), "bad number: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' train --data %s --out /tmp/never.h5 --epochs 3x 2>&1", exe, data);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--epochs expects a non-negative integer"), "bad integer: %s", out_buf);

    /* A measured-looking pattern of group 14 (g = 1): peaks at 21, 41, 61, 81 deg, Cu K-alpha. */
    FILE *f = fopen(good, "w");
    fprintf(f, "# sample 14\n# wavelength 1.54184\n2theta intensity\n");
    for (double t = 5; t < 90; t += 0.02) {
        double y = 50;
        for (int k = 0; k < 4; k++) y += (1000 - 200 * k) * exp(-4 * log(2) * pow(t - (21 + 20 * k), 2) / 0.01);
        fprintf(f, "%.3f %.2f\n", t, y);
    }
    fclose(f);
    /* the same crystal measured with Mo K-alpha, no wavelength in the file: --wavelength MoKa maps it */
    f = fopen(moly, "w");
    for (double t = 2; t < 45; t += 0.01) {
        double y = 50;
        for (int k = 0; k < 4; k++) {
            double d = 1.54184 / (2 * sin((21 + 20 * k) * M_PI / 360));
            double tm = 2 * asin(0.71073 / (2 * d)) * 180 / M_PI;
            y += (1000 - 200 * k) * exp(-4 * log(2) * pow(t - tm, 2) / 0.0025);
        }
        fprintf(f, "%.3f %.2f\n", t, y);
    }
    fclose(f);
    f = fopen(bad, "w");
    fprintf(f, "10 1\n11 nan\n");
    fclose(f);

    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --top 3 2>&1", exe, model, good);
    CHECK(run(cmd) == 0, "predict text: %s", out_buf);
    CHECK(strstr(out_buf, "1. P2_1/c") != NULL, "group 14 first: %s", out_buf);
    CHECK(strstr(out_buf, "monoclinic") != NULL && strstr(out_buf, "certainty") != NULL, "crystal system and certainty: %s", out_buf);

    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --wavelength MoKa --format tsv 2>&1", exe, model, moly);
    CHECK(run(cmd) == 0, "predict Mo: %s", out_buf);
    CHECK(strstr(out_buf, "\t14\tP2_1/c\t") != NULL, "Mo pattern mapped to the Cu grid gives 14: %s", out_buf);

    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s 2>&1", exe, model, moly);
    run(cmd);
    CHECK(strstr(out_buf, "assuming Cu K-alpha") != NULL, "says it assumes Cu K-alpha: %s", out_buf);

    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s /nonexistent.xy %s --format json --threshold 0.99 2>/dev/null", exe,
             model, bad, good);
    CHECK(run(cmd) == 1, "a broken file makes the exit status 1");
    CHECK(strstr(out_buf, "\"space_group\": 14") != NULL, "the good file is still classified: %s", out_buf);
    /* every input has its record: the two failures with their errors, the broken file's at its line 2 */
    CHECK(strstr(out_buf, "{\"file\": \"/nonexistent.xy\", \"error\": {\"message\": ") != NULL,
          "the missing file is a record with its error: %s", out_buf);
    const char *bad_rec = strstr(out_buf, "\", \"error\": {\"message\": ");
    CHECK(bad_rec && strstr(bad_rec, "\"line\": 2, \"column\": ") != NULL, "the broken file's record names line 2: %s",
          out_buf);
    {
        int depth = 0, min_depth = 0;
        for (const char *c = out_buf; *c; c++) {
            depth += (*c == '[' || *c == '{') - (*c == ']' || *c == '}');
            if (depth < min_depth) min_depth = depth;
        }
        CHECK(depth == 0 && min_depth == 0, "brackets of the JSON with error records balance: %s", out_buf);
    }
    /* P2_1/c is the only group with its peak positions (h0l l = 2n and 0k0 k = 2n together) */
    CHECK(strstr(out_buf, "\"same_peak_positions\": [14]") != NULL, "P2_1/c alone in its class: %s", out_buf);
    const char *pp = strstr(out_buf, "\"peak_positions\": {\"groups\": [");
    double p14 = 0, pclass = 0;
    const char *p14s = strstr(out_buf, "\"space_group\": 14, \"symbol\": \"P2_1/c\", \"probability\": ");
    CHECK(pp && p14s && sscanf(p14s + strlen("\"space_group\": 14, \"symbol\": \"P2_1/c\", \"probability\": "), "%lf", &p14) == 1 &&
              sscanf(strstr(pp, "\"probability\": ") + 15, "%lf", &pclass) == 1,
          "the class the summed probabilities point to: %s", out_buf);
    /* the summed class holds at least its first guess's probability (1e-6: six printed decimals) */
    CHECK(pp && !strncmp(pp + strlen("\"peak_positions\": {\"groups\": ["), "14]", 3) && pclass >= p14 - 1e-6,
          "P2_1/c's class, summed %g >= %g", pclass, p14);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s /nonexistent.xy %s --format tsv 2>/dev/null", exe, model, bad, good);
    char bad_line[700];
    snprintf(bad_line, sizeof bad_line, "\n# error\t%s\t2\t", bad);
    CHECK(run(cmd) == 1 && strstr(out_buf, "\n# error\t/nonexistent.xy\t0\t") != NULL && strstr(out_buf, bad_line) != NULL &&
              strstr(out_buf, "\t14\tP2_1/c\t") != NULL,
          "tsv: a '# error' line for each failure (the broken file's at line 2), the good file's row: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s 2>&1 >/dev/null", exe, model, bad);
    run(cmd);
    CHECK(strstr(out_buf, bad) != NULL && strstr(out_buf, ":2") != NULL, "error names the file and line 2: %s", out_buf);
    /* a powder CIF whose first profile block is broken (a word among its counts, line 7) and whose second is
     * the good pattern: the second is classified, the first said as a warning with its line */
    {
        char pdcif[64];
        snprintf(pdcif, sizeof pdcif, "/tmp/xs_pred_%d.cif", (int)getpid());
        f = fopen(pdcif, "w");
        fprintf(f, "data_broken\n_diffrn_radiation_wavelength 1.54184\n_pd_meas_2theta_range_min 5\n"
                   "_pd_meas_2theta_range_inc 0.02\nloop_\n_pd_meas_counts_total\n10\nten\n");
        for (int k = 0; k < 100; k++) fprintf(f, "10\n");
        fprintf(f, "data_ok\n_diffrn_radiation_wavelength 1.54184\n_pd_meas_2theta_range_min 5\n"
                   "_pd_meas_2theta_range_inc 0.02\nloop_\n_pd_meas_counts_total\n");
        for (int i = 0; i < 4250; i++) {
            double t = 5 + 0.02 * i, y = 50;
            for (int k = 0; k < 4; k++) y += (1000 - 200 * k) * exp(-4 * log(2) * pow(t - (21 + 20 * k), 2) / 0.01);
            fprintf(f, "%.2f\n", y);
        }
        fclose(f);
        snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format tsv 2>&1", exe, model, pdcif);
        CHECK(run(cmd) == 0 && strstr(out_buf, "#ok\t14\tP2_1/c\t") != NULL, "the good block is classified: %s", out_buf);
        char where[128];
        snprintf(where, sizeof where, "warning: %s:8: block 'broken'", pdcif);
        CHECK(strstr(out_buf, where) != NULL && strstr(out_buf, "profile left out") != NULL,
              "the broken block is a warning naming file, line 8 and block: %s", out_buf);
        /* and the outputs for programs carry it: a '# warning' line in TSV, file_warnings in the JSON record */
        snprintf(where, sizeof where, "# warning\t%s\t8\tblock 'broken'", pdcif);
        CHECK(strstr(out_buf, where) != NULL, "tsv: a '# warning' line with file and line 8: %s", out_buf);
        snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format json 2>/dev/null", exe, model, pdcif);
        CHECK(run(cmd) == 0 && strstr(out_buf, "\"file_warnings\": [{\"message\": \"block 'broken'") &&
                  strstr(out_buf, "\"line\": 8}]"),
              "json: file_warnings with the message and line 8: %s", out_buf);
        unlink(pdcif);
    }
    /* an error that quotes a Latin-1 byte (A-ring) stays valid JSON: the byte as \u00c5, valid UTF-8 (e-acute)
     * as it is (found by feeding the fuzzers' corpus to predict --format json) */
    {
        char latin[64];
        snprintf(latin, sizeof latin, "/tmp/xs_pred_latin_%d.xy", (int)getpid());
        FILE *lf = fopen(latin, "w");
        fprintf(lf, "10 1\n0\xc5y \xc3\xa9\n");
        fclose(lf);
        snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format json 2>/dev/null", exe, model, latin);
        CHECK(run(cmd) == 1 && strstr(out_buf, "found '0\\u00c5y \xc3\xa9'") != NULL && !strchr(out_buf, '\xc5'),
              "a Latin-1 byte escaped, UTF-8 kept: %s", out_buf);
        unlink(latin);
    }

    /* --zero-shift: the same pattern measured with a +0.15 deg zero error, corrected, answers as the original
     * (x + 0.15 - 0.15 is x within an ulp, so the probabilities agree far below the table's 4 decimals: 2e-4
     * allows one unit of the last printed digit either way) and, uncorrected, otherwise (the network sees the
     * peaks 15 grid steps off) */
    char shifted[600];
    static char ref_out[1 << 16];
    snprintf(shifted, sizeof shifted, "%s.shifted.xy", good);
    f = fopen(shifted, "w");
    fprintf(f, "# wavelength 1.54184\n");
    for (double t = 5; t < 90; t += 0.02) {
        double y = 50;
        for (int k = 0; k < 4; k++) y += (1000 - 200 * k) * exp(-4 * log(2) * pow(t - (21 + 20 * k), 2) / 0.01);
        fprintf(f, "%.3f %.2f\n", t + 0.15, y);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format tsv --top 3 2>/dev/null | cut -f2-", exe, model, good);
    CHECK(run(cmd) == 0, "predict the original: %s", out_buf);
    snprintf(ref_out, sizeof ref_out, "%s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --zero-shift 0.15 --format tsv --top 3 2>/dev/null | cut -f2-",
             exe, model, shifted);
    CHECK(run(cmd) == 0, "predict corrected: %s", out_buf);
    double p_ref = 0, p_cor = 0;
    const char *row_ref = strchr(ref_out, '\n'), *row_cor = strchr(out_buf, '\n');
    CHECK(row_ref && row_cor && sscanf(row_ref, "%*d %*s %lf", &p_ref) == 1 && sscanf(row_cor, "%*d %*s %lf", &p_cor) == 1,
          "two rows: %s / %s", ref_out, out_buf);
    CHECK(!strncmp(row_ref, row_cor, 12) && fabs(p_ref - p_cor) <= 2e-4,
          "corrected answers as the original (4 decimals in the table): %s / %s", row_ref, row_cor);
    /* uncorrected, the network answers otherwise; the correction is reported */
    answers_differ(exe, model, shifted, "", "\"zero_shift_deg\": 0.0000", "--zero-shift 0.15", "\"zero_shift_deg\": 0.1500",
                   1e-3);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --zero-shift 3 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "at most 2 deg"), "--zero-shift 3 refused with the reason: %s", out_buf);

    /* --prior: the report names the prior used; an unknown one is refused with the choices */
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --prior minerals --format json 2>/dev/null", exe, model, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "\"prior\": \"minerals\""), "--prior minerals: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format json 2>/dev/null", exe, model, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "\"prior\": \"materials-project\""), "the default prior: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --prior minerals 2>&1", exe, model, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "frequencies of minerals"), "the text says which prior: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --prior icsd 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "mp, minerals or uniform, got 'icsd'"), "--prior icsd refused: %s", out_buf);
    unlink(shifted);

    /* --combine: an ensemble of the model and one of another seed trained 2 epochs (so that the two disagree); the geometric mean reaches the ensemble
     * (another first probability than the mean's), is reported in the text and the JSON; an unknown mode is refused */
    char second[96], pair[96];
    snprintf(second, sizeof second, "%s.seed6.h5", model);
    snprintf(pair, sizeof pair, "%s.pair.h5", model);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data %s --out %s --arch 'input 8500; avgpool 10; dense 32 relu; dense classes softmax' "
             "--epochs 2 --batch 16 --lr 0.003 --seed 6 --quiet --no-checkpoint 2>&1 && '%s' ensemble %s %s --out %s 2>&1",
             exe, data, second, exe, model, second, pair);
    CHECK(run(cmd) == 0, "a second model and the pair: %s", out_buf);
    answers_differ(exe, pair, good, "", "\"combine\": \"mean\"", "--combine geometric", "\"combine\": \"geometric\"", 1e-4);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --combine geometric 2>&1", exe, pair, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "combined by the geometric mean"), "the text says so: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --combine median 2>&1", exe, pair, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--combine is mean or geometric, got 'median'"), "--combine median refused: %s",
          out_buf);
    /* an ensemble file made with --combine geometric is combined so without the option, and --combine mean
     * overrides it */
    char pair_geo[112];
    snprintf(pair_geo, sizeof pair_geo, "%s.pairgeo.h5", model);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s --out %s --combine geometric 2>&1", exe, pair, pair_geo);
    CHECK(run(cmd) == 0 && strstr(out_buf, "their geometric mean"), "the geometric pair: %s", out_buf);
    answers_differ(exe, pair_geo, good, "", "\"combine\": \"geometric\"", "--combine mean", "\"combine\": \"mean\"", 1e-4);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s --out %s --combine median 2>&1", exe, pair, pair_geo);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--combine is mean or geometric, got 'median'"), "ensemble --combine median refused: %s",
          out_buf);
    /* --member: the pair's second member taken out answers as the model it was made from, to the last digit */
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s --member 1 --out %s 2>&1", exe, pair, pair_geo);
    CHECK(run(cmd) == 0 && strstr(out_buf, "(1 member)"), "member 1 taken out: %s", out_buf);
    static char alone[2][sizeof out_buf];
    const char *which[2] = {second, pair_geo};
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format tsv 2>/dev/null", exe, which[k], good);
        CHECK(run(cmd) == 0, "predict with %s: %s", which[k], out_buf);
        snprintf(alone[k], sizeof alone[k], "%s", out_buf);
    }
    CHECK(!strcmp(alone[0], alone[1]), "the member answers as its model:\n%s\n%s", alone[0], alone[1]);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s --member 2 --out %s 2>&1", exe, pair, pair_geo);
    CHECK(run(cmd) == 1 && strstr(out_buf, "--member 2: the files hold 2 members"), "--member 2 of 2 refused: %s", out_buf);
    unlink(pair_geo);
    unlink(second);
    unlink(pair);

    /* --displacement: the same pattern from a sample 0.3 mm too high on a 240 mm goniometer (each peak
     * 2 * 0.3 / 240 cos(theta) rad higher: 0.14 deg at 21 deg, 0.11 at 81), written as an .xrdml that states
     * its radius; corrected, every angle returns to the original's within 1e-9 deg, so the answer agrees to
     * the table's last digit as for the zero error (2e-4) */
    char displaced[600];
    snprintf(displaced, sizeof displaced, "%s.displaced.xrdml", good);
    f = fopen(displaced, "w");
    fprintf(f, "<?xml version=\"1.0\"?>\n<xrdMeasurements><xrdMeasurement>\n<usedWavelength><kAlpha1 unit=\"Angstrom\">"
               "1.54184</kAlpha1></usedWavelength>\n<incidentBeamPath><radius unit=\"mm\">240.00</radius>"
               "</incidentBeamPath>\n<scan><dataPoints>\n<positions axis=\"2Theta\" unit=\"deg\"><listPositions>");
    for (double t = 5; t < 90; t += 0.02) fprintf(f, "%.12f ", t + 2 * 0.3 / 240 * cos(t * M_PI / 360) * 180 / M_PI);
    fprintf(f, "</listPositions></positions>\n<intensities unit=\"counts\">");
    for (double t = 5; t < 90; t += 0.02) {
        double y = 50;
        for (int k = 0; k < 4; k++) y += (1000 - 200 * k) * exp(-4 * log(2) * pow(t - (21 + 20 * k), 2) / 0.01);
        fprintf(f, "%.2f ", y);
    }
    fprintf(f, "</intensities></dataPoints></scan></xrdMeasurement></xrdMeasurements>\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 0.3 --format tsv --top 3 2>/dev/null | cut -f2-",
             exe, model, displaced);
    CHECK(run(cmd) == 0, "predict displaced, corrected: %s", out_buf);
    row_cor = strchr(out_buf, '\n');
    CHECK(row_cor && sscanf(row_cor, "%*d %*s %lf", &p_cor) == 1 && !strncmp(row_ref, row_cor, 12) &&
              fabs(p_ref - p_cor) <= 2e-4,
          "a displacement corrected answers as the original: %s / %s", row_ref, row_cor ? row_cor : "");
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 0.3 --format json 2>/dev/null", exe, model,
             displaced);
    CHECK(run(cmd) == 0 && strstr(out_buf, "\"displacement_mm\": 0.3000") &&
              strstr(out_buf, "\"goniometer_radius_mm\": 240.00"),
          "the correction and the file's radius reported: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 0.3 2>&1", exe, model, good);
    CHECK(run(cmd) == 1 && strstr(out_buf, good) && strstr(out_buf, "--goniometer-radius"),
          "an .xy states no radius: refused, naming the file and the option: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 0.3 --goniometer-radius 240 2>&1", exe, model, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "displacement   +0.300 mm at a goniometer radius of 240 mm"),
          "with --goniometer-radius it is corrected and said: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 30 --goniometer-radius 240 2>&1", exe, model, good);
    CHECK(run(cmd) == 1 && strstr(out_buf, "is it in mm?"), "30 mm is not a displacement: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --displacement 0.3 --goniometer-radius 24 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "50..1000 mm"), "a 24 mm radius is a usage error: %s", out_buf);
    unlink(displaced);

    /* predict's numbers are checked as train's: not a silent 0 from atof */
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --threshold high 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--threshold expects a number, got 'high'"), "bad threshold: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --threshold 1.5 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--threshold must be 0..1, got '1.5'"), "threshold above 1: usage error saying why: %s",
          out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --top 0 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--top must be at least 1, got '0'"), "--top 0: usage error saying why: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --top 3x 2>&1", exe, model, good);
    CHECK(run(cmd) == 2 && strstr(out_buf, "--top expects a non-negative integer"), "bad --top: %s", out_buf);

    snprintf(cmd, sizeof cmd, "XRDSYM_MODEL=/nonexistent.h5 '%s' predict %s 2>&1", exe, good);
    CHECK(run(cmd) == 1 && strstr(out_buf, "nonexistent.h5") != NULL, "missing model named: %s", out_buf);

    /* ensemble: a second member with another seed; the file has 2 members and predicts; a crystal-system
     * model cannot join a space-group one, and the error names its file */
    char model2[64], ens[64], csm[64];
    snprintf(model2, sizeof model2, "/tmp/xs_pred_model2_%d.h5", (int)getpid());
    snprintf(ens, sizeof ens, "/tmp/xs_pred_ens_%d.h5", (int)getpid());
    snprintf(csm, sizeof csm, "/tmp/xs_pred_cs_%d.h5", (int)getpid());
    snprintf(cmd, sizeof cmd,
             "'%s' train --data %s --out %s --arch 'input 8500; avgpool 10; dense 32 relu; dense classes softmax' "
             "--epochs 2 --batch 16 --seed 6 --quiet --no-checkpoint 2>&1 && "
             "'%s' train --data %s --out %s --task crystal-system --arch 'input 8500; avgpool 10; dense classes softmax' "
             "--epochs 1 --batch 16 --quiet --no-checkpoint 2>&1",
             exe, data, model2, exe, data, csm);
    CHECK(run(cmd) == 0, "train two more: %s", out_buf);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s %s --out %s 2>&1", exe, model, model2, ens);
    CHECK(run(cmd) == 0 && strstr(out_buf, "2 members"), "ensemble: %s", out_buf);
    xs_nn_ensemble *e = NULL;
    xs_error err = {0};
    CHECK(xs_nn_ensemble_load(ens, &e, &err) == XS_OK && e && xs_nn_ensemble_size(e) == 2, "ensemble file: %s",
          err.message);
    xs_nn_ensemble_free(e);
    /* an ensemble given to ensemble keeps all its members (once only the first, silently) */
    char ens3[64];
    snprintf(ens3, sizeof ens3, "/tmp/xs_pred_ens3_%d.h5", (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s %s --out %s 2>&1", exe, ens, model, ens3);
    CHECK(run(cmd) == 0 && strstr(out_buf, "3 members"), "ensemble of an ensemble and a model: %s", out_buf);
    e = NULL;
    CHECK(xs_nn_ensemble_load(ens3, &e, &err) == XS_OK && e && xs_nn_ensemble_size(e) == 3, "3-member file: %s",
          err.message);
    xs_nn_ensemble_free(e);
    unlink(ens3);
    snprintf(cmd, sizeof cmd, "'%s' predict --model %s %s --format tsv 2>&1", exe, ens, good);
    CHECK(run(cmd) == 0, "predict with the ensemble: %s", out_buf);
    /* --half: the same ensemble with 16-bit weights gives the same first group, its probability within 1e-2
     * (a few thousand weights each rounded by at most 2^-11 relative) */
    char ens16[64], line32[512] = "";
    snprintf(ens16, sizeof ens16, "/tmp/xs_pred_ens16_%d.h5", (int)getpid());
    char *row = strstr(out_buf, "\t14\t");
    if (row) snprintf(line32, sizeof line32, "%s", row);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s %s --out %s --half 2>&1 && '%s' predict --model %s %s --format tsv 2>&1",
             exe, model, model2, ens16, exe, ens16, good);
    CHECK(run(cmd) == 0 && strstr(out_buf, "16-bit weights"), "ensemble --half: %s", out_buf);
    row = strstr(out_buf, "\t14\t");
    double p32 = -1, p16 = -2;
    CHECK(row && line32[0] && sscanf(line32, "\t14\tP2_1/c\t%lf", &p32) == 1 && sscanf(row, "\t14\tP2_1/c\t%lf", &p16) == 1 &&
              fabs(p32 - p16) < 1e-2,
          "16-bit ensemble: same first group, p %g against %g: %s", p16, p32, out_buf);
    long s32 = xs_test_file_size(ens), s16 = xs_test_file_size(ens16);
    /* 2 x 27,300 weights: 218 kB as float32, 109 kB as binary16, plus the same attributes */
    CHECK(s16 > 0 && s32 > 0 && s16 < 0.6 * s32, "16-bit ensemble %ld bytes against %ld", s16, s32);
    unlink(ens16);
    snprintf(cmd, sizeof cmd, "'%s' ensemble %s %s --out %s 2>&1", exe, model, csm, ens);
    CHECK(run(cmd) == 1 && strstr(out_buf, csm), "mixed tasks refused, file named: %s", out_buf);
    unlink(model2);
    unlink(ens);
    unlink(csm);

    unlink(data);
    unlink(model);
    unlink(good);
    unlink(moly);
    unlink(bad);
    return xs_test_finish();
}
