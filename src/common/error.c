#include "xrdsym/xs_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[XS_STATUS_COUNT] = {
    [XS_OK] = "success",
    [XS_ERR_IO] = "input/output error",
    [XS_ERR_PARSE] = "parse error",
    [XS_ERR_INVALID] = "invalid value",
    [XS_ERR_NOMEM] = "out of memory",
    [XS_ERR_UNSUPPORTED] = "unsupported",
    [XS_ERR_SYMMETRY] = "symmetry error",
    [XS_ERR_RANGE] = "out of range",
    [XS_ERR_NOT_FOUND] = "not found",
    [XS_ERR_CANCELLED] = "cancelled",
};

const char *xs_status_string(xs_status code)
{
    if ((int)code < 0 || code >= XS_STATUS_COUNT) return "unknown status";
    return status_text[code];
}

xs_status xs_error_set(xs_error *err, xs_status code, const char *file, int line, int column,
                       const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    err->line = line;
    err->column = column;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void xs_error_clear(xs_error *err)
{
    if (err) memset(err, 0, sizeof *err);
}

void xs_error_format(const xs_error *err, char *buf, size_t size)
{
    if (!buf || size == 0) return;
    if (!err) {
        snprintf(buf, size, "(no error)");
        return;
    }
    const char *msg = err->message[0] ? err->message : xs_status_string(err->code);
    if (err->file[0] && err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, msg);
    else if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, msg);
    else
        snprintf(buf, size, "%s", msg);
}
