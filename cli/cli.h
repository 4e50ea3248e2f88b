/* Shared declarations of the xrdsym command-line tool. Each subcommand lives in cli/cmd_<name>.c and is
 * listed once in the table in cli/main.c. */
#ifndef XS_CLI_H
#define XS_CLI_H
#include "xrdsym.h"
#include <stdio.h>

/* Every subcommand: argc/argv start at the subcommand's own name; returns the process exit status
 * (0 ok, 1 some input failed, 2 usage error). */
typedef int (*xs_cli_command_fn)(int argc, char **argv);

int xs_cmd_info(int argc, char **argv);
int xs_cmd_simulate(int argc, char **argv);
/* Commands whose modules are built issue by issue are declared weak: the table in main.c lists them all,
 * and one whose cli/cmd_<name>.c is not in the tree is reported as not part of this build instead of
 * failing the link. */
#define XS_CLI_OPTIONAL __attribute__((weak))
XS_CLI_OPTIONAL int xs_cmd_wyckoff(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_dataset(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_render(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_train(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_predict(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_evaluate(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_bench(int argc, char **argv);
XS_CLI_OPTIONAL int xs_cmd_ensemble(int argc, char **argv);

/* The shipped default model: $XRDSYM_MODEL, else models/default.h5 next to the binary or in the source tree
 * it was built from. Writes the path tried last; 1 if that file exists. */
int xs_cli_default_model(char *out, size_t size);
/* Load a model or ensemble (path NULL: the default model); `used` receives the path. */
xs_status xs_cli_load_model(const char *path, xs_nn_ensemble **ens, char *used, size_t used_size, xs_error *err);
/* Space group (1..230) that class c of a space-group model stands for; 0 for other models. */
int xs_cli_class_space_group(xs_nn *net, int c);

/* A whole argument as a finite number / non-negative integer (cli/args.c); on failure prints
 * "xrdsym CMD: OPT expects ..., got 'TEXT'" and returns 0. */
int xs_cli_parse_double(const char *cmd, const char *opt, const char *text, double *v);
/* --zero-shift: a number within XS_PATTERN_MAX_ZERO degrees either way; else says why and returns 0. */
int xs_cli_parse_zero_shift(const char *cmd, const char *text, double *v);
int xs_cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t *v);
int xs_cli_parse_int(const char *cmd, const char *opt, const char *text, int *v);

/* Print an error object as "xrdsym: file:line: message" on stderr. */
void xs_cli_print_error(const xs_error *err);
/* The file name of a path: what follows its last '/' (the path itself when it has none). */
const char *xs_cli_base_name(const char *path);
/* Read any structure file (CIF by content or extension, else POSCAR): *list is malloc'd, caller frees each
 * and the array. */
xs_status xs_cli_read_structures(const char *path, xs_structure ***list, size_t *n, xs_error *err);
#endif
