"""tools/index_lattice.py, which the README's indexing figures quote, on textbook structures simulated clean on
the paper's grid (render_stream fixed, no noise or background, FWHM 0.1 deg): pyrite is claimed cubic,
rutile tetragonal, corundum and quartz hexagonal (trigonal groups index as hexagonal cells), each with its
own cell (and `claims` counts them); NaCl, with 7 lines from 5 to 90 deg (fewer than the 8 the tool asks), is not claimed at all;
`restrict` keeps only the claimed family's groups (not renormalised) and refuses tables of other samples.

Cell tolerance 0.2%: the cell comes from two or three lines' positions (a parabola through grid points 0.01
deg apart, error well under 0.005 deg on clean Gaussian peaks), not refined; 0.005 deg at 2theta = 20 deg is
0.03% of d, so 0.2% is loose yet far tighter than any other cell of these structures.
Exit 77 (skipped) when numpy is missing.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: {e} (this test needs Debian's python3-numpy)")
    sys.exit(77)

SRC = os.environ.get("XS_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("XS_BUILD_DIR", os.path.join(SRC, "build"))
TOOL = os.path.join(SRC, "tools", "index_lattice.py")
CLEAN = "fwhm 0.1..0.1 noise 0..0 background p 0 total 0 zero_shift 0 kalpha2 0 growth 0"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


structures = [  # file, group, family, cell (a, b, c) of the conventional cell
    (os.path.join(SRC, "tests/fixtures/pyrite.cif"), 205, "cubic", (5.4179, 5.4179, 5.4179)),
    (os.path.join(SRC, "tests/fixtures/NaCl.cif"), 225, "-", None),
    (os.path.join(SRC, "tests/fixtures/rutile.cif"), 136, "tetragonal", (4.5937, 4.5937, 2.9587)),
    (os.path.join(SRC, "tests/fixtures/corundum.cif"), 167, "hexagonal", None),
    (os.path.join(SRC, "examples/quartz.cif"), 154, "hexagonal", (4.9134, 4.9134, 5.4052)),
]
with tempfile.TemporaryDirectory() as d:
    data, patterns, index = (os.path.join(d, n) for n in ("s.h5", "p.bin", "i.tsv"))
    run(os.path.join(BUILD, "xrdsym"), "dataset", "structures", *[s[0] for s in structures], "--val", "0",
        "--test", "0", "--out", data)
    run(os.path.join(BUILD, "render_stream"), "fixed", data, "train", "100", CLEAN, "1", patterns)
    run(sys.executable, TOOL, "index", patterns, index)
    with open(index) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f]
    check(len(rows) == len(structures), f"{len(rows)} rows for {len(structures)} structures")
    by_group = {int(r["true_space_group"]): r for r in rows}
    for path, group, family, cell in structures:
        r = by_group.get(group)
        if r is None:
            check(False, f"{path}: no row of group {group}")
            continue
        check(r["claim"] == family, f"{os.path.basename(path)}: claimed {r['claim']}, is {family} (F {r})")
        if cell and r["claim"] == family:
            got = [float(v) for v in r["cell"].split()]
            check(all(abs(g / c - 1) < 2e-3 for g, c in zip(sorted(got), sorted(cell))),
                  f"{os.path.basename(path)}: cell {got}, is {cell}")
    check(by_group.get(225, {}).get("lines") == "7", f"NaCl: 7 lines, {by_group.get(225)}")
    # corundum's cell in hexagonal axes (fixture): a 4.7602, c 12.9933
    r = by_group.get(167)
    if r and r["claim"] == "hexagonal":
        got = [float(v) for v in r["cell"].split()]
        check(abs(got[0] / 4.7602 - 1) < 2e-3 and abs(got[2] / 12.9933 - 1) < 2e-3, f"corundum: cell {got}")

    out = run(sys.executable, TOOL, "claims", index)
    check("cubic claimed 1, right 1 (of 2)" in out and "hexagonal claimed 2, right 2 (of 2)" in out and
          "no claim 1" in out, f"claims: {out}")

    # restrict: an outputs table over groups 1, 136, 205 (triclinic, tetragonal, cubic)
    outputs, restricted = os.path.join(d, "o.tsv"), os.path.join(d, "r.tsv")
    order = [int(r["true_space_group"]) for r in rows]
    with open(outputs, "w") as f:
        f.write("name\ttrue_space_group\t1\t136\t205\n")
        for i, g in enumerate(order):
            f.write(f"s{i}\t{g}\t0.5\t0.3\t0.2\n")
    run(sys.executable, TOOL, "restrict", index, outputs, restricted)
    with open(restricted) as f:
        f.readline()
        got = {int(line.split("\t")[1]): [float(v) for v in line.rstrip("\n").split("\t")[2:]] for line in f}
    check(got.get(205) == [0, 0, 0.2], f"pyrite, claimed cubic: only the cubic group left, {got.get(205)}")
    check(got.get(136) == [0, 0.3, 0], f"rutile, claimed tetragonal: only the tetragonal group, {got.get(136)}")
    check(got.get(225) == [0.5, 0.3, 0.2], f"NaCl, not claimed: unchanged, {got.get(225)}")
    check(got.get(154) == [0.5, 0.3, 0.2], f"quartz, claimed hexagonal, no hexagonal column: unchanged, {got.get(154)}")
    with open(outputs, "w") as f:
        f.write("name\ttrue_space_group\t1\t136\t205\n")
        for i, g in enumerate(reversed(order)):
            f.write(f"s{i}\t{g}\t0.5\t0.3\t0.2\n")
    r = subprocess.run([sys.executable, TOOL, "restrict", index, outputs, restricted], capture_output=True, text=True)
    check(r.returncode != 0 and "same order" in r.stderr, f"a table of the samples in another order refused: {r.stderr}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
