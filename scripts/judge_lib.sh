# Sourced by scripts/judge_candidate.sh and the pilot scripts: one model's outputs on the sets every comparison of
# README uses, as evaluate --outputs tables for tools/compare_outputs.py.
#   pilot_sets RUN_DIR: what a pilot is trained and judged on, made where missing: RUN_DIR/table1 (the real
#     structures and RRUFF, scripts/real_structures.sh) and RUN_DIR/synth2500.h5 (the rebuild script's crystals).
#   judge_tables MODEL PREFIX TABLE1_DIR SYNTH.h5 [EVALUATE_OPTIONS...]
# writes PREFIX-rruff.tsv (the 332 measured RRUFF patterns with the prior of real materials), PREFIX-spglib.tsv and
# PREFIX-aflow.tsv (the simulated structures, groups equally likely), PREFIX-real.tsv (those two as one table),
# PREFIX-synth.tsv (SYNTH.h5's test split, groups equally likely, seed 1, with the options given, e.g.
# --limit 20000), and their JSON reports. TABLE1_DIR is what scripts/real_structures.sh made. A table newer than
# its model is kept, so a stopped comparison resumes.
pilot_sets() {
  mkdir -p "$1"
  scripts/real_structures.sh "$1"
  [ -f "$1/synth2500.h5" ] || build/xrdsym dataset synth --per-group 2500 --seed 2027 --out "$1/synth2500.h5"
}
judge_fresh() { [ -s "$1" ] && [ "$1" -nt "$2" ]; }
judge_tables() {
  local m="$1" p="$2" t="$3" synth="$4" s
  shift 4
  judge_fresh "$p-rruff.tsv" "$m" || build/xrdsym evaluate --model "$m" --prior mp --patterns "$t/rruff.tsv" \
    --json "$p-rruff.json" --outputs "$p-rruff.tsv" > /dev/null
  for s in spglib aflow; do
    judge_fresh "$p-$s.tsv" "$m" || build/xrdsym evaluate --model "$m" --prior uniform --data "$t/$s.h5" --split test \
      --json "$p-$s.json" --outputs "$p-$s.tsv" > /dev/null
  done
  # one table of the 665 simulated structures: the second file's rows without its header
  { cat "$p-spglib.tsv"; tail -n +2 "$p-aflow.tsv"; } > "$p-real.tsv"
  judge_fresh "$p-synth.tsv" "$m" || build/xrdsym evaluate --model "$m" --prior uniform --data "$synth" --split test \
    --seed 1 "$@" --json "$p-synth.json" --outputs "$p-synth.tsv" > /dev/null
}

# judge_pair DIR NEW OLD TABLE1_DIR SYNTH.h5 LABEL: DIR/NEW.h5 and DIR/OLD.h5 judged as above (20,000 synthetic
# test crystals), then NEW against OLD on every set, one line each (tools/compare_outputs.py).
judge_pair() {
  local d="$1" new="$2" old="$3" t="$4" synth="$5" label="$6" arm s
  for arm in "$old" "$new"; do
    judge_tables "$d/$arm.h5" "$d/$arm" "$t" "$synth" --limit 20000
  done
  for s in rruff real synth; do
    echo "== $s, $label ($new first): $(python3 tools/compare_outputs.py "$d/$new-$s.tsv" "$d/$old-$s.tsv")"
  done
}
