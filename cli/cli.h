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
/* Returns ok; when it is 0 prints "xrdsym CMD: OPT must be RANGE, got 'TEXT'" (a value that parsed but is
 * outside what the option accepts gets its reason, not only the usage). */
int xs_cli_require(const char *cmd, const char *opt, int ok, const char *range, const char *text);
/* --prior's value: mp, minerals or uniform; otherwise prints "xrdsym CMD: --prior is ..." and returns 0. */
int xs_cli_parse_prior(const char *cmd, const char *text, xs_eval_prior *prior);
/* --combine mean|geometric (xs_nn_ensemble_set_combine); 0 with a message naming the command otherwise */
int xs_cli_parse_combine(const char *cmd, const char *text, xs_nn_combine *how);

/* The angle corrections predict and evaluate offer for a measured pattern (cli/args.c). */
typedef struct {
    double zero_shift;   /* --zero-shift, deg 2theta (measured = true + zero_shift) */
    double displacement; /* --displacement, mm: the sample surface above the goniometer axis */
    double radius;       /* --goniometer-radius, mm; 0: the file's own */
} xs_cli_angle_correction;
/* When argv[*i] is --zero-shift, --displacement or --goniometer-radius (with a value), reads it into c,
 * advances *i and returns 1, with *bad set where the value is not a number or out of range (said why);
 * otherwise returns 0. */
int xs_cli_angle_option(const char *cmd, int argc, char **argv, int *i, xs_cli_angle_correction *c, int *bad);
/* Corrects one pattern: the zero error, then the displacement at the file's goniometer radius (else
 * --goniometer-radius; a different one on the command line is ignored with a warning, as a wavelength is).
 * *radius_used (may be NULL) receives the radius applied (0 without a displacement). A displacement with no
 * radius from either is an error naming the pattern. */
xs_status xs_cli_correct_angles(const char *cmd, xs_pattern *p, const xs_cli_angle_correction *c,
                                double *radius_used, xs_error *err);
int xs_cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t *v);
int xs_cli_parse_int(const char *cmd, const char *opt, const char *text, int *v);

/* Print an error object as "xrdsym: file:line: message" on stderr. */
void xs_cli_print_error(const xs_error *err);
/* Print what a read that succeeded left out as "xrdsym: warning: file:line: message (consequence)" on stderr. */
void xs_cli_print_warning(const xs_error *warning, const char *consequence);
/* text as a JSON string: quotes, backslashes and control characters escaped; valid UTF-8 as it is, any other
 * byte as the Latin-1 character it would be (\u00XX), so that the output is always valid JSON. */
void xs_cli_json_string(FILE *f, const char *text);
/* A dataset's generator command (words separated by spaces) without the options that do not change its
 * crystals: --threads N, --chunk N, --quiet, and with drop_output also --out PATH. `dataset` resumes only parts
 * of the same identity (the output kept); `evaluate` takes a file of the same identity (the output dropped) for
 * the one a network trained on. */
void xs_cli_dataset_identity(const char *cmd, int drop_output, char *out, size_t size);
/* The file name of a path: what follows its last '/' (the path itself when it has none). */
const char *xs_cli_base_name(const char *path);
/* Read any structure file (CIF by content or extension, else POSCAR): *list is malloc'd, caller frees each
 * and the array. */
xs_status xs_cli_read_structures(const char *path, xs_structure ***list, size_t *n, xs_error *err);
/* The warnings of one pattern file, for outputs that carry them (predict's JSON and TSV); beyond the first
 * XS_CLI_MAX_WARNINGS they go to stderr only. */
#define XS_CLI_MAX_WARNINGS 16
typedef struct {
    xs_error items[XS_CLI_MAX_WARNINGS];
    size_t n;
} xs_cli_warnings;
/* Read any pattern file (xs_pattern_read), saying on stderr as warnings what a file that was read left out, and
 * keeping them in *keep (may be NULL; emptied first). */
xs_status xs_cli_read_patterns(const char *path, xs_cli_warnings *keep, xs_pattern ***list, size_t *n, xs_error *err);
#endif
