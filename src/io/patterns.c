#define _GNU_SOURCE /* memmem */
/* Measured patterns: two-column text, the one-pattern-a-line table, PANalytical .xrdml, powder CIF; and the
 * mapping of a pattern onto a network's grid through d-spacings. */
#include "xrdsym/xs_pattern.h"
#include "structure/cif_internal.h"
#include "io/patterns_internal.h"
#include "common/files.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct xs_pattern {
    char name[512];
    size_t n;
    double *two_theta;
    double *intensity;
    double wavelength;
    double kalpha2, kalpha2_ratio;
    double goniometer_radius; /* mm; 0 where the file does not say */
    int label;
};

const char *xs_pattern_name(const xs_pattern *p) { return p->name; }
size_t xs_pattern_size(const xs_pattern *p) { return p->n; }
const double *xs_pattern_two_theta(const xs_pattern *p) { return p->two_theta; }
const double *xs_pattern_intensity(const xs_pattern *p) { return p->intensity; }
double xs_pattern_wavelength(const xs_pattern *p) { return p->wavelength; }
double xs_pattern_choose_wavelength(const xs_pattern *p, double given, xs_wavelength_source *source)
{
    xs_wavelength_source from = p->wavelength > 0 ? XS_WAVELENGTH_FROM_FILE
                              : given > 0         ? XS_WAVELENGTH_GIVEN
                                                  : XS_WAVELENGTH_ASSUMED_CU;
    if (source) *source = from;
    return from == XS_WAVELENGTH_FROM_FILE ? p->wavelength : from == XS_WAVELENGTH_GIVEN ? given : XS_CU_KALPHA;
}
int xs_pattern_label(const xs_pattern *p) { return p->label; }
double xs_pattern_goniometer_radius(const xs_pattern *p) { return p->goniometer_radius; }

void xs_pattern_set_label(xs_pattern *p, int space_group) { p->label = space_group >= 1 && space_group <= 230 ? space_group : 0; }

int xs_pattern_set_wavelength(xs_pattern *p, double wavelength)
{
    if (!(wavelength >= 0.1 && wavelength <= 3)) return 0;
    p->wavelength = wavelength;
    return 1;
}

double xs_pattern_kalpha2(const xs_pattern *p, double *ratio)
{
    if (ratio) *ratio = p->kalpha2_ratio;
    return p->kalpha2;
}

void xs_pattern_free(xs_pattern *p)
{
    if (!p) return;
    free(p->two_theta);
    free(p->intensity);
    free(p);
}

void xs_pattern_list_free(xs_pattern **list, size_t n)
{
    if (!list) return;
    for (size_t i = 0; i < n; i++) xs_pattern_free(list[i]);
    free(list);
}

/* Below this many points a file is not a powder pattern (a peak list, a truncated file). */
#define MIN_POINTS 10

xs_status xs_pattern_create(const char *name, size_t n, const double *two_theta, const double *intensity,
                            double wavelength, xs_pattern **out, xs_error *err)
{
    *out = NULL;
    const char *nm = name ? name : "(pattern)";
    if (n < MIN_POINTS)
        return xs_error_set(err, n == 0 ? XS_ERR_NOT_FOUND : XS_ERR_INVALID, nm, 0, 0,
                            "%zu data points: not a powder pattern (at least %d needed)", n, MIN_POINTS);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(two_theta[i]) || !isfinite(intensity[i]))
            return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0, "point %zu is not a finite number", i + 1);
        if (i > 0 && !(two_theta[i] > two_theta[i - 1]))
            return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0,
                                "2theta does not increase at point %zu (%g after %g)", i + 1, two_theta[i],
                                two_theta[i - 1]);
        if (intensity[i] < lo) lo = intensity[i];
        if (intensity[i] > hi) hi = intensity[i];
    }
    if (two_theta[0] < 0 || two_theta[n - 1] > 180)
        return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0, "2theta range %g..%g is outside 0..180 degrees",
                            two_theta[0], two_theta[n - 1]);
    if (!(hi > lo)) return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0, "all intensities are equal (%g)", lo);
    if (!(hi > 0))
        return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0, "no intensity above 0 (the largest is %g): not a diffraction pattern",
                            hi);
    if (wavelength != 0 && !(wavelength >= 0.1 && wavelength <= 3))
        return xs_error_set(err, XS_ERR_INVALID, nm, 0, 0, "wavelength %g A is outside 0.1..3 A", wavelength);
    xs_pattern *p = calloc(1, sizeof *p);
    if (p) {
        p->two_theta = malloc(n * sizeof *p->two_theta);
        p->intensity = malloc(n * sizeof *p->intensity);
    }
    if (!p || !p->two_theta || !p->intensity) {
        xs_pattern_free(p);
        return xs_error_set(err, XS_ERR_NOMEM, nm, 0, 0, "out of memory");
    }
    snprintf(p->name, sizeof p->name, "%s", nm);
    memcpy(p->two_theta, two_theta, n * sizeof *two_theta);
    memcpy(p->intensity, intensity, n * sizeof *intensity);
    p->n = n;
    p->wavelength = wavelength;
    *out = p;
    return XS_OK;
}

/* ---- whole files into memory ---- */

/* The most text a pattern file may hold (uncompressed): the one-pattern-a-line table at 42 KB a pattern holds
 * 12,000 patterns in it. A power of two, as the buffer grows by doubling from 64 KiB. */
#define XS_PATTERN_MAX_TEXT_BYTES ((size_t)512 << 20)

/* The whole file; gzip-compressed files (.gz) are decompressed on the way (zlib reads plain files as they
 * are). */
static char *slurp(const char *path, size_t *size, xs_error *err)
{
    if (xs_file_refuse_directory(path, "a pattern file", err) != XS_OK) return NULL;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        xs_error_set(err, XS_ERR_IO, path, 0, 0, "cannot open the file");
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int bad = 0;
    while (buf) {
        int got = gzread(f, buf + n, (unsigned)(cap - n - 1));
        if (got < 0) {
            bad = 1;
            break;
        }
        n += (size_t)got;
        if (got == 0) {
            /* a .gz cut short reads as its first part and then ends; zlib says so only here */
            int zerr = Z_OK;
            gzerror(f, &zerr);
            bad = zerr != Z_OK && zerr != Z_STREAM_END;
            break;
        }
        if (n + 1 < cap) continue;
        if (cap >= XS_PATTERN_MAX_TEXT_BYTES) {
            /* a .gz of a few MB can inflate to tens of GB (a file of zeros): stop before it fills the memory */
            free(buf);
            gzclose(f);
            xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "more than %d MiB of text: larger than a pattern file can be",
                         (int)(XS_PATTERN_MAX_TEXT_BYTES >> 20));
            return NULL;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    gzclose(f);
    if (!buf || bad) {
        free(buf);
        xs_error_set(err, bad ? XS_ERR_IO : XS_ERR_NOMEM, path, 0, 0, bad ? "the compressed file is damaged or cut short" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    *size = n;
    return buf;
}

/* Text that Windows programs save as "Unicode" (UTF-16 with a byte-order mark) becomes 8-bit text in place:
 * numbers and header words are ASCII, anything else becomes '?'. A UTF-8 byte-order mark is dropped, so that
 * it does not hide the first data line. Returns the new size. */
static size_t text_to_8bit(char *text, size_t size)
{
    const unsigned char *u = (const unsigned char *)text;
    if (size >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        memmove(text, text + 3, size - 3 + 1);
        return size - 3;
    }
    if (size < 2 || !((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) return size;
    int little = u[0] == 0xFF;
    size_t n = 0;
    for (size_t i = 2; i + 1 < size; i += 2) {
        unsigned code = little ? (unsigned)u[i] | (unsigned)u[i + 1] << 8 : (unsigned)u[i] << 8 | (unsigned)u[i + 1];
        text[n++] = code == 0 ? ' ' : code < 128 ? (char)code : '?';
    }
    text[n] = 0;
    return n;
}

int xs_points_push(xs_points *b, double x, double y)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        double *nx = realloc(b->x, cap * sizeof *nx);
        if (!nx) return 0;
        b->x = nx;
        double *ny = realloc(b->y, cap * sizeof *ny);
        if (!ny) return 0;
        b->y = ny;
        b->cap = cap;
    }
    b->x[b->n] = x;
    b->y[b->n] = y;
    b->n++;
    return 1;
}

/* A measured point onto b, checked: finite, and 2theta above the previous point's. XS_OK, or the error on
 * line_no of path. */
static xs_status push_point(xs_points *b, double x, double y, const char *path, int line_no, xs_error *err)
{
    if (!isfinite(x) || !isfinite(y))
        return xs_error_set(err, XS_ERR_INVALID, path, line_no, 1, "%s %g is not a finite number", isfinite(x) ? "intensity" : "2theta",
                            isfinite(x) ? y : x);
    if (b->n > 0 && !(b->descending ? x < b->x[b->n - 1] : x > b->x[b->n - 1]))
        return xs_error_set(err, XS_ERR_INVALID, path, line_no, 1, "2theta %g does not %s (previous %g)", x,
                            b->descending ? "decrease" : "increase", b->x[b->n - 1]);
    if (!xs_points_push(b, x, y)) return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    return XS_OK;
}

static int push_list(xs_pattern ***list, size_t *n, size_t *cap, xs_pattern *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        xs_pattern **nl = realloc(*list, c * sizeof *nl);
        if (!nl) return 0;
        *list = nl;
        *cap = c;
    }
    (*list)[(*n)++] = p;
    return 1;
}

/* A file's one pattern becomes the returned list of one; frees it when that fails. */
static xs_status list_of_one(const char *path, xs_pattern *p, xs_pattern ***list, size_t *n, xs_error *err)
{
    size_t cap = 0;
    if (push_list(list, n, &cap, p)) return XS_OK;
    xs_pattern_free(p);
    return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
}

/* The unit (lower case) as a word of text: "kev" in "17 kev" or "(kev)", not "nm" in "anm". */
static int names_unit(const char *text, const char *unit)
{
    size_t n = strlen(unit);
    for (const char *u = text; (u = strstr(u, unit)) != NULL; u++)
        if ((u == text || !isalpha((unsigned char)u[-1])) && !isalpha((unsigned char)u[n])) return 1;
    return 0;
}

/* A wavelength named in a header line: "wavelength", "lambda", "wave length" followed by a number (angstrom
 * in 0.1..3, or in the nm or pm it names), an energy in keV or eV, or an anode name (Cu, Mo, Co...) near
 * "K-alpha"/"Ka". 0 when none. */
static double text_wavelength(const char *line, size_t len, double *unitless_outside);

double xs_pattern_text_wavelength(const char *line, size_t len) { return text_wavelength(line, len, NULL); }

/* As xs_pattern_text_wavelength; *unitless_outside (may be NULL) receives a number that follows "wavelength" or
 * "lambda" with nothing but separators between, no unit, and lies outside 0.1..3: not taken, but the caller says
 * so rather than "the file states no wavelength". */
static double text_wavelength(const char *line, size_t len, double *unitless_outside)
{
    char low[512];
    size_t n = len < sizeof low - 1 ? len : sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)line[i]);
    low[n] = 0;
    /* A wavelength in angstrom unless a unit says otherwise, before the number ("lambda (nm): 0.15406") or after
     * it ("0.15406 nm"); an energy ("energy 17 keV") is turned into its wavelength. With a unit, the value is
     * returned whatever it is, so that an absurd one is refused by name rather than read as another unit;
     * without one, a number outside 0.1..3 is not taken for a wavelength. */
    static const char *const keys[] = {"wavelength", "wave length", "lambda", "wavelen", "energy"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *p = strstr(low, keys[k]);
        if (!p) continue;
        const char *before = p += strlen(keys[k]);
        /* "=", ":", " (A)", " in angstrom" may stand between the word and the number */
        for (int skipped = 0; *p && !(isdigit((unsigned char)*p) || *p == '.') && skipped < 24; skipped++) p++;
        if (k == 4) { /* "energy 17 keV", "energy (keV): 17", not "energy-dispersive detector, 8 keV" */
            int other_word = 0;
            for (const char *c = before; c < p; c++) other_word |= isalpha((unsigned char)*c) && !strchr("kev", *c);
            if (other_word) continue;
        }
        char *end;
        double v = strtod(p, &end);
        if (end == p) continue;
        if (*end == ',' && isdigit((unsigned char)end[1]) && !memchr(p, '.', (size_t)(end - p))) {
            /* "wavelength 1,5406" as other locales write it is 1.5406, not 1 */
            char number[64];
            size_t whole = (size_t)(end - p), frac = strspn(end + 1, "0123456789");
            if (whole + frac + 2 < sizeof number) {
                snprintf(number, sizeof number, "%.*s.%.*s", (int)whole, p, (int)frac, end + 1);
                v = strtod(number, NULL);
                end += 1 + frac;
            }
        }
        char unit[48];
        snprintf(unit, sizeof unit, "%.*s|%.12s", (int)(p - before), before, end);
        int kev = names_unit(unit, "kev");
        if (kev || names_unit(unit, "ev")) return v > 0 ? (kev ? 12.398420 : 12398.420) / v : -1;
        if (k == 4) continue; /* an energy without a unit */
        int nm = names_unit(unit, "nm");
        if (nm || names_unit(unit, "pm")) return v * (nm ? 10 : 0.01);
        if (v >= 0.1 && v <= 3) return v;
        int bare = k < 4 && v != 0;
        for (const char *c = before; c < p; c++) bare &= !isalpha((unsigned char)*c);
        if (bare && unitless_outside && *unitless_outside == 0) *unitless_outside = v;
    }
    static const struct {
        const char *anode;
        double wl;
    } anodes[] = {{"cu k", 1.54184}, {"cuk", 1.54184}, {"mo k", 0.71073}, {"mok", 0.71073}, {"co k", 1.79026},
                  {"cok", 1.79026}, {"fe k", 1.93736}, {"fek", 1.93736}, {"cr k", 2.29100}, {"crk", 2.29100},
                  {"ag k", 0.56087}, {"agk", 0.56087}};
    for (size_t k = 0; k < sizeof anodes / sizeof anodes[0]; k++)
        if (strstr(low, anodes[k].anode)) return anodes[k].wl;
    return 0;
}

/* A data line starts with a whole number followed by a separator ("2theta,intensity" is a title). */
static int starts_numeric(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    char *end;
    strtod(p, &end);
    if (end == p) return 0;
    return *end == 0 || *end == ' ' || *end == '\t' || *end == ',' || *end == ';' || *end == '\r';
}

static const char *skip_separators(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';') p++;
    return p;
}

/* The next line of text (in place): its start, *len without the line break, *next after it (NULL at the end). */
static char *next_line(char *line, size_t *len, char **next, int *line_no)
{
    char *nl = strchr(line, '\n');
    *len = nl ? (size_t)(nl - line) : strlen(line);
    if (nl) *nl = 0;
    if (*len && line[*len - 1] == '\r') line[--*len] = 0;
    *next = nl ? nl + 1 : NULL;
    (*line_no)++;
    return line;
}

/* One field of a decimal-comma line: digits, at most one comma between digits, an optional exponent. */
static int decimal_comma_field(const char *p, const char *end, int *has_comma)
{
    if (p < end && (*p == '-' || *p == '+')) p++;
    int digits = 0, commas = 0;
    for (; p < end && *p != 'e' && *p != 'E'; p++) {
        if (isdigit((unsigned char)*p)) digits++;
        else if (*p == ',' && digits && p + 1 < end && isdigit((unsigned char)p[1])) commas++;
        else return 0;
    }
    if (p < end) { /* exponent */
        p++;
        if (p < end && (*p == '-' || *p == '+')) p++;
        if (p == end) return 0;
        for (; p < end; p++)
            if (!isdigit((unsigned char)*p)) return 0;
    }
    *has_comma |= commas > 0;
    return digits > 0 && commas <= 1;
}

/* Whether the data lines write numbers with a decimal comma, as spreadsheets and instrument software in many
 * countries do ("26,64;1523,5" or "26,64<TAB>1523,5"): no point in any data line, every data line two or more
 * fields apart by ';', tabs or spaces, each a number with at most one comma, and a comma in some. "5,100" (a
 * comma-separated pair) and "5, 100" are not. */
static int uses_decimal_comma(const char *text)
{
    int any_comma = 0, data_lines = 0;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        const char *end = eol ? eol : line + strlen(line);
        const char *p = line;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (p < end && (isdigit((unsigned char)*p) || *p == '-' || *p == '+')) {
            if (memchr(p, '.', (size_t)(end - p))) return 0;
            int fields = 0;
            while (p < end) {
                const char *f = p;
                while (p < end && *p != ';' && *p != '\t' && *p != ' ' && *p != '\r') p++;
                if (p > f) {
                    if (!decimal_comma_field(f, p, &any_comma)) return 0;
                    fields++;
                }
                while (p < end && (*p == ';' || *p == '\t' || *p == ' ' || *p == '\r')) p++;
            }
            if (fields < 2) return 0;
            data_lines++;
        }
        if (!eol) break;
        line = eol + 1;
    }
    return data_lines > 0 && any_comma;
}

/* The wavelength a header line states (0: none), kept in *wavelength; XS_ERR_INVALID at the line where it states
 * one outside 0.1..3 A with a unit (or a negative energy). A bare number outside that range after "wavelength" is
 * not taken but kept in *note (the first only) for xs_pattern_read_ex to report. */
static xs_status header_wavelength(const char *path, const char *line, size_t len, int line_no, double *wavelength,
                                   xs_error *note, xs_error *err)
{
    double outside = 0;
    double wl = text_wavelength(line, len, &outside);
    int shown = len < 80 ? (int)len : 80;
    while (shown > 0 && (line[shown - 1] == '\r' || line[shown - 1] == '\n')) shown--;
    if (wl != 0 && !(wl >= 0.1 && wl <= 3))
        return xs_error_set(err, XS_ERR_INVALID, path, line_no, 1, "the header states a wavelength of %g A ('%.*s'), outside 0.1..3 A",
                            wl, shown, line);
    if (wl == 0 && outside != 0 && note && note->code == XS_OK)
        xs_error_set(note, XS_ERR_INVALID, path, line_no, 1,
                     "'%.*s': %g is outside 0.1..3 A and names no unit (nm, pm, keV), so it is not taken as the wavelength",
                     shown, line, outside);
    *wavelength = wl;
    return XS_OK;
}

/* Two-column text (xy, xye, csv, RRUFF txt), with a decimal point or a decimal comma; a scan from high to low
 * angle is read in reverse. */
static xs_status read_two_column(const char *path, char *text, xs_pattern ***list, size_t *n, xs_error *note,
                                 xs_error *err)
{
    xs_points b = {0};
    double wavelength = 0;
    int line_no = 0, data_started = 0;
    int decimal_comma = uses_decimal_comma(text);
    xs_status st = XS_OK;
    for (char *next, *line = text; line && *line; line = next) {
        size_t len;
        next_line(line, &len, &next, &line_no);
        int numeric = starts_numeric(line); /* the same after a decimal comma becomes a point */
        if (decimal_comma && numeric)
            for (char *c = line; *c; c++)
                if (*c == ',') *c = '.';
        if (!decimal_comma && numeric && strpbrk(line, ";\t")) {
            /* "6,0;300" among lines with points would otherwise read as 6 and 0 */
            const char *c = strchr(line, ',');
            if (c && c > line && isdigit((unsigned char)c[-1]) && isdigit((unsigned char)c[1])) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, (int)(c - line) + 1,
                                  "a decimal comma in a file whose other data lines use decimal points");
                break;
            }
        }
        if (!numeric) {
            const char *t = skip_separators(line);
            if (*t) {
                /* "##END=" and the like after the data end RRUFF files; any other text after data begins is
                 * an error, not something to skip silently. */
                if (data_started && t[0] != '#' && t[0] != '!') {
                    st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "expected two numbers (2theta, intensity), found '%.40s'", t);
                    break;
                }
                if (!wavelength) {
                    /* "Wavelength;1,5406" in a decimal-comma file is 1.5406, not 1 */
                    if (decimal_comma)
                        for (size_t i = 1; i + 1 < len; i++)
                            if (line[i] == ',' && isdigit((unsigned char)line[i - 1]) && isdigit((unsigned char)line[i + 1]))
                                line[i] = '.';
                    if ((st = header_wavelength(path, line, len, line_no, &wavelength, note, err)) != XS_OK) break;
                }
            }
        } else {
            const char *p = skip_separators(line);
            const char *x_text = p;
            char *end;
            double x = strtod(p, &end);
            if (end == p) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "expected a number");
                break;
            }
            const char *x_end = end;
            p = skip_separators(end);
            double y = strtod(p, &end);
            if (end == p) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, (int)(p - line) + 1,
                                  "expected a second number (intensity) after 2theta %g", x);
                break;
            }
            /* the column of the value itself, so that a NaN among thousands of lines is found at once */
            if (!isfinite(x) || !isfinite(y)) {
                const char *bad = isfinite(x) ? p : x_text;
                st = xs_error_set(err, XS_ERR_INVALID, path, line_no, (int)(bad - line) + 1, "%s '%.*s' is not a finite number",
                                  isfinite(x) ? "intensity" : "2theta", (int)((isfinite(x) ? end : x_end) - bad), bad);
                break;
            }
            data_started = 1;
            if (b.n == 1 && x < b.x[0]) b.descending = 1;
            if ((st = push_point(&b, x, y, path, line_no, err)) != XS_OK) break;
        }
    }
    if (st == XS_OK && b.descending)
        for (size_t i = 0, j = b.n - 1; i < j; i++, j--) {
            double t = b.x[i];
            b.x[i] = b.x[j];
            b.x[j] = t;
            t = b.y[i];
            b.y[i] = b.y[j];
            b.y[j] = t;
        }
    if (st == XS_OK) {
        xs_pattern *p = NULL;
        xs_error e = {0};
        st = xs_pattern_create(path, b.n, b.x, b.y, wavelength, &p, &e);
        if (st != XS_OK) {
            if (b.n == 0) xs_error_set(err, st, path, 0, 0, "no data lines (two numbers: 2theta, intensity)");
            else xs_error_set(err, st, path, e.line, 0, "%s", e.message);
        } else {
            st = list_of_one(path, p, list, n, err);
        }
    }
    free(b.x);
    free(b.y);
    return st;
}

/* The table of ../shared/data/experimental: `id <TAB> space_group <TAB> v1 v2 ...`, grid from the header. */
static xs_status read_table(const char *path, char *text, xs_pattern ***list, size_t *n, xs_error *note, xs_error *err)
{
    xs_grid grid = xs_grid_paper();
    double wavelength = 0;
    size_t cap = 0;
    int line_no = 0;
    double *x = NULL, *y = NULL;
    size_t xy_cap = 0;
    xs_status st = XS_OK;
    const size_t text_len = strlen(text);
    for (char *next, *line = text; line && *line && st == XS_OK; line = next) {
        size_t len;
        next_line(line, &len, &next, &line_no);
        if (line[0] == '#') {
            double a, bb, step;
            const char *g = strstr(line, "2theta");
            if (g && sscanf(g, "2theta %lf..%lf step %lf", &a, &bb, &step) == 3 && step > 0 && bb > a) {
                /* every intensity takes at least two characters: a grid of more points than half the file
                 * is a wrong header, not a pattern (fuzzed: 5.00..8999999999.99 asked for 7 TB) */
                double points = floor((bb - a) / step + 0.5) + 1;
                if (!(points <= (double)(text_len / 2 + 1))) {
                    st = xs_error_set(err, XS_ERR_PARSE, path, line_no, (int)(g - line) + 1,
                                      "header grid 2theta %g..%g step %g has %.0f points, more than the file holds", a,
                                      bb, step, points);
                    break;
                }
                grid.start = a;
                grid.step = step;
                grid.count = (size_t)points;
            }
            if (!wavelength && (st = header_wavelength(path, line, len, line_no, &wavelength, note, err)) != XS_OK) break;
        } else if (len > 0) {
            char *tab1 = strchr(line, '\t');
            char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
            if (!tab2) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "expected id <TAB> space group <TAB> intensities");
                break;
            }
            *tab1 = 0;
            /* an empty or 0 label is an unlabelled pattern; anything else that is not 1..230 is a typo that would
             * otherwise drop the pattern from an evaluation in silence */
            char *label_end;
            long label = strtol(tab1 + 1, &label_end, 10);
            while (*label_end == ' ') label_end++;
            if (label_end != tab2 || label < 0 || label > 230) { /* an empty field ends at tab2 as 0 */
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, (int)(tab1 + 1 - line) + 1,
                                  "pattern '%s': space group '%.*s' is not 1..230 (0 or empty: unlabelled)", line,
                                  (int)(tab2 - tab1 - 1), tab1 + 1);
                break;
            }
            if (xy_cap < grid.count) {
                free(x);
                free(y);
                x = malloc(grid.count * sizeof *x);
                y = malloc(grid.count * sizeof *y);
                xy_cap = grid.count;
                if (!x || !y) {
                    st = xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
                    break;
                }
            }
            const char *p = tab2 + 1;
            size_t k = 0;
            while (k < grid.count) {
                char *end;
                double v = strtod(p, &end);
                if (end == p) break;
                x[k] = grid.start + grid.step * (double)k;
                y[k] = v;
                k++;
                p = end;
            }
            while (*p == ' ' || *p == '\t') p++;
            if (k != grid.count || *p) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, (int)(p - line) + 1,
                                  "pattern '%s' has %zu intensities where the header's grid has %zu", line, k, grid.count);
                break;
            }
            char name[512];
            snprintf(name, sizeof name, "%s#%s", path, line);
            xs_pattern *pat = NULL;
            xs_error e = {0};
            st = xs_pattern_create(name, k, x, y, wavelength, &pat, &e);
            if (st != XS_OK) {
                xs_error_set(err, st, path, line_no, 0, "%s", e.message);
                break;
            }
            pat->label = (int)label;
            if (!push_list(list, n, &cap, pat)) {
                xs_pattern_free(pat);
                st = xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
            }
        }
    }
    free(x);
    free(y);
    if (st == XS_OK && *n == 0) st = xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "no pattern lines in the table");
    return st;
}

/* ---- .xrdml ---- */

/* Shared with patterns_zip.c (patterns_internal.h). */
const char *xs_xml_element(const char *from, const char *limit, const char *tag, size_t *len, const char **after)
{
    char open[80], close[80];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    for (const char *p = from; (p = strstr(p, open)) != NULL; p += strlen(open)) {
        if (limit && p >= limit) return NULL;
        char c = p[strlen(open)];
        if (c != '>' && !isspace((unsigned char)c)) continue;
        const char *gt = strchr(p, '>');
        if (!gt || gt[-1] == '/') return NULL; /* unterminated, or an empty element */
        const char *end = strstr(gt + 1, close);
        if (!end || (limit && end > limit)) return NULL;
        *len = (size_t)(end - gt - 1);
        if (after) *after = end + strlen(close);
        return gt + 1;
    }
    return NULL;
}

int xs_text_line_of(const char *text, const char *at)
{
    int line = 1;
    for (const char *p = text; p < at; p++) line += *p == '\n';
    return line;
}

static xs_status read_xrdml(const char *path, char *text, xs_pattern ***list, size_t *n, xs_error *err)
{
    size_t len;
    double ka1 = 0, ka2 = 0, ratio = 0;
    const char *wl = xs_xml_element(text, NULL, "usedWavelength", &len, NULL);
    if (wl) {
        size_t l2;
        const char *v = xs_xml_element(wl, NULL, "kAlpha1", &l2, NULL);
        if (v) ka1 = strtod(v, NULL);
        v = xs_xml_element(wl, NULL, "kAlpha2", &l2, NULL);
        if (v) ka2 = strtod(v, NULL);
        v = xs_xml_element(wl, NULL, "ratioKAlpha2KAlpha1", &l2, NULL);
        if (v) ratio = strtod(v, NULL);
    }
    /* The goniometer radius for a displacement correction: the receiving side's, else the incident side's;
     * a value outside what diffractometers have (another unit) is not taken. */
    double radius = 0;
    const char *paths[2] = {"diffractedBeamPath", "incidentBeamPath"};
    for (int k = 0; k < 2 && radius == 0; k++) {
        size_t lp, lr;
        const char *bp = xs_xml_element(text, NULL, paths[k], &lp, NULL);
        const char *r = bp ? xs_xml_element(bp, NULL, "radius", &lr, NULL) : NULL;
        if (r && r < bp + lp) {
            double v = strtod(r, NULL);
            if (v >= XS_PATTERN_MIN_RADIUS && v <= XS_PATTERN_MAX_RADIUS) radius = v;
        }
    }
    /* The scan's 2Theta positions: <positions axis="2Theta" ...> with start/end or a list. */
    const char *pos = text, *found = NULL;
    while ((pos = strstr(pos, "<positions")) != NULL) {
        const char *gt = strchr(pos, '>');
        if (!gt) break;
        if (memmem(pos, (size_t)(gt - pos), "2Theta", 6)) {
            found = pos;
            break;
        }
        pos = gt;
    }
    if (!found) return xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "no <positions axis=\"2Theta\"> in the xrdml file");
    const char *counts = xs_xml_element(found, NULL, "intensities", &len, NULL);
    if (!counts) counts = xs_xml_element(found, NULL, "counts", &len, NULL);
    if (!counts) {
        /* an element that opens and never closes is a file cut short, not one without counts */
        const char *open = strstr(found, "<intensities");
        if (!open) open = strstr(found, "<counts");
        if (open)
            return xs_error_set(err, XS_ERR_PARSE, path, xs_text_line_of(text, open), 0,
                                "<%s> is not closed: the file is cut short", open[1] == 'i' ? "intensities" : "counts");
        return xs_error_set(err, XS_ERR_NOT_FOUND, path, xs_text_line_of(text, found), 0, "no <intensities> or <counts> after the 2Theta positions");
    }
    xs_points b = {0};
    const char *p = counts, *end = counts + len;
    while (p < end) {
        char *e;
        double v = strtod(p, &e);
        if (e == p) break;
        if (!isfinite(v)) {
            free(b.x);
            free(b.y);
            return xs_error_set(err, XS_ERR_INVALID, path, xs_text_line_of(text, p), 0, "intensity %zu, '%.*s', is not a finite number",
                                b.n + 1, (int)(e - p), p);
        }
        if (!xs_points_push(&b, 0, v)) {
            free(b.x);
            free(b.y);
            return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
        }
        p = e;
        while (p < end && isspace((unsigned char)*p)) p++;
    }
    xs_status st = XS_OK;
    size_t l2;
    const char *list_pos = xs_xml_element(found, NULL, "listPositions", &l2, NULL);
    const char *start = xs_xml_element(found, NULL, "startPosition", &l2, NULL);
    const char *stop = xs_xml_element(found, NULL, "endPosition", &l2, NULL);
    if (p < end) {
        st = xs_error_set(err, XS_ERR_PARSE, path, xs_text_line_of(text, p), 0, "intensities contain a value that is not a number");
    } else if (list_pos && list_pos < counts) {
        const char *q = list_pos;
        for (size_t i = 0; i < b.n; i++) {
            char *e;
            b.x[i] = strtod(q, &e);
            if (e == q) {
                st = xs_error_set(err, XS_ERR_PARSE, path, xs_text_line_of(text, q), 0, "fewer 2Theta positions than intensities");
                break;
            }
            q = e;
        }
    } else if (start && stop && b.n > 1) {
        double a = strtod(start, NULL), z = strtod(stop, NULL);
        for (size_t i = 0; i < b.n; i++) b.x[i] = a + (z - a) * (double)i / (double)(b.n - 1);
    } else {
        st = xs_error_set(err, XS_ERR_PARSE, path, xs_text_line_of(text, found), 0, "2Theta positions without start and end");
    }
    if (st == XS_OK) {
        xs_pattern *pat = NULL;
        /* Weighted K-alpha mean: the wavelength a K-alpha doublet pattern is usually indexed with. */
        double wavelength = ka1 > 0 ? (ka2 > 0 && ratio > 0 ? (ka1 + ratio * ka2) / (1 + ratio) : ka1) : 0;
        st = xs_pattern_create(path, b.n, b.x, b.y, wavelength, &pat, err);
        if (st == XS_OK) {
            pat->kalpha2 = ka2;
            pat->kalpha2_ratio = ratio;
            pat->goniometer_radius = radius;
            st = list_of_one(path, pat, list, n, err);
        }
    }
    free(b.x);
    free(b.y);
    return st;
}

/* ---- instrument text formats: Rigaku .ras, GSAS ---- */

/* The quoted value of a Rigaku header line `*KEY "value"`, or NULL. */
static const char *ras_value(const char *line, const char *key, char *out, size_t size)
{
    size_t lk = strlen(key);
    if (strncmp(line, key, lk) != 0 || (line[lk] != ' ' && line[lk] != '\t')) return NULL;
    const char *q = strchr(line + lk, '"');
    if (!q) return NULL;
    const char *e = strchr(q + 1, '"');
    size_t l = e ? (size_t)(e - q - 1) : strlen(q + 1);
    if (l >= size) l = size - 1;
    memcpy(out, q + 1, l);
    out[l] = 0;
    return out;
}

xs_status xs_pattern_push_named(const char *path, int k, int several, xs_points *b, double wavelength, double ka2,
                            double ka2_ratio, int data_line, xs_pattern ***list, size_t *n, size_t *cap, xs_error *err)
{
    char name[600];
    if (several) snprintf(name, sizeof name, "%s#%d", path, k);
    else snprintf(name, sizeof name, "%s", path);
    xs_pattern *p = NULL;
    xs_error e = {0};
    xs_status st = xs_pattern_create(name, b->n, b->x, b->y, wavelength, &p, &e);
    if (st != XS_OK) return xs_error_set(err, st, name, data_line, 0, "%s", e.message);
    p->kalpha2 = ka2;
    p->kalpha2_ratio = ka2 > 0 ? ka2_ratio : 0;
    if (!push_list(list, n, cap, p)) {
        xs_pattern_free(p);
        return xs_error_set(err, XS_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    return XS_OK;
}

/* Rigaku .ras (SmartLab, MiniFlex, Ultima): scans from *RAS_DATA_START to *RAS_DATA_END, a header of
 * `*KEY "value"` lines, then `angle count [attenuator factor]` lines between *RAS_INT_START and *RAS_INT_END.
 * The intensity is the count times the factor. The wavelength: the K-alpha1/K-alpha2 mean (2:1) of
 * *HW_XG_WAVE_LENGTH_ALPHA1/2. A scan whose axis (*MEAS_SCAN_AXIS_X) is not 2theta is an error. */
static xs_status read_rigaku_ras(const char *path, char *text, xs_pattern ***list, size_t *n, xs_error *err)
{
    size_t cap = 0;
    int line_no = 0, scans = 0, in_data = 0, data_line = 0;
    for (const char *p = text; (p = strstr(p, "*RAS_INT_START")) != NULL; p++) scans++;
    double ka1 = 0, ka2 = 0;
    char axis[64] = "";
    xs_points b = {0};
    xs_status st = XS_OK;
    int k = 0;
    for (char *next, *line = text; st == XS_OK && line && *line; line = next) {
        size_t len;
        next_line(line, &len, &next, &line_no);
        const char *t = line;
        while (*t == ' ' || *t == '\t') t++;
        char v[64];
        if (!strncmp(t, "*RAS_HEADER_START", 17)) {
            ka1 = ka2 = 0;
            axis[0] = 0;
        } else if (ras_value(t, "*HW_XG_WAVE_LENGTH_ALPHA1", v, sizeof v)) {
            ka1 = strtod(v, NULL);
        } else if (ras_value(t, "*HW_XG_WAVE_LENGTH_ALPHA2", v, sizeof v)) {
            ka2 = strtod(v, NULL);
        } else if (ras_value(t, "*MEAS_SCAN_AXIS_X", v, sizeof v)) {
            snprintf(axis, sizeof axis, "%s", v);
        } else if (!strncmp(t, "*RAS_INT_START", 14)) {
            char low[64];
            size_t i = 0;
            for (; axis[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)axis[i]);
            low[i] = 0;
            if (axis[0] && !(strstr(low, "2theta") || strstr(low, "2-theta") || strstr(low, "twotheta")))
                st = xs_error_set(err, XS_ERR_UNSUPPORTED, path, line_no, 0,
                                  "scan %d scans '%s', not 2theta: not a powder pattern", k + 1, axis);
            in_data = 1;
            data_line = line_no + 1;
            b.n = 0;
        } else if (!strncmp(t, "*RAS_INT_END", 12)) {
            if (!in_data) continue;
            in_data = 0;
            k++;
            double wl = ka1 > 0 ? (ka2 > 0 ? (ka1 + 0.5 * ka2) / 1.5 : ka1) : 0;
            st = xs_pattern_push_named(path, k, scans > 1, &b, wl, ka1 > 0 ? ka2 : 0, 0.5, data_line, list, n, &cap, err);
        } else if (in_data && *t) {
            char *e1, *e2, *e3;
            double x = strtod(t, &e1), c = strtod(e1, &e2), f = strtod(e2, &e3);
            if (e1 == t || e2 == e1) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "expected angle and count, found '%.40s'", t);
                break;
            }
            if (e3 == e2) f = 1; /* two columns: no attenuator */
            st = push_point(&b, x, c * f, path, line_no, err);
        }
    }
    if (st == XS_OK && in_data)
        st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 0, "the file ends inside scan %d (no *RAS_INT_END)", k + 1);
    if (st == XS_OK && *n == 0) st = xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "no scan (*RAS_INT_START) in the file");
    free(b.x);
    free(b.y);
    return st;
}

/* The value in columns [from, from + width) of a line, as a number; 0 for blanks. 0 when not a number. */
static int fixed_field(const char *line, size_t len, size_t from, size_t width, double *v)
{
    char buf[32];
    size_t l = 0;
    for (size_t i = from; i < from + width && i < len && l + 1 < sizeof buf; i++) buf[l++] = line[i];
    buf[l] = 0;
    const char *p = buf;
    while (*p == ' ') p++;
    if (!*p) {
        *v = 0;
        return 1;
    }
    char *e;
    *v = strtod(p, &e);
    while (*e == ' ') e++;
    return !*e && isfinite(*v);
}

/* GSAS powder data (.gsa, .gss, .fxye; GSAS and GSAS-II): a title line, then for each bank `BANK b nchan nrec
 * CONST start step 0 0 [STD|ESD|FXYE|FXY]` (angles in centidegrees) and its points: STD, 10 fields (I2
 * counters, F6.0 intensity) a line; ESD, 5 pairs (F8.0 intensity, F8.0 error); FXYE and FXY, free-format
 * `2theta intensity [error]`. Time-of-flight banks and the ALT format are refused with a message. GSAS keeps the wavelength in
 * its instrument file, so the pattern states none. */
static xs_status read_gsas(const char *path, char *text, xs_pattern ***list, size_t *n, xs_error *err)
{
    size_t cap = 0;
    int line_no = 0, banks = 0, k = 0, bank_line = 0;
    for (const char *p = text; (p = strstr(p, "\nBANK")) != NULL; p++) banks++;
    xs_points b = {0};
    xs_status st = XS_OK;
    enum { NONE, STD, ESD, FXYE } kind = NONE;
    double start = 0, step = 0;
    long nchan = 0;
    char *line = text, *next;
    size_t len;
    next_line(line, &len, &next, &line_no); /* the title */
    for (line = next; st == XS_OK && line; line = next) {
        next_line(line, &len, &next, &line_no);
        if (!strncmp(line, "BANK", 4)) {
            if (kind != NONE) st = xs_pattern_push_named(path, k, banks > 1, &b, 0, 0, 0, bank_line, list, n, &cap, err);
            if (st != XS_OK) break;
            k++;
            b.n = 0;
            bank_line = line_no;
            char bintyp[16] = "", type[16] = "";
            long bank = 0, nrec = 0;
            int got = sscanf(line + 4, "%ld %ld %ld %15s %lf %lf %*s %*s %15s", &bank, &nchan, &nrec, bintyp, &start,
                             &step, type);
            if (got < 6) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "a BANK line needs bank, points, records, "
                                                                      "bin type, start and step: '%.60s'", line);
                break;
            }
            if (strcmp(bintyp, "CONST") && strcmp(bintyp, "CONS")) {
                st = xs_error_set(err, XS_ERR_UNSUPPORTED, path, line_no, 1,
                                  "bank %ld: bin type %s (time of flight or a table of angles): only constant-step "
                                  "angle scans (CONST) are read", bank, bintyp);
                break;
            }
            kind = got < 7 || !strcmp(type, "STD") ? STD : !strcmp(type, "ESD") ? ESD
                 : !strcmp(type, "FXYE") || !strcmp(type, "FXY") ? FXYE : NONE;
            if (kind == NONE) {
                st = xs_error_set(err, XS_ERR_UNSUPPORTED, path, line_no, 1,
                                  "bank %ld: GSAS format %s is not read (STD, ESD, FXYE, FXY are)", bank, type);
                break;
            }
            if (nchan < 10 || !(step > 0)) {
                st = xs_error_set(err, XS_ERR_INVALID, path, line_no, 1, "bank %ld: %ld points at step %g", bank, nchan, step);
                break;
            }
            continue;
        }
        if (kind == NONE || line[0] == '#' || !len) continue;
        if (kind == FXYE) {
            char *e1, *e2;
            double x = strtod(line, &e1), y = strtod(e1, &e2);
            if (e1 == line || e2 == e1) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 1, "expected 2theta (centidegrees) and intensity");
                break;
            }
            st = push_point(&b, x / 100, y, path, line_no, err);
            continue;
        }
        int fields = kind == STD ? 10 : 5;
        for (int f = 0; f < fields && (long)b.n < nchan && st == XS_OK; f++) {
            if ((size_t)f * (kind == STD ? 8 : 16) >= len) break; /* a short last line */
            double a, y;
            int ok = kind == STD ? fixed_field(line, len, (size_t)f * 8, 2, &a) && fixed_field(line, len, (size_t)f * 8 + 2, 6, &y)
                                 : fixed_field(line, len, (size_t)f * 16, 8, &y) && fixed_field(line, len, (size_t)f * 16 + 8, 8, &a);
            if (!ok) {
                st = xs_error_set(err, XS_ERR_PARSE, path, line_no, f * (kind == STD ? 8 : 16) + 1,
                                  "field %d is not a number (GSAS %s: fixed columns)", f + 1, kind == STD ? "STD" : "ESD");
                break;
            }
            (void)a; /* STD: the number of counters weighs the intensity's variance (Y / NCTR), not Y itself */
            st = push_point(&b, (start + step * (double)b.n) / 100, y, path, line_no, err);
        }
    }
    if (st == XS_OK && kind != NONE) {
        if (kind != FXYE && (long)b.n < nchan)
            st = xs_error_set(err, XS_ERR_PARSE, path, line_no, 0, "bank %d: %zu of its %ld points (file cut short?)", k,
                              b.n, nchan);
        else
            st = xs_pattern_push_named(path, k, banks > 1, &b, 0, 0, 0, bank_line, list, n, &cap, err);
    }
    if (st == XS_OK && *n == 0) st = xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "no BANK in the file");
    free(b.x);
    free(b.y);
    return st;
}

/* ---- Bruker (Siemens) DIFFRAC .raw, binary: versions 3 ("RAW1.01", DIFFRAC plus) and 4 ("RAW4.00", DIFFRAC.SUITE) ----
 * Written from the layout as xylib documents it (wojdyr/xylib bruker_raw.cpp, after Bruker's DIFFRAC plus XCH
 * manual, appendix A); no sample file was at hand, so tests/test_patterns.c writes files of that layout.
 * Little-endian; every read is bounds-checked, so a cut or garbled file is an error naming the byte. */

typedef struct {
    const unsigned char *d;
    size_t size;
    const char *path;
    xs_error *err;
    int bad; /* a read went past the end: the error is set once */
} raw_reader;

static int raw_has(raw_reader *r, size_t off, size_t len, const char *what)
{
    if (off <= r->size && len <= r->size - off) return 1;
    if (!r->bad) xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0, "the file ends at byte %zu, inside %s (file cut short?)",
                              r->size, what);
    r->bad = 1;
    return 0;
}

static uint32_t raw_u32(raw_reader *r, size_t off, const char *what)
{
    if (!raw_has(r, off, 4, what)) return 0;
    const unsigned char *b = r->d + off;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static double raw_f64(raw_reader *r, size_t off, const char *what)
{
    if (!raw_has(r, off, 8, what)) return 0;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | r->d[off + (size_t)i];
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static float raw_f32(raw_reader *r, size_t off, const char *what)
{
    uint32_t u = raw_u32(r, off, what);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* The tube's lines as a .raw header states them. */
typedef struct {
    double a1, a2, ratio, average;
} raw_tube;

/* The wavelength of a range: the K-alpha1/K-alpha2 mean with the file's ratio (0.5 when it gives no usable
 * one; a ratio of 0, a monochromator's K-alpha1 alone, gives K-alpha1), else the average the header states,
 * else the range's own (used); 0 when none is positive. *ka2 and *ratio: the K-alpha2 line the mean
 * included and its ratio, else 0. */
static double raw_wavelength(const raw_tube *t, double used, double *ka2, double *ratio)
{
    *ka2 = *ratio = 0;
    if (isfinite(t->a1) && t->a1 > 0.05 && t->a1 < 5) {
        if (t->ratio == 0 || !(isfinite(t->a2) && t->a2 > t->a1 && t->a2 < 5)) return t->a1;
        *ka2 = t->a2;
        *ratio = isfinite(t->ratio) && t->ratio > 0 && t->ratio < 1 ? t->ratio : 0.5;
        return (t->a1 + *ratio * t->a2) / (1 + *ratio);
    }
    if (isfinite(t->average) && t->average > 0.05 && t->average < 5) return t->average;
    return isfinite(used) && used > 0.05 && used < 5 ? used : 0;
}

/* One range: steps float32 counts from data_off, 2theta = start + i step, at the tube's wavelength. */
static xs_status raw_range(raw_reader *r, int k, int several, size_t data_off, uint32_t steps, double start,
                           double step, const raw_tube *tube, double used, xs_pattern ***list, size_t *n, size_t *cap)
{
    char what[48];
    snprintf(what, sizeof what, "the counts of range %d", k);
    if (!(isfinite(start) && isfinite(step) && step > 0 && steps > 0))
        return xs_error_set(r->err, XS_ERR_INVALID, r->path, 0, 0,
                            "range %d: start %g, step %g deg and %u steps do not make a scan", k, start, step, steps);
    if (!raw_has(r, data_off, (size_t)steps * 4, what)) return r->err ? r->err->code : XS_ERR_PARSE;
    xs_points b = {0};
    xs_status st = XS_OK;
    for (uint32_t i = 0; i < steps && st == XS_OK; i++)
        st = push_point(&b, start + step * (double)i, raw_f32(r, data_off + 4 * (size_t)i, what), r->path, 0, r->err);
    double ka2, ratio, wl = raw_wavelength(tube, used, &ka2, &ratio);
    if (st == XS_OK) st = xs_pattern_push_named(r->path, k, several, &b, wl, ka2, ratio, 0, list, n, cap, r->err);
    free(b.x);
    free(b.y);
    return st;
}

static xs_status read_bruker_raw3(raw_reader *r, xs_pattern ***list, size_t *n)
{
    size_t cap = 0;
    uint32_t ranges = raw_u32(r, 12, "the file header");
    const raw_tube tube = {raw_f64(r, 624, "the file header"), raw_f64(r, 632, "the file header"),
                           raw_f64(r, 648, "the file header"), raw_f64(r, 616, "the file header")};
    if (r->bad) return r->err ? r->err->code : XS_ERR_PARSE;
    if (ranges == 0 || ranges > 10000)
        return xs_error_set(r->err, XS_ERR_INVALID, r->path, 0, 0, "the header gives %u ranges", ranges);
    size_t off = 712;
    for (uint32_t k = 1; k <= ranges; k++) {
        char what[40];
        snprintf(what, sizeof what, "the header of range %u", k);
        uint32_t header = raw_u32(r, off, what), steps = raw_u32(r, off + 4, what);
        double start = raw_f64(r, off + 16, what), step = raw_f64(r, off + 176, what);
        double used = raw_f64(r, off + 240, what);
        uint32_t extra = raw_u32(r, off + 256, what);
        if (r->bad) return r->err ? r->err->code : XS_ERR_PARSE;
        if (header != 304)
            return xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0,
                                "range %u: a header of %u bytes at byte %zu, not 304 (not a version 3 .raw file?)", k,
                                header, off);
        if (extra > r->size)
            return xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0, "range %u: %u bytes of further headers, past the end",
                                k, extra);
        size_t data = off + 304 + extra;
        xs_status st = raw_range(r, (int)k, ranges > 1, data, steps, start, step, &tube, used, list, n, &cap);
        if (st != XS_OK) return st;
        off = data + 4 * (size_t)steps;
    }
    return XS_OK;
}

/* Whether a version 4 range header (block type 0 or 160) starts at off; the caller has checked 4 bytes. */
static int raw4_is_range(raw_reader *r, size_t off)
{
    uint32_t type = raw_u32(r, off, "a range header");
    return type == 0 || type == 160;
}

/* Where the version 4 range at off ends (its 160-byte header, further headers, steps x bytes a point); past
 * the file's end (r->size + 1) when the header does not fit or its sizes overflow, which ends any walk. */
static size_t raw4_range_end(raw_reader *r, size_t off)
{
    if (off > r->size || r->size - off < 160) return r->size + 1;
    uint32_t steps = raw_u32(r, off + 88, "a range header"), datum = raw_u32(r, off + 136, "a range header");
    uint32_t extra = raw_u32(r, off + 140, "a range header");
    uint64_t len = 160 + (uint64_t)extra + (uint64_t)steps * datum;
    return len > r->size - off ? r->size + 1 : off + (size_t)len;
}

static xs_status read_bruker_raw4(raw_reader *r, xs_pattern ***list, size_t *n)
{
    size_t cap = 0, off = 61;
    raw_tube tube = {0, 0, 0, 0};
    /* file-wide segments until the first range (type 0 or 160); type 30 holds the tube's wavelengths */
    for (;;) {
        uint32_t type = raw_u32(r, off, "the file's segments (no range found)");
        if (r->bad) return r->err ? r->err->code : XS_ERR_PARSE;
        if (type == 0 || type == 160) break;
        uint32_t len = raw_u32(r, off + 4, "a segment header");
        if (r->bad) return r->err ? r->err->code : XS_ERR_PARSE;
        if (len < 8 || len > r->size - off)
            return xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0, "a segment of type %u at byte %zu claims %u bytes",
                                type, off, len);
        if (type == 30 && len >= 120) {
            tube.average = raw_f64(r, off + 72, "the hardware segment");
            tube.a1 = raw_f64(r, off + 80, "the hardware segment");
            tube.a2 = raw_f64(r, off + 88, "the hardware segment");
            tube.ratio = raw_f64(r, off + 104, "the hardware segment");
        }
        off += len;
    }
    int total = 0; /* count the ranges first: names get "#K" only when several */
    for (size_t o = off; o + 160 <= r->size && raw4_is_range(r, o); o = raw4_range_end(r, o)) total++;
    for (int k = 1; off < r->size; k++) {
        char what[40];
        snprintf(what, sizeof what, "the header of range %d", k);
        /* after the ranges, a trailer of another kind (or a few padding bytes) ends them, as xylib reads it */
        if (k > 1 && (r->size - off < 4 || !raw4_is_range(r, off))) break;
        uint32_t type = raw_u32(r, off, what);
        if (r->bad) return r->err ? r->err->code : XS_ERR_PARSE;
        if (type != 0 && type != 160)
            return xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0, "byte %zu: a block of type %u where range %d should start",
                                off, type, k);
        if (!raw_has(r, off, 160, what)) return r->err ? r->err->code : XS_ERR_PARSE;
        char scan[25];
        memcpy(scan, r->d + off + 32, 24);
        scan[24] = 0;
        double start = raw_f64(r, off + 72, what), step = raw_f64(r, off + 80, what);
        uint32_t steps = raw_u32(r, off + 88, what);
        double used = raw_f64(r, off + 112, what);
        uint32_t datum = raw_u32(r, off + 136, what), extra = raw_u32(r, off + 140, what);
        /* the scan type names what moved: a coupled theta/2theta scan (locked or not) is a powder pattern */
        char low[25];
        for (int i = 0; i < 25; i++) low[i] = (char)tolower((unsigned char)scan[i]);
        if (!strstr(low, "coupled") && !strstr(low, "2theta") && !strstr(low, "twotheta"))
            return xs_error_set(r->err, XS_ERR_UNSUPPORTED, r->path, 0, 0,
                                "range %d is a '%s' scan, not a coupled 2theta scan: not a powder pattern", k, scan);
        if (datum != 4)
            return xs_error_set(r->err, XS_ERR_UNSUPPORTED, r->path, 0, 0,
                                "range %d stores %u bytes a point; only 4-byte floats are read", k, datum);
        if (extra > r->size)
            return xs_error_set(r->err, XS_ERR_PARSE, r->path, 0, 0, "range %d: %u bytes of further headers, past the end",
                                k, extra);
        xs_status st = raw_range(r, k, total > 1, off + 160 + extra, steps, start, step, &tube, used, list, n, &cap);
        if (st != XS_OK) return st;
        off = raw4_range_end(r, off);
    }
    if (*n == 0) return xs_error_set(r->err, XS_ERR_NOT_FOUND, r->path, 0, 0, "no range in the file");
    return XS_OK;
}

/* A Bruker .raw file by its first bytes: 1 version 3 or 4 (read), -1 version 1 or 2 (not read), 0 not one. */
static int bruker_raw_version(const char *d, size_t size)
{
    if (size >= 7 && !memcmp(d, "RAW1.01", 7)) return 3;
    if (size >= 7 && !memcmp(d, "RAW4.00", 7)) return 4;
    if (size >= 4 && (!memcmp(d, "RAW ", 4) || !memcmp(d, "RAW2", 4))) return -1;
    return 0;
}

/* Extension test that looks through a trailing ".gz" ("p.xy.gz" has ".xy"). */
static int has_extension(const char *path, const char *ext)
{
    size_t lp = strlen(path), le = strlen(ext);
    if (lp > 3 && !strcasecmp(path + lp - 3, ".gz")) lp -= 3;
    return lp > le && !strncasecmp(path + lp - le, ext, le);
}

/* GSAS: a BANK line among the first lines, after the title. */
static int is_gsas(const char *text)
{
    const char *p = text;
    for (int line = 0; line < 6 && p; line++) {
        if (line > 0 && !strncmp(p, "BANK ", 5) && isdigit((unsigned char)p[5])) return 1;
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

xs_status xs_pattern_read(const char *path, xs_pattern ***patterns, size_t *n, xs_error *err)
{
    return xs_pattern_read_ex(path, NULL, NULL, patterns, n, err);
}

xs_status xs_pattern_read_ex(const char *path, xs_pattern_warning_fn on_warning, void *user, xs_pattern ***patterns,
                             size_t *n, xs_error *err)
{
    *patterns = NULL;
    *n = 0;
    if (!path) return xs_error_set(err, XS_ERR_INVALID, NULL, 0, 0, "no file name given");
    xs_error note = {0};
    size_t size = 0;
    char *text = slurp(path, &size, err);
    if (!text) return err ? err->code : XS_ERR_IO;
    if (size == 0) {
        free(text);
        return xs_error_set(err, XS_ERR_NOT_FOUND, path, 0, 0, "the file is empty");
    }
    int raw = bruker_raw_version(text, size);
    if (raw == 0) size = text_to_8bit(text, size);
    if (raw == 3 || raw == 4) {
        raw_reader r = {(const unsigned char *)text, size, path, err, 0};
        xs_status rst = raw == 3 ? read_bruker_raw3(&r, patterns, n) : read_bruker_raw4(&r, patterns, n);
        free(text);
        if (rst != XS_OK) {
            xs_pattern_list_free(*patterns, *n);
            *patterns = NULL;
            *n = 0;
        }
        return rst;
    }
    if (raw < 0) {
        free(text);
        return xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0,
                            "a Bruker .raw file of version 1 or 2 (DIFFRAC-AT): only versions 3 and 4 are read; export "
                            "the pattern as .xy or convert it with DIFFRAC's file exchange");
    }
    if (size >= 4 && !memcmp(text, "PK\x03\x04", 4)) {
        free(text);
        return xs_pattern_read_zip(path, patterns, n, err);
    }
    if (memchr(text, 0, size)) {
        free(text);
        return xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0,
                            "binary file, not a Bruker .raw of version 3 or 4: export the pattern as .xy, .xye, .csv, "
                            ".xrdml, .ras, .rasx, .brml, GSAS or powder CIF");
    }
    xs_status st;
    const char *first = text;
    while (*first == ' ' || *first == '\t' || *first == '\r' || *first == '\n') first++;
    if (has_extension(path, ".xrdml") || !strncmp(first, "<?xml", 5)) {
        st = read_xrdml(path, text, patterns, n, err);
    } else if (has_extension(path, ".ras") || !strncmp(first, "*RAS_DATA_START", 15)) {
        st = read_rigaku_ras(path, text, patterns, n, err);
    } else if (is_gsas(text)) {
        st = read_gsas(path, text, patterns, n, err);
    } else if (has_extension(path, ".cif") || !strncasecmp(first, "data_", 5)) {
        free(text);
        size_t lp = strlen(path);
        if (lp > 3 && !strcasecmp(path + lp - 3, ".gz"))
            return xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0, "compressed CIF: decompress it first (gzip -d)");
        return xs_cif_read_powder(path, on_warning, user, patterns, n, err);
    } else {
        /* A table has lines with two tabs and thousands of numbers; look at the first data line. */
        const char *p = text;
        int table = 0;
        while (*p) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            if (len && p[0] != '#') {
                const char *t1 = memchr(p, '\t', len);
                const char *t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - p)) : NULL;
                table = t2 && len > 1000;
                break;
            }
            if (!eol) break;
            p = eol + 1;
        }
        st = table ? read_table(path, text, patterns, n, &note, err) : read_two_column(path, text, patterns, n, &note, err);
    }
    free(text);
    if (st == XS_OK && note.code != XS_OK && on_warning && *n > 0 && xs_pattern_wavelength((*patterns)[0]) == 0)
        on_warning(XS_PATTERN_WAVELENGTH_IGNORED, &note, user);
    if (st != XS_OK) {
        xs_pattern_list_free(*patterns, *n);
        *patterns = NULL;
        *n = 0;
    }
    return st;
}

void xs_pattern_normalize(float *v, size_t n)
{
    if (n == 0) return;
    float lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    float scale = hi > lo ? 1.0f / (hi - lo) : 0.0f;
    if (isfinite(scale)) {
        for (size_t i = 0; i < n; i++) v[i] = (v[i] - lo) * scale;
    } else { /* a range below the smallest normal float, whose reciprocal overflows: in double */
        double range = (double)hi - (double)lo;
        for (size_t i = 0; i < n; i++) v[i] = (float)(((double)v[i] - lo) / range);
    }
}

xs_status xs_pattern_correct_zero(xs_pattern *p, double zero_deg, xs_error *err)
{
    if (!(fabs(zero_deg) <= XS_PATTERN_MAX_ZERO))
        return xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                            "a zero error of %g deg is not an instrument's (at most %g deg either way)", zero_deg,
                            XS_PATTERN_MAX_ZERO);
    double lo = p->two_theta[0] - zero_deg, hi = p->two_theta[p->n - 1] - zero_deg;
    if (lo < 0 || hi > 180)
        return xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                            "corrected for a zero error of %g deg, 2theta %g..%g would leave 0..180 degrees", zero_deg,
                            lo, hi);
    for (size_t i = 0; i < p->n; i++) p->two_theta[i] -= zero_deg;
    return XS_OK;
}

xs_status xs_pattern_correct_displacement(xs_pattern *p, double height_mm, double radius_mm, xs_error *err)
{
    if (!(radius_mm >= XS_PATTERN_MIN_RADIUS && radius_mm <= XS_PATTERN_MAX_RADIUS))
        return xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                            "a goniometer radius of %g mm is not a diffractometer's (%g..%g mm)", radius_mm,
                            XS_PATTERN_MIN_RADIUS, XS_PATTERN_MAX_RADIUS);
    const double deg = M_PI / 180;
    double k = 2 * height_mm / radius_mm / deg; /* the shift at 2theta = 0, degrees */
    if (!(fabs(k) <= XS_PATTERN_MAX_ZERO))
        return xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                            "a sample displacement of %g mm at a radius of %g mm would shift peaks by up to %g deg; "
                            "a displacement shifts them at most %g deg (is it in mm?)",
                            height_mm, radius_mm, k, XS_PATTERN_MAX_ZERO);
    /* true t solves m = t + k cos(t/2); the map is a contraction (|d/dt| <= k deg/2 < 0.02), so a few steps
     * of fixed-point iteration reach 1e-9 deg */
    double *t = malloc(p->n * sizeof *t);
    if (!t) return xs_error_set(err, XS_ERR_NOMEM, p->name, 0, 0, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        double m = p->two_theta[i], x = m - k * cos(m * deg / 2);
        for (int it = 0; it < 20; it++) {
            double next = m - k * cos(x * deg / 2);
            int done = fabs(next - x) < 1e-12;
            x = next;
            if (done) break;
        }
        t[i] = x;
    }
    if (t[0] < 0 || t[p->n - 1] > 180) {
        xs_status st = xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                                    "corrected for a sample displacement of %g mm, 2theta %g..%g would leave 0..180 "
                                    "degrees", height_mm, t[0], t[p->n - 1]);
        free(t);
        return st;
    }
    memcpy(p->two_theta, t, p->n * sizeof *t);
    free(t);
    return XS_OK;
}

xs_status xs_pattern_to_grid(const xs_pattern *p, double wavelength, const xs_grid *grid, double grid_wavelength,
                             double min_coverage, float *out, double *coverage, xs_error *err)
{
    if (!(wavelength >= 0.1 && wavelength <= 3) || !(grid_wavelength >= 0.1 && grid_wavelength <= 3))
        return xs_error_set(err, XS_ERR_INVALID, p->name, 0, 0, "wavelength %g A (grid %g A) is outside 0.1..3 A",
                            wavelength, grid_wavelength);
    if (!grid || grid->count < 2 || !(grid->step > 0))
        return xs_error_set(err, XS_ERR_INVALID, p->name, 0, 0, "invalid grid");
    const double deg = M_PI / 180;
    /* Pattern angle of grid angle t: same d-spacing. */
    size_t covered = 0;
    size_t j = 0; /* pattern index with two_theta[j] <= current angle */
    double ratio = wavelength / grid_wavelength;
    /* The grid is built in double and handed over in floats at the end (see there). */
    double *g = malloc(grid->count * sizeof *g);
    if (!g) return xs_error_set(err, XS_ERR_NOMEM, p->name, 0, 0, "out of memory");
    for (size_t i = 0; i < grid->count; i++) {
        double t = grid->start + grid->step * (double)i;
        double s = ratio * sin(t * deg / 2);
        g[i] = 0;
        if (s >= 1) continue;
        double tp = 2 * asin(s) / deg;
        /* cell edges of this grid point, mapped the same way, for averaging a finer pattern */
        double t_lo = t - grid->step / 2, t_hi = t + grid->step / 2;
        double s_lo = ratio * sin(t_lo * deg / 2), s_hi = ratio * sin(t_hi * deg / 2);
        double tp_lo = 2 * asin(s_lo < 1 ? s_lo : 1) / deg, tp_hi = 2 * asin(s_hi < 1 ? s_hi : 1) / deg;
        if (tp < p->two_theta[0] || tp > p->two_theta[p->n - 1]) continue;
        covered++;
        while (j + 1 < p->n && p->two_theta[j + 1] <= tp) j++;
        /* points of the pattern inside the cell */
        size_t a = j, b = j;
        while (a > 0 && p->two_theta[a] >= tp_lo) a--;
        while (b + 1 < p->n && p->two_theta[b + 1] < tp_hi) b++;
        size_t inside = 0;
        double sum = 0;
        for (size_t q = a; q <= b; q++)
            if (p->two_theta[q] >= tp_lo && p->two_theta[q] < tp_hi) {
                sum += p->intensity[q];
                inside++;
            }
        if (inside >= 2) {
            g[i] = sum / (double)inside;
        } else if (j + 1 < p->n) {
            double f = (tp - p->two_theta[j]) / (p->two_theta[j + 1] - p->two_theta[j]);
            g[i] = p->intensity[j] + f * (p->intensity[j + 1] - p->intensity[j]);
        } else {
            g[i] = p->intensity[j];
        }
    }
    double cov = (double)covered / (double)grid->count;
    if (coverage) *coverage = cov;
    if (cov < min_coverage) {
        double lo = grid->start, hi = grid->start + grid->step * (double)(grid->count - 1);
        xs_status st = xs_error_set(err, XS_ERR_RANGE, p->name, 0, 0,
                            "the pattern (2theta %.2f..%.2f deg at %.5f A) covers %.0f%% of the model's grid (%.2f..%.2f "
                            "deg at %.5f A); at least %.0f%% is needed",
                            p->two_theta[0], p->two_theta[p->n - 1], wavelength, 100 * cov, lo, hi, grid_wavelength,
                            100 * min_coverage);
        free(g);
        return st;
    }
    /* Outside the measured range the pattern is unknown; the lowest measured value stands in for it, so
     * that normalising does not turn the gap into a drop to zero. */
    double lo_val = INFINITY;
    for (size_t i = 0; i < p->n; i++)
        if (p->intensity[i] < lo_val) lo_val = p->intensity[i];
    for (size_t i = 0; i < grid->count; i++) {
        double t = grid->start + grid->step * (double)i;
        double s = ratio * sin(t * deg / 2);
        double tp = s < 1 ? 2 * asin(s) / deg : 1e9;
        if (tp < p->two_theta[0] || tp > p->two_theta[p->n - 1]) g[i] = lo_val;
    }
    /* The grid holds floats: values beyond their range (fuzzed: 8.9e48 in a two-column file) would become inf
     * and then NaN when normalised, and values below it (fuzzed: 1e-43 of a 5.6e43 point outside the grid)
     * lose their precision and make the normalisation's 1 / (max - min) overflow. Normalising does not depend
     * on the scale, so a grid whose largest |value| lies beyond 1e30 or below 1e-30 is divided by it; any
     * other is taken as it is (times exactly 1: the floats of every ordinary pattern are unchanged). */
    double max_abs = 0;
    for (size_t i = 0; i < grid->count; i++) max_abs = fmax(max_abs, fabs(g[i]));
    const double scale = max_abs > 1e30 || (max_abs > 0 && max_abs < 1e-30) ? 1 / max_abs : 1;
    for (size_t i = 0; i < grid->count; i++) out[i] = (float)(scale * g[i]);
    free(g);
    xs_pattern_normalize(out, grid->count);
    return XS_OK;
}
