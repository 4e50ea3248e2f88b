/* Private: what the readers of files share. */
#ifndef XS_COMMON_FILES_H
#define XS_COMMON_FILES_H
#include "xrdsym/xs_common.h"

/* XS_ERR_INVALID, "is a directory, not WHAT", when path names a directory: fopen and gzopen open one and fail
 * only at the first read, with a message that does not say why. XS_OK otherwise, also when stat fails (the
 * open that follows reports it). */
xs_status xs_file_refuse_directory(const char *path, const char *what, xs_error *err);
#endif
