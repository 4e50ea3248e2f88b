/* Minimal test helpers: CHECK records a failure and goes on; main returns xs_test_finish(). */
#ifndef XS_TEST_H
#define XS_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        exit(77);
    }
    return buf;
}
#endif
