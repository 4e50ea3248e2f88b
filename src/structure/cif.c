/* CIF reading through libcif (the CIF API), driven through its handler callbacks: each block's items and
 * loops are collected as text as the parser reports them, and the structure is built when the block ends.
 * (A NULL target CIF would be faster, but libcif 0.4.2 then reports no items outside loops: no cell.) */
#include "xrdsym/xs_cif.h"
#include "xrdsym/xs_symmetry.h"
#include "symmetry/symbols.h"
#include "structure/cif_internal.h"
#include "xrdsym/xs_pattern.h"
#include "common/files.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cif.h>
#include <cif_error.h>

/* ---- collected text of one block ---- */

typedef struct {
    char *name;  /* lower case */
    char *value; /* "?" unknown, "." not applicable */
    int line;
} cif_item;

typedef struct {
    size_t n_names, cap_names;
    char **names;
    size_t n_values, cap_values; /* row-major: value (row, col) at row * n_names + col */
    char **values;
    int *lines;
    int line;
} cif_loop;

/* pdCIF: what one block says of the links between a profile, its wavelength and its phases. */
typedef struct {
    char *block_id;     /* _pd_block_id */
    char **links;       /* the blocks it names: _pd_block_diffractogram_id, _pd_phase_block_id */
    size_t n_links, cap_links;
    int has_atoms;      /* it holds atom sites: a phase */
    double wavelength;  /* stated in this block; 0 none */
    int group;          /* space group declared for the block's atom sites; 0 none */
    int pattern;        /* index of its profile in the reader's patterns; -1 none */
    int calculated;     /* its profile is a calculated one only */
} pd_block;

typedef struct {
    xs_cif_warning_kind kind;
    xs_error error;
} block_note;

typedef struct {
    const char *path;
    char code[128];
    int block_line;
    size_t n_items, cap_items;
    cif_item *items;
    size_t n_loops, cap_loops;
    cif_loop *loops;
    cif_loop *open_loop; /* set between loop start and end */
    size_t line;         /* current line, followed through the whitespace the parser reports */
    size_t dataname_line;
    int depth;           /* 0 outside blocks, 1 in a block, 2+ in save frames */
    /* results */
    xs_structure **list;
    size_t n_list, cap_list;
    int structure_blocks; /* blocks with atom sites */
    xs_error *left_out;   /* every block that failed to build: the first is the error of a read that gives nothing,
                           * all are xs_cif_read_ex's warnings in a read that gives something */
    size_t n_left_out, cap_left_out;
    int want_powder;      /* collect powder patterns (pdCIF) instead of structures */
    xs_pattern **patterns;
    size_t n_patterns, cap_patterns;
    pd_block *pd;         /* what every block says that links a profile to its wavelength and phases */
    size_t n_pd, cap_pd;
    block_note *site_notes; /* blocks read with sites that cannot all be there (the first such of each) */
    size_t n_site_notes, cap_site_notes;
    xs_error parse_error; /* first syntax error that damages data */
    int have_parse_error;
    int nomem;
} cif_reader;

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* UTF-16 to ASCII: the items read here are numbers, symbols and element names; the one non-ASCII character
 * that matters is the minus sign U+2212, seen in H-M symbols and coordinates. */
static char *ascii_of(const UChar *u, int lower)
{
    size_t n = 0;
    if (u)
        while (u[n]) n++;
    char *s = malloc(n + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) {
        UChar c = u[i];
        char a = c < 128 ? (char)c : (c == 0x2212 || c == 0x2013) ? '-' : '~';
        s[i] = lower ? (char)tolower((unsigned char)a) : a;
    }
    s[n] = 0;
    return s;
}

static char *value_text(cif_value_tp *value)
{
    if (!value) return dup_text("?");
    cif_kind_tp kind = cif_value_kind(value);
    if (kind == CIF_UNK_KIND) return dup_text("?");
    if (kind == CIF_NA_KIND) return dup_text(".");
    if (kind == CIF_LIST_KIND || kind == CIF_TABLE_KIND) return dup_text("?");
    UChar *text = NULL;
    if (cif_value_get_text(value, &text) != CIF_OK || !text) {
        free(text);
        return dup_text("?");
    }
    char *s = ascii_of(text, 0);
    free(text);
    return s;
}

static void block_clear(cif_reader *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].name);
        free(r->items[i].value);
    }
    for (size_t i = 0; i < r->n_loops; i++) {
        cif_loop *l = &r->loops[i];
        for (size_t k = 0; k < l->n_names; k++) free(l->names[k]);
        for (size_t k = 0; k < l->n_values; k++) free(l->values[k]);
        free(l->names);
        free(l->values);
        free(l->lines);
    }
    r->n_items = 0;
    r->n_loops = 0;
    r->open_loop = NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

/* ---- lookups in a block ---- */

static const cif_item *find_item(const cif_reader *r, const char *name)
{
    for (size_t i = 0; i < r->n_items; i++)
        if (!strcmp(r->items[i].name, name)) return &r->items[i];
    return NULL;
}

static const cif_loop *find_loop(const cif_reader *r, const char *name, int *col)
{
    for (size_t i = 0; i < r->n_loops; i++)
        for (size_t k = 0; k < r->loops[i].n_names; k++)
            if (!strcmp(r->loops[i].names[k], name)) {
                *col = (int)k;
                return &r->loops[i];
            }
    return NULL;
}

static int loop_col(const cif_loop *l, const char *name)
{
    for (size_t k = 0; k < l->n_names; k++)
        if (!strcmp(l->names[k], name)) return (int)k;
    return -1;
}

static size_t loop_rows(const cif_loop *l) { return l->n_names ? l->n_values / l->n_names : 0; }

static const char *loop_value(const cif_loop *l, size_t row, int col)
{
    if (col < 0) return NULL;
    return l->values[row * l->n_names + (size_t)col];
}

static int loop_line(const cif_loop *l, size_t row, int col)
{
    return l->lines[row * l->n_names + (size_t)(col < 0 ? 0 : col)];
}

static int is_missing(const char *v) { return !v || !strcmp(v, "?") || !strcmp(v, "."); }

/* A CIF number: "5.431", "5.431(2)", "-.5", "1e-3"; the uncertainty in parentheses is dropped. */
static int parse_number(const char *text, double *out)
{
    if (is_missing(text)) return 0;
    char buf[64];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof buf; p++) {
        if (*p == '(') break;
        buf[n++] = *p;
    }
    buf[n] = 0;
    char *end;
    double v = strtod(buf, &end);
    if (end == buf) return 0;
    while (*end == ' ') end++;
    if (*end) return 0;
    if (!isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* ---- symmetry operations "x,-y+1/2,z" ---- */

static int parse_fraction(const char **pp, double *v)
{
    const char *p = *pp;
    char *end;
    double num = strtod(p, &end);
    if (end == p) return 0;
    p = end;
    while (*p == ' ') p++;
    if (*p == '/') {
        p++;
        while (*p == ' ') p++;
        double den = strtod(p, &end);
        if (end == p || den == 0) return 0;
        num /= den;
        p = end;
    }
    *pp = p;
    *v = num;
    return 1;
}

/* One row of an operation: a sum of terms +-x, +-y, +-z (optionally with integer factors "2x") and
 * +-constants. Returns 0 on any other text. */
static int parse_op_row(const char *s, const char *end, int rot[3], double *trans)
{
    rot[0] = rot[1] = rot[2] = 0;
    *trans = 0;
    const char *p = s;
    int terms = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (p >= end) break;
        int sign = 1;
        if (*p == '+' || *p == '-') {
            if (*p == '-') sign = -1;
            p++;
            while (p < end && *p == ' ') p++;
        } else if (terms > 0) {
            return 0;
        }
        if (p >= end) return 0;
        char c = (char)tolower((unsigned char)*p);
        if (c == 'x' || c == 'y' || c == 'z') {
            rot[c - 'x'] += sign;
            p++;
        } else if (isdigit((unsigned char)c) || c == '.') {
            double v;
            const char *q = p;
            if (!parse_fraction(&q, &v) || q > end) return 0;
            p = q;
            while (p < end && *p == ' ') p++;
            char d = p < end ? (char)tolower((unsigned char)*p) : 0;
            /* a rotation's coefficient is -1, 0 or 1 in a lattice basis, 2 in some hexagonal ones: anything past 6 is
             * not an operation, and past an int's range (fuzzed: "4.4e119x") converting it would be undefined */
            if (d == 'x' || d == 'y' || d == 'z') { /* "2x" */
                if (v != floor(v) || v > 6) return 0;
                rot[d - 'x'] += sign * (int)v;
                p++;
            } else if (d == '*' && p + 1 < end) {
                char e = (char)tolower((unsigned char)p[1]);
                if ((e != 'x' && e != 'y' && e != 'z') || v != floor(v) || v > 6) return 0;
                rot[e - 'x'] += sign * (int)v;
                p += 2;
            } else {
                *trans += sign * v;
            }
        } else {
            return 0;
        }
        terms++;
    }
    return terms > 0;
}

static int parse_operation(const char *text, int rot[3][3], double trans[3])
{
    const char *p = text;
    while (*p == ' ' || *p == '\'' || *p == '"') p++;
    const char *stop = p + strlen(p);
    while (stop > p && (stop[-1] == ' ' || stop[-1] == '\'' || stop[-1] == '"')) stop--;
    for (int r = 0; r < 3; r++) {
        const char *comma = p;
        while (comma < stop && *comma != ',') comma++;
        if (r < 2 && comma >= stop) return 0;
        if (r == 2 && comma != stop) return 0;
        if (!parse_op_row(p, comma, rot[r], &trans[r])) return 0;
        trans[r] -= floor(trans[r]);
        p = comma + 1;
    }
    return 1;
}

/* ---- building a structure from the block ---- */

typedef struct {
    int n, cap;
    int (*rot)[3][3];
    double (*trans)[3];
} op_list;

static int op_add(op_list *ops, const int rot[3][3], const double trans[3])
{
    if (ops->n == ops->cap) {
        int cap = ops->cap ? ops->cap * 2 : 64;
        void *a = realloc(ops->rot, (size_t)cap * sizeof *ops->rot);
        if (!a) return 0;
        ops->rot = a;
        void *b = realloc(ops->trans, (size_t)cap * sizeof *ops->trans);
        if (!b) return 0;
        ops->trans = b;
        ops->cap = cap;
    }
    memcpy(ops->rot[ops->n], rot, sizeof ops->rot[0]);
    memcpy(ops->trans[ops->n], trans, sizeof ops->trans[0]);
    ops->n++;
    return 1;
}

static const char *const symop_names[] = {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz",
                                          "_space_group_symop.operation_xyz", "_symmetry_equiv.pos_as_xyz"};
static const char *const hall_names[] = {"_space_group_name_hall", "_symmetry_space_group_name_hall",
                                         "_space_group.name_hall"};
static const char *const hm_names[] = {"_space_group_name_h-m_alt", "_symmetry_space_group_name_h-m",
                                       "_space_group.name_h-m_alt", "_space_group_name_h-m_ref",
                                       "_space_group_name_h-m_full"};
static const char *const number_names[] = {"_space_group_it_number", "_symmetry_int_tables_number",
                                           "_space_group.it_number"};

static const cif_item *find_item_any(const cif_reader *r, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cif_item *it = find_item(r, names[i]);
        if (it && !is_missing(it->value)) return it;
    }
    return NULL;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Operations listed in the block: 1 found (ops filled), 0 none listed, -1 error (err set). */
static int listed_operations(const cif_reader *r, op_list *ops, xs_error *err)
{
    for (size_t i = 0; i < COUNT(symop_names); i++) {
        int col;
        const cif_loop *l = find_loop(r, symop_names[i], &col);
        if (l) {
            for (size_t row = 0; row < loop_rows(l); row++) {
                const char *v = loop_value(l, row, col);
                int rot[3][3];
                double tr[3];
                if (is_missing(v)) continue;
                if (!parse_operation(v, rot, tr)) {
                    xs_error_set(err, XS_ERR_PARSE, r->path, loop_line(l, row, col), 0,
                                 "block '%s': symmetry operation '%s' cannot be read", r->code, v);
                    return -1;
                }
                if (!op_add(ops, rot, tr)) {
                    xs_error_set(err, XS_ERR_NOMEM, r->path, 0, 0, "out of memory");
                    return -1;
                }
            }
            if (ops->n) return 1;
        }
        const cif_item *it = find_item(r, symop_names[i]);
        if (it && !is_missing(it->value)) {
            int rot[3][3];
            double tr[3];
            if (!parse_operation(it->value, rot, tr)) {
                xs_error_set(err, XS_ERR_PARSE, r->path, it->line, 0,
                             "block '%s': symmetry operation '%s' cannot be read", r->code, it->value);
                return -1;
            }
            op_add(ops, rot, tr);
            return ops->n ? 1 : -1;
        }
    }
    return 0;
}

/* The Hall number a rhombohedral-axes setting has its Hall symbol written with "3*" (spglib's database). */
static int hall_is_rhombohedral_axes(int hall)
{
    xs_spacegroup sg;
    if (xs_sym_from_hall(hall, &sg, NULL) != XS_OK) return 0;
    return strstr(sg.hall_symbol, "3*") != NULL;
}

static size_t expanded_count(const xs_structure *asym, int hall)
{
    int rot[192][3][3];
    double tr[192][3];
    int n = xs_sym_operations(hall, rot, tr, 192);
    xs_structure *full = NULL;
    if (n <= 0 || xs_structure_expand(asym, (size_t)n, (const int (*)[3][3])rot, (const double (*)[3])tr,
                                      XS_CIF_MERGE_TOL, &full, NULL) != XS_OK)
        return (size_t)-1;
    size_t count = xs_structure_num_sites(full);
    xs_structure_free(full);
    return count;
}

/* Hall number from the symbols of the block when it lists no operations: 0 = no symmetry information,
 * -1 = error (err set). Among settings the symbol leaves open, the one under which the atoms expand to the
 * fewest sites. */
static int hall_from_symbols(const cif_reader *r, const xs_structure *asym, int rhombohedral_cell, xs_error *err)
{
    const cif_item *it = find_item_any(r, hall_names, COUNT(hall_names));
    if (it) {
        int hall = xs_sym_hall_from_symbol(it->value);
        if (hall > 0) return hall;
    }
    const cif_item *hm = find_item_any(r, hm_names, COUNT(hm_names));
    if (hm) {
        int cand[16];
        int n = xs_sym_hall_alternatives(hm->value, cand, 16);
        if (n > 16) n = 16;
        int best = 0, first = 0;
        size_t best_count = (size_t)-1;
        for (int i = 0; i < n; i++) {
            int rh = hall_is_rhombohedral_axes(cand[i]);
            if (rh != rhombohedral_cell) {
                /* R groups come in both axes; other groups have no "3*" setting at all. */
                int other_axes_exists = 0;
                for (int j = 0; j < n; j++) other_axes_exists |= hall_is_rhombohedral_axes(cand[j]) == rhombohedral_cell;
                if (other_axes_exists) continue;
            }
            if (!first) first = cand[i];
            size_t c = n == 1 ? 0 : expanded_count(asym, cand[i]);
            if (c < best_count) {
                best_count = c;
                best = cand[i];
            }
        }
        if (best) return best;
        /* a known symbol under which no setting expands (too many sites for the cell): the first setting, whose
         * expansion then says why, rather than "not known" */
        if (first) return first;
        if (!it) {
            xs_error_set(err, XS_ERR_SYMMETRY, r->path, hm->line, 0,
                         "block '%s': space-group symbol '%s' is not known", r->code, hm->value);
            return -1;
        }
    }
    if (it) {
        xs_error_set(err, XS_ERR_SYMMETRY, r->path, it->line, 0, "block '%s': Hall symbol '%s' is not known",
                     r->code, it->value);
        return -1;
    }
    const cif_item *num = find_item_any(r, number_names, COUNT(number_names));
    if (num) {
        double v;
        if (!parse_number(num->value, &v) || v != floor(v) || v < 1 || v > 230) {
            xs_error_set(err, XS_ERR_SYMMETRY, r->path, num->line, 0,
                         "block '%s': space-group number '%s' is not 1..230", r->code, num->value);
            return -1;
        }
        int number = (int)v;
        int hall = xs_sym_default_hall(number);
        if (number >= 146 && number <= 167 && rhombohedral_cell) {
            int cand[4];
            int n = xs_sym_hall_alternatives(xs_sym_symbol(number), cand, 4);
            for (int i = 0; i < n && i < 4; i++)
                if (hall_is_rhombohedral_axes(cand[i])) hall = cand[i];
        }
        return hall;
    }
    return 0;
}

static int is_dummy_symbol(const char *s)
{
    static const char *const dummies[] = {"q", "du", "dum", "lp", "cg", "cnt", "cen", "x"};
    char low[8];
    size_t n = 0;
    while (s[n] && isalpha((unsigned char)s[n]) && n + 1 < sizeof low) {
        low[n] = (char)tolower((unsigned char)s[n]);
        n++;
    }
    low[n] = 0;
    for (size_t i = 0; i < COUNT(dummies); i++)
        if (!strcmp(low, dummies[i])) return 1;
    return 0;
}

/* Equivalent isotropic B (A^2) of an anisotropic U (or B) tensor: Ueq = 1/3 sum_ij U^ij a*_i a*_j a_i.a_j. */
static double b_equivalent(const double lattice[3][3], const double u[6], int is_b)
{
    double g[3][3], recip_len[3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            g[i][j] = lattice[i][0] * lattice[j][0] + lattice[i][1] * lattice[j][1] + lattice[i][2] * lattice[j][2];
    /* reciprocal lengths from the inverse metric */
    double det = g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1]) - g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0]) +
                 g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]);
    double inv00 = (g[1][1] * g[2][2] - g[1][2] * g[2][1]) / det;
    double inv11 = (g[0][0] * g[2][2] - g[0][2] * g[2][0]) / det;
    double inv22 = (g[0][0] * g[1][1] - g[0][1] * g[1][0]) / det;
    recip_len[0] = sqrt(inv00);
    recip_len[1] = sqrt(inv11);
    recip_len[2] = sqrt(inv22);
    const double U[3][3] = {{u[0], u[3], u[4]}, {u[3], u[1], u[5]}, {u[4], u[5], u[2]}};
    double sum = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) sum += U[i][j] * recip_len[i] * recip_len[j] * g[i][j];
    double ueq = sum / 3;
    return is_b ? ueq : 8 * M_PI * M_PI * ueq;
}

/* Anisotropic tensor of a site from the _atom_site_aniso_ loop, by label: 1 U, 2 B, 0 none. */
static int aniso_of(const cif_reader *r, const char *label, double u[6])
{
    static const char *const u_names[6] = {"_atom_site_aniso_u_11", "_atom_site_aniso_u_22", "_atom_site_aniso_u_33",
                                           "_atom_site_aniso_u_12", "_atom_site_aniso_u_13", "_atom_site_aniso_u_23"};
    static const char *const b_names[6] = {"_atom_site_aniso_b_11", "_atom_site_aniso_b_22", "_atom_site_aniso_b_33",
                                           "_atom_site_aniso_b_12", "_atom_site_aniso_b_13", "_atom_site_aniso_b_23"};
    if (!label) return 0;
    for (int kind = 1; kind <= 2; kind++) {
        const char *const *names = kind == 1 ? u_names : b_names;
        int c0;
        const cif_loop *l = find_loop(r, names[0], &c0);
        if (!l) continue;
        int lc = loop_col(l, "_atom_site_aniso_label");
        if (lc < 0) continue;
        int cols[6];
        for (int k = 0; k < 6; k++) cols[k] = loop_col(l, names[k]);
        for (size_t row = 0; row < loop_rows(l); row++) {
            if (strcmp(loop_value(l, row, lc), label)) continue;
            for (int k = 0; k < 6; k++) {
                u[k] = 0;
                if (cols[k] >= 0 && !parse_number(loop_value(l, row, cols[k]), &u[k]) && k < 3) return 0;
            }
            return kind;
        }
    }
    return 0;
}

/* The space-group number a block declares: its IT number, else the group of `hall` (> 0) or of its Hall
 * symbol, else of its H-M symbol; 0 when none is known. */
static int declared_group(const cif_reader *r, int hall)
{
    const cif_item *num = find_item_any(r, number_names, COUNT(number_names));
    double v = 0;
    if (num && parse_number(num->value, &v) && v >= 1 && v <= 230 && v == floor(v)) return (int)v;
    const cif_item *hs = find_item_any(r, hall_names, COUNT(hall_names));
    if (hall <= 0 && hs) hall = xs_sym_hall_from_symbol(hs->value);
    const cif_item *hm = find_item_any(r, hm_names, COUNT(hm_names));
    if (hall <= 0 && hm) hall = xs_sym_hall_from_symbol(hm->value);
    xs_spacegroup sg;
    return hall > 0 && xs_sym_from_hall(hall, &sg, NULL) == XS_OK ? sg.number : 0;
}

/* The cell parameter to blame when the cell is refused, so that the error names its line: the first length
 * that is not positive, else the first angle outside (0, 180), else the angle farthest from 90 degrees for
 * angles that enclose no volume, else the longest length for a cell too large and the shortest for one too
 * small. */
static int cell_culprit(const double cell[6])
{
    for (int i = 0; i < 3; i++)
        if (!(cell[i] > 0) || !isfinite(cell[i])) return i;
    for (int i = 3; i < 6; i++)
        if (!(cell[i] > 0 && cell[i] < 180)) return i;
    double c[3];
    for (int i = 0; i < 3; i++) c[i] = cos(cell[3 + i] * M_PI / 180);
    if (1 - c[0] * c[0] - c[1] * c[1] - c[2] * c[2] + 2 * c[0] * c[1] * c[2] < 1e-6) {
        int widest = 0; /* the angles enclose (almost) no volume: the one farthest from 90 degrees */
        for (int i = 1; i < 3; i++)
            if (fabs(cell[3 + i] - 90) > fabs(cell[3 + widest] - 90)) widest = i;
        return 3 + widest;
    }
    int longest = 0, shortest = 0;
    for (int i = 1; i < 3; i++) {
        if (cell[i] > cell[longest]) longest = i;
        if (cell[i] < cell[shortest]) shortest = i;
    }
    return cell[0] * cell[1] * cell[2] > 1e7 ? longest : shortest;
}

/* How far a symmetry operation's rotation R (on fractional coordinates) is from an isometry of the lattice (rows
 * a, b, c): the largest element of R^T G R - G, G the metric tensor, relative to the longest axis squared. 0 for
 * an operation of the cell's own lattice. */
static double metric_misfit(const double (*l)[3], const int (*rot)[3])
{
    double g[3][3], scale = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) g[i][j] = l[i][0] * l[j][0] + l[i][1] * l[j][1] + l[i][2] * l[j][2];
    for (int i = 0; i < 3; i++) scale = g[i][i] > scale ? g[i][i] : scale;
    double worst = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double m = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) m += rot[a][i] * g[a][b] * rot[b][j];
            double d = fabs(m - g[i][j]) / scale;
            if (d > worst) worst = d;
        }
    return worst;
}

/* An operation as the CIF writes it: "-y,x-y,z+1/3". */
static void format_operation(const int (*rot)[3], const double *trans, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int row = 0; row < 3 && used < size; row++) {
        int first = 1;
        for (int col = 0; col < 3; col++) {
            int v = rot[row][col];
            if (!v) continue;
            used += (size_t)snprintf(buf + used, size - used, "%s%s%c", v < 0 ? "-" : first ? "" : "+",
                                     abs(v) > 1 ? (abs(v) == 2 ? "2" : "3") : "", "xyz"[col]);
            first = 0;
            if (used >= size) return;
        }
        double t = trans[row] - floor(trans[row]);
        int twelfths = (int)lround(t * 12);
        if (twelfths % 12 != 0 && fabs(t * 12 - twelfths) < 1e-3) {
            int g = twelfths, d = 12;
            for (int k = 2; k <= 3; k++)
                while (g % k == 0 && d % k == 0) g /= k, d /= k;
            used += (size_t)snprintf(buf + used, size - used, "+%d/%d", g, d);
        } else if (fabs(t) > 1e-9 && fabs(t - 1) > 1e-9) {
            used += (size_t)snprintf(buf + used, size - used, "+%.4g", t);
        }
        if (first && used < size) used += (size_t)snprintf(buf + used, size - used, "0");
        if (row < 2 && used < size) used += (size_t)snprintf(buf + used, size - used, ",");
    }
}

/* The first place where listed sites of different elements sit together (within XS_CIF_MERGE_TOL) with
 * occupancies adding to more than XS_CIF_OVERFULL: a mixed site written without its occupancies, where every
 * element would scatter in full. Said in *note (code XS_ERR_INVALID), not refused: the peak positions are right. */
static int overfull_site(const cif_reader *r, const double lattice[3][3], const xs_site *sites, const int *line,
                          size_t n, xs_error *note)
{
    /* pairs are compared: beyond a few thousand listed sites (a protein, a fuzzed file) the check would cost
     * more than the read, and mixed inorganic sites come in small asymmetric units */
    if (n > 4000) return 0;
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        size_t count = 0;
        char names[200] = "";
        size_t used = 0;
        int first_here = 1;
        for (size_t j = 0; j < n && first_here; j++) {
            if (xs_lattice_distance(lattice, sites[i].frac, sites[j].frac) >= XS_CIF_MERGE_TOL) continue;
            if (j < i) first_here = 0; /* this place was looked at from site j */
            int same_element = 0;      /* the expansion merges a repeated site of one element */
            for (size_t k = i; k < j && !same_element; k++)
                same_element = sites[k].z == sites[j].z &&
                               xs_lattice_distance(lattice, sites[i].frac, sites[k].frac) < XS_CIF_MERGE_TOL;
            if (same_element) continue;
            sum += sites[j].occupancy;
            count++;
            if (used < sizeof names)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", count > 1 ? ", " : "",
                                         sites[j].label[0] ? sites[j].label : xs_element_symbol(sites[j].z));
        }
        if (first_here && count > 1 && sum > XS_CIF_OVERFULL) {
            xs_error_set(note, XS_ERR_INVALID, r->path, line[i], 0,
                         "block '%s': %zu sites of different elements at %g %g %g (%s) have occupancies adding to %g, "
                         "more than 1: occupancies missing?",
                         r->code, count, sites[i].frac[0], sites[i].frac[1], sites[i].frac[2], names, sum);
            return 1;
        }
    }
    return 0;
}

/* Sites of the expanded structure that cannot both be occupied (xs_structure_clashes), said in *note at the
 * line of the listed site the second came from: a disordered structure written without its occupancies, a
 * modulated one, coordinates of another setting, or a label read as the wrong element. */
static int atoms_too_close(const cif_reader *r, const xs_structure *full, const xs_structure *asym, const int *line,
                            xs_error *note)
{
    size_t i, j;
    double distance;
    size_t pairs = xs_structure_clashes(full, &i, &j, &distance);
    if (!pairs) return 0;
    const xs_site *s = xs_structure_sites(full), *listed = xs_structure_sites(asym);
    size_t n_listed = xs_structure_num_sites(asym), from = 0;
    for (size_t k = 0; k < n_listed; k++)
        if (listed[k].z == s[j].z && !strcmp(listed[k].label, s[j].label)) {
            from = k;
            break;
        }
    xs_error_set(note, XS_ERR_INVALID, r->path, line[from], 0,
                 "block '%s': sites %s (%s) and %s (%s) come %.3g A apart with occupancies adding to %.3g, and %zu "
                 "pair%s of sites in all closer than %g A (%g A with hydrogen): both cannot be there; a disordered or "
                 "modulated structure without its occupancies, or a misread element or setting?",
                 r->code, s[i].label, xs_element_symbol(s[i].z), s[j].label, xs_element_symbol(s[j].z), distance,
                 s[i].occupancy + s[j].occupancy, pairs, pairs == 1 ? "" : "s", XS_CLASH_DISTANCE, XS_CLASH_DISTANCE_H);
    return 1;
}

/* Whether a formula ("C6 H12 O6", "Ho2O3") names an element. */
static int formula_names(const char *formula, int z)
{
    for (const char *p = formula; *p; p++) {
        if (!isupper((unsigned char)*p)) continue;
        char symbol[3] = {p[0], islower((unsigned char)p[1]) ? p[1] : 0, 0};
        if (xs_element_z(symbol) == z && strlen(symbol) == strlen(xs_element_symbol(z))) return 1;
    }
    return 0;
}

/* The element of a label read where no type symbol says it. A label whose first two letters are capitals
 * reads as a two-letter element ("CL1" chlorine), but "HO1" is the hydrogen on O1 and "CO2" a carbon far more
 * often than holmium or cobalt: where the block's formula names the one-letter element and not the
 * two-letter one, the one letter is meant. */
static void element_of_label(const cif_reader *r, const char *label, int *z)
{
    if (!isupper((unsigned char)label[0]) || !isupper((unsigned char)label[1])) return;
    const cif_item *formula = find_item(r, "_chemical_formula_sum");
    if (!formula || is_missing(formula->value)) return;
    char one[2] = {label[0], 0};
    int z1 = xs_element_z(one);
    if (z1 && *z != z1 && formula_names(formula->value, z1) && !formula_names(formula->value, *z)) *z = z1;
}

static xs_status build_block(cif_reader *r, xs_structure **out, block_note *note, xs_error *err)
{
    *out = NULL;
    int cx;
    const cif_loop *atoms = find_loop(r, "_atom_site_fract_x", &cx);
    /* cell */
    static const char *const cell_names[6] = {"_cell_length_a", "_cell_length_b", "_cell_length_c",
                                              "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
    double cell[6];
    int cell_line[6];
    int have_angle[3] = {0, 0, 0};
    for (int i = 0; i < 6; i++) {
        const cif_item *it = find_item(r, cell_names[i]);
        if (!it) {
            char alt[64]; /* DDLm names: _cell.length_a */
            snprintf(alt, sizeof alt, "_cell.%s", cell_names[i] + 6);
            it = find_item(r, alt);
        }
        cell_line[i] = it ? it->line : r->block_line;
        if (it && !is_missing(it->value) && !parse_number(it->value, &cell[i]))
            return xs_error_set(err, XS_ERR_PARSE, r->path, it->line, 0, "block '%s': %s '%s' is not a number",
                                r->code, cell_names[i], it->value);
        if (!it || is_missing(it->value)) {
            if (i < 3)
                return xs_error_set(err, XS_ERR_INVALID, r->path, it ? it->line : r->block_line, 0,
                                    "block '%s': cell length %s is %s", r->code, cell_names[i],
                                    it ? "unknown" : "missing");
            cell[i] = 90;
        } else if (i >= 3) {
            have_angle[i - 3] = 1;
        }
    }
    double lattice[3][3];
    xs_error cell_err = {0};
    if (xs_lattice_from_parameters(cell[0], cell[1], cell[2], cell[3], cell[4], cell[5], lattice, &cell_err) != XS_OK ||
        xs_lattice_check(lattice, &cell_err) != XS_OK)
        return xs_error_set(err, XS_ERR_INVALID, r->path, cell_line[cell_culprit(cell)], 0, "block '%s': %s", r->code,
                            cell_err.message);
    int rhombohedral_cell = fabs(cell[0] - cell[1]) < 1e-3 * cell[0] && fabs(cell[0] - cell[2]) < 1e-3 * cell[0] &&
                            fabs(cell[3] - cell[4]) < 1e-3 && fabs(cell[3] - cell[5]) < 1e-3 && fabs(cell[3] - 90) > 0.5;

    /* atoms */
    int c_label = loop_col(atoms, "_atom_site_label"), c_type = loop_col(atoms, "_atom_site_type_symbol");
    int c_y = loop_col(atoms, "_atom_site_fract_y"), c_z = loop_col(atoms, "_atom_site_fract_z");
    int c_occ = loop_col(atoms, "_atom_site_occupancy"), c_flag = loop_col(atoms, "_atom_site_calc_flag");
    int c_b = loop_col(atoms, "_atom_site_b_iso_or_equiv"), c_u = loop_col(atoms, "_atom_site_u_iso_or_equiv");
    if (c_y < 0 || c_z < 0)
        return xs_error_set(err, XS_ERR_INVALID, r->path, atoms->line, 0,
                            "block '%s': the atom-site loop lacks _atom_site_fract_y or _z", r->code);
    size_t rows = loop_rows(atoms);
    xs_site *sites = calloc(rows ? rows : 1, sizeof *sites);
    int *site_line = calloc(rows ? rows : 1, sizeof *site_line);
    if (!sites || !site_line) {
        free(sites);
        free(site_line);
        return xs_error_set(err, XS_ERR_NOMEM, r->path, 0, 0, "out of memory");
    }
    size_t n = 0;
    xs_status st = XS_OK;
    for (size_t row = 0; row < rows && st == XS_OK; row++) {
        int line = loop_line(atoms, row, cx);
        const char *label = loop_value(atoms, row, c_label);
        const char *type = loop_value(atoms, row, c_type);
        const char *flag = loop_value(atoms, row, c_flag);
        if (flag && (!strcmp(flag, "dum") || !strcmp(flag, "DUM"))) continue;
        const char *elem = !is_missing(type) ? type : !is_missing(label) ? label : NULL;
        if (!elem) {
            st = xs_error_set(err, XS_ERR_INVALID, r->path, line, 0, "block '%s': atom site %zu has neither type symbol nor label",
                              r->code, row + 1);
            break;
        }
        if (is_dummy_symbol(elem)) continue;
        xs_site *s = &sites[n];
        xs_error e = {0};
        if (xs_element_parse(elem, &s->z, &s->charge, &e) != XS_OK) {
            /* A type symbol like "Ow" or "O.w" that names no element: the label may. */
            if (elem == type && !is_missing(label) && xs_element_parse(label, &s->z, &s->charge, NULL) == XS_OK) {
                s->charge = 0;
            } else {
                st = xs_error_set(err, XS_ERR_INVALID, r->path, line, 0, "block '%s': atom site '%s': %s", r->code,
                                  label ? label : "?", e.message);
                break;
            }
        }
        if (elem == label) element_of_label(r, label, &s->z);
        if (s->z == 1 && (elem[0] == 'D' || elem[0] == 'd') && !isalpha((unsigned char)elem[1])) s->z = 1; /* deuterium */
        const char *xyz[3] = {loop_value(atoms, row, cx), loop_value(atoms, row, c_y), loop_value(atoms, row, c_z)};
        int bad = -1;
        for (int k = 0; k < 3; k++)
            if (!parse_number(xyz[k], &s->frac[k])) bad = k;
        if (bad >= 0) {
            st = xs_error_set(err, is_missing(xyz[bad]) ? XS_ERR_INVALID : XS_ERR_PARSE, r->path, line, 0,
                              "block '%s': atom site '%s': fractional %c '%s' is not a number", r->code,
                              label ? label : "?", 'x' + bad, xyz[bad]);
            break;
        }
        s->occupancy = 1;
        const char *occ = loop_value(atoms, row, c_occ);
        if (!is_missing(occ) && !parse_number(occ, &s->occupancy)) {
            st = xs_error_set(err, XS_ERR_PARSE, r->path, line, 0, "block '%s': atom site '%s': occupancy '%s' is not a number",
                              r->code, label ? label : "?", occ);
            break;
        }
        if (s->occupancy <= 0) continue;
        double v;
        const char *b = loop_value(atoms, row, c_b), *u = loop_value(atoms, row, c_u);
        double aniso[6];
        int ak;
        if (parse_number(b, &v))
            s->b_iso = v;
        else if (parse_number(u, &v))
            s->b_iso = 8 * M_PI * M_PI * v;
        else if ((ak = aniso_of(r, label, aniso)) != 0)
            s->b_iso = b_equivalent(lattice, aniso, ak == 2);
        if (!(s->b_iso >= 0 && s->b_iso <= 100)) s->b_iso = s->b_iso < 0 ? 0 : s->b_iso; /* validated below */
        if (label) snprintf(s->label, sizeof s->label, "%s", label);
        site_line[n] = line;
        n++;
    }
    if (st == XS_OK && n == 0)
        st = xs_error_set(err, XS_ERR_INVALID, r->path, atoms->line, 0, "block '%s': no atoms (all sites are dummies or empty)",
                          r->code);
    if (st == XS_OK && overfull_site(r, lattice, sites, site_line, n, &note->error))
        note->kind = XS_CIF_OVERFULL_SITE;
    xs_structure *asym = NULL;
    if (st == XS_OK) {
        xs_error e = {0};
        st = xs_structure_create(lattice, n, sites, &asym, &e);
        if (st != XS_OK) xs_error_set(err, st, r->path, atoms->line, 0, "block '%s': %s", r->code, e.message);
    }
    free(sites);
    if (st != XS_OK) {
        free(site_line);
        return st;
    }

    /* symmetry */
    op_list ops = {0};
    int listed = listed_operations(r, &ops, err);
    int hall = 0;
    if (listed == 0) {
        hall = hall_from_symbols(r, asym, rhombohedral_cell, err);
        if (hall > 0) {
            int rot[192][3][3];
            double tr[192][3];
            int k = xs_sym_operations(hall, rot, tr, 192);
            for (int i = 0; i < k; i++) op_add(&ops, rot[i], tr[i]);
        } else if (hall == 0) {
            int rot[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
            double tr[3] = {0, 0, 0};
            op_add(&ops, rot, tr); /* no symmetry information: P1 */
        }
    }
    if (listed < 0 || hall < 0) {
        free(ops.rot);
        free(ops.trans);
        xs_structure_free(asym);
        free(site_line);
        return err ? err->code : XS_ERR_PARSE;
    }
    /* A missing angle is only safe to assume 90 where the symmetry forces it. */
    for (int i = 0; i < 3; i++) {
        if (have_angle[i]) continue;
        int declared = 0;
        if (hall > 0) {
            xs_spacegroup sg;
            if (xs_sym_from_hall(hall, &sg, NULL) == XS_OK) declared = sg.number;
        }
        xs_crystal_system cs = declared ? xs_sym_crystal_system(declared) : XS_TRICLINIC;
        int forced = cs == XS_ORTHORHOMBIC || cs == XS_TETRAGONAL || cs == XS_CUBIC;
        if (!declared) {
            /* operations listed: 90 is forced when they map every axis onto +-an axis and the count is > 4 */
            forced = ops.n >= 4;
            for (int o = 0; o < ops.n && forced; o++)
                for (int a = 0; a < 3; a++) {
                    int nz = 0;
                    for (int b = 0; b < 3; b++) nz += ops.rot[o][a][b] != 0;
                    if (nz != 1) forced = 0;
                }
        }
        if (!forced) {
            free(ops.rot);
            free(ops.trans);
            xs_structure_free(asym);
            free(site_line);
            return xs_error_set(err, XS_ERR_INVALID, r->path, r->block_line, 0,
                                "block '%s': cell angle %s is missing and the symmetry does not fix it", r->code,
                                cell_names[3 + i]);
        }
    }
    /* Operations that are not symmetries of the cell (broken in the file, or of another setting than the cell's:
     * a primitive cell given with the conventional group's symbol) put the atoms in wrong places; refused. */
    double misfit = 0, cell_axes[3][3];
    int worst = 0;
    xs_structure_lattice(asym, cell_axes);
    for (int o = 0; o < ops.n; o++) {
        double m = metric_misfit((const double (*)[3])cell_axes, (const int (*)[3])ops.rot[o]);
        if (m > misfit) misfit = m, worst = o;
    }
    if (misfit > XS_CIF_METRIC_TOL) {
        char op[128];
        format_operation((const int (*)[3])ops.rot[worst], ops.trans[worst], op, sizeof op);
        st = xs_error_set(err, XS_ERR_INVALID, r->path, cell_line[0], 0,
                          "block '%s': the symmetry operation %s is not a symmetry of the cell (%g %g %g, %g %g %g): "
                          "it changes its metric by %.3g%% of the longest axis squared; the operations, or the group's "
                          "setting (a primitive cell with the conventional group's symbol?), do not fit the cell",
                          r->code, op, cell[0], cell[1], cell[2], cell[3], cell[4], cell[5], 100 * misfit);
        free(ops.rot);
        free(ops.trans);
        xs_structure_free(asym);
        free(site_line);
        return st;
    }
    xs_error e = {0};
    st = xs_structure_expand(asym, (size_t)ops.n, (const int (*)[3][3])ops.rot, (const double (*)[3])ops.trans,
                             XS_CIF_MERGE_TOL, out, &e);
    free(ops.rot);
    free(ops.trans);
    if (st == XS_OK && note->error.code == XS_OK && atoms_too_close(r, *out, asym, site_line, &note->error))
        note->kind = XS_CIF_ATOMS_TOO_CLOSE;
    xs_structure_free(asym);
    free(site_line);
    if (st != XS_OK) return xs_error_set(err, st, r->path, atoms->line, 0, "block '%s': %s", r->code, e.message);

    /* declared group as written */
    const cif_item *hm = find_item_any(r, hm_names, COUNT(hm_names));
    const cif_item *hs = find_item_any(r, hall_names, COUNT(hall_names));
    xs_structure_set_declared_group(*out, declared_group(r, hall), hm ? hm->value : NULL, hs ? hs->value : NULL);
    xs_structure_set_name(*out, r->code, r->path);
    return XS_OK;
}

/* The wavelength a block states: _diffrn_radiation_wavelength (the first of a loop), else
 * _pd_proc_wavelength, else the anode of _diffrn_radiation_type ("Cu K\a": the K-alpha mean); 0 none. */
static double block_wavelength(const cif_reader *r)
{
    static const char *const names[] = {"_diffrn_radiation_wavelength", "_pd_proc_wavelength",
                                        "_diffrn_radiation.wavelength"};
    double wl = 0;
    for (size_t i = 0; i < COUNT(names); i++) {
        const cif_item *w = find_item(r, names[i]);
        int c;
        const cif_loop *l = w ? NULL : find_loop(r, names[i], &c);
        if (w && parse_number(w->value, &wl) && wl > 0) return wl;
        if (l && loop_rows(l) > 0 && parse_number(loop_value(l, 0, c), &wl) && wl > 0) return wl;
    }
    const cif_item *type = find_item(r, "_diffrn_radiation_type");
    return type && !is_missing(type->value) ? xs_pattern_text_wavelength(type->value, strlen(type->value)) : 0;
}

/* pdCIF: the measured (else processed, else calculated) profile of a block, at the wavelength wl the block
 * states (0 none). 1 = a pattern, 0 = none, -1 = error (err set). *calculated: the profile is a calculated one. */
static int powder_of_block(cif_reader *r, double wl, xs_pattern **out, int *calculated, xs_error *err)
{
    static const char *const y_names[] = {"_pd_meas_counts_total", "_pd_meas_intensity_total",
                                          "_pd_proc_intensity_total", "_pd_meas_counts_net",
                                          "_pd_proc_intensity_net", "_pd_calc_intensity_total",
                                          "_pd_calc_intensity_net"};
    static const char *const x_names[] = {"_pd_meas_2theta_scan", "_pd_proc_2theta_corrected",
                                          "_pd_meas_angle_2theta", "_pd_proc_2theta_range"};
    *out = NULL;
    *calculated = 0;
    const cif_loop *l = NULL;
    int cy = -1;
    for (size_t i = 0; i < COUNT(y_names) && !l; i++) {
        l = find_loop(r, y_names[i], &cy);
        *calculated = l && !strncmp(y_names[i], "_pd_calc", 8);
    }
    if (!l) return 0;
    int cx = -1;
    for (size_t i = 0; i < COUNT(x_names) && cx < 0; i++) cx = loop_col(l, x_names[i]);
    size_t rows = loop_rows(l);
    double start = 0, step = 0;
    if (cx < 0) {
        const cif_item *mn = find_item(r, "_pd_meas_2theta_range_min"), *inc = find_item(r, "_pd_meas_2theta_range_inc");
        if (!mn) mn = find_item(r, "_pd_proc_2theta_range_min");
        if (!inc) inc = find_item(r, "_pd_proc_2theta_range_inc");
        if (!mn || !inc || !parse_number(mn->value, &start) || !parse_number(inc->value, &step) || step <= 0) {
            xs_error_set(err, XS_ERR_INVALID, r->path, l->line, 0,
                         "block '%s': powder intensities without 2theta values or a 2theta range", r->code);
            return -1;
        }
    }
    double *x = malloc((rows ? rows : 1) * sizeof *x), *y = malloc((rows ? rows : 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        xs_error_set(err, XS_ERR_NOMEM, r->path, 0, 0, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t row = 0; row < rows; row++) {
        double xv = start + step * (double)row, yv;
        /* '?' or '.' points are absent; any other value that is not a finite number ("nan", a word) is an
         * error at its line, not a point to drop in silence */
        int col = -1;
        if (cx >= 0 && !parse_number(loop_value(l, row, cx), &xv)) col = cx;
        else if (!parse_number(loop_value(l, row, cy), &yv)) col = cy;
        if (col < 0) {
            x[n] = xv;
            y[n] = yv;
            n++;
        } else if (!is_missing(loop_value(l, row, col))) {
            xs_error_set(err, XS_ERR_PARSE, r->path, loop_line(l, row, col), 0, "block '%s': %s '%s' of point %zu is not a number",
                         r->code, col == cx ? "2theta" : "intensity", loop_value(l, row, col), row + 1);
            free(x);
            free(y);
            return -1;
        }
    }
    char name[512];
    snprintf(name, sizeof name, "%s#%s", r->path, r->code);
    xs_status st = xs_pattern_create(name, n, x, y, wl, out, err);
    free(x);
    free(y);
    if (st != XS_OK) {
        if (err) err->line = l->line;
        return -1;
    }
    return 1;
}

/* What the block says of the links between profiles, wavelengths and phases (pd_block). 0: out of memory. */
static int record_pd_block(cif_reader *r, int pattern, int calculated, double wavelength)
{
    if (!grow((void **)&r->pd, &r->cap_pd, r->n_pd + 1, sizeof *r->pd)) return 0;
    pd_block *b = &r->pd[r->n_pd++];
    memset(b, 0, sizeof *b);
    b->pattern = pattern;
    b->calculated = calculated;
    b->wavelength = wavelength;
    int c;
    b->has_atoms = find_loop(r, "_atom_site_fract_x", &c) != NULL;
    if (b->has_atoms) b->group = declared_group(r, 0);
    const cif_item *id = find_item(r, "_pd_block_id");
    if (id && !is_missing(id->value) && !(b->block_id = dup_text(id->value))) return 0;
    static const char *const link_names[] = {"_pd_block_diffractogram_id", "_pd_phase_block_id"};
    for (size_t i = 0; i < COUNT(link_names); i++) {
        const cif_item *it = find_item(r, link_names[i]);
        const cif_loop *l = it ? NULL : find_loop(r, link_names[i], &c);
        size_t rows = it ? 1 : l ? loop_rows(l) : 0;
        for (size_t row = 0; row < rows; row++) {
            const char *v = it ? it->value : loop_value(l, row, c);
            if (is_missing(v)) continue;
            if (!grow((void **)&b->links, &b->cap_links, b->n_links + 1, sizeof *b->links)) return 0;
            if (!(b->links[b->n_links] = dup_text(v))) return 0;
            b->n_links++;
        }
    }
    return 1;
}

/* Block a names block b (or b names a): one of them lists the other's _pd_block_id. */
static int pd_linked(const pd_block *a, const pd_block *b)
{
    for (int pass = 0; pass < 2; pass++) {
        const pd_block *from = pass ? b : a, *to = pass ? a : b;
        if (!to->block_id) continue;
        for (size_t k = 0; k < from->n_links; k++)
            if (!strcmp(from->links[k], to->block_id)) return 1;
    }
    return 0;
}

/* After the whole file: calculated profiles dropped where a measured one exists; wavelengths and labels
 * through the links between blocks (see cif_internal.h). */
static void resolve_powder_links(cif_reader *r)
{
    int measured = 0;
    for (size_t i = 0; i < r->n_pd; i++) measured |= r->pd[i].pattern >= 0 && !r->pd[i].calculated;
    if (measured) {
        for (size_t i = 0; i < r->n_pd; i++)
            if (r->pd[i].pattern >= 0 && r->pd[i].calculated) {
                xs_pattern_free(r->patterns[r->pd[i].pattern]);
                r->patterns[r->pd[i].pattern] = NULL;
                r->pd[i].pattern = -1;
            }
        size_t kept = 0;
        for (size_t i = 0; i < r->n_pd; i++)
            if (r->pd[i].pattern >= 0) {
                r->patterns[kept] = r->patterns[r->pd[i].pattern];
                r->pd[i].pattern = (int)kept++;
            }
        r->n_patterns = kept;
    }
    int any_links = 0;
    for (size_t i = 0; i < r->n_pd; i++)
        for (size_t j = 0; j < r->n_pd && !any_links; j++) any_links = i != j && pd_linked(&r->pd[i], &r->pd[j]);
    for (size_t i = 0; i < r->n_pd; i++) {
        const pd_block *p = &r->pd[i];
        if (p->pattern < 0) continue;
        xs_pattern *pat = r->patterns[p->pattern];
        if (xs_pattern_wavelength(pat) == 0) {
            double linked = 0, other = 0;
            int others_agree = 1;
            for (size_t j = 0; j < r->n_pd; j++) {
                const pd_block *q = &r->pd[j];
                if (j == i || q->wavelength <= 0) continue;
                if (!linked && pd_linked(p, q)) linked = q->wavelength;
                if (q->pattern >= 0 || q->calculated) continue; /* another profile's (or simulation's) own */
                if (other && fabs(other - q->wavelength) > 1e-5 * other) others_agree = 0;
                other = q->wavelength;
            }
            if (!linked && others_agree) linked = other;
            if (linked) xs_pattern_set_wavelength(pat, linked);
        }
        /* its phases: the blocks of atom sites linked to it (itself included), else, in a file without links,
         * all of the file's; a label only where they are all of one known group */
        int group = 0, mixed = 0;
        for (size_t j = 0; j < r->n_pd; j++) {
            const pd_block *q = &r->pd[j];
            if (!q->has_atoms || !(j == i || !any_links || pd_linked(p, q))) continue;
            if (!q->group || (group && q->group != group)) mixed = 1;
            group = q->group;
        }
        xs_pattern_set_label(pat, mixed ? 0 : group);
    }
}

/* Append e to the reader's list of blocks left out. */
static void keep_error(cif_reader *r, xs_error **list, size_t *n, size_t *cap, const xs_error *e)
{
    if (grow((void **)list, cap, *n + 1, sizeof **list))
        (*list)[(*n)++] = *e;
    else
        r->nomem = 1;
}

static void keep_left_out(cif_reader *r, const xs_error *e)
{
    keep_error(r, &r->left_out, &r->n_left_out, &r->cap_left_out, e);
}

static void finish_block(cif_reader *r)
{
    int c;
    if (r->want_powder) {
        xs_pattern *p = NULL;
        xs_error e = {0};
        int calculated = 0, index = -1;
        double wl = block_wavelength(r);
        int got = powder_of_block(r, wl, &p, &calculated, &e);
        if (got > 0) {
            if (grow((void **)&r->patterns, &r->cap_patterns, r->n_patterns + 1, sizeof *r->patterns)) {
                index = (int)r->n_patterns;
                r->patterns[r->n_patterns++] = p;
            } else {
                xs_pattern_free(p);
                r->nomem = 1;
            }
        } else if (got < 0) {
            keep_left_out(r, &e);
        }
        if (!record_pd_block(r, index, calculated, wl)) r->nomem = 1;
        block_clear(r);
        return;
    }
    if (find_loop(r, "_atom_site_fract_x", &c)) {
        r->structure_blocks++;
        xs_structure *s = NULL;
        block_note note = {0};
        xs_error e = {0};
        if (build_block(r, &s, &note, &e) == XS_OK) {
            if (note.error.code != XS_OK) {
                if (grow((void **)&r->site_notes, &r->cap_site_notes, r->n_site_notes + 1, sizeof *r->site_notes))
                    r->site_notes[r->n_site_notes++] = note;
                else
                    r->nomem = 1;
            }
            if (grow((void **)&r->list, &r->cap_list, r->n_list + 1, sizeof *r->list))
                r->list[r->n_list++] = s;
            else {
                xs_structure_free(s);
                r->nomem = 1;
            }
        } else {
            keep_left_out(r, &e);
        }
    }
    block_clear(r);
}

/* ---- libcif callbacks ---- */

static int on_block_start(cif_container_tp *block, void *ctx)
{
    cif_reader *r = ctx;
    block_clear(r);
    r->depth = 1;
    r->block_line = (int)r->line;
    UChar *code = NULL;
    r->code[0] = 0;
    if (cif_container_get_code(block, &code) == CIF_OK && code) {
        char *text = ascii_of(code, 0);
        if (text) snprintf(r->code, sizeof r->code, "%s", text);
        free(text);
    }
    free(code);
    return CIF_TRAVERSE_CONTINUE;
}

static int on_block_end(cif_container_tp *block, void *ctx)
{
    cif_reader *r = ctx;
    finish_block(r);
    r->depth = 0;
    return CIF_TRAVERSE_CONTINUE;
}

/* Save frames (dictionaries, some multi-phase files) are read as the block's own items would be: a frame's
 * items are collected separately and a frame with atom sites becomes a structure of its own. Frames nest
 * rarely; the items of the enclosing block are not restored after a frame (they are not structures). */
static int on_frame_start(cif_container_tp *frame, void *ctx)
{
    cif_reader *r = ctx;
    int c;
    if (find_loop(r, "_atom_site_fract_x", &c)) finish_block(r);
    block_clear(r);
    r->depth++;
    return CIF_TRAVERSE_CONTINUE;
}

static int on_frame_end(cif_container_tp *frame, void *ctx)
{
    cif_reader *r = ctx;
    finish_block(r);
    r->depth--;
    return CIF_TRAVERSE_CONTINUE;
}

static int on_loop_start(cif_loop_tp *loop, void *ctx)
{
    cif_reader *r = ctx;
    if (!grow((void **)&r->loops, &r->cap_loops, r->n_loops + 1, sizeof *r->loops)) {
        r->nomem = 1;
        return CIF_TRAVERSE_END;
    }
    r->open_loop = &r->loops[r->n_loops++];
    memset(r->open_loop, 0, sizeof *r->open_loop);
    r->open_loop->line = (int)r->line;
    return CIF_TRAVERSE_CONTINUE;
}

static int on_packet_end(cif_packet_tp *packet, void *ctx)
{
    (void)packet;
    (void)ctx;
    return CIF_TRAVERSE_SKIP_CURRENT; /* the values are copied already: libcif need not record the packet */
}

static int on_loop_end(cif_loop_tp *loop, void *ctx)
{
    cif_reader *r = ctx;
    r->open_loop = NULL;
    return CIF_TRAVERSE_CONTINUE;
}

static int on_item(UChar *name, cif_value_tp *value, void *ctx)
{
    cif_reader *r = ctx;
    if (r->depth == 0) return CIF_TRAVERSE_CONTINUE;
    char *v = value_text(value);
    if (!v) {
        r->nomem = 1;
        return CIF_TRAVERSE_END;
    }
    cif_loop *l = r->open_loop;
    if (l) {
        /* The first packet introduces the names (a NULL name is a duplicate enrolled in the loop). */
        char *nm = name ? ascii_of(name, 1) : dup_text("");
        if (!nm) {
            free(v);
            r->nomem = 1;
            return CIF_TRAVERSE_END;
        }
        /* Names are enrolled while the first packet is read: until a name repeats. */
        int repeat = 0;
        for (size_t k = 0; k < l->n_names && nm[0]; k++)
            if (!strcmp(l->names[k], nm)) repeat = 1;
        if (!repeat && l->n_values == l->n_names) {
            if (!grow((void **)&l->names, &l->cap_names, l->n_names + 1, sizeof *l->names)) {
                free(v);
                free(nm);
                r->nomem = 1;
                return CIF_TRAVERSE_END;
            }
            l->names[l->n_names++] = nm;
        } else {
            free(nm);
        }
        size_t cap_before = l->cap_values;
        if (!grow((void **)&l->values, &l->cap_values, l->n_values + 1, sizeof *l->values)) {
            free(v);
            r->nomem = 1;
            return CIF_TRAVERSE_END;
        }
        if (l->cap_values != cap_before || !l->lines) {
            int *lines = realloc(l->lines, l->cap_values * sizeof *l->lines);
            if (!lines) {
                free(v);
                r->nomem = 1;
                return CIF_TRAVERSE_END;
            }
            l->lines = lines;
        }
        l->values[l->n_values] = v;
        l->lines[l->n_values] = (int)r->line;
        l->n_values++;
        return CIF_TRAVERSE_SKIP_CURRENT;
    }
    if (!name) {
        free(v);
        return CIF_TRAVERSE_CONTINUE;
    }
    char *nm = ascii_of(name, 1);
    if (!nm || !grow((void **)&r->items, &r->cap_items, r->n_items + 1, sizeof *r->items)) {
        free(v);
        free(nm);
        r->nomem = 1;
        return CIF_TRAVERSE_END;
    }
    r->items[r->n_items].name = nm;
    r->items[r->n_items].value = v;
    r->items[r->n_items].line = (int)(r->dataname_line ? r->dataname_line : r->line);
    r->n_items++;
    return CIF_TRAVERSE_SKIP_CURRENT; /* our copy is kept: libcif need not record it */
}

static void on_whitespace(size_t line, size_t column, const UChar *token, size_t length, void *ctx)
{
    cif_reader *r = ctx;
    /* The parser reports a value after it has read the whitespace that ends it, so the line where that
     * whitespace starts is the value's line. */
    r->line = line;
}

static void on_dataname(size_t line, size_t column, const UChar *token, size_t length, void *ctx)
{
    cif_reader *r = ctx;
    r->dataname_line = line;
    r->line = line;
}

/* Syntax errors: libcif recovers from most (a missing space, an over-long line, a stray character in a
 * comment) and those leave the data intact; errors that cut or merge values (an unclosed quote or text
 * field, a value where a name belongs, a truncated loop) are remembered and fail the file unless it still
 * yields a structure from a block the error did not touch. */
static int on_error(int code, size_t line, size_t column, const UChar *text, size_t length, void *ctx)
{
    cif_reader *r = ctx;
    switch (code) {
    case CIF_MISSING_SPACE:
    case CIF_OVERLENGTH_LINE:
    case CIF_DISALLOWED_CHAR:
    case CIF_INVALID_CHAR:
    case CIF_UNMAPPED_CHAR:
    case CIF_WRONG_ENCODING:
    case CIF_DISALLOWED_INITIAL_CHAR:
    case CIF_DUP_ITEMNAME:
    case CIF_DUP_BLOCKCODE:
    case CIF_DUP_FRAMECODE:
    case CIF_INVALID_BARE_VALUE:
    case CIF_RESERVED_WORD:
        return 0;
    default:
        break;
    }
    if (!r->have_parse_error) {
        const char *what = code >= 0 && code < cif_nerr ? cif_errlist[code] : "CIF syntax error";
        xs_error_set(&r->parse_error, XS_ERR_PARSE, r->path, (int)line, (int)column, "%s", what);
        r->have_parse_error = 1;
    }
    /* Ending the block here keeps a damaged block from being read: its items are dropped. */
    if (r->depth > 0) block_clear(r);
    /* libcif 0.4.2 frees an invalid pointer when it goes on past a save frame code that holds a character
     * CIF does not allow and then meets that code again (fuzzed: "save_f\fT" twice in a block; either alone
     * is harmless): the parse stops at the first such code, with this error */
    if (code == CIF_INVALID_FRAMECODE) return code;
    return 0;
}

void xs_structure_list_free(xs_structure **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) xs_structure_free(list[i]);
    free(list);
}

/* Parse a whole file into r (structures or patterns as r->want_powder says). */
static xs_status parse_file(const char *path, cif_reader *r, xs_error *err)
{
    xs_status st = xs_file_refuse_directory(path, "a CIF", err);
    if (st != XS_OK) return st;
    FILE *f = fopen(path, "rb");
    if (!f) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open the file");
    r->path = path;
    r->line = 1;
    cif_handler_tp handler = {0};
    handler.handle_block_start = on_block_start;
    handler.handle_block_end = on_block_end;
    handler.handle_frame_start = on_frame_start;
    handler.handle_frame_end = on_frame_end;
    handler.handle_loop_start = on_loop_start;
    handler.handle_loop_end = on_loop_end;
    handler.handle_item = on_item;
    handler.handle_packet_end = on_packet_end;
    struct cif_parse_opts_s *opts = NULL;
    if (cif_parse_options_create(&opts) != CIF_OK) {
        fclose(f);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    opts->handler = &handler;
    opts->error_callback = on_error;
    opts->whitespace_callback = on_whitespace;
    opts->dataname_callback = on_dataname;
    opts->user_data = r;
    opts->default_encoding_name = "ISO-8859-1"; /* old CIFs carry Latin-1 in text fields */
    opts->force_default_encoding = 0;
    opts->line_folding_modifier = 0;
    opts->text_prefixing_modifier = 0;
    opts->max_frame_depth = 1;
    /* libcif 0.4.2 reports the items outside loops to the handler only while it builds a CIF object (with a
     * NULL target it reports loop items alone), so a temporary in-memory CIF is built and dropped; the
     * handlers tell it not to record what has been copied, which keeps that cheap. */
    cif_tp *cif = NULL;
    int rc = cif_parse(f, opts, &cif);
    if (cif) {
        int destroyed = cif_destroy(cif);
        (void)destroyed; /* nothing to do if freeing fails */
    }
    free(opts);
    fclose(f);
    if (r->depth > 0) finish_block(r); /* a file cut off inside a block */
    block_clear(r);
    free(r->items);
    free(r->loops);
    r->items = NULL;
    r->loops = NULL;
    if (r->nomem) return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    if (r->n_list > 0 || r->n_patterns > 0) return XS_OK;
    if (r->have_parse_error) {
        if (err) *err = r->parse_error;
        return XS_ERR_PARSE;
    }
    if (r->n_left_out) {
        if (err) *err = r->left_out[0];
        return r->left_out[0].code;
    }
    if (rc != CIF_OK) {
        const char *what = rc >= 0 && rc < cif_nerr ? cif_errlist[rc] : "CIF syntax error";
        return xs_error_set(err, XS_ERR_PARSE, path, (int)r->line, 0, "%s", what);
    }
    return xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0,
                        r->want_powder ? "no data block with a powder profile (_pd_meas_counts_total, ...)"
                                       : "no data block with atom sites (_atom_site_fract_x)");
}

xs_status xs_cif_read_ex(const char *path, xs_cif_warning_fn on_warning, void *user, xs_structure ***structures,
                         size_t *n, xs_error *err)
{
    *structures = NULL;
    *n = 0;
    if (!path) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no file name given");
    cif_reader r;
    memset(&r, 0, sizeof r);
    xs_status st = parse_file(path, &r, err);
    if (st == XS_OK && on_warning) {
        for (size_t i = 0; i < r.n_left_out; i++) on_warning(XS_CIF_BLOCK_LEFT_OUT, &r.left_out[i], user);
        for (size_t i = 0; i < r.n_site_notes; i++) on_warning(r.site_notes[i].kind, &r.site_notes[i].error, user);
        if (r.have_parse_error) on_warning(XS_CIF_SYNTAX_DAMAGE, &r.parse_error, user);
    }
    free(r.left_out);
    free(r.site_notes);
    if (st == XS_OK) {
        *structures = r.list;
        *n = r.n_list;
        return XS_OK;
    }
    xs_structure_list_free(r.list, r.n_list);
    return st;
}

xs_status xs_cif_read(const char *path, xs_structure ***structures, size_t *n, xs_error *err)
{
    return xs_cif_read_ex(path, NULL, NULL, structures, n, err);
}

xs_status xs_cif_read_powder(const char *path, xs_pattern_warning_fn on_warning, void *user, xs_pattern ***patterns,
                             size_t *n, xs_error *err)
{
    *patterns = NULL;
    *n = 0;
    cif_reader r;
    memset(&r, 0, sizeof r);
    r.want_powder = 1;
    xs_status st = parse_file(path, &r, err);
    if (st == XS_OK) resolve_powder_links(&r);
    if (st == XS_OK && on_warning) {
        for (size_t i = 0; i < r.n_left_out; i++) on_warning(XS_PATTERN_PART_LEFT_OUT, &r.left_out[i], user);
        if (r.have_parse_error) on_warning(XS_PATTERN_SYNTAX_DAMAGE, &r.parse_error, user);
    }
    for (size_t i = 0; i < r.n_pd; i++) {
        free(r.pd[i].block_id);
        for (size_t k = 0; k < r.pd[i].n_links; k++) free(r.pd[i].links[k]);
        free(r.pd[i].links);
    }
    free(r.pd);
    free(r.left_out);
    free(r.site_notes);
    if (st == XS_OK) {
        *patterns = r.patterns;
        *n = r.n_patterns;
        return XS_OK;
    }
    xs_pattern_list_free(r.patterns, r.n_patterns);
    return st;
}
