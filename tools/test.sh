#!/usr/bin/env bash
# Builds xdpguard and runs the whole test suite with CTest.
#
# In CI (CI set; .ci/run is CI's entry), privileged tests must run:
# XDPGUARD_REQUIRE_BPF=1 turns their "skipped: needs root" into a failure.
# CI also runs the sanitized pass (XDPGUARD_SANITIZE_RUN=1, the default
# there; 0 turns it off, 1 turns it on outside CI):
#   - the unit, prog_run and netns (e2e) tiers once more, built with clang,
#     ASan+UBSan in build-asan/; any report fails the run, leaks included;
#   - every fuzz target of tests/fuzz for XDPGUARD_FUZZ_SECONDS each
#     (tools/fuzz.sh, build-fuzz/).
# The normal suite runs last, so that its CTest summary is the last one in
# the log; a table of how long each phase took ends the output, after the
# last lines each failed phase wrote to stderr (a fuzz crash's stack, a
# sanitizer report), so that a log cut to its tail still says why.
#
# BUILD_DIR, ASAN_BUILD_DIR and FUZZ_BUILD_DIR move the build directories;
# arguments are passed to the normal suite's ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
build_dir=${BUILD_DIR:-build}
asan_dir=${ASAN_BUILD_DIR:-build-asan}
sanitize=${XDPGUARD_SANITIZE_RUN:-$([[ -n ${CI:-} ]] && echo 1 || echo 0)}
# Per target: long enough for a regression near the seeds to show (from
# the seed corpus every target's coverage at 20 s was within 1% of 30 s),
# short enough for the 20-minute CI budget: the two netns passes take ~5
# minutes each, and a shared 2-vCPU machine measured 27 minutes in all with
# 20 s a target.
fuzz_seconds=${XDPGUARD_FUZZ_SECONDS:-5}
[[ -n ${CI:-} ]] && export XDPGUARD_REQUIRE_BPF=1

# phase NAME COMMAND...: runs COMMAND and records how long it took and how it
# ended, for the table at the end.
phase_rows=()
failed_phases=()
phase() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "=== $name"
  local errors=$scratch/phase-${#phase_rows[@]}.stderr
  "$@" 2> >(tee "$errors" >&2) || status=$?
  wait $! 2>/dev/null || true # tee has written all of it
  phase_rows+=("$(printf '%-26s %6d s  %s' "$name" $((SECONDS - start)) \
    "$( ((status == 0)) && echo ok || echo "FAILED (exit $status)")")")
  ((status == 0)) || failed_phases+=("$name:$errors")
  return "$status"
}

scratch=$(mktemp -d)
reports=$scratch/reports
mkdir "$reports"
chmod 711 "$scratch" # others reach only reports/
started=$SECONDS
summary() {
  local failed
  for failed in "${failed_phases[@]}"; do
    echo
    echo "=== ${failed%%:*} FAILED; the last of what it wrote to stderr:"
    tail -60 "${failed#*:}"
  done
  echo
  echo "=== phase timings"
  local row
  for row in "${phase_rows[@]}"; do echo "$row"; done
  printf '%-26s %6d s\n' total $((SECONDS - started))
  rm -rf "$scratch"
}
trap summary EXIT

# Sanitizer reports also go to files, so that one from a process whose
# failure a test expects, or whose stderr it swallows, still fails the run.
# World-writable: some tests run the CLI as nobody.
# (tools/fuzz.sh sets its own: libFuzzer wants the report in its log.)
chmod 1777 "$reports"
# Fails if any sanitizer report was written since the last call, printing
# them; they are moved aside so that each phase answers for its own.
no_sanitizer_reports() {
  compgen -G "$reports/*" >/dev/null || return 0
  local report
  for report in "$reports"/*; do
    echo "----- sanitizer report $(basename "$report")" >&2
    cat "$report" >&2
    rm -f "$report"
  done
  return 1
}

# RelWithDebInfo's -O2 without its -g: the tests need no debug info, and the
# build is faster without it (the sanitized build keeps line tables).
build_normal() {
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" >/dev/null
  cmake --build "$build_dir" -j"$jobs"
}

# Everything, the few benchmark files of tools/bench included: a list of
# only the targets the tiers run would miss the next program an e2e test
# adds. clang, because GCC's UBSan ignores log_path next to ASan, and it
# builds this faster.
build_asan() {
  CC=clang CXX=clang++ cmake -S . -B "$asan_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXDPGUARD_SANITIZE=ON >/dev/null
  cmake --build "$asan_dir" -j"$jobs"
}

# The netns tests are RUN_SERIAL; the rest may share the CPUs. The demo
# runs in the normal pass only: its steps are the daemon's, which the
# daemon tests already run sanitized, and it costs a minute under ASan.
ctest_asan() {
  local status=0
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
    ctest --test-dir "$asan_dir" --output-on-failure --timeout 300 -j"$jobs" -L "^$1\$" -LE "^demo\$" ||
    status=$?
  no_sanitizer_reports || status=1
  return "$status"
}

status=0
tools/setup.sh
phase "build" build_normal
if [[ $sanitize == 1 ]]; then
  if phase "asan build" build_asan; then
    for label in unit prog_run netns; do
      phase "asan ctest $label" ctest_asan "$label" || status=1
    done
  else
    status=1
  fi
  phase "fuzz (${fuzz_seconds} s a target)" tools/fuzz.sh "$fuzz_seconds" || status=1
fi
phase "ctest" ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j"$jobs" "$@" ||
  status=1
exit "$status"
