#!/usr/bin/env bash
# Usage: tools/fuzz.sh [SECONDS]
#
# Builds the libFuzzer targets of tests/fuzz (clang, -fsanitize=fuzzer,
# address,undefined) in build-fuzz/ and fuzzes each for SECONDS (default 30),
# starting from a copy of its seed corpus tests/fuzz/corpus/NAME/ (and with
# the dictionary tests/fuzz/NAME.dict if there is one): inputs the
# fuzzer finds go to a temporary directory, never into the repository.
# Prints one line per target (seconds it ran, runs, coverage, corpus growth:
# inputs kept of the seeds it started from) and exits 1 if
# any target crashed, leaked, hung or broke one of its properties; the input
# is kept in build-fuzz/artifacts/NAME/ with the command that replays it.
# To keep it as a regression, copy it into tests/fuzz/corpus/NAME/.
#
# FUZZ_TARGETS="prefix spf_flatten" limits the run; FUZZ_BUILD_DIR moves it.
# prog_run loads the XDP program and needs root: without it, it is skipped
# (a failure when XDPGUARD_REQUIRE_BPF=1, as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS]  (seconds per target, default 30)" >&2
  exit 2
fi
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
corpus_root=tests/fuzz/corpus
crash_code=99  # libFuzzer's default, 77, is CTest's skip code here

tools/setup.sh >/dev/null
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DXDPGUARD_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target fuzz_targets >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(ls "$corpus_root")
fi

# The value of a libFuzzer "stat::NAME: VALUE" line, or of the last "NAME: VALUE"
# on its final status line (cov, ft, corp).
# Empty if the target never got that far (a crash on a seed).
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }
status_field() { sed -n "/^#[0-9]/s/.* $2: \([^ ]*\).*/\1/p" "$1" | tail -1; }

failed=()
printf '%-15s %8s %10s %9s %6s %6s %12s  %s\n' target seconds runs exec/s cov ft corpus result
for name in "${targets[@]}"; do
  binary=$build_dir/tests/fuzz/fuzz_$name
  if [[ ! -x $binary ]]; then
    echo "fuzz: no target fuzz_$name for $corpus_root/$name" >&2
    failed+=("$name")
    continue
  fi
  corpus=$work/$name
  artifacts=$build_dir/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  cp "$corpus_root/$name"/* "$corpus"/
  seeds=$(find "$corpus" -type f | wc -l)
  log=$work/$name.log
  started=$work/$name.started  # artifacts newer than this are this run's
  touch "$started"
  began=$SECONDS
  dict=()
  [[ -f tests/fuzz/$name.dict ]] && dict=(-dict="tests/fuzz/$name.dict")
  status=0
  timeout --kill-after=10 $((seconds + 60)) "$binary" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -error_exitcode=$crash_code -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" >"$log" 2>&1 || status=$?
  took=$((SECONDS - began))

  if ((status == 77)); then
    printf '%-15s %8s %10s %9s %6s %6s %12s  %s\n' "$name" - - - - - - \
      "skipped: $(grep -m1 SKIP "$log" || echo 'needs root')"
    continue
  fi
  result=ok
  if ((status != 0)); then
    result="FAILED (exit $status)"
    failed+=("$name")
  fi
  corp=$(status_field "$log" corp)
  printf '%-15s %8s %10s %9s %6s %6s %12s  %s\n' "$name" "$took" \
    "$(final_stat "$log" number_of_executed_units)" "$(final_stat "$log" average_exec_per_sec)" \
    "$(status_field "$log" cov)" "$(status_field "$log" ft)" "${corp%%/*} ($seeds seeds)" "$result"
  if ((status != 0)); then
    echo "----- fuzz_$name: end of log" >&2
    grep -v -E '^#[0-9]+' "$log" | tail -40 >&2
    find "$artifacts" -type f -newer "$started" -printf "replay: $binary %p\n" >&2
    echo "-----" >&2
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no crash"
