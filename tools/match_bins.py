#!/usr/bin/env python3
"""How often the nearest known structure's space group is right, by similarity: `xrdsym predict --reference
REF.h5 --format tsv` output joined with the patterns' labels (README, "Known structures").

Usage:
  tools/match_bins.py PREDICT.tsv LABELS.tsv[.gz]
    PREDICT.tsv  predict's TSV with the reference columns (file, space_group, ..., nearest_reference,
                 reference_space_group, similarity, shift_deg)
    LABELS       a one-pattern-a-line table (id, space group, intensities), such as rruff-dev.tsv.gz; rows
                 are matched by id (the part of predict's file name after '#')
Prints, for similarity bins, the patterns, how many the reference's group is right for and how many the
network's first guess is, and the accuracy of answering the reference's group at or above a cut and the
network's below it.
"""
import gzip
import sys

BINS = [(0.9, 2), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (-1, 0.5)]


def labels(path):
    opener = gzip.open if path.endswith(".gz") else open
    out = {}
    with opener(path, "rt") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, group = line.split("\t", 2)[:2]
            out[name] = int(group)
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    truth = labels(argv[1])
    rows = []
    with open(argv[0]) as f:
        header = f.readline().lstrip("# ").rstrip("\n").split("\t")
        if "similarity" not in header:
            sys.exit(f"{argv[0]}: no similarity column (run predict with --reference)")
        col = {k: i for i, k in enumerate(header)}
        for line in f:
            if line.startswith("#"):  # '# error' lines of patterns predict could not classify
                continue
            v = line.rstrip("\n").split("\t")
            name = v[col["file"]].split("#")[-1]
            if name not in truth or not v[col["similarity"]]:
                continue
            rows.append((truth[name], int(v[col["space_group"]]), int(v[col["reference_space_group"]]),
                         float(v[col["similarity"]])))
    n = len(rows)
    if not n:
        sys.exit("no pattern of the predictions has a label")
    print(f"{n} labelled patterns; the network right for {sum(r[0] == r[1] for r in rows)}")
    print("| similarity | patterns | reference's group right | network right |")
    print("|---|---:|---:|---:|")
    for lo, hi in BINS:
        sel = [r for r in rows if lo <= r[3] < hi]
        name = f">= {lo}" if hi > 1 else (f"< {hi}" if lo < 0 else f"{lo}-{hi}")
        print(f"| {name} | {len(sel)} | {sum(r[0] == r[2] for r in sel)} | {sum(r[0] == r[1] for r in sel)} |")
    for cut in (0.6, 0.7, 0.8):
        right = sum((r[2] if r[3] >= cut else r[1]) == r[0] for r in rows)
        print(f"reference's group at >= {cut}, else the network's: {right} of {n} ({100 * right / n:.1f}%)")


if __name__ == "__main__":
    main(sys.argv[1:])
