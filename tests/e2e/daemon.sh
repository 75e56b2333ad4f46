#!/bin/bash
# e2e: `xdpguard run`, the daemon. A config with errors lists them all and
# attaches nothing; a --pin-dir other than the config's pin_dir is refused.
# Started in enforce mode with the gateway's prefixes in a watched file, it
# lets the gateway in and drops the spammer; saving the file applies at once
# (inotify), SIGHUP reloads, a bad edit is refused and the filter kept. A
# file losing more than half of its prefixes is refused (a source error)
# until the config sets allow_shrink. Break glass (mode monitor, bypass)
# acts at once. The drop log (and the shipped fail2ban filter on it) and the
# source metrics are checked. Killed with -9 the filter still drops; a
# start with a bad config (a missing interface, say) then changes nothing;
# restarted, it adopts the pinned state without resetting counters or
# failing one gateway connection. SIGTERM leaves the filter attached,
# --detach-on-exit removes it.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

METRICS_PORT=$(lab_free_ports 1) || lab_die "no free port for the metrics"
DAEMON_CONFIG=$LAB_TMP/xdpguard.toml
GATEWAYS=$LAB_TMP/gateways.txt
SPAM_NET4=198.51.100.0/24

# write_config [DROP_LOG_RATE_VALUE]: the daemon's config, replaced in one
# rename as config management would. Line 10 holds the drop log rate.
# CFG_INTERFACES, CFG_MODE and CFG_PORTS override the usual filter,
# CFG_SHRINK sets [sources] allow_shrink.
write_config() {
    cat >"$DAEMON_CONFIG.new" <<EOF
# xdpguard e2e: the daemon in the namespace lab
pin_dir = "$LAB_PIN_DIR"
[filter]
interfaces = [${CFG_INTERFACES:-"\"$LAB_IF_SRV_GW\", \"$LAB_IF_SRV_SP\""}]
mode = "${CFG_MODE:-enforce}"
ports = [${CFG_PORTS:-25}]
[metrics]
listen = "127.0.0.1:$METRICS_PORT"
[drop_log]
rate = ${1:-100}
[sources]
files = ["$GATEWAYS"]
allow_shrink = ${CFG_SHRINK:-false}
EOF
    mv "$DAEMON_CONFIG.new" "$DAEMON_CONFIG"
}

# write_gateways PREFIX...: the watched allowlist file, written in place.
write_gateways() { printf '%s\n' "# the provider's gateways" "$@" >"$GATEWAYS"; }

# shellcheck disable=SC2317 # called through lab_check and lab_wait_until
spammer_connects() { lab_connect spammer "$LAB_SRV_SP4" 25 0.5; }
# shellcheck disable=SC2317
spammer_fails() { ! lab_connect spammer "$LAB_SRV_SP4" 25 0.5; }
# shellcheck disable=SC2317
no_xdp_anywhere() { ! lab_xdp_attached "$LAB_IF_SRV_GW" && ! lab_xdp_attached "$LAB_IF_SRV_SP"; }
scrape_daemon() { prom get "http://127.0.0.1:$METRICS_PORT/metrics"; }
# The filter as the commands show it, counters aside: its allowlist, its
# settings and its attachments (interface, program id).
filter_state() {
    xg allow list | awk '{ print $1, $4 }'
    xg status --json | "$LAB_PYTHON" -c '
import json, sys
s = json.load(sys.stdin)
print(s["mode"], s["ports"], [(i["name"], i.get("program_id")) for i in s["interfaces"]])'
    echo "programs: $(lab_xdp_prog_id "$LAB_IF_SRV_GW") $(lab_xdp_prog_id "$LAB_IF_SRV_SP")"
}

F2B_FILTER=$(realpath "$LAB_DIR/../../packaging/fail2ban/xdpguard.conf")
# check_fail2ban_filter DAEMON_LOG: the shipped fail2ban filter, run by
# fail2ban-regex (never the fail2ban service) over the daemon's output as
# syslog would hold it, its events (stderr) beside its drop log (stdout):
# it matches each drop record, with the record's source, and nothing else.
check_fail2ban_filter() {
    local log=$LAB_TMP/syslog expected got prefix
    if ! command -v fail2ban-regex >/dev/null; then
        if [[ ${XDPGUARD_REQUIRE_BPF:-0} == 1 ]]; then
            lab_fail "fail2ban-regex is not installed (Debian package fail2ban; tools/setup.sh installs it)"
        else
            echo "SKIP: the fail2ban filter: fail2ban-regex is not installed (Debian package fail2ban)"
        fi
        return
    fi
    prefix="$(date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00) mx xdpguard[$DAEMON_PID]: "
    sed "s/^/$prefix/" "$1.err" "$1.out" >"$log"
    expected=$("$LAB_PYTHON" "$LAB_DIR/drop_events.py" text "$1.out" | awk '{ print $3, $7 }' | sort)
    lab_check_contains "the drop log holds IPv4 records" "$expected" "$LAB_SP4 dropped"
    lab_check_contains "and IPv6 ones" "$expected" "$LAB_SP6 dropped"
    lab_check_contains "and monitored ones" "$expected" "$LAB_SP4 monitored"
    got=$(fail2ban-regex -o ip "$log" "$F2B_FILTER" 2>&1 | sort)
    lab_check_eq "fail2ban-regex $(basename "$F2B_FILTER"): a <HOST> per drop record and nothing else ($(wc -l <"$1.out") records among $(wc -l <"$log") lines)" \
        "$got" "$(awk '{ print $1 }' <<<"$expected" | sort)"
}

lab_step "a config with errors: every one listed, exit 2, nothing attached"
bad=$LAB_TMP/bad.toml
cat >"$bad" <<EOF
pin_dir = "$LAB_PIN_DIR"
[filter]
interfaces = ["$LAB_IF_SRV_GW"]
mode = "enforcing"
ports = [25, 70000]
[sources]
file = ["$GATEWAYS"]
EOF
lab_check_xg_exit "run --config bad.toml" 2 run --config "$bad"
lab_check_contains "line 4: the mode, with a suggestion" "$XG_ERR" "bad.toml:4:8: filter.mode"
lab_check_contains "line 5: the port" "$XG_ERR" "bad.toml:5:14:"
lab_check_contains "line 7: the misspelt key" "$XG_ERR" "did you mean 'files'"
lab_check "no pin dir was created" test ! -e "$LAB_PIN_DIR"
lab_check "no interface has an XDP program" no_xdp_anywhere

lab_step "a --pin-dir other than the config's pin_dir is refused, not silently ignored"
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6"
write_config
elsewhere=/sys/fs/bpf/xg-e2e-elsewhere-$LAB_ID
lab_check_xg_exit "--pin-dir elsewhere run --config xdpguard.toml" 2 --pin-dir "$elsewhere" run --config "$DAEMON_CONFIG"
lab_check_contains "the message names the config's pin_dir" "$XG_ERR" "in the pin_dir of $DAEMON_CONFIG ($LAB_PIN_DIR)"
lab_check_contains "and the refused --pin-dir" "$XG_ERR" "not in --pin-dir $elsewhere"
lab_check "nothing was created there" test ! -e "$elsewhere"
lab_check "nor in the config's pin_dir" test ! -e "$LAB_PIN_DIR"
lab_check "no interface has an XDP program" no_xdp_anywhere

lab_step "start in enforce with the gateway's prefixes in a watched file"
daemon_check_start "xdpguard run becomes ready"
lab_check_contains "it synced file:gateways.txt" "$(<"$DAEMON_LOG.err")" "file:gateways.txt: +2 -0 =0"
lab_check_eq "mode" "$(xg_json mode)" enforce
lab_check "$LAB_IF_SRV_GW has the program" lab_xdp_attached "$LAB_IF_SRV_GW"
lab_check "$LAB_IF_SRV_SP has the program" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_step "saving the file with the spammer's /24 lets it in, no signal needed"
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6" "$SPAM_NET4"
lab_check "spammer -> [$LAB_SRV_SP4]:25 connects within 5 s" lab_wait_until 5 spammer_connects
lab_check "the log shows the sync" daemon_wait_log "file:gateways.txt: +1 -0 =2 (+$SPAM_NET4)"

lab_step "removing it again and SIGHUP: the spammer is dropped again"
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6"
kill -HUP "$DAEMON_PID"
lab_check "the daemon reloads on SIGHUP" daemon_wait_log "reloading the configuration (SIGHUP)"
lab_check "spammer -> [$LAB_SRV_SP4]:25 fails within 5 s" lab_wait_until 5 spammer_fails
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "a bad config edit and SIGHUP: refused with line:column, the filter unchanged"
list_before=$(xg allow list)
status_before=$(xg status | grep -v -e 'dropped' -e 'program id')
write_config '"fast"'
kill -HUP "$DAEMON_PID"
lab_check "the daemon refuses the config" daemon_wait_log "configuration refused" 1
lab_check_contains "the log names xdpguard.toml:10:8" "$(<"$DAEMON_LOG.err")" "xdpguard.toml:10:8: "
lab_check "the daemon keeps running" daemon_alive
lab_check_eq "allow list unchanged" "$(xg allow list)" "$list_before"
lab_check_eq "status unchanged" "$(xg status | grep -v -e 'dropped' -e 'program id')" "$status_before"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 still times out" lab_connect spammer "$LAB_SRV_SP4" 25 1
reloads=$(daemon_log_count "reloaded: ")
write_config
lab_check "the repaired config is reloaded (inotify)" daemon_wait_log "reloaded: " $((reloads + 1))

lab_step "break glass under the running daemon: monitor at once, shown in metrics, logged as monitored"
monitored_before=$(lab_counter denied_ipv4 monitored)
lab_check_xg_exit "mode monitor" 0 mode monitor
lab_check "spammer -> [$LAB_SRV_SP4]:25 connects at once" spammer_connects
lab_check "spammer -> [$LAB_SRV_SP6]:25 connects at once" lab_connect spammer "$LAB_SRV_SP6" 25 0.5
lab_check_gt "denied_ipv4 monitored counts it" "$(lab_counter denied_ipv4 monitored)" "$monitored_before"
text=$(scrape_daemon)
lab_check_eq "the daemon's metrics: xdpguard_mode{mode=monitor}" "$(metric "$text" xdpguard_mode mode=monitor)" 1
lab_check_eq "the daemon's metrics: xdpguard_enforcing" "$(metric "$text" xdpguard_enforcing)" 0
lab_check "the drop log has the spammer's SYN, monitored" lab_wait_until 2 \
    grep -qE "denied SYN from $LAB_SP4 port [0-9]+ to port 25 on $LAB_IF_SRV_SP vlan 0 \(monitored\)$" "$DAEMON_LOG.out"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "break glass under the running daemon: bypass at once, shown in metrics, kept over a reload"
lab_check_xg_exit "mode bypass" 0 mode bypass
lab_check "spammer -> [$LAB_SRV_SP4]:25 connects at once" spammer_connects
text=$(prom get "http://127.0.0.1:$METRICS_PORT/metrics")
lab_check_eq "the daemon's metrics: xdpguard_mode{mode=bypass}" "$(metric "$text" xdpguard_mode mode=bypass)" 1
lab_check_eq "the daemon's metrics: xdpguard_mode{mode=enforce}" "$(metric "$text" xdpguard_mode mode=enforce)" 0
reloads=$(daemon_log_count "reloaded: ")
kill -HUP "$DAEMON_PID"
lab_check "the daemon reloads the unchanged config" daemon_wait_log "reloaded: " $((reloads + 1))
lab_check_eq "bypass holds over the reload" "$(xg_json mode)" bypass
lab_check_xg_exit "mode enforce" 0 mode enforce
lab_check "spammer -> [$LAB_SRV_SP4]:25 fails again within 5 s" lab_wait_until 5 spammer_fails

lab_step "the drop log and the source metrics"
lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out" lab_connect spammer "$LAB_SRV_SP6" 25 1
lab_check "the drop log has the spammer's denied SYN" \
    grep -qE "denied SYN from $LAB_SP4 port [0-9]+ to port 25 on $LAB_IF_SRV_SP" "$DAEMON_LOG.out"
lab_check "the drop log has the spammer's denied IPv6 SYN" lab_wait_until 2 \
    grep -qE "denied SYN from $LAB_SP6 port [0-9]+ to port 25 on $LAB_IF_SRV_SP vlan 0 \(dropped\)$" "$DAEMON_LOG.out"
check_fail2ban_filter "$DAEMON_LOG"
text=$(scrape_daemon)
lab_check_gt "xdpguard_source_last_success_timestamp_seconds{source=file:gateways.txt}" \
    "$(metric "$text" xdpguard_source_last_success_timestamp_seconds source=file:gateways.txt)" 1700000000
lab_check_eq "xdpguard_source_errors_total{source=file:gateways.txt}" \
    "$(metric "$text" xdpguard_source_errors_total source=file:gateways.txt)" 0
lab_check_eq "xdpguard_enforcing" "$(metric "$text" xdpguard_enforcing)" 1

lab_step "a save that removes more than half of the file's prefixes is refused: a source error, the prefixes stay"
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6" 203.0.113.0/26 203.0.113.64/26
lab_check "two more prefixes are synced" daemon_wait_log "file:gateways.txt: +2 -0 =2"
four=$(source_prefixes file:gateways.txt)
write_gateways "$LAB_GW_NET4"
lab_check "the sync is refused" daemon_wait_log \
    "file:gateways.txt: refusing to shrink source file:gateways.txt: it would remove 3 of its 4 prefixes"
lab_check_contains "the log says how to allow it" "$(<"$DAEMON_LOG.err")" \
    "set allow_shrink = true in [sources] and reload (then back to false); its previous prefixes stay"
lab_check_eq "file:gateways.txt keeps its 4 prefixes" "$(source_prefixes file:gateways.txt)" "$four"
text=$(scrape_daemon)
lab_check_eq "xdpguard_source_errors_total{source=file:gateways.txt}" \
    "$(metric "$text" xdpguard_source_errors_total source=file:gateways.txt)" 1
lab_check "gateway -> [$LAB_SRV_GW6]:25 still connects" lab_connect gateway "$LAB_SRV_GW6" 25
reloads=$(daemon_log_count "reloaded: ")
CFG_SHRINK=true write_config
lab_check "the config with allow_shrink = true is reloaded" daemon_wait_log "reloaded: " $((reloads + 1)) 10
lab_check_contains "it applies the shrink" "$(<"$DAEMON_LOG.err")" "file:gateways.txt: +0 -3 =1"
lab_check_eq "file:gateways.txt has 1 prefix" "$(source_prefixes file:gateways.txt)" "$LAB_GW_NET4"
lab_check_fails "gateway -> [$LAB_SRV_GW6]:25 times out" lab_connect gateway "$LAB_SRV_GW6" 25 1
write_config
lab_check "the config without allow_shrink is reloaded" daemon_wait_log "reloaded: " $((reloads + 2)) 10
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6"
lab_check "the usual file is synced" daemon_wait_log "file:gateways.txt: +1 -0 =1 (+$LAB_GW_NET6)"
lab_check "gateway -> [$LAB_SRV_GW6]:25 connects again" lab_connect gateway "$LAB_SRV_GW6" 25

lab_step "a reload applies what changed: mode, ports, interfaces"
reloads=$(daemon_log_count "reloaded: ")
CFG_INTERFACES="\"$LAB_IF_SRV_GW\"" CFG_MODE=monitor CFG_PORTS="25, 2525" write_config
lab_check "the new config is reloaded" daemon_wait_log "reloaded: " $((reloads + 1)) 10
log=$(<"$DAEMON_LOG.err")
lab_check_contains "the log says mode enforce -> monitor" "$log" "mode enforce -> monitor"
lab_check_contains "the log says $LAB_IF_SRV_SP was detached" "$log" "detached from $LAB_IF_SRV_SP"
lab_check_eq "mode" "$(xg_json mode)" monitor
lab_check_eq "ports" "$(xg_json ports)" "[25,2525]"
lab_check_fails "$LAB_IF_SRV_SP has no program" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check "$LAB_IF_SRV_GW keeps its program" lab_xdp_attached "$LAB_IF_SRV_GW"
reloads=$(daemon_log_count "reloaded: ")
write_config
lab_check "the usual config is reloaded" daemon_wait_log "reloaded: " $((reloads + 1)) 10
lab_check_eq "mode" "$(xg_json mode)" enforce
lab_check_eq "ports" "$(xg_json ports)" "[25]"
lab_check "$LAB_IF_SRV_SP has the program again" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_step "kill -9: the filter keeps dropping, its counters intact"
dropped_before=$(lab_counter denied_ipv4 dropped)
daemon_stop KILL
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out without the daemon" lab_connect spammer "$LAB_SRV_SP4" 25 1
lab_check_gt "denied_ipv4 dropped kept counting" "$(lab_counter denied_ipv4 dropped)" "$dropped_before"
lab_check "gateway -> [$LAB_SRV_GW4]:25 without the daemon" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "a start with a bad config while the filter runs: refused, the filter untouched"
state_before=$(filter_state)
# A start syncs the sources first: this file would let the spammer in.
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6" "$SPAM_NET4"
missing=xg${LAB_ID}no
CFG_INTERFACES="\"$LAB_IF_SRV_GW\", \"$missing\"" CFG_MODE=monitor CFG_PORTS="25, 2525" write_config
lab_check_xg_exit "run with an interface that does not exist" 2 run --config "$DAEMON_CONFIG"
lab_check_contains "the message locates the interface and names it" "$XG_ERR" \
    "xdpguard.toml:4:29: filter.interfaces: no network interface named \"$missing\""
lab_check_contains "nothing was started or changed" "$XG_ERR" "nothing was started or changed"
lab_check_eq "allowlist, mode, ports and attachments unchanged" "$(filter_state)" "$state_before"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 still times out" lab_connect spammer "$LAB_SRV_SP4" 25 1
CFG_MODE=enforcing write_config
lab_check_xg_exit "run with a misspelt mode" 2 run --config "$DAEMON_CONFIG"
lab_check_contains "the message locates the mode" "$XG_ERR" "xdpguard.toml:5:8: filter.mode"
lab_check_eq "allowlist, mode, ports and attachments unchanged" "$(filter_state)" "$state_before"
write_gateways "$LAB_GW_NET4" "$LAB_GW_NET6"
write_config

lab_step "restart while the gateway connects without pause: no failure, no reset"
dropped_before=$(lab_counter denied_ipv4 dropped)
allowed_before=$(lab_allowed_syns "$LAB_GW_NET4")
stop=$LAB_TMP/loop.stop started=$LAB_TMP/loop.started report=$LAB_TMP/loop.report
lab_in_background gateway "$LAB_PYTHON" "$LAB_DIR/connect_loop.py" "$LAB_SRV_GW4" 25 \
    "$stop" "$started" "$report" 5000 20
loop_pid=$LAB_BG_PID
lab_check "the connection loop is running" lab_wait_file "$started" 5
daemon_check_start "xdpguard run becomes ready again"
sleep 0.5
touch "$stop"
wait "$loop_pid"
read -r loop_why loop_attempts loop_ok loop_failures <"$report"
echo "      connection loop: $loop_attempts attempts, $loop_ok ok, $loop_failures failed, ended: $loop_why"
lab_check_eq "the loop ran across the restart (no bound reached)" "$loop_why" stopped
lab_check_eq "no gateway connection failed" "$loop_failures" 0
log=$(<"$DAEMON_LOG.err")
lab_check_contains "the file source was already in place" "$log" "file:gateways.txt: unchanged (2 prefixes)"
lab_check_contains "$LAB_IF_SRV_GW was adopted" "$log" "$LAB_IF_SRV_GW: already attached"
lab_check "allowed SYNs of $LAB_GW_NET4 were not reset" \
    test "$(lab_allowed_syns "$LAB_GW_NET4")" -ge $((allowed_before + loop_ok))
lab_check_eq "denied_ipv4 dropped was not reset" "$(lab_counter denied_ipv4 dropped)" "$dropped_before"

lab_step "SIGTERM: exit 0, the filter stays attached"
daemon_stop
lab_check_eq "exit status" "$DAEMON_RC" 0
lab_check_contains "the log says the filter stays" "$(<"$DAEMON_LOG.err")" "the filter stays attached"
lab_check "$LAB_IF_SRV_SP still has the program" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check_eq "status lists two interfaces" "$(xg_json 'interfaces.#')" 2
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_step "--detach-on-exit: SIGTERM detaches, the allowlist stays pinned"
XDPGUARD_PIN_DIR=/sys/fs/bpf/xg-e2e-elsewhere-$LAB_ID \
    daemon_check_start "xdpguard run --detach-on-exit becomes ready (\$XDPGUARD_PIN_DIR elsewhere)" --detach-on-exit
lab_check_contains "a note says \$XDPGUARD_PIN_DIR is not used" "$(<"$DAEMON_LOG.err")" \
    "note: \$XDPGUARD_PIN_DIR (/sys/fs/bpf/xg-e2e-elsewhere-$LAB_ID) is not used: run keeps the filter in the pin_dir of"
daemon_stop
lab_check_eq "exit status" "$DAEMON_RC" 0
lab_check "no interface has an XDP program" no_xdp_anywhere
lab_check_eq "status lists no interface" "$(xg_json 'interfaces.#')" 0
lab_check "nothing was created in \$XDPGUARD_PIN_DIR" test ! -e "/sys/fs/bpf/xg-e2e-elsewhere-$LAB_ID"
lab_check "$LAB_GW_NET4 is still in the allowlist" lab_allowed_syns "$LAB_GW_NET4"
lab_check "spammer -> [$LAB_SRV_SP4]:25 connects unfiltered" lab_connect spammer "$LAB_SRV_SP4" 25

daemon_finish
