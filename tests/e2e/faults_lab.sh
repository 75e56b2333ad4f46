# shellcheck shell=bash
# Helpers for the fault and security tests (faults_*.sh, security_*.sh).
# Source after lab.sh and call after lab_init:
#
#   allowq ARGS...          tests/e2e/allowq.py on `xdpguard allow list --json`
#   allow_snapshot          the allow list as "PREFIX RULE SOURCES" lines (no counters),
#                           for before/after compares
#   xg_nobody ARGS...       xdpguard as uid/gid 65534 (nobody), no groups
#   xg_nobody_capture ARGS  the same, keeping XG_RC, XG_OUT and XG_ERR
#   prog_alive ID           0 if the kernel still has BPF program ID
#   links_of_prog ID        how many bpf links run program ID
#   cidr_file PATH SPEC...  writes an allowlist file (see below)
#   tcp_connects ROLE H P   0 if a TCP handshake from the role's namespace completes
#   faults_require TOOL...  skip (exit 77) when a tool is missing
#   faults_remove_on_exit P removes an extra bpffs path of this lab on exit
#   faults_show TEXT        TEXT indented, for the log
#
# It also replaces lab_diagnostics with one that cuts the allow list short.

FAULTS_NOBODY=65534

allowq() {
    xg allow list --json | "$LAB_PYTHON" "$LAB_DIR/allowq.py" "$@"
}

# The allow list's prefixes, rule ids and sources: what a failed command must
# leave as it was (the counters may move under traffic).
allow_snapshot() {
    xg allow list --json | "$LAB_PYTHON" -c '
import json, sys
for row in json.load(sys.stdin):
    print(row["prefix"], row["rule"], row["sources"])'
}

xg_nobody() {
    timeout -k 5 30 nsenter --net="/run/netns/$LAB_NS_SRV" -- \
        setpriv --reuid="$FAULTS_NOBODY" --regid="$FAULTS_NOBODY" --clear-groups -- "$XDPGUARD" "$@"
}

# shellcheck disable=SC2034 # XG_* are read by the tests
xg_nobody_capture() {
    XG_OUT=$(xg_nobody "$@" 2>"$LAB_TMP/xg.stderr")
    XG_RC=$?
    XG_ERR=$(<"$LAB_TMP/xg.stderr")
}

prog_alive() { bpftool prog show id "$1" >/dev/null 2>&1; }

links_of_prog() {
    bpftool -j link show | "$LAB_PYTHON" -c '
import json, sys
print(sum(1 for link in json.load(sys.stdin) if str(link.get("prog_id")) == sys.argv[1]))' "$1"
}

# cidr_file PATH SPEC...: one prefix a line. A SPEC is a CIDR, or
# v6/48:FIRST-LAST for the /48s 2001:db8:X::/48 with X = 0x8000 + FIRST ..
# 0x8000 + LAST (documentation space, clear of the lab's own addresses), or
# v4/32:FIRST-LAST for the hosts 203.0.113.FIRST .. 203.0.113.LAST.
cidr_file() {
    local path=$1
    shift
    "$LAB_PYTHON" - "$@" >"$path" <<'EOF'
import sys
for spec in sys.argv[1:]:
    kind, _, span = spec.partition(":")
    if kind not in ("v6/48", "v4/32"):
        print(spec)
        continue
    first, last = (int(n) for n in span.split("-"))
    for i in range(first, last + 1):
        print(f"2001:db8:{0x8000 + i:x}::/48" if kind == "v6/48" else f"203.0.113.{i}/32")
EOF
}

# faults_require TOOL...: skips the test when a tool it needs is missing.
faults_require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || lab_skip_or_fail "'$tool' is not installed"
    done
}

# lab.sh's diagnostics, with the allow list cut short: these tests fill it
# with thousands of prefixes.
lab_diagnostics() {
    echo "=== diagnostics (lab $LAB_ID, pin dir $LAB_PIN_DIR)"
    xg status 2>&1 | sed 's/^/    /'
    xg allow list 2>&1 | head -n 20 | sed 's/^/    /'
    lab_in server ip -d link show 2>&1 | grep -E '^[0-9]+:|xdp' | sed 's/^/    /'
}

# tcp_connects ROLE HOST PORT: 0 if a TCP handshake from the role's namespace
# completes within 2 s (no banner awaited, unlike lab_connect).
tcp_connects() {
    timeout -k 2 5 nsenter --net="/run/netns/$(lab_ns "$1")" -- "$LAB_PYTHON" -c '
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()' "$2" "$3" 2>/dev/null
}

# faults_remove_on_exit PATH: removes PATH (a bpffs path named after the lab,
# /sys/fs/bpf/*-LAB_ID-*) on exit, before the lab's own cleanup; for pin dirs
# that cannot live inside LAB_PIN_DIR.
FAULTS_EXTRA_PATHS=()
faults_remove_on_exit() {
    [[ $1 == /sys/fs/bpf/*-"$LAB_ID"-* ]] || lab_die "faults_remove_on_exit: '$1' is not this lab's"
    [[ ${#FAULTS_EXTRA_PATHS[@]} -gt 0 ]] || trap faults_cleanup EXIT
    FAULTS_EXTRA_PATHS+=("$1")
}

faults_cleanup() {
    local rc=$? path
    for path in "${FAULTS_EXTRA_PATHS[@]}"; do
        [[ ! -e $path ]] || rm -rf -- "$path" || echo "warning: could not remove $path" >&2
    done
    (exit "$rc")
    lab_cleanup
}

# faults_show TEXT: TEXT indented under the current check, for the log.
faults_show() {
    local line
    while IFS= read -r line; do echo "      $line"; done <<<"$1"
}
