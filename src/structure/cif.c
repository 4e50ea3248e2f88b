/* Temporary: replaced by the libcif reader within this session. */
#include <stdlib.h>
#include "xrdsym/xs_cif.h"
xs_status xs_cif_read(const char *path, xs_structure ***structures, size_t *n, xs_error *err) {
    *structures = NULL; *n = 0;
    return xs_error_set(err, XS_ERR_UNSUPPORTED, path, 0, 0, "CIF reading is not built yet");
}
void xs_structure_list_free(xs_structure **list, size_t n) {
    for (size_t i = 0; i < n; i++) xs_structure_free(list[i]);
    free(list);
}
