/* Neural-network throughput: training samples per second (forward with dropout, backward, Adam step) or
 * inference patterns per second, for a built-in architecture on random patterns.
 *
 * With --mode sgemm it measures OpenBLAS's single-precision GEMM (2048^3, same threads) instead and prints
 * gflops=N, the peak the dense network's rate is compared with; in train mode with --arch dense it also
 * prints the GFLOP/s the training reaches (2 flops per multiply-add: forward, both backward products except
 * the first layer's input gradient).
 *
 * Usage: bench_nn [--arch dense|cnn] [--mode train|infer|sgemm] [--batch 128] [--threads 2] [--inputs 8500]
 *                 [--classes 230] [--seconds 20] [--warmup 2] [--reference] [--profile (time per layer)]
 * Prints a few informative lines and, last, samples_per_s=N (see bench/run_nn.sh). samples_per_cpu_s counts
 * per second of CPU time of the process (all its threads): what the rate would be on otherwise idle cores,
 * the fairer number when other processes load the machine. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "xrdsym.h"

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *arch = "dense", *mode = "train";
    int batch = 128, threads = 2, n_in = 8500, n_cls = 230, warmup = 2, reference = 0, profile = 0;
    double seconds = 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--reference") || !strcmp(a, "--profile")) {
            *(a[2] == 'r' ? &reference : &profile) = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--arch")) arch = v;
        else if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--inputs")) n_in = atoi(v);
        else if (!strcmp(a, "--classes")) n_cls = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atoi(v);
        else {
            fprintf(stderr, "unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!strcmp(mode, "sgemm")) {
        int n = 2048;
        float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
        for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = 1e-3f * (float)(i % 7);
        openblas_set_num_threads(threads);
        long reps = 0;
        double t0 = 0, c0 = 0;
        for (long it = 0;; it++) {
            if (it == 1) t0 = now(), c0 = cpu_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            if (it >= 1 && ++reps >= 3 && now() - t0 >= seconds) break;
        }
        double flops = 2.0 * n * n * n * reps, dt = now() - t0, cpu = cpu_now() - c0;
        printf("sgemm n=%d threads=%d reps=%ld cpu_seconds=%.2f\ngflops_per_cpu_s=%.1f\ngflops=%.1f\n", n, threads,
               reps, cpu, flops / cpu / 1e9, flops / dt / 1e9);
        free(a), free(b), free(c);
        return 0;
    }
    int train = !strcmp(mode, "train");
    xs_nn *net = NULL;
    xs_error err = {0};
    if (xs_nn_create(arch, n_in, n_cls, 1, &net, &err) != XS_OK || xs_nn_set_threads(net, threads, &err) != XS_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.message);
        return 1;
    }
    xs_nn_use_reference(net, reference);
    float *x = malloc(sizeof(float) * (size_t)batch * n_in), *p = malloc(sizeof(float) * (size_t)batch * n_cls);
    int *y = malloc(sizeof(int) * (size_t)batch);
    xs_rng r;
    xs_rng_seed(&r, 1, 0);
    for (size_t i = 0; i < (size_t)batch * n_in; i++) x[i] = (float)xs_rng_uniform(&r);
    for (int i = 0; i < batch; i++) y[i] = (int)xs_rng_below(&r, (uint64_t)n_cls);
    printf("arch=%s mode=%s batch=%d threads=%d inputs=%d classes=%d params=%zu\n", arch, mode, batch, threads, n_in,
           n_cls, xs_nn_n_params(net));
    long done = 0;
    double t0 = 0, c0 = 0, loss = 0;
    for (long it = 0;; it++) {
        if (it == warmup) t0 = now(), c0 = cpu_now();
        xs_status st = train ? xs_nn_train_step(net, x, y, batch, XS_NN_LOSS_CCE, &loss, NULL, &err)
                             : xs_nn_forward(net, x, batch, p, &err);
        if (st != XS_OK) {
            fprintf(stderr, "bench_nn: %s\n", err.message);
            return 1;
        }
        if (it >= warmup) done++;
        if (it >= warmup && now() - t0 >= seconds && done >= 3) break;
    }
    double dt = now() - t0, cpu = cpu_now() - c0, rate = (double)done * batch / dt, cpu_rate = (double)done * batch / cpu;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("steps=%ld seconds=%.2f cpu_seconds=%.2f last_loss=%.4f peak_rss_mib=%.0f\n", done, dt, cpu, loss,
           ru.ru_maxrss / 1024.0);
    printf("samples_per_cpu_s=%.1f\n", cpu_rate);
    if (train && !strcmp(arch, "dense")) {
        double macs = 0, first = 0;
        for (int t = 0; t < xs_nn_n_tensors(net); t++) {
            xs_nn_tensor_info ti;
            xs_nn_tensor(net, t, &ti, NULL);
            if (ti.ndim == 2) macs += (double)ti.count, first = first ? first : (double)ti.count;
        }
        printf("gflops=%.1f\ngflops_per_cpu_s=%.1f\n", rate * 2.0 * (3 * macs - first) / 1e9,
               cpu_rate * 2.0 * (3 * macs - first) / 1e9);
    }
    if (profile) {
        char *spec = strdup(xs_nn_spec(net)), *save = NULL, *stmt = strtok_r(spec, ";", &save);
        stmt = strtok_r(NULL, ";", &save); /* skip "input N" */
        for (int i = 0; i < net->nl && stmt; i++, stmt = strtok_r(NULL, ";", &save))
            printf("  layer %2d %-24s forward %6.1f ms  backward %6.1f ms per step\n", i, stmt,
                   1e3 * net->L[i].t_fwd / (double)(done + warmup), 1e3 * net->L[i].t_bwd / (double)(done + warmup));
        free(spec);
    }
    printf("samples_per_s=%.1f\n", rate);
    free(x), free(p), free(y);
    xs_nn_free(net);
    return 0;
}
