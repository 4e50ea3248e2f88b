#!/usr/bin/env python3
"""The GPU network's probabilities (tools/gpu/train_torch.py, probs-SET.npz) against C networks' `xrdsym
evaluate --outputs` tables on the same patterns (the same crystals, augmentation items and seeds), pattern for
pattern: first guess and top-5, own output (groups equally likely) and with the Materials Project prior
(p(g) prior(g) / Z, as `evaluate --prior mp`), exact McNemar p on the patterns one of the two gets right.

    compare_gpu.py GPU_DIR SET=C_TABLE[,C_TABLE2]... [--prior-set SET]...
A set given two C tables compares with their averaged outputs (a pair of networks, as the pilots are judged;
with the prior, each weighted first, as their `evaluate --prior mp` outputs are averaged).
The C tables must hold the networks' own outputs (evaluate --prior uniform); --prior-set SET also reports
that set with the prior applied to both sides. The labels of both sides must agree row for row."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from compare_outputs import binomial_two_sided  # noqa: E402
from prior_power import load, mp_prior  # noqa: E402


def mcnemar(a, b):
    """Right only for a, right only for b, and the exact McNemar p (compare_outputs' test)."""
    x, y = int((a & ~b).sum()), int((b & ~a).sum())
    return x, y, binomial_two_sided(x, x + y)


# last space group of each crystal system: triclinic, monoclinic, orthorhombic, tetragonal, trigonal, hexagonal, cubic
SYSTEM_END = [2, 15, 74, 142, 167, 194, 230]
SYSTEM = np.searchsorted(SYSTEM_END, np.arange(1, 231))  # system index of group g at g - 1


def system_right(p, truth):
    """The crystal system summed over its groups' probabilities, as evaluate's "crystal system (summed)"."""
    summed = np.stack([p[:, SYSTEM == k].sum(1) for k in range(7)], 1)
    return summed.argmax(1) == SYSTEM[truth - 1]


def right(p, truth, groups):
    order = np.argsort(-p, 1, kind="stable")
    top1 = groups[order[:, 0]] == truth
    top5 = np.array([t in groups[o[:5]] for t, o in zip(truth, order)])
    return top1, top5


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    gpu_dir, specs, prior_sets = argv[0], [], set()
    i = 1
    while i < len(argv):
        if argv[i] == "--prior-set":
            prior_sets.add(argv[i + 1])
            i += 2
        else:
            specs.append(argv[i])
            i += 1
    prior = mp_prior()
    for spec in specs:
        name, tables = spec.split("=", 1)
        g = np.load(os.path.join(gpu_dir, f"probs-{name}.npz"))
        gp, glabels = g["probs"].astype(np.float64), g["labels"]
        cps = []
        for t in tables.split(","):
            groups, truth, p = load(t)
            assert (groups == np.arange(1, 231)).all(), t
            assert len(truth) == len(glabels) and (truth == glabels).all(), f"labels differ: {t}"
            cps.append(p)
        cp = np.mean(cps, 0)
        groups = np.arange(1, 231)
        for weighting in ["own"] + (["prior"] if name in prior_sets else []):
            a, b = gp, cp
            if weighting == "prior":
                a = a * prior
                a /= a.sum(1, keepdims=True)
                # each C table weighted, then averaged: as `evaluate --prior mp` outputs of a pair are
                b = np.mean([q * prior / (q * prior).sum(1, keepdims=True) for q in cps], 0)
            elif len(gp) > 5000:
                # half-precision probabilities: the first guesses from train_torch's exact top10
                top = g["top10"]
                ga1 = top[:, 0] == glabels
                ga5 = (top[:, :5] == glabels[:, None]).any(1)
            if weighting == "prior" or len(gp) <= 5000:
                ga1, ga5 = right(a, glabels, groups)
            ca1, ca5 = right(b, glabels, groups)
            rows = [("top-1", (ga1, ca1)), ("top-5", (ga5, ca5))]
            if len(gp) <= 5000:
                rows.append(("system", (system_right(a, glabels), system_right(b, glabels))))
            for k, (x, y) in rows:
                only_g, only_c, p = mcnemar(x, y)
                print(f"{name:10s} {weighting:5s} {k}: GPU {100 * x.mean():5.1f}%  C {100 * y.mean():5.1f}%  "
                      f"(n {len(x)}; right only for GPU {only_g}, only for C {only_c}, p = {p:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
