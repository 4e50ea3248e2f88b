#!/usr/bin/env bash
# The relatives pilot (README, "The rule for the relatives pilot"): the shipped dense member fine-tuned 2 more
# epochs as the rebuild script fine-tunes it, with a tenth of every batch from the COD's 294 real structures
# (control) or from those structures and 20 relatives of each (table1/cod-relatives.h5 of scripts/real_structures.sh
# --relatives, as the rebuild script's RELATIVES=1 makes it), seeds 21 and 22,
# one core each, side by side in two rounds; then both arms judged on RRUFF (with the prior), the simulated
# spglib and AFLOW structures and 20,000 synthetic test crystals (groups equally likely).
#   scripts/pilot_relatives.sh RUN_DIR SYNTH.h5    (RUN_DIR holds table1/ of scripts/real_structures.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
run="$1"
synth="$2"
x=build/xrdsym
t="$run/table1"
p="$run/relatives"
mkdir -p "$p"
scripts/real_structures.sh "$run" --relatives 20
source scripts/recipe.sh
source scripts/judge_lib.sh
FT=(--data "$synth" --task space-group --loss cce --lr 0.0002 --lr-cosine --lr-final 0.1 --batch 128 --threads 1
  --sample-prior 1 --epochs 2 --init models/default.h5 $AUG)
for seed in 21 22; do
  pids=()
  [ -f "$p/control-$seed.h5" ] || { $x train "${FT[@]}" --seed $seed --mix "$t/cod-inorganic.h5" 0.1 --out "$p/control-$seed.h5" \
    > "$p/control-$seed.log" 2>&1 & pids+=($!); }
  [ -f "$p/relatives-$seed.h5" ] || { $x train "${FT[@]}" --seed $seed --mix "$t/cod-relatives.h5" 0.1 --out "$p/relatives-$seed.h5" \
    > "$p/relatives-$seed.log" 2>&1 & pids+=($!); }
  for q in "${pids[@]}"; do wait "$q"; done
done
for arm in control relatives; do
  [ -f "$p/$arm.h5" ] || $x ensemble "$p/$arm-21.h5" "$p/$arm-22.h5" --out "$p/$arm.h5"
  judge_tables "$p/$arm.h5" "$p/$arm" "$t" "$synth" --limit 20000
done
