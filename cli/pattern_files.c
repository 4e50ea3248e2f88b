#include "cli.h"

#include <stdlib.h>

/* A block of a powder CIF left out while the file's other blocks are read, or a header's wavelength not taken, is
 * said, not passed over in silence. */
static void warn_part_left_out(xs_pattern_warning_kind kind, const xs_error *warning, void *user)
{
    xs_cli_warnings *keep = user;
    if (keep && keep->n < XS_CLI_MAX_WARNINGS) keep->items[keep->n++] = *warning;
    xs_cli_print_warning(warning, kind == XS_PATTERN_PART_LEFT_OUT ? "profile left out; the file's other patterns are read"
                                  : kind == XS_PATTERN_SYNTAX_DAMAGE
                                      ? "the file's patterns are read; they may lack what this damaged"
                                      : "give the wavelength with --wavelength");
}

xs_status xs_cli_read_patterns(const char *path, xs_cli_warnings *keep, xs_pattern ***list, size_t *n, xs_error *err)
{
    if (keep) keep->n = 0;
    return xs_pattern_read_ex(path, warn_part_left_out, keep, list, n, err);
}
