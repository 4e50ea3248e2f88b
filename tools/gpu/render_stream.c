/* render_stream: training and test patterns exactly as `xrdsym train` and `xrdsym evaluate` render them,
 * written as raw half floats for an outside trainer (tools/gpu/train_torch.py, the GPU experiment of
 * README's "Where this stands"). The patterns come from the library's own xs_train_render (augmentation and
 * normalisation) and xs_pattern_to_grid, so that the outside network sees what the C networks see.
 *
 *   render_stream stream DATA.h5 "AUG LINE" SEED SHARD NSHARDS BATCH
 *       endless: epoch after epoch, the training split shuffled (xs_rng of SEED, stream = the epoch), every
 *       NSHARDS-th batch from the SHARD-th on; item = epoch * count + crystal as in training. Writes per
 *       batch: int32 B, int32 labels[B] (space group 1..230), float16 patterns[B][8500]. Stops when the
 *       reader closes the pipe.
 *   render_stream fixed DATA.h5 SPLIT LIMIT "AUG LINE" SEED OUT.bin
 *       the crystals `evaluate --data DATA.h5 --split SPLIT --limit LIMIT --seed SEED` renders (item =
 *       crystal number): int32 n, int32 8500, int32 labels[n], float16 patterns[n][8500].
 *   render_stream patterns FILE OUT.bin
 *       the labelled patterns of a pattern file (the RRUFF table) on the grid as evaluate puts them
 *       (xs_pattern_choose_wavelength: the file's, else Cu K-alpha; coverage at least 0.5): the same layout.
 *
 * OUT.bin is written to a temporary file, then renamed. Errors name the file and go to stderr. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/files.h"
#include "common/rng.h"
#include "xrdsym.h"

static int fail(const xs_error *err)
{
    fprintf(stderr, "render_stream: %s%s%s\n", err->file[0] ? err->file : "", err->file[0] ? ": " : "",
            err->message);
    return 1;
}

/* IEEE binary16, rounded to nearest even (numpy's float16). Written out because _Float16 is missing in
 * clang before 15 on x86-64. Equal to numpy's float16 on 20 million random bit patterns (checked once). */
static uint16_t half_of(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int32_t biased = (int32_t)((x >> 23) & 0xffu), exp = biased - 127 + 15;
    if (biased == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0)); /* inf, NaN */
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);                          /* overflow: inf */
    if (exp <= 0) {                                                             /* subnormal or 0 */
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - exp;
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1u))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* a carry into the exponent is right */
    return (uint16_t)(sign | h);
}

static void to_half(const float *in, uint16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = half_of(in[i]);
}

static int write_all(FILE *f, const void *p, size_t size)
{
    return fwrite(p, 1, size, f) == size;
}

static int parse_split(const char *s)
{
    if (!strcmp(s, "train")) return XS_SPLIT_TRAIN;
    if (!strcmp(s, "val")) return XS_SPLIT_VAL;
    if (!strcmp(s, "test")) return XS_SPLIT_TEST;
    if (!strcmp(s, "all")) return -1;
    return -2;
}

static int stream(const char *path, const char *aug_line, uint64_t seed, size_t shard, size_t nshards, size_t batch)
{
    xs_error err = {0};
    xs_aug_options aug;
    xs_dataset *ds = NULL;
    if (xs_aug_options_parse(aug_line, &aug, &err) != XS_OK || xs_dataset_open(path, &ds, &err) != XS_OK)
        return fail(&err);
    xs_grid grid = xs_grid_paper();
    size_t n = xs_dataset_count_split(ds, XS_SPLIT_TRAIN), count = xs_dataset_count(ds);
    size_t *idx = malloc(n * sizeof *idx), *order = malloc(n * sizeof *order);
    uint64_t *items = malloc(batch * sizeof *items);
    int32_t *labels = malloc(batch * sizeof *labels);
    float *x = malloc(batch * grid.count * sizeof *x);
    uint16_t *h = malloc(batch * grid.count * sizeof *h);
    if (!idx || !order || !items || !labels || !x || !h || n == 0) {
        fprintf(stderr, "render_stream: %s: out of memory or no training crystals\n", path);
        return 1;
    }
    xs_dataset_select(ds, XS_SPLIT_TRAIN, 0, idx);
    for (uint64_t epoch = 0;; epoch++) {
        xs_rng rng;
        xs_rng_seed(&rng, seed, epoch);
        for (size_t i = 0; i < n; i++) order[i] = idx[i];
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)xs_rng_below(&rng, i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t b0 = shard * batch; b0 + batch <= n; b0 += nshards * batch) {
            for (size_t k = 0; k < batch; k++) {
                items[k] = epoch * count + order[b0 + k];
                labels[k] = xs_dataset_space_group(ds, order[b0 + k]);
            }
            if (xs_train_render(ds, order + b0, batch, &grid, &aug, seed, items, 1, x, &err) != XS_OK)
                return fail(&err);
            to_half(x, h, batch * grid.count);
            int32_t b = (int32_t)batch;
            if (!write_all(stdout, &b, sizeof b) || !write_all(stdout, labels, batch * sizeof *labels) ||
                !write_all(stdout, h, batch * grid.count * sizeof *h) || fflush(stdout) != 0)
                return 0; /* the reader is done */
        }
    }
}

static int write_bin(const char *out, size_t n, const int32_t *labels, const float *x, size_t points)
{
    char tmp[4096];
    int regular = 1;
    char *target = xs_file_write_target(out, &regular);
    if (!target) return 1;
    /* a pipe or /dev/null is written to as it is; a rename would replace it */
    snprintf(tmp, sizeof tmp, "%s%s", regular ? target : out, regular ? ".tmp" : "");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "render_stream: %s: %s\n", tmp, strerror(errno));
        free(target);
        return 1;
    }
    int32_t head[2] = {(int32_t)n, (int32_t)points};
    int ok = write_all(f, head, sizeof head) && write_all(f, labels, n * sizeof *labels);
    uint16_t *h = malloc(points * sizeof *h);
    for (size_t i = 0; ok && h && i < n; i++) {
        to_half(x + i * points, h, points);
        ok = write_all(f, h, points * sizeof *h);
    }
    ok = ok && h;
    free(h);
    ok = fclose(f) == 0 && ok && (!regular || rename(tmp, target) == 0);
    free(target);
    if (!ok) {
        fprintf(stderr, "render_stream: %s: cannot write\n", out);
        if (regular) remove(tmp);
        return 1;
    }
    return 0;
}

static int fixed(const char *path, const char *split_name, size_t limit, const char *aug_line, uint64_t seed,
                 const char *out)
{
    xs_error err = {0};
    xs_aug_options aug;
    xs_dataset *ds = NULL;
    int split = parse_split(split_name);
    if (split < -1) {
        fprintf(stderr, "render_stream: unknown split %s\n", split_name);
        return 1;
    }
    if (xs_aug_options_parse(aug_line, &aug, &err) != XS_OK || xs_dataset_open(path, &ds, &err) != XS_OK)
        return fail(&err);
    xs_grid grid = xs_grid_paper();
    size_t *idx = malloc(xs_dataset_count(ds) * sizeof *idx);
    size_t n = xs_dataset_select(ds, split, limit, idx);
    uint64_t *items = malloc(n * sizeof *items);
    int32_t *labels = malloc(n * sizeof *labels);
    float *x = malloc(n * grid.count * sizeof *x);
    if (!idx || !items || !labels || !x) {
        fprintf(stderr, "render_stream: %s: out of memory\n", path);
        return 1;
    }
    for (size_t k = 0; k < n; k++) {
        items[k] = idx[k]; /* as evaluate: crystal i always gets augmentation item i */
        labels[k] = xs_dataset_space_group(ds, idx[k]);
    }
    if (xs_train_render(ds, idx, n, &grid, &aug, seed, items, 16, x, &err) != XS_OK) return fail(&err);
    return write_bin(out, n, labels, x, grid.count);
}

static int patterns(const char *path, const char *out)
{
    xs_error err = {0};
    xs_pattern **pats = NULL;
    size_t np = 0;
    if (xs_pattern_read(path, &pats, &np, &err) != XS_OK) return fail(&err);
    xs_grid grid = xs_grid_paper();
    int32_t *labels = malloc(np * sizeof *labels);
    float *x = malloc(np * grid.count * sizeof *x);
    size_t n = 0;
    for (size_t q = 0; q < np; q++) {
        double wl = xs_pattern_choose_wavelength(pats[q], 0, NULL);
        int label = xs_pattern_label(pats[q]);
        if (label < 1 || label > 230) continue;
        if (xs_pattern_to_grid(pats[q], wl, &grid, XS_CU_KALPHA, 0.5, x + n * grid.count, NULL, &err) != XS_OK) {
            fail(&err);
            continue;
        }
        labels[n++] = label;
    }
    return write_bin(out, n, labels, x, grid.count);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 8 && !strcmp(argv[1], "stream"))
        return stream(argv[2], argv[3], strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10),
                      strtoull(argv[6], NULL, 10), strtoull(argv[7], NULL, 10));
    if (argc == 8 && !strcmp(argv[1], "fixed"))
        return fixed(argv[2], argv[3], strtoull(argv[4], NULL, 10), argv[5], strtoull(argv[6], NULL, 10), argv[7]);
    if (argc == 4 && !strcmp(argv[1], "patterns")) return patterns(argv[2], argv[3]);
    fprintf(stderr, "usage: render_stream stream DATA.h5 AUG SEED SHARD NSHARDS BATCH\n"
                    "       render_stream fixed DATA.h5 SPLIT LIMIT AUG SEED OUT.bin\n"
                    "       render_stream patterns FILE OUT.bin\n");
    return 2;
}
