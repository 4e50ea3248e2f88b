#!/usr/bin/env bash
# Does the fine-tuning learn more from more real structures? The dense pair's recipe (scripts/train_default_model.sh
# up to d1e14a7, which trained A and B; the shipped pair now has a CNN in place of B): 4 epochs on the prior, a
# tenth of every batch from real structures, with three larger mixed-in sets instead of the COD's 295 structures:
#   cod-spg    COD + spglib's structures, none like an AFLOW prototype: the AFLOW set stays a test set
#   cod-aflow  COD + the AFLOW prototypes, none like a spglib structure: the spglib set stays a test set
#   cod-all    COD + spglib + AFLOW (only the measured sets stay test sets)
# Each pair is then judged on RRUFF, spglib and AFLOW with either prior (RUN_DIR/more-real/eval-*.json).
# Needs RUN_DIR/synth2500.h5, sgA.h5 and sgB.h5 (scripts/train_default_model.sh of d1e14a7) and RUN_DIR/table1/
# (scripts/real_structures.sh). Measured here: about 15 min a pair (two networks side by side), 45 min in all.
#   scripts/more_real_structures.sh [RUN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-runs}"
x=build/xrdsym
t="$run/table1"
o="$run/more-real"
mkdir -p "$o"
export LC_ALL=C
for f in "$run/synth2500.h5" "$run/sgA.h5" "$run/sgB.h5" "$t/cod.list" "$t/spglib.list" "$t/aflow.h5"; do
  [ -e "$f" ] || { echo "more_real_structures: $f missing (scripts/train_default_model.sh, scripts/real_structures.sh)" >&2; exit 1; }
done
aflow_files=("$t"/aflow/*.vasp)
# the spglib list and the COD list are files written by scripts/real_structures.sh, one path a line
mapfile -t cod < "$t/cod.list"
mapfile -t spg < "$t/spglib.list"
[ -f "$o/cod-spg.h5" ] || $x dataset structures "${cod[@]}" "${spg[@]}" --inorganic --exclude-like "$t/aflow.h5" \
  --val 0 --test 0 --quiet --out "$o/cod-spg.h5" 2> "$o/cod-spg.log" || true
[ -f "$o/cod-aflow.h5" ] || $x dataset structures "${cod[@]}" "${aflow_files[@]}" --inorganic --exclude-like "$t/spglib.h5" \
  --val 0 --test 0 --quiet --out "$o/cod-aflow.h5" 2> "$o/cod-aflow.log" || true
[ -f "$o/cod-all.h5" ] || $x dataset structures "${cod[@]}" "${spg[@]}" "${aflow_files[@]}" --inorganic \
  --val 0 --test 0 --quiet --out "$o/cod-all.h5" 2> "$o/cod-all.log" || true

AUG="--zero-shift 0.05 --width-growth 1 --noise-scale 8"
REALISM="--kalpha2 0.5 --kalpha2-prob 0.5 --jitter 0.4 --impurity 3 0.1"
for set in cod-spg cod-aflow cod-all; do
  [ -f "$o/$set.h5" ] || { echo "more_real_structures: $o/$set.h5 not written, see $o/$set.log" >&2; exit 1; }
  FT=(--data "$run/synth2500.h5" --task space-group --loss cce --epochs 4 --lr 0.0002 --lr-cosine --lr-final 0.1
    --batch 128 --threads 1 --sample-prior 1 --mix "$o/$set.h5" 0.1)
  pids=()
  [ -f "$o/sgA-$set.h5" ] || { $x train "${FT[@]}" --init "$run/sgA.h5" --seed 11 $AUG --out "$o/sgA-$set.h5" > "$o/sgA-$set.log" 2>&1 & pids+=($!); }
  [ -f "$o/sgB-$set.h5" ] || { $x train "${FT[@]}" --init "$run/sgB.h5" --seed 12 $AUG $REALISM --out "$o/sgB-$set.h5" > "$o/sgB-$set.log" 2>&1 & pids+=($!); }
  trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
  for p in "${pids[@]}"; do wait "$p" || { echo "a fine-tuning failed, see $o/sg?-$set.log" >&2; exit 1; }; done
  trap - INT TERM
  [ -f "$o/ens-$set.h5" ] || $x ensemble "$o/sgA-$set.h5" "$o/sgB-$set.h5" --out "$o/ens-$set.h5"
  for prior in uniform mp; do
    $x evaluate --prior $prior --model "$o/ens-$set.h5" --patterns "$t/rruff.tsv" --json "$o/eval-$set-rruff-$prior.json" \
      --outputs "$o/eval-$set-rruff-$prior.tsv" > /dev/null
    for s in spglib aflow; do
      $x evaluate --prior $prior --model "$o/ens-$set.h5" --data "$t/$s.h5" --split test --json "$o/eval-$set-$s-$prior.json" \
        --outputs "$o/eval-$set-$s-$prior.tsv" > /dev/null
    done
  done
  echo "$set: fine-tuned and judged ($o/eval-$set-*.json)"
done
