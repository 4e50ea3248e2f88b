/* Where the shipped default model lives, and the class meanings of a loaded model. */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef XS_SOURCE_DIR
#define XS_SOURCE_DIR "."
#endif

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* $XRDSYM_MODEL; then models/default.h5 next to the binary (build/xrdsym -> models/ one level up, or an
 * installed bin/xrdsym -> share/xrdsym/default.h5); then the source tree the binary was built from. */
int xs_cli_default_model(char *out, size_t size)
{
    const char *env = getenv("XRDSYM_MODEL");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return is_file(out);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        static const char *const rel[] = {"/../models/default.h5", "/models/default.h5", "/../share/xrdsym/default.h5"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(out, size, "%s%s", exe, rel[i]);
            if (is_file(out)) return 1;
        }
    }
    snprintf(out, size, "%s/models/default.h5", XS_SOURCE_DIR);
    return is_file(out);
}

xs_status xs_cli_load_model(const char *path, xs_nn_ensemble **ens, char *used, size_t used_size, xs_error *err)
{
    char buf[PATH_MAX + 64];
    if (!path) {
        if (!xs_cli_default_model(buf, sizeof buf))
            return xs_error_set(err, XS_ERR_NOT_FOUND, buf, 0, 0,
                                "no model given (--model) and the default model is not installed; see README "
                                "(models/default.h5)");
        path = buf;
    }
    snprintf(used, used_size, "%s", path);
    return xs_nn_ensemble_load(path, ens, err);
}

int xs_cli_class_space_group(xs_nn *net, int c)
{
    const char *kind = xs_nn_label_kind(net);
    const char *name = xs_nn_label(net, c);
    if (strcmp(kind, "space_group") || !name) return 0;
    int sg = atoi(name);
    return sg >= 1 && sg <= 230 ? sg : 0;
}
