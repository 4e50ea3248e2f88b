/* xrdsym wyckoff SG: the Wyckoff positions of a space group, computed from its operations. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: xrdsym wyckoff SG [--hall N] [--orbits]\n"
            "  Wyckoff positions of space group SG (1..230, or an H-M symbol) in its standard setting,\n"
            "  computed from the group's operations and named as the International Tables (Vol. A) name\n"
            "  them; one position a line, the general position first:\n"
            "    letter multiplicity site_symmetry (ITA's oriented symbol) representative (ITA's first triplet)\n"
            "  --hall N    any of spglib's 530 Hall settings instead\n"
            "  --orbits    all coordinate triplets of each orbit, not only the representative\n");
}

int xs_cmd_wyckoff(int argc, char **argv)
{
    int sg = 0, hall = 0, orbits = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--hall") && i + 1 < argc) {
            char *end;
            hall = (int)strtol(argv[++i], &end, 10);
            if (*end || hall < 1 || hall > 530) {
                fprintf(stderr, "xrdsym wyckoff: --hall expects 1..530, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--orbits")) {
            orbits = 1;
        } else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            fprintf(stderr, "xrdsym wyckoff: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (!sg) {
            sg = xs_sym_number_from_text(a);
            if (!sg) {
                fprintf(stderr, "xrdsym wyckoff: '%s' is not a space group (1..230 or a symbol)\n", a);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!sg && !hall) {
        usage(stderr);
        return 2;
    }
    xs_error err = {0};
    const xs_synth_wyckoff_set *w;
    xs_synth_wyckoff_set *owned = NULL;
    if (hall) {
        if (xs_synth_wyckoff_for_hall(hall, &owned, &err)) {
            xs_cli_print_error(&err);
            return 1;
        }
        w = owned;
    } else if (xs_synth_wyckoff(sg, &w, &err)) {
        xs_cli_print_error(&err);
        return 1;
    }
    xs_spacegroup info;
    xs_sym_from_hall(xs_synth_wyckoff_hall(w), &info, NULL);
    printf("# space group %d %s, Hall number %d (%s), %d positions\n", info.number, info.international,
           info.hall_number, info.hall_symbol, xs_synth_wyckoff_count(w));
    for (int i = xs_synth_wyckoff_count(w) - 1; i >= 0; i--) {
        const xs_synth_wyckoff_position *p = xs_synth_wyckoff_get(w, i);
        char buf[128];
        printf("%c %d %s", p->letter, p->multiplicity, p->site_symmetry_oriented);
        for (int k = 0; k < (orbits ? p->n_coords : 1); k++) {
            xs_synth_wyckoff_format(p, k, buf, sizeof buf);
            printf(" (%s)", buf);
        }
        putchar('\n');
    }
    xs_synth_wyckoff_free(owned);
    return 0;
}
