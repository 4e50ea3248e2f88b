#!/usr/bin/env bash
# The paper's Table I for a model: crystal-system and space-group accuracy, top-5 and the refusal figure on
# (1) the synthetic test split, (2) simulated patterns of the real spglib test structures (not virtual or
# distorted), (3) the 288 AFLOW prototypes, (4) the 332 MEASURED RRUFF patterns, (5) the MEASURED profiles of
# the 15 IUCr Rietveld CIFs (labelled by their refined structure; mixtures, modulated structures and
# profiles that cover too little of the grid are left out, and said), (6) the 15 MEASURED SSRL synchrotron
# patterns (crystal systems only). Prints a markdown table; the JSON reports stay in RUN_DIR/table1/eval-*.json.
#   [PRIOR=mp] [COMBINE=geometric] [SYNTH=FILE.h5] scripts/table1.sh [MODEL.h5] [RUN_DIR]  (defaults: models/default.h5, runs/;
#   PRIOR=mp reweights the outputs to the space-group frequencies of real materials, see xs_eval_apply_prior;
#   SYNTH is the synthetic dataset whose test split makes the first row, default RUN_DIR/synth2500.h5, the one
#   scripts/train_default_model.sh makes; COMBINE=geometric combines the ensemble's members by their geometric mean)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-models/default.h5}"
run="${2:-runs}"
x=build/xrdsym
t="$run/table1"

# real structures as files xrdsym reads (spglib.h5, aflow.h5, rruff.tsv; made once, in $t)
scripts/real_structures.sh "$run"

# the prior and the ensemble's combination, for every set alike
choice=(${PRIOR:+--prior "$PRIOR"} ${COMBINE:+--combine "$COMBINE"})
$x evaluate "${choice[@]}" --model "$model" --data "${SYNTH:-$run/synth2500.h5}" --split test --json "$t/eval-synthetic.json" > "$t/eval-synthetic.txt"
$x evaluate "${choice[@]}" --model "$model" --data "$t/spglib.h5" --split test --json "$t/eval-spglib.json" > "$t/eval-spglib.txt"
$x evaluate "${choice[@]}" --model "$model" --data "$t/aflow.h5" --split test --json "$t/eval-aflow.json" > "$t/eval-aflow.txt"
$x evaluate "${choice[@]}" --model "$model" --patterns "$t/rruff.tsv" --json "$t/eval-rruff.json" --plots "$t/plots-rruff" > "$t/eval-rruff.txt"
# exit status 1: some profiles could not be used (said in the .err file); the others are judged
$x evaluate "${choice[@]}" --model "$model" --patterns "$t"/iucr/*.cif --json "$t/eval-iucr.json" > "$t/eval-iucr.txt" 2> "$t/eval-iucr.err" || [ $? -eq 1 ]
$x evaluate "${choice[@]}" --model "$model" --patterns "$t"/ssrl/*.xy --labels "$t/ssrl-labels.csv" --json "$t/eval-ssrl.json" > "$t/eval-ssrl.txt"

/usr/bin/python3 - "$t" <<'PY'
import json, sys, os
t = sys.argv[1]
rows = [("synthetic test split", "synthetic"), ("spglib structures, simulated", "spglib"),
        ("AFLOW prototypes, simulated", "aflow"), ("RRUFF, measured", "rruff"),
        ("IUCr Rietveld CIFs, measured", "iucr"), ("SSRL synchrotron, measured (crystal systems only)", "ssrl")]
pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
first = json.load(open(os.path.join(t, "eval-synthetic.json")))
kind = first.get("label_kind", "space_group")
if kind == "space_group":
    print("| test set | n | crystal system (summed) | space group | space group top-5 | space group, half refused (threshold) |")
else:
    print("| test set | n | crystal system | crystal system top-2 | crystal system, half refused (threshold) |")
print("|---|---:|---:|---:|---:|" + ("---:|" if kind == "space_group" else ""))
for label, key in rows:
    r = json.load(open(os.path.join(t, f"eval-{key}.json")))
    a, top, ref = r["accuracy"], r["top_n"], r["refusal"]
    half = f"{pct(ref['accuracy_at_half'])} ({ref['threshold_at_half']:.2f})"
    if kind == "space_group" and a["space_group"] is None:  # labels of crystal systems only
        print(f"| {label} | {r['n']} | {pct(a['crystal_system'])} | - | - | {half} (crystal system) |")
    elif kind == "space_group":
        print(f"| {label} | {r['n']} | {pct(a['crystal_system'])} | {pct(a['space_group'])} | "
              f"{pct(top['space_group'][4])} | {half} |")
    else:
        print(f"| {label} | {r['n']} | {pct(a['crystal_system'])} | {pct(top['crystal_system'][1])} | {half} |")
PY
