#!/usr/bin/env python3
"""Lorentzian fraction of the strongest peaks of measured patterns and of training renders.

Why: training renders Gaussian peaks; measured laboratory peaks are closer to pseudo-Voigt curves, with
tails that fall as 1/x^2. This measures how much, without any label.

For each pattern (maximum scaled to 1), the 5 strongest peaks at least 1 deg apart; each is fitted within
+-max(0.4, 4 FWHM) deg (FWHM from the half-maximum crossings) by a pseudo-Voigt of one width,
eta L + (1 - eta) G, on a straight background, plus a copy at the Cu K-alpha2 position of the fitted angle
with a fitted ratio in [0, 0.6] (a doublet otherwise reads as a tail). Peaks whose fit leaves more than a
fifth of the peak's variance unexplained (overlaps) are left out. Prints percentiles of eta and of the
patterns' median eta.

Usage:
  tools/peak_shape.py [RRUFF.tsv.gz]   the 332 patterns of ../shared/data/experimental/rruff-dev.tsv.gz
  tools/peak_shape.py --xy FILE...     the 4th column of `xrdsym render --format tsv` outputs
"""
import gzip
import os
import sys

import numpy as np
from scipy.optimize import least_squares

KA1, KA2 = 1.540562, 1.544390


def ka2_position(tt):
    s = np.sin(np.radians(tt / 2)) * KA2 / KA1
    return 2 * np.degrees(np.arcsin(min(s, 1.0)))


def profile(x, x0, fwhm, eta):
    g = np.exp(-4 * np.log(2) * ((x - x0) / fwhm) ** 2)
    lor = 1 / (1 + 4 * ((x - x0) / fwhm) ** 2)
    return eta * lor + (1 - eta) * g


def model(p, x):
    x0, fwhm, eta, h, r, b0, b1 = p
    x2 = ka2_position(x0)
    return h * (profile(x, x0, fwhm, eta) + r * profile(x, x2, fwhm, eta)) + b0 + b1 * (x - x0)


def fit_peak(x, y, i):
    m = y[i]
    base = np.percentile(y, 20)
    half = base + (m - base) / 2
    l, r = i, i
    while l > 0 and y[l] > half:
        l -= 1
    while r < len(y) - 1 and y[r] > half:
        r += 1
    fwhm0 = max((r - l) * (x[1] - x[0]), 0.02)
    reach = max(0.4, 4 * fwhm0)
    sel = (x > x[i] - reach) & (x < x[i] + reach)
    xs, ys = x[sel], y[sel]
    if xs.size < 20:
        return None
    p0 = [x[i], fwhm0, 0.3, m - base, 0.3, base, 0.0]
    lo = [x[i] - 0.05, 0.01, 0.0, 0.0, 0.0, -np.inf, -np.inf]
    hi = [x[i] + 0.05, 1.0, 1.0, np.inf, 0.6, np.inf, np.inf]
    try:
        res = least_squares(lambda p: model(p, xs) - ys, p0, bounds=(lo, hi))
    except ValueError:
        return None
    resid = res.fun
    var = np.var(ys)
    if var <= 0 or np.mean(resid ** 2) > 0.2 * var:
        return None
    return res.x[2]


def pattern_etas(x, y):
    y = np.asarray(y, float)
    if y.max() <= 0:
        return []
    y = y / y.max()
    masked = y - np.percentile(y, 20)
    out = []
    for _ in range(5):
        i = int(np.argmax(masked))
        if masked[i] <= 0.05:
            break
        if 50 < i < len(y) - 50:
            e = fit_peak(x, y, i)
            if e is not None:
                out.append(e)
        masked[max(0, i - 100):i + 100] = -np.inf
    return out


def main():
    args = sys.argv[1:]
    per_peak, per_pattern = [], []
    if args and args[0] == "--xy":
        for f in args[1:]:
            d = np.loadtxt(f, comments="#")
            e = pattern_etas(d[:, 0], d[:, 3])
            per_peak += e
            if e:
                per_pattern.append(np.median(e))
    else:
        root = os.environ.get("XS_SHARED_DATA",
                              os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
        path = args[0] if args else os.path.join(root, "experimental", "rruff-dev.tsv.gz")
        x = 5.0 + 0.01 * np.arange(8500)
        for line in gzip.open(path, "rt"):
            if line.startswith("#"):
                continue
            values = line.rstrip("\n").split("\t")[2]
            e = pattern_etas(x, np.array(values.split(), float))
            per_peak += e
            if e:
                per_pattern.append(np.median(e))
    q = [10, 25, 50, 75, 90]
    for name, v in (("peaks", per_peak), ("patterns (median of their peaks)", per_pattern)):
        v = np.array(v)
        print(f"{len(v)} {name}: eta percentiles " +
              " ".join(f"{p}%={x:.2f}" for p, x in zip(q, np.percentile(v, q))) +
              f"; mean {v.mean():.2f}")


if __name__ == "__main__":
    main()
