/* xrdsym structures: a periodic crystal as a lattice plus fractional sites.
 *
 * Geometry is kept in plain arrays: lattice[i] is the i-th basis vector (a, b, c) in Cartesian angstrom,
 * one vector per ROW. (spglib wants one vector per column; the symmetry module transposes.) */
#ifndef XS_STRUCTURE_H
#define XS_STRUCTURE_H

#include "xrdsym/xs_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XS_MAX_Z 103

typedef struct {
    double frac[3];     /* fractional coordinates, any value (not wrapped) */
    int z;              /* atomic number, 1..XS_MAX_Z */
    int charge;         /* formal oxidation state from the file (O2- -> -2); 0 when none given */
    double occupancy;   /* 0 < occupancy <= 1 (slightly above 1 tolerated as written) */
    double b_iso;       /* isotropic displacement B in A^2 (= 8 pi^2 U); 0 when none given */
    char label[32];     /* site label from the file, or the element symbol */
} xs_site;

typedef struct xs_structure xs_structure;

/* New structure from a lattice (rows = a, b, c in angstrom) and a copy of the sites. Fails with
 * XS_ERR_INVALID on a singular or absurd cell (volume < 1 A^3 or > 1e7 A^3, NaN), an unknown element, a
 * non-finite coordinate or an occupancy outside (0, 1.5]. The caller owns *out (xs_structure_free). */
xs_status xs_structure_create(const double lattice[3][3], size_t n_sites, const xs_site *sites,
                              xs_structure **out, xs_error *err);
xs_structure *xs_structure_clone(const xs_structure *s);
void xs_structure_free(xs_structure *s);

/* Lattice vectors from cell parameters (angstrom, degrees): a along x, b in the xy plane. Returns
 * XS_ERR_INVALID for lengths <= 0, angles outside (0, 180) or a cell with no volume. */
xs_status xs_lattice_from_parameters(double a, double b, double c, double alpha, double beta, double gamma,
                                     double lattice[3][3], xs_error *err);
/* XS_ERR_INVALID for a lattice with a non-finite component or a volume outside 1 to 1e7 A^3 (the check
 * xs_structure_create makes), so that a reader can name the cell's own lines. */
xs_status xs_lattice_check(const double lattice[3][3], xs_error *err);
/* a, b, c, alpha, beta, gamma of a lattice. */
void xs_lattice_parameters(const double lattice[3][3], double params[6]);
double xs_lattice_volume(const double lattice[3][3]);
/* Cartesian distance in angstrom between fractional positions a and b, the shortest over lattice translations
 * (for cells not too oblique: translations of -1..1 of every axis are searched). */
double xs_lattice_distance(const double lattice[3][3], const double a[3], const double b[3]);

void xs_structure_lattice(const xs_structure *s, double lattice[3][3]);
size_t xs_structure_num_sites(const xs_structure *s);
/* Borrowed pointer to the sites; valid until the structure is freed. */
const xs_site *xs_structure_sites(const xs_structure *s);
double xs_structure_volume(const xs_structure *s);

/* Name (data block name or file stem) and the file it came from; borrowed strings, never NULL. */
const char *xs_structure_name(const xs_structure *s);
const char *xs_structure_source(const xs_structure *s);
void xs_structure_set_name(xs_structure *s, const char *name, const char *source_file);

/* Space group as declared by the file it came from: number 0 and empty strings where none was given. */
void xs_structure_set_declared_group(xs_structure *s, int number, const char *hm_symbol, const char *hall_symbol);
int xs_structure_declared_number(const xs_structure *s);
const char *xs_structure_declared_hm(const xs_structure *s);
const char *xs_structure_declared_hall(const xs_structure *s);

/* Reduced chemical formula in Hill order with occupancies summed, e.g. "Al2 O3" style as "Al2O3". */
void xs_structure_formula(const xs_structure *s, char *buf, size_t size);

/* Apply n_ops symmetry operations (rotation in fractional coordinates, translation) to every site,
 * wrap into [0, 1), and merge images closer than merge_tol angstrom that carry the same element (the
 * occupancy of a special position is kept, not summed). XS_ERR_INVALID when the images would hold more than one
 * site a cubic angstrom (plus 16): no crystal comes near it. The caller owns *out. */
xs_status xs_structure_expand(const xs_structure *asym, size_t n_ops, const int (*rotations)[3][3],
                              const double (*translations)[3], double merge_tol, xs_structure **out,
                              xs_error *err);

/* Two atoms closer than these (angstrom) cannot both be there. The shortest bonds between atoms heavier than
 * hydrogen are near 1.1 A (N2, C#O); X-ray positions of hydrogen sit 0.1-0.2 A short of the nucleus, on the
 * bond, so X-H bonds refined from X-ray data come out near 0.8 A and sometimes below. Sites closer than this
 * are alternatives of a disordered structure, which the occupancies must say, or a wrong setting, wrong
 * coordinates or Cartesian ones read as fractional. */
#define XS_CLASH_DISTANCE 0.8
#define XS_CLASH_DISTANCE_H 0.5
/* Occupancies of two sites that add to no more than this may be alternatives (freely refined occupancies of
 * a full site reach 1.03). */
#define XS_CLASH_OCCUPANCY 1.1

/* Pairs of sites that cannot both be occupied: closer than XS_CLASH_DISTANCE (XS_CLASH_DISTANCE_H where one is
 * hydrogen) with occupancies adding to more than XS_CLASH_OCCUPANCY. Returns how many pairs; where there are
 * any, the closest pair's site indices (*first < *second) and distance are set (each may be NULL). */
size_t xs_structure_clashes(const xs_structure *s, size_t *first, size_t *second, double *distance);

/* Elements. */
/* Atomic number of a symbol ("Fe", "fe", "D" -> 1); 0 if unknown. Only the element part is read. */
int xs_element_z(const char *symbol);
/* Symbol of an atomic number ("Fe"), or "?" outside 1..XS_MAX_Z. */
const char *xs_element_symbol(int z);
/* Parse a CIF/POSCAR type symbol such as "O2-", "Fe3+", "Fe+3", "Ow", "Na1", "Cl-": element and formal
 * charge. Returns XS_ERR_INVALID (naming the text) when no element can be read from it. */
xs_status xs_element_parse(const char *text, int *z, int *charge, xs_error *err);

/* VASP POSCAR (VASP 5 with a species line, or VASP 4 with species in trailing "# X1" comments on the
 * position lines, or named on the first line as symbols or a formula). A file that names no species is an
 * error unless flags has XS_POSCAR_PLACEHOLDER_SPECIES, which gives species i the atomic number i + 1
 * (good for symmetry, meaningless for diffraction). The caller owns *out. */
#define XS_POSCAR_PLACEHOLDER_SPECIES 1u
xs_status xs_poscar_read(const char *path, unsigned flags, xs_structure **out, xs_error *err);
/* xs_poscar_read that also says, in *warning (code XS_ERR_INVALID, the line of an atom; XS_OK when there is
 * nothing to say; NULL: not asked), where two atoms cannot both be there (xs_structure_clashes): Cartesian
 * coordinates read as fractional, or the alternative sites of a disordered structure, which a POSCAR cannot
 * weight. The structure is read as written. */
xs_status xs_poscar_read_ex(const char *path, unsigned flags, xs_error *warning, xs_structure **out,
                            xs_error *err);

#ifdef __cplusplus
}
#endif
#endif
