#!/usr/bin/env bash
# The GPU experiment of README's "Where this stands", as one call on the lent GPU machine (the `device` tool;
# CI never runs it). It needs .gpu/ as tools/gpu/prepare.sh fills it (named in the call's `carry`). It
# generates the dense pilots' crystals again (`dataset synth --per-group 2500 --seed 2027`: the file does not
# depend on the thread count; 134 s on the H200 machine's 16 cores; a machine still warm from a call before
# keeps them in /tmp and they are reused), renders the test sets as `xrdsym evaluate` does, trains
# tools/gpu/train_torch.py (arguments after the script's name go to it) until XS_GPU_SECONDS after the start,
# less the evaluation, and leaves the probabilities and logs in $OUT for tools/gpu/compare_gpu.py.
#     XS_GPU_SECONDS=560 tools/gpu/device_run.sh --seed 1     (through the device tool, timeout 600 s)
set -uo pipefail
start=$(date +%s)
deadline=$((start + ${XS_GPU_SECONDS:-560}))
OUT=${OUT:-/tmp/xs-gpu-out}
G=.gpu
W=/tmp/xs-gpu
mkdir -p "$W" "$OUT"
python3 -c "import tarfile; tarfile.open('$G/libs.tar.xz').extractall('$W')" || exit 1
export LD_LIBRARY_PATH=$W/libpack
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>&1 | tee "$OUT/device.txt"
echo "cpus $(nproc)" | tee -a "$OUT/device.txt"
threads=$(nproc)
AUG="fwhm 0.04..0.21 noise 0.002..0.02 background p 0.5 total 0.1 zero_shift 0.05 kalpha2 0 growth 1 noise_scale 8"
[ -f "$W/base.h5" ] || "$G/xrdsym" dataset synth --per-group "${PER_GROUP:-2500}" --seed 2027 --threads "$threads" --quiet \
  --prior "$G/mp_wyckoff_occupation_counts.csv" --out "$W/base.h5" > "$OUT/synth.log" 2>&1 \
  || { echo "dataset synth failed:"; tail -5 "$OUT/synth.log"; exit 1; }
echo "dataset synth done $(( $(date +%s) - start )) s after the start"
python3 -c "
import h5py; f = h5py.File('$W/base.h5', 'r')
print('crystals', f['crystals/space_group'].shape[0], 'peaks', f['peaks/two_theta'].shape[0], 'generator', f.attrs['generator'])" \
  | tee -a "$OUT/device.txt"
"$G/render_stream" fixed "$W/base.h5" test 20000 "$AUG" 1 "$W/synthetic.bin" &
"$G/render_stream" fixed "$G/spglib.h5" test 0 "$AUG" 0 "$W/spglib.bin" || exit 1
"$G/render_stream" fixed "$G/aflow.h5" test 0 "$AUG" 0 "$W/aflow.bin" || exit 1
wait $! || exit 1
echo "test sets rendered $(( $(date +%s) - start )) s after the start"
python3 tools/gpu/train_torch.py --data "$W/base.h5" --render "$G/render_stream" --aug "$AUG" \
  --eval synthetic="$W/synthetic.bin" --eval spglib="$W/spglib.bin" --eval aflow="$W/aflow.bin" \
  --eval rruff="$G/rruff.bin" --out "$OUT" --deadline "$deadline" --seconds 100000 \
  --shards $((threads > 3 ? threads - 2 : 1)) "$@" 2>&1 | tee "$OUT/train.log"
