/* Atomic form factors: the built-in Waasmaier-Kirfel table and pymatgen's coefficient file. */
#include "diffraction/ff_tables.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHARGES 8

typedef struct {
    int n_entries;
    int charge[MAX_CHARGES];
    xs_ff_coeffs coeffs[MAX_CHARGES];
} element_entry;

struct xs_formfactors {
    element_entry el[XS_MAX_Z + 1];
};

static xs_formfactors builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void add_entry(xs_formfactors *ff, int z, int charge, const xs_ff_coeffs *c)
{
    element_entry *e = &ff->el[z];
    if (z < 1 || z > XS_MAX_Z || e->n_entries == MAX_CHARGES) return;
    e->charge[e->n_entries] = charge;
    e->coeffs[e->n_entries] = *c;
    e->n_entries++;
}

static void init_builtin(void)
{
    for (int i = 0; i < xs_ff_wk_count; i++) {
        const xs_ff_wk_entry *w = &xs_ff_wk_table[i];
        xs_ff_coeffs c = {.n = 5, .mott = 0, .c = w->c};
        memcpy(c.a, w->a, sizeof c.a);
        memcpy(c.b, w->b, sizeof c.b);
        add_entry(&builtin, w->z, w->charge, &c);
    }
}

const xs_formfactors *xs_ff_builtin(void)
{
    pthread_once(&builtin_once, init_builtin);
    return &builtin;
}

const xs_ff_coeffs *xs_ff_lookup(const xs_formfactors *ff, int z, int charge)
{
    if (!ff) ff = xs_ff_builtin();
    if (z < 1 || z > XS_MAX_Z) return NULL;
    const element_entry *e = &ff->el[z];
    if (e->n_entries == 0) return NULL;
    /* Exact charge, else the listed charge nearest to it on the same side of zero, else the neutral atom
     * (an unlisted O3- scatters more like O2- than like O). */
    int best = -1, best_d = 1 << 20;
    for (int i = 0; i < e->n_entries; i++) {
        int q = e->charge[i];
        int d = abs(q - charge);
        if (q != 0 && (q > 0) != (charge > 0)) d += 100;
        if (q == 0) d = (charge == 0) ? 0 : 50;
        if (d < best_d) best_d = d, best = i;
    }
    return &e->coeffs[best];
}

double xs_ff_value(const xs_formfactors *ff, int z, int charge, double s)
{
    const xs_ff_coeffs *c = xs_ff_lookup(ff, z, charge);
    return c ? xs_ff_eval(c, s * s) : NAN;
}

int xs_ff_has(const xs_formfactors *ff, int z)
{
    if (!ff) ff = xs_ff_builtin();
    return z >= 1 && z <= XS_MAX_Z && ff->el[z].n_entries > 0;
}

void xs_ff_free(xs_formfactors *ff)
{
    if (ff && ff != &builtin) free(ff);
}

/* pymatgen's file is one JSON object: {"Sym": [[a1, b1], [a2, b2], [a3, b3], [a4, b4]], ...}. A small
 * dedicated scanner suffices and keeps the library free of a JSON dependency. */
xs_status xs_ff_load_pymatgen(const char *path, xs_formfactors **out, xs_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0 || size > (64L << 20)) {
        fclose(f);
        return xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "empty or oversized form-factor file");
    }
    char *text = malloc((size_t)size + 1);
    xs_formfactors *ff = calloc(1, sizeof *ff);
    if (!text || !ff) {
        fclose(f);
        free(text);
        free(ff);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    size_t got = fread(text, 1, (size_t)size, f);
    fclose(f);
    text[got] = 0;
    xs_status st = XS_OK;
    int n_elements = 0;
    const char *p = text;
    while ((p = strchr(p, '"'))) {
        const char *q = strchr(p + 1, '"');
        if (!q) break;
        char sym[8] = {0};
        size_t len = (size_t)(q - p - 1);
        if (len == 0 || len >= sizeof sym) {
            p = q + 1;
            continue;
        }
        memcpy(sym, p + 1, len);
        int line = 1;
        for (const char *c = text; c < p; c++) line += (*c == '\n');
        int z = 0;
        if (xs_element_parse(sym, &z, NULL, NULL)) {
            st = xs_error_set(err, XS_ERR_PARSE, path, line, 0, "'%s' is not an element symbol", sym);
            break;
        }
        /* pymatgen's file also lists deuterium ("D", same coefficients as H); it names an isotope, not
         * another element, so the element's own entry is kept. */
        int isotope = strcmp(xs_element_symbol(z), sym) != 0;
        const char *r = q + 1;
        while (*r && *r != '[') r++;
        xs_ff_coeffs c = {.mott = 1, .c = z};
        /* pairs until the closing bracket of this element */
        int depth = 0;
        double vals[16];
        int nv = 0;
        for (; *r; r++) {
            if (*r == '[') depth++;
            else if (*r == ']') {
                if (--depth == 0) break;
            } else if (*r == '-' || *r == '.' || isdigit((unsigned char)*r)) {
                char *end;
                double v = strtod(r, &end);
                if (nv < 16) vals[nv++] = v;
                r = end - 1;
            }
        }
        if (depth != 0 || nv % 2 || nv == 0 || nv > 10) {
            st = xs_error_set(err, XS_ERR_PARSE, path, line, 0, "coefficients of '%s' are not a list of [a, b] pairs", sym);
            break;
        }
        c.n = nv / 2;
        for (int i = 0; i < c.n; i++) c.a[i] = vals[2 * i], c.b[i] = vals[2 * i + 1];
        if (!isotope) {
            add_entry(ff, z, 0, &c);
            n_elements++;
        }
        p = r;
    }
    free(text);
    if (!st && n_elements == 0) st = xs_error_set(err, XS_ERR_PARSE, path, 1, 0, "no element coefficients found");
    if (st) {
        free(ff);
        return st;
    }
    *out = ff;
    return XS_OK;
}
