#!/usr/bin/env bash
# The peak-gate pilot (README, "Does gating the noise between peaks close the gap?"): two dense networks of the
# rebuild script's first member (A: its specification, augmentation, Adam 0.001 along a cosine, batch 128), 8
# epochs, seed 1, one core each, side by side, on the rebuild script's crystals: P0 as A is, P3 with "peaks 3"
# after the high-pass (each run of positive values kept only where its top exceeds 3 sigma of the local
# noise). Judged sample by sample, P3 first: RRUFF with the prior, the simulated spglib and AFLOW structures
# and 20,000 synthetic test crystals (groups equally likely). About 11 min for the crystals (kept if made),
# 26 min for the two networks here; a file already made is kept, and train resumes from its checkpoint.
# With PILOT_CNN=C4.h5 (the CNN length pilot's C4, scripts/pilot_cnn_length.sh), then the rebuild's CNN recipe
# with the gate (C4g: 4 epochs, seed 3, both threads, about 45 min) against that C4, judged the same way.
#   [PILOT_CNN=C4.h5] scripts/pilot_peaks.sh RUN_DIR
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
  --seed 1 $AUG)
pids=()
for arm in P0 P3; do
  spec="$SPEC"
  [ $arm = P3 ] && spec="$(with_gate "$SPEC")"
  [ -f "$run/$arm.h5" ] || { $x train "${COMMON[@]}" --arch "$spec" --out "$run/$arm.h5" > "$run/$arm.log" 2>&1 &
    pids+=($!); }
done
for q in "${pids[@]}"; do wait "$q"; done
judge_pair "$run" P3 P0 "$t" "$run/synth2500.h5" "dense"
# the gate in the CNN (README, "The rule for the gate in the CNN")
if [ -n "${PILOT_CNN:-}" ]; then
  [ -f "$run/C4.h5" ] || cp -p "$PILOT_CNN" "$run/C4.h5"
  [ -f "$run/C4g.h5" ] || $x train --data "$run/synth2500.h5" --task space-group --loss cce --lr-cosine --batch 128 \
    --threads 2 $AUG $REALISM --arch "$(with_gate "$CNN")" --epochs 4 --seed 3 --out "$run/C4g.h5" \
    > "$run/C4g.log" 2>&1
  judge_pair "$run" C4g C4 "$t" "$run/synth2500.h5" "CNN"
fi
