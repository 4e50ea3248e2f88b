/* xrdsym bench train: training throughput of a built-in or specified network on random input, for a quick
 * check of a machine (the full comparison with PyTorch is bench/run_nn.sh). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: xrdsym bench train [--arch dense|cnn|SPEC] [--batch B] [--threads T] [--seconds S]\n"
                 "  forward, backward and Adam steps on random patterns of 8,500 points, 230 classes; prints\n"
                 "  samples_per_s=N as its last line (defaults: dense, batch 128, 2 threads, 5 seconds)\n");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int xs_cmd_bench(int argc, char **argv)
{
    const char *arch = "dense";
    int batch = 128, threads = 2;
    double seconds = 5;
    if (argc < 2 || strcmp(argv[1], "train")) {
        usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    for (int i = 2; i < argc; i++) {
        int more = i + 1 < argc;
        if (!strcmp(argv[i], "--arch") && more) arch = argv[++i];
        else if (!strcmp(argv[i], "--batch") && more) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && more) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && more) seconds = atof(argv[++i]);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (batch < 1 || batch > 4096 || !(seconds > 0)) {
        usage(stderr);
        return 2;
    }
    const int n_in = 8500, n_classes = 230;
    xs_error err = {0};
    xs_nn *net = NULL;
    if (xs_nn_create(arch, n_in, n_classes, 1, &net, &err) != XS_OK || xs_nn_set_threads(net, threads, &err) != XS_OK) {
        xs_cli_print_error(&err);
        xs_nn_free(net);
        return 1;
    }
    float *x = malloc((size_t)batch * n_in * sizeof *x);
    int *labels = malloc((size_t)batch * sizeof *labels);
    if (!x || !labels) {
        fprintf(stderr, "xrdsym bench: out of memory\n");
        free(x);
        free(labels);
        xs_nn_free(net);
        return 1;
    }
    xs_rng rng;
    xs_rng_seed(&rng, 1, 0);
    for (size_t i = 0; i < (size_t)batch * n_in; i++) x[i] = (float)xs_rng_uniform(&rng);
    for (int i = 0; i < batch; i++) labels[i] = (int)xs_rng_below(&rng, n_classes);
    int status = 0;
    /* one warm-up step (allocations, OpenBLAS threads), then as many steps as fit in the time */
    if (xs_nn_train_step(net, x, labels, batch, XS_NN_LOSS_CCE, NULL, NULL, &err) != XS_OK) status = 1;
    long steps = 0;
    double t0 = now_s(), t = t0;
    while (!status && t - t0 < seconds) {
        if (xs_nn_train_step(net, x, labels, batch, XS_NN_LOSS_CCE, NULL, NULL, &err) != XS_OK) status = 1;
        steps++;
        t = now_s();
    }
    if (status) xs_cli_print_error(&err);
    else {
        printf("arch=%s params=%zu batch=%d threads=%d steps=%ld seconds=%.2f\n", arch, xs_nn_n_params(net), batch,
               threads, steps, t - t0);
        printf("samples_per_s=%.1f\n", (double)steps * batch / (t - t0));
    }
    free(x);
    free(labels);
    xs_nn_free(net);
    return status;
}
