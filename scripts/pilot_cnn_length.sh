#!/usr/bin/env bash
# The CNN training-length pilot (README, "Is the CNN member undertrained?"): the rebuild script's CNN recipe
# (specification, augmentation, realism options, seed 3) trained 4 epochs as the script trains it (C4), then
# C4 trained 4 more epochs with Adam afresh at 5e-4 along a cosine to 2e-5, seed 33 (C8), both threads, on the
# rebuild script's crystals. Both judged alone, sample by sample: RRUFF with the prior, the simulated spglib and
# AFLOW structures and 20,000 synthetic test crystals (groups equally likely). Then each fine-tuned 2 epochs as
# the script fine-tunes the CNN (one core each, side by side) and averaged with the shipped dense member
# (models/default.h5's first), the two pairs judged the same way. About 11 min for the crystals, 45 min an arm,
# 46 min for the fine-tuning here; a file already made is kept (so a stopped run resumes, and train itself
# resumes from its checkpoint).
#   scripts/pilot_cnn_length.sh RUN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
run="$1"
x=build/xrdsym
t="$run/table1"
source scripts/recipe.sh
source scripts/judge_lib.sh
pilot_sets "$run"
COMMON=(--data "$run/synth2500.h5" --task space-group --loss cce --lr-cosine --batch 128 --threads 2 $AUG $REALISM)
[ -f "$run/C4.h5" ] || $x train "${COMMON[@]}" --arch "$CNN" --epochs 4 --seed 3 --out "$run/C4.h5" > "$run/C4.log" 2>&1
[ -f "$run/C8.h5" ] || $x train "${COMMON[@]}" --lr 0.0005 --lr-final 0.04 --init "$run/C4.h5" --epochs 4 --seed 33 \
  --out "$run/C8.h5" > "$run/C8.log" 2>&1
FT=(--data "$run/synth2500.h5" --task space-group --loss cce --lr 0.0002 --lr-cosine --lr-final 0.1 --batch 128
  --threads 1 --sample-prior 1 --mix "$t/cod-inorganic.h5" 0.1 --epochs 2 --seed 14 $AUG $REALISM)
pids=()
for arm in C4 C8; do
  [ -f "$run/$arm-mix.h5" ] || { $x train "${FT[@]}" --init "$run/$arm.h5" --out "$run/$arm-mix.h5" > "$run/$arm-mix.log" 2>&1 &
    pids+=($!); }
done
for q in "${pids[@]}"; do wait "$q"; done
py=python3
python3 -c 'import h5py' 2> /dev/null || py=/usr/bin/python3
# the shipped dense member alone, to pair with each fine-tuned CNN
[ -f "$run/shippedA.h5" ] || $py - "$run/shippedA.h5" <<'PY'
import sys
import h5py
with h5py.File("models/default.h5", "r") as src, h5py.File(sys.argv[1] + ".tmp", "w") as dst:
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    dst.attrs["members"] = 1
    src.copy("member_0", dst, name="member_0")
PY
[ -f "$run/shippedA.h5" ] || mv "$run/shippedA.h5.tmp" "$run/shippedA.h5"
for arm in C4 C8; do
  [ -f "$run/pair-$arm.h5" ] || $x ensemble "$run/shippedA.h5" "$run/$arm-mix.h5" --out "$run/pair-$arm.h5" --half
done
for arm in C4 C8 pair-C4 pair-C8; do
  judge_tables "$run/$arm.h5" "$run/$arm" "$t" "$run/synth2500.h5" --limit 20000
done
for s in rruff real synth; do
  echo "== $s, the CNNs alone (C8 first): $($py tools/compare_outputs.py "$run/C8-$s.tsv" "$run/C4-$s.tsv")"
  echo "== $s, the fine-tuned pairs (C8 first): $($py tools/compare_outputs.py "$run/pair-C8-$s.tsv" "$run/pair-C4-$s.tsv")"
done
