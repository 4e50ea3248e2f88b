#!/usr/bin/env python3
"""Half-maximum widths of the strongest peaks of the measured RRUFF patterns in the shared data folder.

Source of the default FWHM range of include/xrdsym/xs_augment.h: for each of the 332 patterns of
../shared/data/experimental/rruff-dev.tsv.gz (RRUFF project via AGI-init/XRDs, see shared/data/README.md),
the baseline (20th percentile) is subtracted and the full width at half maximum of the 5 strongest peaks
(at least 1 deg apart) is measured by linear interpolation between grid points (step 0.01 deg).
Overlapping peaks and K-alpha doublets make some widths larger than a single line's.

Usage: tools/rruff_peak_widths.py [PATH]   (prints percentiles of the widths, in degrees 2theta)
"""
import gzip
import os
import sys

import numpy as np


def widths(path):
    out = []
    for line in gzip.open(path, "rt"):
        if line.startswith("#"):
            continue
        _, _, values = line.rstrip("\n").split("\t")
        y = np.array(values.split(), float)
        y = y - np.percentile(y, 20)
        masked = y.copy()
        for _ in range(5):
            i = int(np.argmax(masked))
            m = y[i]
            if m <= 0:
                break
            l = i
            while l > 0 and y[l] > m / 2:
                l -= 1
            r = i
            while r < len(y) - 1 and y[r] > m / 2:
                r += 1
            wl = l + (m / 2 - y[l]) / (y[l + 1] - y[l]) if y[l + 1] != y[l] else l
            wr = r - (m / 2 - y[r]) / (y[r - 1] - y[r]) if y[r - 1] != y[r] else r
            out.append((wr - wl) * 0.01)
            masked[max(0, i - 100):i + 100] = -np.inf
    return np.array(out)


def main():
    root = os.environ.get("XS_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "experimental", "rruff-dev.tsv.gz")
    w = widths(path)
    q = [5, 10, 25, 50, 75, 90, 95]
    print(f"{len(w)} peaks; FWHM percentiles (deg):")
    for p, v in zip(q, np.percentile(w, q)):
        print(f"  {p:3d}%  {v:.4f}")


if __name__ == "__main__":
    main()
