#include "common/files.h"

#include <sys/stat.h>

xs_status xs_file_refuse_directory(const char *path, const char *what, xs_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "is a directory, not %s", what);
    return XS_OK;
}
