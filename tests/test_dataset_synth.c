/* `xrdsym dataset synth` and `xrdsym dataset structures` end to end (with its filters --inorganic and
 * --exclude-like): the file does not depend on the number
 * of threads, holds the crystals asked for with their groups, and a run that cannot finish leaves no file.
 * Runs the xrdsym program of the build folder ($XS_BUILD_DIR); skipped when it is absent. */
#include "xrdsym.h"
#include "xs_test.h"

#include <sys/wait.h>
#include <unistd.h>

static char g_bin[1024], g_dir[1024];

static int run(const char *args)
{
    char cmd[12288];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s/stderr.txt'", g_bin, args, g_dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* What the last run() wrote to stderr, cut to size - 1 characters. */
static void last_stderr(char *text, size_t size)
{
    char path[1300];
    text[0] = 0;
    snprintf(path, sizeof path, "%s/stderr.txt", g_dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    text[fread(text, 1, size - 1, f)] = 0;
    fclose(f);
}

static int same_datasets(const xs_dataset *a, const xs_dataset *b)
{
    if (xs_dataset_count(a) != xs_dataset_count(b)) return 0;
    for (size_t i = 0; i < xs_dataset_count(a); i++) {
        const float *ta, *ia, *tb, *ib;
        size_t na = xs_dataset_peaks(a, i, &ta, &ia), nb = xs_dataset_peaks(b, i, &tb, &ib);
        if (na != nb || memcmp(ta, tb, na * sizeof *ta) || memcmp(ia, ib, na * sizeof *ia)) return 0;
        if (xs_dataset_space_group(a, i) != xs_dataset_space_group(b, i) ||
            xs_dataset_split(a, i) != xs_dataset_split(b, i) || strcmp(xs_dataset_formula(a, i), xs_dataset_formula(b, i)) ||
            memcmp(xs_dataset_lattice(a, i), xs_dataset_lattice(b, i), 6 * sizeof(double)))
            return 0;
    }
    return 1;
}

int main(void)
{
    const char *build = getenv("XS_BUILD_DIR");
    snprintf(g_bin, sizeof g_bin, "%s/xrdsym", build ? build : "build");
    if (access(g_bin, X_OK) != 0) {
        printf("SKIPPED: %s is absent (this test runs the built program)\n", g_bin);
        return 77;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/xs_test_dataset_synth_XXXXXX");
    if (!mkdtemp(g_dir)) {
        printf("SKIPPED: no temporary folder\n");
        return 77;
    }
    char args[8192], f1[1200], f2[1200];
    snprintf(f1, sizeof f1, "%s/one.h5", g_dir);
    snprintf(f2, sizeof f2, "%s/two.h5", g_dir);
    /* groups of every crystal system, including the ones that need their general position */
    const char *groups = "1-3,14,62,139,148,166,191,194,209,221,225,227-230";
    snprintf(args, sizeof args, "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 1 --quiet --out '%s'",
             groups, f1);
    CHECK(run(args) == 0, "synth, 1 thread");
    snprintf(args, sizeof args, "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 2 --out '%s'",
             groups, f2);
    CHECK(run(args) == 0, "synth, 2 threads");
    xs_dataset *a = NULL, *b = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_open(f1, &a, &err) == XS_OK, "open %s: %s", f1, err.message);
    CHECK(xs_dataset_open(f2, &b, &err) == XS_OK, "open %s: %s", f2, err.message);
    if (a && b) {
        CHECK(xs_dataset_count(a) == 2 * 17, "%zu crystals", xs_dataset_count(a));
        CHECK(same_datasets(a, b), "the same file with 1 and 2 threads");
        int per[231] = {0};
        for (size_t i = 0; i < xs_dataset_count(a); i++) per[xs_dataset_space_group(a, i)]++;
        CHECK(per[1] == 2 && per[230] == 2 && per[209] == 2 && per[4] == 0, "groups as asked");
        CHECK(xs_dataset_crystal_system(a, 0) == 0 && xs_dataset_two_theta_min(a) == 5.0 &&
                  xs_dataset_two_theta_max(a) == 90.0,
              "system, range");
        CHECK(!strncmp(xs_dataset_source(a, 0), "synth:seed=11,index=0", 21), "source %s", xs_dataset_source(a, 0));
    }
    xs_dataset_free(a);
    xs_dataset_free(b);

    /* --texture: the same crystals (groups, formulas, cells, peak positions: the texture is drawn from a stream
     * of its own), other intensities, the same file again with the same seed, whatever the thread count */
    {
        char ft[1200], ft2[1200];
        snprintf(ft, sizeof ft, "%s/textured.h5", g_dir);
        snprintf(ft2, sizeof ft2, "%s/textured2.h5", g_dir);
        snprintf(args, sizeof args,
                 "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 1 --quiet --texture 0.5 2 --out '%s'",
                 groups, ft);
        CHECK(run(args) == 0, "synth with --texture");
        snprintf(args, sizeof args,
                 "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 2 --quiet --texture 0.5 2 --out '%s'",
                 groups, ft2);
        CHECK(run(args) == 0, "synth with --texture, 2 threads");
        xs_dataset *t = NULL, *t2 = NULL;
        if (xs_dataset_open(f1, &a, &err) == XS_OK && xs_dataset_open(ft, &t, &err) == XS_OK &&
            xs_dataset_open(ft2, &t2, &err) == XS_OK) {
            CHECK(same_datasets(t, t2), "textured: the same file with 1 and 2 threads");
            CHECK(xs_dataset_count(a) == xs_dataset_count(t), "textured: %zu crystals", xs_dataset_count(t));
            size_t same_crystals = 0, other_intensities = 0;
            for (size_t i = 0; i < xs_dataset_count(a) && i < xs_dataset_count(t); i++) {
                const float *ta, *ia, *tt, *it;
                size_t na = xs_dataset_peaks(a, i, &ta, &ia), nt = xs_dataset_peaks(t, i, &tt, &it);
                same_crystals += xs_dataset_space_group(a, i) == xs_dataset_space_group(t, i) &&
                                 !strcmp(xs_dataset_formula(a, i), xs_dataset_formula(t, i)) &&
                                 !memcmp(xs_dataset_lattice(a, i), xs_dataset_lattice(t, i), 6 * sizeof(double));
                /* a peak can fall below the 1e-3 cut-off with a texture, so positions are compared on the first */
                other_intensities += na && nt && ta[0] == tt[0] && memcmp(ia, it, (na < nt ? na : nt) * sizeof *ia);
            }
            CHECK(same_crystals == xs_dataset_count(a), "textured: the same crystals (%zu of %zu)", same_crystals,
                  xs_dataset_count(a));
            /* a cubic crystal's strongest family can keep 100 in every peak only by chance; most must change */
            CHECK(other_intensities >= xs_dataset_count(a) / 2, "textured: other intensities in %zu of %zu crystals",
                  other_intensities, xs_dataset_count(a));
        } else {
            CHECK(0, "open: %s", err.message);
        }
        xs_dataset_free(a);
        xs_dataset_free(t);
        xs_dataset_free(t2);
        snprintf(args, sizeof args, "dataset synth --count 2 --seed 1 --texture 0.05 2 --out '%s'", ft);
        CHECK(run(args) == 2, "--texture 0.05 2 refused");
    }

    /* interrupted after 20 of 34 crystals with parts of 8 (as Ctrl-C would: the test hook raises SIGINT), then
     * run again with another thread count: it resumes after crystal 16 and the file is the straight run's */
    char f4[1200], p0[1300], p1[1300], p2[1300];
    snprintf(f4, sizeof f4, "%s/resumed.h5", g_dir);
    snprintf(p0, sizeof p0, "%s.part0", f4);
    snprintf(p1, sizeof p1, "%s.part1", f4);
    snprintf(p2, sizeof p2, "%s.part2", f4);
    snprintf(args, sizeof args, "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 1 --chunk 8 --out '%s'",
             groups, f4);
    setenv("XRDSYM_TEST_INTERRUPT_AFTER", "20", 1);
    CHECK(run(args) == 130, "interrupted run: exit status 130");
    unsetenv("XRDSYM_TEST_INTERRUPT_AFTER");
    CHECK(access(f4, F_OK) != 0 && access(p0, F_OK) == 0 && access(p1, F_OK) == 0 && access(p2, F_OK) != 0,
          "after the interruption: no dataset, the parts of crystals 0..7 and 8..15 only");
    snprintf(args, sizeof args, "dataset synth --per-group 2 --groups %s --seed 12 --no-prior --threads 1 --chunk 8 --out '%s'",
             groups, f4);
    setenv("XRDSYM_TEST_INTERRUPT_AFTER", "4", 1);
    CHECK(run(args) == 130, "another seed, interrupted before its first part");
    unsetenv("XRDSYM_TEST_INTERRUPT_AFTER");
    CHECK(access(p0, F_OK) == 0 && access(p1, F_OK) == 0, "another command's run leaves the parts alone until it has its own");
    snprintf(args, sizeof args, "dataset synth --per-group 2 --groups %s --seed 11 --no-prior --threads 2 --chunk 8 --out '%s'",
             groups, f4);
    CHECK(run(args) == 0, "resumed run");
    char text[8192];
    last_stderr(text, sizeof text);
    CHECK(strstr(text, "resuming after crystal 16") != NULL, "says where it resumes: %.200s", text);
    CHECK(access(p0, F_OK) != 0 && access(p1, F_OK) != 0, "parts removed after the dataset is written");
    if (xs_dataset_open(f1, &a, &err) == XS_OK && xs_dataset_open(f4, &b, &err) == XS_OK)
        CHECK(same_datasets(a, b), "the resumed file is the straight run's");
    else
        CHECK(0, "open: %s", err.message);
    xs_dataset_free(a);
    xs_dataset_free(b);
    a = b = NULL;

    /* --count with another seed: another file */
    snprintf(args, sizeof args, "dataset synth --count 10 --groups 195-230 --seed 12 --no-prior --quiet --out '%s'", f2);
    CHECK(run(args) == 0, "synth --count");
    if (xs_dataset_open(f2, &b, &err) == XS_OK) {
        CHECK(xs_dataset_count(b) == 10, "--count 10: %zu", xs_dataset_count(b));
        for (size_t i = 0; i < xs_dataset_count(b); i++) CHECK(xs_dataset_space_group(b, i) >= 195, "cubic only");
        xs_dataset_free(b);
    }

    /* usage errors write nothing */
    char f3[1200];
    snprintf(f3, sizeof f3, "%s/none.h5", g_dir);
    snprintf(args, sizeof args, "dataset synth --per-group 1 --count 2 --seed 1 --out '%s'", f3);
    CHECK(run(args) == 2, "both --per-group and --count");
    snprintf(args, sizeof args, "dataset synth --per-group 1 --groups 0-5 --seed 1 --out '%s'", f3);
    CHECK(run(args) == 2, "group 0");
    snprintf(args, sizeof args, "dataset synth --per-group 1 --out '%s'", f3);
    CHECK(run(args) == 2, "no seed");
    /* numbers must be whole arguments (a silent 0 from atof would change the run) and the message names the option */
    const char *bad_numbers[] = {"--per-group 2x --seed 1", "--per-group 1 --seed -1", "--per-group 1 --seed 1 --val 1.5",
                                 "--per-group 1 --seed 1 --threads many", "--per-group 1 --seed 1 --symprec abc"};
    const char *named[] = {"--per-group", "--seed", "--val", "--threads", "--symprec"};
    for (int k = 0; k < 5; k++) {
        snprintf(args, sizeof args, "dataset synth %s --out '%s'", bad_numbers[k], f3);
        CHECK(run(args) == 2, "usage error for %s", bad_numbers[k]);
        char text[4096];
        last_stderr(text, sizeof text);
        CHECK(strstr(text, named[k]) != NULL && strstr(text, "expects") != NULL, "message names %s: %.120s", named[k], text);
    }
    CHECK(access(f3, F_OK) != 0, "no file after usage errors");

    /* structures: a POSCAR of rock salt */
    char poscar[1200];
    snprintf(poscar, sizeof poscar, "%s/POSCAR-NaCl", g_dir);
    FILE *f = fopen(poscar, "w");
    if (f) {
        fputs("NaCl\n1.0\n5.64 0 0\n0 5.64 0\n0 0 5.64\nNa Cl\n4 4\nDirect\n0 0 0\n0 .5 .5\n.5 0 .5\n.5 .5 0\n"
              ".5 .5 .5\n.5 0 0\n0 .5 0\n0 0 .5\n",
              f);
        fclose(f);
    }
    snprintf(args, sizeof args, "dataset structures '%s' --quiet --out '%s'", poscar, f3);
    CHECK(run(args) == 0, "structures");
    if (xs_dataset_open(f3, &a, &err) == XS_OK) {
        CHECK(xs_dataset_count(a) == 1 && xs_dataset_space_group(a, 0) == 225 && !strcmp(xs_dataset_formula(a, 0), "ClNa") /* Hill order */,
              "rock salt: %zu entries, group %d, %s", xs_dataset_count(a), xs_dataset_space_group(a, 0),
              xs_dataset_formula(a, 0));
        xs_dataset_free(a);
    }
    /* --inorganic and --exclude-like: sylvite is kept; rock salt again (larger cell: another file, the same
     * group and elements as a crystal of f3) and a CsCl-type "CH" (carbon with hydrogen) are left out */
    {
        const char *names[3] = {"POSCAR-KCl", "POSCAR-NaCl-big", "POSCAR-CH"};
        const char *texts[3] = {
            "KCl\n1.0\n6.29 0 0\n0 6.29 0\n0 0 6.29\nK Cl\n4 4\nDirect\n0 0 0\n0 .5 .5\n.5 0 .5\n.5 .5 0\n"
            ".5 .5 .5\n.5 0 0\n0 .5 0\n0 0 .5\n",
            "NaCl\n1.0\n5.70 0 0\n0 5.70 0\n0 0 5.70\nNa Cl\n4 4\nDirect\n0 0 0\n0 .5 .5\n.5 0 .5\n.5 .5 0\n"
            ".5 .5 .5\n.5 0 0\n0 .5 0\n0 0 .5\n",
            "CH\n1.0\n3.1 0 0\n0 3.1 0\n0 0 3.1\nC H\n1 1\nDirect\n0 0 0\n.5 .5 .5\n"};
        char paths[3][1200], f4[1200];
        for (int k = 0; k < 3; k++) {
            snprintf(paths[k], sizeof paths[k], "%s/%s", g_dir, names[k]);
            FILE *pf = fopen(paths[k], "w");
            if (pf) {
                fputs(texts[k], pf);
                fclose(pf);
            }
        }
        snprintf(f4, sizeof f4, "%s/kept.h5", g_dir);
        snprintf(args, sizeof args, "dataset structures '%s' '%s' '%s' --inorganic --exclude-like '%s' --val 0 --test 0 --quiet --out '%s'",
                 paths[0], paths[1], paths[2], f3, f4);
        CHECK(run(args) == 0, "structures with --inorganic --exclude-like");
        if (xs_dataset_open(f4, &a, &err) == XS_OK) {
            CHECK(xs_dataset_count(a) == 1 && xs_dataset_space_group(a, 0) == 225 && !strcmp(xs_dataset_formula(a, 0), "ClK"),
                  "only sylvite kept: %zu entries, %s", xs_dataset_count(a), xs_dataset_count(a) ? xs_dataset_formula(a, 0) : "-");
            xs_dataset_free(a);
        }
        char text[4096];
        last_stderr(text, sizeof text);
        CHECK(strstr(text, "left out 1 organic") && strstr(text, "and 1 of a space group"), "what was left out is said: %.200s", text);
        snprintf(args, sizeof args, "dataset structures '%s' --exclude-like '%s/missing.h5' --quiet --out '%s'", paths[0], g_dir, f4);
        CHECK(run(args) == 1, "--exclude-like of a missing file fails");
        snprintf(args, sizeof args, "dataset synth --count 2 --seed 1 --inorganic --out '%s'", f4);
        CHECK(run(args) == 2, "--inorganic is for structures only");
    }

    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return xs_test_finish();
}
