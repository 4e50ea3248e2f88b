/* Space groups through spglib. */
#include "xrdsym/xs_symmetry.h"

#include <math.h>
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

static const char *const system_names[XS_CRYSTAL_SYSTEM_COUNT] = {
    "triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic"};

const char *xs_crystal_system_name(xs_crystal_system cs)
{
    if ((int)cs < 0 || cs >= XS_CRYSTAL_SYSTEM_COUNT) return "unknown";
    return system_names[cs];
}

xs_crystal_system xs_sym_crystal_system(int n)
{
    if (n <= 2) return XS_TRICLINIC;
    if (n <= 15) return XS_MONOCLINIC;
    if (n <= 74) return XS_ORTHORHOMBIC;
    if (n <= 142) return XS_TETRAGONAL;
    if (n <= 167) return XS_TRIGONAL;
    if (n <= 194) return XS_HEXAGONAL;
    return XS_CUBIC;
}

/* First Hall number of each space-group number, the setting spglib reports by default. */
static int first_hall[231];

static void init_first_hall(void)
{
    if (first_hall[1]) return;
    int table[231] = {0};
    for (int h = 530; h >= 1; h--) {
        SpglibSpacegroupType t = spg_get_spacegroup_type(h);
        if (t.number >= 1 && t.number <= 230) table[t.number] = h;
    }
    /* Written last so that a concurrent reader sees either zeros (and recomputes) or the full table. */
    for (int n = 230; n >= 1; n--) first_hall[n] = table[n];
}

int xs_sym_default_hall(int number)
{
    if (number < 1 || number > 230) return 0;
    init_first_hall();
    return first_hall[number];
}

int xs_sym_operations(int hall, int (*rot)[3][3], double (*trans)[3], int max_ops)
{
    if (hall < 1 || hall > 530) return 0;
    int r[192][3][3];
    double t[192][3];
    int n = spg_get_symmetry_from_database(r, t, hall);
    if (n <= 0 || n > max_ops) return 0;
    memcpy(rot, r, (size_t)n * sizeof r[0]);
    memcpy(trans, t, (size_t)n * sizeof t[0]);
    return n;
}

static int has_inversion(int hall)
{
    int r[192][3][3];
    double t[192][3];
    int n = spg_get_symmetry_from_database(r, t, hall);
    for (int i = 0; i < n; i++) {
        int inv = 1;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) inv &= (r[i][a][b] == (a == b ? -1 : 0));
        if (inv) return 1;
    }
    return 0;
}

int xs_sym_is_centrosymmetric(int number)
{
    static signed char cache[231];
    if (number < 1 || number > 230) return 0;
    if (!cache[number]) cache[number] = has_inversion(xs_sym_default_hall(number)) ? 1 : -1;
    return cache[number] > 0;
}

const char *xs_sym_symbol(int number)
{
    static char symbols[231][12];
    if (number < 1 || number > 230) return "?";
    if (!symbols[number][0]) {
        SpglibSpacegroupType t = spg_get_spacegroup_type(xs_sym_default_hall(number));
        memcpy(symbols[number], t.international_short, sizeof t.international_short);
        symbols[number][11] = 0;
    }
    return symbols[number];
}

xs_status xs_sym_from_hall(int hall, xs_spacegroup *out, xs_error *err)
{
    memset(out, 0, sizeof *out);
    if (hall < 1 || hall > 530) return xs_error_set(err, XS_ERR_RANGE, NULL, 0, 0, "Hall number %d outside 1..530", hall);
    SpglibSpacegroupType t = spg_get_spacegroup_type(hall);
    out->number = t.number;
    out->hall_number = hall;
    memcpy(out->international, t.international_short, sizeof t.international_short);
    memcpy(out->hall_symbol, t.hall_symbol, sizeof t.hall_symbol);
    memcpy(out->schoenflies, t.schoenflies, sizeof out->schoenflies - 1);
    out->crystal_system = xs_sym_crystal_system(t.number);
    out->centrosymmetric = has_inversion(hall);
    int r[192][3][3];
    double tr[192][3];
    out->n_operations = spg_get_symmetry_from_database(r, tr, hall);
    return XS_OK;
}

/* spglib's dataset of a structure in *out (the caller frees it with spg_free_dataset). */
static xs_status structure_dataset(const xs_structure *s, double symprec, SpglibDataset **out, xs_error *err)
{
    *out = NULL;
    size_t n = xs_structure_num_sites(s);
    const xs_site *sites = xs_structure_sites(s);
    double lat[3][3], spg_lat[3][3];
    xs_structure_lattice(s, lat);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) spg_lat[i][j] = lat[j][i]; /* spglib: basis vectors as columns */
    double (*pos)[3] = malloc(n * sizeof *pos);
    int *types = malloc(n * sizeof *types);
    if (!pos || !types) {
        free(pos);
        free(types);
        return xs_error_set(err, XS_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    /* Sites differ in type when their element or their occupancy differs: a half-occupied site is not
     * equivalent to a full one. */
    for (size_t i = 0; i < n; i++) {
        memcpy(pos[i], sites[i].frac, sizeof pos[i]);
        int t = (int)i;
        for (size_t k = 0; k < i && t == (int)i; k++)
            if (sites[k].z == sites[i].z && fabs(sites[k].occupancy - sites[i].occupancy) < 1e-3) t = types[k];
        types[i] = t;
    }
    SpglibDataset *ds = spg_get_dataset(spg_lat, pos, types, (int)n, symprec);
    free(pos);
    free(types);
    if (!ds) {
        SpglibError e = spg_get_error_code();
        return xs_error_set(err, XS_ERR_SYMMETRY, xs_structure_source(s), 0, 0, "spglib found no space group: %s",
                            spg_get_error_message(e));
    }
    *out = ds;
    return XS_OK;
}

xs_status xs_sym_find(const xs_structure *s, double symprec, xs_spacegroup *out, xs_error *err)
{
    memset(out, 0, sizeof *out);
    SpglibDataset *ds;
    xs_status st = structure_dataset(s, symprec, &ds, err);
    if (st) return st;
    st = xs_sym_from_hall(ds->hall_number, out, err);
    spg_free_dataset(ds);
    return st;
}

xs_status xs_sym_cell_rotations(const xs_structure *s, double symprec, int (*rotations)[3][3], int max_ops,
                                int *n_out, xs_error *err)
{
    *n_out = 0;
    SpglibDataset *ds;
    xs_status st = structure_dataset(s, symprec, &ds, err);
    if (st) return st;
    int n = 0;
    for (int k = 0; k < ds->n_operations; k++) {
        int seen = 0;
        for (int m = 0; m < n && !seen; m++) seen = !memcmp(rotations[m], ds->rotations[k], sizeof rotations[m]);
        if (seen) continue;
        if (n == max_ops) {
            spg_free_dataset(ds);
            return xs_error_set(err, XS_ERR_RANGE, xs_structure_source(s), 0, 0,
                                "more than %d rotations in the point group", max_ops);
        }
        memcpy(rotations[n++], ds->rotations[k], sizeof rotations[0]);
    }
    spg_free_dataset(ds);
    *n_out = n;
    return XS_OK;
}
