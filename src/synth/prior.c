/* Wyckoff-occupation prior: how often each multiset of occupied positions occurs, per space group. */
#include "synth/synth_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xs_synth_wyckoff_prior {
    xs_synth_prior_row *rows[231];
    size_t n[231], cap[231];
    unsigned char *pool; /* position indices of all rows */
    size_t pool_len, pool_cap;
};

void xs_synth_wyckoff_prior_free(xs_synth_wyckoff_prior *p)
{
    if (!p) return;
    for (int g = 0; g <= 230; g++) free(p->rows[g]);
    free(p->pool);
    free(p);
}

size_t xs_synth_wyckoff_prior_rows(const xs_synth_wyckoff_prior *p, int sg)
{
    return p && sg >= 1 && sg <= 230 ? p->n[sg] : 0;
}

size_t xs_synth_prior_get(const xs_synth_wyckoff_prior *p, int sg, const xs_synth_prior_row **rows)
{
    *rows = NULL;
    if (!p || sg < 1 || sg > 230) return 0;
    *rows = p->rows[sg];
    return p->n[sg];
}

xs_status xs_synth_wyckoff_prior_load(const char *path, xs_synth_wyckoff_prior **out, xs_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    xs_synth_wyckoff_prior *p = calloc(1, sizeof *p);
    if (!p) {
        fclose(f);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    char line[4096];
    int lineno = 0;
    xs_status st = XS_OK;
    /* rows keep offsets into the pool while it grows; pointers are fixed at the end */
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1 && strstr(line, "spg")) continue; /* header */
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '\n' || *s == '#') continue;
        char *end;
        long sg = strtol(s, &end, 10);
        if (end == s || *end != ',' || sg < 1 || sg > 230) {
            st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "expected 'spg,n_atoms,wps,count'");
            break;
        }
        s = end + 1;
        long n_atoms = strtol(s, &end, 10);
        if (end == s || *end != ',' || n_atoms < 1) {
            st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "bad n_atoms");
            break;
        }
        s = end + 1;
        const xs_synth_wyckoff_set *w;
        if ((st = xs_synth_wyckoff((int)sg, &w, err))) break;
        int n_pos = xs_synth_wyckoff_count(w);
        unsigned char idx[256];
        int n_sites = 0, atoms = 0;
        for (;;) {
            long i = strtol(s, &end, 10);
            if (end == s || i < 0 || i >= n_pos || n_sites == 256) {
                st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0,
                                  "position index '%.*s' not in 0..%d (space group %ld has %d positions)",
                                  (int)strcspn(s, "-,\n"), s, n_pos - 1, sg, n_pos);
                break;
            }
            idx[n_sites] = (unsigned char)(n_pos - 1 - i); /* index 0 = general position = last letter */
            atoms += xs_synth_wyckoff_get(w, idx[n_sites])->multiplicity;
            n_sites++;
            s = end;
            if (*s == '-') s++;
            else break;
        }
        if (st) break;
        if (atoms != n_atoms) { /* the multiplicities of the positions named must add up to the column */
            st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0,
                              "n_atoms %ld, but the positions named hold %d atoms in space group %ld", n_atoms, atoms, sg);
            break;
        }
        double count = 0;
        if (*s == ',') count = strtod(s + 1, &end);
        if (*s != ',' || end == s + 1 || !(count > 0)) {
            st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "bad count");
            break;
        }
        if (p->n[sg] == p->cap[sg]) {
            size_t cap = p->cap[sg] ? p->cap[sg] * 2 : 16;
            xs_synth_prior_row *r = realloc(p->rows[sg], cap * sizeof *r);
            if (!r) goto nomem;
            p->rows[sg] = r;
            p->cap[sg] = cap;
        }
        if (p->pool_len + (size_t)n_sites > p->pool_cap) {
            size_t cap = p->pool_cap ? p->pool_cap * 2 : 65536;
            while (cap < p->pool_len + (size_t)n_sites) cap *= 2;
            unsigned char *np = realloc(p->pool, cap);
            if (!np) goto nomem;
            p->pool = np;
            p->pool_cap = cap;
        }
        memcpy(p->pool + p->pool_len, idx, (size_t)n_sites);
        xs_synth_prior_row *r = &p->rows[sg][p->n[sg]++];
        r->n_atoms = atoms;
        r->n_sites = n_sites;
        r->pos = (const unsigned char *)(uintptr_t)p->pool_len; /* offset for now */
        r->count = count;
        p->pool_len += (size_t)n_sites;
    }
    fclose(f);
    if (st) {
        xs_synth_wyckoff_prior_free(p);
        return st;
    }
    for (int g = 1; g <= 230; g++)
        for (size_t i = 0; i < p->n[g]; i++) p->rows[g][i].pos = p->pool + (uintptr_t)p->rows[g][i].pos;
    *out = p;
    return XS_OK;
nomem:
    fclose(f);
    xs_synth_wyckoff_prior_free(p);
    return xs_error_set(err, XS_ERR_NOMEM, path, lineno, 0, "out of memory");
}
