/* Test fixtures: textbook crystals built in code from an asymmetric unit and the group's operations. */
#ifndef XS_FIXTURES_H
#define XS_FIXTURES_H
#include <string.h>
#include "xrdsym.h"
#include "xs_test.h"

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

/* Training options that learn the tiny dataset below in 4 epochs: a small network, batch 16, seed 3. */
static inline void xs_fixture_tiny_train_options(xs_train_options *opt)
{
    xs_train_options_default(opt);
    opt->arch = "input 8500; avgpool 10; dense 32 relu; dense classes softmax";
    opt->epochs = 4;
    opt->batch = 16;
    opt->seed = 3;
    opt->learning_rate = 0.003;
}

/* One crystal of a 5 A cubic-looking cell with its n peaks, added to a dataset being written. */
static inline void xs_fixture_add_crystal(xs_dataset_writer *w, int space_group, const char *formula, const double *two_theta,
                                          const double *intensity, int n)
{
    xs_error err = {0};
    xs_dataset_entry e = {0};
    e.space_group = space_group;
    e.formula = formula;
    e.lattice_params[0] = e.lattice_params[1] = e.lattice_params[2] = 5;
    e.lattice_params[3] = e.lattice_params[4] = e.lattice_params[5] = 90;
    e.n_atoms = 1;
    e.n_peaks = n;
    e.two_theta = two_theta;
    e.intensity = intensity;
    CHECK(xs_dataset_writer_add(w, &e, &err) == XS_OK, "add: %s", err.message);
}

/* A tiny peak-list dataset: 300 crystals of space groups 225, 14 and 2 (100 each) whose four peaks sit at
 * 15 + 20k + 6g degrees (g = 0, 1, 2 the group), shifted by 0.01 deg per crystal; 20% validation. */
static inline void xs_fixture_tiny_dataset(const char *path)
{
    xs_dataset_writer *w = NULL;
    xs_error err = {0};
    CHECK(xs_dataset_writer_create(path, 1.54184, 5, 90, "test_train", &w, &err) == XS_OK, "writer: %s", err.message);
    if (!w) return;
    const int groups[3] = {225, 14, 2};
    for (int i = 0; i < 300; i++) {
        int g = i % 3;
        double tt[4], in[4];
        for (int k = 0; k < 4; k++) {
            /* each group has its own peak positions, shifted a little per crystal (no duplicates) */
            tt[k] = 15 + 20 * k + 6 * g + 0.01 * (i / 3);
            in[k] = 100 - 20 * k;
        }
        xs_fixture_add_crystal(w, groups[g], "X", tt, in, 4);
    }
    CHECK(xs_dataset_writer_close(w, 7, 0.2, 0.0, &err) == XS_OK, "close: %s", err.message);
}

#endif
