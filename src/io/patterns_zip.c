/* Instrument files that are zip archives of text members: Rigaku .rasx (SmartLab Studio II) and Bruker .brml
 * (DIFFRAC.SUITE). libzip opens the archive; the few XML elements needed are found by name, as the .xrdml
 * reader does. The layouts are those public readers describe (GSAS-II's .brml importer, readers of .rasx in
 * Python); no instrument file was at hand, so the tests build archives of those layouts, and a file that
 * departs from them is refused with the reason rather than read by a guess. */
#define _GNU_SOURCE /* memmem */
#include "io/patterns_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

/* A member larger than this is not a powder pattern (nor worth inflating: a zip bomb). */
#define MAX_MEMBER_BYTES ((zip_uint64_t)256 << 20)

typedef struct {
    const char *path;
    zip_t *zip;
    xs_error *err;
    xs_pattern **list;
    size_t n, cap;
    int several; /* more than one scan in the archive: patterns are named path#K */
} zip_reader;

/* The error names the archive and its member: "a.brml[Experiment0/RawData0.xml]". */
static xs_status member_error(zip_reader *r, xs_status code, const char *member, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static xs_status member_error(zip_reader *r, xs_status code, const char *member, int line, const char *fmt, ...)
{
    char where[512], msg[900];
    if (member) snprintf(where, sizeof where, "%s[%s]", r->path, member);
    else snprintf(where, sizeof where, "%s", r->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return xs_error_set(r->err, code, where, line, 0, "%s", msg);
}

/* A whole member as NUL-terminated text (a UTF-8 byte-order mark dropped); NULL with the error set. */
static char *read_member(zip_reader *r, const char *name)
{
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(r->zip, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        member_error(r, XS_ERR_NOT_FOUND, name, 0, "member missing from the archive");
        return NULL;
    }
    if (st.size > MAX_MEMBER_BYTES) {
        member_error(r, XS_ERR_INVALID, name, 0, "member of %llu bytes: larger than a pattern can be",
                     (unsigned long long)st.size);
        return NULL;
    }
    zip_file_t *f = zip_fopen(r->zip, name, 0);
    char *text = f ? malloc((size_t)st.size + 1) : NULL;
    zip_int64_t got = text ? zip_fread(f, text, st.size) : -1;
    if (f) zip_fclose(f);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        free(text);
        member_error(r, XS_ERR_IO, name, 0, "cannot be read (damaged archive?)");
        return NULL;
    }
    text[got] = 0;
    if (got >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) memmove(text, text + 3, (size_t)got - 3 + 1);
    return text;
}

/* The start of the next element <tag ...> (with or without content) from `from`, before `limit`. */
static const char *tag_start(const char *from, const char *limit, const char *tag)
{
    char open[80];
    snprintf(open, sizeof open, "<%s", tag);
    for (const char *p = from; (p = strstr(p, open)) != NULL; p += strlen(open)) {
        if (limit && p >= limit) return NULL;
        char c = p[strlen(open)];
        if (c == '>' || c == '/' || isspace((unsigned char)c)) return p;
    }
    return NULL;
}

/* The value of attribute `name` in the start tag at `tag` (NAME="value"), copied into out; NULL if absent. */
static const char *attribute(const char *tag, const char *name, char *out, size_t size)
{
    const char *gt = strchr(tag, '>');
    size_t ln = strlen(name);
    for (const char *p = tag; p && (!gt || p < gt); p++) {
        p = strstr(p, name);
        if (!p || (gt && p >= gt)) return NULL;
        if (!isspace((unsigned char)p[-1]) && p[-1] != ':') continue;
        const char *q = p + ln;
        while (isspace((unsigned char)*q)) q++;
        if (*q != '=') continue;
        q++;
        while (isspace((unsigned char)*q)) q++;
        if (*q != '"' && *q != '\'') continue;
        const char *e = strchr(q + 1, *q);
        if (!e) return NULL;
        size_t l = (size_t)(e - q - 1);
        if (l >= size) l = size - 1;
        memcpy(out, q + 1, l);
        out[l] = 0;
        return out;
    }
    return NULL;
}

/* Names in the archive of the form PREFIX<i>/STEM<i>.EXT (Data0/Profile0.txt, Experiment0/RawData0.xml):
 * their numbers, ascending, in idx (at most max); returns how many. */
static int numbered_members(zip_reader *r, const char *prefix, const char *stem, const char *ext, int *idx, int max)
{
    int count = 0;
    zip_int64_t entries = zip_get_num_entries(r->zip, 0);
    for (zip_int64_t e = 0; e < entries && count < max; e++) {
        const char *name = zip_get_name(r->zip, (zip_uint64_t)e, 0);
        if (!name || strncmp(name, prefix, strlen(prefix))) continue;
        const char *p = name + strlen(prefix);
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p || *end != '/' || strncmp(end + 1, stem, strlen(stem))) continue;
        p = end + 1 + strlen(stem);
        long b = strtol(p, &end, 10);
        if (end == p || strcmp(end, ext) || a != b || a < 0 || a > 100000) continue;
        int at = count++;
        while (at > 0 && idx[at - 1] > a) {
            idx[at] = idx[at - 1];
            at--;
        }
        idx[at] = (int)a;
    }
    return count;
}

#define MAX_SCANS 4096

/* ---- Rigaku .rasx ----
 * Data<i>/Profile<i>.txt: `angle <TAB> count <TAB> attenuator factor` lines; the intensity is the count times
 * the factor, as in .ras (the same instruments' text format). Data<i>/MesurementConditions<i>.xml (Rigaku's
 * spelling; "Measurement" is accepted too): the scan axis (ScanInformation/AxisName), the wavelengths
 * (XrayGenerator: WavelengthKalpha1, WavelengthKalpha2; WaveType "Ka1" where a monochromator removes
 * K-alpha2). Without the conditions member the axis is taken as 2theta and the wavelength as unknown. */
static xs_status read_rasx(zip_reader *r, const int *idx, int scans)
{
    r->several = scans > 1;
    xs_status st = XS_OK;
    for (int s = 0; s < scans && st == XS_OK; s++) {
        char profile[64], conditions[80];
        snprintf(profile, sizeof profile, "Data%d/Profile%d.txt", idx[s], idx[s]);
        double ka1 = 0, ka2 = 0;
        snprintf(conditions, sizeof conditions, "Data%d/MesurementConditions%d.xml", idx[s], idx[s]);
        if (zip_name_locate(r->zip, conditions, 0) < 0)
            snprintf(conditions, sizeof conditions, "Data%d/MeasurementConditions%d.xml", idx[s], idx[s]);
        if (zip_name_locate(r->zip, conditions, 0) >= 0) {
            char *xml = read_member(r, conditions);
            if (!xml) return r->err ? r->err->code : XS_ERR_IO;
            size_t len;
            const char *scan = xs_xml_element(xml, NULL, "ScanInformation", &len, NULL);
            const char *axis = scan ? xs_xml_element(scan, scan + len, "AxisName", &len, NULL) : NULL;
            if (axis) {
                char low[64];
                size_t i = 0;
                for (; i < len && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)axis[i]);
                low[i] = 0;
                if (!strstr(low, "twotheta") && !strstr(low, "2theta")) {
                    st = member_error(r, XS_ERR_UNSUPPORTED, conditions, xs_text_line_of(xml, axis),
                                      "scan %d scans '%s', not 2theta: not a powder pattern", s + 1, low);
                    free(xml);
                    return st;
                }
            }
            const char *gen = xs_xml_element(xml, NULL, "XrayGenerator", &len, NULL);
            if (gen) {
                const char *lim = gen + len;
                size_t l;
                const char *v = xs_xml_element(gen, lim, "WavelengthKalpha1", &l, NULL);
                if (v) ka1 = strtod(v, NULL);
                v = xs_xml_element(gen, lim, "WavelengthKalpha2", &l, NULL);
                if (v) ka2 = strtod(v, NULL);
                v = xs_xml_element(gen, lim, "WaveType", &l, NULL);
                if (v && l >= 3 && !strncasecmp(v, "Ka1", 3)) ka2 = 0;
            }
            free(xml);
        }
        char *text = read_member(r, profile);
        if (!text) return r->err ? r->err->code : XS_ERR_IO;
        xs_points b = {0};
        int line_no = 0;
        for (char *line = text, *next; line && *line && st == XS_OK; line = next) {
            line_no++;
            next = strchr(line, '\n');
            if (next) *next++ = 0;
            char *p = line;
            while (isspace((unsigned char)*p)) p++;
            if (!*p || *p == '#' || *p == '*') continue;
            char *end;
            double x = strtod(p, &end), y = NAN, att = 1;
            if (end != p) {
                p = end;
                y = strtod(p, &end);
                if (end != p) {
                    p = end;
                    double a = strtod(p, &end);
                    if (end != p) att = a;
                } else {
                    y = NAN;
                }
            }
            if (isnan(y) || !isfinite(x) || !isfinite(att) || !(att > 0))
                st = member_error(r, XS_ERR_PARSE, profile, line_no, "expected 'angle count [attenuator factor]'");
            else if (b.n > 0 && !(x > b.x[b.n - 1]))
                st = member_error(r, XS_ERR_INVALID, profile, line_no, "2theta %g does not increase (previous %g)", x,
                                  b.x[b.n - 1]);
            else if (!xs_points_push(&b, x, y * att))
                st = member_error(r, XS_ERR_NOMEM, NULL, 0, "out of memory");
        }
        free(text);
        if (st == XS_OK) {
            double wl = ka1 > 0 ? (ka2 > 0 ? (ka1 + 0.5 * ka2) / 1.5 : ka1) : 0;
            st = xs_pattern_push_named(r->path, s + 1, r->several, &b, wl, ka1 > 0 ? ka2 : 0, 0.5, 0, &r->list, &r->n, &r->cap, r->err);
        }
        free(b.x);
        free(b.y);
    }
    return st;
}

/* ---- Bruker .brml ----
 * Experiment<i>/RawData<i>.xml: one <DataRoute> per measured range, its points as <Datum>a,b,c,...</Datum>
 * lines. Which field is which is said by the route's <DataViews>: a VaryingRawDataView (Start, and its
 * <FieldDefinitions> in order, one of them the TwoTheta axis) and a RecordedRawDataView (Start: the counts,
 * already corrected for the absorber; Length above 1 is a detector frame, not a point). A route without
 * DataViews is read only in the layout GSAS-II's importer reads, `time,1,2theta,theta,counts`, and only where
 * every point's theta is half its 2theta (a coupled scan); otherwise it is refused, not guessed. Routes that
 * say RouteFlag other than "Measured" are skipped. The wavelength: WaveLengthAlpha1/Alpha2 and
 * WaveLengthRatio (Value attributes) of the tube. */
typedef struct {
    int two_theta, theta, counts; /* field numbers; -1 unknown */
    int frame;                    /* the recorded view holds more than one value per point */
} brml_layout;

static int brml_views(const char *route, const char *end, brml_layout *lay)
{
    size_t len;
    const char *views = xs_xml_element(route, end, "DataViews", &len, NULL);
    if (!views) return 0;
    const char *vend = views + len;
    for (const char *v = views; (v = tag_start(v, vend, "RawDataView")) != NULL; v++) {
        char type[96] = "", start[32] = "", length[32] = "";
        if (!attribute(v, "type", type, sizeof type)) continue;
        attribute(v, "Start", start, sizeof start);
        attribute(v, "Length", length, sizeof length);
        int s = start[0] ? atoi(start) : -1;
        if (strstr(type, "RecordedRawDataView")) {
            lay->counts = s;
            lay->frame = length[0] && atoi(length) > 1;
        } else if (strstr(type, "VaryingRawDataView")) {
            const char *close = strstr(v, "</RawDataView>");
            const char *lim = close && close < vend ? close : vend;
            int k = 0;
            for (const char *f = v; (f = tag_start(f, lim, "FieldDefinitions")) != NULL; f++, k++) {
                char fname[64] = "", axis[64] = "";
                attribute(f, "FieldName", fname, sizeof fname);
                attribute(f, "AxisId", axis, sizeof axis);
                if (!strcasecmp(fname, "TwoTheta") || !strcasecmp(axis, "TwoTheta")) lay->two_theta = s + k;
                if (!strcasecmp(fname, "Theta") || !strcasecmp(axis, "Theta")) lay->theta = s + k;
            }
        }
    }
    return 1;
}

/* Field `k` of a comma-separated Datum line; NAN where absent. *fields receives the number of fields. */
static double datum_field(const char *d, const char *end, int k, int *fields)
{
    double v = NAN;
    int i = 0;
    for (const char *p = d; p <= end; i++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (i == k) {
            char *e;
            v = strtod(p, &e);
            if (e == p) v = NAN;
        }
        if (!c) break;
        p = c + 1;
    }
    *fields = i + 1;
    return v;
}

static xs_status read_brml(zip_reader *r, const int *idx, int files)
{
    /* first every measured route, to know whether there are several */
    int total = 0;
    char **texts = calloc((size_t)files, sizeof *texts);
    if (!texts) return member_error(r, XS_ERR_NOMEM, NULL, 0, "out of memory");
    xs_status st = XS_OK;
    for (int f = 0; f < files && st == XS_OK; f++) {
        char member[64];
        snprintf(member, sizeof member, "Experiment%d/RawData%d.xml", idx[f], idx[f]);
        texts[f] = read_member(r, member);
        if (!texts[f]) {
            st = r->err ? r->err->code : XS_ERR_IO;
            break;
        }
        for (const char *p = texts[f]; (p = tag_start(p, NULL, "DataRoute")) != NULL; p++) {
            char flag[32];
            const char *close = strstr(p, "</DataRoute>");
            if (!close) break;
            if (attribute(p, "RouteFlag", flag, sizeof flag) && strcasecmp(flag, "Measured")) continue;
            if (tag_start(p, close, "Datum")) total++;
        }
    }
    r->several = total > 1;
    int k = 0;
    for (int f = 0; f < files && st == XS_OK; f++) {
        const char *text = texts[f];
        char member[64];
        snprintf(member, sizeof member, "Experiment%d/RawData%d.xml", idx[f], idx[f]);
        double ka1 = 0, ka2 = 0, ratio = 0.5;
        char v[64];
        const char *t;
        if ((t = tag_start(text, NULL, "WaveLengthAlpha1")) && attribute(t, "Value", v, sizeof v)) ka1 = strtod(v, NULL);
        if ((t = tag_start(text, NULL, "WaveLengthAlpha2")) && attribute(t, "Value", v, sizeof v)) ka2 = strtod(v, NULL);
        if ((t = tag_start(text, NULL, "WaveLengthRatio")) && attribute(t, "Value", v, sizeof v)) ratio = strtod(v, NULL);
        if (!(ratio >= 0 && ratio <= 1)) ratio = 0.5;
        for (const char *route = text; st == XS_OK && (route = tag_start(route, NULL, "DataRoute")) != NULL; route++) {
            const char *close = strstr(route, "</DataRoute>");
            if (!close) break;
            char flag[32];
            if (attribute(route, "RouteFlag", flag, sizeof flag) && strcasecmp(flag, "Measured")) continue;
            const char *first = tag_start(route, close, "Datum");
            if (!first) continue;
            k++;
            brml_layout lay = {-1, -1, -1, 0};
            int described = brml_views(route, close, &lay);
            int line = xs_text_line_of(text, route);
            if (described && lay.frame) {
                st = member_error(r, XS_ERR_UNSUPPORTED, member, line,
                                  "scan %d records a detector frame per step (a still or 1-D detector image), not a "
                                  "2theta scan: export it as .xy", k);
                break;
            }
            if (described && (lay.two_theta < 0 || lay.counts < 0)) {
                st = member_error(r, XS_ERR_UNSUPPORTED, member, line,
                                  "scan %d has no %s among the fields its DataViews describe: not a 2theta scan", k,
                                  lay.two_theta < 0 ? "TwoTheta axis" : "recorded counts");
                break;
            }
            if (!described) lay = (brml_layout){2, 3, 4, 0};
            xs_points b = {0};
            for (const char *d = first; st == XS_OK && (d = tag_start(d, close, "Datum")) != NULL; d++) {
                size_t len;
                const char *body = xs_xml_element(d, close, "Datum", &len, NULL);
                if (!body) {
                    st = member_error(r, XS_ERR_PARSE, member, xs_text_line_of(text, d), "an unterminated <Datum>");
                    break;
                }
                int fields;
                double x = datum_field(body, body + len, lay.two_theta, &fields);
                double y = datum_field(body, body + len, lay.counts, &fields);
                if (!described) {
                    double th = datum_field(body, body + len, lay.theta, &fields);
                    /* 1e-3 deg: the goniometer's step resolution is far finer; a layout guessed wrong is off by degrees */
                    if (fields != 5 || !(fabs(th - x / 2) < 1e-3)) {
                        st = member_error(r, XS_ERR_UNSUPPORTED, member, xs_text_line_of(text, d),
                                          "scan %d does not describe its fields (no DataViews) and its points are not "
                                          "'time,1,2theta,theta,counts' with theta = 2theta/2: export it as .xy", k);
                        break;
                    }
                }
                if (!isfinite(x) || !isfinite(y))
                    st = member_error(r, XS_ERR_PARSE, member, xs_text_line_of(text, d),
                                      "a point without a number in field %d or %d", lay.two_theta + 1, lay.counts + 1);
                else if (b.n > 0 && !(x > b.x[b.n - 1]))
                    st = member_error(r, XS_ERR_INVALID, member, xs_text_line_of(text, d), "2theta %g does not increase (previous %g)",
                                      x, b.x[b.n - 1]);
                else if (!xs_points_push(&b, x, y))
                    st = member_error(r, XS_ERR_NOMEM, NULL, 0, "out of memory");
                d = body + len;
            }
            if (st == XS_OK) {
                double wl = ka1 > 0 ? (ka2 > 0 ? (ka1 + ratio * ka2) / (1 + ratio) : ka1) : 0;
                st = xs_pattern_push_named(r->path, k, r->several, &b, wl, ka1 > 0 ? ka2 : 0, ratio, 0, &r->list, &r->n, &r->cap, r->err);
            }
            free(b.x);
            free(b.y);
            route = close;
        }
    }
    for (int f = 0; f < files; f++) free(texts[f]);
    free(texts);
    return st;
}

xs_status xs_pattern_read_zip(const char *path, xs_pattern ***patterns, size_t *n, xs_error *err)
{
    *patterns = NULL;
    *n = 0;
    zip_reader r = {.path = path, .err = err};
    int zerr = 0;
    r.zip = zip_open(path, ZIP_RDONLY, &zerr);
    if (!r.zip) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        xs_status st = xs_error_set(err, XS_ERR_IO, path, 0, 0, "not a readable zip archive (.rasx, .brml): %s",
                                    zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    int *idx = malloc(MAX_SCANS * sizeof *idx);
    xs_status st;
    int count;
    if (!idx) {
        st = xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    } else if ((count = numbered_members(&r, "Data", "Profile", ".txt", idx, MAX_SCANS)) > 0) {
        st = read_rasx(&r, idx, count);
    } else if ((count = numbered_members(&r, "Experiment", "RawData", ".xml", idx, MAX_SCANS)) > 0) {
        st = read_brml(&r, idx, count);
    } else {
        st = xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0,
                          "a zip archive with neither Data0/Profile0.txt (Rigaku .rasx) nor Experiment0/RawData0.xml "
                          "(Bruker .brml): not a pattern file this reads");
    }
    if (st == XS_OK && r.n == 0)
        st = xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "no measured scan in the archive");
    free(idx);
    zip_discard(r.zip);
    if (st != XS_OK) {
        xs_pattern_list_free(r.list, r.n);
        return st;
    }
    *patterns = r.list;
    *n = r.n;
    return XS_OK;
}
