#!/usr/bin/env python3
"""Noise level of measured RRUFF patterns and of training patterns, as README and xs_augment.h quote it.

Noise level of one pattern: the robust standard deviation of its point-to-point differences
(1.4826 * median absolute deviation, divided by sqrt(2) for a difference of two points), with the pattern
scaled to minimum 0, maximum 1. Peaks move few differences, so this measures the noise, not the peaks.

Usage:
  tools/pattern_noise.py [RRUFF.tsv.gz]          the 332 patterns of ../shared/data/experimental/rruff-dev.tsv.gz
  tools/pattern_noise.py --xy FILE...            the 4th column of `xrdsym render` outputs (augmented pattern)
Prints the median and the 10th and 90th percentiles.
"""
import gzip
import os
import sys

import numpy as np


def level(y):
    y = np.asarray(y, float)
    span = y.max() - y.min()
    if span <= 0:
        return 0.0
    d = np.diff((y - y.min()) / span)
    return 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2)


def rruff(path):
    out = []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            out.append(level(np.array(line.split("\t")[2].split(), float)))
    return np.array(out)


def main(argv):
    if argv and argv[0] == "--xy":
        vals = np.array([level(np.loadtxt(p, comments="#")[:, 3]) for p in argv[1:]])
        what = f"{len(vals)} rendered training patterns"
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        path = argv[0] if argv else os.path.join(here, "..", "..", "shared", "data", "experimental", "rruff-dev.tsv.gz")
        vals = rruff(path)
        what = f"{len(vals)} patterns of {path}"
    p10, p50, p90 = np.percentile(vals, [10, 50, 90])
    print(f"{what}: noise sigma / max: median {p50:.4f}, 10% {p10:.4f}, 90% {p90:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
