/* Private to the library: powder profiles from pdCIF files, read with the CIF reader's block collector. */
#ifndef XS_CIF_INTERNAL_H
#define XS_CIF_INTERNAL_H
#include "xrdsym/xs_pattern.h"

/* Every block with a measured (or processed) powder profile becomes a pattern named "path#block"; a block
 * whose profile is calculated only (a Rietveld fit, a simulation) is read only where the file holds no
 * measured one. A block that states no wavelength takes it from the blocks linked to it (_pd_block_id with
 * _pd_block_diffractogram_id or _pd_phase_block_id), else from the file's other blocks where they all state
 * the same. The pattern's label is the space group of its refined structure where the file (or the blocks
 * linked to it) holds one phase, or several of one group; else 0. Blocks whose profile could not be read and
 * a syntax error that damaged data go to on_warning as xs_pattern_read_ex says. */
xs_status xs_cif_read_powder(const char *path, xs_pattern_warning_fn on_warning, void *user, xs_pattern ***patterns,
                             size_t *n, xs_error *err);

/* From patterns.c, for the pdCIF reader. */
/* A wavelength named in a line of text ("wavelength 1.5406", "lambda=0.7296", "Cu K-alpha", "MoK\a"):
 * angstrom, 0 when none. */
double xs_pattern_text_wavelength(const char *text, size_t len);
void xs_pattern_set_label(xs_pattern *p, int space_group); /* 0 (unlabelled) outside 1..230 */
int xs_pattern_set_wavelength(xs_pattern *p, double wavelength); /* 0, unchanged, outside 0.1..3 A */
#endif
