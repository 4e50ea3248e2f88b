#!/usr/bin/env bash
# A candidate space-group model against the shipped one, sample by sample (tools/compare_outputs.py: both
# accuracies and the exact McNemar p), on what README's rule for a candidate names: the 332 measured RRUFF
# patterns with the prior (space group, top-5, crystal system), the simulated spglib and AFLOW structures
# (groups equally likely), and the synthetic crystals in the test split of both the candidate's 2,500-per-group
# file and the shipped networks' (their file of before 2026-12-01; matched by crystal name, since the two
# files split their crystals apart). Prints the comparisons; the tables are kept in RUN_DIR/judge/, and reused
# while newer than their model.
#   scripts/judge_candidate.sh CANDIDATE.h5 RUN_DIR SHIPPED_SYNTH.h5 [SHIPPED.h5]
# RUN_DIR is the candidate's run (synth2500.h5 and table1/ of scripts/real_structures.sh); SHIPPED.h5 defaults
# to models/default.h5. Needs python3 with h5py for the synthetic part.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
cand="$1"
run="$2"
old_synth="$3"
shipped="${4:-models/default.h5}"
t="$run/table1"
j="$run/judge"
mkdir -p "$j"
for f in "$cand" "$shipped" "$run/synth2500.h5" "$old_synth" "$t/rruff.tsv" "$t/spglib.h5" "$t/aflow.h5"; do
  [ -f "$f" ] || { echo "judge_candidate: $f: no such file" >&2; exit 1; }
done

source scripts/judge_lib.sh
judge_tables "$cand" "$j/cand" "$t" "$run/synth2500.h5"
# the shipped arm's tables too are made again only when older than its model (it can be judged ahead)
judge_tables "$shipped" "$j/shipped" "$t" "$run/synth2500.h5"

# the candidate file's test crystals that were test crystals of the shipped networks' file too (h5py: Debian's
# python3-h5py, which a python3 of its own earlier on the PATH may not see)
py=python3
python3 -c 'import h5py' 2> /dev/null || py=/usr/bin/python3
$py - "$old_synth" "$run/synth2500.h5" "$j" <<'EOF'
import re
import sys
import h5py

old, new, j = sys.argv[1:]
def sources(path):
    with h5py.File(path, "r") as f:
        return [s.decode() if isinstance(s, bytes) else s for s in f["crystals/source"][:]], f["crystals/split"][:]
old_source, old_split = sources(old)
held = {s for s, k in zip(old_source, old_split) if k == 2}  # XS_SPLIT_TEST
new_source, _ = sources(new)
row_name = re.compile(r" crystal ([0-9]+) \(")  # evaluate names a crystal "FILE crystal INDEX (FORMULA)"
for arm in ("cand", "shipped"):
    with open(f"{j}/{arm}-synth.tsv") as src, open(f"{j}/{arm}-synth-both.tsv", "w") as dst:
        dst.write(src.readline())
        for line in src:
            m = row_name.search(line.split("\t", 1)[0])
            if not m:
                sys.exit(f"{j}/{arm}-synth.tsv: a row not named as evaluate names a crystal: {line[:80]}")
            if new_source[int(m.group(1))] in held:
                dst.write(line)
EOF

echo "A = candidate $cand, B = shipped $shipped"
echo "RRUFF, space group (prior mp):   $(python3 tools/compare_outputs.py "$j/cand-rruff.tsv" "$j/shipped-rruff.tsv")"
echo "RRUFF, top-5 (prior mp):         $(python3 tools/compare_outputs.py "$j/cand-rruff.tsv" "$j/shipped-rruff.tsv" --top 5)"
echo "RRUFF, crystal system (prior mp): $(python3 tools/compare_outputs.py "$j/cand-rruff.tsv" "$j/shipped-rruff.tsv" --system)"
echo "spglib + AFLOW (uniform):        $(python3 tools/compare_outputs.py "$j/cand-real.tsv" "$j/shipped-real.tsv")"
echo "synthetic, test of both files:   $(python3 tools/compare_outputs.py "$j/cand-synth-both.tsv" "$j/shipped-synth-both.tsv")"
echo "synthetic, candidate's test split (the shipped networks trained on most of it): $(python3 tools/compare_outputs.py "$j/cand-synth.tsv" "$j/shipped-synth.tsv")"
