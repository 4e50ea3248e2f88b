/* The models the repository ships, and the README's main command that uses them: models/default.h5 holds
 * space-group networks (230 classes, the paper's grid, every label a symbol), models/crystal-system.h5
 * crystal-system ones (7), each at most the 50 MB the project allows; `xrdsym predict` without --model finds
 * the default model from any working directory and classifies the shipped example, and its answer is a
 * probability distribution (the top guesses sum to at most 1, certainty is the first guess). What the
 * answer is depends on the trained weights and is not asserted here; README quotes it. */
#include "xrdsym.h"
#include "xs_test.h"

#include <sys/stat.h>
#include <unistd.h>

static char out_buf[1 << 16];

static int run(const char *cmd) { return xs_test_capture(cmd, out_buf, sizeof out_buf); }

static void check_model(const char *path, const char *kind, int n_classes)
{
    struct stat st;
    CHECK(stat(path, &st) == 0, "%s exists", path);
    CHECK(st.st_size <= 50L * 1000 * 1000, "%s is %ld bytes, above the 50 MB the project allows", path, (long)st.st_size);
    xs_nn_ensemble *e = NULL;
    xs_error err = {0};
    CHECK(xs_nn_ensemble_load(path, &e, &err) == XS_OK, "%s loads: %s", path, err.message);
    if (!e) return;
    CHECK(xs_nn_ensemble_size(e) >= 1, "%s has a member", path);
    for (int m = 0; m < xs_nn_ensemble_size(e); m++) {
        xs_nn *net = xs_nn_ensemble_member(e, m);
        CHECK(xs_nn_n_classes(net) == n_classes, "%s member %d: %d classes, want %d", path, m, xs_nn_n_classes(net),
              n_classes);
        CHECK(xs_nn_n_inputs(net) == 8500, "%s member %d reads the paper's 8,500-point grid", path, m);
        CHECK(xs_nn_label_kind(net) && strcmp(xs_nn_label_kind(net), kind) == 0, "%s member %d labels are %s", path,
              m, kind);
        for (int c = 0; c < xs_nn_n_classes(net); c++)
            CHECK(xs_nn_label(net, c) && xs_nn_label(net, c)[0], "%s member %d class %d has a label", path, m, c);
    }
    xs_nn_ensemble_free(e);
}

int main(void)
{
    const char *src = getenv("XS_SOURCE_DIR");
    char path[2048], cmd[4096], exe[1024];
    xs_test_cli_exe(exe, sizeof exe);
    snprintf(path, sizeof path, "%s/models/default.h5", src ? src : ".");
    check_model(path, "space_group", 230);
    snprintf(path, sizeof path, "%s/models/crystal-system.h5", src ? src : ".");
    check_model(path, "crystal_system", 7);

    /* the README's main command, from another working directory, with no model named */
    snprintf(cmd, sizeof cmd, "cd /tmp && env -u XRDSYM_MODEL '%s' predict '%s/examples/quartz-simulated.xy' "
             "--format json --top 5 2>&1", exe, src ? src : ".");
    CHECK(run(cmd) == 0, "predict the shipped example: %s", out_buf);
    CHECK(strstr(out_buf, "\"crystal_system\"") && strstr(out_buf, "\"certainty\""), "answer has its fields: %s", out_buf);
    double p[5] = {0}, certainty = -1, sum = 0;
    const char *at = out_buf;
    for (int k = 0; k < 5; k++) {
        at = strstr(at, "\"probability\":");
        CHECK(at != NULL, "guess %d has a probability: %s", k + 1, out_buf);
        if (!at) break;
        p[k] = atof(at + strlen("\"probability\":"));
        at++;
        sum += p[k];
        CHECK(p[k] >= 0 && p[k] <= 1 && (k == 0 || p[k] <= p[k - 1] + 1e-12), "guess %d probability %g ordered", k + 1, p[k]);
    }
    const char *c = strstr(out_buf, "\"certainty\":");
    if (c) certainty = atof(c + strlen("\"certainty\":"));
    /* 1e-4: the JSON prints probabilities with a few decimals */
    CHECK(sum <= 1 + 1e-4, "the top 5 sum to %g, at most 1", sum);
    CHECK(fabs(certainty - p[0]) < 1e-4, "certainty %g is the first guess's probability %g (eq. 13)", certainty, p[0]);
    return xs_test_finish();
}
