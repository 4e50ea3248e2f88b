/* Numbers on the command line: the whole argument must be one finite number, else the command says which
 * option got what, and the caller exits with a usage error (a silent 0 from atof would change a run).
 * Also the file name of a path, which several commands print. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int xs_cli_parse_double(const char *cmd, const char *opt, const char *text, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(x)) {
        fprintf(stderr, "xrdsym %s: %s expects a number, got '%s'\n", cmd, opt, text);
        return 0;
    }
    *v = x;
    return 1;
}

int xs_cli_parse_zero_shift(const char *cmd, const char *text, double *v)
{
    if (!xs_cli_parse_double(cmd, "--zero-shift", text, v)) return 0;
    if (fabs(*v) <= XS_PATTERN_MAX_ZERO) return 1;
    fprintf(stderr, "xrdsym %s: --zero-shift %g: a zero error is at most %g deg either way\n", cmd, *v,
            XS_PATTERN_MAX_ZERO);
    return 0;
}

int xs_cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-') {
        fprintf(stderr, "xrdsym %s: %s expects a non-negative integer, got '%s'\n", cmd, opt, text);
        return 0;
    }
    *v = (uint64_t)x;
    return 1;
}

int xs_cli_parse_int(const char *cmd, const char *opt, const char *text, int *v)
{
    uint64_t x;
    if (!xs_cli_parse_u64(cmd, opt, text, &x)) return 0;
    if (x > INT_MAX) {
        fprintf(stderr, "xrdsym %s: %s is too large: %s\n", cmd, opt, text);
        return 0;
    }
    *v = (int)x;
    return 1;
}

const char *xs_cli_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
