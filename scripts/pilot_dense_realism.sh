#!/usr/bin/env bash
# The dense realism pilot (README, "And a pilot beside it"): does the gated dense network gain from the realism
# the CNN trains with? Two dense networks of the rebuild script's first member with the peak gate (A's
# specification with "peaks 3" after the high-pass, A's augmentation, Adam 0.001 along a cosine, batch 128),
# 8 epochs, seed 1, on the rebuild script's crystals: P3 (as the gate pilot's P3) and P3R, the same with the
# CNN's realism options (K-alpha2, intensity jitter, impurity peaks). Judged sample by sample, P3R first:
# RRUFF with the prior, the simulated spglib and AFLOW structures and 20,000 synthetic test crystals (groups
# equally likely; each arm rendered with its own augmentation). One core: the arms train one after the other
# (about 35 min each here beside another training).
# A file already made is kept, and train resumes from its checkpoint.
#   scripts/pilot_dense_realism.sh RUN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
run="$1"
x=build/xrdsym
t="$run/table1"
source scripts/recipe.sh
source scripts/judge_lib.sh
pilot_sets "$run"
COMMON=(--data "$run/synth2500.h5" --task space-group --loss cce --lr-cosine --batch 128 --threads 1 --epochs 8
  --seed 1 $AUG --arch "$(with_gate "$SPEC")")
[ -f "$run/P3.h5" ] || $x train "${COMMON[@]}" --out "$run/P3.h5" > "$run/P3.log" 2>&1
[ -f "$run/P3R.h5" ] || $x train "${COMMON[@]}" $REALISM --out "$run/P3R.h5" > "$run/P3R.log" 2>&1
judge_pair "$run" P3R P3 "$t" "$run/synth2500.h5" "gated dense"
