/* `xrdsym wyckoff SG`: one position a line, `letter multiplicity site_symmetry coordinates`. Runs the xrdsym
 * program of the build folder ($XS_BUILD_DIR); skipped when it is absent. */
#include "xrdsym.h"
#include "xs_test.h"

#include <unistd.h>

/* Output lines of a command (at most max, each up to 1023 characters); -1 if it fails. */
static int lines_of(const char *cmd, char lines[][1024], int max)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int n = 0;
    char buf[1024];
    while (fgets(buf, sizeof buf, p))
        if (n < max) {
            buf[strcspn(buf, "\n")] = 0;
            memcpy(lines[n++], buf, sizeof buf);
        }
    return pclose(p) == 0 ? n : -1;
}

int main(void)
{
    char bin[1024], cmd[1200];
    const char *build = getenv("XS_BUILD_DIR");
    snprintf(bin, sizeof bin, "%s/xrdsym", build ? build : "build");
    if (access(bin, X_OK) != 0) {
        printf("SKIPPED: %s is absent (this test runs the built program)\n", bin);
        return 77;
    }
    static char l[256][1024];
    snprintf(cmd, sizeof cmd, "'%s' wyckoff 225", bin);
    int n = lines_of(cmd, l, 256);
    CHECK(n == 13, "Fm-3m: %d lines (a header and 12 positions)", n);
    if (n == 13) {
        CHECK(l[0][0] == '#', "header %s", l[0]);
        CHECK(!strcmp(l[1], "l 192 1 (x,y,z)"), "general position first: %s", l[1]);
        CHECK(!strcmp(l[12], "a 4 m-3m (0,0,0)"), "4a last: %s", l[12]);
    }
    snprintf(cmd, sizeof cmd, "'%s' wyckoff Pnma --orbits", bin);
    n = lines_of(cmd, l, 256);
    /* ITA's oriented site symmetry: the mirror is perpendicular to b */
    CHECK(n == 5 && !strncmp(l[2], "c 4 .m. (x,1/4,z) ", 18), "Pnma 4c with its orbit: %s", n > 2 ? l[2] : "");
    if (n == 5) {
        int triplets = 0;
        for (const char *p = l[2]; (p = strchr(p, '(')); p++) triplets++;
        CHECK(triplets == 4, "4c lists %d triplets", triplets);
    }
    snprintf(cmd, sizeof cmd, "'%s' wyckoff 231 2>/dev/null", bin);
    CHECK(lines_of(cmd, l, 256) == -1, "231 is an error");
    return xs_test_finish();
}
