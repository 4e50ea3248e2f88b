/* SVG plotting helpers and atomic file writing shared by the subcommands (see svg.h). */
#include "svg.h"

#include "common/files.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

double xs_svg_px(const xs_svg_frame *f, double x) { return f->x0 + (x - f->xmin) / (f->xmax - f->xmin) * f->w; }
double xs_svg_py(const xs_svg_frame *f, double y) { return f->y0 + f->h - (y - f->ymin) / (f->ymax - f->ymin) * f->h; }

void xs_svg_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", o);
        else if (*s == '<') fputs("&lt;", o);
        else if (*s == '>') fputs("&gt;", o);
        else if (*s == '"') fputs("&quot;", o);
        else fputc(*s, o);
    }
}

void xs_svg_symbol(FILE *o, const char *s)
{
    while (*s) {
        if (s[0] == '_' && s[1]) {
            fprintf(o, "<tspan baseline-shift=\"sub\" font-size=\"75%%\">%c</tspan>", s[1]);
            s += 2;
        } else if (s[0] == '-' && s[1] >= '1' && s[1] <= '6') {
            fprintf(o, "<tspan text-decoration=\"overline\">%c</tspan>", s[1]);
            s += 2;
        } else {
            char c[2] = {*s++, 0};
            xs_svg_text(o, c);
        }
    }
}

double xs_svg_nice_step(double range, int n)
{
    double raw = range / n, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

void xs_svg_begin(FILE *o, double w, double h)
{
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n",
            w, h, w, h);
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
}

void xs_svg_end(FILE *o) { fputs("</svg>\n", o); }

void xs_svg_axes(FILE *o, const xs_svg_frame *f, double xstep, double ystep, const char *xlabel, const char *ylabel)
{
    /* a step <= 0: no ticks on that axis (the caller draws its own) */
    const double x_first = xstep > 0 ? ceil(f->xmin / xstep - 1e-9) * xstep : INFINITY;
    const double y_first = ystep > 0 ? ceil(f->ymin / ystep - 1e-9) * ystep : INFINITY;
    fprintf(o, "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (double x = x_first; x <= f->xmax + 1e-9; x += xstep)
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", xs_svg_px(f, x), f->y0, xs_svg_px(f, x),
                f->y0 + f->h);
    for (double y = y_first; y <= f->ymax + 1e-9; y += ystep)
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->x0, xs_svg_py(f, y), f->x0 + f->w,
                xs_svg_py(f, y));
    fprintf(o, "</g>\n");
    fprintf(o, "<g font-size=\"12\" fill=\"#222\">\n");
    for (double x = x_first; x <= f->xmax + 1e-9; x += xstep) {
        double xx = fabs(x) < 1e-9 * xstep ? 0 : x;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>", xs_svg_px(f, x),
                f->y0 + f->h, xs_svg_px(f, x), f->y0 + f->h + 5);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", xs_svg_px(f, x), f->y0 + f->h + 19,
                xx);
    }
    for (double y = y_first; y <= f->ymax + 1e-9; y += ystep) {
        double yy = fabs(y) < 1e-12 ? 0 : y;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>", f->x0 - 5, xs_svg_py(f, y),
                f->x0, xs_svg_py(f, y));
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", f->x0 - 8, xs_svg_py(f, y) + 4, yy);
    }
    fprintf(o, "</g>\n");
    fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#222\"/>\n", f->x0,
            f->y0, f->w, f->h);
    if (xlabel) {
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", f->x0 + f->w / 2, f->y0 + f->h + 38);
        xs_svg_text(o, xlabel);
        fputs("</text>\n", o);
    }
    if (ylabel) {
        fprintf(o, "<text transform=\"translate(%.0f %.1f) rotate(-90)\" text-anchor=\"middle\">", f->x0 - 54,
                f->y0 + f->h / 2);
        xs_svg_text(o, ylabel);
        fputs("</text>\n", o);
    }
}

void xs_svg_clip(FILE *o, const xs_svg_frame *f, const char *id)
{
    fprintf(o, "<clipPath id=\"%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath>\n", id, f->x0,
            f->y0, f->w, f->h);
}

void xs_svg_curve(FILE *o, const xs_svg_frame *f, const xs_grid *g, const float *y, const char *style)
{
    fprintf(o, "<polyline fill=\"none\" %s points=\"", style);
    size_t n = g->count, j = 0;
    int first = 1;
    while (j < n) {
        double col = floor(xs_svg_px(f, g->start + g->step * (double)j));
        size_t k = j, jmin = j, jmax = j;
        while (k < n && floor(xs_svg_px(f, g->start + g->step * (double)k)) == col) {
            if (y[k] < y[jmin]) jmin = k;
            if (y[k] > y[jmax]) jmax = k;
            k++;
        }
        size_t a = jmin < jmax ? jmin : jmax, b = jmin < jmax ? jmax : jmin;
        fprintf(o, "%s%.1f,%.1f", first ? "" : " ", xs_svg_px(f, g->start + g->step * (double)a), xs_svg_py(f, y[a]));
        if (b != a) fprintf(o, " %.1f,%.1f", xs_svg_px(f, g->start + g->step * (double)b), xs_svg_py(f, y[b]));
        first = 0;
        j = k;
    }
    fputs("\"/>\n", o);
}

void xs_svg_polyline(FILE *o, const xs_svg_frame *f, const double *x, const double *y, size_t n, const char *style)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (isnan(x[i]) || isnan(y[i]))) i++;
        if (i == n) break;
        fprintf(o, "<polyline fill=\"none\" %s points=\"", style);
        for (int first = 1; i < n && !isnan(x[i]) && !isnan(y[i]); i++, first = 0)
            fprintf(o, "%s%.1f,%.1f", first ? "" : " ", xs_svg_px(f, x[i]), xs_svg_py(f, y[i]));
        fputs("\"/>\n", o);
    }
}

void xs_svg_legend(FILE *o, double x, double y, double w, int n, const char *const *names, const char *const *styles)
{
    fprintf(o, "<g font-size=\"12\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%d\" fill=\"white\" "
               "fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n",
            x, y, w, 10 + 16 * n);
    for (int i = 0; i < n; i++) {
        double yy = y + 16 + 16 * i;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>", x + 10, yy - 4, x + 38, yy - 4,
                styles[i]);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">", x + 46, yy);
        xs_svg_text(o, names[i]);
        fputs("</text>\n", o);
    }
    fputs("</g>\n", o);
}

/* /dev/null, /dev/stdout on a pipe, a FIFO: written to as they are, since a rename would replace them. */
static int write_stream(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, const char *who)
{
    FILE *o = fopen(path, "w");
    errno = 0;
    int ok = o && write(o, ctx);
    ok = o && !ferror(o) && ok;
    ok = o && (fclose(o) == 0) && ok;
    if (!ok) fprintf(stderr, "xrdsym %s: cannot write %s: %s\n", who, path, errno ? strerror(errno) : "write failed");
    return ok;
}

int xs_cli_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, const char *who)
{
    int regular = 1;
    char *target = xs_file_write_target(path, &regular);
    if (!target) return 0;
    if (!regular) {
        free(target);
        return write_stream(path, write, ctx, who);
    }
    size_t len = strlen(target);
    char *tmp = malloc(len + 16);
    if (!tmp) return free(target), 0;
    snprintf(tmp, len + 16, "%s.XXXXXX", target);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "xrdsym %s: cannot create a temporary file next to %s: %s\n", who, target, strerror(errno));
        free(tmp);
        free(target);
        return 0;
    }
    /* mkstemp creates the file 0600; the file gets the permissions of any new file (0666 less the umask) */
    mode_t mask = umask(0);
    umask(mask);
    (void)!fchmod(fd, 0666 & ~mask);
    FILE *o = fdopen(fd, "w");
    if (!o) {
        close(fd);
        unlink(tmp);
        free(tmp);
        free(target);
        return 0;
    }
    errno = 0;
    int ok = write(o, ctx);
    ok = !ferror(o) && ok;
    ok = (fflush(o) == 0) && ok;
    ok = (fsync(fileno(o)) == 0) && ok;
    ok = (fclose(o) == 0) && ok;
    if (ok && rename(tmp, target) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "xrdsym %s: cannot write %s: %s\n", who, path, errno ? strerror(errno) : "write failed");
        unlink(tmp);
    }
    free(tmp);
    free(target);
    return ok;
}
