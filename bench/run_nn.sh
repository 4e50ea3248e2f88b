#!/usr/bin/env bash
# Neural-network benchmark: xrdsym (bench/bench_nn.c) against PyTorch (bench/torch_peer.py, Debian's
# python3-torch) on the same machine in the same run, 2 threads each, batch 128, the paper's 8,500-point
# input and 230 classes. For each case the two run back to back, twice, alternating (torch, xrdsym, torch,
# xrdsym), so that load from other processes hits both alike; the table gives the best of the two runs of
# each and the ratio of those, in wall-clock samples/s and in samples per CPU-second. Also measured in the same
# run: OpenBLAS's SGEMM peak on the same threads (the yardstick of the dense network's GFLOP/s) and the peak
# memory of dense training at batch 256.
#
# Usage: bench/run_nn.sh [BUILD_DIR (default build)] [SECONDS per run (default 20)]
# Writes bench/RESULTS-nn.md (atomically) and prints it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
secs="${2:-20}"
xs="$build/bench/bench_nn"
py=/usr/bin/python3
[ -x "$xs" ] || { echo "build first: $xs is missing" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "PyTorch is not installed for $py (apt-get install python3-torch)" >&2; exit 1; }
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
val() { tail -n 1 | cut -d= -f2; }
key() { grep "^$1=" | tail -n 1 | cut -d= -f2; }
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

rows=""
for arch in dense cnn; do
  for mode in train infer; do
    T=(); X=(); TC=(); XC=()
    for round in 1 2; do
      o=$("$py" "$root/bench/torch_peer.py" --arch "$arch" --mode "$mode" --seconds "$secs")
      T+=("$(printf '%s\n' "$o" | key samples_per_s)"); TC+=("$(printf '%s\n' "$o" | key samples_per_cpu_s)")
      o=$("$xs" --arch "$arch" --mode "$mode" --seconds "$secs")
      X+=("$(printf '%s\n' "$o" | key samples_per_s)"); XC+=("$(printf '%s\n' "$o" | key samples_per_cpu_s)")
    done
    t=$(best "${T[@]}"); x=$(best "${X[@]}"); tc=$(best "${TC[@]}"); xc=$(best "${XC[@]}")
    echo "$arch $mode: torch ${T[*]} (per CPU-s ${TC[*]}), xrdsym ${X[*]} (per CPU-s ${XC[*]})" >&2
    rows+="| $arch | $mode | $t | $x | **$(ratio "$x" "$t")** | $tc | $xc | **$(ratio "$xc" "$tc")** | torch ${T[*]}; xrdsym ${X[*]} |"$'\n'
  done
done
# dense training against SGEMM, measured right after one another
s1=$("$xs" --mode sgemm --seconds 5)
d=$("$xs" --arch dense --mode train --seconds "$secs")
s2=$("$xs" --mode sgemm --seconds 5)
peak=$(best "$(printf '%s\n' "$s1" | key gflops)" "$(printf '%s\n' "$s2" | key gflops)")
peakc=$(best "$(printf '%s\n' "$s1" | key gflops_per_cpu_s)" "$(printf '%s\n' "$s2" | key gflops_per_cpu_s)")
gf=$(printf '%s\n' "$d" | key gflops); gfc=$(printf '%s\n' "$d" | key gflops_per_cpu_s)
mem=$("$xs" --arch dense --mode train --batch 256 --seconds 5 | grep -o 'peak_rss_mib=[0-9]*' | cut -d= -f2)
load=$(cut -d' ' -f1-3 /proc/loadavg)

out="$root/bench/RESULTS-nn.md"
tmp="$out.$$.tmp"
{
  echo "# Neural-network benchmark: xrdsym against PyTorch"
  echo
  echo "Produced by \`bench/run_nn.sh $build $secs\` on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end: $load."
  echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)'), OpenBLAS $(basename "$(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0)")."
  echo "Batch 128, 2 threads, 8,500 inputs, 230 classes; training = forward with dropout, backward, Adam step"
  echo "(cross entropy); inference = eval mode. Samples (patterns) per second, best of two alternating runs of"
  echo "${secs} s each; other processes share the machine, so absolute rates vary from run to run, the ratio"
  echo "measured back to back much less."
  echo
  echo "| network | mode | PyTorch samples/s | xrdsym samples/s | ratio | PyTorch per CPU-s | xrdsym per CPU-s | ratio (CPU) | all runs (samples/s) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  printf '%s' "$rows"
  echo
  echo "\"per CPU-s\": samples per second of CPU time of the process (all its threads), best of the two runs: what"
  echo "each would reach per core on otherwise idle cores, so the fairer comparison while others load the machine."
  echo
  echo "- Dense training against OpenBLAS SGEMM (2048^3, 2 threads, measured just before and after it):"
  echo "  wall clock $gf of $peak GFLOP/s ($(awk -v a="$gf" -v b="$peak" 'BEGIN { printf "%.0f", 100 * a / b }')%);"
  echo "  per CPU-second $gfc of $peakc GFLOP ($(awk -v a="$gfc" -v b="$peakc" 'BEGIN { printf "%.0f", 100 * a / b }')%)."
  echo "- Peak resident memory of dense training at batch 256: $mem MiB."
} > "$tmp"
mv "$tmp" "$out"
cat "$out"
