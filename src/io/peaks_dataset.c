/* Peaks dataset files (HDF5): writer with duplicate removal and a seeded, stratified split; in-memory reader.
 * Layout and rules: include/xrdsym/xs_dataset.h. */
#include "xrdsym/xs_dataset.h"
#include "xrdsym/xs_symmetry.h"

#include "common/files.h"
#include "common/rng.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------ */
/* small helpers */

/* Growable string arena: strings are stored NUL-terminated and referred to by offset. */
typedef struct {
    char *buf;
    size_t len, cap;
} str_arena;

static int arena_add(str_arena *a, const char *s, size_t *off)
{
    size_t n = strlen(s) + 1;
    if (a->len + n > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n) cap *= 2;
        char *p = realloc(a->buf, cap);
        if (!p) return -1;
        a->buf = p;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, s, n);
    *off = a->len;
    a->len += n;
    return 0;
}

/* Ensure *p (elements of size el) holds at least need elements; doubles the capacity. */
static int grow(void **p, size_t *cap, size_t need, size_t el)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * el);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* writer */

struct xs_dataset_writer {
    char *path, *tmp_path;
    char *target; /* where the file lands: path, or the file a link at path points to */
    double wavelength, tmin, tmax;
    char *generator;
    /* per crystal */
    size_t n, cap;
    int32_t *sg;
    int32_t *n_atoms;
    double *lattice; /* 6 per crystal */
    size_t *formula_off, *source_off;
    int64_t *offset; /* n+1 */
    str_arena strings;
    /* per peak */
    size_t m, mcap_tt, mcap_in;
    float *tt, *in;
    /* scratch for sorting peaks on add */
    struct peak_pair *scratch;
    size_t scratch_cap;
    int keep_duplicates;
};

void xs_dataset_writer_keep_duplicates(xs_dataset_writer *w, int keep)
{
    if (w) w->keep_duplicates = keep != 0;
}

struct peak_pair {
    double tt, in;
};

static int cmp_pair_tt(const void *a, const void *b)
{
    double x = ((const struct peak_pair *)a)->tt, y = ((const struct peak_pair *)b)->tt;
    return (x > y) - (x < y);
}

static void writer_free(xs_dataset_writer *w)
{
    if (!w) return;
    free(w->path);
    free(w->target);
    free(w->tmp_path);
    free(w->generator);
    free(w->sg);
    free(w->n_atoms);
    free(w->lattice);
    free(w->formula_off);
    free(w->source_off);
    free(w->offset);
    free(w->strings.buf);
    free(w->tt);
    free(w->in);
    free(w->scratch);
    free(w);
}

static atomic_uint tmp_counter;

xs_status xs_dataset_writer_create(const char *path, double wavelength, double two_theta_min,
                                   double two_theta_max, const char *generator, xs_dataset_writer **out,
                                   xs_error *err)
{
    if (out) *out = NULL;
    if (!path || !*path || !out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "dataset writer: no path given");
    if (!(wavelength >= 0.05 && wavelength <= 5.0))
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "dataset writer: wavelength %g A is outside 0.05..5",
                            wavelength);
    if (!(two_theta_min >= 0.0 && two_theta_max <= 180.0 && two_theta_min < two_theta_max))
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0,
                            "dataset writer: 2theta range %g..%g deg is not 0 <= min < max <= 180", two_theta_min,
                            two_theta_max);
    xs_dataset_writer *w = calloc(1, sizeof *w);
    if (!w) return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    int regular = 1;
    w->path = strdup(path);
    w->target = xs_file_write_target(path, &regular);
    if (w->target && !regular) {
        writer_free(w);
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "a device, pipe or socket: a dataset is written to a file");
    }
    w->generator = strdup(generator ? generator : "");
    w->wavelength = wavelength;
    w->tmin = two_theta_min;
    w->tmax = two_theta_max;
    size_t tl = (w->target ? strlen(w->target) : 0) + 64;
    w->tmp_path = malloc(tl);
    w->offset = malloc(sizeof *w->offset);
    if (!w->path || !w->target || !w->generator || !w->tmp_path || !w->offset) {
        writer_free(w);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    w->offset[0] = 0;
    /* Reserve the temporary file now, so that an unwritable folder fails early. The mode honours umask. */
    for (int attempt = 0;; attempt++) {
        snprintf(w->tmp_path, tl, "%s.%ld.%u.tmp", w->target, (long)getpid(), atomic_fetch_add(&tmp_counter, 1u));
        int fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            close(fd);
            break;
        }
        if (errno != EEXIST || attempt > 1000) {
            int e = errno;
            xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot create a temporary file next to it (%s): %s",
                         w->tmp_path, strerror(e));
            writer_free(w);
            return XS_ERR_IO;
        }
    }
    *out = w;
    return XS_OK;
}

size_t xs_dataset_writer_count(const xs_dataset_writer *w) { return w ? w->n : 0; }

xs_status xs_dataset_writer_add(xs_dataset_writer *w, const xs_dataset_entry *e, xs_error *err)
{
    if (!w || !e) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "dataset writer: NULL argument");
    const char *formula = e->formula ? e->formula : "";
    if (e->space_group < 1 || e->space_group > 230)
        return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): space group %d is not 1..230", w->n,
                            formula, e->space_group);
    for (int k = 0; k < 6; k++)
        if (!(isfinite(e->lattice_params[k]) && e->lattice_params[k] > 0.0) ||
            (k >= 3 && !(e->lattice_params[k] < 180.0)))
            return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): lattice parameter %d is %g", w->n,
                                formula, k, e->lattice_params[k]);
    if (e->n_atoms < 0)
        return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): n_atoms %d is negative", w->n, formula,
                            e->n_atoms);
    if (e->n_peaks == 0 || !e->two_theta || !e->intensity)
        return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): no peaks", w->n, formula);
    double imax = 0.0;
    for (size_t k = 0; k < e->n_peaks; k++) {
        double t = e->two_theta[k], in = e->intensity[k];
        if (!isfinite(t) || t < w->tmin || t > w->tmax)
            return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0,
                                "entry %zu (%s): peak %zu at 2theta %g is outside the file's range %g..%g", w->n,
                                formula, k, t, w->tmin, w->tmax);
        if (!isfinite(in) || in < 0.0)
            return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): peak %zu has intensity %g", w->n,
                                formula, k, in);
        if (in > imax) imax = in;
    }
    if (!(imax > 0.0))
        return xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0, "entry %zu (%s): every peak has zero intensity", w->n,
                            formula);

    /* grow the per-crystal arrays together */
    if (w->n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        int32_t *sg = realloc(w->sg, cap * sizeof *sg);
        if (sg) w->sg = sg;
        int32_t *na = realloc(w->n_atoms, cap * sizeof *na);
        if (na) w->n_atoms = na;
        double *lat = realloc(w->lattice, cap * 6 * sizeof *lat);
        if (lat) w->lattice = lat;
        size_t *fo = realloc(w->formula_off, cap * sizeof *fo);
        if (fo) w->formula_off = fo;
        size_t *so = realloc(w->source_off, cap * sizeof *so);
        if (so) w->source_off = so;
        int64_t *of = realloc(w->offset, (cap + 1) * sizeof *of);
        if (of) w->offset = of;
        if (!sg || !na || !lat || !fo || !so || !of) return xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
        w->cap = cap;
    }
    if (grow((void **)&w->tt, &w->mcap_tt, w->m + e->n_peaks, sizeof(float)) ||
        grow((void **)&w->in, &w->mcap_in, w->m + e->n_peaks, sizeof(float)) ||
        grow((void **)&w->scratch, &w->scratch_cap, e->n_peaks, sizeof(struct peak_pair)))
        return xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
    size_t fo, so;
    size_t old_len = w->strings.len;
    if (arena_add(&w->strings, formula, &fo) || arena_add(&w->strings, e->source ? e->source : "", &so)) {
        w->strings.len = old_len;
        return xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
    }

    for (size_t k = 0; k < e->n_peaks; k++) {
        w->scratch[k].tt = e->two_theta[k];
        w->scratch[k].in = e->intensity[k];
    }
    qsort(w->scratch, e->n_peaks, sizeof *w->scratch, cmp_pair_tt);
    double scale = 100.0 / imax;
    for (size_t k = 0; k < e->n_peaks; k++) {
        w->tt[w->m + k] = (float)w->scratch[k].tt;
        w->in[w->m + k] = (float)(w->scratch[k].in * scale);
    }
    size_t i = w->n;
    w->sg[i] = e->space_group;
    w->n_atoms[i] = e->n_atoms;
    memcpy(w->lattice + 6 * i, e->lattice_params, 6 * sizeof(double));
    w->formula_off[i] = fo;
    w->source_off[i] = so;
    w->m += e->n_peaks;
    w->offset[i + 1] = (int64_t)w->m;
    w->n++;
    return XS_OK;
}

void xs_dataset_writer_abort(xs_dataset_writer *w)
{
    if (!w) return;
    if (w->tmp_path) unlink(w->tmp_path);
    writer_free(w);
}

/* ---- duplicate removal ---- */

/* The strongest min(n, K) peaks of a crystal sorted by position: the duplicate signature. */
typedef struct {
    int n;
    float tt[XS_DATASET_DEDUPE_PEAKS], in[XS_DATASET_DEDUPE_PEAKS];
} dedupe_sig;

static void make_sig(const float *tt, const float *in, size_t n, dedupe_sig *s)
{
    /* Selection of the K strongest (ties: lower angle first) by insertion into a sorted list; n ~ 100. */
    int k = 0;
    int idx[XS_DATASET_DEDUPE_PEAKS];
    for (size_t j = 0; j < n; j++) {
        int pos = k;
        while (pos > 0 && in[idx[pos - 1]] < in[j]) pos--;
        if (pos >= XS_DATASET_DEDUPE_PEAKS) continue;
        int last = k < XS_DATASET_DEDUPE_PEAKS ? k : XS_DATASET_DEDUPE_PEAKS - 1;
        for (int q = last; q > pos; q--) idx[q] = idx[q - 1];
        idx[pos] = (int)j;
        if (k < XS_DATASET_DEDUPE_PEAKS) k++;
    }
    /* idx holds peak indices by intensity; the peaks are stored by position, so sorting indices sorts them */
    for (int a = 1; a < k; a++) {
        int v = idx[a], b = a;
        while (b > 0 && idx[b - 1] > v) {
            idx[b] = idx[b - 1];
            b--;
        }
        idx[b] = v;
    }
    s->n = k;
    for (int a = 0; a < k; a++) {
        s->tt[a] = tt[idx[a]];
        s->in[a] = in[idx[a]];
    }
}

static int sig_equal(const dedupe_sig *a, const dedupe_sig *b)
{
    if (a->n != b->n) return 0;
    for (int k = 0; k < a->n; k++)
        if (fabs((double)a->tt[k] - b->tt[k]) > XS_DATASET_DEDUPE_TOL_DEG ||
            fabs((double)a->in[k] - b->in[k]) > XS_DATASET_DEDUPE_TOL_INT)
            return 0;
    return 1;
}

typedef struct {
    int32_t sg;
    float key; /* lowest 2theta of the signature */
    const char *formula;
    size_t idx;
} dedupe_rec;

static int cmp_dedupe(const void *pa, const void *pb)
{
    const dedupe_rec *a = pa, *b = pb;
    if (a->sg != b->sg) return a->sg < b->sg ? -1 : 1;
    int c = strcmp(a->formula, b->formula);
    if (c) return c;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* keep[i] = 1 for the entries to write. Returns the number kept, or (size_t)-1 when out of memory. */
static size_t find_duplicates(const xs_dataset_writer *w, unsigned char *keep)
{
    size_t n = w->n;
    dedupe_rec *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        dedupe_sig s;
        make_sig(w->tt + w->offset[i], w->in + w->offset[i], (size_t)(w->offset[i + 1] - w->offset[i]), &s);
        r[i].sg = w->sg[i];
        r[i].key = s.tt[0];
        r[i].formula = w->strings.buf + w->formula_off[i];
        r[i].idx = i;
        keep[i] = 1;
    }
    qsort(r, n, sizeof *r, cmp_dedupe);
    size_t kept = n;
    for (size_t a = 0; a < n; a++) {
        size_t ia = r[a].idx;
        if (!keep[ia]) continue;
        dedupe_sig sa;
        int have_sa = 0;
        for (size_t b = a + 1; b < n; b++) {
            if (r[b].sg != r[a].sg || strcmp(r[b].formula, r[a].formula) ||
                (double)r[b].key - r[a].key > XS_DATASET_DEDUPE_TOL_DEG)
                break;
            size_t ib = r[b].idx;
            if (!keep[ib]) continue;
            if (!have_sa) {
                make_sig(w->tt + w->offset[ia], w->in + w->offset[ia], (size_t)(w->offset[ia + 1] - w->offset[ia]),
                         &sa);
                have_sa = 1;
            }
            dedupe_sig sb;
            make_sig(w->tt + w->offset[ib], w->in + w->offset[ib], (size_t)(w->offset[ib + 1] - w->offset[ib]), &sb);
            if (sig_equal(&sa, &sb)) {
                /* keep the one added first */
                if (ib < ia) {
                    keep[ia] = 0;
                    kept--;
                    break; /* ia is gone; its remaining window is covered when ib's turn comes or already was */
                }
                keep[ib] = 0;
                kept--;
            }
        }
    }
    free(r);
    return kept;
}

/* ---- split ---- */

/* Stratified, low-discrepancy split of the kept entries (list, in add order) into split[] (per entry). */
static int assign_split(const xs_dataset_writer *w, const size_t *list, size_t nk, uint64_t seed, double fv,
                        double ft, int8_t *split)
{
    size_t *perm = malloc((nk ? nk : 1) * sizeof *perm);
    size_t *sorted = malloc((nk ? nk : 1) * sizeof *sorted);
    if (!perm || !sorted) {
        free(perm);
        free(sorted);
        return -1;
    }
    xs_rng rng;
    xs_rng_seed(&rng, seed, 0x53504C4954ull /* "SPLIT" */);
    for (size_t i = 0; i < nk; i++) perm[i] = list[i];
    for (size_t i = nk; i > 1; i--) {
        size_t j = (size_t)xs_rng_below(&rng, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    /* stable counting sort by space group */
    size_t count[232] = {0};
    for (size_t i = 0; i < nk; i++) count[w->sg[perm[i]] + 1]++;
    for (int g = 1; g < 232; g++) count[g] += count[g - 1];
    for (size_t i = 0; i < nk; i++) sorted[count[w->sg[perm[i]]]++] = perm[i];
    double c = fv + ft, r = c > 0 ? fv / c : 0.0;
    double u = xs_rng_uniform(&rng), u2 = xs_rng_uniform(&rng);
    size_t q = 0; /* index among held-out entries */
    for (size_t p = 0; p < nk; p++) {
        size_t e = sorted[p];
        int held = floor((double)(p + 1) * c + u) > floor((double)p * c + u);
        if (!held) {
            split[e] = XS_SPLIT_TRAIN;
        } else {
            int val = floor((double)(q + 1) * r + u2) > floor((double)q * r + u2);
            split[e] = val ? XS_SPLIT_VAL : XS_SPLIT_TEST;
            q++;
        }
    }
    free(perm);
    free(sorted);
    return 0;
}

/* ---- HDF5 writing ---- */

static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int write_attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = string_type(), sp = H5Screate(H5S_SCALAR);
    hid_t a = (t >= 0 && sp >= 0) ? H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, t, &value) >= 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return ok ? 0 : -1;
}

static int write_attr_scalar(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, mem_type, value) >= 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return ok ? 0 : -1;
}

/* rank 1 or 2 (cols > 0) numeric dataset, chunked and compressed when non-empty. */
static int write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t rows, size_t cols,
                       const void *data)
{
    hsize_t dims[2] = {rows, cols};
    int rank = cols ? 2 : 1;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (sp < 0 || dcpl < 0) goto fail;
    if (rows > 0) {
        /* ~1 MiB-ish chunks: large enough for fast sequential reads, small enough to compress in cache */
        hsize_t chunk[2] = {rows < 65536 ? rows : 65536, cols};
        if (cols && chunk[0] > 65536 / cols) chunk[0] = 65536 / cols;
        if (H5Pset_chunk(dcpl, rank, chunk) < 0) goto fail;
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, 4);
        }
    }
    hid_t ds = H5Dcreate2(loc, name, file_type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0) goto fail;
    int ok = rows == 0 || H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ok ? 0 : -1;
fail:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return -1;
}

static int write_strings(hid_t loc, const char *name, size_t n, const char **s)
{
    hsize_t dims[1] = {n};
    hid_t t = string_type(), sp = H5Screate_simple(1, dims, NULL);
    hid_t ds = (t >= 0 && sp >= 0) ? H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = ds >= 0 && (n == 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0);
    if (ds >= 0) H5Dclose(ds);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return ok ? 0 : -1;
}

/* Everything in one buffer set, in output order. */
typedef struct {
    size_t n, m;
    int32_t *sg, *n_atoms;
    int8_t *cs, *split;
    double *lattice;
    const char **formula, **source;
    int64_t *offset;
    float *tt, *in;
    int own_peaks; /* tt/in were gathered (free them) or borrowed from the writer */
} out_arrays;

static void out_free(out_arrays *o)
{
    free(o->sg);
    free(o->n_atoms);
    free(o->cs);
    free(o->split);
    free(o->lattice);
    free(o->formula);
    free(o->source);
    free(o->offset);
    if (o->own_peaks) {
        free(o->tt);
        free(o->in);
    }
}

static int gather(const xs_dataset_writer *w, const size_t *list, size_t nk, const int8_t *split_all, out_arrays *o)
{
    memset(o, 0, sizeof *o);
    size_t nn = nk ? nk : 1;
    o->n = nk;
    o->sg = malloc(nn * sizeof *o->sg);
    o->n_atoms = malloc(nn * sizeof *o->n_atoms);
    o->cs = malloc(nn);
    o->split = malloc(nn);
    o->lattice = malloc(nn * 6 * sizeof *o->lattice);
    o->formula = malloc(nn * sizeof *o->formula);
    o->source = malloc(nn * sizeof *o->source);
    o->offset = malloc((nk + 1) * sizeof *o->offset);
    if (!o->sg || !o->n_atoms || !o->cs || !o->split || !o->lattice || !o->formula || !o->source || !o->offset)
        return -1;
    size_t m = 0;
    o->offset[0] = 0;
    for (size_t k = 0; k < nk; k++) {
        size_t i = list[k];
        o->sg[k] = w->sg[i];
        o->n_atoms[k] = w->n_atoms[i];
        o->cs[k] = (int8_t)xs_sym_crystal_system(w->sg[i]);
        o->split[k] = split_all[i];
        memcpy(o->lattice + 6 * k, w->lattice + 6 * i, 6 * sizeof(double));
        o->formula[k] = w->strings.buf + w->formula_off[i];
        o->source[k] = w->strings.buf + w->source_off[i];
        m += (size_t)(w->offset[i + 1] - w->offset[i]);
        o->offset[k + 1] = (int64_t)m;
    }
    o->m = m;
    if (nk == w->n) { /* nothing removed: the writer's peak arrays are already in order */
        o->tt = w->tt;
        o->in = w->in;
        return 0;
    }
    o->own_peaks = 1;
    o->tt = malloc((m ? m : 1) * sizeof(float));
    o->in = malloc((m ? m : 1) * sizeof(float));
    if (!o->tt || !o->in) return -1;
    for (size_t k = 0; k < nk; k++) {
        size_t i = list[k], len = (size_t)(w->offset[i + 1] - w->offset[i]);
        memcpy(o->tt + o->offset[k], w->tt + w->offset[i], len * sizeof(float));
        memcpy(o->in + o->offset[k], w->in + w->offset[i], len * sizeof(float));
    }
    return 0;
}

static int write_file(const xs_dataset_writer *w, const out_arrays *o)
{
    int ok = 0;
    hid_t f = -1, gc = -1, gp = -1;
    H5E_BEGIN_TRY
    {
        f = H5Fcreate(w->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (f >= 0) {
            char created[64];
            time_t now = time(NULL);
            struct tm tmv;
            gmtime_r(&now, &tmv);
            strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
            int version = XS_DATASET_FORMAT_VERSION;
            ok = write_attr_string(f, "format", XS_DATASET_FORMAT) == 0 &&
                 write_attr_scalar(f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version) == 0 &&
                 write_attr_scalar(f, "wavelength", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &w->wavelength) == 0 &&
                 write_attr_scalar(f, "two_theta_min", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &w->tmin) == 0 &&
                 write_attr_scalar(f, "two_theta_max", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &w->tmax) == 0 &&
                 write_attr_string(f, "generator", w->generator) == 0 &&
                 write_attr_string(f, "created", created) == 0;
            gc = ok ? H5Gcreate2(f, "crystals", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
            gp = ok ? H5Gcreate2(f, "peaks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
            ok = ok && gc >= 0 && gp >= 0 &&
                 write_array(gc, "space_group", H5T_STD_I32LE, H5T_NATIVE_INT32, o->n, 0, o->sg) == 0 &&
                 write_array(gc, "crystal_system", H5T_STD_I8LE, H5T_NATIVE_INT8, o->n, 0, o->cs) == 0 &&
                 write_strings(gc, "formula", o->n, o->formula) == 0 &&
                 write_array(gc, "lattice", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, o->n, 6, o->lattice) == 0 &&
                 write_array(gc, "n_atoms", H5T_STD_I32LE, H5T_NATIVE_INT32, o->n, 0, o->n_atoms) == 0 &&
                 write_array(gc, "split", H5T_STD_I8LE, H5T_NATIVE_INT8, o->n, 0, o->split) == 0 &&
                 write_strings(gc, "source", o->n, o->source) == 0 &&
                 write_array(gp, "offset", H5T_STD_I64LE, H5T_NATIVE_INT64, o->n + 1, 0, o->offset) == 0 &&
                 write_array(gp, "two_theta", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, o->m, 0, o->tt) == 0 &&
                 write_array(gp, "intensity", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, o->m, 0, o->in) == 0;
            if (gc >= 0) H5Gclose(gc);
            if (gp >= 0) H5Gclose(gp);
            if (H5Fclose(f) < 0) ok = 0;
        }
    }
    H5E_END_TRY;
    return ok ? 0 : -1;
}

xs_status xs_dataset_writer_close_ex(xs_dataset_writer *w, uint64_t split_seed, double frac_val, double frac_test,
                                     size_t *n_kept, xs_error *err)
{
    if (n_kept) *n_kept = 0;
    if (!w) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "dataset writer: NULL writer");
    xs_status st = XS_OK;
    unsigned char *keep = NULL;
    size_t *list = NULL;
    int8_t *split = NULL;
    out_arrays o;
    memset(&o, 0, sizeof o);
    if (!(frac_val >= 0.0 && frac_test >= 0.0 && frac_val + frac_test <= 1.0)) {
        st = xs_error_set(err, XS_ERR_INVALID, w->path, 0, 0,
                          "split fractions val %g, test %g: each must be >= 0 and their sum <= 1", frac_val, frac_test);
        goto done;
    }
    size_t nn = w->n ? w->n : 1;
    keep = malloc(nn);
    list = malloc(nn * sizeof *list);
    split = malloc(nn);
    if (!keep || !list || !split) {
        st = xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
        goto done;
    }
    size_t nk = w->n;
    if (w->keep_duplicates) memset(keep, 1, nn);
    else nk = find_duplicates(w, keep);
    if (nk == (size_t)-1) {
        st = xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++)
        if (keep[i]) list[k++] = i;
    if (assign_split(w, list, nk, split_seed, frac_val, frac_test, split) || gather(w, list, nk, split, &o)) {
        st = xs_error_set(err, XS_ERR_NOMEM, w->path, 0, 0, "out of memory");
        goto done;
    }
    if (write_file(w, &o)) {
        st = xs_error_set(err, XS_ERR_IO, w->path, 0, 0, "writing the HDF5 file %s failed (disk full or unwritable?)",
                          w->tmp_path);
        goto done;
    }
    /* flush to disk before the rename so that a crash never leaves a renamed but empty file */
    int fd = open(w->tmp_path, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    if (rename(w->tmp_path, w->target) != 0) {
        int e = errno;
        st = xs_error_set(err, XS_ERR_IO, w->path, 0, 0, "cannot rename %s to it: %s", w->tmp_path, strerror(e));
        goto done;
    }
    if (n_kept) *n_kept = nk;
done:
    out_free(&o);
    free(keep);
    free(list);
    free(split);
    if (st != XS_OK) unlink(w->tmp_path);
    writer_free(w);
    return st;
}

xs_status xs_dataset_writer_close(xs_dataset_writer *w, uint64_t split_seed, double frac_val, double frac_test,
                                  xs_error *err)
{
    return xs_dataset_writer_close_ex(w, split_seed, frac_val, frac_test, NULL, err);
}

/* ------------------------------------------------------------------------------------------------ */
/* reader */

struct xs_dataset {
    size_t n, m;
    int32_t *sg, *n_atoms;
    int8_t *cs, *split;
    double *lattice;
    size_t *formula_off, *source_off;
    str_arena strings;
    int64_t *offset;
    float *tt, *in;
    double wavelength, tmin, tmax;
    int version;
    char *generator, *created;
    size_t count_split[3];
};

void xs_dataset_free(xs_dataset *d)
{
    if (!d) return;
    free(d->sg);
    free(d->n_atoms);
    free(d->cs);
    free(d->split);
    free(d->lattice);
    free(d->formula_off);
    free(d->source_off);
    free(d->strings.buf);
    free(d->offset);
    free(d->tt);
    free(d->in);
    free(d->generator);
    free(d->created);
    free(d);
}

/* Read a scalar string attribute (fixed or variable length) into a malloc'd string; NULL if absent/bad. */
static char *read_attr_string(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0) return NULL;
    char *res = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            hid_t mt = string_type();
            char *v = NULL;
            if (H5Aread(a, mt, &v) >= 0 && v) {
                res = strdup(v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            size_t sz = H5Tget_size(t);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, sz + 1);
            res = calloc(sz + 2, 1);
            if (res && H5Aread(a, mt, res) < 0) {
                free(res);
                res = NULL;
            }
            H5Tclose(mt);
        }
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return res;
}

static int read_attr_num(hid_t obj, const char *name, hid_t mem_type, void *value)
{
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t sp = H5Aget_space(a);
    int ok = sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, mem_type, value) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Aclose(a);
    return ok ? 0 : -1;
}

/* Read a numeric dataset of shape [rows] (cols == 0) or [rows, cols] into a new buffer. rows == (size_t)-1
 * accepts any length and reports it in *rows_out. Returns NULL on a missing or misshapen dataset. */
static void *read_array(hid_t f, const char *name, hid_t mem_type, size_t el, size_t rows, size_t cols,
                        size_t *rows_out, char *why, size_t why_size)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        snprintf(why, why_size, "it has no dataset %s", name);
        return NULL;
    }
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    void *buf = NULL;
    hsize_t dims[2] = {0, 0};
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank != (cols ? 2 : 1) || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        (rows != (size_t)-1 && dims[0] != rows) || (cols && dims[1] != cols)) {
        snprintf(why, why_size, "dataset %s has shape [%llu%s%llu] where [%zu%s%zu] is expected", name,
                 (unsigned long long)dims[0], rank == 2 ? "," : "", (unsigned long long)(rank == 2 ? dims[1] : 0),
                 rows, cols ? "," : "", cols);
        goto out;
    }
    size_t count = (size_t)dims[0] * (cols ? cols : 1);
    buf = malloc(count ? count * el : 1);
    if (!buf) {
        snprintf(why, why_size, "out of memory reading %s", name);
        goto out;
    }
    if (count && H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        snprintf(why, why_size, "dataset %s cannot be read (damaged file or wrong type)", name);
        free(buf);
        buf = NULL;
        goto out;
    }
    if (rows_out) *rows_out = (size_t)dims[0];
out:
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    return buf;
}

/* Read a string dataset of n entries (fixed or variable length) into the arena; offsets into off[]. */
static int read_strings(hid_t f, const char *name, size_t n, str_arena *a, size_t *off, char *why, size_t why_size)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        snprintf(why, why_size, "it has no dataset %s", name);
        return -1;
    }
    int ok = 0;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    hsize_t dims[1] = {0};
    if (sp < 0 || t < 0 || H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        dims[0] != n || H5Tget_class(t) != H5T_STRING) {
        snprintf(why, why_size, "dataset %s is not %zu strings", name, n);
        goto out;
    }
    if (n == 0) {
        ok = 1;
        goto out;
    }
    if (H5Tis_variable_str(t) > 0) {
        hid_t mt = string_type();
        char **v = calloc(n, sizeof *v);
        if (v && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            ok = 1;
            for (size_t i = 0; i < n && ok; i++)
                if (arena_add(a, v[i] ? v[i] : "", &off[i])) ok = 0;
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        free(v);
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(t);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        char *v = malloc(n * (sz + 1));
        if (v && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            ok = 1;
            for (size_t i = 0; i < n && ok; i++) {
                v[i * (sz + 1) + sz] = 0;
                if (arena_add(a, v + i * (sz + 1), &off[i])) ok = 0;
            }
        }
        free(v);
        H5Tclose(mt);
    }
    if (!ok) snprintf(why, why_size, "dataset %s cannot be read", name);
out:
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    return ok ? 0 : -1;
}

/* Everything after the file is open. Returns XS_OK or fills err. */
static xs_status load(hid_t f, const char *path, xs_dataset *d, xs_error *err)
{
    char why[512] = "";
    char *fmt = read_attr_string(f, "format");
    if (!fmt || strcmp(fmt, XS_DATASET_FORMAT) != 0) {
        xs_status st = xs_error_set(err, XS_ERR_PARSE, path, 0, 0,
                                    "not an xrdsym peaks dataset: its 'format' attribute is %s%s%s (expected \"%s\")",
                                    fmt ? "\"" : "", fmt ? fmt : "absent", fmt ? "\"" : "", XS_DATASET_FORMAT);
        free(fmt);
        return st;
    }
    free(fmt);
    if (read_attr_num(f, "format_version", H5T_NATIVE_INT, &d->version))
        return xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "the 'format_version' attribute is missing or not a number");
    if (d->version > XS_DATASET_FORMAT_VERSION || d->version < 1)
        return xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0,
                            "dataset format version %d; this build of xrdsym reads version %d%s", d->version,
                            XS_DATASET_FORMAT_VERSION, d->version > XS_DATASET_FORMAT_VERSION ? " (update xrdsym)" : "");
    if (read_attr_num(f, "wavelength", H5T_NATIVE_DOUBLE, &d->wavelength) ||
        read_attr_num(f, "two_theta_min", H5T_NATIVE_DOUBLE, &d->tmin) ||
        read_attr_num(f, "two_theta_max", H5T_NATIVE_DOUBLE, &d->tmax))
        return xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "an attribute wavelength/two_theta_min/two_theta_max is missing");
    d->generator = read_attr_string(f, "generator");
    d->created = read_attr_string(f, "created");
    if (!d->generator) d->generator = strdup("");
    if (!d->created) d->created = strdup("");

    size_t n = 0, m = 0;
    d->sg = read_array(f, "/crystals/space_group", H5T_NATIVE_INT32, 4, (size_t)-1, 0, &n, why, sizeof why);
    if (!d->sg) goto bad;
    d->n = n;
    if (!(d->cs = read_array(f, "/crystals/crystal_system", H5T_NATIVE_INT8, 1, n, 0, NULL, why, sizeof why)) ||
        !(d->split = read_array(f, "/crystals/split", H5T_NATIVE_INT8, 1, n, 0, NULL, why, sizeof why)) ||
        !(d->n_atoms = read_array(f, "/crystals/n_atoms", H5T_NATIVE_INT32, 4, n, 0, NULL, why, sizeof why)) ||
        !(d->lattice = read_array(f, "/crystals/lattice", H5T_NATIVE_DOUBLE, 8, n, 6, NULL, why, sizeof why)) ||
        !(d->offset = read_array(f, "/peaks/offset", H5T_NATIVE_INT64, 8, n + 1, 0, NULL, why, sizeof why)) ||
        !(d->tt = read_array(f, "/peaks/two_theta", H5T_NATIVE_FLOAT, 4, (size_t)-1, 0, &m, why, sizeof why)) ||
        !(d->in = read_array(f, "/peaks/intensity", H5T_NATIVE_FLOAT, 4, m, 0, NULL, why, sizeof why)))
        goto bad;
    d->m = m;
    d->formula_off = malloc((n ? n : 1) * sizeof(size_t));
    d->source_off = malloc((n ? n : 1) * sizeof(size_t));
    if (!d->formula_off || !d->source_off) return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    if (read_strings(f, "/crystals/formula", n, &d->strings, d->formula_off, why, sizeof why) ||
        read_strings(f, "/crystals/source", n, &d->strings, d->source_off, why, sizeof why))
        goto bad;
    /* consistency */
    if (d->offset[0] != 0 || d->offset[n] != (int64_t)m) {
        snprintf(why, sizeof why, "/peaks/offset runs from %lld to %lld but there are %zu peaks", (long long)d->offset[0],
                 (long long)d->offset[n], m);
        goto bad;
    }
    for (size_t i = 0; i < n; i++) {
        if (d->offset[i + 1] < d->offset[i]) {
            snprintf(why, sizeof why, "/peaks/offset decreases at crystal %zu", i);
            goto bad;
        }
        if (d->sg[i] < 1 || d->sg[i] > 230) {
            snprintf(why, sizeof why, "crystal %zu has space group %d", i, (int)d->sg[i]);
            goto bad;
        }
        if (d->split[i] < 0 || d->split[i] > 2) {
            snprintf(why, sizeof why, "crystal %zu has split %d (0, 1 or 2 expected)", i, (int)d->split[i]);
            goto bad;
        }
        d->count_split[d->split[i]]++;
    }
    for (size_t k = 0; k < m; k++)
        if (!isfinite(d->tt[k]) || !isfinite(d->in[k])) {
            snprintf(why, sizeof why, "peak %zu has a non-finite 2theta or intensity", k);
            goto bad;
        }
    return XS_OK;
bad:
    return xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "damaged xrdsym dataset: %s", why);
}

xs_status xs_dataset_open(const char *path, xs_dataset **out, xs_error *err)
{
    if (out) *out = NULL;
    if (!path || !out) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "dataset open: NULL argument");
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open the dataset: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open the dataset: not a regular file");
    xs_dataset *d = calloc(1, sizeof *d);
    if (!d) return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    xs_status status = XS_OK;
    H5E_BEGIN_TRY
    {
        htri_t is = H5Fis_hdf5(path);
        hid_t f = is > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
        if (f < 0) {
            status = xs_error_set(err, XS_ERR_IO, path, 0, 0, "not an HDF5 file (or it is truncated or unreadable)");
        } else {
            status = load(f, path, d, err);
            H5Fclose(f);
        }
    }
    H5E_END_TRY;
    if (status != XS_OK) {
        xs_dataset_free(d);
        return status;
    }
    *out = d;
    return XS_OK;
}

size_t xs_dataset_count(const xs_dataset *d) { return d ? d->n : 0; }
size_t xs_dataset_select(const xs_dataset *d, int split, size_t limit, size_t *idx)
{
    size_t n = 0, n_all = xs_dataset_count(d);
    for (size_t i = 0; i < n_all; i++) n += split < 0 || xs_dataset_split(d, i) == split;
    size_t keep = limit && n > limit ? limit : n, rank = 0, k = 0;
    /* crystal `rank` of the split is kept when it is the k-th wanted one, rank = k * n / keep */
    for (size_t i = 0; i < n_all && k < keep; i++) {
        if (!(split < 0 || xs_dataset_split(d, i) == split)) continue;
        if (rank++ == k * n / keep) idx[k++] = i;
    }
    return keep;
}

size_t xs_dataset_count_split(const xs_dataset *d, int split)
{
    return (d && split >= 0 && split <= 2) ? d->count_split[split] : 0;
}
size_t xs_dataset_total_peaks(const xs_dataset *d) { return d ? d->m : 0; }

#define IN_RANGE(d, i) ((d) && (i) < (d)->n)
int xs_dataset_space_group(const xs_dataset *d, size_t i) { return IN_RANGE(d, i) ? d->sg[i] : 0; }
int xs_dataset_crystal_system(const xs_dataset *d, size_t i) { return IN_RANGE(d, i) ? d->cs[i] : -1; }
int xs_dataset_split(const xs_dataset *d, size_t i) { return IN_RANGE(d, i) ? d->split[i] : -1; }
int xs_dataset_n_atoms(const xs_dataset *d, size_t i) { return IN_RANGE(d, i) ? d->n_atoms[i] : -1; }
const char *xs_dataset_formula(const xs_dataset *d, size_t i)
{
    return IN_RANGE(d, i) ? d->strings.buf + d->formula_off[i] : "";
}
const char *xs_dataset_source(const xs_dataset *d, size_t i)
{
    return IN_RANGE(d, i) ? d->strings.buf + d->source_off[i] : "";
}
const double *xs_dataset_lattice(const xs_dataset *d, size_t i) { return IN_RANGE(d, i) ? d->lattice + 6 * i : NULL; }
size_t xs_dataset_peaks(const xs_dataset *d, size_t i, const float **two_theta, const float **intensity)
{
    if (!IN_RANGE(d, i)) {
        if (two_theta) *two_theta = NULL;
        if (intensity) *intensity = NULL;
        return 0;
    }
    if (two_theta) *two_theta = d->tt + d->offset[i];
    if (intensity) *intensity = d->in + d->offset[i];
    return (size_t)(d->offset[i + 1] - d->offset[i]);
}
double xs_dataset_wavelength(const xs_dataset *d) { return d ? d->wavelength : NAN; }
double xs_dataset_two_theta_min(const xs_dataset *d) { return d ? d->tmin : NAN; }
double xs_dataset_two_theta_max(const xs_dataset *d) { return d ? d->tmax : NAN; }
/* FNV-1a, 64 bits, one little-endian word at a time. */
static uint64_t fnv1a_word(uint64_t h, uint64_t word)
{
    for (int b = 0; b < 8; b++) {
        h ^= (word >> (8 * b)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t xs_dataset_split_digest(const xs_dataset *d)
{
    /* over the count and each crystal's group, split and peak count: enough to tell two files of one command
     * apart when their crystals or their split differ, cheap for 10^6 crystals */
    if (!d) return 0;
    uint64_t h = fnv1a_word(0xcbf29ce484222325ULL, (uint64_t)d->n);
    for (size_t i = 0; i < d->n; i++) {
        h = fnv1a_word(h, (uint64_t)(uint32_t)d->sg[i]);
        h = fnv1a_word(h, (uint64_t)(uint8_t)d->split[i]);
        h = fnv1a_word(h, (uint64_t)(d->offset[i + 1] - d->offset[i]));
    }
    return h;
}

const char *xs_dataset_generator(const xs_dataset *d) { return d && d->generator ? d->generator : ""; }
const char *xs_dataset_created(const xs_dataset *d) { return d && d->created ? d->created : ""; }
int xs_dataset_format_version(const xs_dataset *d) { return d ? d->version : 0; }
