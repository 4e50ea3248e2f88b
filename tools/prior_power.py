#!/usr/bin/env python3
"""How strongly to apply the space-group prior of real materials: accuracy of the reweighted outputs
p(g) * prior(g)^t / Z against the power t, from `xrdsym evaluate --outputs` tables (run with --prior uniform,
the network's own outputs).

Two figures per table: the plain accuracy over its samples, and the accuracy with each sample weighted by
prior(g) / (share of g in that table), i.e. the accuracy expected if the groups came as often as among real
materials (importance weighting; the prior's own groups, so it favours t = 1 where the network is calibrated).

    tools/prior_power.py TABLE.tsv... [--powers 0,0.25,...]
The prior is read from src/eval/sg_prior_table.c (the compiled-in Materials Project counts, +1 each, as
xs_eval_prior_mp)."""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outputs_table  # noqa: E402


def mp_prior():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "eval", "sg_prior_table.c")
    text = open(src).read()
    body = text[text.index("{", text.index("xs_sg_prior_mp_counts")) + 1:text.index("}", text.index("xs_sg_prior_mp_counts"))]
    counts = np.array([int(v) for v in re.findall(r"\d+", body)], dtype=float)
    assert counts.size == 231, counts.size
    c = counts[1:] + 1.0
    return c / c.sum()  # index g - 1


def load(path):
    classes, rows = outputs_table.read(path)
    return np.array([int(c) for c in classes]), np.array([int(r[1]) for r in rows]), np.array([r[2] for r in rows])


def main(argv):
    powers = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2]
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "--powers":
            powers = [float(v) for v in argv[i + 1].split(",")]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    prior = mp_prior()
    print("| outputs | n | weighting | " + " | ".join(f"t = {t:g}" for t in powers) + " |")
    print("|---|---:|---|" + "---:|" * len(powers))
    for path in files:
        groups, truth, p = load(path)
        w_class = prior[groups - 1]
        share = {g: np.mean(truth == g) for g in np.unique(truth)}
        iw = np.array([prior[g - 1] / share[g] for g in truth])
        plain, weighted = [], []
        for t in powers:
            q = p * w_class ** t
            pred = groups[np.argmax(q, axis=1)]
            right = pred == truth
            plain.append(100 * right.mean())
            weighted.append(100 * np.sum(iw * right) / np.sum(iw))
        name = os.path.basename(path)
        print(f"| {name} | {len(truth)} | none | " + " | ".join(f"{v:.1f}" for v in plain) + " |")
        print(f"| {name} | {len(truth)} | as real materials | " + " | ".join(f"{v:.1f}" for v in weighted) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
