/* Wyckoff positions computed from the operations, checked against two independent tables for every
 * space group: spglib's database (all 530 Hall settings; letters, multiplicities, site symmetries and
 * orbits without the centring translations) and PyXtal's list (the 230 standard settings, origin choice 2,
 * orbits with centring). A position matches when it has the same multiplicity, the same number of free
 * parameters and the same orbit as a set of points at generic parameters. */
#include "xrdsym.h"
#include "xs_test.h"

#include <ctype.h>
#include <spglib.h>

#define MAXT 192
#define MAXP 32

typedef struct {
    int coef[3][3];
    double c[3];
} triplet;

typedef struct {
    int mult;
    char letter;
    char site[16];
    int n_free;
    int n;
    triplet t[MAXT];
} refpos;

typedef struct {
    int n;
    refpos p[MAXP];
} refgroup;

/* "x-y+1/2" style expression of x, y, z into coefficients and a constant. */
static int parse_expr(const char *s, const char *end, int coef[3], double *c)
{
    coef[0] = coef[1] = coef[2] = 0;
    *c = 0;
    while (s < end) {
        while (s < end && isspace((unsigned char)*s)) s++;
        if (s >= end) break;
        int sign = 1;
        if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
        while (s < end && isspace((unsigned char)*s)) s++;
        double num = 1;
        int have_num = 0;
        if (s < end && isdigit((unsigned char)*s)) {
            num = strtod(s, (char **)&s);
            have_num = 1;
            if (s < end && *s == '/') {
                s++;
                num /= strtod(s, (char **)&s);
            }
        }
        if (s < end && (*s == 'x' || *s == 'y' || *s == 'z')) {
            coef[*s - 'x'] += sign * (int)num;
            s++;
        } else if (have_num) {
            *c += sign * num;
        } else {
            return -1;
        }
    }
    return 0;
}

static int parse_triplet(const char *s, size_t len, triplet *t)
{
    const char *end = s + len, *p = s;
    for (int i = 0; i < 3; i++) {
        const char *q = p;
        while (q < end && *q != ',') q++;
        if (i < 2 && q >= end) return -1;
        int co[3];
        if (parse_expr(p, q, co, &t->c[i])) return -1;
        for (int j = 0; j < 3; j++) t->coef[i][j] = co[j];
        p = q + 1;
    }
    return 0;
}

static int count_free(const triplet *t)
{
    int n = 0;
    for (int j = 0; j < 3; j++) n += t->coef[0][j] || t->coef[1][j] || t->coef[2][j];
    return n;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    b[n] = 0;
    fclose(f);
    return b;
}

/* spglib's Wyckoff.csv: "hall:symbol:::::::" then "::mult:letter:site:(t):(t)..." and ":::::(t)..." */
static int load_spglib(const char *path, refgroup *g /* [531] */)
{
    char *text = read_all(path);
    if (!text) return -1;
    int hall = 0;
    refpos *cur = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "end of data", 11)) break;
        if (isdigit((unsigned char)line[0])) {
            hall = atoi(line);
            cur = NULL;
            continue;
        }
        if (hall < 1 || hall > 530) continue;
        char *p = line;
        if (!strncmp(line, "::", 2) && line[2] != ':') {
            refgroup *rg = &g[hall];
            cur = &rg->p[rg->n++];
            memset(cur, 0, sizeof *cur);
            p = line + 2;
            cur->mult = atoi(p);
            p = strchr(p, ':') + 1;
            cur->letter = *p;
            p = strchr(p, ':') + 1;
            char *q = strchr(p, ':');
            snprintf(cur->site, sizeof cur->site, "%.*s", (int)(q - p), p);
            p = q;
        }
        if (!cur) continue;
        for (char *o = strchr(p, '('); o; o = strchr(o + 1, '(')) {
            char *cl = strchr(o, ')');
            if (cur->n < MAXT && !parse_triplet(o + 1, (size_t)(cl - o - 1), &cur->t[cur->n])) cur->n++;
        }
    }
    free(text);
    for (int h = 1; h <= 530; h++)
        for (int i = 0; i < g[h].n; i++) g[h].p[i].n_free = count_free(&g[h].p[i].t[0]);
    return 0;
}

/* PyXtal's list: row "sg,\"[['x, y, z', ...], ['0, 0, 0'], ...]\"", general position first. */
static int load_pyxtal(const char *path, refgroup *g /* [231] */)
{
    char *text = read_all(path);
    if (!text) return -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int sg = atoi(line);
        if (sg < 1 || sg > 230 || !strchr(line, '[')) continue;
        refgroup *rg = &g[sg];
        char *p = strchr(line, '[') + 1;
        for (;;) {
            char *open = strchr(p, '[');
            if (!open) break;
            char *close = strchr(open, ']');
            refpos *cur = &rg->p[rg->n++];
            memset(cur, 0, sizeof *cur);
            for (char *q = strchr(open, '\''); q && q < close; q = strchr(q + 1, '\'')) {
                char *e = strchr(q + 1, '\'');
                if (cur->n < MAXT && !parse_triplet(q + 1, (size_t)(e - q - 1), &cur->t[cur->n])) cur->n++;
                q = e;
            }
            cur->mult = cur->n;
            cur->n_free = count_free(&cur->t[0]);
            p = close + 1;
        }
        /* PyXtal lists the general position first and 'a' last (ITA's order reversed); 'A' is ITA's alpha */
        for (int i = 0; i < rg->n; i++) {
            int k = rg->n - 1 - i;
            rg->p[i].letter = k < 26 ? (char)('a' + k) : 'A';
        }
    }
    free(text);
    return 0;
}

static void eval_triplet(const triplet *t, const double p[3], double x[3])
{
    for (int i = 0; i < 3; i++) {
        x[i] = t->c[i];
        for (int j = 0; j < 3; j++) x[i] += t->coef[i][j] * p[j];
        x[i] -= floor(x[i]);
    }
}

static int same_point(const double a[3], const double b[3])
{
    for (int i = 0; i < 3; i++) {
        double d = fabs(a[i] - b[i]);
        /* 1e-6: coordinates are sums of exact rationals and a few products with the parameters */
        if (d > 1e-6 && d < 1 - 1e-6) return 0;
    }
    return 1;
}

static int add_point(double (*set)[3], int n, const double x[3])
{
    for (int i = 0; i < n; i++)
        if (same_point(set[i], x)) return n;
    memcpy(set[n], x, sizeof set[n]);
    return n + 1;
}

/* Parameters p' of member k of pos with member_k(p') == x (mod 1); 0 if x is not on it. */
static int find_params(const xs_synth_wyckoff_position *pos, int k, const double x[3], double pp[3])
{
    const xs_synth_wyckoff_coord *c = &pos->coords[k];
    int cols[3], d = 0;
    for (int j = 0; j < 3; j++)
        if (pos->free_param[j]) cols[d++] = j;
    for (int m0 = -3; m0 <= 3; m0++)
        for (int m1 = -3; m1 <= 3; m1++)
            for (int m2 = -3; m2 <= 3; m2++) {
                double r[3] = {x[0] + m0 - c->constant[0], x[1] + m1 - c->constant[1], x[2] + m2 - c->constant[2]};
                double p[3] = {0, 0, 0};
                /* least squares on the d free columns (normal equations, d <= 3) */
                double A[3][3] = {{0}}, b[3] = {0};
                for (int a = 0; a < d; a++) {
                    for (int e = 0; e < d; e++)
                        for (int i = 0; i < 3; i++) A[a][e] += c->coef[i][cols[a]] * c->coef[i][cols[e]];
                    for (int i = 0; i < 3; i++) b[a] += c->coef[i][cols[a]] * r[i];
                }
                for (int a = 0; a < d; a++) { /* Gauss-Jordan, A is positive definite */
                    for (int e = 0; e < d; e++) {
                        if (e == a) continue;
                        double f = A[e][a] / A[a][a];
                        for (int h = 0; h < d; h++) A[e][h] -= f * A[a][h];
                        b[e] -= f * b[a];
                    }
                }
                for (int a = 0; a < d; a++) p[cols[a]] = b[a] / A[a][a];
                int ok = 1;
                for (int i = 0; i < 3; i++) {
                    double v = c->constant[i];
                    for (int j = 0; j < 3; j++) v += c->coef[i][j] * p[j];
                    ok &= fabs(v - (x[i] + (i == 0 ? m0 : i == 1 ? m1 : m2))) < 1e-6; /* exact up to rounding */
                }
                if (ok) {
                    memcpy(pp, p, sizeof p);
                    return 1;
                }
            }
    return 0;
}

static int g_kind_ok, g_kind_total, g_rep_ok, g_rep_total;

/* Is the computed representative (member 0) the reference's first triplet: the same coefficients and the same
 * constants modulo 1? */
static int same_representative(const xs_synth_wyckoff_position *pos, const triplet *t)
{
    const xs_synth_wyckoff_coord *c = &pos->coords[0];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            if ((pos->free_param[j] ? c->coef[i][j] : 0) != t->coef[i][j]) return 0;
        double d = fabs(c->constant[i] - (t->c[i] - floor(t->c[i])));
        if (d > 1e-9 && d < 1 - 1e-9) return 0; /* both exact fractions up to rounding */
    }
    return 1;
}

/* An oriented symbol ("m.2m", ".-3m") names the same point group as an unoriented one ("mm2", "-3m") when
 * the two have the same characters once the dots are dropped (true for all 32 groups' symbols). */
static int same_symbol_chars(const char *oriented, const char *plain)
{
    int count[128] = {0};
    for (const char *c = oriented; *c; c++)
        if (*c != '.') count[(unsigned char)*c & 127]++;
    for (const char *c = plain; *c; c++) count[(unsigned char)*c & 127]--;
    for (int i = 0; i < 128; i++)
        if (count[i]) return 0;
    return 1;
}

/* Compare one group's computed positions with a reference; returns 1 if all agree. with_centring: the
 * reference lists orbits without the centring translations. letters: also count letter agreement. */
static int compare(const char *what, int id, const xs_synth_wyckoff_set *w, const refgroup *ref, int with_centring,
                   int *letter_ok, int *letter_total)
{
    int n = xs_synth_wyckoff_count(w);
    if (n != ref->n) {
        fprintf(stderr, "%s %d: %d positions computed, %d in the reference\n", what, id, n, ref->n);
        return 0;
    }
    const int(*rot)[3][3];
    const double(*tr)[3];
    int n_ops = xs_synth_wyckoff_operations(w, &rot, &tr);
    double cent[8][3];
    int n_cent = 0;
    for (int g = 0; g < n_ops && with_centring; g++) {
        int ident = 1;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) ident &= rot[g][i][j] == (i == j);
        if (ident) memcpy(cent[n_cent++], tr[g], sizeof cent[0]);
    }
    if (!with_centring) cent[0][0] = cent[0][1] = cent[0][2] = 0, n_cent = 1;
    int used[MAXP] = {0}, ok = 1;
    const double p[3] = {0.1372, 0.2613, 0.3891}; /* generic: no special value, no coincidences */
    for (int r = 0; r < ref->n; r++) {
        const refpos *rp = &ref->p[r];
        static double rset[MAXT][3], oset[MAXT][3];
        int nr = 0;
        for (int t = 0; t < rp->n; t++)
            for (int c = 0; c < n_cent; c++) {
                double x[3];
                eval_triplet(&rp->t[t], p, x);
                for (int i = 0; i < 3; i++) x[i] = x[i] + cent[c][i] - floor(x[i] + cent[c][i]);
                nr = add_point(rset, nr, x);
            }
        int found = -1;
        for (int q = 0; q < n && found < 0; q++) {
            const xs_synth_wyckoff_position *pos = xs_synth_wyckoff_get(w, q);
            if (used[q] || pos->multiplicity != rp->mult || pos->n_free != rp->n_free) continue;
            for (int k = 0; k < pos->n_coords && found < 0; k++) {
                double pp[3];
                if (!find_params(pos, k, rset[0], pp)) continue;
                int no = 0;
                for (int m = 0; m < pos->n_coords; m++) {
                    double x[3];
                    xs_synth_wyckoff_eval(pos, m, pp, x);
                    no = add_point(oset, no, x);
                }
                int same = no == nr && no == pos->multiplicity;
                for (int a = 0; a < no && same; a++) same = add_point(rset, nr, oset[a]) == nr;
                if (same) found = q;
            }
        }
        if (found < 0) {
            fprintf(stderr, "%s %d: reference position %c (mult %d, %d free, %d points) has no computed match\n",
                    what, id, rp->letter ? rp->letter : '?', rp->mult, rp->n_free, nr);
            ok = 0;
            continue;
        }
        used[found] = 1;
        if (rp->site[0] && !same_symbol_chars(rp->site, xs_synth_wyckoff_get(w, found)->site_symmetry)) {
            fprintf(stderr, "%s %d: position %c site symmetry %s, reference %s\n", what, id,
                    xs_synth_wyckoff_get(w, found)->letter, xs_synth_wyckoff_get(w, found)->site_symmetry, rp->site);
            ok = 0;
        }
        if (letter_total && rp->letter) {
            (*letter_total)++;
            *letter_ok += xs_synth_wyckoff_get(w, found)->letter == rp->letter;
            /* the position that carries the reference's letter here: same kind (multiplicity, free
             * parameters, site-symmetry order)? */
            const xs_synth_wyckoff_position *at = xs_synth_wyckoff_by_letter(w, rp->letter);
            const xs_synth_wyckoff_position *fp = xs_synth_wyckoff_get(w, found);
            g_kind_total++;
            g_kind_ok += at && at->multiplicity == fp->multiplicity && at->n_free == fp->n_free &&
                         !strcmp(at->site_symmetry, fp->site_symmetry);
            if (with_centring) { /* spglib's table: its first triplet is ITA's representative */
                g_rep_total++;
                if (same_representative(fp, &rp->t[0]))
                    g_rep_ok++;
                else if (g_rep_total - g_rep_ok <= 5)
                    fprintf(stderr, "%s %d %c: representative differs from the reference's first triplet\n", what, id,
                            rp->letter);
            }
        }
    }
    return ok;
}

int main(void)
{
    char path[1024];
    static refgroup spg[531], pyx[231];
    memset(spg, 0, sizeof spg);
    memset(pyx, 0, sizeof pyx);
    CHECK(load_spglib(xs_test_shared("symmetry/spglib_Wyckoff.csv", path, sizeof path), spg) == 0, "read %s", path);
    CHECK(load_pyxtal(xs_test_shared("symmetry/pyxtal_wyckoff_list.csv", path, sizeof path), pyx) == 0, "read %s",
          path);

    /* the 230 standard settings against both tables */
    int ok_spg = 0, ok_pyx = 0, letters_ok = 0, letters_total = 0, groups_letters = 0;
    int pyx_letters_ok = 0, pyx_letters_total = 0;
    for (int sg = 1; sg <= 230; sg++) {
        const xs_synth_wyckoff_set *w;
        xs_error err = {0};
        if (xs_synth_wyckoff(sg, &w, &err) != XS_OK) {
            CHECK(0, "space group %d: %s", sg, err.message);
            continue;
        }
        CHECK(xs_synth_wyckoff_space_group(w) == sg, "group number of %d", sg);
        int lo = letters_ok, lt = letters_total;
        ok_spg += compare("spglib, group", sg, w, &spg[xs_sym_default_hall(sg)], 1, &letters_ok, &letters_total);
        groups_letters += letters_ok - lo == letters_total - lt;
        /* PyXtal uses origin choice 2 where a group has two */
        int hall = xs_sym_default_hall(sg);
        SpglibSpacegroupType t2 = spg_get_spacegroup_type(hall + 1);
        if (hall < 530 && t2.number == sg && !strcmp(t2.choice, "2")) {
            xs_synth_wyckoff_set *w2;
            if (xs_synth_wyckoff_for_hall(hall + 1, &w2, &err) == XS_OK) {
                ok_pyx += compare("pyxtal, group", sg, w2, &pyx[sg], 0, NULL, NULL);
                xs_synth_wyckoff_free(w2);
            }
        } else {
            ok_pyx += compare("pyxtal, group", sg, w, &pyx[sg], 0, &pyx_letters_ok, &pyx_letters_total);
        }
        /* general position last, multiplicities ascending, site order * multiplicity = operations */
        const int(*rot)[3][3];
        const double(*tr)[3];
        int n_ops = xs_synth_wyckoff_operations(w, &rot, &tr);
        int n = xs_synth_wyckoff_count(w);
        CHECK(xs_synth_wyckoff_get(w, n - 1)->n_free == 3 && xs_synth_wyckoff_get(w, n - 1)->multiplicity == n_ops,
              "group %d: last position is the general one", sg);
        for (int i = 0; i < n; i++) {
            const xs_synth_wyckoff_position *q = xs_synth_wyckoff_get(w, i);
            CHECK(q->multiplicity * q->site_order == n_ops, "group %d %c: %d * %d != %d", sg, q->letter,
                  q->multiplicity, q->site_order, n_ops);
            if (i) CHECK(q->multiplicity >= xs_synth_wyckoff_get(w, i - 1)->multiplicity, "group %d order", sg);
            CHECK(xs_synth_wyckoff_by_letter(w, q->letter) == q, "group %d letter %c", sg, q->letter);
            CHECK(same_symbol_chars(q->site_symmetry_oriented, q->site_symmetry),
                  "group %d %c: ITA's site symmetry %s is not the computed %s", sg, q->letter,
                  q->site_symmetry_oriented, q->site_symmetry);
        }
    }
    printf("standard settings: %d/230 agree with spglib's table, %d/230 with PyXtal's\n", ok_spg, ok_pyx);
    printf("letters equal to ITA's (spglib's table): %d/%d positions, all letters equal in %d/230 groups\n",
           letters_ok, letters_total, groups_letters);
    printf("the position at each ITA letter has the same multiplicity, free parameters and site symmetry as ITA's: "
           "%d/%d\n", g_kind_ok, g_kind_total);
    printf("letters equal to PyXtal's order (groups without a second origin choice): %d/%d positions\n",
           pyx_letters_ok, pyx_letters_total);
    CHECK(letters_ok == letters_total && letters_total > 1700, "ITA letters %d/%d", letters_ok, letters_total);
    CHECK(pyx_letters_ok == pyx_letters_total && pyx_letters_total > 1000, "PyXtal letters %d/%d", pyx_letters_ok,
          pyx_letters_total);
    CHECK(ok_spg == 230, "spglib agreement %d/230", ok_spg);
    CHECK(ok_pyx == 230, "PyXtal agreement %d/230", ok_pyx);

    /* every one of the 530 settings against spglib's table */
    int ok_all = 0, all_letters_ok = 0, all_letters_total = 0;
    g_rep_ok = g_rep_total = 0;
    for (int h = 1; h <= 530; h++) {
        xs_synth_wyckoff_set *w;
        xs_error err = {0};
        if (xs_synth_wyckoff_for_hall(h, &w, &err) != XS_OK) {
            CHECK(0, "Hall %d: %s", h, err.message);
            continue;
        }
        ok_all += compare("spglib, Hall", h, w, &spg[h], 1, &all_letters_ok, &all_letters_total);
        xs_synth_wyckoff_free(w);
    }
    printf("all settings: %d/530 agree with spglib's table\n", ok_all);
    CHECK(ok_all == 530, "spglib agreement over all settings %d/530", ok_all);
    printf("all settings: letters equal to ITA's at %d/%d positions; representative = ITA's first triplet at %d/%d\n",
           all_letters_ok, all_letters_total, g_rep_ok, g_rep_total);
    CHECK(all_letters_ok == all_letters_total && all_letters_total > 3400, "letters over all settings %d/%d",
          all_letters_ok, all_letters_total);
    CHECK(g_rep_ok == g_rep_total, "representatives %d/%d", g_rep_ok, g_rep_total);

    /* API edges */
    const xs_synth_wyckoff_set *w;
    CHECK(xs_synth_wyckoff(0, &w, NULL) == XS_ERR_RANGE, "group 0 rejected");
    CHECK(xs_synth_wyckoff(231, &w, NULL) == XS_ERR_RANGE, "group 231 rejected");
    xs_synth_wyckoff_set *ws;
    CHECK(xs_synth_wyckoff_for_hall(531, &ws, NULL) == XS_ERR_RANGE, "Hall 531 rejected");
    if (xs_synth_wyckoff(225, &w, NULL) == XS_OK) {
        const xs_synth_wyckoff_position *a = xs_synth_wyckoff_by_letter(w, 'a');
        char buf[64];
        xs_synth_wyckoff_format(a, 0, buf, sizeof buf);
        CHECK(a->multiplicity == 4 && !strcmp(a->site_symmetry, "m-3m") && !strcmp(buf, "0,0,0"),
              "Fm-3m 4a: %d %s %s", a->multiplicity, a->site_symmetry, buf);
    }
    return xs_test_finish();
}
