/* xrdsym bench train: runs a small network for a fraction of a second and reports its rate in the form
 * scripts read (samples_per_s=N as the last line); bad arguments are usage errors. */
#include "xs_test.h"

int main(void)
{
    char exe[1024], out[64];
    xs_test_cli_exe(exe, sizeof exe);
    snprintf(out, sizeof out, "/tmp/xs_bench_cli_%d.txt", (int)getpid());
    int rc = xs_test_run_cli(exe, "bench", "train --arch 'input 8500; avgpool 10; dense 16 relu; dense classes softmax' "
                                           "--batch 8 --seconds 0.2", out);
    CHECK(rc == 0, "bench train exits 0, got %d", rc);
    size_t len = 0;
    char *text = xs_test_slurp(out, &len);
    const char *last = text ? strstr(text, "samples_per_s=") : NULL;
    CHECK(last != NULL && atof(last + 14) > 0, "samples_per_s=N with N > 0: %s", text ? text : "(no output)");
    free(text);
    CHECK(xs_test_run_cli(exe, "bench", "train --batch 0", out) == 2, "batch 0 is a usage error");
    CHECK(xs_test_run_cli(exe, "bench", "fly", out) == 2, "unknown benchmark is a usage error");
    remove(out);
    char err_path[80];
    snprintf(err_path, sizeof err_path, "%s.err", out);
    remove(err_path);
    return xs_test_finish();
}
