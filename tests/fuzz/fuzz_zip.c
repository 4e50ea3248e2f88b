/* Fuzz target: the members of Rigaku .rasx and Bruker .brml archives. Mutating a zip archive's bytes mostly
 * breaks its checksums, so libzip refuses it before our readers see anything; this target builds a valid
 * archive around fuzzed members instead. The first byte chooses .rasx (even: Data0/Profile0.txt, then
 * Data0/MesurementConditions0.xml) or .brml (odd: Experiment0/RawData0.xml); the rest is the members'
 * texts, separated by a line "@@". Built with clang -fsanitize=fuzzer (scripts/fuzz.sh). */
#include <zip.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1) return 0;
    int rasx = !(data[0] & 1);
    const char *names_rasx[] = {"Data0/Profile0.txt", "Data0/MesurementConditions0.xml"};
    const char *names_brml[] = {"Experiment0/RawData0.xml"};
    const char **names = rasx ? names_rasx : names_brml;
    int n_members = rasx ? 2 : 1;
    const char *path = fuzz_file(rasx ? ".rasx" : ".brml", NULL, 0);
    if (!path) return 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
    if (!z) return 0;
    const unsigned char *p = data + 1, *end = data + size;
    for (int m = 0; m < n_members; m++) {
        const unsigned char *stop = end;
        if (m + 1 < n_members)
            for (const unsigned char *q = p; q + 4 <= end; q++)
                if (!memcmp(q, "\n@@\n", 4)) {
                    stop = q + 1;
                    break;
                }
        zip_source_t *s = zip_source_buffer(z, p, (zip_uint64_t)(stop - p), 0);
        if (!s || zip_file_add(z, names[m], s, ZIP_FL_OVERWRITE) < 0) {
            zip_source_free(s);
            zip_discard(z);
            return 0;
        }
        zip_set_file_compression(z, (zip_uint64_t)m, ZIP_CM_STORE, 0);
        p = stop < end ? stop + 3 : end;
    }
    if (zip_close(z) != 0) {
        zip_discard(z);
        return 0;
    }
    xs_pattern **list = NULL;
    size_t n = 0;
    if (!fuzz_read_patterns(path, &list, &n)) return 0;
    xs_pattern_list_free(list, n);
    return 0;
}
