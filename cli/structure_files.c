#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CIF by extension or by a "data_" block header in the first lines; everything else is read as POSCAR. */
static int looks_like_cif(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && (!strcasecmp(dot, ".cif") || !strcasecmp(dot, ".mcif"))) return 1;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int found = 0;
    for (int i = 0; i < 50 && fgets(line, sizeof line, f); i++) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncasecmp(p, "data_", 5) || !strncmp(p, "#\\#CIF", 6)) {
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

/* A block left out of a file that gave other structures is said, not passed over in silence. */
static void warn_left_out(xs_cif_warning_kind kind, const xs_error *warning, void *user)
{
    (void)user;
    xs_cli_print_warning(warning, kind == XS_CIF_BLOCK_LEFT_OUT ? "block left out; the file's other structures are read"
                                  : kind == XS_CIF_SYNTAX_DAMAGE
                                      ? "the file's structures are read; they may lack what this damaged"
                                  : kind == XS_CIF_OVERFULL_SITE
                                      ? "read as written: each of them scatters in full, and intensities will be off"
                                      : "read as written: every site scatters in full, and intensities will be off");
}

xs_status xs_cli_read_structures(const char *path, xs_structure ***list, size_t *n, xs_error *err)
{
    *list = NULL;
    *n = 0;
    if (looks_like_cif(path)) return xs_cif_read_ex(path, warn_left_out, NULL, list, n, err);
    xs_structure *s;
    xs_error warning = {0};
    xs_status st = xs_poscar_read_ex(path, 0, &warning, &s, err);
    if (st) return st;
    if (warning.code != XS_OK)
        xs_cli_print_warning(&warning, "read as written: every atom scatters in full, and intensities will be off");
    *list = malloc(sizeof **list);
    if (!*list) {
        xs_structure_free(s);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    (*list)[0] = s;
    *n = 1;
    return XS_OK;
}
