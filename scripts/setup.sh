#!/usr/bin/env bash
# Install the Debian packages xrdsym needs (only those missing) and build it; the CLI lands at build/xrdsym.
#   scripts/setup.sh          runtime and build dependencies
#   scripts/setup.sh --test   also the packages the tests compare against (pymatgen, PyTorch, h5py, xylib)
set -euo pipefail
cd "$(dirname "$0")/.."

# python3 (standard library only) turns the shared AFLOW prototypes into POSCAR files (scripts/real_structures.sh)
build_pkgs=(build-essential cmake pkg-config libcif-dev libsymspg-dev libopenblas-dev libhdf5-dev zlib1g-dev libzip-dev python3)
test_pkgs=(python3 python3-numpy python3-pymatgen python3-torch python3-h5py libxy-dev)
want=("${build_pkgs[@]}")
[ "${1:-}" = "--test" ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" -- --no-print-directory >/dev/null || cmake --build build -j1
echo "setup: built build/xrdsym"
