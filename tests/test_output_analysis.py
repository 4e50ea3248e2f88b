"""tools/output_analysis.py average, whose tables README's test-time augmentation figures come from: hand-made
`evaluate --outputs` tables averaged sample by sample (values worked out by hand), the refusals of tables of other
samples or classes (naming file and line), and the output written through a symbolic link into the file it points
to. Exit 77 (skipped) when numpy is missing.
"""
import os
import subprocess
import sys
import tempfile

from py_checks import TOOLS, check, finish, require_numpy

require_numpy()  # the tool needs it
TOOL = os.path.join(TOOLS, "output_analysis.py")


def table(path, rows, classes=("1", "2", "3")):
    """rows: (name, true group, probabilities)"""
    with open(path, "w") as f:
        f.write("name\ttrue_space_group\t" + "\t".join(classes) + "\n")
        for name, true, p in rows:
            f.write(f"{name}\t{true}\t" + "\t".join(str(v) for v in p) + "\n")


def run(*args):
    r = subprocess.run([sys.executable, TOOL, "average", *args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def rows_of(path):
    with open(path) as f:
        f.readline()
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


with tempfile.TemporaryDirectory() as d:
    a, b, c, out = (os.path.join(d, n) for n in ("a.tsv", "b.tsv", "c.tsv", "out.tsv"))
    table(a, [("x", 1, (0.5, 0.25, 0.25)), ("y", 2, (0.1, 0.1, 0.8))])
    table(b, [("x", 1, (0.1, 0.75, 0.15)), ("y", 2, (0.3, 0.7, 0.0))])
    rc, msg = run(out, a, b)
    got = rows_of(out) if rc == 0 else []
    # x: (0.5 + 0.1) / 2 = 0.3, (0.25 + 0.75) / 2 = 0.5, (0.25 + 0.15) / 2 = 0.2; y: 0.2, 0.4, 0.4
    check(rc == 0 and len(got) == 2, f"two samples averaged: {msg}")
    if len(got) == 2:
        check(got[0][:2] == ["x", "1"] and [float(v) for v in got[0][2:]] == [0.3, 0.5, 0.2], f"x: {got[0]}")
        check(got[1][:2] == ["y", "2"] and [float(v) for v in got[1][2:]] == [0.2, 0.4, 0.4], f"y: {got[1]}")
    # the average's first guess can be neither table's: y is 3 for A, 2 for B, and 2 (0.4 against 0.4: ties to
    # the lower class) for the mean; a third table moves it
    table(c, [("x", 1, (1, 0, 0)), ("y", 2, (0, 0, 1))])
    rc, msg = run(out, a, b, c)
    got = rows_of(out) if rc == 0 else []
    check(rc == 0 and len(got) == 2 and abs(float(got[1][4]) - 0.6) < 1e-9, f"three tables: y's class 3 = 0.6: {got}")
    # the geometric mean: x: sqrt(0.5 * 0.1), sqrt(0.25 * 0.75), sqrt(0.25 * 0.15) = 0.2236, 0.4330, 0.1936, over
    # their sum 0.8502: 0.2630, 0.5093, 0.2277; y: 0.1732, 0.2646, 0 (B gives class 3 nothing), over 0.4378:
    # 0.3956, 0.6044, 0. Compared to 1e-4: the table holds 6 significant digits
    rc, msg = run("--geometric", out, a, b)
    got = rows_of(out) if rc == 0 else []
    check(rc == 0 and len(got) == 2 and "geometric mean" in msg, f"two samples, geometric mean: {msg}")
    if len(got) == 2:
        want = [[0.2630, 0.5093, 0.2277], [0.3956, 0.6044, 0.0]]
        for row, w in zip(got, want):
            check(all(abs(float(v) - e) < 1e-4 for v, e in zip(row[2:], w)), f"geometric mean {row} against {w}")
    # other samples, another order, other classes: refused, naming file and line
    table(c, [("y", 2, (0.1, 0.1, 0.8)), ("x", 1, (0.5, 0.25, 0.25))])
    rc, msg = run(out, a, c)
    check(rc != 0 and f"{c}:2: sample y" in msg, f"samples in another order refused at line 2: {msg}")
    table(c, [("x", 1, (0.5, 0.25, 0.25))])
    rc, msg = run(out, a, c)
    check(rc != 0 and "1 samples" in msg, f"fewer samples refused: {msg}")
    table(c, [("x", 1, (0.5, 0.5)), ("y", 2, (0.1, 0.9))], classes=("1", "2"))
    rc, msg = run(out, a, c)
    check(rc != 0 and f"{c}:1:" in msg, f"other classes refused: {msg}")
    with open(c, "w") as f:
        f.write("name\ttrue_space_group\t1\t2\t3\nx\t1\t0.5\tnan?\t0.5\n")
    rc, msg = run(out, c)
    check(rc != 0 and f"{c}:2:" in msg, f"a probability that is not a number, at its line: {msg}")
    # written through a link: the link stays, the file it points to holds the average
    link, target = os.path.join(d, "link.tsv"), os.path.join(d, "target.tsv")
    open(target, "w").close()
    os.symlink(target, link)
    rc, msg = run(link, a, b)
    check(rc == 0 and os.path.islink(link) and len(rows_of(target)) == 2, f"through a link: {msg}")

finish()
