/* VASP POSCAR reader. */
#include "xrdsym/xs_structure.h"
#include "common/files.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPECIES 64
#define MAX_LINE 4096

typedef struct {
    FILE *f;
    const char *path;
    int line;
    char buf[MAX_LINE];
} reader;

static int next_line(reader *r)
{
    if (!fgets(r->buf, sizeof r->buf, r->f)) return 0;
    r->line++;
    return 1;
}

/* Parse up to max doubles from text; returns the count read. */
static int parse_doubles(const char *text, double *v, int max, const char **rest)
{
    int n = 0;
    const char *p = text;
    while (n < max) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p) break;
        v[n++] = x;
        p = end;
    }
    if (rest) *rest = p;
    return n;
}

/* Species symbols from a text like "Mo S", "Li4Mn2O6 (C2/m)" or "(Li24,Li48)La24Ta16O96": the elements in
 * order of first appearance. Returns the count, 0 if any word is not made of element symbols. */
static int species_from_text(const char *text, int *z, int max)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        if (*p == '(' && n > 0) { /* a trailing "(C2/m)" after a formula is a space-group note */
            const char *q = p + 1;
            int has_slash_or_digit_first = isdigit((unsigned char)q[0]) || strchr("PCIFRA", *q);
            if (has_slash_or_digit_first && strchr(q, ')') && !strchr(q, ',')) break;
        }
        if (isupper((unsigned char)*p)) {
            char sym[3] = {p[0], 0, 0};
            if (islower((unsigned char)p[1])) sym[1] = p[1];
            int zz = xs_element_z(sym);
            if (!zz || (sym[1] && strlen(sym) == 2 && strcmp(xs_element_symbol(zz), sym))) return 0;
            p += sym[1] ? 2 : 1;
            int seen = 0;
            for (int i = 0; i < n; i++) seen |= (z[i] == zz);
            if (!seen) {
                if (n == max) return 0;
                z[n++] = zz;
            }
        } else if (isdigit((unsigned char)*p) || strchr(" \t\r\n,()[]+.", *p)) {
            p++;
        } else {
            return 0;
        }
    }
    return n;
}

xs_status xs_poscar_read_ex(const char *path, unsigned flags, xs_error *warning, xs_structure **out, xs_error *err)
{
    *out = NULL;
    if (warning) warning->code = XS_OK;
    reader r = {.path = path};
    xs_status st = xs_file_refuse_directory(path, "a structure file", err);
    if (st != XS_OK) return st;
    r.f = fopen(path, "r");
    if (!r.f) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    xs_site *sites = NULL;
    int *atom_line = NULL;
    char title[MAX_LINE] = "";
    double lat[3][3], scale[3] = {1, 1, 1};
    int species[MAX_SPECIES], n_species = 0, counts[MAX_SPECIES], n_counts = 0;
    size_t n_atoms = 0;

    if (!next_line(&r)) {
        st = xs_error_set(err, XS_ERR_PARSE, path, 1, 0, "empty file: no POSCAR title line");
        goto done;
    }
    snprintf(title, sizeof title, "%s", r.buf);
    title[strcspn(title, "\r\n")] = 0;

    if (!next_line(&r) || parse_doubles(r.buf, scale, 3, NULL) < 1) {
        st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "expected the scaling factor");
        goto done;
    }
    {
        int ns = parse_doubles(r.buf, scale, 3, NULL);
        if (ns == 1) scale[1] = scale[2] = scale[0];
        else if (ns != 3) {
            st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "scaling factor must be 1 or 3 numbers");
            goto done;
        }
        /* a zero (or, with three, a negative) factor leaves no cell: said here, not as the lattice's fault */
        for (int k = 0; k < ns; k++)
            if (!isfinite(scale[k]) || scale[k] == 0 || (ns == 3 && scale[k] < 0)) {
                st = xs_error_set(err, XS_ERR_INVALID, path, r.line, 0,
                                  "scaling factor %g: a cell needs factors above 0 (or one negative number, the volume)",
                                  scale[k]);
                goto done;
            }
    }
    for (int i = 0; i < 3; i++) {
        if (!next_line(&r) || parse_doubles(r.buf, lat[i], 3, NULL) != 3) {
            st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "expected lattice vector %d (three numbers)", i + 1);
            goto done;
        }
    }
    if (scale[0] < 0) { /* negative scale = target volume */
        double v = fabs(xs_lattice_volume(lat));
        if (!(v > 0)) {
            st = xs_error_set(err, XS_ERR_INVALID, path, 2, 0, "lattice vectors enclose no volume");
            goto done;
        }
        double f = cbrt(-scale[0] / v);
        scale[0] = scale[1] = scale[2] = f;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lat[i][j] *= scale[j];

    if (!next_line(&r)) {
        st = xs_error_set(err, XS_ERR_PARSE, path, r.line + 1, 0, "truncated: expected species or counts");
        goto done;
    }
    {
        const char *p = r.buf;
        while (isspace((unsigned char)*p)) p++;
        if (isalpha((unsigned char)*p)) { /* VASP 5 species line */
            char tmp[MAX_LINE];
            snprintf(tmp, sizeof tmp, "%s", r.buf);
            for (char *tok = strtok(tmp, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
                /* VASP 6 writes potential names like "Fe_pv" or "O/abc123": the element precedes '_' or '/'. */
                tok[strcspn(tok, "_/")] = 0;
                int z = xs_element_z(tok);
                if (!z || strlen(tok) > 2 || n_species == MAX_SPECIES) {
                    st = xs_error_set(err, XS_ERR_INVALID, path, r.line, 0, "'%s' is not a chemical element", tok);
                    goto done;
                }
                species[n_species++] = z;
            }
            if (!next_line(&r)) {
                st = xs_error_set(err, XS_ERR_PARSE, path, r.line + 1, 0, "truncated: expected atom counts");
                goto done;
            }
        }
    }
    {
        char *p = r.buf, *end;
        while (n_counts < MAX_SPECIES) {
            long c = strtol(p, &end, 10);
            if (end == p) break;
            if (c < 0 || c > 100000) {
                st = xs_error_set(err, XS_ERR_INVALID, path, r.line, 0, "absurd atom count %ld", c);
                goto done;
            }
            counts[n_counts++] = (int)c;
            n_atoms += (size_t)c;
            p = end;
        }
        if (n_counts == 0 || n_atoms == 0) {
            st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "expected atom counts per species");
            goto done;
        }
        if (n_species && n_species != n_counts) {
            st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "%d species named but %d counts given", n_species, n_counts);
            goto done;
        }
    }
    if (!next_line(&r)) {
        st = xs_error_set(err, XS_ERR_PARSE, path, r.line + 1, 0, "truncated: expected Direct or Cartesian");
        goto done;
    }
    {
        const char *p = r.buf;
        while (isspace((unsigned char)*p)) p++;
        if (*p == 'S' || *p == 's') { /* selective dynamics */
            if (!next_line(&r)) {
                st = xs_error_set(err, XS_ERR_PARSE, path, r.line + 1, 0, "truncated: expected Direct or Cartesian");
                goto done;
            }
            p = r.buf;
            while (isspace((unsigned char)*p)) p++;
        }
        int cartesian;
        if (*p == 'C' || *p == 'c' || *p == 'K' || *p == 'k') cartesian = 1;
        else if (*p == 'D' || *p == 'd') cartesian = 0;
        else {
            st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "expected 'Direct' or 'Cartesian'");
            goto done;
        }
        double inv[3][3];
        {
            double det = xs_lattice_volume(lat);
            if (!(fabs(det) > 1e-12) || !isfinite(det)) {
                st = xs_error_set(err, XS_ERR_INVALID, path, 3, 0, "lattice vectors enclose no volume");
                goto done;
            }
            /* inverse of the row-vector lattice: frac = cart * inv */
            inv[0][0] = (lat[1][1] * lat[2][2] - lat[1][2] * lat[2][1]) / det;
            inv[0][1] = (lat[0][2] * lat[2][1] - lat[0][1] * lat[2][2]) / det;
            inv[0][2] = (lat[0][1] * lat[1][2] - lat[0][2] * lat[1][1]) / det;
            inv[1][0] = (lat[1][2] * lat[2][0] - lat[1][0] * lat[2][2]) / det;
            inv[1][1] = (lat[0][0] * lat[2][2] - lat[0][2] * lat[2][0]) / det;
            inv[1][2] = (lat[0][2] * lat[1][0] - lat[0][0] * lat[1][2]) / det;
            inv[2][0] = (lat[1][0] * lat[2][1] - lat[1][1] * lat[2][0]) / det;
            inv[2][1] = (lat[0][1] * lat[2][0] - lat[0][0] * lat[2][1]) / det;
            inv[2][2] = (lat[0][0] * lat[1][1] - lat[0][1] * lat[1][0]) / det;
        }
        sites = calloc(n_atoms, sizeof *sites);
        atom_line = calloc(n_atoms, sizeof *atom_line);
        if (!sites || !atom_line) {
            st = xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
            goto done;
        }
        int comment_z[MAX_SPECIES];
        int comments_ok = 1;
        size_t a = 0;
        for (int sp = 0; sp < n_counts; sp++) {
            for (int k = 0; k < counts[sp]; k++, a++) {
                if (!next_line(&r)) {
                    st = xs_error_set(err, XS_ERR_PARSE, path, r.line + 1, 0, "truncated: expected %zu atom positions, found %zu",
                                      n_atoms, a);
                    goto done;
                }
                double v[3];
                const char *rest;
                if (parse_doubles(r.buf, v, 3, &rest) != 3 || !isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2])) {
                    st = xs_error_set(err, XS_ERR_PARSE, path, r.line, 0, "expected three finite coordinates");
                    goto done;
                }
                if (cartesian) {
                    for (int m = 0; m < 3; m++) v[m] *= scale[m];
                    double f[3];
                    for (int m = 0; m < 3; m++) f[m] = v[0] * inv[0][m] + v[1] * inv[1][m] + v[2] * inv[2][m];
                    memcpy(sites[a].frac, f, sizeof f);
                } else {
                    memcpy(sites[a].frac, v, sizeof v);
                }
                sites[a].occupancy = 1.0;
                atom_line[a] = r.line;
                /* VASP 4 files name the species in a trailing comment: "... # Ba1" or "... Ba". */
                /* Selective-dynamics flags (T/F) precede the comment; after a '#' an "F1" is fluorine. */
                const char *c = strchr(rest, '#');
                int commented = c != NULL;
                c = c ? c + 1 : rest;
                while (isspace((unsigned char)*c) || (!commented && (*c == 'T' || *c == 'F'))) {
                    if (*c == 'T' || *c == 'F') {
                        if (isalpha((unsigned char)c[1])) break;
                    }
                    c++;
                }
                int zc = 0;
                if (isalpha((unsigned char)*c) && !xs_element_parse(c, &zc, NULL, NULL)) {
                    if (k == 0) comment_z[sp] = zc;
                    else if (comment_z[sp] != zc) comments_ok = 0;
                } else {
                    comments_ok = 0;
                }
                snprintf(sites[a].label, sizeof sites[a].label, "%.*s", (int)strcspn(c, " \t\r\n"), c);
            }
        }
        if (!n_species && comments_ok) {
            for (int sp = 0; sp < n_counts; sp++) species[sp] = comment_z[sp];
            n_species = n_counts;
        }
        if (!n_species) {
            int z[MAX_SPECIES];
            int nz = species_from_text(title, z, MAX_SPECIES);
            if (nz == n_counts) {
                memcpy(species, z, sizeof(int) * (size_t)nz);
                n_species = nz;
            }
        }
        if (!n_species) {
            if (!(flags & XS_POSCAR_PLACEHOLDER_SPECIES)) {
                st = xs_error_set(err, XS_ERR_INVALID, path, 1, 0,
                                  "the file names no species (no VASP 5 species line, no '# X' comments, no formula in the title)");
                goto done;
            }
            for (int sp = 0; sp < n_counts; sp++) species[sp] = sp + 1;
            n_species = n_counts;
        }
        a = 0;
        for (int sp = 0; sp < n_counts; sp++)
            for (int k = 0; k < counts[sp]; k++, a++) {
                sites[a].z = species[sp];
                if (!sites[a].label[0] || !comments_ok)
                    snprintf(sites[a].label, sizeof sites[a].label, "%s%d", xs_element_symbol(species[sp]), k + 1);
            }
    }
    st = xs_structure_create(lat, n_atoms, sites, out, err);
    if (st) {
        if (err) snprintf(err->file, sizeof err->file, "%s", path);
        goto done;
    }
    {
        const char *base = strrchr(path, '/');
        xs_structure_set_name(*out, base ? base + 1 : path, path);
    }
    size_t i, j;
    double distance;
    size_t pairs = warning ? xs_structure_clashes(*out, &i, &j, &distance) : 0;
    const xs_site *read = xs_structure_sites(*out);
    if (pairs)
        xs_error_set(warning, XS_ERR_INVALID, path, atom_line[j], 0,
                     "atoms %zu (%s, line %d) and %zu (%s) are %.3g A apart, and %zu pair%s of atoms in all closer than "
                     "%g A (%g A with hydrogen): both cannot be there; Cartesian coordinates read as fractional, or "
                     "the alternative sites of a disordered structure?",
                     i + 1, xs_element_symbol(read[i].z), atom_line[i], j + 1, xs_element_symbol(read[j].z), distance,
                     pairs, pairs == 1 ? "" : "s", XS_CLASH_DISTANCE, XS_CLASH_DISTANCE_H);
done:
    free(sites);
    free(atom_line);
    fclose(r.f);
    return st;
}

xs_status xs_poscar_read(const char *path, unsigned flags, xs_structure **out, xs_error *err)
{
    return xs_poscar_read_ex(path, flags, NULL, out, err);
}
