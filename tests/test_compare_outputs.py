#!/usr/bin/env python3
"""tools/compare_outputs.py, which the README's model comparisons quote: counts and the exact McNemar p on
two hand-made `evaluate --outputs` tables, top-1 and top-K, worked out by hand; and its refusals."""
import os
import subprocess
import sys
import tempfile

src = os.environ.get("XS_SOURCE_DIR", ".")
tool = os.path.join(src, "tools", "compare_outputs.py")
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def table(path, rows):
    """rows: (true group, probabilities of groups 1, 2, 3)"""
    with open(path, "w") as f:
        f.write("name\ttrue_space_group\t1\t2\t3\n")
        for i, (true, p) in enumerate(rows):
            f.write(f"p-{i}\t{true}\t" + "\t".join(f"{v:.4f}" for v in p) + "\n")


def run(*args):
    r = subprocess.run([sys.executable, tool, *args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


with tempfile.TemporaryDirectory() as d:
    a, b = os.path.join(d, "a.tsv"), os.path.join(d, "b.tsv")
    # 12 samples of true group 1. A: right on the first 2 only. B: right on all but sample 0; where B is
    # wrong its truth is second. A's answers on samples 2..11 put group 1 last (third).
    table(a, [(1, (0.5, 0.3, 0.2))] * 2 + [(1, (0.1, 0.6, 0.3))] * 10)
    table(b, [(1, (0.3, 0.5, 0.2))] + [(1, (0.6, 0.3, 0.1))] * 11)
    rc, out = run(a, b)
    # discordant: only A 1 (sample 0), only B 10 (samples 2..11): p = 2 * (C(11,0) + C(11,1)) / 2^11 = 24/2048
    check(rc == 0 and "both 1, only A 1, only B 10" in out, f"top-1 counts: {out}")
    check(f"p = {24 / 2048:.3g}" in out, f"top-1 p: {out}")
    rc, out = run(a, b, "--top", "2")
    # top-2: A has group 1 among its first two on samples 0, 1 only; B everywhere: only B 10, p = 2 / 1024
    check(rc == 0 and "A right 2 " in out and "B right 12 " in out and "only A 0, only B 10" in out, f"top-2: {out}")
    check(f"p = {2 / 1024:.3g}" in out, f"top-2 p: {out}")
    rc, out = run(a, b, "--top", "3")
    check(rc == 0 and "only A 0, only B 0" in out and "p = 1" in out, f"top-3: everything right: {out}")
    # ties rank the lower class first, as evaluate does: (0.4, 0.4, 0.2) answers group 1
    table(a, [(1, (0.4, 0.4, 0.2))])
    table(b, [(2, (0.4, 0.4, 0.2))])
    rc, out = run(a, a)
    check(rc == 0 and "A right 1 " in out, f"a tie goes to group 1: {out}")
    check(run(b, b)[1].find("A right 0 ") >= 0, "and not to group 2")
    c = os.path.join(d, "c.tsv")
    table(c, [(1, (0.4, 0.4, 0.2))] * 2)
    check(run(a, c)[0] != 0, "tables of other samples refused")
    check(run(a, b, "--top", "x")[0] != 0 and run(a, b, "--top", "0")[0] != 0, "--top needs a positive integer")
    # --system: columns P1 (triclinic), P2 and P2_1 (monoclinic). (0.45, 0.30, 0.25) names P1 but monoclinic
    # (0.55 summed); (0.5, 0.3, 0.2) ties the systems at 0.5, and the lower system (triclinic) wins
    for path, rows in ((a, [(3, (0.45, 0.30, 0.25)), (4, (0.5, 0.3, 0.2)), (1, (0.5, 0.3, 0.2))]),
                       (b, [(3, (0.2, 0.3, 0.5)), (4, (0.2, 0.5, 0.3)), (1, (0.2, 0.5, 0.3))])):
        with open(path, "w") as f:
            f.write("name\ttrue_space_group\t1\t3\t4\n")
            for i, (true, p) in enumerate(rows):
                f.write(f"p-{i}\t{true}\t" + "\t".join(f"{v:.4f}" for v in p) + "\n")
    rc, out = run(a, b, "--system")
    # A: right on samples 0 (monoclinic summed) and 2 (the tie to triclinic); B: on 0 and 1
    check(rc == 0 and "A right 2 " in out and "B right 2 " in out and "both 1, only A 1, only B 1" in out,
          f"--system: {out}")
    rc, out = run(a, b)
    check(rc == 0 and "A right 1 " in out and "B right 0 " in out, f"the same tables by group: {out}")

    # --basename: the same crystals named from two runs' folders compare; other crystals, or the same names
    # with other true groups, are still refused
    def named(path, names, truths):
        with open(path, "w") as f:
            f.write("name\ttrue_space_group\t1\t2\t3\n")
            for n, t in zip(names, truths):
                f.write(f"{n}\t{t}\t0.5000\t0.3000\t0.2000\n")
    run_a = ["/runs/x/synth.h5 crystal 7 (NaCl)", "/runs/x/synth.h5 crystal 9 (Si2)"]
    run_b = ["/work/y/synth.h5 crystal 7 (NaCl)", "/work/y/synth.h5 crystal 9 (Si2)"]
    named(a, run_a, (1, 2))
    named(b, run_b, (1, 2))
    check(run(a, b)[0] != 0, "two runs' names differ without --basename")
    rc, out = run(a, b, "--basename")
    check(rc == 0 and "A right 1 " in out and "only A 0, only B 0" in out, f"--basename: {out}")
    rc, out = run(a, b, "--top", "2", "--basename")
    check(rc == 0 and "A right 2 " in out, f"--basename with --top: {out}")
    named(b, run_b, (1, 3))
    check(run(a, b, "--basename")[0] != 0, "--basename: other true groups refused")
    named(b, ["/work/y/synth.h5 crystal 8 (NaCl)", run_b[1]], (1, 2))
    check(run(a, b, "--basename")[0] != 0, "--basename: another crystal index refused")

print("failures:", failures)
sys.exit(1 if failures else 0)
