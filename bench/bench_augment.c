/* Augmented training patterns per second: xs_aug_render_batch on the paper's grid (8,500 points), for peak
 * lists of several sizes, on 1 and 2 threads. Prints a Markdown table (bench/RESULTS-augment.md).
 *
 * usage: bench_augment [SECONDS_PER_RUN (default 2)] [REPEATS (default 3)]
 *
 * Peak lists are synthetic: positions uniform in 5..90 deg, intensities 100 u^3 (most peaks weak, as in
 * real patterns); only their number matters for the speed. Each configuration renders batches of 256
 * for the given time, REPEATS times; the table gives the median and the best rate, and the patterns per
 * CPU-second of the process (all threads), which other processes on the machine hardly change: on an
 * otherwise idle machine, N threads on N cores give about N times that rate. */
#include "xrdsym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { BATCH = 256 };

typedef struct {
    const char *name;
    int n_peaks, threads, extras;
} config;

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (!(seconds > 0) || repeats < 1 || repeats > 20) {
        fprintf(stderr, "usage: bench_augment [SECONDS_PER_RUN] [REPEATS]\n");
        return 2;
    }
    const config configs[] = {
        {"paper augmentation", 50, 1, 0},  {"paper augmentation", 50, 2, 0},  {"paper augmentation", 200, 1, 0},
        {"paper augmentation", 200, 2, 0}, {"paper augmentation", 500, 1, 0}, {"paper augmentation", 500, 2, 0},
        {"+ K-alpha2, zero shift, width growth", 200, 2, 1},
        {"+ K-alpha2, zero shift, width growth, pseudo-Voigt (eta U(0.2, 1))", 200, 2, 2},
    };
    xs_grid g = xs_grid_paper();
    const int max_peaks = 500;
    float *tt = malloc((size_t)BATCH * max_peaks * sizeof *tt), *in = malloc((size_t)BATCH * max_peaks * sizeof *in);
    float *out = malloc((size_t)BATCH * g.count * sizeof *out);
    xs_aug_peaks peaks[BATCH];
    if (!tt || !in || !out) return 1;
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < (size_t)BATCH * max_peaks; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x >> 11) * 0x1.0p-53;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = (double)(x >> 11) * 0x1.0p-53;
        tt[i] = (float)(5 + 85 * u);
        in[i] = (float)(100 * v * v * v);
    }
    printf("| augmentation | peaks per pattern | threads | patterns/s (median of %d) | best | points/s (median) | "
           "patterns per CPU-second |\n",
           repeats);
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        const config *cf = &configs[c];
        xs_aug_options o;
        xs_aug_options_default(&o);
        if (cf->extras) {
            o.kalpha2_ratio = 0.5;
            o.zero_shift_max = 0.05;
            o.width_growth_max = 1;
        }
        if (cf->extras > 1) o.lorentz_min = 0.2, o.lorentz_max = 1;
        for (int b = 0; b < BATCH; b++)
            peaks[b] = (xs_aug_peaks){tt + (size_t)b * max_peaks, in + (size_t)b * max_peaks, (size_t)cf->n_peaks};
        double rates[20], cpu_rates[20];
        uint64_t seed = 1;
        for (int r = 0; r < repeats; r++) {
            double t0 = now(), c0 = cpu_now(), t;
            size_t done = 0;
            xs_error err = {0};
            do {
                if (xs_aug_render_batch(&o, &g, peaks, BATCH, seed++, NULL, cf->threads, out, &err)) {
                    fprintf(stderr, "bench_augment: %s\n", err.message);
                    return 1;
                }
                done += BATCH;
                t = now();
            } while (t - t0 < seconds);
            rates[r] = (double)done / (t - t0);
            cpu_rates[r] = (double)done / (cpu_now() - c0);
        }
        qsort(rates, (size_t)repeats, sizeof rates[0], cmp_double);
        qsort(cpu_rates, (size_t)repeats, sizeof cpu_rates[0], cmp_double);
        double med = rates[repeats / 2], best = rates[repeats - 1];
        printf("| %s | %d | %d | %.0f | %.0f | %.3g | %.0f |\n", cf->name, cf->n_peaks, cf->threads, med, best,
               med * (double)g.count, cpu_rates[repeats / 2]);
        fflush(stdout);
    }
    free(tt), free(in), free(out);
    return 0;
}
