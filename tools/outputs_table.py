"""Reading `xrdsym evaluate --outputs` tables (the standard library only, so that every tool can use it): a header
`name, true_space_group, <class labels>`, then one row a sample with its probabilities. A file of another layout, a
row of another length or a probability that is not a number ends the program with a message naming file and line.
"""
import sys


def read(path):
    """(classes, rows): the header's class labels (text), and per sample (name, true group as written,
    probabilities, line number)."""
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        if head[:2] != ["name", "true_space_group"] or len(head) < 3:
            sys.exit(f"{path}:1: not an `xrdsym evaluate --outputs` table")
        rows = []
        for line_no, line in enumerate(f, 2):
            if not line.strip():
                continue
            r = line.rstrip("\n").split("\t")
            if len(r) != len(head):
                sys.exit(f"{path}:{line_no}: {len(r)} columns, the header has {len(head)}")
            try:
                p = [float(v) for v in r[2:]]
            except ValueError:
                sys.exit(f"{path}:{line_no}: a probability that is not a number")
            rows.append((r[0], r[1], p, line_no))
    return head[2:], rows
