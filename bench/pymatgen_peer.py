#!/usr/bin/env python3
"""pymatgen's side of bench/run_simulate.sh, plus the structure sets and the table.

  pymatgen_peer.py prepare DIR [--subset N]
      unpack the spglib test structures and write the AFLOW prototypes as POSCARs under DIR, and the lists
      DIR/{spglib,aflow}.list (every structure, as in tests/test_pymatgen.py) and DIR/{spglib,aflow}.subset.list
      (N structures evenly spaced through each list, default 40: pymatgen is too slow for the full sets).
  pymatgen_peer.py time LIST --label NAME
      patterns per second of XRDCalculator('CuKa').get_pattern(s, two_theta_range=(5, 90)) on one thread,
      peaks only and peaks plus a Gaussian profile (FWHM 0.1 deg) on the seed paper's grid 5.00..89.99 step 0.01
      in numpy; prints lines in bench_simulate's format. Building the Structure objects is not timed; time is
      the CPU time of the process (time.process_time), as bench_simulate measures it, so that other jobs on a
      shared machine do not count. Run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 (one thread).
  pymatgen_peer.py table FILE...
      the markdown table from the lines of bench_simulate and of `time`.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))


def prepare(out_dir, subset):
    import tarfile

    import test_pymatgen as tp  # the readers the comparison test uses

    os.makedirs(os.path.join(out_dir, "aflow"), exist_ok=True)
    with tarfile.open(tp.SPGLIB) as tar:
        tar.extractall(os.path.join(out_dir, "spglib"))
    aflow = []
    for name, lat, species, frac in tp.aflow_structures():
        path = os.path.join(out_dir, name + ".vasp")
        tp.write_poscar(path, lat, species, frac)
        aflow.append(path)
    spglib = [it[1] for it in tp.spglib_structures(os.path.join(out_dir, "spglib"))[0]]
    for label, files in (("spglib", spglib), ("aflow", aflow)):
        with open(os.path.join(out_dir, label + ".list"), "w") as f:
            f.write("\n".join(files) + "\n")
        step = len(files) / min(subset, len(files))
        picked = [files[int(i * step)] for i in range(min(subset, len(files)))]
        with open(os.path.join(out_dir, label + ".subset.list"), "w") as f:
            f.write("\n".join(picked) + "\n")
        print(f"{label}: {len(files)} structures, subset {len(picked)}")


def gaussian_profile(x, y, grid_start=5.0, step=0.01, count=8500, fwhm=0.1):
    """Sum of Gaussians (cut at 3 FWHM, as xrdsym) on the grid, max scaled to 1."""
    import numpy as np

    out = np.zeros(count)
    grid = grid_start + step * np.arange(count)
    coef = -4 * np.log(2) / fwhm**2
    reach = 3 * fwhm
    for x0, h in zip(x, y):
        lo = max(int(np.ceil((x0 - reach - grid_start) / step)), 0)
        hi = min(int(np.floor((x0 + reach - grid_start) / step)), count - 1)
        if lo <= hi:
            dx = grid[lo:hi + 1] - x0
            out[lo:hi + 1] += h * np.exp(coef * dx * dx)
    m = out.max()
    return out / m if m > 0 else out


def time_pymatgen(list_path, label):
    import test_pymatgen as tp
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    with open(list_path) as f:
        files = [l.strip() for l in f if l.strip()]
    structures = []
    for path in files:
        lat, species, frac = tp.read_poscar(path)
        structures.append(Structure(Lattice(lat), species, frac))
    calc = XRDCalculator(wavelength="CuKa", debye_waller_factors=None)
    calc.get_pattern(structures[0], scaled=True, two_theta_range=(5, 90))  # warm-up (imports, caches)
    for mode in ("peaks", "peaks+profile"):
        peaks = 0
        t0 = time.process_time()
        for s in structures:
            p = calc.get_pattern(s, scaled=True, two_theta_range=(5, 90))
            peaks += len(p.x)
            if mode == "peaks+profile":
                gaussian_profile(p.x, p.y)
        t = time.process_time() - t0
        rate = len(structures) / t
        print(f"label={label} mode={mode} structures={len(structures)} patterns_per_s={rate:.3f} "
              f"ms_per_pattern={1e3 / rate:.1f} peaks={peaks}", flush=True)


def table(paths):
    rows = {}
    for path in paths:
        engine = "pymatgen" if "pymatgen" in os.path.basename(path) else "xrdsym"
        with open(path) as f:
            for line in f:
                if not line.startswith("label="):
                    continue
                kv = dict(item.split("=", 1) for item in line.split())
                rows[(engine, kv["label"], kv["mode"])] = kv
    print("| structures | mode | xrdsym, all (patterns/s) | xrdsym, subset (patterns/s) "
          "| pymatgen, subset (patterns/s) | xrdsym / pymatgen (subset) |")
    print("|---|---|---|---|---|---|")
    for label in ("spglib", "aflow"):
        for mode in ("peaks", "peaks+profile"):
            full = rows.get(("xrdsym", label, mode))
            sub = rows.get(("xrdsym", label + "-subset", mode))
            pm = rows.get(("pymatgen", label + "-subset", mode))
            if not (full and sub and pm):
                continue
            ratio = float(sub["patterns_per_s"]) / float(pm["patterns_per_s"])
            name = {"spglib": "spglib test structures (real)", "aflow": "AFLOW prototypes"}[label]
            print(f"| {name}: {full['structures']} all, {pm['structures']} subset | {mode} "
                  f"| {float(full['patterns_per_s']):,.0f} | {float(sub['patterns_per_s']):,.0f} "
                  f"| {float(pm['patterns_per_s']):.2f} | **{ratio:,.0f}x** |")


def main():
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "prepare":
        subset = int(args[args.index("--subset") + 1]) if "--subset" in args else 40
        prepare(args[1], subset)
    elif len(args) >= 2 and args[0] == "time":
        time_pymatgen(args[1], args[args.index("--label") + 1] if "--label" in args else "structures")
    elif len(args) >= 2 and args[0] == "table":
        table(args[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
