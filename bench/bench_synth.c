/* Random crystals with their peaks per second: what `xrdsym dataset synth` does per crystal, without the
 * HDF5 file. Groups cycle through 1..230 (as --per-group does), the MP prior is used when found.
 *
 * usage: bench_synth [N_CRYSTALS] [THREADS] [spglib|direct]   (defaults 4600, 2, direct)
 * Prints one table row: crystals, threads, verification, seconds, crystals/s, mean atoms, mean peaks. */
#include "xrdsym.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    atomic_long next;
    long n;
    const xs_synth_options *opt;
    const xs_xrd_options *xrd;
    atomic_long atoms, peaks, failed;
} job;

static void *work(void *arg)
{
    job *j = arg;
    for (;;) {
        long i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        int sg = 1 + (int)(i % 230);
        xs_structure *s;
        if (xs_synth_crystal(sg, j->opt, 2024, (uint64_t)i, &s, NULL)) {
            atomic_fetch_add(&j->failed, 1);
            continue;
        }
        xs_peaks *p;
        if (xs_xrd_peaks(s, j->xrd, &p, NULL) == XS_OK) {
            atomic_fetch_add(&j->peaks, (long)xs_peaks_count(p));
            xs_peaks_free(p);
        } else {
            atomic_fetch_add(&j->failed, 1);
        }
        atomic_fetch_add(&j->atoms, (long)xs_structure_num_sites(s));
        xs_structure_free(s);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 4600;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    const char *verify = argc > 3 ? argv[3] : "direct";
    if (n < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: bench_synth [N_CRYSTALS] [THREADS] [spglib|direct]\n");
        return 2;
    }
    xs_synth_options opt;
    xs_synth_options_default(&opt);
    opt.verify = strcmp(verify, "spglib") ? XS_SYNTH_VERIFY_DIRECT : XS_SYNTH_VERIFY_SPGLIB;
    char path[1024];
    const char *root = getenv("XS_SHARED_DATA");
    snprintf(path, sizeof path, "%s/symmetry/mp_wyckoff_occupation_counts.csv", root ? root : "../shared/data");
    xs_synth_wyckoff_prior *prior = NULL;
    if (access(path, R_OK) == 0 && xs_synth_wyckoff_prior_load(path, &prior, NULL) == XS_OK) opt.prior = prior;
    xs_xrd_options xrd;
    xs_xrd_options_default(&xrd);
    xs_xrd_wavelength("CuKa", &xrd.wavelength, NULL);
    xrd.two_theta_min = 5;
    xrd.two_theta_max = 90;
    for (int sg = 1; sg <= 230; sg++) { /* Wyckoff sets once, outside the timing (as the CLI does) */
        const xs_synth_wyckoff_set *w;
        xs_synth_wyckoff(sg, &w, NULL);
    }
    job j = {.n = n, .opt = &opt, .xrd = &xrd};
    atomic_init(&j.next, 0);
    atomic_init(&j.atoms, 0);
    atomic_init(&j.peaks, 0);
    atomic_init(&j.failed, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t tid[64];
    for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, work, &j);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    long ok = n - atomic_load(&j.failed);
    printf("| %ld | %d | %s | %s | %.2f | %.0f | %.1f | %.0f |\n", n, threads, verify, prior ? "MP" : "built-in", s,
           (double)ok / s, (double)atomic_load(&j.atoms) / (double)ok, (double)atomic_load(&j.peaks) / (double)ok);
    xs_synth_wyckoff_prior_free(prior);
    return atomic_load(&j.failed) ? 1 : 0;
}
