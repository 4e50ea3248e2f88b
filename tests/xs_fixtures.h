/* Test fixtures: textbook crystals built in code from an asymmetric unit and the group's operations. */
#ifndef XS_FIXTURES_H
#define XS_FIXTURES_H
#include <string.h>
#include "xrdsym.h"

/* Expand n asymmetric-unit sites (elements z, fractional frac) with the operations of space group `number`
 * in its default setting; NULL on any failure (the tests then fail on the NULL). */
static inline xs_structure *xs_fixture_build(int number, double a, double b, double c, double al, double be, double ga, int n,
                           const int *z, const double (*frac)[3])
{
    double lat[3][3];
    xs_error err = {0};
    if (xs_lattice_from_parameters(a, b, c, al, be, ga, lat, &err)) return NULL;
    xs_site sites[16];
    memset(sites, 0, sizeof sites);
    for (int i = 0; i < n; i++) {
        sites[i].z = z[i];
        sites[i].occupancy = 1;
        memcpy(sites[i].frac, frac[i], sizeof sites[i].frac);
    }
    xs_structure *asym, *full = NULL;
    if (xs_structure_create(lat, (size_t)n, sites, &asym, &err)) return NULL;
    int rot[192][3][3];
    double tr[192][3];
    int nops = xs_sym_operations(xs_sym_default_hall(number), rot, tr, 192);
    xs_structure_expand(asym, (size_t)nops, (const int (*)[3][3])rot, (const double (*)[3])tr, 0.01, &full, &err);
    xs_structure_free(asym);
    return full;
}

#endif
