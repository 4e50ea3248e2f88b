#!/usr/bin/env bash
# Fills .gpu/ (ignored by git; name it in the device tool's `carry`) with what tools/gpu/device_run.sh needs on
# the lent GPU machine: the two programs built here, the shared libraries they load (packed with xz, about
# 22 MB; the machine's own libc, libm, libstdc++ and libgcc_s are used), the Materials Project occupation
# counts the synthetic crystals are drawn with, and the test sets of scripts/real_structures.sh.
#     tools/gpu/prepare.sh RUN     (RUN/table1 from scripts/real_structures.sh RUN)
set -euo pipefail
cd "$(dirname "$0")/../.."
run=${1:?usage: tools/gpu/prepare.sh RUN}
shared=${XS_SHARED_DATA:-../shared/data}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
cmake --build build --target xrdsym render_stream > /dev/null
rm -rf .gpu && mkdir -p .gpu/tmp/libpack
ldd build/xrdsym build/render_stream | awk '$3 ~ /^\// {print $3}' | sort -u \
  | grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libresolv)\.so' | xargs -I{} cp -L {} .gpu/tmp/libpack/
(cd .gpu/tmp && tar cf - libpack | xz -T2 -6 > ../libs.tar.xz)
rm -rf .gpu/tmp
cp build/xrdsym build/render_stream .gpu/
cp "$shared/symmetry/mp_wyckoff_occupation_counts.csv" .gpu/
cp "$run/table1/spglib.h5" "$run/table1/aflow.h5" .gpu/
build/render_stream patterns "$run/table1/rruff.tsv" .gpu/rruff.bin
du -sh .gpu
