/* Architecture specifications: parser, canonical text and the built-in architectures (see xs_nn.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

xs_status xs_nn_builtin_spec(const char *name, int n_inputs, int n_classes, char **spec, xs_error *err)
{
    if (spec) *spec = NULL;
    if (!name || !spec) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing architecture name");
    if (n_inputs <= 0 || n_classes <= 0)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0,
                            "built-in architecture '%s' needs inputs > 0 and classes > 0 (got %d and %d)", name,
                            n_inputs, n_classes);
    char buf[1024];
    if (!strcmp(name, "dense"))
        snprintf(buf, sizeof buf,
                 "input %d; dense 4000 relu; dropout 0.6; dense 3000 relu; dropout 0.5; dense 1000 relu; "
                 "dropout 0.4; dense 800 relu; dropout 0.3; dense %d softmax",
                 n_inputs, n_classes);
    else if (!strcmp(name, "cnn")) {
        int h1 = n_classes <= 7 ? 700 : 2300, h2 = n_classes <= 7 ? 70 : 1150;
        snprintf(buf, sizeof buf,
                 "input %d; conv 80 100 5 relu; dropout 0.3; avgpool 3 2; conv 80 50 5 relu; dropout 0.3; "
                 "avgpool 3 3; conv 80 25 2 relu; dropout 0.3; avgpool 3 3; flatten; dense %d relu; "
                 "dropout 0.5; dense %d relu; dropout 0.5; dense %d softmax",
                 n_inputs, h1, h2, n_classes);
    } else
        return xs_error_set(err, XS_ERR_NOT_FOUND, NULL, 0, 0,
                            "unknown built-in architecture '%s' (known: dense, cnn)", name);
    *spec = strdup(buf);
    return *spec ? XS_OK : xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* ---- parser ---- */
typedef struct {
    char text[64];
    int line, column;
} token;

#define MAX_TOKENS 8

static int parse_int(const token *t, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(t->text, &end, 10);
    if (*end || errno || v <= 0 || v > 100000000) return 0;
    *out = (int)v;
    return 1;
}

static xs_status parse_statement(token *tok, int nt, int n_classes, xs_nn_layer_desc *d, xs_error *err)
{
    const char *w = tok[0].text;
    int line = tok[0].line, col = tok[0].column;
    memset(d, 0, sizeof *d);
    d->line = line;
    d->column = col;
    d->stride = 1;
#define FAIL(t, ...) return xs_error_set(err, XS_ERR_PARSE, "spec", (t).line, (t).column, __VA_ARGS__)
#define NARGS(lo, hi, usage)                                                                     \
    if (nt - 1 < (lo) || nt - 1 > (hi)) FAIL(tok[0], "'%s' takes %s", w, usage)
    if (!strcmp(w, "dense")) {
        NARGS(1, 2, "UNITS [relu|softmax|linear]");
        d->type = XS_NN_L_DENSE;
        if (!strcmp(tok[1].text, "classes")) {
            if (n_classes <= 0) FAIL(tok[1], "'classes' needs the number of classes to be given");
            d->units = n_classes;
        } else if (!parse_int(&tok[1], &d->units))
            FAIL(tok[1], "dense units must be a positive integer or 'classes', not '%s'", tok[1].text);
    } else if (!strcmp(w, "conv") || !strcmp(w, "conv1d")) {
        NARGS(3, 4, "FILTERS KERNEL STRIDE [relu|linear]");
        d->type = XS_NN_L_CONV;
        const char *what[3] = {"filters", "kernel", "stride"};
        int *dst[3] = {&d->units, &d->kernel, &d->stride};
        for (int i = 0; i < 3; i++)
            if (!parse_int(&tok[1 + i], dst[i]))
                FAIL(tok[1 + i], "conv %s must be a positive integer, not '%s'", what[i], tok[1 + i].text);
    } else if (!strcmp(w, "avgpool") || !strcmp(w, "maxpool")) {
        NARGS(1, 2, "SIZE [STRIDE]");
        d->type = w[0] == 'a' ? XS_NN_L_AVGPOOL : XS_NN_L_MAXPOOL;
        if (!parse_int(&tok[1], &d->kernel)) FAIL(tok[1], "pool size must be a positive integer, not '%s'", tok[1].text);
        d->stride = d->kernel;
        if (nt == 3 && !parse_int(&tok[2], &d->stride))
            FAIL(tok[2], "pool stride must be a positive integer, not '%s'", tok[2].text);
        return XS_OK;
    } else if (!strcmp(w, "dropout")) {
        NARGS(1, 1, "RATE");
        d->type = XS_NN_L_DROPOUT;
        char *end;
        double r = strtod(tok[1].text, &end);
        if (*end || !(r >= 0 && r < 1)) FAIL(tok[1], "dropout rate must be a number in [0, 1), not '%s'", tok[1].text);
        d->rate = (float)r;
        return XS_OK;
    } else if (!strcmp(w, "logq")) {
        NARGS(1, 3, "POINTS [TWO_THETA_START TWO_THETA_STEP]");
        if (nt == 3) FAIL(tok[0], "'logq' takes POINTS, or POINTS with both the 2theta start and step");
        d->type = XS_NN_L_LOGQ;
        if (!parse_int(&tok[1], &d->units) || d->units < 2)
            FAIL(tok[1], "logq points must be an integer >= 2, not '%s'", tok[1].text);
        d->start = 5.0; /* the paper's grid */
        d->step = 0.01;
        if (nt == 4) {
            char *e1, *e2;
            d->start = strtod(tok[2].text, &e1);
            d->step = strtod(tok[3].text, &e2);
            if (*e1 || !(d->start > 0 && d->start < 180)) FAIL(tok[2], "2theta start must be in (0, 180) degrees, not '%s'", tok[2].text);
            if (*e2 || !(d->step > 0 && d->step < 180)) FAIL(tok[3], "2theta step must be in (0, 180) degrees, not '%s'", tok[3].text);
        }
        return XS_OK;
    } else if (!strcmp(w, "highpass") || !strcmp(w, "autocorr")) {
        NARGS(1, 1, w[0] == 'h' ? "WINDOW" : "LAGS");
        d->type = w[0] == 'h' ? XS_NN_L_HIGHPASS : XS_NN_L_AUTOCORR;
        if (!parse_int(&tok[1], &d->units))
            FAIL(tok[1], "%s must be a positive integer, not '%s'", w[0] == 'h' ? "highpass window" : "autocorr lags",
                 tok[1].text);
        return XS_OK;
    } else if (!strcmp(w, "sqrt")) {
        NARGS(0, 0, "no arguments");
        d->type = XS_NN_L_SQRT;
        return XS_OK;
    } else if (!strcmp(w, "peaks")) {
        NARGS(1, 1, "K");
        d->type = XS_NN_L_PEAKS;
        char *end;
        double k = strtod(tok[1].text, &end);
        if (*end || !(k >= 0 && k <= 1000)) FAIL(tok[1], "peaks significance must be a number in [0, 1000], not '%s'", tok[1].text);
        d->rate = (float)k;
        return XS_OK;
    } else if (!strcmp(w, "relu") || !strcmp(w, "softmax") || !strcmp(w, "flatten")) {
        NARGS(0, 0, "no arguments");
        d->type = w[0] == 'r' ? XS_NN_L_RELU : w[0] == 's' ? XS_NN_L_SOFTMAX : XS_NN_L_FLATTEN;
        return XS_OK;
    } else
        FAIL(tok[0], "unknown statement '%s' (known: input, dense, conv, avgpool, maxpool, dropout, relu, "
                     "softmax, flatten, logq, highpass, autocorr, sqrt, peaks)", w);
    /* dense / conv: optional activation */
    int last = d->type == XS_NN_L_DENSE ? 2 : 4;
    if (nt > last) {
        const char *a = tok[last].text;
        if (!strcmp(a, "relu"))
            d->act = XS_NN_ACT_RELU;
        else if (!strcmp(a, "linear"))
            d->act = XS_NN_ACT_NONE;
        else if (!strcmp(a, "softmax") && d->type == XS_NN_L_DENSE)
            d->act = XS_NN_ACT_SOFTMAX;
        else
            FAIL(tok[last], "unknown activation '%s' (known: relu, linear%s)", a,
                 d->type == XS_NN_L_DENSE ? ", softmax" : "");
    }
    return XS_OK;
#undef NARGS
#undef FAIL
}

xs_status xs_nn_spec_parse(const char *text, int n_inputs, int n_classes, xs_nn_layer_desc **descs, int *n,
                           int *n_in, xs_error *err)
{
    *descs = NULL;
    *n = 0;
    *n_in = 0;
    if (!text) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing specification text");
    int cap = 16, count = 0, input = 0;
    xs_nn_layer_desc *out = malloc(sizeof *out * cap);
    if (!out) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    token tok[MAX_TOKENS];
    int nt = 0, line = 1, col = 1;
    xs_status st = XS_OK;
    const char *p = text;
    for (;;) {
        char ch = *p;
        if (ch == '#') {
            while (*p && *p != '\n') p++, col++;
            continue;
        }
        if (ch == '\0' || ch == ';' || ch == '\n') {
            if (nt > 0) {
                if (!strcmp(tok[0].text, "input")) {
                    if (nt != 2 || !parse_int(&tok[1], &input) || count > 0 || *n_in) {
                        st = xs_error_set(err, XS_ERR_PARSE, "spec", tok[0].line, tok[0].column,
                                          "'input N' (N a positive integer) may only be the first statement");
                        break;
                    }
                    *n_in = input;
                } else {
                    if (count == cap) {
                        xs_nn_layer_desc *g = realloc(out, sizeof *out * (cap *= 2));
                        if (!g) {
                            st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
                            break;
                        }
                        out = g;
                    }
                    if ((st = parse_statement(tok, nt, n_classes, &out[count], err)) != XS_OK) break;
                    if (++count > 1000) {
                        st = xs_error_set(err, XS_ERR_PARSE, "spec", line, col, "more than 1000 statements");
                        break;
                    }
                }
            }
            nt = 0;
            if (ch == '\0') break;
            if (ch == '\n') line++, col = 0;
            p++, col++;
            continue;
        }
        if (isspace((unsigned char)ch)) {
            p++, col++;
            continue;
        }
        /* a word */
        if (nt == MAX_TOKENS) {
            st = xs_error_set(err, XS_ERR_PARSE, "spec", line, col, "too many words in one statement");
            break;
        }
        token *t = &tok[nt++];
        t->line = line;
        t->column = col;
        size_t len = 0;
        while (*p && *p != ';' && *p != '\n' && *p != '#' && !isspace((unsigned char)*p)) {
            if (len + 1 >= sizeof t->text) {
                st = xs_error_set(err, XS_ERR_PARSE, "spec", line, t->column, "word too long");
                break;
            }
            t->text[len++] = (char)tolower((unsigned char)*p);
            p++, col++;
        }
        if (st) break;
        t->text[len] = 0;
    }
    if (st == XS_OK && count == 0)
        st = xs_error_set(err, XS_ERR_PARSE, "spec", 1, 1, "the specification has no layers");
    if (st == XS_OK && n_inputs > 0 && *n_in > 0 && n_inputs != *n_in)
        st = xs_error_set(err, XS_ERR_INVALID, "spec", 1, 1,
                          "the specification says 'input %d' but the network is asked for %d inputs", *n_in,
                          n_inputs);
    if (st == XS_OK && *n_in == 0) {
        if (n_inputs <= 0)
            st = xs_error_set(err, XS_ERR_INVALID, "spec", 1, 1,
                              "number of inputs unknown: give it or start the specification with 'input N'");
        *n_in = n_inputs;
    }
    if (st != XS_OK) {
        free(out);
        *n_in = 0;
        return st;
    }
    *descs = out;
    *n = count;
    return XS_OK;
}

char *xs_nn_spec_format(const xs_nn_layer_desc *d, int n, int n_in)
{
    size_t cap = 64 + (size_t)n * 80;
    char *s = malloc(cap);
    if (!s) return NULL;
    size_t len = (size_t)snprintf(s, cap, "input %d", n_in);
    static const char *acts[] = {"", " relu", " softmax"};
    for (int i = 0; i < n; i++) {
        char *p = s + len;
        size_t room = cap - len;
        switch (d[i].type) {
        case XS_NN_L_DENSE: len += (size_t)snprintf(p, room, "; dense %d%s", d[i].units, acts[d[i].act]); break;
        case XS_NN_L_CONV:
            len += (size_t)snprintf(p, room, "; conv %d %d %d%s", d[i].units, d[i].kernel, d[i].stride,
                                    acts[d[i].act]);
            break;
        case XS_NN_L_AVGPOOL:
        case XS_NN_L_MAXPOOL:
            len += (size_t)snprintf(p, room, "; %s %d %d", d[i].type == XS_NN_L_AVGPOOL ? "avgpool" : "maxpool",
                                    d[i].kernel, d[i].stride);
            break;
        case XS_NN_L_DROPOUT:
        case XS_NN_L_PEAKS: {
            char r[32]; /* the shortest decimal that reads back as the same float */
            for (int digits = 6; digits <= 9; digits++) {
                snprintf(r, sizeof r, "%.*g", digits, (double)d[i].rate);
                if (strtof(r, NULL) == d[i].rate) break;
            }
            len += (size_t)snprintf(p, room, "; %s %s", d[i].type == XS_NN_L_PEAKS ? "peaks" : "dropout", r);
            break;
        }
        case XS_NN_L_RELU: len += (size_t)snprintf(p, room, "; relu"); break;
        case XS_NN_L_SOFTMAX: len += (size_t)snprintf(p, room, "; softmax"); break;
        case XS_NN_L_FLATTEN: len += (size_t)snprintf(p, room, "; flatten"); break;
        case XS_NN_L_LOGQ:
            len += (size_t)snprintf(p, room, "; logq %d %.17g %.17g", d[i].units, d[i].start, d[i].step);
            break;
        case XS_NN_L_HIGHPASS: len += (size_t)snprintf(p, room, "; highpass %d", d[i].units); break;
        case XS_NN_L_AUTOCORR: len += (size_t)snprintf(p, room, "; autocorr %d", d[i].units); break;
        case XS_NN_L_SQRT: len += (size_t)snprintf(p, room, "; sqrt"); break;
        }
    }
    return s;
}
