#!/usr/bin/env python3
"""Two models on the same samples, sample by sample: how often each is right where the other is wrong, and
the exact McNemar test of the hypothesis that both are equally good (two-sided binomial test on the
discordant samples). Reads two `xrdsym evaluate --outputs` tables of the same samples in the same order
(the same --patterns or the same --data, --split, --limit and --seed), with the same --prior.

On few samples (332 RRUFF patterns) the accuracies of two models carry intervals of about +-5 points each
(evaluate's interval95), yet the paired test can still tell them apart when their errors mostly coincide.

    tools/compare_outputs.py A.tsv B.tsv [--top K]

--top K counts a sample right when its true group is among the K most probable (ties: the lower class first).
    tools/compare_outputs.py A.tsv B.tsv --system
--system counts a sample right when the crystal system of largest probability (summed over its groups; ties:
the lower system first) is that of its true group.
    tools/compare_outputs.py A.tsv B.tsv [--top K | --system] --basename
--basename compares the samples' names with the folders of their files left out (evaluate names a crystal
"FILE crystal INDEX (FORMULA)", so two runs' tables of the same dataset command differ in FILE's folder); the
true labels must then agree too.
"""
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outputs_table  # noqa: E402


SYSTEM_LAST_GROUP = (2, 15, 74, 142, 167, 194, 230)  # triclinic .. cubic


def crystal_system(space_group):
    return next(i for i, last in enumerate(SYSTEM_LAST_GROUP) if space_group <= last)


CRYSTAL_NAME = re.compile(r"^(.*) (crystal [0-9]+ \(.*\))$")


def strip_folder(name):
    m = CRYSTAL_NAME.match(name)
    return f"{os.path.basename(m.group(1))} {m.group(2)}" if m else os.path.basename(name)


def load(path, top=1, system=False, basename=False):
    classes, rows = outputs_table.read(path)
    labels = [int(h) for h in classes]
    names, right = [], []
    for name, truth, p, _ in rows:
        names.append((strip_folder(name), truth) if basename else name)
        if system:
            sums = [0.0] * len(SYSTEM_LAST_GROUP)
            for g, v in zip(labels, p):
                sums[crystal_system(g)] += v
            right.append(crystal_system(int(truth)) == max(range(len(sums)), key=lambda k: (sums[k], -k)))
            continue
        # ties: the lower class first, as evaluate ranks
        first = sorted(range(len(p)), key=lambda k: (-p[k], k))[:top]
        right.append(int(truth) in [labels[k] for k in first])
    return names, right


def binomial_two_sided(k, n):
    """P(|X - n/2| >= |k - n/2|) for X ~ Binomial(n, 1/2)."""
    if n == 0:
        return 1.0
    lo = min(k, n - k)
    # integers throughout: 2.0 ** n overflows a float beyond n = 1023, int / int divides exactly
    tail = sum(math.comb(n, i) for i in range(lo + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def main(argv):
    top, system = 1, False
    basename = "--basename" in argv[2:]
    argv = [a for a in argv if a != "--basename"]
    if len(argv) == 4 and argv[2] == "--top" and argv[3].isdigit() and int(argv[3]) >= 1:
        top = int(argv[3])
    elif len(argv) == 3 and argv[2] == "--system":
        system = True
    elif len(argv) != 2:
        sys.exit(__doc__)
    na, ra = load(argv[0], top, system, basename)
    nb, rb = load(argv[1], top, system, basename)
    if na != nb:
        sys.exit("the two tables do not hold the same samples in the same order")
    only_a = sum(a and not b for a, b in zip(ra, rb))
    only_b = sum(b and not a for a, b in zip(ra, rb))
    both = sum(a and b for a, b in zip(ra, rb))
    n = len(ra)
    p = binomial_two_sided(only_a, only_a + only_b)
    print(f"{n} samples: A right {sum(ra)} ({100 * sum(ra) / n:.1f}%), B right {sum(rb)} ({100 * sum(rb) / n:.1f}%); "
          f"both {both}, only A {only_a}, only B {only_b}; exact McNemar p = {p:.3g}")


if __name__ == "__main__":
    main(sys.argv[1:])
