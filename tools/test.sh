#!/usr/bin/env bash
# Builds xdpguard and runs the whole test suite with CTest.
# In CI (CI set), privileged tests must run: XDPGUARD_REQUIRE_BPF=1 turns
# their "skipped: needs root" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

if [[ -n "${CI:-}" ]]; then
  export XDPGUARD_REQUIRE_BPF=1
fi
ctest --test-dir "$build_dir" --output-on-failure --timeout 300 "$@"
