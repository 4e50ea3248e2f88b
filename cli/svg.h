/* SVG plots of the command-line tool (render, evaluate): a plot frame mapping data to pixels, axes with
 * "nice" ticks, curves, escaped text, H-M symbols; and files written atomically. */
#ifndef XS_CLI_SVG_H
#define XS_CLI_SVG_H
#include "xrdsym.h"
#include <stdio.h>

/* A plot area: x0, y0 (top), w, h in pixels; the data ranges it shows. */
typedef struct {
    double x0, y0, w, h;
    double xmin, xmax, ymin, ymax;
} xs_svg_frame;

double xs_svg_px(const xs_svg_frame *f, double x);
double xs_svg_py(const xs_svg_frame *f, double y);

/* Text with &, <, >, " escaped. */
void xs_svg_text(FILE *o, const char *s);
/* An H-M symbol as spglib writes it ("P2_1/c", "Fm-3m"): screw axes as subscripts, -n as n overlined. */
void xs_svg_symbol(FILE *o, const char *s);
/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten, giving about n ticks. */
double xs_svg_nice_step(double range, int n);

/* XML declaration, <svg> of w x h pixels with the font, white background; and the closing tag. */
void xs_svg_begin(FILE *o, double w, double h);
void xs_svg_end(FILE *o);
/* Grid lines and labelled ticks every xstep / ystep (at their multiples inside the ranges; a step <= 0:
 * none on that axis), the frame, and the axis titles (NULL: none; UTF-8, escaped here). */
void xs_svg_axes(FILE *o, const xs_svg_frame *f, double xstep, double ystep, const char *xlabel, const char *ylabel);
/* A clip path named id around the frame. */
void xs_svg_clip(FILE *o, const xs_svg_frame *f, const char *id);
/* A pattern on a grid as a polyline, reduced to the minimum and maximum of each pixel column (in their
 * order), which keeps every peak's top while the file stays small. style: attributes ("stroke=...") */
void xs_svg_curve(FILE *o, const xs_svg_frame *f, const xs_grid *g, const float *y, const char *style);
/* Points (x[i], y[i]) joined; a NaN breaks the line. */
void xs_svg_polyline(FILE *o, const xs_svg_frame *f, const double *x, const double *y, size_t n, const char *style);
/* A legend box at (x, y), width w: one line per entry, drawn with styles[i] (a line sample) and names[i]. */
void xs_svg_legend(FILE *o, double x, double y, double w, int n, const char *const *names, const char *const *styles);

/* Write a file atomically: write(f, ctx) fills a temporary file in the same folder (returns 0 on failure),
 * which is flushed, synced and renamed over path; the file gets the permissions of a new file (0666 less
 * the umask). On failure prints "xrdsym WHO: cannot write PATH: reason" and leaves path as it was.
 * Returns 1 on success. */
int xs_cli_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, const char *who);
#endif
