/* xrdsym symmetry: space groups through spglib. */
#ifndef XS_SYMMETRY_H
#define XS_SYMMETRY_H

#include "xrdsym/xs_structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XS_TRICLINIC = 0,
    XS_MONOCLINIC,
    XS_ORTHORHOMBIC,
    XS_TETRAGONAL,
    XS_TRIGONAL,
    XS_HEXAGONAL,
    XS_CUBIC,
    XS_CRYSTAL_SYSTEM_COUNT
} xs_crystal_system;

typedef struct {
    int number;              /* 1..230 */
    int hall_number;         /* 1..530, spglib's numbering of settings */
    char international[32];  /* short H-M symbol, e.g. "Fm-3m" */
    char hall_symbol[32];
    char schoenflies[8];
    xs_crystal_system crystal_system;
    int centrosymmetric;     /* 1 if the group contains the inversion */
    int n_operations;        /* operations in the conventional setting of the found group */
} xs_spacegroup;

/* Default tolerance in angstrom for xs_sym_find (spglib's usual 1e-3 is too tight for CIF coordinates
 * rounded to 4 decimals; 1e-2 is what crystallographers use for refined structures). */
#define XS_SYMPREC_DEFAULT 1e-2

/* Space group of a structure (occupancy-weighted sites of different element or occupancy are distinct
 * types). XS_ERR_SYMMETRY if spglib finds none. */
xs_status xs_sym_find(const xs_structure *s, double symprec, xs_spacegroup *out, xs_error *err);
/* The distinct rotations of a structure's space group (its point group) as they act on the structure's own
 * fractional coordinates (x -> W x), for symmetrising something in the structure's setting, whatever it is.
 * At most max_ops are written (48 is always enough); *n_out is the count. */
xs_status xs_sym_cell_rotations(const xs_structure *s, double symprec, int (*rotations)[3][3], int max_ops,
                                int *n_out, xs_error *err);

/* Information about a setting from spglib's database (no structure needed). */
xs_status xs_sym_from_hall(int hall_number, xs_spacegroup *out, xs_error *err);
/* Hall number of the standard setting (spglib's default choice) of a space-group number; 0 if out of range. */
int xs_sym_default_hall(int number);
/* Symmetry operations of a setting: up to max_ops (192 is always enough). Returns the count, 0 on error. */
int xs_sym_operations(int hall_number, int (*rotations)[3][3], double (*translations)[3], int max_ops);

/* Hall number for an H-M symbol in any common spelling and setting ("P 21/c", "P121/c1", "P2_1/c",
 * "Fm-3m", "F m -3 m", "R -3 m :H", "Pnma", "P n m a", "Fd-3m:2") or a Hall symbol ("-P 2ybc");
 * 0 if none matches. */
int xs_sym_hall_from_symbol(const char *symbol);
/* Space-group number (1..230) of a text that is a number ("14") or any symbol xs_sym_hall_from_symbol reads;
 * 0 if it is neither (a number out of range, trailing characters after a number, an unknown symbol). */
int xs_sym_number_from_text(const char *text);

xs_crystal_system xs_sym_crystal_system(int number);
const char *xs_crystal_system_name(xs_crystal_system cs);
/* 1 if space-group number contains the inversion (one of the 92 centrosymmetric groups). */
int xs_sym_is_centrosymmetric(int number);
/* Short H-M symbol of the standard setting of a group number ("P2_1/c" style as spglib writes it). */
const char *xs_sym_symbol(int number);

/* Extinction class for powder diffraction: groups whose patterns have their peaks at the same positions for
 * any cell of their lattice family (the same d-spacings systematically missing, every reflection of a peak
 * counted, the axes of orthorhombic cells in any order and a, c of monoclinic ones swapped) share a class.
 * Peak positions cannot tell the groups of a class apart, only intensities (e.g. P222, Pmm2 and Pmmm;
 * Pnma and Pna2_1; the P-lattice cubic groups without glides or screws). Computed once from spglib's
 * operations. xs_sym_extinction_class: 1..xs_sym_extinction_class_count(), 0 for a number outside 1..230.
 * xs_sym_same_extinctions: the groups of number's class (itself included), ascending, at most max written;
 * returns how many there are. */
int xs_sym_extinction_class(int number);
int xs_sym_extinction_class_count(void);
int xs_sym_same_extinctions(int number, int *groups, int max);
/* 1 when the powder peak of reflection hkl (every reflection of its d-spacing in the lattice family) is
 * systematically absent in the standard setting of group `number`, 0 when some reflection of it is allowed,
 * -1 for hkl = 000, an index beyond 6 or a number outside 1..230. */
int xs_sym_peak_absent(int number, const int hkl[3]);

#ifdef __cplusplus
}
#endif
#endif
