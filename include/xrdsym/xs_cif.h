/* xrdsym CIF reading (through libcif, the CIF API, driven as a stream parser).
 *
 * Every data block (and save frame) with an _atom_site_ loop holding fractional coordinates becomes one
 * structure, expanded to the full cell: name = block code, source = path. Blocks without atom sites are
 * skipped. A block with atom sites that cannot be built (no cell, unknown element, ...) is left out as well
 * when another block of the file gives a structure (xs_cif_read_ex reports each such block); when none does,
 * the first one's error is returned.
 *
 * What is read:
 *  - cell: _cell_length_a/b/c, _cell_angle_alpha/beta/gamma (uncertainties "5.431(2)" allowed). A missing
 *    or unknown ('?', '.') length is an error; a missing angle is 90 only where the declared group is
 *    orthorhombic, tetragonal or cubic, an error otherwise.
 *  - symmetry: the _space_group_symop_operation_xyz / _symmetry_equiv_pos_as_xyz loop; without one, the
 *    Hall symbol, else the H-M symbol (any spelling, see xs_sym_hall_from_symbol), else the group number,
 *    through spglib's database. Where the symbol leaves the origin choice open ("Fd-3m") the choice under
 *    which the atoms expand to the fewest sites is taken (a wrong origin moves atoms off their special
 *    positions and multiplies them); rhombohedral axes follow the cell (a = b = c and equal angles other
 *    than 90: rhombohedral axes). A file with no symmetry information at all is read as P1.
 *  - atoms: element from _atom_site_type_symbol (charges "O2-"), else from _atom_site_label; dummy sites
 *    (_atom_site_calc_flag dum, symbols Q, Du, Dum, Lp, Cg, Cnt, Cen) and sites of occupancy 0 are left
 *    out; _atom_site_occupancy (default 1); B from _atom_site_B_iso_or_equiv, else 8 pi^2 U from
 *    _atom_site_U_iso_or_equiv, else the equivalent isotropic value of the _atom_site_aniso_ loop
 *    (Ueq = 1/3 sum_ij U^ij a*_i a*_j a_i.a_j).
 *  - declared group: number, H-M and Hall symbol as written (xs_structure_declared_*).
 *
 * Symmetry images closer than XS_CIF_MERGE_TOL angstrom (same element) are merged.
 *
 * Errors: XS_ERR_IO (cannot read), XS_ERR_PARSE (CIF syntax damaging the data, numbers or symmetry
 * operations that cannot be read; the message names line and column), XS_ERR_INVALID (unknown or
 * impossible values: '?' cell, NaN, unknown element, absurd cell, no atoms, operations that are not symmetries
 * of the cell, XS_CIF_METRIC_TOL), XS_ERR_SYMMETRY (symmetry
 * symbol or number that spglib does not know), XS_ERR_NOT_FOUND (a file that parsed but holds no data
 * block with atom sites). */
#ifndef XS_CIF_H
#define XS_CIF_H

#include "xrdsym/xs_structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Merge distance for symmetry images in angstrom: coordinates in CIFs are often rounded to 3 or 4 decimals
 * (0.333 for 1/3), which puts images of one special-position atom up to ~0.03 A apart in a 10 A cell;
 * distinct atoms of one element are never closer than ~0.7 A (H2). 0.1 A sits safely between. */
#define XS_CIF_MERGE_TOL 0.1

/* A block's symmetry operations must be symmetries of its cell: R^T G R = G for every rotation R, G the metric
 * tensor, to within this fraction of the longest axis squared; otherwise the block is refused (XS_ERR_INVALID at
 * the cell), since the atoms would be expanded to wrong places. Among the COD's 961 readable blocks the largest
 * misfit of a consistent file is 0.0046 (a trigonal cell with a and b 0.03% apart and angles 0.15 deg off 90);
 * the smallest of an inconsistent one 0.046 (the operations of a 2-fold axis along a beside a cell monoclinic
 * along b). 0.01 lets refined cells of slightly lower symmetry through (angles up to about 0.5 deg off, lengths
 * 0.5% apart) and stops a cell of another setting or a mistyped operation. */
#define XS_CIF_METRIC_TOL 0.01

/* Occupancies of one place (sites of different elements within XS_CIF_MERGE_TOL) adding to more than this are
 * reported (XS_CIF_OVERFULL_SITE). Freely refined occupancies of a full site reach 1.03 in the COD's files;
 * a mixed site written without occupancies adds to 2 or more. */
#define XS_CIF_OVERFULL 1.1

/* Read every structure of a CIF. On XS_OK, *structures is a new array of *n >= 1 new structures that the
 * caller frees with xs_structure_list_free; on failure *structures is NULL and *n is 0. */
xs_status xs_cif_read(const char *path, xs_structure ***structures, size_t *n, xs_error *err);

/* What xs_cif_read leaves unsaid when it succeeds: each block with atom sites that could not be built while
 * another block gave a structure (the error that left it out; its message names the block, and line names where
 * it applies), then each block read with sites that cannot all be there (an overfull site or, where there is
 * none, atoms too close; the first such site, at its line), then the first syntax error that damaged data in a
 * file that still gave structures. Each kind is called in the order of the
 * file, after the read, from the calling thread; `warning` is valid only during the call. */
typedef enum {
    XS_CIF_BLOCK_LEFT_OUT = 1, /* a block with atom sites that could not be built */
    XS_CIF_SYNTAX_DAMAGE,      /* a syntax error; the structures read may lack what it damaged */
    XS_CIF_OVERFULL_SITE,      /* a block read whose sites of different elements at one place have occupancies
                                * adding to more than XS_CIF_OVERFULL (a mixed site written without its
                                * occupancies): the structure is as written, every element there in full */
    XS_CIF_ATOMS_TOO_CLOSE     /* a block read whose expanded sites include two that cannot both be occupied
                                * (xs_structure_clashes: closer than XS_CLASH_DISTANCE with occupancies adding
                                * to more than XS_CLASH_OCCUPANCY): the structure is as written */
} xs_cif_warning_kind;
typedef void (*xs_cif_warning_fn)(xs_cif_warning_kind kind, const xs_error *warning, void *user);

/* xs_cif_read, reporting what it left out through on_warning (NULL: nothing reported, as xs_cif_read). Nothing
 * is reported when the read fails: its error says why. */
xs_status xs_cif_read_ex(const char *path, xs_cif_warning_fn on_warning, void *user, xs_structure ***structures,
                         size_t *n, xs_error *err);

/* Free a list from xs_cif_read (NULL allowed). */
void xs_structure_list_free(xs_structure **list, size_t n);

#ifdef __cplusplus
}
#endif
#endif
