/* Every CIF of ../shared/data/structures/cod-tools-test-cifs.tar.gz (1,470 real-world and deliberately broken
 * files) either gives structures or a clear error naming the file; none crashes or hangs. What a read that
 * succeeds leaves out (xs_cif_read_ex's warnings) names the file and has a message too. Linked against the
 * AddressSanitizer + UndefinedBehaviorSanitizer build of the library, so a memory error fails the test. */
#define _GNU_SOURCE
#include "xrdsym.h"
#include "xs_test.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

static char current[4096];

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "HANG: no answer within 60 s for ";
    write(2, msg, sizeof msg - 1);
    write(2, current, strlen(current));
    write(2, "\n", 1);
    _exit(1);
}

static int n_files, n_ok, n_structures, n_err, err_with_line, n_left_out, n_damaged, n_overfull, n_too_close;

static void count_warning(xs_cif_warning_kind kind, const xs_error *w, void *user)
{
    const char *name = user;
    n_left_out += kind == XS_CIF_BLOCK_LEFT_OUT;
    n_damaged += kind == XS_CIF_SYNTAX_DAMAGE;
    n_overfull += kind == XS_CIF_OVERFULL_SITE;
    n_too_close += kind == XS_CIF_ATOMS_TOO_CLOSE;
    CHECK((kind != XS_CIF_OVERFULL_SITE && kind != XS_CIF_ATOMS_TOO_CLOSE) || w->line > 0,
          "%s: an overfull site or atoms too close without the line", current);
    CHECK(w->message[0] && strstr(w->file, name), "%s: a warning without a message or the file's name (%s)", current,
          w->file);
}

static void visit(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            visit(path);
            continue;
        }
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".cif")) continue;
        n_files++;
        snprintf(current, sizeof current, "%s", path);
        /* 60 s: the slowest file takes well under a second without sanitizers; only a hang gets near. */
        alarm(60);
        xs_structure **list = NULL;
        size_t n = 0;
        xs_error err = {0};
        xs_status s = xs_cif_read_ex(path, count_warning, e->d_name, &list, &n, &err);
        alarm(0);
        if (s == XS_OK) {
            n_ok++;
            n_structures += (int)n;
            CHECK(n > 0 && list != NULL, "%s: XS_OK without structures", path);
            for (size_t i = 0; i < n; i++) {
                CHECK(xs_structure_num_sites(list[i]) > 0, "%s: structure without sites", path);
                const xs_site *sites = xs_structure_sites(list[i]);
                for (size_t k = 0; k < xs_structure_num_sites(list[i]); k++)
                    CHECK(isfinite(sites[k].frac[0] + sites[k].frac[1] + sites[k].frac[2]) && sites[k].z > 0,
                          "%s: bad site", path);
            }
            xs_structure_list_free(list, n);
        } else {
            n_err++;
            err_with_line += err.line > 0;
            CHECK(list == NULL && n == 0, "%s: failure must leave no list", path);
            CHECK(err.message[0] != 0, "%s: error without a message", path);
            CHECK(strstr(err.file, e->d_name) != NULL, "%s: error does not name the file (%s)", path, err.file);
        }
    }
    closedir(d);
}

int main(void)
{
    char dir[1024];
    xs_test_unpack("structures/cod-tools-test-cifs.tar.gz", dir, sizeof dir);
    signal(SIGALRM, on_alarm);
    visit(dir);
    printf("%d CIFs: %d give %d structures, %d give a clear error (%d of them with a line number); warnings: %d blocks "
           "left out, %d syntax errors, %d blocks with an overfull site and %d with atoms too close in files read\n",
           n_files, n_ok, n_structures, n_err, err_with_line, n_left_out, n_damaged, n_overfull, n_too_close);
    CHECK(n_files == 1470, "expected the 1,470 files of the set, found %d", n_files);
    return xs_test_finish();
}
