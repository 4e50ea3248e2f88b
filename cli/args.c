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

int xs_cli_require(const char *cmd, const char *opt, int ok, const char *range, const char *text)
{
    if (!ok) fprintf(stderr, "xrdsym %s: %s must be %s, got '%s'\n", cmd, opt, range, text);
    return ok;
}

int xs_cli_parse_prior(const char *cmd, const char *text, xs_eval_prior *prior)
{
    if (!strcmp(text, "mp")) *prior = XS_PRIOR_MATERIALS_PROJECT;
    else if (!strcmp(text, "minerals")) *prior = XS_PRIOR_MINERALS;
    else if (!strcmp(text, "uniform")) *prior = XS_PRIOR_UNIFORM;
    else {
        fprintf(stderr, "xrdsym %s: --prior is mp, minerals or uniform, got '%s'\n", cmd, text);
        return 0;
    }
    return 1;
}

int xs_cli_parse_combine(const char *cmd, const char *text, xs_nn_combine *how)
{
    if (!strcmp(text, "mean")) *how = XS_NN_COMBINE_MEAN;
    else if (!strcmp(text, "geometric")) *how = XS_NN_COMBINE_GEOMETRIC;
    else {
        fprintf(stderr, "xrdsym %s: --combine is mean or geometric, got '%s'\n", cmd, text);
        return 0;
    }
    return 1;
}

int xs_cli_angle_option(const char *cmd, int argc, char **argv, int *i, xs_cli_angle_correction *c, int *bad)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc ||
        (strcmp(a, "--zero-shift") && strcmp(a, "--displacement") && strcmp(a, "--goniometer-radius")))
        return 0;
    const char *text = argv[++*i];
    double v;
    if (!xs_cli_parse_double(cmd, a, text, &v)) {
        *bad = 1;
    } else if (!strcmp(a, "--zero-shift")) {
        c->zero_shift = v;
        if (!(fabs(v) <= XS_PATTERN_MAX_ZERO)) {
            fprintf(stderr, "xrdsym %s: --zero-shift %g: a zero error is at most %g deg either way\n", cmd, v,
                    XS_PATTERN_MAX_ZERO);
            *bad = 1;
        }
    } else if (!strcmp(a, "--displacement")) {
        c->displacement = v; /* its bound depends on the radius: checked pattern by pattern */
    } else {
        c->radius = v;
        if (!(v >= XS_PATTERN_MIN_RADIUS && v <= XS_PATTERN_MAX_RADIUS)) {
            fprintf(stderr, "xrdsym %s: --goniometer-radius %g: a diffractometer's is %g..%g mm\n", cmd, v,
                    XS_PATTERN_MIN_RADIUS, XS_PATTERN_MAX_RADIUS);
            *bad = 1;
        }
    }
    return 1;
}

xs_status xs_cli_correct_angles(const char *cmd, xs_pattern *p, const xs_cli_angle_correction *c,
                                double *radius_used, xs_error *err)
{
    if (radius_used) *radius_used = 0;
    if (c->zero_shift != 0) {
        xs_status st = xs_pattern_correct_zero(p, c->zero_shift, err);
        if (st != XS_OK) return st;
    }
    if (c->displacement == 0) return XS_OK;
    double r = xs_pattern_goniometer_radius(p);
    if (r > 0 && c->radius > 0 && fabs(r - c->radius) > 0.5)
        fprintf(stderr, "xrdsym %s: %s: the file states a goniometer radius of %g mm; --goniometer-radius %g is "
                "ignored for it\n", cmd, xs_pattern_name(p), r, c->radius);
    if (r <= 0) r = c->radius;
    if (r <= 0)
        return xs_error_set(err, XS_ERR_INVALID, xs_pattern_name(p), 0, 0,
                            "--displacement needs the goniometer radius, which the file does not state: give "
                            "--goniometer-radius R (mm)");
    if (radius_used) *radius_used = r;
    return xs_pattern_correct_displacement(p, c->displacement, r, err);
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

void xs_cli_dataset_identity(const char *cmd, int drop_output, char *out, size_t size)
{
    size_t len = 0;
    out[0] = 0;
    const char *p = cmd;
    int skip_next = 0;
    for (;;) {
        while (*p == ' ') p++;
        const char *word = p;
        while (*p && *p != ' ') p++;
        int n = (int)(p - word);
        if (!n) break;
        if (skip_next) {
            skip_next = 0;
            continue;
        }
        if ((n == 9 && !strncmp(word, "--threads", 9)) || (n == 7 && !strncmp(word, "--chunk", 7)) ||
            (drop_output && n == 5 && !strncmp(word, "--out", 5))) {
            skip_next = 1;
            continue;
        }
        if (n == 7 && !strncmp(word, "--quiet", 7)) continue;
        if (len + (size_t)n + 2 > size) break;
        len += (size_t)snprintf(out + len, size - len, "%s%.*s", len ? " " : "", n, word);
    }
}
