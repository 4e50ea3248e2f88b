#!/usr/bin/env bash
# The real structures of the shared data as peak-list datasets, in RUN_DIR/table1/ (made once, kept):
#   spglib.h5   spglib's test structures (not the virtual or distorted ones), all in the test split
#   aflow.h5    the 288 AFLOW prototypes, all in the test split
#   rruff.tsv   the 332 measured RRUFF patterns, unpacked
#   iucr/       the 15 IUCr Rietveld CIFs: measured profiles (Cu, Mo, synchrotron), each with its refined
#               structure, whose space group is the label (xs_cif_read_powder)
#   ssrl/       the 15 SSRL synchrotron .xy patterns, ssrl-labels.csv their crystal systems and wavelengths
#   cod-inorganic.h5  training crystals: the inorganic structures among the COD's 1,470 real-world CIFs
#               (carbon with hydrogen left out), without any of the space group and elements of a spglib or
#               AFLOW structure, so that those two test sets stay apart from training; all in the training split
#   cod-relatives.h5  with --relatives [N]: the same structures, each with N relatives (default 20; seed 1): its
#               cell strained within its point group, elements swapped for chemical neighbours with probability
#               0.5 (docs/synth.md; README, "Relatives of the real structures"); about 4 min on one core for 20
# Used by scripts/table1.sh, scripts/train_default_model.sh and scripts/pilot_relatives.sh.
#   scripts/real_structures.sh [RUN_DIR] [--relatives [N]]    (default runs/; needs build/xrdsym and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-runs}"
relatives=0
if [ "${2:-}" = --relatives ]; then
  relatives="${3:-20}"
  [[ "$relatives" =~ ^[1-9][0-9]*$ ]] || { echo "real_structures: --relatives wants a count of at least 1, not '$relatives'" >&2; exit 2; }
elif [ $# -gt 1 ]; then
  echo "real_structures: unknown argument '$2' (usage: scripts/real_structures.sh [RUN_DIR] [--relatives [N]])" >&2
  exit 2
fi
shared="${XS_SHARED_DATA:-$PWD/../shared/data}"
x=build/xrdsym
t="$run/table1"
mkdir -p "$t"
export LC_ALL=C # the file lists are sorted, and the datasets' order with them

if [ ! -f "$t/spglib.h5" ]; then
  mkdir -p "$t/spglib"
  tar -xzf "$shared/structures/spglib-test-structures.tar.gz" -C "$t/spglib"
  find "$t/spglib" -name 'POSCAR-*' ! -path '*virtual*' ! -path '*distorted*' | sort > "$t/spglib.list"
  # files without species cannot be simulated; dataset structures reports and skips them
  $x dataset structures $(cat "$t/spglib.list") --out "$t/spglib.h5" --val 0 --test 1 --quiet 2> "$t/spglib.log" || true
  echo "spglib structures: $(grep -c "names no species" "$t/spglib.log") files without species skipped (see $t/spglib.log)" >&2
fi
if [ ! -f "$t/aflow.h5" ]; then
  python3 tools/aflow_to_poscar.py "$shared/structures/aflow-prototypes.json.gz" "$t/aflow" >/dev/null
  $x dataset structures "$t"/aflow/*.vasp --out "$t/aflow.h5" --val 0 --test 1 --quiet
fi
[ -f "$t/rruff.tsv" ] || gzip -dc "$shared/experimental/rruff-dev.tsv.gz" > "$t/rruff.tsv"
if [ ! -d "$t/iucr" ]; then
  mkdir -p "$t/iucr.tmp"
  tar -xzf "$shared/structures/iucr-rietveld-cifs.tar.gz" -C "$t/iucr.tmp"
  mv "$t/iucr.tmp/cif_files" "$t/iucr" && rmdir "$t/iucr.tmp"
fi
if [ ! -f "$t/ssrl-labels.csv" ]; then
  mkdir -p "$t/ssrl.tmp"
  tar -xzf "$shared/experimental/ssrl-synchrotron-xy.tar.gz" -C "$t/ssrl.tmp"
  rm -rf "$t/ssrl" && mv "$t/ssrl.tmp/XYdata" "$t/ssrl" && rmdir "$t/ssrl.tmp"
  cp "$shared/experimental/ssrl-synchrotron-labels.csv" "$t/ssrl-labels.csv"
fi
# the COD's inorganic structures, none of a spglib or AFLOW structure's group and elements, all for training:
# the same filters for the structures and their relatives
cod_structures() {
  $x dataset structures $(cat "$t/cod.list") --inorganic --exclude-like "$t/spglib.h5" --exclude-like "$t/aflow.h5" \
    --val 0 --test 0 --quiet "$@"
}
if [ ! -f "$t/cod-inorganic.h5" ]; then
  mkdir -p "$t/cod"
  tar -xzf "$shared/structures/cod-tools-test-cifs.tar.gz" -C "$t/cod"
  find "$t/cod" -name '*.cif' | sort > "$t/cod.list"
  # many of these files are broken on purpose (they test a CIF parser): reported in cod.log and skipped
  cod_structures --out "$t/cod-inorganic.h5" 2> "$t/cod.log" || true
  [ -f "$t/cod-inorganic.h5" ] || { echo "real_structures: $t/cod-inorganic.h5 not written, see $t/cod.log" >&2; exit 1; }
  tail -2 "$t/cod.log" >&2
fi
if [ "$relatives" -gt 0 ] && [ ! -f "$t/cod-relatives.h5" ]; then
  cod_structures --variants "$relatives" --seed 1 --out "$t/cod-relatives.h5" 2> "$t/cod-relatives.log" || true
  [ -f "$t/cod-relatives.h5" ] || { echo "real_structures: $t/cod-relatives.h5 not written, see $t/cod-relatives.log" >&2; exit 1; }
fi
