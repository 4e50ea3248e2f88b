/* Isostructural relatives of a real structure (training data).
 *
 * Nature repeats a structure type in other cells and other elements (calcite, magnesite, siderite). A variant
 * keeps every fractional coordinate and changes the two things that differ between such relatives: the cell,
 * by a random strain made invariant under the structure's point group (so the group cannot change), and the
 * elements, each species replaced with some probability by a chemical neighbour. Whether the group survived
 * the substitution (two species may become one) is left to the caller to check with spglib. */
#include "synth/synth_internal.h"

#include "common/rng.h"
#include "xrdsym/xs_symmetry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xs_synth_variant_options_default(xs_synth_variant_options *opt)
{
    opt->strain_sd = 0.03;
    opt->substitute_prob = 0.5;
}

/* Columns of the main groups whose members replace one another (alkali, alkaline earth, boron, carbon,
 * pnictogen, chalcogen and halogen families), lightest first, 0-terminated. Oxygen and nitrogen are left out:
 * an oxide's oxygen swapped for sulfur is another chemistry, rarely the same structure. */
static const int main_columns[][6] = {
    {3, 11, 19, 37, 55, 0}, {4, 12, 20, 38, 56, 0}, {5, 13, 31, 49, 81, 0}, {6, 14, 32, 50, 82, 0},
    {15, 33, 51, 83, 0, 0}, {16, 34, 52, 0, 0, 0},  {9, 17, 35, 53, 0, 0},
};

/* Runs of neighbours in atomic number: the three transition series and the lanthanides (promethium left
 * out, as no mineral holds it). A member is replaced by one up to two steps away in its run. */
static const int runs[][2] = {{21, 30}, {39, 48}, {72, 80}, {57, 60}, {62, 71}};

int xs_synth_neighbour_element(int z, uint64_t draw)
{
    for (size_t c = 0; c < sizeof main_columns / sizeof main_columns[0]; c++) {
        int n = 0, at = -1;
        while (n < 6 && main_columns[c][n]) {
            if (main_columns[c][n] == z) at = n;
            n++;
        }
        if (at < 0) continue;
        int step = (draw & 1) ? 1 : -1;
        if (at + step < 0 || at + step >= n) step = -step;
        return main_columns[c][at + step];
    }
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        if (z < runs[r][0] || z > runs[r][1]) continue;
        int steps[4] = {-2, -1, 1, 2}, options[4], n = 0;
        for (int k = 0; k < 4; k++)
            if (z + steps[k] >= runs[r][0] && z + steps[k] <= runs[r][1]) options[n++] = z + steps[k];
        return n ? options[draw % (uint64_t)n] : z;
    }
    return z;
}

/* The metric W^T G W averaged over the rotations: invariant under every one of them, so the strained cell
 * keeps the structure's point group whatever its setting. */
static void symmetrise_metric(double g[3][3], const int (*w)[3][3], int n)
{
    double sum[3][3] = {{0}};
    for (int k = 0; k < n; k++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double v = 0;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) v += w[k][a][i] * g[a][b] * w[k][b][j];
                sum[i][j] += v;
            }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) g[i][j] = sum[i][j] / n;
}

xs_status xs_synth_variant(const xs_structure *s, const int (*rot)[3][3], int n_rot, const xs_synth_variant_options *opt,
                           uint64_t seed, uint64_t index, xs_structure **out, xs_error *err)
{
    *out = NULL;
    if (!(opt->strain_sd >= 0 && opt->strain_sd <= 0.2) || !(opt->substitute_prob >= 0 && opt->substitute_prob <= 1))
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0,
                            "variant: strain sd %g must lie in [0, 0.2] and substitution probability %g in [0, 1]",
                            opt->strain_sd, opt->substitute_prob);
    if (n_rot < 1 || n_rot > 48)
        return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "variant: %d rotations (a point group has 1 to 48)", n_rot);
    xs_status st;
    xs_rng rng;
    xs_rng_seed(&rng, seed, index);

    /* Strain: F = I + E with E symmetric, each component normal of sd strain_sd cut at 3 sd; lattice rows
     * become L F, metric L F F^T L^T. */
    double e[3][3], f[3][3], lat[3][3], lf[3][3], g[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = i; j < 3; j++) {
            double v = xs_rng_normal(&rng) * opt->strain_sd;
            double cut = 3 * opt->strain_sd;
            e[i][j] = e[j][i] = v > cut ? cut : v < -cut ? -cut : v;
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) f[i][j] = (i == j) + e[i][j];
    xs_structure_lattice(s, lat);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            lf[i][j] = 0;
            for (int k = 0; k < 3; k++) lf[i][j] += lat[i][k] * f[k][j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            g[i][j] = 0;
            for (int k = 0; k < 3; k++) g[i][j] += lf[i][k] * lf[j][k];
        }
    symmetrise_metric(g, rot, n_rot);
    double a = sqrt(g[0][0]), b = sqrt(g[1][1]), c = sqrt(g[2][2]);
    double deg = 180.0 / M_PI;
    double new_lat[3][3];
    st = xs_lattice_from_parameters(a, b, c, acos(g[1][2] / (b * c)) * deg, acos(g[0][2] / (a * c)) * deg,
                                    acos(g[0][1] / (a * b)) * deg, new_lat, err);
    if (st) return st;

    /* Substitution: one draw per distinct element, in the order the elements first appear. */
    size_t n = xs_structure_num_sites(s);
    xs_site *sites = malloc((n ? n : 1) * sizeof *sites);
    if (!sites) return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memcpy(sites, xs_structure_sites(s), n * sizeof *sites);
    int map[XS_MAX_Z + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        int z = sites[i].z;
        if (!map[z]) {
            int replace = xs_rng_uniform(&rng) < opt->substitute_prob;
            uint64_t draw = xs_rng_next(&rng);
            map[z] = replace ? xs_synth_neighbour_element(z, draw) : z;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (map[sites[i].z] != sites[i].z) {
            sites[i].z = map[sites[i].z];
            /* the charge stays: a neighbour in the same column or run usually takes the same oxidation state,
             * and the form factors fall back to the nearest charge listed for it */
            snprintf(sites[i].label, sizeof sites[i].label, "%s", xs_element_symbol(sites[i].z));
        }
    }
    st = xs_structure_create(new_lat, n, sites, out, err);
    free(sites);
    if (st) return st;
    char name[300];
    snprintf(name, sizeof name, "%s~v%llu", xs_structure_name(s), (unsigned long long)index);
    xs_structure_set_name(*out, name, xs_structure_source(s));
    return XS_OK;
}
