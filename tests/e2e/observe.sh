#!/bin/bash
# e2e: `top` names the networks of denied SYNs; `check` gives the filter's
# verdict (longest prefix match, monitor mode, unprotected ports) without
# moving any counter; the exporter's counters survive its restart, and it
# refuses bad listen addresses and busy ports.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
SPAMMER_TIMEOUT=0.5
SPAMMER_NET4=198.51.100.0/24 SPAMMER_NET6=2001:db8:2::/48
# Nested inside the gateway's prefixes: the longest match must win.
GW_NARROW4=192.0.2.0/28 GW_WIDE6=2001:db8:1::/48

# check_says DESC EXPECTED_LINE ARGS...: `xdpguard check ARGS` exits 0 and
# prints exactly EXPECTED_LINE.
check_says() {
    local desc=$1 expected=$2
    shift 2
    xg_capture check "$@"
    if [[ $XG_RC -eq 0 && $XG_OUT == "$expected" ]]; then
        lab_pass "$desc"
    else
        lab_fail "$desc: 'xdpguard check $*' exited $XG_RC" \
            "stdout:   $XG_OUT"$'\n'"expected: $expected"$'\n'"stderr:   $XG_ERR"
    fi
}

# spam N ADDR: N connection attempts from the spammer to ADDR:25, each
# expected to time out.
spam() {
    local i
    for ((i = 1; i <= $1; i++)); do
        lab_check_fails "spammer -> [$2]:25 times out ($i)" lab_connect spammer "$2" 25 "$SPAMMER_TIMEOUT"
    done
}

# seconds_since ISO8601: how long ago that UTC time was (negative: future).
seconds_since() {
    local stamp
    stamp=$(date -u -d "$1" +%s 2>/dev/null) || { echo "?"; return; }
    echo $(( $(date -u +%s) - stamp ))
}

lab_up
lab_protect
lab_check_xg_exit "allow add nested $GW_NARROW4 $GW_WIDE6" 0 allow add "$GW_NARROW4" "$GW_WIDE6"

lab_step "top: the networks of denied SYNs"
lab_check_eq "top on a fresh filter is empty" "$(xg top --json)" "[]"
spam 3 "$LAB_SRV_SP4"
spam 2 "$LAB_SRV_SP6"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
dropped4=$(stats_value verdicts.denied_ipv4.dropped)
dropped6=$(stats_value verdicts.denied_ipv6.dropped)
xg_capture top --json
top_json=$XG_OUT
echo "      $top_json"
lab_check_eq "top --json exits 0" "$XG_RC" 0
lab_check_eq "top --json lists two networks" "$("$LAB_PYTHON" "$LAB_DIR/jsonq.py" '#' <<<"$top_json")" 2
lab_check_eq "$SPAMMER_NET4: denied SYNs = stats' dropped IPv4 ($dropped4)" \
    "$(json_row . network "$SPAMMER_NET4" denied_syns <<<"$top_json")" "$dropped4"
lab_check_eq "$SPAMMER_NET6: denied SYNs = stats' dropped IPv6 ($dropped6)" \
    "$(json_row . network "$SPAMMER_NET6" denied_syns <<<"$top_json")" "$dropped6"
lab_check_gt "at least 3 denied SYNs from $SPAMMER_NET4" "$dropped4" 2
lab_check_gt "at least 2 denied SYNs from $SPAMMER_NET6" "$dropped6" 1
for net in "$SPAMMER_NET4" "$SPAMMER_NET6"; do
    last_seen=$(json_row . network "$net" last_seen <<<"$top_json")
    age=$(seconds_since "$last_seen")
    if [[ $last_seen =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ &&
          $age =~ ^-?[0-9]+$ ]] && ((age >= -2 && age <= 60)); then
        lab_pass "$net last seen $last_seen (${age}s ago)"
    else
        lab_fail "$net: last_seen '$last_seen' is not a UTC time of the last minute (age '$age')"
    fi
done
xg_capture top
lab_check_contains "top (table) lists $SPAMMER_NET4" "$XG_OUT" "$SPAMMER_NET4"
lab_check_contains "top (table) lists $SPAMMER_NET6" "$XG_OUT" "$SPAMMER_NET6"
lab_check_lacks "top does not list the gateway" "$XG_OUT" "192.0.2."
most=$((dropped4 > dropped6 ? dropped4 : dropped6))
top1=$(xg top -n 1 --json)
lab_check_eq "top -n 1 --json: one network, the one with the most denied SYNs" \
    "$("$LAB_PYTHON" "$LAB_DIR/jsonq.py" '#' <<<"$top1")/$("$LAB_PYTHON" "$LAB_DIR/jsonq.py" 0.denied_syns <<<"$top1")" \
    "1/$most"

lab_step "check: verdicts, longest match first, and no counter moves"
stats_before=$(xg stats --json)
top_before=$(xg top --json)
check_says "a gateway address in the nested /28" \
    "SYN from 192.0.2.2/32 to port 25: allowed by $GW_NARROW4" 192.0.2.2
check_says "a gateway address outside the /28" \
    "SYN from 192.0.2.200/32 to port 25: allowed by $LAB_GW_NET4" 192.0.2.200
check_says "a gateway IPv6 address in the nested /64" \
    "SYN from 2001:db8:1::2/128 to port 25: allowed by $LAB_GW_NET6" 2001:db8:1::2
check_says "a gateway IPv6 address only in the /48" \
    "SYN from 2001:db8:1:5::2/128 to port 25: allowed by $GW_WIDE6" 2001:db8:1:5::2
check_says "the spammer (IPv4)" \
    "SYN from 198.51.100.2/32 to port 25: dropped (no allowlist prefix matches)" 198.51.100.2
check_says "the spammer (IPv6)" \
    "SYN from 2001:db8:2::2/128 to port 25: dropped (no allowlist prefix matches)" 2001:db8:2::2
check_says "the spammer to port 80" \
    "SYN from 198.51.100.2/32 to port 80: not filtered (port 80 is not protected)" 198.51.100.2 --port 80
check_says "the gateway to port 80" \
    "SYN from 192.0.2.2/32 to port 80: not filtered (port 80 is not protected)" 192.0.2.2 --port 80
lab_check_xg_exit "check a prefix is bad input" 2 check "$SPAMMER_NET4"
lab_check_contains "the message says check takes an address" "$XG_ERR" "address"
lab_check_xg_exit "check bogus is bad input" 2 check bogus
lab_check_xg_exit "check --port 0 is bad input" 2 check 198.51.100.2 --port 0
lab_check_eq "stats --json is exactly as before the checks" "$(xg stats --json)" "$stats_before"
lab_check_eq "top --json is exactly as before the checks" "$(xg top --json)" "$top_before"

lab_step "check in monitor mode"
lab_check_xg_exit "mode monitor" 0 mode monitor
stats_before=$(xg stats --json)
top_before=$(xg top --json)
check_says "the spammer would be dropped" \
    "SYN from 198.51.100.2/32 to port 25: would drop (monitor mode) (no allowlist prefix matches)" 198.51.100.2
check_says "the gateway is still allowed" \
    "SYN from 192.0.2.2/32 to port 25: allowed by $GW_NARROW4" 192.0.2.2
lab_check_eq "stats --json is exactly as before the checks" "$(xg stats --json)" "$stats_before"
lab_check_eq "top --json is exactly as before the checks" "$(xg top --json)" "$top_before"
lab_check_xg_exit "mode enforce" 0 mode enforce

lab_step "the exporter's counters survive its restart"
read -r port busy_port v6_port < <(lab_free_ports 3)
[[ -n ${v6_port:-} ]] || lab_die "no free ports in the server namespace"
exporter_start "127.0.0.1:$port" || lab_die "the exporter did not start"
first=$(scrape)
denied1=$(metric "$first" xdpguard_syn_denied_total action=dropped family=ipv4)
allowed1=$(metric "$first" xdpguard_syn_allowed_total prefix="$GW_NARROW4")
source1=$(metric "$first" xdpguard_denied_source_syns_total network="$SPAMMER_NET4")
lab_check_eq "scraped dropped IPv4 SYNs = stats" "$denied1" "$(stats_value verdicts.denied_ipv4.dropped)"
lab_check_eq "scraped allowed SYNs of $GW_NARROW4 = stats" "$allowed1" "$(stats_allowed "$GW_NARROW4")"
lab_check_eq "scraped denied SYNs of $SPAMMER_NET4 = top" "$source1" \
    "$(xg top --json | json_row . network "$SPAMMER_NET4" denied_syns)"
status=$(prom status "http://127.0.0.1:$port/no-such-path")
echo "      NOTE: GET /no-such-path answers HTTP $status (not a test)"
exporter_stop
lab_check_eq "the exporter exits 0 on SIGTERM" "$EXPORTER_RC" 0
spam 1 "$LAB_SRV_SP4"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
# Not through lab_check: that runs its command in a subshell.
exporter_start "127.0.0.1:$port" || lab_die "the exporter did not restart on 127.0.0.1:$port"
lab_pass "the exporter restarts on the same port"
second=$(scrape)
lab_check_gt "dropped IPv4 SYNs went on from $denied1" \
    "$(metric "$second" xdpguard_syn_denied_total action=dropped family=ipv4)" "$denied1"
lab_check_gt "allowed SYNs of $GW_NARROW4 went on from $allowed1" \
    "$(metric "$second" xdpguard_syn_allowed_total prefix="$GW_NARROW4")" "$allowed1"
lab_check_gt "denied SYNs of $SPAMMER_NET4 went on from $source1" \
    "$(metric "$second" xdpguard_denied_source_syns_total network="$SPAMMER_NET4")" "$source1"
exporter_stop
lab_check_eq "the restarted exporter exits 0 on SIGTERM" "$EXPORTER_RC" 0

lab_step "the exporter with --top 1 exports one source network"
exporter_start "127.0.0.1:$port" --top 1 || lab_die "exporter --top 1 did not start"
lab_check_eq "one xdpguard_denied_source_syns_total sample" \
    "$(scrape | grep -c '^xdpguard_denied_source_syns_total{')" 1
exporter_stop INT
lab_check_eq "it exits 0 on SIGINT" "$EXPORTER_RC" 0

lab_step "the exporter refuses bad listen addresses and busy ports"
# exporter_refuses DESC STATUS MESSAGE LISTEN: the exporter exits at once
# with STATUS and MESSAGE on stderr (a 5 s bound, should it serve instead).
exporter_refuses() {
    local out rc
    out=$(timeout -k 1 5 nsenter --net="/run/netns/$LAB_NS_SRV" -- \
        "$XDPGUARD" exporter --listen "$4" 2>&1 >/dev/null)
    rc=$?
    lab_check_eq "$1: exit status" "$rc" "$2"
    lab_check_contains "$1: says '$3'" "$out" "$3"
}
exporter_refuses "--listen localhost:9433" 2 "bad listen address" localhost:9433
exporter_refuses "--listen 127.0.0.1:99999" 2 "bad listen address" 127.0.0.1:99999
exporter_refuses "--listen garbage" 2 "bad listen address" garbage
# Debian 12's civetweb is built without IPv6: refused up front, not a bind failure.
exporter_refuses "--listen [::1] (no IPv6 in civetweb)" 2 "no IPv6 support" "[::1]:$v6_port"
lab_in_background server "$LAB_PYTHON" -c '
import socket, sys, time
sock = socket.socket()
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
' "$busy_port" "$LAB_TMP/busy.ready" "$LAB_DEADLINE"
lab_wait_file "$LAB_TMP/busy.ready" || lab_die "the listener on 127.0.0.1:$busy_port did not start"
exporter_refuses "a port in use" 1 "cannot listen on" "127.0.0.1:$busy_port"

lab_step "the exporter outlives the filter it reports on"
exporter_start "127.0.0.1:$port" || lab_die "the exporter did not start"
lab_check_xg_exit "detach --all --purge" 0 detach --all --purge
gone=$(scrape)
lab_check_eq "a scrape after the purge answers" "$?" 0
lab_check_eq "xdpguard_filter_present is 0" "$(metric "$gone" xdpguard_filter_present)" 0
lab_check_eq "no counters are exported" "$(grep -c '^xdpguard_syn_denied_total' <<<"$gone")" 0
lab_check "the exporter still runs" kill -0 "$EXPORTER_PID"
exporter_stop
lab_check_eq "it exits 0 on SIGTERM" "$EXPORTER_RC" 0

lab_finish
