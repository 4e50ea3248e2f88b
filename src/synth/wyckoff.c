/* Wyckoff positions computed from a space group's operations.
 *
 * Every special position is a connected affine subspace A = Fix(H) fixed pointwise by its site-symmetry
 * group H (exact elements of the infinite space group, lattice translation included). Such subspaces are
 * intersections of components of the fixed-point sets of single operations, so they are found level by
 * level: the components of every operation's fixed set (planes, lines, points), then for each orbit
 * representative found so far its intersections with every lattice translate of every component. Each new
 * subspace is mapped by all operations; the images (compared modulo the lattice through a canonical key)
 * form one Wyckoff position. Multiplicity = |G| / |H| with G the operations modulo the lattice (centring
 * included).
 *
 * Canonical key of an affine subspace modulo Z^3: its dimension d, the Hermite normal form N of the lattice
 * of integer normals (a saturated lattice, so N Z^3 = Z^(3-d)), and N x0 modulo 1 for any point x0 of it.
 * All coordinates are rationals with small denominators (<= 48), computed in doubles and quantized to 1e-7
 * for the keys (exact for such rationals, see key_quantize). */
#include "xrdsym/xs_symmetry.h"
#include "xrdsym/xs_synth.h"
#include "synth/synth_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 192
#define KEY_SCALE 10000000LL /* 1e7: p/q * 1e7 has a fractional part k/q, never near 1/2 for q <= 48 */

struct xs_synth_wyckoff_set {
    int hall, space_group, n_ops;
    int rot[MAX_OPS][3][3];
    double trans[MAX_OPS][3];
    int count;
    xs_synth_wyckoff_position *pos;
    xs_synth_wyckoff_coord *coords; /* all orbits, one block */
};

/* ---- small integer linear algebra ---- */

static long long gcdll(long long a, long long b)
{
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Divide by the gcd and make the first nonzero entry positive. Returns 0 for the zero vector. */
static int primitive(long long v[3])
{
    long long g = gcdll(gcdll(v[0], v[1]), v[2]);
    if (!g) return 0;
    int sign = 1;
    for (int i = 0; i < 3; i++)
        if (v[i]) {
            sign = v[i] < 0 ? -1 : 1;
            break;
        }
    for (int i = 0; i < 3; i++) v[i] = v[i] / g * sign;
    return 1;
}

static void cross(const long long a[3], const long long b[3], long long c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* Row Hermite normal form of n rows (n <= 3, 3 columns) in place: pivots positive, entries above a pivot
 * reduced into [0, pivot). Returns the rank; rows past it are zero. */
static int hnf(long long m[][3], int n)
{
    int r = 0;
    for (int col = 0; col < 3 && r < n; col++) {
        for (;;) { /* Euclid on the rows r..n-1 in this column */
            int best = -1;
            for (int i = r; i < n; i++)
                if (m[i][col] && (best < 0 || llabs(m[i][col]) < llabs(m[best][col]))) best = i;
            if (best < 0) break;
            if (best != r)
                for (int j = 0; j < 3; j++) {
                    long long t = m[r][j];
                    m[r][j] = m[best][j];
                    m[best][j] = t;
                }
            int done = 1;
            for (int i = r + 1; i < n; i++)
                if (m[i][col]) {
                    long long q = m[i][col] / m[r][col];
                    for (int j = 0; j < 3; j++) m[i][j] -= q * m[r][j];
                    if (m[i][col]) done = 0;
                }
            if (done) break;
        }
        if (!m[r][col]) continue;
        if (m[r][col] < 0)
            for (int j = 0; j < 3; j++) m[r][j] = -m[r][j];
        for (int i = 0; i < r; i++) {
            long long q = m[i][col] / m[r][col];
            if (m[i][col] - q * m[r][col] < 0) q--;
            for (int j = 0; j < 3; j++) m[i][j] -= q * m[r][j];
        }
        r++;
    }
    return r;
}

/* Saturated basis (HNF) of the integer vectors orthogonal to the primitive vector u: the cross products
 * u x e_i generate that lattice. Returns 2 rows in out. */
static void perp_basis(const long long *u, long long (*out)[3])
{
    long long m[3][3];
    for (int i = 0; i < 3; i++) {
        long long e[3] = {0, 0, 0};
        e[i] = 1;
        cross(u, e, m[i]);
    }
    hnf(m, 3);
    memcpy(out, m, 2 * sizeof m[0]);
}

static double wrap01(double x)
{
    x -= floor(x);
    if (x >= 1.0 - 1e-9 || x < 1e-9) x = 0.0;
    return x;
}

/* ---- affine subspaces ---- */

typedef struct {
    int d;              /* dimension 0..3 */
    long long dir[3][3]; /* d direction vectors (saturated basis of V n Z^3, HNF rows; dir[0] primitive for d=1) */
    long long nrm[3][3]; /* 3-d normal rows (saturated, HNF) */
    double x0[3];        /* a point of it */
} subspace;

typedef struct {
    int d;
    long long n[3][3];
    long long q[3];
} skey;

/* Fill nrm (and dir in HNF) from the directions. dir rows on input: any d independent integer vectors. */
static void subspace_complete(subspace *s)
{
    memset(s->nrm, 0, sizeof s->nrm);
    if (s->d == 3) {
        memset(s->dir, 0, sizeof s->dir);
        for (int i = 0; i < 3; i++) s->dir[i][i] = 1;
    } else if (s->d == 0) {
        memset(s->dir, 0, sizeof s->dir);
        for (int i = 0; i < 3; i++) s->nrm[i][i] = 1;
    } else if (s->d == 1) {
        primitive(s->dir[0]);
        perp_basis(s->dir[0], s->nrm);
    } else {
        long long n[3];
        cross(s->dir[0], s->dir[1], n);
        primitive(n);
        memcpy(s->nrm[0], n, sizeof n);
        perp_basis(n, s->dir);
    }
}

static long long key_quantize(double v)
{
    long long q = llround(v * (double)KEY_SCALE) % KEY_SCALE;
    if (q < 0) q += KEY_SCALE;
    return q;
}

static skey subspace_key(const subspace *s)
{
    skey k;
    memset(&k, 0, sizeof k);
    k.d = s->d;
    for (int r = 0; r < 3 - s->d; r++) {
        double v = 0;
        for (int j = 0; j < 3; j++) {
            k.n[r][j] = s->nrm[r][j];
            v += (double)s->nrm[r][j] * s->x0[j];
        }
        k.q[r] = key_quantize(v);
    }
    return k;
}

static int key_eq(const skey *a, const skey *b) { return memcmp(a, b, sizeof *a) == 0; }

/* Solve rows * x = rhs (k rows of 3 doubles, k <= 9) by elimination. Returns -1 if inconsistent, else the
 * rank; x is a particular solution (free unknowns 0). */
static int solve_rows(double a[][3], double *b, int k, double x[3])
{
    int piv_col[3], r = 0;
    for (int col = 0; col < 3 && r < k; col++) {
        int best = -1;
        double bv = 1e-9;
        for (int i = r; i < k; i++)
            if (fabs(a[i][col]) > bv) bv = fabs(a[i][col]), best = i;
        if (best < 0) continue;
        for (int j = 0; j < 3; j++) {
            double t = a[r][j];
            a[r][j] = a[best][j];
            a[best][j] = t;
        }
        double t = b[r];
        b[r] = b[best];
        b[best] = t;
        for (int i = 0; i < k; i++) {
            if (i == r || a[i][col] == 0) continue;
            double f = a[i][col] / a[r][col];
            for (int j = 0; j < 3; j++) a[i][j] -= f * a[r][j];
            b[i] -= f * b[r];
        }
        piv_col[r++] = col;
    }
    for (int i = r; i < k; i++)
        if (fabs(b[i]) > 1e-7) return -1;
    x[0] = x[1] = x[2] = 0;
    for (int i = 0; i < r; i++) x[piv_col[i]] = b[i] / a[i][piv_col[i]];
    return r;
}

/* Subspace from integer equation rows (n_eq of them) and right-hand sides. Returns 0 if empty. */
static int subspace_from_equations(const long long rows[][3], const double *rhs, int n_eq, subspace *out)
{
    double a[9][3], b[9];
    for (int i = 0; i < n_eq; i++) {
        for (int j = 0; j < 3; j++) a[i][j] = (double)rows[i][j];
        b[i] = rhs[i];
    }
    int rank = solve_rows(a, b, n_eq, out->x0);
    if (rank < 0) return 0;
    long long m[9][3];
    memcpy(m, rows, (size_t)n_eq * sizeof m[0]);
    /* independent integer rows: HNF of the rows (rank <= 3) */
    long long h[3][3] = {{0}};
    int nr = 0;
    for (int i = 0; i < n_eq; i++) { /* accumulate, keeping the HNF of 3 rows at most */
        long long t[4][3];
        memcpy(t, h, sizeof h);
        memcpy(t[3], m[i], sizeof t[3]);
        long long u[4][3];
        memcpy(u, t, sizeof t);
        nr = hnf(u, 4);
        memcpy(h, u, sizeof h);
    }
    out->d = 3 - nr;
    memset(out->dir, 0, sizeof out->dir);
    if (out->d == 1) cross(h[0], h[1], out->dir[0]);
    else if (out->d == 2) {
        long long n[3];
        memcpy(n, h[0], sizeof n);
        primitive(n);
        perp_basis(n, out->dir);
    }
    subspace_complete(out);
    return 1;
}

/* Image of s under (R, t). */
static void subspace_image(const subspace *s, const int R[3][3], const double t[3], subspace *out)
{
    out->d = s->d;
    for (int i = 0; i < 3; i++) {
        out->x0[i] = t[i];
        for (int j = 0; j < 3; j++) out->x0[i] += R[i][j] * s->x0[j];
    }
    memset(out->dir, 0, sizeof out->dir);
    for (int k = 0; k < s->d && s->d < 3; k++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) out->dir[k][i] += R[i][j] * s->dir[k][j];
    subspace_complete(out);
}

/* Canonical parametrisation: x = sum_k dir[k] * p[pivot_k] + c, c zero in the pivot coordinates, wrapped. */
static void subspace_param(const subspace *s, int coef[3][3], double c[3], int free_param[3])
{
    memset(coef, 0, 9 * sizeof(int));
    free_param[0] = free_param[1] = free_param[2] = 0;
    memcpy(c, s->x0, 3 * sizeof(double));
    for (int k = 0; k < s->d; k++) {
        int p = 0;
        while (!s->dir[k][p]) p++;
        double f = c[p] / (double)s->dir[k][p];
        for (int i = 0; i < 3; i++) {
            c[i] -= f * (double)s->dir[k][i];
            coef[i][p] = (int)s->dir[k][i];
        }
        free_param[p] = 1;
    }
    for (int i = 0; i < 3; i++) c[i] = wrap01(c[i]);
}

/* ---- growable lists ---- */

typedef struct {
    subspace *s;
    skey *k;
    size_t n, cap;
} slist;

static int slist_find(const slist *l, const skey *k)
{
    for (size_t i = 0; i < l->n; i++)
        if (key_eq(&l->k[i], k)) return (int)i;
    return -1;
}

static int slist_add(slist *l, const subspace *s, const skey *k)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        subspace *ns = realloc(l->s, cap * sizeof *ns);
        if (!ns) return -1;
        l->s = ns;
        skey *nk = realloc(l->k, cap * sizeof *nk);
        if (!nk) return -1;
        l->k = nk;
        l->cap = cap;
    }
    l->s[l->n] = *s;
    l->k[l->n] = *k;
    l->n++;
    return 0;
}

static void slist_free(slist *l)
{
    free(l->s);
    free(l->k);
}

/* ---- point-group symbol of a site-symmetry group (unoriented) ---- */

static int det3(const int R[3][3])
{
    return R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
           R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
}

static const char *point_group_symbol(int n, const int (*R)[3][3])
{
    int inv = 0, proper = 1, n3 = 0, has4 = 0, hasm4 = 0, has6 = 0, hasm6 = 0;
    for (int i = 0; i < n; i++) {
        int det = det3(R[i]), tr = R[i][0][0] + R[i][1][1] + R[i][2][2];
        if (det < 0) proper = 0;
        if (det < 0 && tr == -3) inv = 1;
        if (det > 0 && tr == 0) n3++;
        if (det > 0 && tr == 1) has4 = 1;
        if (det > 0 && tr == 2) has6 = 1;
        if (det < 0 && tr == -1) hasm4 = 1;
        if (det < 0 && tr == -2) hasm6 = 1;
    }
    switch (n) {
    case 1: return "1";
    case 2: return inv ? "-1" : proper ? "2" : "m";
    case 3: return "3";
    case 4: return has4 ? "4" : hasm4 ? "-4" : inv ? "2/m" : proper ? "222" : "mm2";
    case 6: return has6 ? "6" : hasm6 ? "-6" : inv ? "-3" : proper ? "32" : "3m";
    case 8: return inv ? (has4 ? "4/m" : "mmm") : proper ? "422" : has4 ? "4mm" : "-42m";
    case 12:
        if (n3 == 8) return "23";
        if (has6) return inv ? "6/m" : proper ? "622" : "6mm";
        return inv ? "-3m" : "-6m2";
    case 16: return "4/mmm";
    case 24:
        if (n3 == 8) return inv ? "m-3" : proper ? "432" : "-43m";
        return "6/mmm";
    case 48: return "m-3m";
    default: return "?";
    }
}

/* ---- the computation ---- */

typedef struct {
    subspace rep;
    int mult, site_order;
    char site[8];
    int coef[3][3];
    double c[3];
    int free_param[3];
} wpos;

/* Pointwise stabilizer of s: indices into the operations. */
static int stabilizer(const xs_synth_wyckoff_set *w, const subspace *s, int *idx)
{
    int n = 0;
    for (int g = 0; g < w->n_ops; g++) {
        const int(*R)[3] = w->rot[g];
        int ok = 1;
        for (int k = 0; k < s->d && ok; k++)
            for (int i = 0; i < 3 && ok; i++) {
                long long v = 0;
                for (int j = 0; j < 3; j++) v += R[i][j] * s->dir[k][j];
                ok = v == s->dir[k][i];
            }
        for (int i = 0; i < 3 && ok; i++) {
            double v = w->trans[g][i] - s->x0[i];
            for (int j = 0; j < 3; j++) v += R[i][j] * s->x0[j];
            ok = fabs(v - nearbyint(v)) < 1e-6;
        }
        if (ok) idx[n++] = g;
    }
    return n;
}

/* Order of representatives: fewer negative coefficients, earlier pivots, smaller coefficients, then
 * smaller constants (x, then y, then z). */
static int param_better(const int a[3][3], const double ca[3], const int b[3][3], const double cb[3])
{
    int na = 0, nb = 0, sa = 0, sb = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            na += a[i][j] < 0, nb += b[i][j] < 0;
            sa += abs(a[i][j]), sb += abs(b[i][j]);
        }
    if (na != nb) return na < nb;
    for (int j = 0; j < 3; j++) { /* a parameter column present earlier wins */
        int pa = a[0][j] || a[1][j] || a[2][j], pb = b[0][j] || b[1][j] || b[2][j];
        if (pa != pb) return pa > pb;
    }
    if (sa != sb) return sa < sb;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (a[i][j] != b[i][j]) return a[i][j] > b[i][j];
    for (int i = 0; i < 3; i++)
        if (fabs(ca[i] - cb[i]) > 1e-9) return ca[i] < cb[i];
    return 0;
}

/* Record the G-orbit of s (all images into seen) and make a position of it. */
static int add_orbit(const xs_synth_wyckoff_set *w, const subspace *s, slist *seen, wpos *p)
{
    int best = -1;
    int bcoef[3][3], bfree[3];
    double bc[3];
    size_t first = seen->n;
    for (int g = 0; g < w->n_ops; g++) {
        subspace img;
        subspace_image(s, w->rot[g], w->trans[g], &img);
        skey k = subspace_key(&img);
        if (slist_find(seen, &k) >= 0) continue;
        if (slist_add(seen, &img, &k)) return -1;
        int coef[3][3], fr[3];
        double c[3];
        subspace_param(&img, coef, c, fr);
        if (best < 0 || param_better(coef, c, bcoef, bc)) {
            best = (int)(seen->n - 1);
            memcpy(bcoef, coef, sizeof coef);
            memcpy(bc, c, sizeof c);
            memcpy(bfree, fr, sizeof fr);
        }
    }
    (void)first;
    p->rep = seen->s[best];
    memcpy(p->coef, bcoef, sizeof bcoef);
    memcpy(p->c, bc, sizeof bc);
    memcpy(p->free_param, bfree, sizeof bfree);
    int idx[MAX_OPS];
    p->site_order = stabilizer(w, &p->rep, idx);
    p->mult = w->n_ops / p->site_order;
    int R[MAX_OPS][3][3];
    for (int i = 0; i < p->site_order; i++) memcpy(R[i], w->rot[idx[i]], sizeof R[i]);
    snprintf(p->site, sizeof p->site, "%s", point_group_symbol(p->site_order, (const int(*)[3][3])R));
    return 0;
}

/* Intersections of a (an orbit representative) with every lattice translate of c, up to a's own lattice
 * periodicity: x = a.x0 + sum_k s_k a.dir[k] with c.nrm x = c.nrm c.x0 + m, m integer. */
static int intersect_all(const subspace *a, const subspace *c, slist *out)
{
    int kc = 3 - c->d;
    /* a point component is a position of its own (found at the first level), never a new intersection */
    if (a->d == 0 || c->d == 3 || c->d == 0) return 0;
    /* M[r][k] = c.nrm[r] . a.dir[k], b[r] = c.nrm[r] . (c.x0 - a.x0) */
    long long M[3][3] = {{0}};
    double b[3];
    long long bound[3];
    for (int r = 0; r < kc; r++) {
        b[r] = 0;
        bound[r] = 1;
        for (int j = 0; j < 3; j++) b[r] += (double)c->nrm[r][j] * (c->x0[j] - a->x0[j]);
        for (int k = 0; k < a->d; k++) {
            for (int j = 0; j < 3; j++) M[r][k] += c->nrm[r][j] * a->dir[k][j];
            bound[r] += llabs(M[r][k]);
        }
    }
    long long m[3] = {0, 0, 0}, lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    for (int r = 0; r < kc; r++) lo[r] = -bound[r] - (long long)ceil(fabs(b[r])), hi[r] = -lo[r];
    for (m[0] = lo[0]; m[0] <= hi[0]; m[0]++)
        for (m[1] = lo[1]; m[1] <= hi[1]; m[1]++)
            for (m[2] = lo[2]; m[2] <= hi[2]; m[2]++) {
                /* equations in x directly: a's normals (x on a) and c's normals (shifted by m) */
                long long rows[6][3];
                double rhs[6];
                int n = 0;
                for (int r = 0; r < 3 - a->d; r++, n++) {
                    memcpy(rows[n], a->nrm[r], sizeof rows[n]);
                    rhs[n] = 0;
                    for (int j = 0; j < 3; j++) rhs[n] += (double)a->nrm[r][j] * a->x0[j];
                }
                for (int r = 0; r < kc; r++, n++) {
                    memcpy(rows[n], c->nrm[r], sizeof rows[n]);
                    rhs[n] = (double)m[r];
                    for (int j = 0; j < 3; j++) rhs[n] += (double)c->nrm[r][j] * c->x0[j];
                }
                subspace s;
                if (!subspace_from_equations((const long long(*)[3])rows, rhs, n, &s) || s.d >= a->d) continue;
                /* keep one per translate of a along itself: parameters of the point in [0, 1) is implied by
                 * the key (modulo the lattice), so duplicates are dropped by the key */
                skey k = subspace_key(&s);
                if (slist_find(out, &k) < 0 && slist_add(out, &s, &k)) return -1;
            }
    return 0;
}

/* ---- ITA's letters ---- */

/* Is column j of an ITA triplet's coefficients a parameter of it? */
static int ita_uses(const xs_synth_ita_position *ita, int j)
{
    return ita->coef[0][j] || ita->coef[1][j] || ita->coef[2][j];
}

/* Least squares over the d free columns cols of coef: the p (zero outside cols) minimising |coef p - rhs|,
 * from the normal equations by Gauss-Jordan (they are positive definite: the columns are independent). */
static void solve_free_columns(const int coef[3][3], const int cols[3], int d, const double rhs[3], double p[3])
{
    double A[3][3] = {{0}}, b[3] = {0};
    for (int a = 0; a < d; a++) {
        for (int e = 0; e < d; e++)
            for (int i = 0; i < 3; i++) A[a][e] += coef[i][cols[a]] * coef[i][cols[e]];
        for (int i = 0; i < 3; i++) b[a] += coef[i][cols[a]] * rhs[i];
    }
    for (int a = 0; a < d; a++)
        for (int e = 0; e < d; e++) {
            if (e == a) continue;
            double f = A[e][a] / A[a][a];
            for (int h = 0; h < d; h++) A[e][h] -= f * A[a][h];
            b[e] -= f * b[a];
        }
    p[0] = p[1] = p[2] = 0;
    for (int a = 0; a < d; a++) p[cols[a]] = b[a] / A[a][a];
}

/* Is x (fractional, mod 1) on member k of pos for some values prm of its free parameters? Least squares on
 * the free columns for each nearby lattice translation of x, then an exact check. */
static int on_member(const xs_synth_wyckoff_position *pos, int k, const double x[3], double prm_out[3])
{
    const xs_synth_wyckoff_coord *c = &pos->coords[k];
    int cols[3], d = 0;
    for (int j = 0; j < 3; j++)
        if (pos->free_param[j]) cols[d++] = j;
    /* coefficients are at most 2 in size: 3 cells either way of x reach every member's parameters in [-1, 1] */
    for (int m0 = -3; m0 <= 3; m0++)
        for (int m1 = -3; m1 <= 3; m1++)
            for (int m2 = -3; m2 <= 3; m2++) {
                const double target[3] = {x[0] + m0, x[1] + m1, x[2] + m2};
                const double rhs[3] = {target[0] - c->constant[0], target[1] - c->constant[1],
                                       target[2] - c->constant[2]};
                double prm[3];
                solve_free_columns(c->coef, cols, d, rhs, prm);
                int ok = 1;
                for (int i = 0; i < 3 && ok; i++) {
                    double v = c->constant[i];
                    for (int j = 0; j < 3; j++) v += c->coef[i][j] * prm[j];
                    ok = fabs(v - target[i]) < 1e-6; /* exact rationals and small integers: rounding only */
                }
                if (ok) {
                    memcpy(prm_out, prm, sizeof prm);
                    return 1;
                }
            }
    return 0;
}

/* Re-express the orbit in the parameters of ITA's first triplet (constant_I + C_I p), given that member k at
 * parameters prm is ITA's triplet at generic: p_ours = A p + b with C_k A = C_I and b = prm - A generic.
 * Every member m becomes C_m A p + (c_m + C_m b). The orbit is unchanged; only its parametrisation moves. */
static int adopt_ita_parameters(xs_synth_wyckoff_position *pos, xs_synth_wyckoff_coord *orbit, int k,
                                const double prm[3], const xs_synth_ita_position *ita, const double generic[3])
{
    int ours[3], d = 0, theirs[3], d_ita = 0;
    for (int j = 0; j < 3; j++) {
        if (pos->free_param[j]) ours[d++] = j;
        if (ita_uses(ita, j)) theirs[d_ita++] = j;
    }
    if (d != d_ita) return -1;
    const xs_synth_wyckoff_coord *ck = &orbit[k];
    double A[3][3] = {{0}}; /* A[our parameter][ITA's parameter] */
    for (int t = 0; t < d_ita; t++) { /* column t of A: C_k a = ITA's column */
        const double column[3] = {ita->coef[0][theirs[t]], ita->coef[1][theirs[t]], ita->coef[2][theirs[t]]};
        double a[3];
        solve_free_columns(ck->coef, ours, d, column, a);
        for (int j = 0; j < 3; j++) A[j][theirs[t]] = a[j];
    }
    double b[3] = {0, 0, 0};
    for (int j = 0; j < 3; j++) {
        if (!pos->free_param[j]) continue;
        b[j] = prm[j];
        for (int t = 0; t < 3; t++) b[j] -= A[j][t] * generic[t];
    }
    for (int m = 0; m < pos->n_coords; m++) {
        xs_synth_wyckoff_coord *c = &orbit[m], out;
        for (int i = 0; i < 3; i++) {
            double v = c->constant[i];
            for (int j = 0; j < 3; j++) {
                if (pos->free_param[j]) v += c->coef[i][j] * b[j];
                double s = 0;
                for (int q = 0; q < 3; q++)
                    if (pos->free_param[q]) s += c->coef[i][q] * A[q][j];
                if (fabs(s - nearbyint(s)) > 1e-6) return -1; /* not an integer reparametrisation */
                out.coef[i][j] = (int)nearbyint(s);
            }
            out.constant[i] = wrap01(v);
        }
        if (m == k)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    if (out.coef[i][j] != ita->coef[i][j]) return -1;
        *c = out;
    }
    for (int j = 0; j < 3; j++) pos->free_param[j] = ita_uses(ita, j);
    return 0;
}

/* Name the computed orbits by ITA's letters and put them in ITA's order: each ITA position's first triplet,
 * at a generic parameter value, lies on exactly one computed orbit of its multiplicity and dimension, which
 * takes ITA's letter, representative and parameters. */
static xs_status order_as_ita(xs_synth_wyckoff_set *w, xs_error *err)
{
    int first = xs_synth_ita_first[w->hall], n = xs_synth_ita_first[w->hall + 1] - first;
    if (n != w->count)
        return xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0, "Hall %d: %d Wyckoff positions computed, ITA has %d",
                            w->hall, w->count, n);
    xs_synth_wyckoff_position *ordered = malloc((size_t)n * sizeof *ordered);
    unsigned char *used = calloc((size_t)n, 1);
    xs_status st = XS_OK;
    if (!ordered || !used) {
        st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    const double generic[3] = {0.1372, 0.2613, 0.3891}; /* no special value, no coincidence with a symmetry */
    for (int r = 0; r < n; r++) {
        const xs_synth_ita_position *ita = &xs_synth_ita_positions[first + r];
        int n_free = 0;
        for (int j = 0; j < 3; j++) n_free += ita_uses(ita, j);
        double x[3];
        for (int i = 0; i < 3; i++) {
            x[i] = ita->constant[i];
            for (int j = 0; j < 3; j++) x[i] += ita->coef[i][j] * generic[j];
            x[i] -= floor(x[i]);
        }
        int found = -1, member = 0;
        double prm[3];
        for (int q = 0; q < n && found < 0; q++) {
            const xs_synth_wyckoff_position *pos = &w->pos[q];
            if (used[q] || pos->multiplicity != ita->multiplicity || pos->n_free != n_free) continue;
            for (int k = 0; k < pos->n_coords && found < 0; k++)
                if (on_member(pos, k, x, prm)) found = q, member = k;
        }
        if (found < 0) {
            st = xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0,
                              "Hall %d: ITA's Wyckoff position %c lies on no computed orbit", w->hall, ita->letter);
            goto done;
        }
        used[found] = 1;
        xs_synth_wyckoff_coord *orbit = w->coords + (w->pos[found].coords - w->coords);
        if (adopt_ita_parameters(&w->pos[found], orbit, member, prm, ita, generic)) {
            st = xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0, "Hall %d: position %c cannot take ITA's parameters",
                              w->hall, ita->letter);
            goto done;
        }
        if (member) { /* the member ITA lists first comes first, as the representative that is printed */
            xs_synth_wyckoff_coord first_member = orbit[member];
            memmove(&orbit[1], &orbit[0], (size_t)member * sizeof first_member);
            orbit[0] = first_member;
        }
        ordered[r] = w->pos[found];
        ordered[r].letter = ita->letter;
        snprintf(ordered[r].site_symmetry_oriented, sizeof ordered[r].site_symmetry_oriented, "%s",
                 ita->site_symmetry);
    }
    memcpy(w->pos, ordered, (size_t)n * sizeof *ordered);
done:
    free(ordered);
    free(used);
    return st;
}

xs_status xs_synth_wyckoff_for_hall(int hall, xs_synth_wyckoff_set **out, xs_error *err)
{
    *out = NULL;
    if (hall < 1 || hall > 530) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "Hall number %d outside 1..530", hall);
    xs_synth_wyckoff_set *w = calloc(1, sizeof *w);
    if (!w) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    w->hall = hall;
    w->n_ops = xs_sym_operations(hall, w->rot, w->trans, MAX_OPS);
    xs_spacegroup sg;
    if (w->n_ops <= 0 || xs_sym_from_hall(hall, &sg, err)) {
        free(w);
        return xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0, "no operations for Hall number %d", hall);
    }
    w->space_group = sg.number;
    for (int g = 0; g < w->n_ops; g++)
        for (int i = 0; i < 3; i++) w->trans[g][i] = wrap01(w->trans[g][i]);

    slist comps = {0}, seen = {0}, kids = {0};
    wpos *pos = NULL;
    size_t n_pos = 0, cap_pos = 0;
    xs_status st = XS_OK;

    /* components of the fixed sets of single operations: (R - I) x = -(t + L) */
    for (int g = 0; g < w->n_ops; g++) {
        const int(*R)[3] = w->rot[g];
        int is_identity = 1;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) is_identity &= R[i][j] == (i == j);
        if (is_identity) continue;
        long long rows[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) rows[i][j] = R[i][j] - (i == j);
        for (int l0 = -2; l0 <= 2; l0++)
            for (int l1 = -2; l1 <= 2; l1++)
                for (int l2 = -2; l2 <= 2; l2++) {
                    double rhs[3] = {-(w->trans[g][0] + l0), -(w->trans[g][1] + l1), -(w->trans[g][2] + l2)};
                    subspace s;
                    if (!subspace_from_equations((const long long(*)[3])rows, rhs, 3, &s)) continue;
                    skey k = subspace_key(&s);
                    if (slist_find(&comps, &k) < 0 && slist_add(&comps, &s, &k)) goto nomem;
                }
    }

    /* general position */
    subspace whole;
    memset(&whole, 0, sizeof whole);
    whole.d = 3;
    subspace_complete(&whole);
    cap_pos = 32;
    pos = malloc(cap_pos * sizeof *pos);
    if (!pos) goto nomem;
    if (add_orbit(w, &whole, &seen, &pos[n_pos++])) goto nomem;

    /* breadth first over orbit representatives */
    for (size_t q = 0; q < n_pos; q++) {
        subspace a = pos[q].rep;
        kids.n = 0;
        if (a.d == 3) {
            for (size_t i = 0; i < comps.n; i++)
                if (slist_add(&kids, &comps.s[i], &comps.k[i])) goto nomem;
        } else {
            for (size_t i = 0; i < comps.n; i++)
                if (intersect_all(&a, &comps.s[i], &kids)) goto nomem;
        }
        for (size_t i = 0; i < kids.n; i++) {
            if (slist_find(&seen, &kids.k[i]) >= 0) continue;
            if (n_pos == cap_pos) {
                cap_pos *= 2;
                wpos *np = realloc(pos, cap_pos * sizeof *np);
                if (!np) goto nomem;
                pos = np;
            }
            if (add_orbit(w, &kids.s[i], &seen, &pos[n_pos++])) goto nomem;
        }
    }

    /* orbits as coordinate triplets */
    size_t total = 0;
    for (size_t i = 0; i < n_pos; i++) total += (size_t)pos[i].mult;
    w->pos = calloc(n_pos, sizeof *w->pos);
    w->coords = calloc(total, sizeof *w->coords);
    if (!w->pos || !w->coords) goto nomem;
    w->count = (int)n_pos;
    size_t at = 0;
    for (size_t i = 0; i < n_pos; i++) {
        const wpos *p = &pos[i];
        xs_synth_wyckoff_position *o = &w->pos[i];
        o->multiplicity = p->mult;
        o->site_order = p->site_order;
        memcpy(o->site_symmetry, p->site, sizeof o->site_symmetry);
        o->n_free = p->rep.d;
        memcpy(o->free_param, p->free_param, sizeof o->free_param);
        xs_synth_wyckoff_coord *cs = &w->coords[at];
        int n = 0;
        for (int g = 0; g < w->n_ops && n <= p->mult; g++) {
            xs_synth_wyckoff_coord c;
            for (int r = 0; r < 3; r++) {
                double v = w->trans[g][r];
                for (int j = 0; j < 3; j++) {
                    v += w->rot[g][r][j] * p->c[j];
                    c.coef[r][j] = 0;
                    for (int k = 0; k < 3; k++) c.coef[r][j] += w->rot[g][r][k] * p->coef[k][j];
                }
                c.constant[r] = wrap01(v);
            }
            int dup = 0;
            for (int e = 0; e < n && !dup; e++) {
                int same = !memcmp(cs[e].coef, c.coef, sizeof c.coef);
                for (int r = 0; r < 3 && same; r++) {
                    double dd = fabs(cs[e].constant[r] - c.constant[r]);
                    same = dd < 1e-6 || dd > 1 - 1e-6;
                }
                dup = same;
            }
            if (dup) continue;
            if (n == p->mult) { /* more distinct images than the multiplicity: inconsistent */
                n++;
                break;
            }
            cs[n++] = c;
        }
        if (n != p->mult) {
            st = xs_error_set(err, XS_ERR_SYMMETRY, NULL, 0, 0,
                              "Hall %d: an orbit of multiplicity %d has %d coordinate triplets", hall, p->mult, n);
            goto fail;
        }
        o->n_coords = n;
        o->coords = cs;
        at += (size_t)n;
    }
    if ((st = order_as_ita(w, err))) goto fail;
    slist_free(&comps);
    slist_free(&seen);
    slist_free(&kids);
    free(pos);
    *out = w;
    return XS_OK;
nomem:
    st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
fail:
    slist_free(&comps);
    slist_free(&seen);
    slist_free(&kids);
    free(pos);
    xs_synth_wyckoff_free(w);
    return st;
}

void xs_synth_wyckoff_free(xs_synth_wyckoff_set *w)
{
    if (!w) return;
    free(w->pos);
    free(w->coords);
    free(w);
}

static xs_synth_wyckoff_set *g_cache[231];
static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;

xs_status xs_synth_wyckoff(int space_group, const xs_synth_wyckoff_set **out, xs_error *err)
{
    *out = NULL;
    if (space_group < 1 || space_group > 230)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "space group %d outside 1..230", space_group);
    pthread_mutex_lock(&g_cache_lock);
    xs_status st = XS_OK;
    if (!g_cache[space_group]) st = xs_synth_wyckoff_for_hall(xs_sym_default_hall(space_group), &g_cache[space_group], err);
    *out = g_cache[space_group];
    pthread_mutex_unlock(&g_cache_lock);
    return st;
}

int xs_synth_wyckoff_hall(const xs_synth_wyckoff_set *w) { return w->hall; }
int xs_synth_wyckoff_space_group(const xs_synth_wyckoff_set *w) { return w->space_group; }
int xs_synth_wyckoff_count(const xs_synth_wyckoff_set *w) { return w->count; }

const xs_synth_wyckoff_position *xs_synth_wyckoff_get(const xs_synth_wyckoff_set *w, int index)
{
    return index >= 0 && index < w->count ? &w->pos[index] : NULL;
}

const xs_synth_wyckoff_position *xs_synth_wyckoff_by_letter(const xs_synth_wyckoff_set *w, char letter)
{
    for (int i = 0; i < w->count; i++)
        if (w->pos[i].letter == letter) return &w->pos[i];
    return NULL;
}

int xs_synth_wyckoff_operations(const xs_synth_wyckoff_set *w, const int (**rotations)[3][3],
                                const double (**translations)[3])
{
    *rotations = (const int(*)[3][3])w->rot;
    *translations = (const double(*)[3])w->trans;
    return w->n_ops;
}

void xs_synth_wyckoff_eval(const xs_synth_wyckoff_position *pos, int k, const double p[3], double frac[3])
{
    const xs_synth_wyckoff_coord *c = &pos->coords[k];
    for (int i = 0; i < 3; i++) {
        double v = c->constant[i];
        for (int j = 0; j < 3; j++)
            if (pos->free_param[j]) v += c->coef[i][j] * p[j];
        frac[i] = v - floor(v);
        if (frac[i] >= 1.0) frac[i] = 0.0;
    }
}

/* Smallest denominator q <= 48 with v = p/q. */
static void fraction(double v, int *num, int *den)
{
    for (int q = 1; q <= 48; q++) {
        double p = v * q;
        if (fabs(p - nearbyint(p)) < 1e-6) {
            *num = (int)nearbyint(p);
            *den = q;
            return;
        }
    }
    *num = (int)nearbyint(v * 48);
    *den = 48;
}

void xs_synth_wyckoff_format(const xs_synth_wyckoff_position *pos, int k, char *buf, size_t size)
{
    static const char names[3] = {'x', 'y', 'z'};
    const xs_synth_wyckoff_coord *c = &pos->coords[k];
    char out[128];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        int any = 0;
        for (int j = 0; j < 3; j++) {
            int a = pos->free_param[j] ? c->coef[i][j] : 0;
            if (!a) continue;
            if (a < 0) out[n++] = '-';
            else if (any) out[n++] = '+';
            if (abs(a) != 1) n += (size_t)snprintf(out + n, sizeof out - n, "%d", abs(a));
            out[n++] = names[j];
            any = 1;
        }
        int num, den;
        fraction(c->constant[i], &num, &den);
        if (num) n += (size_t)snprintf(out + n, sizeof out - n, "%s%d/%d", any ? "+" : "", num, den);
        else if (!any) out[n++] = '0';
        if (i < 2) out[n++] = ',';
    }
    out[n] = 0;
    if (size) snprintf(buf, size, "%s", out);
}
