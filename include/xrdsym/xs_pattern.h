/* xrdsym measured patterns: reading the files diffractometers and databases write, and putting a pattern
 * on a network's grid.
 *
 * Formats (chosen by content, then by extension):
 *  - two-column text: .xy, .xye (third column ignored), .csv, .txt, .dat; separators blank, tab, comma or
 *    semicolon; header and comment lines (not starting with a number: '#', '!', '##NAMES=...', a column
 *    title) are skipped; a wavelength in a header line ("wavelength 1.5406", "##X-RAY WAVELENGTH=1.541838",
 *    "lambda=0.7296") is taken; RRUFF's text files are such files; numbers with a decimal comma ("26,64;1523,5",
 *    fields apart by ';', tabs or blanks, no decimal point in any data line) as other locales write them;
 *    UTF-16 text with its byte-order mark (Windows "Unicode") and UTF-8 with one; a scan from high to low
 *    angle is returned in increasing order;
 *  - one pattern a line (the RRUFF set of ../shared/data/experimental): '#' header lines (the grid from
 *    "2theta A..B step S", the anode from "Cu K-alpha"), then `id <TAB> space_group <TAB> intensities`;
 *  - PANalytical .xrdml (XML): 2Theta positions (start/end or a list), intensities or counts, the
 *    K-alpha1/K-alpha2 wavelengths and their ratio, the goniometer radius;
 *  - Rigaku .ras (SmartLab, MiniFlex, Ultima; "*RAS_DATA_START"): every 2theta scan of the file, the count
 *    times its attenuator factor, the K-alpha1/K-alpha2 wavelengths from the header (a scan of another axis,
 *    such as omega, is refused);
 *  - Rigaku .rasx (SmartLab Studio II; a zip archive): every Data<i>/Profile<i>.txt scan, the count times its
 *    attenuator factor as in .ras, the scan axis and K-alpha1/K-alpha2 wavelengths from
 *    MesurementConditions<i>.xml (another axis is refused);
 *  - Bruker .brml (DIFFRAC.SUITE; a zip archive): every measured DataRoute of Experiment<i>/RawData<i>.xml,
 *    2theta and counts from the fields its DataViews name (without DataViews only the coupled layout
 *    `time,1,2theta,theta,counts` with theta = 2theta/2; a detector frame per step is refused), the tube's
 *    K-alpha1/K-alpha2 wavelengths and ratio;
 *  - GSAS powder data (.gsa, .gss, .fxye; a "BANK" line after the title): every constant-step bank, in the
 *    STD, ESD, FXYE or FXY layout, angles in centidegrees; no wavelength (GSAS keeps it in its instrument file);
 *    time-of-flight banks are refused;
 *  - powder CIF (pdCIF): _pd_meas_2theta_scan / _pd_proc_2theta_corrected (or _pd_meas_2theta_range_min,
 *    _max, _inc) with _pd_meas_counts_total, _pd_meas_intensity_total, _pd_proc_intensity_total (or _net);
 *    a calculated profile (_pd_calc_intensity_*, a Rietveld fit or a simulation) only where the file holds
 *    no measured one; the wavelength from _diffrn_radiation_wavelength, _pd_proc_wavelength or the anode of
 *    _diffrn_radiation_type, in the profile's block, else in the blocks linked to it (_pd_block_id), else in
 *    the file's other blocks where they agree; the
 *    label is the refined structure's space group where the profile has one phase (or several of one group);
 *
 * Errors (never a silent wrong answer): XS_ERR_IO (cannot read; a .gz cut short), XS_ERR_PARSE (a data line
 * that is not numbers, with its line; a decimal comma among lines with decimal points), XS_ERR_INVALID (a
 * directory, fewer than 10 points, NaN or infinite values, 2theta not monotonic, all intensities equal or none
 * above 0, an absurd wavelength), XS_ERR_NOT_FOUND (no pattern in the file).
 *
 * Ownership: xs_pattern_read returns an array of patterns the caller frees with xs_pattern_list_free. */
#ifndef XS_PATTERN_H
#define XS_PATTERN_H

#include <stddef.h>

#include "xrdsym/xs_common.h"
#include "xrdsym/xs_xrd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xs_pattern xs_pattern;

/* Where the wavelength a pattern is read at comes from (xs_pattern_choose_wavelength). */
typedef enum {
    XS_WAVELENGTH_UNKNOWN = 0, /* the file does not say, and nothing was given */
    XS_WAVELENGTH_FROM_FILE,
    XS_WAVELENGTH_GIVEN,       /* the caller's (a command line's --wavelength, a label table's column) */
    XS_WAVELENGTH_ASSUMED_CU,  /* neither: Cu K-alpha, XS_CU_KALPHA; a silent Cu default is a known source of
                                * wrong answers, so a caller says so aloud */
} xs_wavelength_source;

/* Read every pattern of a file (one for most formats, many for the one-pattern-a-line table). */
xs_status xs_pattern_read(const char *path, xs_pattern ***patterns, size_t *n, xs_error *err);

/* What xs_pattern_read leaves unsaid when it succeeds. Every other format refuses a whole file for a part it
 * cannot read; a powder CIF is read where one of its blocks gives a profile, so each block with a profile that
 * could not be read is reported (the error that left it out; the message names the block, line where it
 * applies), then the first syntax error that damaged data in a file that still gave patterns. A text file's
 * header line that names a wavelength outside 0.1..3 A without a unit is reported where no other line states
 * one (with a unit it is an error, XS_ERR_INVALID at its line). Called in the
 * order of the file, after the read, from the calling thread; `warning` is valid only during the call. */
typedef enum {
    XS_PATTERN_PART_LEFT_OUT = 1, /* a part of the file (a powder CIF's data block) whose profile was not read */
    XS_PATTERN_SYNTAX_DAMAGE,     /* a syntax error; the patterns read may lack what it damaged */
    XS_PATTERN_WAVELENGTH_IGNORED /* a text header's "wavelength 15.406": a number outside 0.1..3 A with no unit,
                                   * not taken; the pattern states no wavelength (xs_pattern_choose_wavelength) */
} xs_pattern_warning_kind;
typedef void (*xs_pattern_warning_fn)(xs_pattern_warning_kind kind, const xs_error *warning, void *user);

/* xs_pattern_read, reporting what it left out through on_warning (NULL: nothing reported, as xs_pattern_read).
 * Nothing is reported when the read fails: its error says why. */
xs_status xs_pattern_read_ex(const char *path, xs_pattern_warning_fn on_warning, void *user, xs_pattern ***patterns,
                             size_t *n, xs_error *err);
void xs_pattern_free(xs_pattern *p);
void xs_pattern_list_free(xs_pattern **list, size_t n);

/* A pattern from arrays (copied); two_theta strictly increasing, everything finite. */
xs_status xs_pattern_create(const char *name, size_t n, const double *two_theta, const double *intensity,
                            double wavelength, xs_pattern **out, xs_error *err);

const char *xs_pattern_name(const xs_pattern *p);   /* file name, or "file#id" for a table row */
size_t xs_pattern_size(const xs_pattern *p);
const double *xs_pattern_two_theta(const xs_pattern *p);
const double *xs_pattern_intensity(const xs_pattern *p);
double xs_pattern_wavelength(const xs_pattern *p);  /* angstrom; 0 when the file does not say */
/* The wavelength to read a pattern at: the file's, else `given` (when above 0), else XS_CU_KALPHA; *source
 * (optional) says which. Every command that reads measured patterns takes it from here, so that they all
 * choose alike. */
double xs_pattern_choose_wavelength(const xs_pattern *p, double given, xs_wavelength_source *source);
/* K-alpha2 wavelength and ratio when the file gives them (xrdml), else 0. */
double xs_pattern_kalpha2(const xs_pattern *p, double *ratio);
int xs_pattern_label(const xs_pattern *p);          /* space group the file states (the table, a powder CIF's
                                                      * one phase), else 0 */
double xs_pattern_goniometer_radius(const xs_pattern *p); /* mm, where the file says (xrdml's beam paths), else 0 */

/* Correct a known zero error of the diffractometer: every angle of p minus zero_deg, where zero_deg is the
 * instrument's zero offset in degrees 2theta (measured = true + zero_deg; +0.06 when a silicon standard's 111
 * reflection, 28.44 deg with Cu K-alpha1, is found at 28.50). XS_ERR_RANGE when |zero_deg| exceeds
 * XS_PATTERN_MAX_ZERO (not a zero error but a wrong file or sign) or an angle would leave 0..180 deg; p is
 * then unchanged. */
#define XS_PATTERN_MAX_ZERO 2.0
xs_status xs_pattern_correct_zero(xs_pattern *p, double zero_deg, xs_error *err);

/* Correct a known sample displacement of a Bragg-Brentano (reflection) diffractometer: the sample surface
 * height_mm above the goniometer axis (toward the beam; a sample too high) moves every reflection to a higher
 * angle, measured 2theta = true 2theta + (2 height_mm / radius_mm) cos(theta) radians, radius_mm the goniometer
 * radius (sample to receiving slit; 240 mm on many laboratory instruments). Unlike a zero error the shift falls
 * with angle. Every angle is replaced by the true angle that solves this (to 1e-9 deg). XS_ERR_RANGE when
 * radius_mm is outside XS_PATTERN_MIN_RADIUS..XS_PATTERN_MAX_RADIUS, when the largest shift (2 height/radius,
 * at 2theta = 0) exceeds XS_PATTERN_MAX_ZERO degrees (not a displacement but a wrong unit or sign), or when an
 * angle would leave 0..180 deg; p is then unchanged. A zero error, if any, is corrected first (measured =
 * true + zero + displacement shift). */
#define XS_PATTERN_MIN_RADIUS 50.0
#define XS_PATTERN_MAX_RADIUS 1000.0
xs_status xs_pattern_correct_displacement(xs_pattern *p, double height_mm, double radius_mm, xs_error *err);

/* Put a pattern measured at `wavelength` onto `grid`, whose angles are for `grid_wavelength`: every grid
 * point is mapped through its d-spacing (d = lambda_grid / (2 sin theta_grid)) to the pattern's angle and
 * the intensity there is taken by linear interpolation (or, where the pattern is finer than the grid, as
 * the mean of its points in the grid cell). Points outside the measured range are 0. Then the minimum is
 * subtracted and the maximum scaled to 1 (xs_pattern_normalize). *coverage (may be NULL) receives the
 * fraction of grid points inside the measured range. XS_ERR_RANGE when less than min_coverage of the grid
 * is covered (the message gives both ranges), XS_ERR_INVALID for a wavelength outside 0.1..3 A. */
xs_status xs_pattern_to_grid(const xs_pattern *p, double wavelength, const xs_grid *grid, double grid_wavelength,
                             double min_coverage, float *out, double *coverage, xs_error *err);

/* The one normalisation used for training and prediction alike: subtract the minimum, scale the maximum
 * to 1 (a constant pattern becomes 0). */
void xs_pattern_normalize(float *values, size_t n);

#ifdef __cplusplus
}
#endif
#endif
