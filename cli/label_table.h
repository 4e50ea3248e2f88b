/* evaluate --labels: a table of what is known of pattern files that carry no label (cli/label_table.c). */
#ifndef XS_CLI_LABEL_TABLE_H
#define XS_CLI_LABEL_TABLE_H
#include "xrdsym.h"

typedef struct {
    char *name;        /* pattern: its file name, that name without extension, or a table row's id */
    int group;         /* space group 1..230; 0 not given */
    int system;        /* crystal system 0..6 (xs_crystal_system); -1 not given */
    double wavelength; /* angstrom; 0 not given */
} xs_cli_label_row;

typedef struct {
    xs_cli_label_row *rows;
    size_t n;
    int has_group, has_system; /* the header names such a column */
} xs_cli_label_table;

/* Reads the whole table; errors name the file and line. Free with xs_cli_label_table_free. */
xs_status xs_cli_label_table_read(const char *path, xs_cli_label_table *t, xs_error *err);
void xs_cli_label_table_free(xs_cli_label_table *t);
/* The row of a pattern (xs_pattern_name), or NULL. */
const xs_cli_label_row *xs_cli_label_table_find(const xs_cli_label_table *t, const char *pattern_name);
#endif
