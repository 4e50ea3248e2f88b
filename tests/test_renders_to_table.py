"""tools/renders_to_table.py, whose tables the README's background-subtraction figures come from: a pattern file
of render_stream's format becomes the table `xrdsym evaluate --patterns` reads (names, labels, integers of maximum
1000), and --subtract-background takes a flat or sloping background off while keeping the peak; its background is
checked point by point against a plain loop (the 11th smallest of the 200 points about each, then their mean).
Exit 77 (skipped) when numpy is missing.
"""
import os
import subprocess
import sys
import tempfile

from py_checks import TOOLS, check, finish, require_numpy

np = require_numpy()
TOOL = os.path.join(TOOLS, "renders_to_table.py")
sys.path.insert(0, TOOLS)
from renders_to_table import background  # noqa: E402


two_theta = 5 + 0.01 * np.arange(8500)
rng = np.random.default_rng(3)
peak = np.exp(-0.5 * ((two_theta - 30) / 0.05) ** 2)
flat = 0.3 + peak + 0.01 * rng.random(8500)
sloped = 0.5 - 0.004 * (two_theta - 5) + peak + 0.01 * rng.random(8500)
patterns = np.array([flat, sloped])
labels = np.array([225, 14], np.int32)

with tempfile.TemporaryDirectory() as d:
    renders = os.path.join(d, "two.bin")
    with open(renders, "wb") as f:
        f.write(np.array([2, 8500], np.int32).tobytes() + labels.tobytes() + patterns.astype(np.float16).tobytes())
    tables = {}
    for name, extra in (("asis", []), ("sub", ["--subtract-background"])):
        out = os.path.join(d, f"{name}.tsv")
        subprocess.run([sys.executable, TOOL, renders, out] + extra, check=True, capture_output=True, text=True)
        lines = open(out).read().splitlines()
        check(len(lines) == 4 and lines[0].startswith("#") and lines[1].startswith("#"), f"{name}: two headers, two rows")
        rows = [line.split("\t") for line in lines[2:]]
        check([r[0] for r in rows] == ["two-0", "two-1"] and [r[1] for r in rows] == ["225", "14"],
              f"{name}: names and labels {[r[:2] for r in rows]}")
        tables[name] = np.array([[int(v) for v in r[2].split()] for r in rows])
        check(not [f for f in os.listdir(d) if f.endswith(".tmp")], f"{name}: no temporary file left")
    asis, sub = tables["asis"], tables["sub"]
    check(asis.shape == (2, 8500) and sub.shape == (2, 8500), "8500 intensities a row")
    check((asis.max(1) == 1000).all() and (sub.max(1) == 1000).all(), "maximum 1000")
    i30 = 2500
    check((sub[:, i30] == 1000).all(), "the peak stays the maximum")
    far = np.abs(two_theta - 30) > 2
    # as is, the floor is the background over background plus peak: 0.3 / 1.3 = 23% and up to 38% on the slope;
    # taken off, what stays is the noise above its 5th percentile (at most 0.01 over a peak of about 1), plus on the
    # slope the 5th percentile's lag behind it (0.004 a degree over part of the 1-deg half window): under 1.5%
    check(np.median(asis[0, far]) > 200, f"as is: the flat floor stays ({np.median(asis[0, far])})")
    check(sub[:, far].max() <= 15, f"subtracted: nothing above 1.5% far from the peak ({sub[:, far].max()})")
    check((sub[:, far] == 0).mean() > 0.03, f"subtracted: exact zeros, as in RRUFF ({(sub[:, far] == 0).mean():.3f})")

# the background against a plain loop, on the sloped pattern (float64: exact)
b = background(sloped)
for i in (0, 57, 4000, 8499):
    low = lambda k: sorted(sloped[min(max(j, 0), 8499)] for j in range(k - 100, k + 100))[10]
    want = np.mean([low(min(max(j, 0), 8499)) for j in range(i - 100, i + 100)])
    check(abs(b[i] - want) < 1e-12, f"background at point {i}: {b[i]} against {want}")

finish()
