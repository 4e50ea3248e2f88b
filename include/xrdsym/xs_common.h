/* xrdsym: common types shared by every module.
 *
 * Conventions (all modules):
 *  - Every public name starts with xs_; each module adds its own sub-prefix (xs_cif_, xs_xrd_, xs_nn_...).
 *  - Objects are opaque handles with exactly one create (or read) and one free function. A function that
 *    returns a new handle transfers ownership to the caller; every other pointer argument is borrowed.
 *  - Every fallible call returns an xs_status and, when the caller passes a non-NULL xs_error, fills it with
 *    a message that names the file and line where that applies. The library never prints and never exits.
 */
#ifndef XS_COMMON_H
#define XS_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XS_OK = 0,
    XS_ERR_IO,          /* file cannot be opened, read or written */
    XS_ERR_PARSE,       /* malformed input text */
    XS_ERR_INVALID,     /* well-formed input with impossible values (NaN, absurd cell, unknown element) */
    XS_ERR_NOMEM,       /* allocation failed */
    XS_ERR_UNSUPPORTED, /* valid input this build cannot handle */
    XS_ERR_SYMMETRY,    /* symmetry search failed or contradicts the input */
    XS_ERR_RANGE,       /* argument outside its allowed range */
    XS_ERR_NOT_FOUND,   /* requested item (data block, element, symbol) does not exist */
    XS_ERR_CANCELLED,   /* a long job was stopped by its progress callback (interrupted by the user) */
    XS_STATUS_COUNT
} xs_status;

/* Filled by fallible calls. Caller-owned; zero-initialise it ({0}) before the first use. line and column
 * are 0 where they do not apply. */
typedef struct {
    xs_status code;
    int line;
    int column;
    char file[512];
    char message[1024];
} xs_error;

/* Static English text for a status code; never NULL. */
const char *xs_status_string(xs_status code);

/* Library version, and a NUL-separated list of optional features compiled in (see xs_build_features). */
const char *xs_version(void);
/* Human-readable one-line list of what this build contains, e.g. "spglib 2.0.2, libcif 0.4.2, openblas". */
const char *xs_build_features(void);

/* Fill err (if non-NULL) and return code. file may be NULL; line/column 0 when unknown. printf-style. */
xs_status xs_error_set(xs_error *err, xs_status code, const char *file, int line, int column,
                       const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Clear err (if non-NULL) to XS_OK. */
void xs_error_clear(xs_error *err);

/* "file:line:column: message" into buf (always NUL-terminated). */
void xs_error_format(const xs_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
