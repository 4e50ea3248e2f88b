#!/usr/bin/env bash
# Install everything the tests need, build, and run all tests (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
