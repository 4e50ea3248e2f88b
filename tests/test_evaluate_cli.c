/* xrdsym evaluate end to end: a tiny model trained here on the tiny three-group dataset, evaluated on the
 * dataset's validation split and on a one-pattern-a-line table rendered from it; the JSON keys checked with
 * Debian's python3 (json module), the plots checked as complete SVG files, usage errors. */
#include "xrdsym.h"
#include "xs_test.h"

#include <sys/stat.h>
#include "xs_fixtures.h"

#include <unistd.h>

static char dir[256], exe[1024];

static int run(const char *args, const char *out) { return xs_test_run_cli(exe, "evaluate", args, out); }

static xs_nn_ensemble *train(const xs_dataset *d, const char *path, xs_train_task task)
{
    xs_train_options opt;
    xs_fixture_tiny_train_options(&opt);
    opt.task = task;
    xs_nn_ensemble *e = NULL;
    xs_error err = {0};
    CHECK(xs_train_run(d, path, &opt, &e, &err) == XS_OK, "train: %s", err.message);
    return e;
}

/* Run python3 on the JSON file with a check program; 0 when it prints OK. */
static int py_check(const char *json, const char *program)
{
    char script[512], cmd[2048];
    snprintf(script, sizeof script, "%s/check.py", dir);
    FILE *f = fopen(script, "w");
    if (!f) return 0;
    fprintf(f, "import json, sys\nd = json.load(open(sys.argv[1]))\n%s\nprint('OK')\n", program);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", script, json);
    int rc = system(cmd);
    return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

/* Every required key, nested as objects. */
static const char *KEYS =
    "for k in ['n', 'accuracy.space_group', 'accuracy.crystal_system', 'accuracy.centrosymmetric_space_group',\n"
    "          'top_n.space_group', 'refusal.accuracy_at_half', 'refusal.threshold_at_half',\n"
    "          'subgroup_distance.histogram', 'certainty.right', 'certainty.wrong', 'refusal.curve.accuracy',\n"
    "          'confusion.crystal_system.rows_true_columns_predicted', 'confusion.space_group',\n"
    "          'per_space_group.groups', 'calibration.expected_calibration_error', 'calibration.log_loss',\n"
    "          'accuracy.extinction_class', 'accuracy.extinction_class_summed']:\n"
    "    v = d\n"
    "    for part in k.split('.'):\n"
    "        assert part in v, 'missing ' + k\n"
    "        v = v[part]\n"
    "a = d['accuracy']\n"
    "assert a['space_group'] is None or a['space_group'] <= a['extinction_class'] <= 1, a\n"
    "if a['extinction_class_summed'] is not None:\n"
    "    lo, hi = d['interval95']['extinction_class_summed']\n"
    "    assert lo <= a['extinction_class_summed'] <= hi, (lo, hi, a)\n";

/* The tiny dataset's first n crystals in a file whose generator attribute is `generator`. */
static void write_tiny(const char *path, const char *generator, int n)
{
    xs_dataset_writer *w = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_writer_create(path, 1.54184, 5, 90, generator, &w, &err) == XS_OK, "writer: %s", err.message);
    if (!w) return;
    const int groups[3] = {225, 14, 2};
    for (int i = 0; i < n; i++) {
        double tt[4], in[4];
        for (int k = 0; k < 4; k++) tt[k] = 15 + 20 * k + 6 * (i % 3) + 0.01 * (i / 3), in[k] = 100 - 20 * k;
        xs_fixture_add_crystal(w, groups[i % 3], "X", tt, in, 4);
    }
    CHECK(xs_dataset_writer_close(w, 7, 0.2, 0.0, &err) == XS_OK, "close: %s", err.message);
}

int main(void)
{
    xs_test_cli_exe(exe, sizeof exe);
    int have_py = access("/usr/bin/python3", X_OK) == 0;
    if (!have_py) printf("note: /usr/bin/python3 is absent; the JSON is checked by text search only\n");
    snprintf(dir, sizeof dir, "/tmp/xs_test_evaluate.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char data[512], model[512], cs_model[512], json[512], out[512], plots[512], table[512], args[4096];
    snprintf(data, sizeof data, "%s/tiny.h5", dir);
    snprintf(model, sizeof model, "%s/sg.h5", dir);
    snprintf(cs_model, sizeof cs_model, "%s/cs.h5", dir);
    snprintf(json, sizeof json, "%s/eval.json", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(plots, sizeof plots, "%s/plots", dir);
    snprintf(table, sizeof table, "%s/table.tsv", dir);
    xs_fixture_tiny_dataset(data);
    xs_dataset *d = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_open(data, &d, &err) == XS_OK, "open: %s", err.message);
    if (!d) return xs_test_finish();
    size_t n_val = xs_dataset_count_split(d, XS_SPLIT_VAL);

    xs_nn_ensemble *sg = train(d, data, XS_TASK_SPACE_GROUP), *cs = train(d, data, XS_TASK_CRYSTAL_SYSTEM);
    CHECK(sg && xs_nn_ensemble_save(sg, model, 0, &err) == XS_OK, "save: %s", err.message);
    CHECK(cs && xs_nn_ensemble_save(cs, cs_model, 0, &err) == XS_OK, "save: %s", err.message);

    /* The model records its training file's digest: that very file is its own split; a file of the same
     * generator (made elsewhere, with other threads) with one crystal less (every split reshuffled) is said to be
     * another split, on stderr and in the JSON; a file of another generator is other data. */
    {
        char same[512], fewer[512], other[512], eargs[4096], err_path[600];
        snprintf(same, sizeof same, "%s/same.h5", dir);
        snprintf(fewer, sizeof fewer, "%s/fewer.h5", dir);
        snprintf(other, sizeof other, "%s/other.h5", dir);
        write_tiny(same, "test_train", 300);
        write_tiny(fewer, "test_train --threads 3 --quiet --out elsewhere.h5", 299);
        write_tiny(other, "another command", 300);
        snprintf(err_path, sizeof err_path, "%s.err", out);
        const char *files[3] = {same, fewer, other};
        const char *verdicts[3] = {"\"training_split\": \"same split\"", "\"training_split\": \"other split\"",
                                   "\"training_split\": \"other data\""};
        for (int k = 0; k < 3; k++) {
            snprintf(eargs, sizeof eargs, "--model '%s' --data '%s' --split val --json '%s'", model, files[k], json);
            CHECK(run(eargs, out) == 0, "evaluate on %s", files[k]);
            char *j = xs_test_slurp(json, NULL), *e = xs_test_slurp(err_path, NULL);
            CHECK(j && strstr(j, verdicts[k]), "%s: %s", files[k], verdicts[k]);
            int warned = e && strstr(e, "warning: member(s) 1 of") && strstr(e, "300 crystals") && strstr(e, "299");
            CHECK(warned == (k == 1), "%s: warned %d: %s", files[k], warned, e ? e : "");
            free(j);
            free(e);
        }
    }

    /* xrdsym train --init (fine-tuning) and --sample-prior, then evaluate the result with the rest of the prior */
    {
        char tuned[512], targs[4096];
        snprintf(tuned, sizeof tuned, "%s/tuned.h5", dir);
        snprintf(targs, sizeof targs, "--data '%s' --init '%s' --arch dense --out '%s'", data, model, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 2, "--init with --arch is a usage error");
        snprintf(targs, sizeof targs, "--data '%s' --init '%s' --sample-prior lots --out '%s'", data, model, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 2, "--sample-prior needs a number");
        snprintf(targs, sizeof targs, "--data '%s' --init '%s' --sample-prior 3 --quiet --no-checkpoint --out '%s'", data,
                 model, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 1, "--sample-prior out of range is refused");
        snprintf(targs, sizeof targs,
                 "--data '%s' --init '%s' --sample-prior 1 --epochs 1 --batch 16 --lr 0.0005 --quiet --no-checkpoint "
                 "--out '%s'", data, model, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 0, "fine-tuning exits 0");
        xs_nn *net = NULL;
        CHECK(xs_nn_load(tuned, &net, &err) == XS_OK, "load tuned: %s", err.message);
        if (net) {
            const char *pw = xs_nn_get_meta(net, "sample_prior_power"), *from = xs_nn_get_meta(net, "fine_tuned_from");
            CHECK(pw && !strcmp(pw, "1") && from && !strcmp(from, model), "provenance: %s, %s", pw ? pw : "-",
                  from ? from : "-");
            xs_nn_free(net);
        }
        /* --mix: a second dataset in every batch; a missing file, a bad or out-of-range fraction are said */
        snprintf(targs, sizeof targs, "--data '%s' --mix '%s.missing' 0.2 --quiet --no-checkpoint --out '%s.mix'", data,
                 data, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 1, "--mix of a missing file fails");
        char out_err[600];
        snprintf(out_err, sizeof out_err, "%s.err", out);
        char *said = xs_test_slurp(out_err, NULL);
        CHECK(said && strstr(said, ".missing"), "the missing file is named: %s", said ? said : "");
        free(said);
        snprintf(targs, sizeof targs, "--data '%s' --mix '%s' some --out '%s.mix'", data, data, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 2, "--mix needs a fraction");
        snprintf(targs, sizeof targs, "--data '%s' --mix '%s' 0.95 --quiet --no-checkpoint --out '%s.mix'", data, data, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 1, "--mix 0.95 is refused");
        snprintf(targs, sizeof targs,
                 "--data '%s' --init '%s' --mix '%s' 0.5 --epochs 1 --batch 16 --lr 0.0005 --quiet --no-checkpoint "
                 "--out '%s.mix'", data, model, data, tuned);
        CHECK(xs_test_run_cli(exe, "train", targs, out) == 0, "fine-tuning with --mix exits 0");
        char mixed_model[1024];
        snprintf(mixed_model, sizeof mixed_model, "%s.mix", tuned);
        CHECK(xs_nn_load(mixed_model, &net, &err) == XS_OK, "load mixed: %s", err.message);
        if (net) {
            const char *md = xs_nn_get_meta(net, "mixed_data");
            CHECK(md && strstr(md, data) && strstr(md, "fraction 0.5"), "mix recorded: %s", md ? md : "-");
            xs_nn_free(net);
        }
        remove(mixed_model);
        snprintf(targs, sizeof targs, "--model '%s' --data '%s' --split val --prior mp --json '%s'", tuned, data, json);
        CHECK(run(targs, out) == 0, "evaluate --prior mp on the fine-tuned model");
        char *ev = xs_test_slurp(out, NULL);
        CHECK(ev && strstr(ev, "space group"), "summary printed");
        free(ev);
        remove(tuned);
    }

    /* --combine: recorded in the JSON; an unknown mode is a usage error */
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split val --combine geometric --json '%s'", model, data, json);
    CHECK(run(args, out) == 0, "evaluate --combine geometric exits 0");
    char *gj = xs_test_slurp(json, NULL);
    CHECK(gj && strstr(gj, "\"combine\": \"geometric\""), "--combine geometric recorded");
    free(gj);
    snprintf(args, sizeof args, "--model '%s' --data '%s' --combine harmonic --json '%s'", model, data, json);
    CHECK(run(args, out) == 2, "--combine harmonic refused");

    /* the validation split, with plots */
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split val --seed 5 --json '%s' --plots '%s'", model, data,
             json, plots);
    CHECK(run(args, out) == 0, "evaluate --data exits 0");
    char *txt = xs_test_slurp(out, NULL), *js = xs_test_slurp(json, NULL);
    CHECK(txt && strstr(txt, "space group") && strstr(txt, "half refused"), "summary printed: %s", txt ? txt : "");
    CHECK(js && strstr(js, "\"accuracy_at_half\"") && strstr(js, "\"subgroup_distance\""), "JSON written");
    CHECK(js && strstr(js, "\"combine\": \"mean\""), "the JSON says how the members were combined");
    free(txt);
    free(js);
    if (have_py) {
        char prog[4096];
        /* three well separated groups after 4 epochs: far above chance (1/3), as in test_train */
        snprintf(prog, sizeof prog,
                 "%s"
                 "assert d['n'] == %zu, d['n']\n"
                 "assert len(d['top_n']['space_group']) == 10\n"
                 "assert d['accuracy']['space_group'] > 0.9, d['accuracy']\n"
                 "assert d['accuracy']['crystal_system'] >= d['accuracy']['space_group'] - 1e-12\n"
                 "assert all(a <= b + 1e-12 for a, b in zip(d['top_n']['space_group'], d['top_n']['space_group'][1:]))\n"
                 "assert sum(d['subgroup_distance']['histogram']) == d['n']\n"
                 "assert sum(d['certainty']['right']) + sum(d['certainty']['wrong']) == d['n']\n"
                 "assert abs(d['accuracy']['space_group'] * d['n'] - sum(d['certainty']['right'])) < 1e-6\n"
                 "assert 0 < d['refusal']['threshold_at_half'] <= 1\n"
                 "c = d['calibration']\n"
                 "assert sum(c['count']) == d['n'] and len(c['bin_edges']) == 11\n"
                 "ece = sum(k / d['n'] * abs(a - m) for k, a, m in zip(c['count'], c['accuracy'], c['mean_certainty']) if k)\n"
                 "assert abs(ece - c['expected_calibration_error']) < 1e-9, (ece, c)\n"
                 "assert all(e <= m <= e + 0.1 for k, m, e in zip(c['count'], c['mean_certainty'], c['bin_edges']) if k)\n"
                 "assert c['log_loss'] > 0\n"
                 "assert d['refusal']['accuracy_at_half'] >= d['accuracy']['space_group'] - 0.05\n"
                 "g = {x['space_group']: x for x in d['per_space_group']['groups']}\n"
                 "assert set(g) == {225, 14, 2}, set(g)\n"
                 "assert all(x['train_abundance'] > 0 for x in g.values())\n"
                 "lo, hi = d['interval95']['space_group']\n"
                 "assert 0 <= lo <= d['accuracy']['space_group'] <= hi <= 1, (lo, hi)\n"
                 "lo, hi = d['interval95']['accuracy_at_half']\n"
                 "assert 0 <= lo <= d['refusal']['accuracy_at_half'] <= hi <= 1, (lo, hi)\n"
                 "assert d['source']['split'] == 'val' and d['source']['augmentation_seed'] == 5\n"
                 "assert d['source']['augmentation'].startswith('fwhm ') and ' counts ' not in d['source']['augmentation']\n",
                 KEYS, n_val);
        CHECK(py_check(json, prog), "JSON keys and consistency (python3 says why above)");
    }
    /* --augmentation: rendered with other options than the model's, and reported */
    snprintf(args, sizeof args,
             "--model '%s' --data '%s' --split val --json '%s' --augmentation 'fwhm 0.05..0.2 noise 0.002..0.02 "
             "background p 0.5 total 0.1 zero_shift 0.02 kalpha2 0 growth 1 counts 100 1500'",
             model, data, json);
    CHECK(run(args, out) == 0, "evaluate --augmentation exits 0");
    if (have_py)
        CHECK(py_check(json, "assert d['source']['augmentation'] == 'fwhm 0.05..0.2 noise 0.002..0.02 background p 0.5 "
                             "total 0.1 zero_shift 0.02 kalpha2 0 growth 1 counts 100 1500', d['source']\n"),
              "the augmentation given is the one reported");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split val --json '%s' --augmentation 'fwhm 1'", model, data,
             json);
    CHECK(run(args, out) == 2, "unreadable --augmentation: usage error");
    char err_path[4200];
    snprintf(err_path, sizeof err_path, "%s.err", out);
    txt = xs_test_slurp(err_path, NULL);
    CHECK(txt && strstr(txt, "--augmentation"), "the error names the option: %s", txt ? txt : "");
    free(txt);
    snprintf(args, sizeof args, "--model '%s' --patterns '%s' --json '%s' --augmentation 'fwhm 0.04..0.21 noise "
             "0.002..0.02 background p 0.5 total 0.1 zero_shift 0 kalpha2 0 growth 0'", model, table, json);
    CHECK(run(args, out) == 2, "--augmentation with measured patterns: usage error");
    txt = xs_test_slurp(err_path, NULL);
    CHECK(txt && strstr(txt, "--augmentation renders --data"), "and says why: %s", txt ? txt : "");
    free(txt);
    const char *figs[] = {"pattern", "refusal", "certainty", "calibration", "top_n", "confusion_crystal_system",
                          "confusion_space_group", "per_group_accuracy", "subgroup_distance"};
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s.svg", plots, figs[i]);
        char *s = xs_test_slurp(p, NULL);
        CHECK(s && !strncmp(s, "<?xml", 5) && strstr(s, "</svg>"), "%s is a complete SVG", p);
        free(s);
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 9 && test $(ls '%s' | grep -c 'eval.json') -eq 1", plots, dir);
    CHECK(system(cmd) == 0, "nine plots, no temporary files left");

    /* the same crystals as a one-pattern-a-line table (integers, max 1000, as the RRUFF table) */
    size_t idx[3] = {0, 1, 2};
    uint64_t items[3] = {0, 1, 2};
    xs_grid grid = xs_grid_paper();
    float *x = malloc(3 * grid.count * sizeof *x);
    xs_aug_options aug;
    xs_aug_options_default(&aug);
    CHECK(xs_train_render(d, idx, 3, &grid, &aug, 9, items, 1, x, &err) == XS_OK, "render: %s", err.message);
    FILE *t = fopen(table, "w");
    fprintf(t, "# test patterns (Cu K-alpha), 2theta 5.00..89.99 step 0.01 deg, max scaled to 1000\n"
               "# columns: id, space_group (1..230), 8500 intensities\n");
    for (int i = 0; i < 3; i++) {
        fprintf(t, "p-%d\t%d\t", i, xs_dataset_space_group(d, idx[i]));
        for (size_t j = 0; j < grid.count; j++) fprintf(t, "%s%d", j ? " " : "", (int)lround(1000 * x[i * grid.count + j]));
        fputc('\n', t);
    }
    fprintf(t, "p-unlabelled\t0\t");
    for (size_t j = 0; j < grid.count; j++) fprintf(t, "%s%d", j ? " " : "", (int)(j % 7));
    fputc('\n', t);
    fclose(t);
    /* the same three as .xy files that state no wavelength: at Cu K-alpha, and at Mo K-alpha (the same
     * intensities at the angles of the same d-spacings), with a label table (a spreadsheet's CSV: byte order
     * mark, quoted fields) of crystal systems and wavelengths, as the SSRL synchrotron set has */
    char labels[600];
    snprintf(labels, sizeof labels, "%s/labels.csv", dir);
    FILE *lt = fopen(labels, "w");
    fprintf(lt, "\xEF\xBB\xBFMaterial,Name,\"Crystal System\",a,Wavelength\n");
    for (int i = 0; i < 3; i++)
        for (int mo = 0; mo < 2; mo++) {
            char xy[600];
            snprintf(xy, sizeof xy, "%s/%s-%d.xy", dir, mo ? "mo" : "cu", i);
            FILE *f = fopen(xy, "w");
            for (size_t j = 0; j < grid.count; j++) {
                double tt = grid.start + grid.step * (double)j;
                if (mo) tt = 2 * asin(0.71073 / 1.54184 * sin(tt * M_PI / 360)) * 180 / M_PI;
                fprintf(f, "%.7f %.6f\n", tt, 1000 * x[i * grid.count + j]);
            }
            fclose(f);
            fprintf(lt, "%s-%d,\"X, Y\",%s,4.1,%s\n", mo ? "mo" : "cu", i,
                    xs_crystal_system_name(xs_sym_crystal_system(xs_dataset_space_group(d, idx[i]))),
                    mo ? "0.71073" : "1.54184");
        }
    fprintf(lt, "ghost,,cubic,,\n");
    fclose(lt);
    free(x);
    {
        char outputs_cs[600];
        snprintf(outputs_cs, sizeof outputs_cs, "%s/outputs-cs.tsv", dir);
        snprintf(args, sizeof args, "--model '%s' --patterns %s/cu-*.xy %s/mo-*.xy --labels '%s' --json '%s' --outputs '%s'",
                 model, dir, dir, labels, json, outputs_cs);
        CHECK(run(args, out) == 0, "evaluate --labels (crystal systems) exits 0");
        char out_err[600];
        snprintf(out_err, sizeof out_err, "%s.err", out);
        char *said = xs_test_slurp(out_err, NULL);
        CHECK(said && strstr(said, "1 of the 7 rows") && !strstr(said, "assum"),
              "the unused row is said; no wavelength assumed: %s", said ? said : "");
        free(said);
        if (have_py) {
            CHECK(py_check(json, "assert d['n'] == 6, d['n']\n"
                                 "assert d['source']['labels'].endswith('labels.csv')\n"
                                 "assert d['source']['assumed_cu_kalpha'] == 0\n"
                                 "assert d['accuracy']['space_group'] is None and d['top_n']['space_group'] is None\n"
                                 "assert d['accuracy']['crystal_system'] is not None\n"
                                 "assert len(d['top_n']['crystal_system']) == 7\n"),
                  "crystal-system labels JSON");
            /* at Mo with the table's wavelength the model sees what it sees at Cu: the grid points map onto the
             * written points (7 decimals of 2theta), so only the 6 printed digits of intensity differ; 1e-3 */
            char prog[2048];
            snprintf(prog, sizeof prog,
                     "rows = [l.rstrip('\\n').split('\\t') for l in open('%s')]\n"
                     "head, rows = rows[0], rows[1:]\n"
                     "assert head[:2] == ['name', 'true_crystal_system'] and head[2:] == ['triclinic', 'monoclinic',"
                     " 'orthorhombic', 'tetragonal', 'trigonal', 'hexagonal', 'cubic'], head\n"
                     "by = {r[0].split('/')[-1]: [float(v) for v in r[2:]] for r in rows}\n"
                     "for i in range(3):\n"
                     "    cu, mo = by['cu-%%d.xy' %% i], by['mo-%%d.xy' %% i]\n"
                     "    assert max(abs(a - b) for a, b in zip(cu, mo)) < 1e-3, (cu, mo)\n"
                     "right = sum(int(r[1]) == max(range(7), key=lambda k: float(r[2 + k])) for r in rows)\n"
                     "assert right == round(d['accuracy']['crystal_system'] * d['n']), right\n",
                     outputs_cs);
            CHECK(py_check(json, prog), "Mo patterns with the table's wavelength answer as the Cu ones");
        }
        /* a table of space groups (a symbol, a number) judges space groups; a bad row names file and line */
        lt = fopen(labels, "w");
        fprintf(lt, "file\tspace group\ncu-0\t%s\ncu-1.xy\t%d\n", xs_sym_symbol(xs_dataset_space_group(d, idx[0])),
                xs_dataset_space_group(d, idx[1]));
        fclose(lt);
        snprintf(args, sizeof args, "--model '%s' --patterns %s/cu-*.xy --labels '%s' --json '%s'", model, dir, labels, json);
        CHECK(run(args, out) == 0, "evaluate --labels (space groups) exits 0");
        if (have_py)
            CHECK(py_check(json, "assert d['n'] == 2 and d['source']['skipped_unlabelled'] == 1, d['n']\n"
                                 "assert d['accuracy']['space_group'] is not None\n"),
                  "space-group labels: two labelled, the third skipped");
        lt = fopen(labels, "w");
        fprintf(lt, "file,crystal system\ncu-0,cubic\ncu-1,hexagonl\n");
        fclose(lt);
        CHECK(run(args, out) == 1, "a bad crystal system fails");
        said = xs_test_slurp(out_err, NULL);
        CHECK(said && strstr(said, "labels.csv:3") && strstr(said, "hexagonl"), "file, line and value named: %s",
              said ? said : "");
        free(said);
    }
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s.gz'", table, table);
    CHECK(system(cmd) == 0, "gzip");
    char outputs[600];
    snprintf(outputs, sizeof outputs, "%s/outputs.tsv", dir);
    snprintf(args, sizeof args, "--model '%s' --patterns '%s.gz' --json '%s' --outputs '%s'", model, table, json, outputs);
    int rc = run(args, out);
    CHECK(rc == 0, "evaluate --patterns table.tsv.gz exits 0 (%d)", rc);
    if (have_py) {
        CHECK(py_check(json, "assert d['n'] == 3, d['n']\n"
                             "assert d['source']['skipped_unlabelled'] == 1\n"
                             "assert d['per_space_group']['abundance_source'] is not None  # the model's data\n"),
              "patterns JSON");
        /* --outputs: one row per evaluated pattern, a distribution over the classes whose argmax agrees with the
         * JSON's accuracy; 1e-4: 6 significant digits on each of a few probabilities */
        char prog[2048];
        snprintf(prog, sizeof prog,
                 "rows = [l.rstrip('\\n').split('\\t') for l in open('%s')]\n"
                 "head, rows = rows[0], rows[1:]\n"
                 "assert head[:2] == ['name', 'true_space_group'] and len(head) > 3, head\n"
                 "assert [r[0].split('#')[-1] for r in rows] == ['p-0', 'p-1', 'p-2'], [r[0] for r in rows]\n"
                 "right = 0\n"
                 "for r in rows:\n"
                 "    assert len(r) == len(head), len(r)\n"
                 "    p = [float(v) for v in r[2:]]\n"
                 "    assert abs(sum(p) - 1) < 1e-4 and min(p) >= 0, sum(p)\n"
                 "    right += head[2 + p.index(max(p))] == r[1]\n"
                 "assert right == round(d['accuracy']['space_group'] * d['n']), (right, d['accuracy'])\n",
                 outputs);
        CHECK(py_check(json, prog), "--outputs rows agree with the JSON");
    }

    /* --zero-shift: the table's patterns corrected, the correction reported; with --data a usage error */
    snprintf(args, sizeof args, "--model '%s' --patterns '%s.gz' --zero-shift 0.05 --json '%s'", model, table, json);
    CHECK(run(args, out) == 0, "evaluate --zero-shift exits 0");
    if (have_py)
        CHECK(py_check(json, "assert d['n'] == 3 and d['source']['zero_shift_deg'] == 0.05, d['source']\n"),
              "--zero-shift reported");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --zero-shift 0.05 --json '%s'", model, data, json);
    CHECK(run(args, out) == 2, "--zero-shift with --data: usage error");
    snprintf(args, sizeof args, "--model '%s' --patterns '%s.gz' --zero-shift 2.5 --json '%s'", model, table, json);
    CHECK(run(args, out) == 2, "--zero-shift 2.5: usage error");
    /* --displacement: the table states no goniometer radius, so every pattern fails without one (nothing left
     * to evaluate: exit 1, the option named); with --goniometer-radius the three are corrected and reported */
    snprintf(args, sizeof args, "--model '%s' --patterns '%s.gz' --displacement 0.1 --json '%s'", model, table, json);
    CHECK(run(args, out) == 1, "--displacement without a radius: nothing evaluated");
    txt = xs_test_slurp(err_path, NULL);
    CHECK(txt && strstr(txt, "--goniometer-radius") && strstr(txt, "#p-0"), "says so per pattern: %s", txt ? txt : "");
    free(txt);
    snprintf(args, sizeof args, "--model '%s' --patterns '%s.gz' --displacement 0.1 --goniometer-radius 240 --json '%s'",
             model, table, json);
    CHECK(run(args, out) == 0, "evaluate --displacement exits 0");
    if (have_py)
        CHECK(py_check(json, "s = d['source']\nassert d['n'] == 3 and s['displacement_mm'] == 0.1 and "
                             "s['goniometer_radius_mm'] == 240, s\n"),
              "--displacement reported");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --displacement 0.1 --goniometer-radius 240 --json '%s'", model,
             data, json);
    CHECK(run(args, out) == 2, "--displacement with --data: usage error");

    /* a crystal-system model: no space-group figures, crystal system there */
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split all --limit 50 --json '%s'", cs_model, data, json);
    CHECK(run(args, out) == 0, "evaluate a crystal-system model exits 0");
    if (have_py)
        CHECK(py_check(json, "assert d['n'] == 50\n"
                             "assert d['accuracy']['space_group'] is None and d['top_n']['space_group'] is None\n"
                             "assert d['subgroup_distance']['histogram'] is None\n"
                             "assert d['accuracy']['crystal_system'] > 0.9  # as the space-group model\n"
                             "assert len(d['top_n']['crystal_system']) == 7\n"),
              "crystal-system JSON");

    /* usage errors and failures */
    snprintf(args, sizeof args, "--model '%s' --data '%s'", model, data);
    CHECK(run(args, out) == 2, "no --json: usage error");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --patterns '%s' --json '%s'", model, data, table, json);
    CHECK(run(args, out) == 2, "--data and --patterns together: usage error");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split nope --json '%s'", model, data, json);
    CHECK(run(args, out) == 2, "bad split: usage error");
    snprintf(args, sizeof args, "--model '%s/none.h5' --data '%s' --json '%s'", dir, data, json);
    CHECK(run(args, out) == 1, "missing model: 1");
    snprintf(args, sizeof args, "--model '%s' --data '%s' --split test --json '%s'", model, data, json);
    CHECK(run(args, out) == 1, "empty test split: 1");

    /* Outputs written atomically land where the user meant: into a FIFO (as into /dev/null or /dev/stdout on a
     * pipe) by writing to it, since a rename would replace it (found when `--json /dev/null` replaced
     * /dev/null with a file); through a symbolic link into the file it points to, the link kept. */
    {
        char fifo[600], link[600], copy[600], linked[600], shell[8192];
        snprintf(fifo, sizeof fifo, "%s/fifo", dir);
        snprintf(copy, sizeof copy, "%s/fifo-copy.json", dir);
        snprintf(link, sizeof link, "%s/link.tsv", dir);
        snprintf(linked, sizeof linked, "%s/linked.tsv", dir);
        CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
        /* the reader gives up after 60 s, so that a FIFO replaced by a file fails the test rather than hangs it */
        snprintf(shell, sizeof shell,
                 "timeout 60 cat '%s' > '%s' & '%s' evaluate --model '%s' --data '%s' --split val --json '%s' "
                 "> /dev/null 2>&1; rc=$?; wait; exit $rc", fifo, copy, exe, model, data, fifo);
        CHECK(xs_test_capture(shell, cmd, sizeof cmd) == 0, "evaluate --json into a FIFO exits 0");
        struct stat sb;
        CHECK(stat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode), "the FIFO is still a FIFO");
        FILE *f = fopen(copy, "r");
        char head[64] = "";
        if (f) {
            (void)!fread(head, 1, sizeof head - 1, f);
            fclose(f);
        }
        CHECK(head[0] == '{' && strstr(head, "\"model\""), "the JSON came through the FIFO: '%.20s'", head);
        f = fopen(linked, "w");
        if (f) fclose(f);
        CHECK(symlink(linked, link) == 0, "symlink");
        snprintf(args, sizeof args, "--model '%s' --data '%s' --split val --json '%s' --outputs '%s'", model, data, json,
                 link);
        CHECK(run(args, out) == 0, "evaluate --outputs through a link exits 0");
        CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode), "the link is still a link");
        CHECK(stat(linked, &sb) == 0 && sb.st_size > 100, "the file it points to holds the outputs (%lld bytes)",
              (long long)sb.st_size);
        /* a model or a dataset cannot be streamed: refused before anything is written */
        xs_error e = {0};
        CHECK(xs_nn_ensemble_save(sg, fifo, 0, &e) == XS_ERR_INVALID && strstr(e.message, "device, pipe"),
              "a model into a FIFO is refused: %s", e.message);
        xs_dataset_writer *w = NULL;
        memset(&e, 0, sizeof e);
        CHECK(xs_dataset_writer_create(fifo, XS_CU_KALPHA, 5, 90, "test", &w, &e) == XS_ERR_INVALID &&
                  strstr(e.message, "device, pipe") && !w,
              "a dataset into a FIFO is refused: %s", e.message);
        CHECK(stat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode), "the FIFO is still a FIFO after the refusals");
        /* a model saved through a link replaces the file it points to */
        snprintf(link, sizeof link, "%s/model-link.h5", dir);
        CHECK(symlink(model, link) == 0, "symlink to the model");
        memset(&e, 0, sizeof e);
        CHECK(xs_nn_ensemble_save(sg, link, 0, &e) == XS_OK && lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode),
              "a model saved through a link keeps the link: %s", e.message);
    }

    xs_nn_ensemble_free(sg);
    xs_nn_ensemble_free(cs);
    xs_dataset_free(d);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!xs_test_failed) (void)!system(cmd);
    return xs_test_finish();
}
