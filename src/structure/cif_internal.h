/* Private to the library: powder profiles from pdCIF files, read with the CIF reader's block collector. */
#ifndef XS_CIF_INTERNAL_H
#define XS_CIF_INTERNAL_H
#include "xrdsym/xs_pattern.h"

/* Every block with a powder profile becomes a pattern named "path#block". */
xs_status xs_cif_read_powder(const char *path, xs_pattern ***patterns, size_t *n, xs_error *err);
#endif
