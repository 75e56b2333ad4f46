#!/bin/bash
# e2e: `xdpguard watch` prints each denied SYN with its time, interface,
# source, source port, destination port and VLAN, as text and as JSON. The
# spammer sends single SYNs from known ports: IPv4, IPv6, and IPv4 in a
# frame tagged with VLAN 100 (written whole to its link: the lab's kernel
# may lack VLAN interfaces); a SYN to an unprotected port and a gateway's
# connection print nothing. Enforcing, the action is "dropped"; in monitor
# mode "monitored".
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect

VLAN=100
LAB_SRV_VLAN4=203.0.113.1 LAB_VLAN4=203.0.113.2
ms_now() { echo $(($(date +%s%N) / 1000000)); }

SERVER_MAC=$(lab_in server ip -o link show dev "$LAB_IF_SRV_SP" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[[ $SERVER_MAC =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || lab_die "no MAC address for $LAB_IF_SRV_SP: '$SERVER_MAC'"

# syn FROM TO PORT SOURCE_PORT [SYN_BURST_ARGS...]: one bare SYN from the spammer.
# shellcheck disable=SC2317 # called through lab_check
syn() {
    lab_in spammer "$LAB_PYTHON" "$LAB_DIR/syn_burst.py" "$1" "$2" "$3" 1 --sport "$4" "${@:5}" >/dev/null
}

# watch_run FORM ACTION [--json]: runs `xdpguard watch`, sends the SYNs, and
# checks the records it printed, normalised by drop_events.py.
watch_run() {
    local form=$1 action=$2 out=$LAB_TMP/watch-$1 pid before after
    shift 2
    lab_in_background server "$XDPGUARD" watch "$@" >"$out.out" 2>"$out.err"
    pid=$LAB_BG_PID
    lab_check "watch${*:+ $*} starts" lab_wait_until 5 grep -q "watching denied SYNs" "$out.err"
    before=$(ms_now)
    lab_check "a SYN to the unprotected port 80" syn "$LAB_SP4" "$LAB_SRV_SP4" 80 40000
    lab_check "gateway -> [$LAB_SRV_GW4]:25 (allowed)" lab_connect gateway "$LAB_SRV_GW4" 25
    lab_check "a SYN from $LAB_SP4:40001" syn "$LAB_SP4" "$LAB_SRV_SP4" 25 40001
    lab_check "a SYN from [$LAB_SP6]:40002" syn "$LAB_SP6" "$LAB_SRV_SP6" 25 40002
    lab_check "a SYN from $LAB_VLAN4:40003 on VLAN $VLAN" syn "$LAB_VLAN4" "$LAB_SRV_VLAN4" 25 40003 \
        --vlan "$VLAN" --link "$LAB_IF_SP" --dst-mac "$SERVER_MAC"
    after=$(ms_now)
    lab_check "three records within 5 s" lab_wait_until 5 test "$(wc -l <"$out.out")" -ge 3
    sleep 0.5  # time for a record that should not be there
    lab_stop_pid "$pid"
    wait "$pid" 2>/dev/null
    echo "      $(sed 's/^/      /' "$out.out" | sed '1s/^      //')"
    lab_check "every record is in the documented $form format" \
        "$LAB_PYTHON" "$LAB_DIR/drop_events.py" "$form" "$out.out"
    local records
    records=$("$LAB_PYTHON" "$LAB_DIR/drop_events.py" "$form" "$out.out" 2>/dev/null)
    lab_check_eq "interface, source, ports, VLAN and action of each" "$(cut -d' ' -f2- <<<"$records")" \
        "$LAB_IF_SRV_SP $LAB_SP4 40001 25 0 $action
$LAB_IF_SRV_SP $LAB_SP6 40002 25 0 $action
$LAB_IF_SRV_SP $LAB_VLAN4 40003 25 $VLAN $action"
    local stamp late=0
    while read -r stamp _; do
        ((stamp >= before - 1000 && stamp <= after + 1000)) || late=$((late + 1))
    done <<<"$records"
    lab_check_eq "times within a second of the sending ($before..$after ms)" "$late" 0
}

lab_step "watch (text), enforcing"
dropped_before=$(lab_counter denied_ipv4 dropped)
watch_run text dropped
lab_check_eq "the two IPv4 SYNs were dropped and counted" \
    "$(lab_counter denied_ipv4 dropped)" $((dropped_before + 2))

lab_step "watch --json, in monitor mode"
lab_check_xg_exit "mode monitor" 0 mode monitor
watch_run json monitored --json

lab_finish
