#!/usr/bin/env bash
# Clone the committed HEAD into a temporary folder, build it there and run its tests: what CI will see,
# without the uncommitted files of this working tree. Usage: scripts/check_clean_clone.sh [ctest -R regex]
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d /tmp/xrdsym-clean.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
git clone -q "$src" "$tmp/xrdsym"
cd "$tmp/xrdsym"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DXS_SHARED_DATA="$src/../shared/data" >/dev/null
cmake --build build -j2 -- --no-print-directory >/dev/null 2>build.log || { tail -40 build.log; exit 1; }
cd build && ctest --output-on-failure -j2 ${1:+-R "$1"}
