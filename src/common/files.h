/* Private: what the readers of files share. */
#ifndef XS_COMMON_FILES_H
#define XS_COMMON_FILES_H
#include "xrdsym/xs_common.h"

/* XS_ERR_INVALID, "is a directory, not WHAT", when path names a directory: fopen and gzopen open one and fail
 * only at the first read, with a message that does not say why. XS_OK otherwise, also when stat fails (the
 * open that follows reports it). */
xs_status xs_file_refuse_directory(const char *path, const char *what, xs_error *err);

/* Where a file written atomically (a temporary file beside it, then renamed over it) must land, so that the
 * rename replaces what the user meant: the path itself, or, where it is a symbolic link, the file the link
 * points to (the link stays). *regular is 1 where that is a file, nothing yet or a directory (the write then
 * fails); 0 where it is a device, a FIFO or a socket (/dev/null, /dev/stdout on a pipe), which a rename would
 * replace instead of writing to, so the caller writes to it directly or refuses; so is anything under /dev/ or
 * /proc/ (/dev/stdout on a file the shell opened: replacing that file would lose what else went to standard
 * output). Returns a new string the caller frees; NULL: out of memory. */
char *xs_file_write_target(const char *path, int *regular);
#endif
