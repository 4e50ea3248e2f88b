/* xrdsym search-match: how close a measured pattern comes to the simulated patterns of known structures.
 *
 * A network classifies a pattern it has never seen; a crystallographer first asks whether it is a structure
 * already known. The two answers are different in kind: a close match to a reference says "this is (a
 * structure like) that one", whose space group is then known, while the network's group is a guess from
 * the pattern's features. Measured on the 332 RRUFF patterns (README): where a pattern correlates at 0.7 or
 * more with one of 970 real structures of the shared data, that structure's group was the pattern's for 18
 * of 18; between 0.6 and 0.7 for 13 of 17.
 *
 * References: the peak lists of an xs_dataset (`xrdsym dataset structures FILE... --out REF.h5`), every
 * peak broadened by a Gaussian of FWHM 0.1 deg in 2theta (the median width of the strongest peak of the
 * RRUFF patterns), on the model's grid; peaks are moved to the grid's wavelength through their d-spacing
 * (sin theta scales with the wavelength) and those beyond 2theta = 180 deg dropped.
 * Patterns: on the same grid (xs_pattern_to_grid); the background is removed as a running minimum over
 * 201 points (2 deg on the paper's grid), then both sides are square-rooted (weak reflections count),
 * centred and scaled to unit length. Similarity: the largest Pearson correlation between the pattern,
 * shifted by whole grid steps up to +-max_shift points (circularly, as numpy.roll: the few points that wrap
 * at the ends hardly count), and a reference. This is tools/pattern_overlap.py, which tests/test_match.py
 * checks it against.
 *
 * Ownership: xs_match_library_create returns a handle the caller frees with xs_match_library_free; it
 * copies what it needs, so the dataset may be freed after. The library is read-only once built and may be
 * shared by threads. The library never prints. */
#ifndef XS_MATCH_H
#define XS_MATCH_H
#include "xs_common.h"
#include "xs_dataset.h"
#include "xs_xrd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XS_MATCH_FWHM_DEG 0.1
#define XS_MATCH_BACKGROUND_HALF_WINDOW 100 /* points each side of the running minimum */
#define XS_MATCH_DEFAULT_MAX_SHIFT 20       /* grid steps (0.2 deg on the paper's grid) */

typedef struct xs_match_library xs_match_library;

typedef struct {
    size_t index;      /* the crystal's index in the dataset the library was built from */
    int space_group;   /* its space group (1..230) */
    double similarity; /* -1..1 */
    double shift_deg;  /* the pattern, moved by this much in 2theta, lies on the reference */
} xs_match_hit;

/* Renders every crystal of refs (all splits) on grid at grid_wavelength (angstrom). max_shift in grid
 * steps (0..count/4). Errors: XS_ERR_RANGE for a grid of under 2 * max_shift + 2 points or a non-positive
 * wavelength, XS_ERR_INVALID for an empty dataset, XS_ERR_NOMEM. */
xs_status xs_match_library_create(const xs_dataset *refs, const xs_grid *grid, double grid_wavelength,
                                  int max_shift, xs_match_library **out, xs_error *err);
void xs_match_library_free(xs_match_library *lib);
size_t xs_match_library_count(const xs_match_library *lib);

/* The k references nearest to pattern (grid.count values on the library's grid, any scale), most similar
 * first, into hits (room for k; may be NULL when k is 0); *n_hits receives min(k, references). Errors:
 * XS_ERR_INVALID for a pattern with a NaN or infinite value or without any signal above its background
 * (nothing to match), XS_ERR_NOMEM. */
xs_status xs_match_find(const xs_match_library *lib, const float *pattern, size_t k, xs_match_hit *hits,
                        size_t *n_hits, xs_error *err);

/* The readable reference of the similarity (double sums, one shift at a time), for the tests: the
 * similarity of pattern and reference index i at exactly `shift` grid steps. NaN when i is out of range or
 * the pattern has no signal. */
double xs_match_similarity_ref(const xs_match_library *lib, const float *pattern, size_t i, int shift);

#ifdef __cplusplus
}
#endif
#endif
