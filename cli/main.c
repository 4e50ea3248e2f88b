#include "cli.h"

#include <string.h>

typedef struct {
    const char *name;
    xs_cli_command_fn fn;
    const char *summary;
} command_entry;

/* One line per subcommand. */
static const command_entry commands[] = {
    {"info", xs_cmd_info, "formula, cell and space group (declared and found) of structure files"},
    {"simulate", xs_cmd_simulate, "powder XRD peaks or profile of structure files"},
    {"wyckoff", xs_cmd_wyckoff, "Wyckoff positions of a space group, computed from its operations"},
    {"dataset", xs_cmd_dataset, "build an HDF5 dataset of peak lists (random crystals or structure files)"},
    {"render", xs_cmd_render, "one pattern of a dataset, rendered and augmented as for training"},
    {"train", xs_cmd_train, "train a network (or an ensemble) on a dataset"},
    {"predict", xs_cmd_predict, "crystal system and space group of measured pattern files"},
    {"evaluate", xs_cmd_evaluate, "accuracy, top-n, refusal curve and confusion of a model"},
    {"ensemble", xs_cmd_ensemble, "several trained models in one file, their outputs averaged"},
    {"bench", xs_cmd_bench, "training throughput of a network on this machine (bench train)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: xrdsym COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].fn) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  xrdsym COMMAND --help   options of a command\n  xrdsym --version        what this build contains\n");
}

void xs_cli_print_error(const xs_error *err)
{
    char buf[2048];
    xs_error_format(err, buf, sizeof buf);
    fprintf(stderr, "xrdsym: %s\n", buf);
}

void xs_cli_print_warning(const xs_error *warning, const char *consequence)
{
    char buf[2048];
    xs_error_format(warning, buf, sizeof buf);
    fprintf(stderr, "xrdsym: warning: %s (%s)\n", buf, consequence);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("xrdsym %s\n%s\n", xs_version(), xs_build_features());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            if (!commands[i].fn) {
                fprintf(stderr, "xrdsym: command '%s' is not part of this build\n", argv[1]);
                return 2;
            }
            return commands[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "xrdsym: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
