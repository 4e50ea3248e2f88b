#!/usr/bin/env python3
"""Noise level of measured RRUFF patterns and of training patterns, as README and xs_augment.h quote it.

Noise level of one pattern: the robust standard deviation of its point-to-point differences
(1.4826 * median absolute deviation, divided by sqrt(2) for a difference of two points), with the pattern
scaled to minimum 0, maximum 1. Peaks move few differences, so this measures the noise, not the peaks.

How the noise grows with the level (--level): the pattern scaled to maximum 1 is cut into 50-point windows;
in each, the robust standard deviation of second differences (divided by sqrt(6)) against the window's
median; windows holding a peak (5-95% spread above 8 of those sigmas) are left out. Per pattern, the slope
of ln sigma against ln level (0 for noise of one level everywhere, 0.5 for Poisson counts), and
median(level / sigma^2), the counts at the maximum if the noise were Poisson's; and the correlation of
neighbouring values of the noise about a quadratic fitted to each window (0 for white noise).

Usage:
  tools/pattern_noise.py [--level] [RRUFF.tsv.gz]   the 332 patterns of ../shared/data/experimental/rruff-dev.tsv.gz
  tools/pattern_noise.py [--level] --xy FILE...     the 4th column of `xrdsym render` outputs (augmented pattern)
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


def level_growth(y):
    """(slope of ln sigma against ln level, counts at the maximum if Poisson, median sigma, mean correlation
    of neighbouring noise values) or None."""
    y = np.asarray(y, float)
    if y.max() <= 0:
        return None
    y = y / y.max()
    w = 50
    lv, sd, rho = [], [], []
    x = np.arange(w)
    for s in range(0, y.size - w, w):
        win = y[s:s + w]
        d2 = win[2:] - 2 * win[1:-1] + win[:-2]
        sig = 1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6)
        m = np.median(win)
        if sig <= 0 or m <= 0 or np.percentile(win, 95) - np.percentile(win, 5) > 8 * sig:
            continue
        lv.append(m)
        sd.append(sig)
        r = win - np.polyval(np.polyfit(x, win, 2), x)  # the noise about a smooth curve
        if (r * r).mean() > 0:
            rho.append((r[:-1] * r[1:]).mean() / (r * r).mean())
    lv, sd = np.array(lv), np.array(sd)
    if lv.size <= 20 or lv.max() / lv.min() <= 2:
        return None
    slope = np.polyfit(np.log(lv), np.log(sd), 1)[0]
    return slope, np.median(lv / sd ** 2), np.median(sd), np.mean(rho)


def rruff_records(path):
    """(id, space group, intensities) of every pattern of a one-pattern-a-line table such as rruff-dev.tsv.gz."""
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, group, values = line.split("\t")[:3]
            yield name, int(group), np.array(values.split(), float)


def rruff_patterns(path):
    for _, _, y in rruff_records(path):
        yield y


def rruff(path):
    return np.array([level(y) for y in rruff_patterns(path)])


def main(argv):
    if argv and argv[0] == "--level":
        argv = argv[1:]
        if argv and argv[0] == "--xy":
            ys = [np.loadtxt(p, comments="#")[:, 3] for p in argv[1:]]
            what = "rendered training patterns"
        else:
            here = os.path.dirname(os.path.abspath(__file__))
            path = argv[0] if argv else os.path.join(here, "..", "..", "shared", "data", "experimental", "rruff-dev.tsv.gz")
            ys = list(rruff_patterns(path))
            what = f"patterns of {path}"
        r = np.array([g for g in map(level_growth, ys) if g is not None])
        if r.size == 0:
            sys.exit("pattern_noise: no pattern has enough windows without peaks over a range of levels")
        q = lambda v: "median %.3g, 10%% %.3g, 90%% %.3g" % tuple(np.percentile(v, [50, 10, 90]))
        print(f"{len(r)} of {len(ys)} {what}: slope of ln sigma on ln level {q(r[:, 0])} (quartiles "
              f"{np.percentile(r[:, 0], 25):.2f}..{np.percentile(r[:, 0], 75):.2f}); counts at the maximum if Poisson "
              f"{q(r[:, 1])}; sigma of second differences {q(r[:, 2])}; correlation of neighbouring noise values "
              f"{q(r[:, 3])}")
        return
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
