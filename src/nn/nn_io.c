/* Model and ensemble files (HDF5, layout in xs_nn.h), and ensembles. */
#include <float.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/files.h"
#include "nn/nn_internal.h"

#define XS_NN_FORMAT "xrdsym-model"
#define XS_NN_ENSEMBLE_FORMAT "xrdsym-ensemble"
#define XS_NN_FORMAT_VERSION 1

/* ---- small HDF5 helpers: each returns 0 on success ---- */
static hid_t h5_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Scalar attribute; a string when ftype < 0 (value is then a const char *). */
static int put_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value)
{
    hid_t st = ftype < 0 ? h5_str_type() : -1, sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = -1;
    if (sp >= 0 && (ftype >= 0 || st >= 0)) a = H5Acreate2(obj, name, ftype < 0 ? st : ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) rc = ftype < 0 ? H5Awrite(a, st, &value) : H5Awrite(a, mtype, value);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (st >= 0) H5Tclose(st);
    return rc < 0 ? -1 : 0;
}
static int put_str(hid_t o, const char *name, const char *v) { return put_attr(o, name, -1, -1, v); }
static int put_int(hid_t o, const char *name, long long v) { return put_attr(o, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v); }
static int put_u64(hid_t o, const char *name, uint64_t v) { return put_attr(o, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v); }
static int put_dbl(hid_t o, const char *name, double v) { return put_attr(o, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v); }

/* IEEE 754 binary16 as an HDF5 type, built as h5py builds it (so that h5py reads it as numpy float16). The
 * values are converted by float_to_half and half_to_float, not by HDF5 (see there). */
static hid_t h5_half_type(void)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t >= 0 && (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

/* float to binary16 bits, rounded to nearest even; overflow to infinity, NaN kept. Our own because HDF5's
 * float-to-float conversion (1.10.8 here) loses the carry when rounding up a mantissa of all ones: 0.12498
 * became 0.0625 (measured by tests/test_nn_model.c). */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, mag = x & 0x7fffffffu;
    if (mag > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);          /* NaN */
    if (mag >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);         /* rounds to >= 65520: infinity */
    if (mag < 0x38800000u) {                                           /* below 2^-14: subnormal or zero */
        if (mag < 0x33000000u) return (uint16_t)sign;                  /* below half of 2^-24 */
        uint32_t e = mag >> 23, m = (mag & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e;                                      /* 14 + 23 - (e - 127) - 10 */
        uint32_t h = m >> shift, rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((mag >> 13) - (112u << 10)), rest = mag & 0x1fffu;     /* rebias 127 -> 15 */
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;            /* a carry into the exponent is right */
    return (uint16_t)(sign | h);
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 31) {
        x = sign | 0x7f800000u | (m << 13); /* infinity, NaN */
    } else if (e) {
        x = sign | ((e + 112u) << 23) | (m << 13);
    } else {
        float f = (float)m * 0x1p-24f; /* subnormal or zero: exact in float */
        memcpy(&x, &f, sizeof x);
        x |= sign;
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static int put_floats(hid_t loc, const char *name, const float *data, int ndim, const int *dims, int half)
{
    hsize_t d[3], n = 1;
    for (int i = 0; i < ndim; i++) n *= d[i] = (hsize_t)dims[i];
    uint16_t *bits = half ? malloc((size_t)(n ? n : 1) * sizeof *bits) : NULL;
    if (half && !bits) return -1;
    for (hsize_t i = 0; half && i < n; i++) bits[i] = float_to_half(data[i]);
    hid_t sp = H5Screate_simple(ndim, d, NULL);
    hid_t ft = half ? h5_half_type() : H5Tcopy(H5T_IEEE_F32LE);
    hid_t ds = sp >= 0 && ft >= 0 ? H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = ds >= 0 && (half ? H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits)
                              : H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data)) >= 0;
    if (ds >= 0) H5Dclose(ds);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    free(bits);
    return ok ? 0 : -1;
}

static char *get_str(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0) return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    char *res = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        hid_t mt = -1;
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            mt = h5_str_type();
            if (mt >= 0 && H5Aread(a, mt, &v) >= 0 && v) {
                res = strdup(v);
                H5free_memory(v);
            }
        } else {
            size_t n = H5Tget_size(t);
            mt = H5Tcopy(H5T_C_S1);
            res = calloc(n + 2, 1);
            if (res && (mt < 0 || H5Tset_size(mt, n + 1) < 0 || H5Aread(a, mt, res) < 0)) {
                free(res);
                res = NULL;
            }
        }
        if (mt >= 0) H5Tclose(mt);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return res;
}

static int get_num(hid_t obj, const char *name, hid_t mtype, void *value)
{
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), sp = a >= 0 ? H5Aget_space(a) : -1;
    int ok = sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, mtype, value) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (a >= 0) H5Aclose(a);
    return ok ? 0 : -1;
}

/* Read a float dataset whose shape must be exactly dims. */
static int get_floats(hid_t loc, const char *name, float *data, int ndim, const int *dims)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT), sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t d[3] = {0, 0, 0};
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == ndim && H5Sget_simple_extent_dims(sp, d, NULL) == ndim;
    hsize_t n = 1;
    for (int i = 0; ok && i < ndim; i++) {
        ok = d[i] == (hsize_t)dims[i];
        n *= d[i];
    }
    /* binary16 widened by us: HDF5's widening takes 85 ns a weight (0.65 s for the shipped model); any other
     * float type is left to HDF5's conversion */
    hid_t ft = ds >= 0 ? H5Dget_type(ds) : -1, half_t = h5_half_type();
    int half = ft >= 0 && half_t >= 0 && H5Tequal(ft, half_t) > 0;
    if (ok && half) {
        uint16_t *bits = malloc((size_t)(n ? n : 1) * sizeof *bits);
        ok = bits && H5Dread(ds, half_t, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits) >= 0;
        for (hsize_t i = 0; ok && i < n; i++) data[i] = half_to_float(bits[i]);
        free(bits);
    } else {
        ok = ok && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    }
    if (half_t >= 0) H5Tclose(half_t);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    return ok ? 0 : -1;
}

static hid_t make_group(hid_t loc, const char *name) { return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); }

/* "weights/3_dense" etc. for tensor t: group path and dataset name ("W" or "b"). */
static void tensor_path(const xs_nn *net, int t, char *group, size_t size, const char **leaf)
{
    const xs_nn_tensor_slot *s = &net->tensors[t];
    snprintf(group, size, "%d_%s", s->layer, net->L[s->layer].d.type == XS_NN_L_CONV ? "conv" : "dense");
    *leaf = s->ndim == 1 ? "b" : "W";
}

/* Write the arena `data` as <parent>/<layer>_<type>/{W,b}. */
static int put_arena(hid_t parent, const xs_nn *net, const float *data, int half)
{
    int rc = 0;
    for (int t = 0; rc == 0 && t < net->n_tensors; t++) {
        char name[48];
        const char *leaf;
        tensor_path(net, t, name, sizeof name, &leaf);
        hid_t g = H5Lexists(parent, name, H5P_DEFAULT) > 0 ? H5Gopen2(parent, name, H5P_DEFAULT) : make_group(parent, name);
        const xs_nn_tensor_slot *s = &net->tensors[t];
        rc = g >= 0 ? put_floats(g, leaf, data + s->off, s->ndim, s->dims, half) : -1;
        if (g >= 0) H5Gclose(g);
    }
    return rc;
}

static int get_arena(hid_t parent, const xs_nn *net, float *data)
{
    int rc = 0;
    for (int t = 0; rc == 0 && t < net->n_tensors; t++) {
        char name[48];
        const char *leaf;
        tensor_path(net, t, name, sizeof name, &leaf);
        hid_t g = H5Lexists(parent, name, H5P_DEFAULT) > 0 ? H5Gopen2(parent, name, H5P_DEFAULT) : -1;
        const xs_nn_tensor_slot *s = &net->tensors[t];
        rc = g >= 0 ? get_floats(g, leaf, data + s->off, s->ndim, s->dims) : -1;
        if (g >= 0) H5Gclose(g);
    }
    return rc;
}

/* ---- one model into a group (the file root or an ensemble member) ---- */
static int write_model(hid_t root, const xs_nn *net, int flags)
{
    int with_adam = (flags & XS_NN_SAVE_ADAM) != 0, half = (flags & XS_NN_SAVE_HALF) != 0;
    int rc = put_str(root, "format", XS_NN_FORMAT) | put_int(root, "format_version", XS_NN_FORMAT_VERSION) |
             put_str(root, "spec", net->spec) | put_int(root, "n_inputs", net->n_in) |
             put_int(root, "n_classes", net->n_classes) | put_u64(root, "seed", net->seed) |
             put_int(root, "step", net->step) | put_str(root, "loss", net->last_loss) |
             put_str(root, "label_kind", net->label_kind ? net->label_kind : "");
    hid_t g = make_group(root, "grid");
    rc |= g < 0;
    if (g >= 0) {
        rc |= put_dbl(g, "two_theta_start", net->grid.two_theta_start) |
              put_dbl(g, "two_theta_step", net->grid.two_theta_step) | put_int(g, "count", net->grid.count) |
              put_dbl(g, "wavelength", net->grid.wavelength);
        H5Gclose(g);
    }
    g = make_group(root, "meta");
    rc |= g < 0;
    for (int i = 0; g >= 0 && i < net->n_meta; i++) rc |= put_str(g, net->meta[i].key, net->meta[i].value);
    if (g >= 0) H5Gclose(g);
    g = make_group(root, "weights");
    rc |= g < 0 || put_arena(g, net, net->param, half);
    if (g >= 0) H5Gclose(g);
    if (net->labels) {
        hsize_t n = (hsize_t)net->n_classes;
        hid_t t = h5_str_type(), sp = H5Screate_simple(1, &n, NULL);
        hid_t ds = t >= 0 && sp >= 0 ? H5Dcreate2(root, "labels", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        rc |= ds < 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, net->labels) < 0;
        if (ds >= 0) H5Dclose(ds);
        if (sp >= 0) H5Sclose(sp);
        if (t >= 0) H5Tclose(t);
    }
    if (with_adam) {
        g = make_group(root, "adam");
        hid_t m = g >= 0 ? make_group(g, "m") : -1, v = g >= 0 ? make_group(g, "v") : -1;
        rc |= g < 0 || m < 0 || v < 0;
        if (!rc)
            rc |= put_int(g, "t", net->step) | put_int(g, "t0", net->adam_base) | put_dbl(g, "lr", net->lr) | put_dbl(g, "beta1", net->beta1) |
                  put_dbl(g, "beta2", net->beta2) | put_dbl(g, "eps", net->eps) | put_arena(m, net, net->adam_m, 0) |
                  put_arena(v, net, net->adam_v, 0);
        if (m >= 0) H5Gclose(m);
        if (v >= 0) H5Gclose(v);
        if (g >= 0) H5Gclose(g);
    }
    return rc ? -1 : 0;
}

static herr_t meta_cb(hid_t loc, const char *name, const H5A_info_t *info, void *p)
{
    (void)info;
    xs_nn *net = p;
    char *v = get_str(loc, name);
    xs_status st = v ? xs_nn_set_meta(net, name, v, NULL) : XS_ERR_PARSE;
    free(v);
    return st == XS_OK ? 0 : -1;
}

static xs_status read_model(hid_t root, const char *path, xs_nn **out, xs_error *err)
{
    *out = NULL;
#define BAD(...) xs_error_set(err, XS_ERR_PARSE, path, 0, 0, __VA_ARGS__)
    char *fmt = get_str(root, "format"), *spec = get_str(root, "spec");
    long long version = 0, n_in = 0, n_cls = 0, step = 0;
    uint64_t seed = 0;
    xs_status st = XS_OK;
    if (!fmt || strcmp(fmt, XS_NN_FORMAT))
        st = BAD("not an xrdsym model (format attribute '%s', expected '%s')", fmt ? fmt : "absent", XS_NN_FORMAT);
    else if (get_num(root, "format_version", H5T_NATIVE_LLONG, &version) || version != XS_NN_FORMAT_VERSION)
        st = BAD("unsupported model format version %lld (this build reads %d)", version, XS_NN_FORMAT_VERSION);
    else if (!spec || get_num(root, "n_inputs", H5T_NATIVE_LLONG, &n_in) ||
             get_num(root, "n_classes", H5T_NATIVE_LLONG, &n_cls) || get_num(root, "seed", H5T_NATIVE_UINT64, &seed) ||
             get_num(root, "step", H5T_NATIVE_LLONG, &step) || n_in <= 0 || n_in > 100000000 || n_cls <= 0 || step < 0)
        st = BAD("model lacks spec, n_inputs, n_classes, seed or step, or has impossible values");
    free(fmt);
    xs_nn_layer_desc *d = NULL;
    int n = 0, nin = 0;
    xs_nn *net = NULL;
    if (st == XS_OK) {
        xs_error e2 = {0};
        st = xs_nn_spec_parse(spec, (int)n_in, (int)n_cls, &d, &n, &nin, &e2);
        if (st != XS_OK) st = BAD("model spec does not parse: %s", e2.message);
    }
    free(spec);
    if (st == XS_OK) st = xs_nn_create_parsed(d, n, nin, seed, &net, err);
    free(d);
    if (st == XS_OK && net->n_classes != n_cls)
        st = BAD("model says %lld classes but its spec gives %d", n_cls, net->n_classes);
    hid_t g = -1;
    if (st == XS_OK) {
        net->step = (long)step;
        char *loss = get_str(root, "loss"), *kind = get_str(root, "label_kind");
        snprintf(net->last_loss, sizeof net->last_loss, "%s", loss ? loss : "");
        if (kind) {
            free(net->label_kind);
            net->label_kind = kind;
        }
        free(loss);
        g = H5Lexists(root, "weights", H5P_DEFAULT) > 0 ? H5Gopen2(root, "weights", H5P_DEFAULT) : -1;
        if (g < 0 || get_arena(g, net, net->param)) st = BAD("model weights are missing or have the wrong shapes");
        if (g >= 0) H5Gclose(g);
    }
    if (st == XS_OK && H5Lexists(root, "grid", H5P_DEFAULT) > 0 && (g = H5Gopen2(root, "grid", H5P_DEFAULT)) >= 0) {
        xs_nn_grid gr = {0};
        long long count = 0;
        int bad = get_num(g, "two_theta_start", H5T_NATIVE_DOUBLE, &gr.two_theta_start) |
                  get_num(g, "two_theta_step", H5T_NATIVE_DOUBLE, &gr.two_theta_step) |
                  get_num(g, "count", H5T_NATIVE_LLONG, &count) | get_num(g, "wavelength", H5T_NATIVE_DOUBLE, &gr.wavelength);
        H5Gclose(g);
        gr.count = (int)count;
        if (bad) st = BAD("model grid is incomplete");
        else if (count > 0 && xs_nn_set_grid(net, &gr, NULL) != XS_OK) st = BAD("model grid has impossible values");
    }
    if (st == XS_OK && H5Lexists(root, "meta", H5P_DEFAULT) > 0 && (g = H5Gopen2(root, "meta", H5P_DEFAULT)) >= 0) {
        hsize_t idx = 0;
        if (H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, &idx, meta_cb, net) < 0) st = BAD("model metadata unreadable");
        H5Gclose(g);
    }
    if (st == XS_OK && H5Lexists(root, "labels", H5P_DEFAULT) > 0) {
        hid_t ds = H5Dopen2(root, "labels", H5P_DEFAULT), sp = ds >= 0 ? H5Dget_space(ds) : -1, t = h5_str_type();
        char **names = calloc((size_t)net->n_classes + 1, sizeof *names);
        int ok = names && t >= 0 && sp >= 0 && H5Sget_simple_extent_npoints(sp) == net->n_classes &&
                 H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0;
        for (int i = 0; ok && i < net->n_classes; i++) ok = names[i] != NULL;
        if (!ok || xs_nn_set_labels(net, net->label_kind, (const char *const *)names, net->n_classes, NULL) != XS_OK)
            st = BAD("model labels are unreadable or not one per class");
        if (names && sp >= 0 && t >= 0 && ok) H5Dvlen_reclaim(t, sp, H5P_DEFAULT, names);
        free(names);
        if (t >= 0) H5Tclose(t);
        if (sp >= 0) H5Sclose(sp);
        if (ds >= 0) H5Dclose(ds);
    }
    if (st == XS_OK && H5Lexists(root, "adam", H5P_DEFAULT) > 0 && (g = H5Gopen2(root, "adam", H5P_DEFAULT)) >= 0) {
        long long t = 0, t0 = 0; /* t0: files written before fine-tuning existed have none */
        double lr = 0, b1 = 0, b2 = 0, eps = 0;
        hid_t m = H5Lexists(g, "m", H5P_DEFAULT) > 0 ? H5Gopen2(g, "m", H5P_DEFAULT) : -1;
        hid_t v = H5Lexists(g, "v", H5P_DEFAULT) > 0 ? H5Gopen2(g, "v", H5P_DEFAULT) : -1;
        if (get_num(g, "t", H5T_NATIVE_LLONG, &t) || get_num(g, "lr", H5T_NATIVE_DOUBLE, &lr) ||
            get_num(g, "beta1", H5T_NATIVE_DOUBLE, &b1) || get_num(g, "beta2", H5T_NATIVE_DOUBLE, &b2) ||
            get_num(g, "eps", H5T_NATIVE_DOUBLE, &eps) || t != step || m < 0 || v < 0 ||
            get_arena(m, net, net->adam_m) || get_arena(v, net, net->adam_v) ||
            (H5Aexists(g, "t0") > 0 && (get_num(g, "t0", H5T_NATIVE_LLONG, &t0) || t0 < 0 || t0 > t)) ||
            xs_nn_set_adam(net, lr, b1, b2, eps, NULL) != XS_OK)
            st = BAD("model Adam state is incomplete or inconsistent");
        else
            net->adam_base = (long)t0;
        if (m >= 0) H5Gclose(m);
        if (v >= 0) H5Gclose(v);
        H5Gclose(g);
    }
#undef BAD
    if (st != XS_OK) {
        xs_nn_free(net);
        return st;
    }
    *out = net;
    return XS_OK;
}

/* ---- files ---- */
typedef int (*write_fn)(hid_t root, const void *obj, int flags);

static int write_one(hid_t root, const void *obj, int flags) { return write_model(root, obj, flags); }

static int write_ensemble(hid_t root, const void *obj, int flags)
{
    const xs_nn_ensemble *e = obj;
    int rc = put_str(root, "format", XS_NN_ENSEMBLE_FORMAT) | put_int(root, "format_version", XS_NN_FORMAT_VERSION) |
             put_int(root, "members", xs_nn_ensemble_size(e)) |
             put_str(root, "combine", xs_nn_combine_name(xs_nn_ensemble_combine(e)));
    for (int i = 0; !rc && i < xs_nn_ensemble_size(e); i++) {
        char name[32];
        snprintf(name, sizeof name, "member_%d", i);
        hid_t g = make_group(root, name);
        rc = g < 0 || write_model(g, xs_nn_ensemble_member((xs_nn_ensemble *)e, i), flags);
        if (g >= 0) H5Gclose(g);
    }
    return rc;
}

static atomic_uint tmp_counter;

/* Write through fn into a temporary file beside path, flush it to disk, then rename it over path. */
static xs_status write_atomic(const char *path, write_fn fn, const void *obj, int flags, xs_error *err)
{
    if (!path || !*path) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing file name");
    int regular = 1;
    char *target = xs_file_write_target(path, &regular);
    if (!target) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (!regular) {
        free(target);
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "a device, pipe or socket: a model is written to a file");
    }
    size_t n = strlen(target) + 64;
    char *tmp = malloc(n);
    if (!tmp) return free(target), xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    snprintf(tmp, n, "%s.%ld.%u.tmp", target, (long)getpid(), atomic_fetch_add(&tmp_counter, 1u));
    xs_status st = XS_OK;
    hid_t f = -1;
    H5E_BEGIN_TRY
    {
        f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
        if (f < 0)
            st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot create the temporary file %s", tmp);
        else if (fn(f, obj, flags))
            st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot write the model into %s", tmp);
        if (f >= 0 && H5Fclose(f) < 0 && st == XS_OK)
            st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot close %s", tmp);
    }
    H5E_END_TRY;
    if (st == XS_OK) {
        int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot flush %s to disk", tmp);
        if (fd >= 0) close(fd);
    }
    if (st == XS_OK && rename(tmp, target) != 0)
        st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot rename %s to it", tmp);
    if (st != XS_OK && f >= 0) unlink(tmp);
    free(tmp);
    free(target);
    return st;
}

xs_status xs_nn_save(const xs_nn *net, const char *path, int flags, xs_error *err)
{
    if (!net) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing network");
    return write_atomic(path, write_one, net, flags, err);
}

/* Open path and call back with its root and format attribute. */
static xs_status open_model_file(const char *path, hid_t *f, char **fmt, xs_error *err)
{
    *f = -1;
    *fmt = NULL;
    if (!path) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing file name");
    if (access(path, R_OK) != 0) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot read the file");
    H5E_BEGIN_TRY { *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
    H5E_END_TRY;
    if (*f < 0) return xs_error_set(err, XS_ERR_IO, path, 0, 0, "not an HDF5 file (or it is truncated or unreadable)");
    H5E_BEGIN_TRY { *fmt = get_str(*f, "format"); }
    H5E_END_TRY;
    return XS_OK;
}

static xs_status read_member(hid_t f, const char *path, int i, xs_nn **net, xs_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "member_%d", i);
    xs_status st;
    H5E_BEGIN_TRY
    {
        hid_t g = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Gopen2(f, name, H5P_DEFAULT) : -1;
        st = g >= 0 ? read_model(g, path, net, err)
                    : xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "ensemble member %s is missing", name);
        if (g >= 0) H5Gclose(g);
    }
    H5E_END_TRY;
    return st;
}

xs_status xs_nn_load(const char *path, xs_nn **net, xs_error *err)
{
    if (!net) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing output");
    *net = NULL;
    hid_t f;
    char *fmt;
    xs_status st = open_model_file(path, &f, &fmt, err);
    if (st != XS_OK) return st;
    if (fmt && !strcmp(fmt, XS_NN_ENSEMBLE_FORMAT)) {
        st = read_member(f, path, 0, net, err);
    } else {
        H5E_BEGIN_TRY { st = read_model(f, path, net, err); }
        H5E_END_TRY;
    }
    free(fmt);
    H5Fclose(f);
    return st;
}

/* ---- ensembles ---- */
struct xs_nn_ensemble {
    xs_nn **m;
    int n, cap;
    xs_nn_combine combine;
    float *tmp;
    size_t tmp_n;
};

xs_status xs_nn_ensemble_create(xs_nn_ensemble **ens, xs_error *err)
{
    if (!ens) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing output");
    *ens = calloc(1, sizeof **ens);
    return *ens ? XS_OK : xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

void xs_nn_ensemble_free(xs_nn_ensemble *ens)
{
    if (!ens) return;
    for (int i = 0; i < ens->n; i++) xs_nn_free(ens->m[i]);
    free(ens->m);
    free(ens->tmp);
    free(ens);
}

/* Field by field: the struct has padding after count, which memcmp would read. */
static int same_grid(const xs_nn_grid *a, const xs_nn_grid *b)
{
    return a->two_theta_start == b->two_theta_start && a->two_theta_step == b->two_theta_step && a->count == b->count &&
           a->wavelength == b->wavelength;
}

xs_status xs_nn_ensemble_add(xs_nn_ensemble *ens, xs_nn *net, xs_error *err)
{
    xs_status st = XS_OK;
    if (!ens || !net)
        st = xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing ensemble or network");
    else if (ens->n && (net->n_in != ens->m[0]->n_in || net->n_classes != ens->m[0]->n_classes))
        st = xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                          "ensemble members must agree: %d inputs and %d classes, not %d and %d", ens->m[0]->n_in,
                          ens->m[0]->n_classes, net->n_in, net->n_classes);
    else if (ens->n && (net->has_grid != ens->m[0]->has_grid || (net->has_grid && !same_grid(&net->grid, &ens->m[0]->grid)) ||
                        strcmp(net->label_kind ? net->label_kind : "", ens->m[0]->label_kind ? ens->m[0]->label_kind : "")))
        st = xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                          "ensemble members must agree on their input grid and on what their classes are");
    else if (ens->n && xs_nn_get_meta_number(net, "sample_prior_power", 0) !=
                           xs_nn_get_meta_number(ens->m[0], "sample_prior_power", 0))
        /* their outputs estimate probabilities under different class distributions: the mean is neither */
        st = xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0,
                          "ensemble members must be trained on the same class distribution (sample_prior_power %g, not %g)",
                          xs_nn_get_meta_number(ens->m[0], "sample_prior_power", 0),
                          xs_nn_get_meta_number(net, "sample_prior_power", 0));
    else if (ens->n == ens->cap) {
        int cap = ens->cap ? 2 * ens->cap : 4;
        xs_nn **m = realloc(ens->m, sizeof *m * (size_t)cap);
        if (!m)
            st = xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        else
            ens->m = m, ens->cap = cap;
    }
    if (st != XS_OK) {
        xs_nn_free(net);
        return st;
    }
    ens->m[ens->n++] = net;
    return XS_OK;
}

int xs_nn_ensemble_size(const xs_nn_ensemble *ens) { return ens ? ens->n : 0; }

xs_nn *xs_nn_ensemble_member(xs_nn_ensemble *ens, int i) { return ens && i >= 0 && i < ens->n ? ens->m[i] : NULL; }

xs_nn *xs_nn_ensemble_take(xs_nn_ensemble *ens, int i)
{
    if (!ens || i < 0 || i >= ens->n) return NULL;
    xs_nn *net = ens->m[i];
    memmove(ens->m + i, ens->m + i + 1, (size_t)(ens->n - i - 1) * sizeof *ens->m);
    ens->n--;
    return net;
}

xs_status xs_nn_ensemble_set_combine(xs_nn_ensemble *ens, xs_nn_combine how, xs_error *err)
{
    if (!ens) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing ensemble");
    if (how != XS_NN_COMBINE_MEAN && how != XS_NN_COMBINE_GEOMETRIC)
        return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "unknown way to combine an ensemble's members (%d)", (int)how);
    ens->combine = how;
    return XS_OK;
}

xs_nn_combine xs_nn_ensemble_combine(const xs_nn_ensemble *ens) { return ens ? ens->combine : XS_NN_COMBINE_MEAN; }

const char *xs_nn_combine_name(xs_nn_combine how) { return how == XS_NN_COMBINE_GEOMETRIC ? "geometric" : "mean"; }

/* Rows of summed log-probabilities (sum_k ln p_k, each p floored at FLT_MIN so that a probability a member
 * rounded to 0 stays finite; a NaN stays NaN and makes its row NaN, as the mean would) to the geometric mean:
 * exp(sum / K) renormalised, from the row's largest. */
static void geometric_rows(float *logsum, size_t batch, int n_classes, int k)
{
    for (size_t b = 0; b < batch; b++) {
        float *row = logsum + b * (size_t)n_classes;
        float top = row[0];
        for (int c = 1; c < n_classes; c++) top = row[c] > top || isnan(row[c]) ? row[c] : top;
        double total = 0;
        for (int c = 0; c < n_classes; c++) total += row[c] = expf((row[c] - top) / (float)k);
        for (int c = 0; c < n_classes; c++) row[c] = (float)(row[c] / total);
    }
}

static void log_floor(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = isnan(p[i]) ? p[i] : logf(p[i] > FLT_MIN ? p[i] : FLT_MIN);
}

xs_status xs_nn_ensemble_forward(xs_nn_ensemble *ens, const float *x, int batch, float *probs, xs_error *err)
{
    if (!ens || !ens->n) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "empty ensemble");
    if (!probs || batch < 1) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing output or batch < 1");
    size_t n = (size_t)batch * ens->m[0]->n_classes;
    if (ens->n > 1 && n > ens->tmp_n) {
        float *t = realloc(ens->tmp, sizeof(float) * n);
        if (!t) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
        ens->tmp = t;
        ens->tmp_n = n;
    }
    int geometric = ens->combine == XS_NN_COMBINE_GEOMETRIC && ens->n > 1;
    xs_status st = xs_nn_forward(ens->m[0], x, batch, probs, err);
    if (st == XS_OK && geometric) log_floor(probs, n);
    for (int k = 1; st == XS_OK && k < ens->n; k++) {
        st = xs_nn_forward(ens->m[k], x, batch, ens->tmp, err);
        if (st == XS_OK && geometric) log_floor(ens->tmp, n);
        for (size_t i = 0; st == XS_OK && i < n; i++) probs[i] += ens->tmp[i];
    }
    if (st == XS_OK && geometric) {
        geometric_rows(probs, (size_t)batch, ens->m[0]->n_classes, ens->n);
        return st;
    }
    float inv = 1.0f / (float)ens->n;
    for (size_t i = 0; st == XS_OK && ens->n > 1 && i < n; i++) probs[i] *= inv;
    return st;
}

xs_status xs_nn_ensemble_save(const xs_nn_ensemble *ens, const char *path, int flags, xs_error *err)
{
    if (!ens || !ens->n) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "empty ensemble");
    return write_atomic(path, write_ensemble, ens, flags, err);
}

xs_status xs_nn_ensemble_load(const char *path, xs_nn_ensemble **ens, xs_error *err)
{
    if (!ens) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "missing output");
    *ens = NULL;
    hid_t f;
    char *fmt;
    xs_status st = open_model_file(path, &f, &fmt, err);
    if (st != XS_OK) return st;
    xs_nn_ensemble *e = NULL;
    if (st == XS_OK) st = xs_nn_ensemble_create(&e, err);
    if (st == XS_OK && fmt && !strcmp(fmt, XS_NN_ENSEMBLE_FORMAT)) {
        long long k = 0;
        H5E_BEGIN_TRY { k = get_num(f, "members", H5T_NATIVE_LLONG, &k) ? -1 : k; }
        H5E_END_TRY;
        if (k < 1 || k > 10000) st = xs_error_set(err, XS_ERR_PARSE, path, 0, 0, "ensemble without a valid member count");
        /* absent in files written before the combination was stored: those were averaged */
        char *how = NULL;
        H5E_BEGIN_TRY { how = get_str(f, "combine"); }
        H5E_END_TRY;
        if (st == XS_OK && how) {
            if (!strcmp(how, "geometric"))
                e->combine = XS_NN_COMBINE_GEOMETRIC;
            else if (strcmp(how, "mean"))
                st = xs_error_set(err, XS_ERR_PARSE, path, 0, 0,
                                  "ensemble attribute combine is \"%.40s\": mean or geometric expected", how);
        }
        free(how);
        for (int i = 0; st == XS_OK && i < k; i++) {
            xs_nn *net = NULL;
            st = read_member(f, path, i, &net, err);
            if (st == XS_OK) st = xs_nn_ensemble_add(e, net, err);
        }
    } else if (st == XS_OK) {
        xs_nn *net = NULL;
        H5E_BEGIN_TRY { st = read_model(f, path, &net, err); }
        H5E_END_TRY;
        if (st == XS_OK) st = xs_nn_ensemble_add(e, net, err);
    }
    free(fmt);
    H5Fclose(f);
    if (st != XS_OK) {
        xs_nn_ensemble_free(e);
        return st;
    }
    *ens = e;
    return XS_OK;
}

xs_status xs_nn_ensemble_append_file(xs_nn_ensemble *ens, const char *path, xs_error *err)
{
    if (!ens || !path) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no ensemble or no model file");
    xs_nn_ensemble *part = NULL;
    xs_status st = xs_nn_ensemble_load(path, &part, err);
    /* the first file decides how the members are combined */
    if (st == XS_OK && ens->n == 0) ens->combine = part->combine;
    /* every member, not only the first: a user combining two ensembles expects all of them */
    while (st == XS_OK && xs_nn_ensemble_size(part) > 0) st = xs_nn_ensemble_add(ens, xs_nn_ensemble_take(part, 0), err);
    xs_nn_ensemble_free(part);
    if (st != XS_OK && err && !err->file[0]) snprintf(err->file, sizeof err->file, "%s", path); /* whatever failed */
    return st;
}

xs_status xs_nn_ensemble_load_files(const char *const *paths, int k, xs_nn_ensemble **ens, xs_error *err)
{
    if (!ens || !paths || k < 1) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no model files");
    *ens = NULL;
    xs_nn_ensemble *e = NULL;
    xs_status st = xs_nn_ensemble_create(&e, err);
    for (int i = 0; st == XS_OK && i < k; i++) st = xs_nn_ensemble_append_file(e, paths[i], err);
    if (st != XS_OK) {
        xs_nn_ensemble_free(e);
        return st;
    }
    *ens = e;
    return XS_OK;
}
