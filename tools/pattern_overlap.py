#!/usr/bin/env python3
"""How close measured patterns come to the simulated patterns of a dataset's crystals: a check of overlap
between a training set and a test set (a mineral of the test set whose structure is in the training set
is recognised, not classified).

Both sides on the paper's grid (2theta 5.00..89.99, step 0.01), as the network sees them before its
features: the crystals' peaks broadened by a Gaussian of FWHM 0.1 deg (the median width of RRUFF's strongest
peak); the measured patterns with a running minimum over 201 points subtracted (the background) and both
square-rooted (weak peaks count) and centred. Similarity: the largest Pearson correlation over zero shifts
of up to +-0.2 deg in steps of 0.01 (a measured pattern is often shifted a little). For every pattern: its
nearest crystal, that crystal's space group, the similarity and the shift.

Usage:
  tools/pattern_overlap.py DATASET.h5[,DATASET2.h5...] PATTERNS.tsv.gz [--table OUT.tsv] [--scales F1,F2,...]
    DATASET.h5   an `xrdsym dataset` file (its wavelength must be the patterns', Cu K-alpha); several,
                 comma-separated, count as one
    --scales     also the crystals with their cells scaled isotropically by each factor (every d-spacing
                 times F, so that sin theta becomes sin theta / F): how many more patterns a known structure
                 of another cell size (an isostructural compound) would come close to; the best over the
                 factors and shifts is reported beside the figures of factor 1 (peaks beyond the dataset's
                 range stay missing: with F = 1.05 none comes into the last 4.7 deg)
    PATTERNS     the one-pattern-a-line file of ../shared/data/experimental/rruff-dev.tsv.gz (id, space group,
                 8,500 intensities)
Prints how many patterns come within 0.9, 0.8, 0.7 of some crystal, and how often that crystal's space group
is the pattern's (the labels are read only for this count).
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pattern_noise import rruff_records  # noqa: E402

GRID = 5.0 + 0.01 * np.arange(8500)
SHIFT = 20  # points: +-0.2 deg


def crystal_patterns(path, scale=1.0):
    if "," in path:
        parts = [crystal_patterns(p, scale) for p in path.split(",")]
        return np.concatenate([c for c, _ in parts]), np.concatenate([g for _, g in parts])
    with h5py.File(path, "r") as f:
        if abs(float(f.attrs["wavelength"]) - 1.54184) > 1e-3:
            sys.exit(f"{path}: wavelength {float(f.attrs['wavelength'])} A, the patterns are Cu K-alpha")
        off = f["peaks/offset"][:]
        tt = f["peaks/two_theta"][:]
        inten = f["peaks/intensity"][:]
        groups = f["crystals/space_group"][:]
    if scale != 1.0:
        sin_theta = np.sin(np.radians(tt.astype(np.float64) / 2)) / scale
        inside = sin_theta < 1  # a larger d-spacing never leaves the sphere; a smaller one may
        tt = np.where(inside, 2 * np.degrees(np.arcsin(np.minimum(sin_theta, 1))), 1e9)
    sigma = 0.1 / 2.3548
    out = np.zeros((len(groups), GRID.size))
    for i in range(len(groups)):
        for t, h in zip(tt[off[i]:off[i + 1]], inten[off[i]:off[i + 1]]):
            lo, hi = np.searchsorted(GRID, [t - 5 * sigma, t + 5 * sigma])
            out[i, lo:hi] += h * np.exp(-0.5 * ((GRID[lo:hi] - t) / sigma) ** 2)
    return out, groups


def running_minimum(y, half=100):
    padded = np.pad(y, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return windows.min(axis=1)


def prepare(rows):
    rows = np.sqrt(np.clip(rows, 0, None))
    rows = rows - rows.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norm > 0, norm, 1)


def closer(m, c, best, nearest, best_shift):
    """For every measured row of m, the crystal of c and the shift (points, +-SHIFT) of largest similarity,
    where it beats best: best, nearest and best_shift are updated in place."""
    for s in range(-SHIFT, SHIFT + 1):
        sim = np.roll(m, s, axis=1) @ c.T
        k = sim.argmax(axis=1)
        v = sim[np.arange(len(m)), k]
        better = v > best
        best[better] = v[better]
        nearest[better] = k[better]
        best_shift[better] = s


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    table = argv[argv.index("--table") + 1] if "--table" in argv else None
    scales = [float(v) for v in argv[argv.index("--scales") + 1].split(",")] if "--scales" in argv else []
    crystals, groups = crystal_patterns(argv[0])
    ids, labels, measured = [], [], []
    for name, group, y in rruff_records(argv[1]):
        ids.append(name)
        labels.append(group)
        measured.append(y - running_minimum(y))
    m = prepare(np.array(measured))
    best = np.full(len(ids), -1.0)
    nearest = np.zeros(len(ids), int)
    best_shift = np.zeros(len(ids), int)
    closer(m, prepare(crystals), best, nearest, best_shift)
    for cut in (0.9, 0.8, 0.7, 0.6):
        close = best >= cut
        same = sum(groups[nearest[i]] == labels[i] for i in np.flatnonzero(close))
        print(f"within {cut}: {close.sum()} of {len(ids)} patterns; the nearest crystal's space group is theirs for {same}")
    print(f"similarity: median {np.median(best):.3f}, 90th percentile {np.percentile(best, 90):.3f}")
    close = best >= 0.6
    if close.any():
        print(f"shift of the measured pattern onto its nearest crystal, where within 0.6 (deg): "
              f"{' '.join(f'{0.01 * x:+.2f}' for x in sorted(best_shift[close]))}")
    if scales:
        any_best, any_nearest, any_shift = best.copy(), nearest.copy(), best_shift.copy()
        for scale in scales:
            closer(m, prepare(crystal_patterns(argv[0], scale)[0]), any_best, any_nearest, any_shift)
        for cut in (0.8, 0.7, 0.6):
            close, close1 = any_best >= cut, best >= cut
            same = sum(groups[any_nearest[i]] == labels[i] for i in np.flatnonzero(close))
            same1 = sum(groups[nearest[i]] == labels[i] for i in np.flatnonzero(close1))
            print(f"within {cut} with cells scaled by {min(scales)}..{max(scales)}: {close.sum()} patterns, "
                  f"the nearest crystal's space group theirs for {same} (unscaled: {close1.sum()} and {same1})")
    if table:
        with open(table, "w") as f:
            f.write("id\tspace_group\tnearest\tnearest_space_group\tsimilarity\tshift_deg\n")
            for i in range(len(ids)):
                f.write(f"{ids[i]}\t{labels[i]}\t{nearest[i]}\t{groups[nearest[i]]}\t{best[i]:.4f}\t{0.01 * best_shift[i]:+.2f}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
