"""A peaks dataset written by xrdsym is readable with h5py and has the documented layout and attributes.

The file is written by `test_dataset --write PATH` (tests/test_dataset.c: 4 crystals, one a duplicate).
Skips (exit 77) when h5py is not importable or the test program is not built.
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: h5py/numpy not importable ({e})")
    sys.exit(77)

build = os.environ.get("XS_BUILD_DIR", "build")
prog = os.path.join(build, "tests", "test_dataset")
if not os.path.exists(prog):
    print(f"SKIPPED: {prog} is not built")
    sys.exit(77)

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAILED:", what)


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "h5py_check.h5")
    # test_dataset --write PATH writes a fixed small dataset (see tests/test_dataset.c) and exits
    r = subprocess.run([prog, "--write", path], capture_output=True, text=True)
    check(r.returncode == 0, f"writer exited {r.returncode}: {r.stderr}")
    with h5py.File(path, "r") as f:
        a = f.attrs
        check(a["format"] == "xrdsym-peaks-dataset", f"format attribute {a.get('format')!r}")
        check(int(a["format_version"]) == 1, "format_version")
        check(abs(float(a["wavelength"]) - 1.5406) == 0.0, "wavelength")
        check(float(a["two_theta_min"]) == 5.0 and float(a["two_theta_max"]) == 90.0, "range")
        check("test_dataset --write" in a["generator"], f"generator {a['generator']!r}")
        check(len(a["created"]) == 20 and a["created"].endswith("Z"), f"created {a['created']!r}")
        c, p = f["crystals"], f["peaks"]
        n = c["space_group"].shape[0]
        check(n == 3, f"3 crystals (one of 4 is a duplicate), got {n}")
        check(c["space_group"].dtype == np.int32, "space_group int32")
        check(c["crystal_system"].dtype == np.int8, "crystal_system int8")
        check(c["split"].dtype == np.int8, "split int8")
        check(c["lattice"].shape == (n, 6) and c["lattice"].dtype == np.float64, "lattice float64[N,6]")
        check(c["n_atoms"].dtype == np.int32, "n_atoms int32")
        check(p["offset"].shape == (n + 1,) and p["offset"].dtype == np.int64, "offset int64[N+1]")
        check(p["two_theta"].dtype == np.float32 and p["intensity"].dtype == np.float32, "peaks float32")
        sg = c["space_group"][:]
        check(list(sg) == [225, 62, 14], f"space groups {list(sg)}")
        check(list(c["crystal_system"][:]) == [6, 2, 1], f"crystal systems {list(c['crystal_system'][:])}")
        formulas = [s.decode() for s in c["formula"][:]]
        check(formulas == ["Na4Cl4", "Mg4Si2O8", "C4H4"], f"formulas {formulas}")
        sources = [s.decode() for s in c["source"][:]]
        check(sources[0] == "hand:NaCl", f"sources {sources}")
        check(np.allclose(c["lattice"][0], [5.64, 5.64, 5.64, 90, 90, 90]), "lattice of NaCl")
        off = p["offset"][:]
        check(off[0] == 0 and off[-1] == p["two_theta"].shape[0], "offsets span the peaks")
        tt = p["two_theta"][off[0]:off[1]]
        inten = p["intensity"][off[0]:off[1]]
        # NaCl (Cu Ka): 27.37, 31.70, 45.45 deg given out of order with intensities 13, 100, 55 (of 50 -> x2)
        check(np.allclose(tt, [27.37, 31.70, 45.45], atol=1e-5), f"NaCl peaks {tt}")  # float32 of ~45: 4e-6
        check(np.allclose(inten, [13.0, 100.0, 55.0], atol=1e-4), f"NaCl intensities {inten}")
        check(set(np.unique(c["split"][:])) <= {0, 1, 2}, "split values")
        # compressed and chunked numeric arrays
        check(p["two_theta"].chunks is not None, "two_theta chunked")
        check(p["two_theta"].compression == "gzip", f"two_theta compression {p['two_theta'].compression}")

print("h5py check:", "ok" if failures == 0 else f"{failures} failures")
sys.exit(1 if failures else 0)
