#!/bin/bash
# e2e: upgrading xdpguard under a running filter. The daemon runs with this
# build's program while the gateway connects without pause; it is stopped
# and started again as a rebuilt xdpguard whose program differs in its
# bytecode (xdpguard_isa_v3). Each interface's pinned bpf_link is updated in
# place: same link id, new program id and tag; the maps, the allowlist and
# every counter carry over, no gateway connection fails, and the new
# program drops the spammer and counts into the same counters. Then the
# same upgrade back.
#
#   daemon_upgrade.sh XDPGUARD XDPGUARD_REBUILT
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD XDPGUARD_REBUILT}"
REBUILT=$(realpath "${2:?usage: $0 XDPGUARD XDPGUARD_REBUILT}") || lab_die "no rebuilt xdpguard at '$2'"
BUILT=$XDPGUARD
BPFTOOL=${BPFTOOL:-/usr/sbin/bpftool}
[[ -x $BPFTOOL ]] || lab_skip_or_fail "'$BPFTOOL' is not installed (Debian package bpftool)"
lab_up

DAEMON_CONFIG=$LAB_TMP/xdpguard.toml
{
    daemon_config_head ""
    cat <<EOF
[sources]
prefixes = ["$LAB_GW_NET4", "$LAB_GW_NET6"]
EOF
} >"$DAEMON_CONFIG"

# link_field IFACE FIELD: id or prog_id of the interface's pinned bpf_link.
link_field() {
    "$BPFTOOL" -j link show pinned "$LAB_PIN_DIR/link_$1" | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" "$2"
}
# prog_tag ID: the tag of the program with this id.
prog_tag() { "$BPFTOOL" -j prog show id "$1" | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" tag; }

# upgrade_to BINARY NAME: restarts the daemon as BINARY while the gateway
# connects without pause, and checks the links and counters.
upgrade_to() {
    local binary=$1 name=$2 iface tag_before allowed_before dropped_before list_before
    local stop=$LAB_TMP/loop-$name.stop started=$LAB_TMP/loop-$name.started report=$LAB_TMP/loop-$name.report
    declare -A link_before prog_before
    for iface in "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"; do
        link_before[$iface]=$(link_field "$iface" id)
        prog_before[$iface]=$(link_field "$iface" prog_id)
    done
    tag_before=$(prog_tag "${prog_before[$LAB_IF_SRV_GW]}")
    allowed_before=$(lab_allowed_syns "$LAB_GW_NET4")
    dropped_before=$(lab_counter denied_ipv4 dropped)
    list_before=$(xg allow list --json | "$LAB_PYTHON" -c '
import json, sys
print(sorted((row["prefix"], row["rule"], row["sources"]) for row in json.load(sys.stdin)))')

    lab_in_background gateway "$LAB_PYTHON" "$LAB_DIR/connect_loop.py" "$LAB_SRV_GW4,$LAB_SRV_GW6" 25 \
        "$stop" "$started" "$report" 5000 30
    local loop_pid=$LAB_BG_PID
    lab_check "the gateway's connection loop is running" lab_wait_file "$started" 5
    daemon_stop
    lab_check_eq "the old daemon exits 0" "$DAEMON_RC" 0
    XDPGUARD=$binary
    daemon_check_start "xdpguard run ($name) becomes ready"
    XDPGUARD=$BUILT
    sleep 0.5
    touch "$stop"
    wait "$loop_pid"
    local loop_why loop_attempts loop_ok loop_failures
    read -r loop_why loop_attempts loop_ok loop_failures <"$report"
    echo "      connection loop: $loop_attempts attempts, $loop_ok ok, $loop_failures failed, ended: $loop_why"
    lab_check_eq "the loop ran across the upgrade (no bound reached)" "$loop_why" stopped
    lab_check_eq "no gateway connection failed" "$loop_failures" 0
    [[ $loop_failures == 0 ]] || sed -n '2,$p' "$report"

    local log tag_after
    log=$(<"$DAEMON_LOG.err")
    for iface in "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"; do
        lab_check_contains "$iface: the log says upgraded in place" "$log" \
            "$iface: program upgraded in place (bpf_link update)"
        lab_check_eq "$iface: the same bpf_link (id ${link_before[$iface]})" \
            "$(link_field "$iface" id)" "${link_before[$iface]}"
        lab_check_fails "$iface: a new program (was id ${prog_before[$iface]})" \
            test "$(link_field "$iface" prog_id)" = "${prog_before[$iface]}"
        lab_check_eq "$iface: the XDP hook runs the link's program" \
            "$(lab_xdp_prog_id "$iface")" "$(link_field "$iface" prog_id)"
    done
    tag_after=$(prog_tag "$(link_field "$LAB_IF_SRV_GW" prog_id)")
    echo "      program tag $tag_before -> $tag_after"
    lab_check_fails "the program tag changed" test "$tag_after" = "$tag_before"
    lab_check_eq "the allowlist is the same (prefixes, rule ids, sources)" "$(xg allow list --json |
        "$LAB_PYTHON" -c '
import json, sys
print(sorted((row["prefix"], row["rule"], row["sources"]) for row in json.load(sys.stdin)))')" "$list_before"
    lab_check "allowed SYNs of $LAB_GW_NET4 kept counting ($allowed_before + the loop's)" \
        test "$(lab_allowed_syns "$LAB_GW_NET4")" -ge $((allowed_before + loop_ok / 2))
    lab_check_eq "denied_ipv4 dropped was not reset" "$(lab_counter denied_ipv4 dropped)" "$dropped_before"
    lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out under the new program" \
        lab_connect spammer "$LAB_SRV_SP4" 25 1
    lab_check_gt "the new program counts into the same counter" \
        "$(lab_counter denied_ipv4 dropped)" "$dropped_before"
}

lab_step "xdpguard run with this build's program"
daemon_check_start "xdpguard run becomes ready"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_step "restarted as the rebuilt xdpguard while the gateway connects"
upgrade_to "$REBUILT" rebuilt

lab_step "and back to this build"
upgrade_to "$BUILT" built

daemon_stop
lab_check_eq "the daemon exits 0" "$DAEMON_RC" 0
daemon_finish
