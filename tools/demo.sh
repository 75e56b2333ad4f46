#!/usr/bin/env bash
# A guided demo of xdpguard on one machine, in one command (as root, on
# Debian 12): installs the build dependencies (tools/setup.sh), builds into
# build/ (or $BUILD_DIR), stages the end-to-end lab of tests/e2e/lab.sh — a
# mail server, its filtering gateway and a spammer in three network
# namespaces — and walks through monitor mode, enforce mode, status and the
# allowlist. Everything it creates is removed on exit. Exit status 0 only if
# every expectation held.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

BUILD_DIR=${BUILD_DIR:-build}

if [[ $EUID -ne 0 ]]; then
    echo "demo: run as root (it creates network namespaces and attaches XDP programs)" >&2
    exit 1
fi

if [[ -x tools/setup.sh ]]; then
    timeout 1200 tools/setup.sh || { echo "demo: tools/setup.sh failed" >&2; exit 1; }
fi
echo "demo: building into $BUILD_DIR/"
if ! timeout 600 cmake -S . -B "$BUILD_DIR" >/dev/null ||
    ! timeout 1800 cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null; then
    echo "demo: the build failed (run: cmake --build $BUILD_DIR)" >&2
    exit 1
fi

# Root is checked above: a missing prerequisite is a failure here, not a skip.
export XDPGUARD_REQUIRE_BPF=1
LAB_DEADLINE=150
# shellcheck source=SCRIPTDIR/../tests/e2e/lab.sh
source tests/e2e/lab.sh
lab_init "$BUILD_DIR/userspace/xdpguard" xg-demo

if [[ -t 1 ]]; then BOLD=$'\e[1m' PLAIN=$'\e[0m'; else BOLD='' PLAIN=''; fi

demo_say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }

# demo_xg ARGS...: shows and runs an xdpguard command; fails the demo if it fails.
demo_xg() {
    echo "# xdpguard $*"
    xg_capture "$@"
    [[ -z $XG_OUT ]] || sed 's/^/  /' <<<"$XG_OUT"
    [[ -z $XG_ERR ]] || sed 's/^/  /' <<<"$XG_ERR"
    if [[ $XG_RC -ne 0 ]]; then lab_fail "xdpguard $* exited $XG_RC"; fi
}

# demo_connect ROLE SOURCE ADDR PORT connects|blocked
demo_connect() {
    local role=$1 source=$2 addr=$3 port=$4 expected=$5 banner outcome
    printf '  %-8s %-14s -> [%s]:%s  ' "$role" "$source" "$addr" "$port"
    if banner=$(lab_connect "$role" "$addr" "$port" 2>/dev/null); then
        outcome=connects
        echo "${banner%%$'\r'*}"
    else
        outcome=blocked
        echo "no answer within ${LAB_CONNECT_TIMEOUT}s (SYN dropped)"
    fi
    if [[ $outcome == "$expected" ]]; then
        LAB_PASSED=$((LAB_PASSED + 1))
    else
        lab_fail "$role -> [$addr]:$port: expected it to be $expected"
    fi
}

demo_all_connect() {
    demo_connect gateway "$LAB_GW4" "$LAB_SRV_GW4" 25 connects
    demo_connect gateway "$LAB_GW6" "$LAB_SRV_GW6" 25 connects
    demo_connect spammer "$LAB_SP4" "$LAB_SRV_SP4" 25 "$1"
    demo_connect spammer "$LAB_SP6" "$LAB_SRV_SP6" 25 "$1"
}

demo_say "The lab"
lab_up
cat <<EOF
  A mail server accepts SMTP on port 25 only from its filtering gateway.
    gateway  $LAB_GW4, $LAB_GW6   --$LAB_IF_SRV_GW--> server
    spammer  $LAB_SP4, $LAB_SP6  --$LAB_IF_SRV_SP--> server
  xdpguard runs in the server's namespace with pin dir $LAB_PIN_DIR.
EOF

demo_say "Allowlist the gateway's prefixes"
demo_xg allow add "$LAB_GW_NET4" "$LAB_GW_NET6"

demo_say "Attach to both server interfaces in monitor mode: nothing is dropped yet"
demo_xg attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --monitor
demo_all_connect connects
demo_xg status
lab_check_gt "the spammer counts as would-drop (IPv4)" "$(lab_counter denied_ipv4 monitored)" 0
lab_check_gt "the spammer counts as would-drop (IPv6)" "$(lab_counter denied_ipv6 monitored)" 0
lab_check_contains "status says 'would drop'" "$XG_OUT" "would drop"

demo_say "Only the spammer would have been dropped: switch to enforce"
demo_xg mode enforce
demo_all_connect blocked
lab_check "the spammer's port 80 is not filtered" lab_connect spammer "$LAB_SRV_SP4" 80

demo_say "What the filter saw"
demo_xg status
lab_check_gt "the spammer's SYNs were dropped (IPv4)" "$(lab_counter denied_ipv4 dropped)" 0
lab_check_gt "the spammer's SYNs were dropped (IPv6)" "$(lab_counter denied_ipv6 dropped)" 0
demo_xg allow list
lab_check_gt "$LAB_GW_NET4 counted the gateway's SYNs" "$(lab_allowed_syns "$LAB_GW_NET4")" 1

demo_say "Clean up"
demo_xg detach --all --purge
lab_check_fails "the pin dir is gone" test -e "$LAB_PIN_DIR"
echo "  (the namespaces go when the demo exits)"

demo_say "Summary"
lab_finish
