/* Patterns per second of the powder simulator on one thread: peaks only (xs_xrd_peaks) and peaks plus a
 * profile on the seed paper's grid (xs_xrd_profile on xs_grid_paper(), Gaussian FWHM 0.1 deg). Cu K-alpha,
 * 2theta 5..90 deg, no Debye-Waller, pymatgen's or the built-in form factors.
 *
 * usage: bench_simulate [--form-factors FILE] [--min-time S] [--rounds N] [--label NAME] FILE... | @LIST
 *   FILE: POSCAR (or .cif) structure files; @LIST: a text file naming one structure file a line.
 * Reading the files is not timed. Time is CPU time of the process (one thread). Each mode runs over all
 * structures repeatedly until at least --min-time seconds have passed (one round); the best of --rounds
 * rounds is reported, one line per mode:
 *   label=NAME mode=peaks structures=N patterns_per_s=R ms_per_pattern=T peaks=P
 * bench/run_simulate.sh runs this next to pymatgen (bench/pymatgen_peer.py) and prints the table. */
#include "xrdsym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this process: on a machine shared with other jobs it counts only the time this program ran,
 * which wall time would not (pymatgen_peer.py measures the same way with time.process_time()). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    xs_structure **s;
    size_t n, cap;
} structure_list;

static int add_file(structure_list *list, const char *path)
{
    xs_error err = {0};
    xs_structure **got = NULL;
    size_t n = 0;
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".cif")) {
        if (xs_cif_read(path, &got, &n, &err)) goto fail;
    } else {
        got = malloc(sizeof *got);
        if (!got || xs_poscar_read(path, 0, &got[0], &err)) {
            free(got);
            goto fail;
        }
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (list->n == list->cap) {
            list->cap = list->cap ? 2 * list->cap : 256;
            list->s = realloc(list->s, list->cap * sizeof *list->s);
            if (!list->s) return 0;
        }
        list->s[list->n++] = got[i];
    }
    free(got);
    return 1;
fail:
    fprintf(stderr, "bench_simulate: %s: %s\n", path, err.message);
    return 0;
}

static int add_list(structure_list *list, const char *list_path)
{
    FILE *f = fopen(list_path, "r");
    if (!f) {
        fprintf(stderr, "bench_simulate: cannot open %s\n", list_path);
        return 0;
    }
    char line[4096];
    int ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] && line[0] != '#') ok = add_file(list, line);
    }
    fclose(f);
    return ok;
}

/* One pass over all structures; returns the number of peaks (a checksum that keeps the work alive), or
 * -1 on an error. */
static long one_pass(const structure_list *list, const xs_xrd_options *opt, int profile, float *y, double *tt,
                     double *in, size_t cap)
{
    long total = 0;
    const xs_grid grid = xs_grid_paper();
    xs_profile_options prof;
    xs_profile_options_default(&prof);
    for (size_t i = 0; i < list->n; i++) {
        xs_error err = {0};
        xs_peaks *pk;
        if (xs_xrd_peaks(list->s[i], opt, &pk, &err)) {
            fprintf(stderr, "bench_simulate: %s: %s\n", xs_structure_source(list->s[i]), err.message);
            return -1;
        }
        size_t n = xs_peaks_count(pk);
        total += (long)n;
        if (profile) {
            if (n > cap) n = cap;
            for (size_t p = 0; p < n; p++) {
                tt[p] = xs_peaks_get(pk, p)->two_theta;
                in[p] = xs_peaks_get(pk, p)->intensity;
            }
            if (xs_xrd_profile(tt, in, n, &grid, &prof, y, &err)) {
                fprintf(stderr, "bench_simulate: profile: %s\n", err.message);
                xs_peaks_free(pk);
                return -1;
            }
        }
        xs_peaks_free(pk);
    }
    return total;
}

int main(int argc, char **argv)
{
    const char *ff_path = NULL, *label = "structures";
    double min_time = 2.0;
    int rounds = 3;
    structure_list list = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--form-factors") && i + 1 < argc) ff_path = argv[++i];
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--label") && i + 1 < argc) label = argv[++i];
        else if (argv[i][0] == '@') {
            if (!add_list(&list, argv[i] + 1)) return 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_simulate [--form-factors FILE] [--min-time S] [--rounds N] [--label NAME] "
                            "FILE... | @LIST\n");
            return 2;
        } else if (!add_file(&list, argv[i])) {
            return 1;
        }
    }
    if (list.n == 0) {
        fprintf(stderr, "bench_simulate: no structures given\n");
        return 2;
    }
    xs_error err = {0};
    xs_formfactors *ff = NULL;
    if (ff_path && xs_ff_load_pymatgen(ff_path, &ff, &err)) {
        fprintf(stderr, "bench_simulate: %s\n", err.message);
        return 1;
    }
    xs_xrd_options opt;
    xs_xrd_options_default(&opt);
    opt.two_theta_min = 5;
    opt.two_theta_max = 90;
    opt.debye_waller = 0;
    opt.ff = ff;
    xs_xrd_wavelength("CuKa", &opt.wavelength, NULL);

    const xs_grid grid = xs_grid_paper();
    const size_t cap = 1 << 20;
    float *y = malloc(grid.count * sizeof *y);
    double *tt = malloc(cap * sizeof *tt), *in = malloc(cap * sizeof *in);
    if (!y || !tt || !in) return 1;
    int status = 0;
    for (int profile = 0; profile <= 1 && !status; profile++) {
        double best = 0;
        long peaks = 0;
        for (int r = 0; r < rounds && !status; r++) {
            long passes = 0;
            double t0 = now(), t;
            do {
                peaks = one_pass(&list, &opt, profile, y, tt, in, cap);
                if (peaks < 0) status = 1;
                passes++;
                t = now() - t0;
            } while (!status && t < min_time);
            double rate = (double)passes * (double)list.n / t;
            if (rate > best) best = rate;
        }
        if (!status)
            printf("label=%s mode=%s structures=%zu patterns_per_s=%.1f ms_per_pattern=%.4f peaks=%ld\n", label,
                   profile ? "peaks+profile" : "peaks", list.n, best, 1e3 / best, peaks);
        fflush(stdout);
    }
    for (size_t i = 0; i < list.n; i++) xs_structure_free(list.s[i]);
    free(list.s);
    free(y);
    free(tt);
    free(in);
    xs_ff_free(ff);
    return status;
}
