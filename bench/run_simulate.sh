#!/usr/bin/env bash
# Powder-pattern simulation speed, xrdsym against pymatgen in the same run, one thread each: patterns per
# second on the real spglib test structures and the 288 AFLOW prototypes (the structures of
# tests/test_pymatgen.py), Cu K-alpha, 2theta 5..90 deg, pymatgen's form factors, peaks only and peaks plus a
# profile on the seed paper's grid (5.00..89.99 step 0.01, Gaussian FWHM 0.1 deg). pymatgen takes 0.1-0.4 s a
# pattern, so it is timed on a subset (default 40 structures evenly spaced through each set); xrdsym is timed
# on the whole set and on the same subset, and the ratio is taken on the subset. Time is CPU time of each
# process, so that other jobs on a shared machine do not count. Prints a markdown table.
# usage: bench/run_simulate.sh [--subset N] [--min-time S]
#   XS_BUILD_DIR: build folder with bench/bench_simulate (default build/; built here if missing)
#   XS_SHARED_DATA: the shared data folder (default ../shared/data)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${XS_BUILD_DIR:-$root/build}"
export XS_SHARED_DATA="${XS_SHARED_DATA:-$root/../shared/data}"
subset=40
min_time=2
while [ $# -gt 0 ]; do
  case "$1" in
    --subset) subset="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    *) echo "usage: bench/run_simulate.sh [--subset N] [--min-time S]" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
ff="$XS_SHARED_DATA/scattering/pymatgen_atomic_scattering_params.json"
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_simulate -j2 >/dev/null
# One thread everywhere (numpy's BLAS would otherwise start threads).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp="$(mktemp -d /tmp/xrdsym-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
"$py" "$root/bench/pymatgen_peer.py" prepare "$tmp" --subset "$subset" >&2
for set in spglib aflow; do
  "$build/bench/bench_simulate" --form-factors "$ff" --min-time "$min_time" --label "$set" "@$tmp/$set.list" | tee -a "$tmp/xrdsym.txt" >&2
  "$build/bench/bench_simulate" --form-factors "$ff" --min-time "$min_time" --label "$set-subset" "@$tmp/$set.subset.list" | tee -a "$tmp/xrdsym.txt" >&2
  "$py" "$root/bench/pymatgen_peer.py" time "$tmp/$set.subset.list" --label "$set-subset" | tee -a "$tmp/pymatgen.txt" >&2
done
echo "Machine: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), $(getconf _NPROCESSORS_ONLN) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); xrdsym $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "pymatgen $("$py" -c 'import importlib.metadata as m; print(m.version("pymatgen"))'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
"$py" "$root/bench/pymatgen_peer.py" table "$tmp/xrdsym.txt" "$tmp/pymatgen.txt"
