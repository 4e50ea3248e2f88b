/* xrdsym ensemble: several trained models of the same task and grid in one file, their probabilities
 * averaged by predict and evaluate (the paper averages ensembles of 10), or combined by their geometric mean
 * where the file says so. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o, "usage: xrdsym ensemble MODEL.h5... --out ENSEMBLE.h5 [--half] [--combine mean|geometric] [--member K]\n"
               "  One file holding every member of the given model or ensemble files, in order;\n"
               "  they must agree on inputs, grid and classes. Written atomically, without optimiser state.\n"
               "  --half  weights stored as 16-bit floats: half the file (README: what it changes)\n"
               "  --combine mean|geometric  how predict and evaluate combine the members unless told\n"
               "          otherwise: the mean of their probabilities or their geometric mean (default: as\n"
               "          the first file says, else the mean)\n"
               "  --member K  keep only member K (0 the first) of all the files' members, in order: one\n"
               "          network taken out of an ensemble, to be judged alone or paired anew\n");
}

int xs_cmd_ensemble(int argc, char **argv)
{
    const char *out = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    int n = 0, half = 0, combine_given = 0, member = -1;
    xs_nn_combine combine = XS_NN_COMBINE_MEAN;
    if (!paths) return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--half"))
            half = 1;
        else if (!strcmp(argv[i], "--combine") && i + 1 < argc) {
            if (!xs_cli_parse_combine("ensemble", argv[++i], &combine)) {
                free(paths);
                return 2;
            }
            combine_given = 1;
        } else if (!strcmp(argv[i], "--member") && i + 1 < argc) {
            if (!xs_cli_parse_int("ensemble", "--member", argv[++i], &member) ||
                !xs_cli_require("ensemble", "--member", member >= 0, "0 or more", argv[i])) {
                free(paths);
                return 2;
            }
        }
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            free(paths);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "xrdsym ensemble: unknown option or missing value: %s\n", argv[i]);
            usage(stderr);
            free(paths);
            return 2;
        } else
            paths[n++] = argv[i];
    }
    if (!out || n < 1) {
        usage(stderr);
        free(paths);
        return 2;
    }
    xs_nn_ensemble *ens = NULL;
    xs_error err = {0};
    xs_status st = xs_nn_ensemble_create(&ens, &err);
    for (int i = 0; st == XS_OK && i < n; i++) st = xs_nn_ensemble_append_file(ens, paths[i], &err); /* names the file */
    if (st == XS_OK && member >= 0) {
        if (member >= xs_nn_ensemble_size(ens))
            st = xs_error_set(&err, XS_ERR_INVALID, NULL, 0, 0, "--member %d: the files hold %d members (0 to %d)", member,
                              xs_nn_ensemble_size(ens), xs_nn_ensemble_size(ens) - 1);
        else {
            xs_nn *kept = xs_nn_ensemble_take(ens, member);
            while (xs_nn_ensemble_size(ens) > 0) xs_nn_free(xs_nn_ensemble_take(ens, 0));
            st = xs_nn_ensemble_add(ens, kept, &err);
        }
    }
    if (st == XS_OK && combine_given) st = xs_nn_ensemble_set_combine(ens, combine, &err);
    if (st == XS_OK) st = xs_nn_ensemble_save(ens, out, half ? XS_NN_SAVE_HALF : 0, &err);
    if (st != XS_OK)
        xs_cli_print_error(&err);
    else
        printf("xrdsym ensemble: wrote %s (%d member%s%s%s)\n", out, xs_nn_ensemble_size(ens),
               xs_nn_ensemble_size(ens) == 1 ? "" : "s", half ? ", 16-bit weights" : "",
               xs_nn_ensemble_size(ens) > 1 && xs_nn_ensemble_combine(ens) == XS_NN_COMBINE_GEOMETRIC ? ", their geometric mean" : "");
    xs_nn_ensemble_free(ens);
    free(paths);
    return st == XS_OK ? 0 : 1;
}
