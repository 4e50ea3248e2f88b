/* xrdsym synth: Wyckoff positions computed from the symmetry operations, and random crystals of a chosen
 * space group for training data.
 *
 * Wyckoff positions are not typed in: for a Hall setting, the operations come from spglib's database
 * (xs_sym_operations) and the positions are computed from them (fixed-point subspaces of the site-symmetry
 * groups, grouped into orbits under the group). Each computed orbit is then named by the International
 * Tables' position whose first coordinate triplet lies on it (a compiled table, generated from spglib's
 * Wyckoff.csv by tools/gen_wyckoff_letters.py) and takes that triplet as its representative and its
 * parametrisation: letters, their order and the representatives are ITA's in all 530 settings
 * (tests/test_wyckoff.c). Site symmetries are computed unoriented ("mm2" where ITA writes "m2m" or "2mm") and
 * given oriented too, as ITA prints them (checked to be the same point group). */
#ifndef XS_SYNTH_H
#define XS_SYNTH_H

#include <stdint.h>

#include "xrdsym/xs_structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wyckoff positions ---- */

/* One coordinate triplet of an orbit: frac[i] = sum_j coef[i][j] * p[j] + constant[i], where p = (x, y, z)
 * are the position's free parameters (coef columns of parameters that are not free are zero). */
typedef struct {
    int coef[3][3];
    double constant[3]; /* in [0, 1) */
} xs_synth_wyckoff_coord;

typedef struct {
    char letter;             /* 'a'..'z', then 'A' for the 27th (ITA's alpha, only in Pmmm) */
    int multiplicity;        /* points in the conventional cell (centring included) */
    int site_order;          /* order of the site-symmetry group; multiplicity * site_order = operations */
    char site_symmetry[8];   /* its point-group symbol, unoriented ("mm2", "-42m", "m-3m", "1"), computed */
    char site_symmetry_oriented[8]; /* ITA's oriented symbol (".m.", "4/mm.m"), from the ITA table */
    int n_free;              /* 0..3 free parameters */
    int free_param[3];       /* 1 where x, y, z is a free parameter of this position */
    int n_coords;            /* = multiplicity */
    const xs_synth_wyckoff_coord *coords; /* the orbit; coords[0] is the representative */
} xs_synth_wyckoff_position;

typedef struct xs_synth_wyckoff_set xs_synth_wyckoff_set;

/* Wyckoff positions of a space group (1..230) in spglib's standard setting (xs_sym_default_hall). Computed
 * on first use and kept for the life of the process (thread-safe); the set is borrowed, never free it.
 * XS_ERR_RANGE for a number outside 1..230. */
xs_status xs_synth_wyckoff(int space_group, const xs_synth_wyckoff_set **out, xs_error *err);
/* The same for any of spglib's 530 Hall settings; the caller owns *out (xs_synth_wyckoff_free). */
xs_status xs_synth_wyckoff_for_hall(int hall_number, xs_synth_wyckoff_set **out, xs_error *err);
void xs_synth_wyckoff_free(xs_synth_wyckoff_set *w);

int xs_synth_wyckoff_hall(const xs_synth_wyckoff_set *w);
int xs_synth_wyckoff_space_group(const xs_synth_wyckoff_set *w);
/* Positions in letter order: index 0 is 'a', the last is the general position. */
int xs_synth_wyckoff_count(const xs_synth_wyckoff_set *w);
const xs_synth_wyckoff_position *xs_synth_wyckoff_get(const xs_synth_wyckoff_set *w, int index);
/* Position of a letter ('a'.., 'A' = alpha), NULL if none. */
const xs_synth_wyckoff_position *xs_synth_wyckoff_by_letter(const xs_synth_wyckoff_set *w, char letter);
/* The group's operations (centring translations included), borrowed. */
int xs_synth_wyckoff_operations(const xs_synth_wyckoff_set *w, const int (**rotations)[3][3],
                                const double (**translations)[3]);

/* Coordinates of orbit member k at parameters p (x, y, z; entries that are not free are ignored), wrapped
 * into [0, 1). */
void xs_synth_wyckoff_eval(const xs_synth_wyckoff_position *pos, int k, const double p[3], double frac[3]);
/* Orbit member k as text, e.g. "x,-x+1/2,1/4" (always NUL-terminated). */
void xs_synth_wyckoff_format(const xs_synth_wyckoff_position *pos, int k, char *buf, size_t size);

/* ---- random crystals ---- */

/* How often each multiset of occupied Wyckoff positions occurs, per space group (e.g. among Materials
 * Project structures). */
typedef struct xs_synth_wyckoff_prior xs_synth_wyckoff_prior;

/* Read a table `spg,n_atoms,wps,count` (header line first; wps = '-'-joined position indices where 0 is
 * the general position, i.e. index i is the (count-1-i)-th letter). Rows naming a position the group lacks,
 * or whose positions' multiplicities do not add up to n_atoms, are an XS_ERR_PARSE with the line. (The
 * indices follow ITA's letters, as ours do; all 12,593 rows of the Materials Project table add up.) The caller owns *out. */
xs_status xs_synth_wyckoff_prior_load(const char *path, xs_synth_wyckoff_prior **out, xs_error *err);
void xs_synth_wyckoff_prior_free(xs_synth_wyckoff_prior *p);
/* Number of rows (distinct multisets) kept for a space group. */
size_t xs_synth_wyckoff_prior_rows(const xs_synth_wyckoff_prior *p, int space_group);

typedef struct {
    const xs_synth_wyckoff_prior *prior; /* NULL: the built-in distribution (src/synth/crystal.c: 1..6
                                          * positions, each uniform among those that fit) */
    int max_atoms;          /* atoms in the conventional cell at most (default 64); after 200 failed
                             * attempts raised to the general position's multiplicity, which a few groups
                             * need (F432, Fd-3, F-43c: 96; Fm-3c, Fd-3c: 192) */
    int max_sites;          /* occupied Wyckoff positions at most (default 8) */
    double atoms_power;     /* the prior's occupations drawn with weight count x n_atoms^atoms_power: 0
                             * (default) as often as among the Materials Project's structures, > 0 towards
                             * larger cells (real minerals have more atoms than the Materials Project's
                             * typical structure; README, "Atoms per cell") */
    double min_dist_factor; /* reject if two atoms are closer than this times the sum of their radii
                             * (default 0.7) */
    double packing_min, packing_max; /* volume = sum of atomic volumes / packing, packing uniform in this
                                      * range (default 0.35 .. 0.60) */
    double b_min, b_max;    /* isotropic B in A^2, uniform (default 0.3 .. 1.5) */
    double axis_log_sd;     /* shape of the cell: 0 (default) draws each axis length's logarithm uniform in
                             * [-0.5, 0.5] (longest over shortest axis at most e); > 0 draws it normal with
                             * this standard deviation, cut at 3 sd (0.5 gives axis ratios as the COD's real
                             * inorganic structures have: median 2.1 for low symmetry, 1 in 10 above 3.9;
                             * docs/synth.md) */
    double anion_prob;      /* chemistry: 0 (default) draws every species alike by its frequency; > 0 makes,
                             * with this probability, the first species an anion former (O, F, Cl, Br, I,
                             * S, Se, Te, N, drawn by the same frequencies) on about a fraction U(0.45, 0.85)
                             * of the atoms; 0.7 brings the crystals near the COD's inorganic formulas
                             * (docs/synth.md) */
    int max_attempts;       /* resamples before XS_ERR_SYMMETRY (default 2000) */
    double symprec;         /* tolerance of the symmetry checks (default 1e-3 A) */
    int verify;             /* XS_SYNTH_VERIFY_SPGLIB (default) or XS_SYNTH_VERIFY_DIRECT, see below */
} xs_synth_options;

/* How a crystal is confirmed to have exactly the target group. Both first check directly that no operation
 * outside the group maps the crystal onto itself (no pure translation besides the group's centring, no
 * rotation of the crystal system's holohedry outside the group's point group; a few microseconds).
 * SPGLIB then also has spglib find the group (xs_sym_find), which costs 0.3 ms for a triclinic cell but
 * 10-50 ms for a cubic one (spglib 2.0). DIRECT stops after the direct check; tests/test_synth.c checks
 * that spglib agrees with it on crystals of all 230 groups. */
enum { XS_SYNTH_VERIFY_SPGLIB = 0, XS_SYNTH_VERIFY_DIRECT = 1 };

void xs_synth_options_default(xs_synth_options *opt);

/* A random crystal of space group 1..230 in its standard setting (conventional cell, all atoms), checked
 * with spglib to have exactly that group. Deterministic in (seed, index): every random choice comes from
 * xs_rng seeded with (seed, stream = index), so crystals can be generated in any order and on any thread.
 * Its name is "synth-<sg>-<seed>-<index>" and its declared group the target. XS_ERR_RANGE for a bad group
 * number, XS_ERR_SYMMETRY if max_attempts draws all failed. The caller owns *out. */
xs_status xs_synth_crystal(int space_group, const xs_synth_options *opt, uint64_t seed, uint64_t index,
                           xs_structure **out, xs_error *err);

/* Isostructural relatives of a real structure, for training (src/synth/variant.c). Every fractional
 * coordinate is kept; the cell is strained by F = I + E (E symmetric, each component normal with sd
 * strain_sd, cut at 3 sd) and its metric then averaged over the rotations of the structure's point group as
 * they act on its own coordinates (xs_sym_cell_rotations, found once for all of a structure's relatives), so
 * that the strained cell keeps the group whatever the setting; each distinct element is replaced, with
 * probability substitute_prob, by a chemical neighbour (xs_synth_neighbour_element), keeping its charge. Two
 * species that become one can raise the symmetry: the caller checks the group with xs_sym_find.
 * Deterministic in (seed, index); the variant is named "<name>~v<index>". The caller owns *out. */
typedef struct {
    double strain_sd;       /* default 0.03 (cell lengths of isostructural minerals differ by a few %) */
    double substitute_prob; /* default 0.5 */
} xs_synth_variant_options;
void xs_synth_variant_options_default(xs_synth_variant_options *opt);
xs_status xs_synth_variant(const xs_structure *s, const int (*rotations)[3][3], int n_rotations,
                           const xs_synth_variant_options *opt, uint64_t seed, uint64_t index, xs_structure **out,
                           xs_error *err);
/* A chemical neighbour of element z, chosen by draw: the next or previous member of its main-group column
 * (alkali, alkaline earth, B, C, N (without N), O (without O) and halogen families), or one to two steps
 * along its transition series or the lanthanides; z itself for any other element (H, O, N, noble gases,
 * actinides). */
int xs_synth_neighbour_element(int z, uint64_t draw);

/* Covalent radius (Cordero et al. 2008) used for volumes and the distance check, angstrom; 0 if unknown. */
double xs_synth_radius(int z);

#ifdef __cplusplus
}
#endif
#endif
