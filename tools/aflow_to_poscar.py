#!/usr/bin/env python3
"""Write the AFLOW prototypes of ../shared/data/structures/aflow-prototypes.json.gz as VASP 5 POSCAR files
(one per prototype, named NNN_<aflow label>.vasp), so that xrdsym can read them like any structure file.
Standard library only.

usage: tools/aflow_to_poscar.py [AFLOW_JSON_GZ] OUT_DIR
"""
import gzip
import json
import os
import sys


def aflow_structures(path):
    """(name, lattice rows, species symbols, fractional coordinates) of every AFLOW prototype."""
    with gzip.open(path, "rt") as f:
        entries = json.load(f)
    out = []
    for i, e in enumerate(entries):
        snl = e["snl"]
        species, frac = [], []
        for site in snl["sites"]:
            if len(site["species"]) != 1 or abs(site["species"][0].get("occu", 1.0) - 1.0) > 1e-12:
                raise ValueError(f"AFLOW entry {i}: mixed or partial site; this reader expects ordered sites")
            species.append(site["species"][0]["element"])
            frac.append([float(x) for x in site["abc"]])
        name = f"{i:03d}_{e['tags']['aflow']}"
        out.append((name, [[float(x) for x in row] for row in snl["lattice"]["matrix"]], species, frac))
    return out


def write_poscar(path, lattice, species, frac, title="written by tools/aflow_to_poscar.py"):
    """VASP 5 POSCAR (species line), sites grouped by species in order of first appearance."""
    order = []
    for s in species:
        if s not in order:
            order.append(s)
    with open(path, "w") as f:
        f.write(title + "\n1.0\n")
        for row in lattice:
            f.write(" ".join(repr(x) for x in row) + "\n")
        f.write(" ".join(order) + "\n")
        f.write(" ".join(str(species.count(s)) for s in order) + "\nDirect\n")
        for s in order:
            for sp, x in zip(species, frac):
                if sp == s:
                    f.write(" ".join(repr(v) for v in x) + "\n")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "shared", "data", "structures", "aflow-prototypes.json.gz")
    if len(argv) == 2:
        src, out = default, argv[1]
    elif len(argv) == 3:
        src, out = argv[1], argv[2]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    items = aflow_structures(src)
    for name, lat, species, frac in items:
        write_poscar(os.path.join(out, name.replace("/", "_") + ".vasp"), lat, species, frac, f"AFLOW prototype {name}")
    print(f"{len(items)} POSCAR files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
