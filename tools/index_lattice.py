#!/usr/bin/env python3
"""Lattice family of a powder pattern by indexing its first lines, as a crystallographer would before any
network: is there a cubic, hexagonal (trigonal included), tetragonal or orthorhombic cell whose calculated
lines account for the observed ones, with few lines to spare? A measurement tool (README, *Where this
stands*): it reads patterns already on the paper's grid (Cu K-alpha, 2theta 5.00..89.99 step 0.01), as
`render_stream fixed` and `render_stream patterns` write them (tools/gpu/render_stream.c).

Lines: the pattern over its maximum, smoothed by a Gaussian of sigma 3 points; background a running minimum
over 2 deg, then its running mean; a line is a local maximum over +-6 points standing above both 6 times the
noise (robust sigma of point-to-point differences, over the smoothing's gain 3.26) and 2% of the largest;
its position by a parabola through three points. A line where a stronger line's K-alpha2 copy falls (within
0.03 deg, more than 0.06 deg above it, at most 0.8 of its height) is dropped. The first 20 lines by angle are
indexed; fewer than 8: no claim.

Cells (Q = 1/d^2, a and c of 2..25 A): cubic Q = A N (A from one of the first 3 lines as N = 1..12th sum of
three squares); tetragonal Q = A (h^2 + k^2) + C l^2 and hexagonal Q = A (h^2 + hk + k^2) + C l^2 (A, C from two
of the first 7 lines, each given one of the 23 lowest (m, l) forms); orthorhombic Q = A h^2 + B k^2 + C l^2
(three of the first 9 lines as axial lines of index 1 or 2). A cell indexes the pattern when all its lines
but 2 (with 10 or more lines; else all but 1) lie within 0.03 deg of a calculated line of the primitive cell,
after one of the zero shifts -0.08, -0.04, 0, 0.04, 0.08 deg. Its chance figure F = Q_N / (2 dQ N_calc)
(Q_N the last line's Q, dQ the window 0.03 deg in Q averaged over the lines, N_calc the primitive cell's
calculated lines up to Q_N) is one over the chance that a line falls on a calculated one at random (de Wolff's
M20 with the window in place of the mean error, since positions on a 0.01-deg grid carry no finer error). The
best F of every family is kept; the claim is the highest symmetry with F >= --figure (cubic, then hexagonal
or tetragonal, the larger F, then orthorhombic). Monoclinic and triclinic cells are not searched: no claim
leaves a pattern to the network.

  tools/index_lattice.py index PATTERNS.bin OUT.tsv [--limit N]
      every pattern's lines, best F per family, claim (at F >= 5) and cell
  tools/index_lattice.py claims INDEX.tsv [--figure F]
      how often each family is claimed and how often rightly (the labels read only for this count)
  tools/index_lattice.py restrict INDEX.tsv OUTPUTS.tsv RESTRICTED.tsv [--figure F]
      an `xrdsym evaluate --outputs` table of the same patterns in the same order, every claimed pattern's
      probabilities restricted to the groups of its family (the others 0; not renormalised, so that the
      certainty, the largest probability, is the network's and a wrong claim is not made surer); compare with
      tools/compare_outputs.py (--system for crystal systems)
"""
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu"))
from render_bin import read_bin  # noqa: E402  (render_stream's files, as the GPU trainer reads them)

LAMBDA = 1.54184
GRID = 5.0 + 0.01 * np.arange(8500)
FAMILIES = ["cubic", "hexagonal", "tetragonal", "orthorhombic"]
SHIFTS = (-0.08, -0.04, 0.0, 0.04, 0.08)
WINDOW_DEG = 0.03
KA2_OVER_KA1 = 1.544390 / 1.540562
MIN_CELL, MAX_CELL = 2.0, 25.0
FIGURE = 5.0


def q_of(two_theta):
    return (2 * np.sin(np.radians(two_theta / 2)) / LAMBDA) ** 2


def q_window(two_theta, width_deg):
    """dQ of width_deg in 2theta at two_theta: dQ/d(2theta) = (2 / lambda^2) sin(2theta)"""
    return (2 / LAMBDA ** 2) * np.sin(np.radians(two_theta)) * np.radians(width_deg)


def find_lines(y, nmax=20, min_rel=0.02, min_snr=6.0):
    y = np.asarray(y, np.float64)
    y = y / max(y.max(), 1e-30)
    kernel = np.exp(-0.5 * (np.arange(-9, 10) / 3.0) ** 2)
    kernel /= kernel.sum()
    ys = np.convolve(y, kernel, mode="same")
    floor = sliding_window_view(np.pad(ys, 100, mode="edge"), 201).min(1)
    floor = np.convolve(np.pad(floor, 100, mode="edge"), np.ones(201) / 201, mode="valid")
    h = ys - floor
    sigma = 1.4826 * np.median(np.abs(np.diff(y))) / np.sqrt(2) / 3.26 + 1e-6
    threshold = max(min_snr * sigma, min_rel * h.max())
    w = 6
    local_max = sliding_window_view(np.pad(h, w, mode="constant", constant_values=-1), 2 * w + 1).max(1)
    idx = np.nonzero((h >= local_max) & (h > threshold))[0]
    idx = idx[(idx > 0) & (idx < len(h) - 1)]
    a, b, c = h[idx - 1], h[idx], h[idx + 1]
    den = a - 2 * b + c
    off = np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / np.where(den == 0, 1, den), 0)
    pos, height = GRID[idx] + 0.01 * np.clip(off, -0.5, 0.5), h[idx]
    # a K-alpha2 copy resolved from its K-alpha1 line is not a line of the cell: a line where a stronger line's
    # copy falls (within the window) and at most 0.8 of its height is dropped
    ka2 = 2 * np.degrees(np.arcsin(np.minimum(np.sin(np.radians(pos / 2)) * KA2_OVER_KA1, 1)))
    keep = np.ones(len(pos), bool)
    for i in range(len(pos)):
        copy = (np.abs(pos - ka2[i]) <= WINDOW_DEG) & (height <= 0.8 * height[i]) & (pos - pos[i] > 0.06)
        keep &= ~copy
    return pos[keep][:nmax]


def plane_values(kind, vmax):
    """distinct values of h^2 + k^2 (tetragonal) or h^2 + hk + k^2 (hexagonal) up to vmax"""
    r = int(np.sqrt(vmax)) + 2
    vals = {h * h + k * k if kind == "tetragonal" else h * h + h * k + k * k for h in range(r) for k in range(r)}
    return np.array(sorted(v for v in vals if v <= vmax), np.float64)


CUBIC_N = np.array(sorted({h * h + k * k + l * l for h in range(15) for k in range(15) for l in range(15)} - {0}),
                   np.float64)


def score_two(Qo, tol, A, C, m_values, lmax):
    """candidates Q = A m + C l^2: lines indexed, calculated lines up to the last observed"""
    n = len(A)
    q_max = Qo[-1] + tol[-1]
    best = np.full((n, len(Qo)), np.inf)
    n_calc = np.zeros(n)
    for l in range(lmax + 1):
        rest = Qo[None, :] - C[:, None] * l * l
        j = np.clip(np.searchsorted(m_values, rest / A[:, None]), 1, len(m_values) - 1)
        for jj in (j - 1, j):
            m = m_values[jj]
            d = np.abs(rest - A[:, None] * m)
            best = np.minimum(best, np.where((l == 0) & (m == 0), np.inf, d))
        lim = (q_max - C * l * l) / A
        count = np.searchsorted(m_values, lim, side="right")
        if l == 0:
            count = np.maximum(count - 1, 0)  # m = l = 0 is not a line
        n_calc += np.where(lim >= 0, count, 0)
    return (best <= tol[None, :]).sum(1), n_calc


def score_orthorhombic(Qo, tol, A, B, C, imax=12):
    n = len(A)
    q_max = Qo[-1] + tol[-1]
    best = np.full((n, len(Qo)), np.inf)
    n_calc = np.zeros(n)
    squares = np.arange(0, 60, dtype=np.float64) ** 2
    for k in range(imax + 1):
        for l in range(imax + 1):
            rest = Qo[None, :] - B[:, None] * k * k - C[:, None] * l * l
            j = np.clip(np.searchsorted(squares, rest / A[:, None]), 1, len(squares) - 1)
            for jj in (j - 1, j):
                hh = squares[jj]
                d = np.abs(rest - A[:, None] * hh)
                if k == 0 and l == 0:
                    d = np.where(hh == 0, np.inf, d)
                best = np.minimum(best, d)
            lim = (q_max - B * k * k - C * l * l) / A
            count = np.where(lim >= 0, np.floor(np.sqrt(np.maximum(lim, 0))) + 1, 0)
            if k == 0 and l == 0:
                count = np.maximum(count - 1, 0)
            n_calc += count
    return (best <= tol[None, :]).sum(1), n_calc


def candidates(Qo, family):
    p = len(Qo)
    lo, hi = 1 / MAX_CELL ** 2, 1 / MIN_CELL ** 2
    if family == "cubic":
        A = np.concatenate([Qo[i] / CUBIC_N[:12] for i in range(min(3, p))])
        return A[(A > lo) & (A < hi)][:, None]
    if family in ("tetragonal", "hexagonal"):
        mv = plane_values(family, 400)
        forms = [(m, l) for m in mv[:6] for l in range(4) if (m, l) != (0, 0)]
        K = min(7, p)
        out = []
        for i in range(K):
            for j in range(i + 1, K):
                for (mi, li) in forms:
                    for (mj, lj) in forms:
                        det = mi * lj * lj - mj * li * li
                        if det:
                            out.append(((Qo[i] * lj * lj - Qo[j] * li * li) / det, (mi * Qo[j] - mj * Qo[i]) / det))
        out = np.array(out)
        f = 4.0 / 3.0 if family == "hexagonal" else 1.0
        ok = (out[:, 0] / f > lo) & (out[:, 0] / f < hi) & (out[:, 1] > lo) & (out[:, 1] < hi)
        return np.unique(np.round(out[ok], 7), axis=0)
    K = min(9, p)
    out = [(Qo[i] / a ** 2, Qo[j] / b ** 2, Qo[k] / c ** 2)
           for i in range(K) for j in range(i + 1, K) for k in range(K) if k != i and k != j
           for a in (1, 2) for b in (1, 2) for c in (1, 2)]
    out = np.array(out).reshape(-1, 3)
    return out[np.all((out > lo) & (out < hi), axis=1)]


def cell_of(family, params):
    if family == "cubic":
        return [1 / np.sqrt(params[0])] * 3
    if family == "tetragonal":
        return [1 / np.sqrt(params[0])] * 2 + [1 / np.sqrt(params[1])]
    if family == "hexagonal":
        return [np.sqrt(4 / (3 * params[0]))] * 2 + [1 / np.sqrt(params[1])]
    return [1 / np.sqrt(v) for v in params]


def index_lines(lines, min_lines=8):
    """family -> (F, lines indexed, cell, zero shift) for the best cell of each family that indexes"""
    best = {}
    if len(lines) < min_lines:
        return best
    for z in SHIFTS:
        tt = lines - z
        Qo, tol = q_of(tt), q_window(tt, WINDOW_DEG)
        p = len(Qo)
        need = p - 2 if p >= 10 else p - 1
        for family in FAMILIES:
            cand = candidates(Qo, family)
            if not len(cand):
                continue
            if family == "cubic":
                n_idx, n_calc = score_two(Qo, tol, cand[:, 0], np.full(len(cand), 1e9), np.concatenate([[0.0], CUBIC_N]), 0)
            elif family == "orthorhombic":
                n_idx, n_calc = score_orthorhombic(Qo, tol, cand[:, 0], cand[:, 1], cand[:, 2])
            else:
                n_idx, n_calc = score_two(Qo, tol, cand[:, 0], cand[:, 1], plane_values(family, 400), 30)
            figure = np.where(n_idx >= need, Qo[-1] / (2 * tol.mean() * np.maximum(n_calc, 1)), 0)
            b = int(np.argmax(figure))
            if figure[b] > best.get(family, (0,))[0]:
                best[family] = (float(figure[b]), int(n_idx[b]), cell_of(family, cand[b]), z)
    return best


def claim(figures, threshold=FIGURE):
    """the highest symmetry whose best F reaches the threshold, else None"""
    if figures.get("cubic", 0) >= threshold:
        return "cubic"
    h, t = figures.get("hexagonal", 0), figures.get("tetragonal", 0)
    if max(h, t) >= threshold:
        return "hexagonal" if h >= t else "tetragonal"
    if figures.get("orthorhombic", 0) >= threshold:
        return "orthorhombic"
    return None


def family_of(space_group):
    """lattice family of a space group: trigonal groups index as hexagonal cells"""
    if space_group >= 195:
        return "cubic"
    if space_group >= 143:
        return "hexagonal"
    if space_group >= 75:
        return "tetragonal"
    if space_group >= 16:
        return "orthorhombic"
    return None


def cmd_index(args):
    limit, args = option(args, "--limit", 10 ** 9)
    limit = int(limit)
    src, dst = args
    labels, X = read_bin(src)
    with open(dst + ".tmp", "w") as out:
        out.write("row\ttrue_space_group\tlines\tclaim\t" + "\t".join(f"F_{f}" for f in FAMILIES) + "\tcell\tzero_shift\n")
        for i in range(min(limit, len(labels))):
            lines = find_lines(X[i])
            best = index_lines(lines)
            figures = {f: best[f][0] for f in best}
            c = claim(figures)
            cell = " ".join(f"{v:.4f}" for v in best[c][2]) if c else ""
            shift = f"{best[c][3]:+.2f}" if c else ""
            out.write(f"{i}\t{labels[i]}\t{len(lines)}\t{c or '-'}\t" +
                      "\t".join(f"{figures.get(f, 0):.3f}" for f in FAMILIES) + f"\t{cell}\t{shift}\n")
            print(f"\r{i + 1} patterns", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    os.replace(dst + ".tmp", dst)


def read_index(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    return rows


def option(args, name, default):
    if name in args:
        i = args.index(name)
        return float(args[i + 1]), args[:i] + args[i + 2:]
    return default, args


def cmd_claims(args):
    threshold, args = option(args, "--figure", FIGURE)
    rows = read_index(args[0])
    made = {f: [0, 0] for f in FAMILIES}
    for r in rows:
        c = claim({f: float(r[f"F_{f}"]) for f in FAMILIES}, threshold)
        if c:
            made[c][0] += 1
            made[c][1] += family_of(int(r["true_space_group"])) == c
    truth = {f: sum(family_of(int(r["true_space_group"])) == f for r in rows) for f in FAMILIES}
    print(f"{len(rows)} patterns, F >= {threshold:g}: " + "; ".join(
        f"{f} claimed {made[f][0]}, right {made[f][1]} (of {truth[f]})" for f in FAMILIES) +
        f"; no claim {len(rows) - sum(m[0] for m in made.values())}")


def cmd_restrict(args):
    threshold, args = option(args, "--figure", FIGURE)
    index_path, outputs_path, dst = args
    rows = read_index(index_path)
    with open(outputs_path) as f:
        head = f.readline()
        groups = [int(g) for g in head.rstrip("\n").split("\t")[2:]]
        table = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    if len(table) != len(rows):
        sys.exit(f"{outputs_path}: {len(table)} samples, {index_path} has {len(rows)}")
    fam = [family_of(g) for g in groups]
    with open(dst + ".tmp", "w") as out:
        out.write(head)
        for r, t in zip(rows, table):
            if int(r["true_space_group"]) != int(t[1]):
                sys.exit(f"{outputs_path}: sample {t[0]} is of group {t[1]}, row {r['row']} of {index_path} of "
                         f"{r['true_space_group']}: not the same samples in the same order")
            p = np.array([float(v) for v in t[2:]])
            c = claim({f: float(r[f"F_{f}"]) for f in FAMILIES}, threshold)
            if c:
                q = np.where([x == c for x in fam], p, 0.0)
                if q.sum() > 0:  # not renormalised: the certainty (largest probability) stays the network's
                    p = q
            out.write("\t".join(t[:2] + [f"{v:.6g}" for v in p]) + "\n")
    os.replace(dst + ".tmp", dst)


if __name__ == "__main__":
    commands = {"index": cmd_index, "claims": cmd_claims, "restrict": cmd_restrict}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
