/* Minimal test helpers: CHECK records a failure and goes on; main returns xs_test_finish(). */
#ifndef XS_TEST_H
#define XS_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int xs_test_passed, xs_test_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            xs_test_passed++;                                                   \
        } else {                                                                \
            xs_test_failed++;                                                   \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

#define CHECK_NEAR(a, b, tol, what)                                                            \
    CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%s: %.10g vs %.10g (tol %g)", what, (double)(a), \
          (double)(b), (double)(tol))

static inline int xs_test_finish(void)
{
    printf("%d passed, %d failed\n", xs_test_passed, xs_test_failed);
    return xs_test_failed ? 1 : 0;
}

/* Path under the shared data folder, or exit 77 (skipped) with a message when it is absent. */
static inline const char *xs_test_shared(const char *rel, char *buf, size_t size)
{
    const char *root = getenv("XS_SHARED_DATA");
    if (!root) root = "../shared/data";
    snprintf(buf, size, "%s/%s", root, rel);
    struct stat st;
    if (stat(buf, &st) != 0) {
        printf("SKIPPED: %s is absent (this test needs the shared data folder ../shared/data)\n", buf);
        if (xs_test_failed) exit(xs_test_finish()); /* a skip must not hide checks that already failed */
        exit(77);
    }
    return buf;
}

/* Unpack a shared tarball (path relative to the shared data folder) once into $XS_BUILD_DIR/shared-unpacked/
 * <name> (or /tmp) and return that folder; exit 77 when the tarball is absent, 1 when tar fails. */
static inline const char *xs_test_unpack(const char *rel, char *dir, size_t size)
{
    char tarball[1024];
    xs_test_shared(rel, tarball, sizeof tarball);
    const char *build = getenv("XS_BUILD_DIR");
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    snprintf(dir, size, "%s/shared-unpacked/%.*s", build ? build : "/tmp", (int)strcspn(base, "."), base);
    char stamp[1200];
    snprintf(stamp, sizeof stamp, "%s/.unpacked", dir);
    struct stat st;
    if (stat(stamp, &st) == 0) return dir;
    char cmd[6000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && tar -xzf '%s' -C '%s' && touch '%s'", dir, tarball, dir, stamp);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot unpack %s into %s\n", tarball, dir);
        exit(1);
    }
    return dir;
}

/* Write text to path (a test's own temporary file). */
static inline void xs_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Size of a file in bytes, -1 when it cannot be read. */
static inline long xs_test_file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END)) n = ftell(f);
    if (f) fclose(f);
    return n;
}

/* A whole file as a NUL-terminated string (malloc'd; NULL when it cannot be read); *len (may be NULL) gets
 * its size. */
static inline char *xs_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = s ? fread(s, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    if (s) s[got] = 0;
    fclose(f);
    if (len) *len = got;
    return s;
}

/* Run `exe command args` (args already quoted for the shell) with stdout to out and stderr to out.err;
 * the exit status, -1 when it did not exit. */
static inline int xs_test_run_cli(const char *exe, const char *command, const char *args, const char *out)
{
    size_t size = strlen(exe) + strlen(command) + strlen(args) + 2 * strlen(out) + 32;
    char *cmd = malloc(size);
    if (!cmd) return -1;
    snprintf(cmd, size, "'%s' %s %s > '%s' 2> '%s.err'", exe, command, args, out, out);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Run a shell command and keep its output (stdout, and stderr where the command sends it there with 2>&1) in
 * buf, cut to size - 1 characters; the exit status, -1 when it did not exit. */
static inline int xs_test_capture(const char *cmd, char *buf, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = 0;
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The xrdsym program of this build ($XS_BUILD_DIR/xrdsym) into exe, or exit 77 (skipped) when it is not
 * built. */
static inline const char *xs_test_cli_exe(char *exe, size_t size)
{
    const char *build = getenv("XS_BUILD_DIR");
    snprintf(exe, size, "%s/xrdsym", build ? build : ".");
    if (access(exe, X_OK) != 0) {
        printf("SKIPPED: %s is not built\n", exe);
        exit(77);
    }
    return exe;
}
#endif
