#!/bin/bash
# e2e: `xdpguard run` with SPF sources from a real NSD. The daemon imports
# mail.example.test at start and looks it up again when the record's TTL
# runs out, without a signal: a gateway range added to the zone (with a
# lower TTL) is allowed in the record's TTL and the next lookup follows the
# new TTL. A source removed from the configuration leaves the allowlist and
# its series leave /metrics. When the name vanishes (NXDOMAIN) the lookup
# fails: counted in xdpguard_source_errors_total, its last success time
# kept, the last good prefixes kept, the next try backed off; the record
# back, the source recovers. SIGHUP looks the record up at once, long before
# its TTL. With the DNS server silent, a lookup in flight holds up nothing:
# a saved allowlist file, SIGHUP and SIGTERM are handled within a second,
# and the filter keeps its allowlist.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
# shellcheck source=SCRIPTDIR/nsd_lab.sh
source "$LAB_DIR/nsd_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
nsd_require
lab_up

ZONE=example.test
MAIL=mail.$ZONE RELAY=relay.$ZONE SILENT=silent.$ZONE
METRICS_PORT=$(lab_free_ports 1) || lab_die "no free port for the metrics"
DAEMON_CONFIG=$LAB_TMP/xdpguard.toml
GATEWAYS=$LAB_TMP/gateways.txt
FIRST_TTL=8 SECOND_TTL=5 LONG_TTL=300
REFRESH_MIN=5 REFRESH_MAX=60  # the config's spf_refresh_min and _max

# nsd_zone SERIAL TTL MAIL_RECORD: the zone, with MAIL_RECORD as the SPF
# record of mail.example.test at TTL seconds (the other records at 300);
# without MAIL_RECORD the name does not exist (NXDOMAIN).
nsd_zone() {
    nsd_zone_head "$1"
    [[ -z $3 ]] || echo "mail $2 TXT \"$3\""
    cat <<EOF
relay  TXT "v=spf1 ip4:198.51.100.0/26 -all"
silent TXT "v=spf1 ip4:198.51.100.64/26 -all"
EOF
}

# write_config SPF_DOMAIN...: the daemon's config, replaced in one rename.
write_config() {
    local domains
    domains=$(printf '"%s", ' "$@")
    {
        daemon_config_head "127.0.0.1:$METRICS_PORT"
        cat <<EOF
[sources]
files = ["$GATEWAYS"]
spf = [${domains%, }]
dns_server = "127.0.0.1:$NSD_PORT"
spf_refresh_min = $REFRESH_MIN
spf_refresh_max = $REFRESH_MAX
EOF
    } >"$DAEMON_CONFIG.new"
    mv "$DAEMON_CONFIG.new" "$DAEMON_CONFIG"
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }
scrape_daemon() { prom get "http://127.0.0.1:$METRICS_PORT/metrics"; }
# shellcheck disable=SC2317 # called through lab_check and lab_wait_until
gateway_fails() { ! lab_connect gateway "$LAB_SRV_GW4" 25 1; }
# shellcheck disable=SC2317
spf_lists() { [[ $(source_prefixes "spf:$MAIL") == "$1" ]]; }
# num_gt A B: A > B, as numbers (Prometheus values may have decimals).
# shellcheck disable=SC2317
num_gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

MAIL_V1="v=spf1 ip4:203.0.113.0/26 ip6:2001:db8:3::/48 -all"
MAIL_V2="v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.0/26 ip6:2001:db8:3::/48 -all"
MAIL_V3="v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.0/26 ip6:2001:db8:3::/48 ip6:2001:db8:4::/48 -all"
V2_PREFIXES="192.0.2.0/24 203.0.113.0/26 2001:db8:3::/48"
V3_PREFIXES="192.0.2.0/24 203.0.113.0/26 2001:db8:3::/48 2001:db8:4::/48"

lab_step "NSD serves $ZONE; the daemon imports $MAIL (TTL $FIRST_TTL s) in enforce mode"
nsd_start 1 "$FIRST_TTL" "$MAIL_V1"
echo "      NSD pid $NSD_PID, port $NSD_PORT"
printf '%s\n' "# a file source beside the SPF ones" 203.0.113.128/25 >"$GATEWAYS"
write_config "$MAIL"
start_ms=$(ms_now)  # the first lookup is after this, and before "ready"
daemon_check_start "xdpguard run becomes ready"
ready_ms=$(ms_now)
lab_check_contains "the log shows the import and its TTL" "$(<"$DAEMON_LOG.err")" \
    "spf:$MAIL: +2 -0 =0 (+203.0.113.0/26 +2001:db8:3::/48); next lookup in $FIRST_TTL s"
lab_check_eq "allow list: spf:$MAIL" "$(source_prefixes "spf:$MAIL")" "203.0.113.0/26 2001:db8:3::/48"
lab_check "gateway -> [$LAB_SRV_GW4]:25 times out (not in the record)" gateway_fails

lab_step "the zone adds the gateway's range with a TTL of $SECOND_TTL s: picked up at the old TTL, no signal"
lab_check "zone serial 2 is served" nsd_reload 2 "$SECOND_TTL" "$MAIL_V2"
changed_ms=$(ms_now)
if ((changed_ms - start_ms < (FIRST_TTL - 1) * 1000)); then
    lab_check "before the TTL runs out the daemon keeps its set" spf_lists "203.0.113.0/26 2001:db8:3::/48"
fi
lab_check "192.0.2.0/24 arrives within $((FIRST_TTL + 3)) s of the ready daemon" \
    lab_wait_until $((FIRST_TTL + 3 - (changed_ms - ready_ms) / 1000)) \
    spf_lists "192.0.2.0/24 203.0.113.0/26 2001:db8:3::/48"
seen_ms=$(ms_now)
echo "      the new range was allowed $((seen_ms - start_ms)) ms after the daemon was started," \
    "$((seen_ms - ready_ms)) ms after it was ready"
lab_check "not before the first record's TTL ($FIRST_TTL s)" test $((seen_ms - start_ms)) -ge $((FIRST_TTL * 1000))
lab_check_eq "192.0.2.0/24 is listed by spf:$MAIL" "$(source_prefixes "spf:$MAIL" | cut -d' ' -f1)" 192.0.2.0/24
lab_check_contains "the log: one added, next lookup at the new TTL" "$(<"$DAEMON_LOG.err")" \
    "spf:$MAIL: +1 -0 =2 (+192.0.2.0/24); next lookup in $SECOND_TTL s"
lab_check "gateway -> [$LAB_SRV_GW4]:25 connects" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 still times out" lab_connect spammer "$LAB_SRV_SP4" 25 1
lab_check "the next lookup comes $SECOND_TTL s later" \
    daemon_wait_log "spf:$MAIL: unchanged (3 prefixes); next lookup in $SECOND_TTL s" 1 $((SECOND_TTL + 3))

lab_step "a source added, then removed from the config: its prefixes and its metrics go"
write_config "$MAIL" "$RELAY"
lab_check "the config is reloaded (inotify)" daemon_wait_log "reloaded: " 1 10
lab_check_eq "allow list: spf:$RELAY" "$(source_prefixes "spf:$RELAY")" 198.51.100.0/26
text=$(scrape_daemon)
lab_check_eq "xdpguard_source_errors_total{source=spf:$RELAY}" \
    "$(metric "$text" xdpguard_source_errors_total "source=spf:$RELAY")" 0
lab_check_gt "xdpguard_source_last_success_timestamp_seconds{source=spf:$RELAY}" \
    "$(metric "$text" xdpguard_source_last_success_timestamp_seconds "source=spf:$RELAY")" 1700000000
write_config "$MAIL"
lab_check "the config is reloaded again" daemon_wait_log "reloaded: " 2 10
lab_check_contains "the log says the source went" "$(<"$DAEMON_LOG.err")" \
    "no longer in the configuration: spf:$RELAY: +0 -1 =0 (-198.51.100.0/26)"
lab_check_eq "allow list: nothing from spf:$RELAY" "$(source_prefixes "spf:$RELAY")" ""
text=$(scrape_daemon)
lab_check_eq "no series for spf:$RELAY in /metrics" "$(grep -c "source=\"spf:$RELAY\"" <<<"$text")" 0
lab_check_eq "spf:$MAIL keeps its series" \
    "$(metric "$text" xdpguard_source_errors_total "source=spf:$MAIL")" 0
lab_check_eq "file:gateways.txt keeps its series" \
    "$(metric "$text" xdpguard_source_errors_total source=file:gateways.txt)" 0

lab_step "$MAIL vanishes (NXDOMAIN): the lookup fails, is counted and backs off; the last good set stays"
lab_check "zone serial 3 has no $MAIL" nsd_reload 3 "$SECOND_TTL" ""
lab_check_fails "NSD has no TXT for $MAIL" dns_probe "$MAIL" TXT
# From now on no lookup of $MAIL can succeed: its last success is this one.
text=$(scrape_daemon)
last_ok=$(metric "$text" xdpguard_source_last_success_timestamp_seconds "source=spf:$MAIL")
errors=$(metric "$text" xdpguard_source_errors_total "source=spf:$MAIL")
lab_check_eq "no error counted yet" "$errors" 0
lab_check "the next lookup (in $SECOND_TTL s) fails and backs off: next try in $REFRESH_MIN s" daemon_wait_log \
    "; failure 1 in a row, next try in $REFRESH_MIN s" 1 $((SECOND_TTL + 3))
lab_check_contains "the log names the source and keeps its prefixes" \
    "$(grep -F "failure 1 in a row" "$DAEMON_LOG.err")" "spf:$MAIL: "
lab_check_contains "and says its previous prefixes stay" \
    "$(grep -F "failure 1 in a row" "$DAEMON_LOG.err")" "; its previous prefixes stay;"
text=$(scrape_daemon)
lab_check_eq "xdpguard_source_errors_total{source=spf:$MAIL}" \
    "$(metric "$text" xdpguard_source_errors_total "source=spf:$MAIL")" 1
lab_check_eq "xdpguard_source_last_success_timestamp_seconds{source=spf:$MAIL} did not advance" \
    "$(metric "$text" xdpguard_source_last_success_timestamp_seconds "source=spf:$MAIL")" "$last_ok"
lab_check_eq "the last good prefixes stay in the allowlist" "$(source_prefixes "spf:$MAIL")" "$V2_PREFIXES"
lab_check "gateway -> [$LAB_SRV_GW4]:25 still connects" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "the record is back (TTL $LONG_TTL s): the retry $REFRESH_MIN s later recovers"
lab_check "zone serial 4 has $MAIL again" nsd_reload 4 "$LONG_TTL" "$MAIL_V2"
lab_check "the retry succeeds, the next lookup at the TTL clamped to $REFRESH_MAX s" daemon_wait_log \
    "spf:$MAIL: unchanged (3 prefixes); next lookup in $REFRESH_MAX s" 1 $((REFRESH_MIN + 3))
text=$(scrape_daemon)
recovered=$(metric "$text" xdpguard_source_last_success_timestamp_seconds "source=spf:$MAIL")
lab_check "xdpguard_source_last_success_timestamp_seconds advanced ($recovered > $last_ok)" \
    num_gt "$recovered" "$last_ok"
lab_check_eq "xdpguard_source_errors_total keeps its count" \
    "$(metric "$text" xdpguard_source_errors_total "source=spf:$MAIL")" 1

lab_step "the provider adds a range; SIGHUP looks it up at once, not in $REFRESH_MAX s"
lab_check "zone serial 5 adds 2001:db8:4::/48" nsd_reload 5 "$LONG_TTL" "$MAIL_V3"
lab_check "without a signal the daemon keeps its set" spf_lists "$V2_PREFIXES"
hup_ms=$(ms_now)
kill -HUP "$DAEMON_PID"
lab_check "SIGHUP looks $MAIL up again" daemon_wait_log "looking up again now, not at the TTL: spf:$MAIL" 1 2
lab_check "and the new range is synced within 2 s" daemon_wait_log \
    "spf:$MAIL: +1 -0 =3 (+2001:db8:4::/48); next lookup in $REFRESH_MAX s" 1 2
echo "      synced $(($(ms_now) - hup_ms)) ms after SIGHUP; the record's TTL is $LONG_TTL s"
lab_check_eq "allow list: spf:$MAIL" "$(source_prefixes "spf:$MAIL")" "$V3_PREFIXES"
lab_check_eq "a saved config alone does not look it up again" \
    "$(daemon_log_count "looking up again now")" 1

lab_step "NSD stops answering while a lookup is in flight: the daemon still answers at once"
nsd_signal STOP
lab_check_fails "NSD does not answer while stopped" dns_probe "$ZONE" SOA
reloading=$(daemon_log_count "reloading the configuration (")
write_config "$MAIL" "$SILENT"
lab_check "the config change is seen" daemon_wait_log "reloading the configuration (" $((reloading + 1)) 5
sleep 0.3  # the lookup of $SILENT is now waiting for NSD
started_ms=$(ms_now)
printf '%s\n' 203.0.113.128/25 198.51.100.0/24 >"$GATEWAYS"
lab_check "a saved allowlist file is synced within 1 s" daemon_wait_log "file:gateways.txt: +1 -0 =1" 1 1
lab_check "spammer -> [$LAB_SRV_SP4]:25 connects" lab_connect spammer "$LAB_SRV_SP4" 25
kill -HUP "$DAEMON_PID"
lab_check "SIGHUP is handled within 1 s" daemon_wait_log "reloading the configuration (SIGHUP)" 1 1
text=$(scrape_daemon)
lab_check_eq "metrics are served" "$(metric "$text" xdpguard_enforcing)" 1
lab_check_eq "the lookup of $SILENT is still in flight" "$(daemon_log_count "spf:$SILENT:")" 0
stop_ms=$(ms_now)
kill -TERM "$DAEMON_PID"
lab_check "SIGTERM is handled within 1 s" daemon_wait_log "stopping (SIGTERM)" 1 1
# SpfLookups waits 500 ms for the lookup; the metrics server's own shutdown
# (civetweb polls its sockets every 2 s) comes after the "stopped" line.
lab_check "the daemon has stopped within 2 s" daemon_wait_log "stopped: the filter stays attached" 1 2
daemon_stop
exited_ms=$(ms_now)
echo "      silent DNS for $((stop_ms - started_ms)) ms before SIGTERM; exited $((exited_ms - stop_ms)) ms after it"
lab_check_eq "the daemon exited 0" "$DAEMON_RC" 0
lab_check "its process ended within 5 s of SIGTERM" test $((exited_ms - stop_ms)) -lt 5000
lab_check_eq "it was not killed" "$LAB_STOP_KILLED" 0
lab_check_contains "it left the lookup behind" "$(<"$DAEMON_LOG.err")" \
    "stopping without waiting for an SPF lookup in flight"
nsd_signal CONT
lab_check_eq "the filter keeps spf:$MAIL" "$(source_prefixes "spf:$MAIL")" "$V3_PREFIXES"
lab_check "$LAB_IF_SRV_SP keeps the program" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check "gateway -> [$LAB_SRV_GW4]:25 still connects" lab_connect gateway "$LAB_SRV_GW4" 25
nsd_stop

daemon_finish
