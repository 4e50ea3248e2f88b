/* xrdsym datasets: files of crystals and their powder peak lists (HDF5), the training data of the networks.
 *
 * File layout (HDF5, readable with h5py; N crystals, M peaks in all):
 *   root attributes  format = "xrdsym-peaks-dataset" (string), format_version = 1 (int32),
 *                    wavelength (float64, angstrom), two_theta_min, two_theta_max (float64, degrees),
 *                    generator (string, free text: command line, seed), created (string, ISO 8601 UTC)
 *   /crystals/space_group     int32[N]    1..230
 *   /crystals/crystal_system  int8[N]     0 triclinic, 1 monoclinic, ... 6 cubic (xs_crystal_system)
 *   /crystals/formula         string[N]   variable-length UTF-8
 *   /crystals/lattice         float64[N,6] a, b, c (angstrom), alpha, beta, gamma (degrees)
 *   /crystals/n_atoms         int32[N]    atoms in the cell the peaks were computed from
 *   /crystals/split           int8[N]     0 train, 1 validation, 2 test
 *   /crystals/source          string[N]   variable-length UTF-8 (file name, "synth:seed=..", ...)
 *   /peaks/offset             int64[N+1]  crystal i owns peaks offset[i] .. offset[i+1]-1
 *   /peaks/two_theta          float32[M]  degrees, ascending within a crystal
 *   /peaks/intensity          float32[M]  scaled so that each crystal's strongest peak is 100
 * Numeric arrays are chunked and compressed (shuffle + deflate).
 *
 * Writing accumulates every entry in memory and writes the file once, at close: to a temporary file in the
 * same folder ("PATH.XXXXXX.tmp", reserved at create), then renamed over PATH, so that PATH never holds a
 * partial file. Memory: about 8 bytes per peak plus ~100 bytes per crystal (1e6 crystals of 100 peaks:
 * ~0.9 GB while writing).
 *
 * Duplicates (removed at close): two entries are duplicates when they have the same space group, the same
 * formula string, and the same strongest peaks: the XS_DATASET_DEDUPE_PEAKS strongest peaks of each (all
 * of them when fewer), sorted by position, have the same count and agree pairwise within
 * XS_DATASET_DEDUPE_TOL_DEG in 2theta and XS_DATASET_DEDUPE_TOL_INT in intensity (of 100). The entry added
 * first is kept. (Near-equal intensities at the K-th place can make the "strongest" sets differ, so such
 * duplicates can be missed; identical computations never are.)
 *
 * Split (assigned at close, after duplicate removal, seeded): stratified by space group. The kept entries
 * are shuffled with the seed, ordered by space group, and walked with a low-discrepancy rule, so that every
 * space group's share of validation and test entries is within 2 of frac_val and frac_test times its
 * count, and the totals within 2 of frac times N. Duplicates cannot straddle splits since only one is kept.
 *
 * Thread safety: the HDF5 library used is not built thread-safe; call these functions from one thread at a
 * time. A loaded xs_dataset is read-only and may be shared by threads.
 */
#ifndef XS_DATASET_H
#define XS_DATASET_H

#include <stdint.h>

#include "xrdsym/xs_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XS_DATASET_FORMAT "xrdsym-peaks-dataset"
#define XS_DATASET_FORMAT_VERSION 1
/* Duplicate detection, see above. 1e-3 deg is 1/10 of the paper's grid step, far above the float32
 * rounding of a 2theta near 90 deg (~4e-6) and far below what separates different lattices; 0.5 (of 100) in
 * intensity allows float rounding and merge-order differences yet separates structures that differ in
 * their atoms. */
#define XS_DATASET_DEDUPE_PEAKS 20
#define XS_DATASET_DEDUPE_TOL_DEG 1e-3
#define XS_DATASET_DEDUPE_TOL_INT 0.5

enum { XS_SPLIT_TRAIN = 0, XS_SPLIT_VAL = 1, XS_SPLIT_TEST = 2 };

/* One crystal as given to the writer. Every pointer is borrowed; the writer copies what it needs. */
typedef struct {
    int space_group;           /* 1..230 */
    const char *formula;       /* e.g. "Na4Cl4"; NULL is stored as "" */
    double lattice_params[6];  /* a, b, c (angstrom), alpha, beta, gamma (degrees); positive and finite */
    int n_atoms;               /* >= 0 */
    const char *source;        /* provenance; NULL is stored as "" */
    size_t n_peaks;            /* >= 1 */
    const double *two_theta;   /* degrees, finite, inside [two_theta_min, two_theta_max] of the file; any order */
    const double *intensity;   /* finite, >= 0, at least one > 0; rescaled so that the maximum is 100 */
} xs_dataset_entry;

/* ---- writing ---- */
typedef struct xs_dataset_writer xs_dataset_writer;

/* Start a dataset that will be written to path at close. Reserves the temporary file now, so that an
 * unwritable folder fails here (XS_ERR_IO). wavelength in angstrom (0.05..5), two_theta range in degrees
 * (0 <= min < max <= 180). generator may be NULL. *out is owned by the caller until it passes it to
 * xs_dataset_writer_close or xs_dataset_writer_abort. */
xs_status xs_dataset_writer_create(const char *path, double wavelength, double two_theta_min,
                                   double two_theta_max, const char *generator, xs_dataset_writer **out,
                                   xs_error *err);

/* Copy one entry (its peaks sorted by 2theta, intensities rescaled to max 100). XS_ERR_INVALID for a bad
 * value (the message says which); the writer stays usable and the entry is not added. */
xs_status xs_dataset_writer_add(xs_dataset_writer *w, const xs_dataset_entry *e, xs_error *err);

/* keep 1: close writes every entry, duplicates too (for partial files merged later); default 0. */
void xs_dataset_writer_keep_duplicates(xs_dataset_writer *w, int keep);

/* Entries added so far (before duplicate removal). */
size_t xs_dataset_writer_count(const xs_dataset_writer *w);

/* Remove duplicates, assign the split (seeded; 0 <= frac_val, frac_test and frac_val + frac_test <= 1),
 * write the temporary file, rename it to path. Frees w in every case; on failure the temporary file is
 * deleted and path is left as it was. n_kept (may be NULL) receives the number of crystals written. */
xs_status xs_dataset_writer_close_ex(xs_dataset_writer *w, uint64_t split_seed, double frac_val,
                                     double frac_test, size_t *n_kept, xs_error *err);
xs_status xs_dataset_writer_close(xs_dataset_writer *w, uint64_t split_seed, double frac_val, double frac_test,
                                  xs_error *err);

/* Free w and delete its temporary file; path is left as it was. NULL is allowed. */
void xs_dataset_writer_abort(xs_dataset_writer *w);

/* ---- reading ---- */
typedef struct xs_dataset xs_dataset;

/* Load a whole dataset file into memory. XS_ERR_IO if it cannot be opened or is not HDF5, XS_ERR_PARSE if
 * its format attribute is not XS_DATASET_FORMAT or an array is missing or inconsistent, XS_ERR_UNSUPPORTED
 * for a format_version newer than this build reads. The caller owns *out (xs_dataset_free). */
xs_status xs_dataset_open(const char *path, xs_dataset **out, xs_error *err);
void xs_dataset_free(xs_dataset *d);

size_t xs_dataset_count(const xs_dataset *d);
/* Crystals in one split (XS_SPLIT_TRAIN, _VAL, _TEST). */
size_t xs_dataset_count_split(const xs_dataset *d, int split);
/* The crystals of one split (split < 0: all) into idx, in file order (idx has room for limit numbers, or for
 * xs_dataset_count(d) when limit is 0); with limit > 0 and more crystals than that, only `limit` of them spread evenly over the split (crystal
 * k * n / limit for k = 0..limit-1: a dataset is ordered by space group, so its first part would hold the
 * first groups only). Returns how many were written. */
size_t xs_dataset_select(const xs_dataset *d, int split, size_t limit, size_t *idx);
/* Total number of peaks of all crystals. */
size_t xs_dataset_total_peaks(const xs_dataset *d);

/* Per-crystal getters; i must be < xs_dataset_count(d) (out of range: 0, -1, NULL or "" as fits). */
int xs_dataset_space_group(const xs_dataset *d, size_t i);
int xs_dataset_crystal_system(const xs_dataset *d, size_t i);
int xs_dataset_split(const xs_dataset *d, size_t i); /* 0 train, 1 val, 2 test */
int xs_dataset_n_atoms(const xs_dataset *d, size_t i);
const char *xs_dataset_formula(const xs_dataset *d, size_t i);
const char *xs_dataset_source(const xs_dataset *d, size_t i);
/* Pointer to the 6 lattice parameters (a, b, c, alpha, beta, gamma). */
const double *xs_dataset_lattice(const xs_dataset *d, size_t i);
/* Number of peaks of crystal i; *two_theta and *intensity (either may be NULL) point into d. */
size_t xs_dataset_peaks(const xs_dataset *d, size_t i, const float **two_theta, const float **intensity);

/* File-level attributes. */
double xs_dataset_wavelength(const xs_dataset *d);
double xs_dataset_two_theta_min(const xs_dataset *d);
double xs_dataset_two_theta_max(const xs_dataset *d);
const char *xs_dataset_generator(const xs_dataset *d);
/* A 64-bit digest of the crystals' groups, splits and peak counts, in order. Two files made by one command
 * (xs_dataset_generator) hold the same crystals in the same split only if their digests agree: a network
 * records its training file's digest, so that a test split is not taken for its own when the generator's
 * crystals or their split changed (a split is a shuffle of the kept crystals: one crystal more or less
 * moves every crystal's split). 0 for NULL. */
uint64_t xs_dataset_split_digest(const xs_dataset *d);
const char *xs_dataset_created(const xs_dataset *d);
int xs_dataset_format_version(const xs_dataset *d);

#ifdef __cplusplus
}
#endif
#endif
