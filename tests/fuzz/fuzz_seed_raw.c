/* Seeds of fuzz_patterns for Bruker .raw files (binary, which mutated text never reaches): versions 3 and 4
 * written by the tests' own writer (tests/xs_bruker_raw_files.h), each after the byte that makes fuzz_patterns
 * read its input as .raw (index 7 of its extensions). usage: fuzz_seed_raw CORPUS_DIR */
#include <stdio.h>

#include "xs_bruker_raw_files.h"

static int put(const char *dir, const char *name, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    int bad = fputc(7, f) == EOF || fwrite(buf, 1, size, f) != size;
    return fclose(f) != 0 || bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seed_raw CORPUS_DIR\n");
        return 2;
    }
    int bad = put(argv[1], "seed-raw-v3", make_v3(2, 24));
    bad |= put(argv[1], "seed-raw-v4", make_v4(1, "Locked Coupled"));
    return bad;
}
