#include "common/files.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

xs_status xs_file_refuse_directory(const char *path, const char *what, xs_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return xs_error_set(err, XS_ERR_INVALID, path, 0, 0, "is a directory, not %s", what);
    return XS_OK;
}

static int is_stream(mode_t mode)
{
    return S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode) || S_ISSOCK(mode);
}

char *xs_file_write_target(const char *path, int *regular)
{
    struct stat sb;
    *regular = 1;
    /* /dev/stdout, /dev/fd/N and /proc/self/fd/N name a descriptor already open (on a file the shell truncated,
     * where the command's other output goes too): written through, never replaced */
    if (!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6)) {
        *regular = 0;
        return strdup(path);
    }
    if (lstat(path, &sb) != 0) return strdup(path); /* a new file (or an error the write reports) */
    if (S_ISLNK(sb.st_mode)) {
        char *target = realpath(path, NULL);
        if (target && stat(target, &sb) == 0 && !is_stream(sb.st_mode)) return target;
        free(target);
        /* no file behind it: a dangling link is replaced; /proc/self/fd/1 on a pipe (realpath "pipe:[...]") is
         * written through the link itself */
        if (stat(path, &sb) == 0) *regular = !is_stream(sb.st_mode);
        return strdup(path);
    }
    *regular = !is_stream(sb.st_mode);
    return strdup(path);
}
