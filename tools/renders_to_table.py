#!/usr/bin/env python3
"""Rendered patterns as a one-pattern-a-line table that `xrdsym evaluate --patterns` reads, as they are or with
their background taken off as RRUFF's patterns have it (README, *Where this stands*: a measured difference that
does not move the shipped model).

RRUFF's patterns are background-subtracted: the median of a pattern is 1.0% of its maximum (10th percentile of
its points 0.2%) and 4% of its points are exactly 0, where renders with A's augmentation sit at 3.8% and never
touch 0. --subtract-background takes off a background estimate (the 5th percentile of the points within 1 deg,
smoothed over 2 deg) and clips at 0: on the spglib renders a median of 2.4% and 6% exact zeros.

Usage:
  tools/renders_to_table.py RENDERS.bin OUT.tsv [--subtract-background]
RENDERS.bin: `tools/gpu/render_stream fixed DATA.h5 test 100000 "AUG" 1 RENDERS.bin` (or `patterns`). Rows are
named "STEM-I" for the I-th pattern, STEM the file name of RENDERS.bin without its extension; intensities are
integers of maximum 1000, as in RRUFF's table. Prints the median floor and the share of exact zeros.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu"))
from render_bin import read_bin  # noqa: E402


def sliding(y, width):
    """Windows of `width` points about every point, [i - width/2, i + width/2), the ends repeated (scipy.ndimage's
    "nearest" mode and centring, without scipy)."""
    half = width // 2
    padded = np.concatenate([np.full(half, y[0]), y, np.full(width - half - 1, y[-1])])
    return np.lib.stride_tricks.sliding_window_view(padded, width)


def background(y, width=200):
    """5th percentile of the points within width/2 (the rank scipy's percentile_filter takes, int(0.05 width)),
    then its mean over the same width."""
    rank = int(0.05 * width)
    low = np.partition(sliding(y, width), rank, axis=1)[:, rank]
    return sliding(low, width).mean(axis=1)


def as_table_rows(patterns, subtract):
    rows = []
    for y in patterns.astype(np.float64):
        if subtract:
            y = np.clip(y - background(y), 0, None)
        top = y.max()
        rows.append(np.rint(y / top * 1000).astype(int) if top > 0 else np.zeros(len(y), int))
    return np.array(rows)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = [a for a in argv if a.startswith("--")]
    if len(args) != 2 or any(f != "--subtract-background" for f in flags):
        sys.exit(__doc__)
    labels, patterns = read_bin(args[0])
    rows = as_table_rows(patterns, "--subtract-background" in flags)
    stem = os.path.splitext(os.path.basename(args[0]))[0]
    tmp = args[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"# {args[0]}{' background subtracted' if flags else ''}\n# columns: id, space_group (1..230), intensities\n")
        for i, (label, row) in enumerate(zip(labels, rows)):
            f.write(f"{stem}-{i}\t{label}\t" + " ".join(map(str, row)) + "\n")
    os.replace(tmp, args[1])
    print(f"{len(rows)} patterns: median floor {np.median(np.median(rows, 1)) / 10:.1f}% of the maximum, "
          f"exact zeros {np.median((rows == 0).mean(1)) * 100:.1f}% (medians over patterns)")


if __name__ == "__main__":
    main(sys.argv[1:])
