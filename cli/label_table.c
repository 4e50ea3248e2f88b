/* A table of labels for pattern files that carry none (evaluate --labels): a header line, then one pattern a
 * line, comma-, tab- or semicolon-separated. The first column names the pattern; the columns headed
 * "space group" (a number or a symbol), "crystal system" and "wavelength" (angstrom) give what is known of
 * it. A table of crystal systems alone, as the SSRL synchrotron set's, makes a crystal-system evaluation. */
#include "cli.h"
#include "label_table.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { COL_NAME, COL_GROUP, COL_SYSTEM, COL_WAVELENGTH, COL_OTHER };

/* Header words compared without case, blanks, '_' or '-': "Crystal System", "space_group", "SG". */
static int column_kind(const char *h)
{
    char k[64];
    size_t n = 0;
    for (; *h && n + 1 < sizeof k; h++)
        if (isalnum((unsigned char)*h)) k[n++] = (char)tolower((unsigned char)*h);
    k[n] = 0;
    static const char *const group[] = {"spacegroup", "spacegroupnumber", "spacegroupsymbol", "sg", "spgr"};
    static const char *const system[] = {"crystalsystem", "system"};
    static const char *const wl[] = {"wavelength", "wavelengtha", "wavelengthangstrom", "lambda"};
    for (size_t i = 0; i < sizeof group / sizeof *group; i++)
        if (!strcmp(k, group[i])) return COL_GROUP;
    for (size_t i = 0; i < sizeof system / sizeof *system; i++)
        if (!strcmp(k, system[i])) return COL_SYSTEM;
    for (size_t i = 0; i < sizeof wl / sizeof *wl; i++)
        if (!strcmp(k, wl[i])) return COL_WAVELENGTH;
    return COL_OTHER;
}

/* Split line at sep into at most max fields, trimmed, in place. A field in double quotes may hold the
 * separator, and "" for a quote (RFC 4180, as spreadsheets write CSV). */
static int split_fields(char *line, char sep, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        while (*p == ' ' || (*p == '\t' && sep != '\t')) p++;
        char *field = p, *w = p, *end;
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] == '"') *w++ = *p++;
                else if (*p == '"') break;
                else *w++ = *p;
            }
            if (*p == '"') p++;
            end = strchr(p, sep);
            *w = 0;
        } else {
            end = strchr(p, sep);
            if (end) *end = 0;
            size_t l = strlen(field);
            while (l && isspace((unsigned char)field[l - 1])) field[--l] = 0;
        }
        f[n++] = field;
        if (!end) break;
        p = end + 1;
    }
    return n;
}

static int parse_system(const char *s)
{
    for (int k = 0; k < XS_CRYSTAL_SYSTEM_COUNT; k++)
        if (!strcasecmp(s, xs_crystal_system_name((xs_crystal_system)k))) return k;
    return -1;
}


void xs_cli_label_table_free(xs_cli_label_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) free(t->rows[i].name);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

xs_status xs_cli_label_table_read(const char *path, xs_cli_label_table *t, xs_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open the label table");
    enum { MAXF = 64 };
    char *line = NULL, *fields[MAXF];
    size_t cap = 0;
    int kinds[MAXF], ncol = 0, lineno = 0;
    char sep = ',';
    xs_status st = XS_OK;
    while (st == XS_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
            s += 3; /* UTF-8 byte order mark, as spreadsheets write it */
        s[strcspn(s, "\r\n")] = 0;
        const char *t0 = s;
        while (isspace((unsigned char)*t0)) t0++;
        if (!*t0 || *t0 == '#') continue;
        if (!ncol) {
            sep = strchr(s, '\t') ? '\t' : strchr(s, ',') ? ',' : ';';
            ncol = split_fields(s, sep, fields, MAXF);
            for (int c = 0; c < ncol; c++) {
                kinds[c] = c == 0 ? COL_NAME : column_kind(fields[c]);
                t->has_group |= kinds[c] == COL_GROUP;
                t->has_system |= kinds[c] == COL_SYSTEM;
            }
            if (!t->has_group && !t->has_system)
                st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0,
                                  "the header names no 'space group' or 'crystal system' column");
            continue;
        }
        int nf = split_fields(s, sep, fields, MAXF);
        if (!fields[0][0]) {
            st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "no pattern name in the first column");
            break;
        }
        xs_cli_label_row row = {NULL, 0, -1, 0};
        for (int c = 1; c < nf && c < ncol && st == XS_OK; c++) {
            const char *v = fields[c];
            if (!*v || !strcmp(v, "?")) continue;
            if (kinds[c] == COL_GROUP && !(row.group = xs_sym_number_from_text(v)))
                st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "'%s' is not a space group (1..230 or a symbol)", v);
            else if (kinds[c] == COL_SYSTEM && (row.system = parse_system(v)) < 0)
                st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0,
                                  "'%s' is not a crystal system (triclinic, monoclinic, orthorhombic, tetragonal, "
                                  "trigonal, hexagonal, cubic)", v);
            else if (kinds[c] == COL_WAVELENGTH) {
                char *end;
                row.wavelength = strtod(v, &end);
                if (end == v || *end || !(row.wavelength >= 0.1 && row.wavelength <= 3))
                    st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "wavelength '%s' is not 0.1..3 angstrom", v);
            }
        }
        if (st != XS_OK) break;
        for (size_t i = 0; i < t->n; i++)
            if (!strcmp(t->rows[i].name, fields[0])) {
                st = xs_error_set(err, XS_ERR_PARSE, path, lineno, 0, "'%s' is named twice", fields[0]);
                break;
            }
        if (st != XS_OK) break;
        xs_cli_label_row *rows = realloc(t->rows, (t->n + 1) * sizeof *rows);
        if (!rows || !(row.name = strdup(fields[0]))) {
            if (rows) t->rows = rows;
            st = xs_error_set(err, XS_ERR_NOMEM, path, lineno, 0, "out of memory");
            break;
        }
        t->rows = rows;
        t->rows[t->n++] = row;
    }
    free(line);
    fclose(f);
    if (st == XS_OK && !t->n) st = xs_error_set(err, XS_ERR_NOT_FOUND, path, lineno, 0, "no labelled pattern in the table");
    if (st != XS_OK) xs_cli_label_table_free(t);
    return st;
}

/* The row of a pattern named "dir/file.ext[.gz][#id]": its id, its file name, or that name without its
 * extension. */
const xs_cli_label_row *xs_cli_label_table_find(const xs_cli_label_table *t, const char *pattern_name)
{
    const char *base = xs_cli_base_name(pattern_name);
    char file[512];
    snprintf(file, sizeof file, "%s", base);
    char *hash = strchr(file, '#');
    const char *id = NULL;
    if (hash) {
        *hash = 0;
        id = hash + 1;
    }
    size_t l = strlen(file);
    if (l > 3 && !strcmp(file + l - 3, ".gz")) file[l - 3] = 0;
    char stem[512];
    snprintf(stem, sizeof stem, "%s", file);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    for (size_t i = 0; i < t->n; i++)
        if ((id && !strcmp(t->rows[i].name, id)) || !strcmp(t->rows[i].name, file) || !strcmp(t->rows[i].name, stem))
            return &t->rows[i];
    return NULL;
}
