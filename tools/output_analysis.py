#!/usr/bin/env python3
"""Analyses of `xrdsym evaluate --outputs` tables that README quotes.

    tools/output_analysis.py certainty TABLE.tsv...
        accuracy of the half that is surest, for several certainties (largest probability, the paper's; margin
        to the second; negative entropy) and for the largest probability after temperature scaling
        (probabilities to the power 1/tau, renormalised). Tables of simulated sets (file names without
        "rruff") are weighted as real materials, sample weight prior(g) / share of g in the table, as
        tools/prior_power.py does; RRUFF tables are not weighted.
    tools/output_analysis.py calibration TABLE.tsv...
        expected calibration error (10 bins of certainty, as `xrdsym evaluate` computes it) and log loss of
        the probabilities as they are and after temperature scaling (to the power 1/tau, renormalised), each
        table unweighted: whether a temperature would make the certainties mean what they say.
    tools/output_analysis.py average [--geometric] OUT.tsv TABLE.tsv...
        the tables' probabilities averaged sample by sample (--geometric: their geometric mean, the product of the
        K tables' probabilities to the power 1/K, renormalised to sum to 1; a zero in one table is a zero)
        (the same samples in the same order and the same
        classes, else an error naming the file and line), written as a table of the same layout (atomically; a
        device or FIFO such as /dev/stdout is written to as it is): the outputs of several models, or of one model
        on perturbed copies of the same patterns (test-time augmentation, README), as one model's, for
        tools/compare_outputs.py and the analyses here.
    tools/output_analysis.py named TABLE.tsv [GROUP...]
        how often each of the groups (default: the ten named most often) is named, how often rightly, how
        often it is the true group, and its share of the Materials Project prior.
"""
import os
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outputs_table  # noqa: E402
from prior_power import load, mp_prior  # noqa: E402


def weights(path, truth, prior):
    if "rruff" in os.path.basename(path):
        return np.ones(len(truth))
    share = np.bincount(truth, minlength=231) / len(truth)
    return prior[truth - 1] / share[truth]


def accuracy_at_half(cert, right, w):
    order = np.argsort(-cert, kind="stable")
    cw = np.cumsum(w[order])
    k = int(np.searchsorted(cw, cw[-1] / 2)) + 1
    sel = order[:k]
    return (right[sel] * w[sel]).sum() / w[sel].sum()


def certainty(paths):
    prior = mp_prior()
    for path in paths:
        groups, truth, p = load(path)
        p = np.maximum(p, 1e-30)
        p /= p.sum(1, keepdims=True)
        w = weights(path, truth, prior)
        right = (groups[p.argmax(1)] == truth).astype(float)
        s = np.sort(p, 1)
        entropy = -(p * np.log(p)).sum(1)
        row = [f"all {100 * (right * w).sum() / w.sum():.1f}",
               f"largest {100 * accuracy_at_half(s[:, -1], right, w):.1f}",
               f"margin {100 * accuracy_at_half(s[:, -1] - s[:, -2], right, w):.1f}",
               f"neg. entropy {100 * accuracy_at_half(-entropy, right, w):.1f}"]
        for tau in (0.5, 0.75, 1.5, 2, 3):
            q = np.exp(np.log(p) / tau)
            q /= q.sum(1, keepdims=True)
            row.append(f"tau {tau:g} {100 * accuracy_at_half(q.max(1), right, w):.1f}")
        print(f"{path}: accuracy % at half refused: " + ", ".join(row))


def calibration_error(cert, right):
    """Expected calibration error over the 10 bins [b/10, (b+1)/10), the last closed, as xs_eval computes it."""
    b = np.minimum((cert * 10).astype(int), 9)
    err = 0.0
    for k in range(10):
        m = b == k
        if m.any():
            err += m.mean() * abs(right[m].mean() - cert[m].mean())
    return err


def calibration(paths):
    for path in paths:
        groups, truth, p = load(path)
        p = np.maximum(p, 1e-30)
        p /= p.sum(1, keepdims=True)
        right = (groups[p.argmax(1)] == truth).astype(float)
        true_col = np.array([np.flatnonzero(groups == t)[0] if (groups == t).any() else -1 for t in truth])
        row = []
        for tau in (0.5, 0.75, 1, 1.25, 1.5, 2, 3):
            q = np.exp(np.log(p) / tau)
            q /= q.sum(1, keepdims=True)
            pt = np.where(true_col >= 0, q[np.arange(len(truth)), true_col], 0)
            loss = -np.log(np.maximum(pt, 1e-12)).mean()
            row.append(f"tau {tau:g}: ECE {calibration_error(q.max(1), right):.3f} log loss {loss:.2f}")
        print(f"{path}: " + "; ".join(row))


def named(path, wanted):
    prior = mp_prior()
    groups, truth, p = load(path)
    pred = groups[p.argmax(1)]
    count = Counter(pred.tolist())
    if not wanted:
        wanted = [g for g, _ in count.most_common(10)]
    print(f"{path}: {len(truth)} samples")
    for g in wanted:
        print(f"  group {g:3d}: named {count[g]:5d}, rightly {int(((pred == g) & (truth == g)).sum()):4d}, "
              f"true {int((truth == g).sum()):5d}, prior share {prior[g - 1]:.4f}")
    sel = np.isin(pred, wanted)
    print(f"  together: named {int(sel.sum())}, rightly {int((pred[sel] == truth[sel]).sum())}, "
          f"prior share {prior[np.array(wanted) - 1].sum():.3f}")


def read_table(path):
    classes, rows = outputs_table.read(path)
    return ["name", "true_space_group"] + classes, [(n, t, line) for n, t, _, line in rows], np.array([r[2] for r in rows])


def average(out, paths, geometric=False):
    head, keys, first = read_table(paths[0])
    # the geometric mean sums logarithms; a probability of 0 stays 0 (log 0 = -inf, exp(-inf) = 0)
    def lift(p):
        if not geometric:
            return p
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(p, 0.0))
    total = lift(first)
    for path in paths[1:]:
        h, k, p = read_table(path)
        if h != head:
            sys.exit(f"{path}:1: its classes differ from {paths[0]}'s")
        if len(k) != len(keys):
            sys.exit(f"{path}: {len(k)} samples, {paths[0]} has {len(keys)}")
        for a, b in zip(keys, k):
            if a[:2] != b[:2]:
                sys.exit(f"{path}:{b[2]}: sample {b[0]} (group {b[1]}) where {paths[0]}:{a[2]} has {a[0]} (group {a[1]})")
        total = total + lift(p)
    mean = total / len(paths)
    if geometric:
        with np.errstate(invalid="ignore"):
            mean = np.exp(mean - mean.max(1, keepdims=True))
        mean = np.nan_to_num(mean)  # a sample every class of which is 0 somewhere: all 0, as its tables say
        s = mean.sum(1, keepdims=True)
        mean = np.divide(mean, s, out=np.zeros_like(mean), where=s > 0)
    text = "\t".join(head) + "\n" + "".join(
        f"{name}\t{truth}\t" + "\t".join(f"{v:.6g}" for v in row) + "\n" for (name, truth, _), row in zip(keys, mean))
    if os.path.exists(out) and not os.path.isfile(out):
        with open(out, "w") as f:  # a device or FIFO: a rename would replace it
            f.write(text)
    else:
        target = os.path.realpath(out)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, target)
    kind = "geometric mean" if geometric else "mean"
    print(f"{out}: {len(keys)} samples, the {kind} of {len(paths)} tables", file=sys.stderr)


def main(argv):
    if len(argv) >= 2 and argv[0] == "certainty":
        certainty(argv[1:])
    elif len(argv) >= 2 and argv[0] == "calibration":
        calibration(argv[1:])
    elif len(argv) >= 4 and argv[0] == "average" and argv[1] == "--geometric":
        average(argv[2], argv[3:], geometric=True)
    elif len(argv) >= 3 and argv[0] == "average":
        average(argv[1], argv[2:])
    elif len(argv) >= 2 and argv[0] == "named":
        named(argv[1], [int(g) for g in argv[2:]])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
