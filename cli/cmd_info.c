#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: xrdsym info [--symprec TOL] FILE...\n"
                 "  formula, cell, space group as declared and as found by spglib, crystal system\n"
                 "  --symprec TOL   spglib tolerance in angstrom (default %g)\n", XS_SYMPREC_DEFAULT);
}

int xs_cmd_info(int argc, char **argv)
{
    double symprec = XS_SYMPREC_DEFAULT;
    int status = 0, n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--symprec") && i + 1 < argc) {
            symprec = atof(argv[++i]);
            if (!(symprec > 0 && symprec < 1)) {
                fprintf(stderr, "xrdsym info: --symprec must be in (0, 1) angstrom\n");
                return 2;
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "xrdsym info: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
        n_files++;
        xs_error err = {0};
        xs_structure **list;
        size_t n;
        if (xs_cli_read_structures(argv[i], &list, &n, &err)) {
            xs_cli_print_error(&err);
            status = 1;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            xs_structure *s = list[k];
            char formula[256];
            double lat[3][3], p[6];
            xs_structure_formula(s, formula, sizeof formula);
            xs_structure_lattice(s, lat);
            xs_lattice_parameters(lat, p);
            printf("%s [%s]\n", argv[i], xs_structure_name(s));
            printf("  formula        %s (%zu sites in the cell)\n", formula, xs_structure_num_sites(s));
            printf("  cell           a=%.5f b=%.5f c=%.5f alpha=%.4f beta=%.4f gamma=%.4f  V=%.3f A^3\n", p[0], p[1], p[2],
                   p[3], p[4], p[5], xs_structure_volume(s));
            int declared = xs_structure_declared_number(s);
            const char *hm = xs_structure_declared_hm(s), *hall = xs_structure_declared_hall(s);
            if (declared || hm[0] || hall[0])
                printf("  declared       %s%s (No. %d)\n", hm[0] ? hm : hall[0] ? "Hall " : "?", hm[0] ? "" : hall, declared);
            else
                printf("  declared       (none)\n");
            xs_spacegroup sg;
            if (xs_sym_find(s, symprec, &sg, &err)) {
                xs_cli_print_error(&err);
                status = 1;
            } else {
                printf("  found          %s (No. %d, Hall %d), %s, %s\n", sg.international, sg.number, sg.hall_number,
                       xs_crystal_system_name(sg.crystal_system), sg.centrosymmetric ? "centrosymmetric" : "non-centrosymmetric");
                if (declared && declared != sg.number)
                    printf("  warning        declared group No. %d differs from the group spglib finds (No. %d) at "
                           "symprec %g A\n", declared, sg.number, symprec);
            }
            xs_structure_free(s);
        }
        free(list);
    }
    if (!n_files) {
        usage(stderr);
        return 2;
    }
    return status;
}
