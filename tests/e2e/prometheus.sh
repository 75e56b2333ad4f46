#!/bin/bash
# e2e: a real Prometheus server scrapes `xdpguard exporter` and sees the same
# allowed and denied SYN counts as `xdpguard stats --json`; the exposition
# passes `promtool check metrics`; the exporter exits 0 on SIGTERM.
#
# The exporter and Prometheus both run in the server namespace on its
# 127.0.0.1, so nothing listens on the host.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/prometheus_lab.sh
source "$LAB_DIR/prometheus_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
prometheus_require
GATEWAY_SYNS=3      # connections from the gateway, each one allowed SYN
SPAMMER_TRIES4=3    # attempts from the spammer; each sends at least one SYN
SPAMMER_TRIES6=2
SPAMMER_TIMEOUT=0.5 # under TCP's 1 s initial RTO: usually one SYN per attempt

lab_up
lab_protect
read -r exporter_port prom_port < <(lab_free_ports 2)
[[ -n ${prom_port:-} ]] || lab_die "no free ports in the server namespace"

lab_step "the exporter serves /metrics"
exporter_start "127.0.0.1:$exporter_port" || lab_die "the exporter did not start"
lab_check_eq "it says where it serves" "$(head -n 1 "$EXPORTER_LOG.out")" \
    "serving http://127.0.0.1:$exporter_port/metrics (pin dir $LAB_PIN_DIR)"
lab_check "GET /metrics answers 200" scrape

lab_step "a real Prometheus scrapes it every second"
prometheus_start "$exporter_port" "$prom_port" || lab_die "Prometheus did not start"
PROM_DEADLINE=$((SECONDS + PROM_WAIT))
prom_expect "the target is up" 'up{job="xdpguard"}' 1
prom_expect "the filter is present" xdpguard_filter_present 1

lab_step "allowed and denied SYNs"
for ((i = 1; i <= GATEWAY_SYNS; i++)); do
    lab_check "gateway -> [$LAB_SRV_GW4]:25 ($i)" lab_connect gateway "$LAB_SRV_GW4" 25
done
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25
for ((i = 1; i <= SPAMMER_TRIES4; i++)); do
    lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out ($i)" \
        lab_connect spammer "$LAB_SRV_SP4" 25 "$SPAMMER_TIMEOUT"
done
for ((i = 1; i <= SPAMMER_TRIES6; i++)); do
    lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out ($i)" \
        lab_connect spammer "$LAB_SRV_SP6" 25 "$SPAMMER_TIMEOUT"
done
# The clients have closed their sockets: no SYN retransmit can follow, so
# these are the final counts.
dropped4=$(stats_value verdicts.denied_ipv4.dropped)
dropped6=$(stats_value verdicts.denied_ipv6.dropped)
allowed4=$(stats_allowed "$LAB_GW_NET4")
allowed6=$(stats_allowed "$LAB_GW_NET6")
echo "      stats --json: dropped ipv4=$dropped4 ipv6=$dropped6, allowed $LAB_GW_NET4=$allowed4 $LAB_GW_NET6=$allowed6"
lab_check_gt "stats: dropped IPv4 SYNs >= $SPAMMER_TRIES4" "$dropped4" $((SPAMMER_TRIES4 - 1))
lab_check_gt "stats: dropped IPv6 SYNs >= $SPAMMER_TRIES6" "$dropped6" $((SPAMMER_TRIES6 - 1))
lab_check_gt "stats: allowed SYNs of $LAB_GW_NET4 >= $GATEWAY_SYNS" "$allowed4" $((GATEWAY_SYNS - 1))
lab_check_gt "stats: allowed SYNs of $LAB_GW_NET6 >= 1" "$allowed6" 0
[[ $dropped4 =~ ^[0-9]+$ && $dropped6 =~ ^[0-9]+$ ]] || lab_die "stats --json gave no counters"

lab_step "Prometheus sees what stats --json reports"
PROM_DEADLINE=$((SECONDS + PROM_WAIT))
prom_expect "all dropped SYNs" 'sum(xdpguard_syn_denied_total{action="dropped"})' \
    $((dropped4 + dropped6))
prom_expect "dropped IPv4 SYNs" 'xdpguard_syn_denied_total{action="dropped",family="ipv4"}' "$dropped4"
prom_expect "dropped IPv6 SYNs" 'xdpguard_syn_denied_total{action="dropped",family="ipv6"}' "$dropped6"
prom_expect "nothing monitored" 'sum(xdpguard_syn_denied_total{action="monitored"})' 0
prom_expect "allowed SYNs of $LAB_GW_NET4" \
    "xdpguard_syn_allowed_total{prefix=\"$LAB_GW_NET4\",source=\"manual\"}" "$allowed4"
prom_expect "allowed SYNs of $LAB_GW_NET6" \
    "xdpguard_syn_allowed_total{prefix=\"$LAB_GW_NET6\",source=\"manual\"}" "$allowed6"
prom_expect "denied SYNs of the spammer's /24" \
    'xdpguard_denied_source_syns_total{network="198.51.100.0/24"}' "$dropped4"
prom_expect "denied SYNs of the spammer's /48" \
    'xdpguard_denied_source_syns_total{network="2001:db8:2::/48"}' "$dropped6"
prom_expect "enforcing" xdpguard_enforcing 1
prom_expect "port 25 protected" 'xdpguard_protected_ports{port="25"}' 1
prom_expect "attached to both server-side veths" 'count(xdpguard_attached == 1)' 2
prom_expect "one IPv4 and one IPv6 prefix" 'sum(xdpguard_allowlist_prefixes)' 2
lab_check_eq "Prometheus knows xdpguard_syn_denied_total as a counter" \
    "$(prom get "$PROM_URL/api/v1/metadata?metric=xdpguard_syn_denied_total" |
        "$LAB_PYTHON" "$LAB_DIR/jsonq.py" data.xdpguard_syn_denied_total.0.type)" counter

lab_step "promtool accepts a live scrape"
live=$(scrape)
lab_check_contains "the scrape has the spammer's /24" "$live" 'network="198.51.100.0/24"'
echo "$live" >"$LAB_TMP/scrape.txt"
lab_check "promtool check metrics" "$PROMTOOL" check metrics <"$LAB_TMP/scrape.txt"

lab_step "clean shutdown"
lab_stop_wait "$PROM_PID" 10
lab_check_eq "Prometheus exits 0 on SIGTERM (killed: $LAB_STOP_KILLED)" "$LAB_STOP_RC" 0
exporter_stop
lab_check_eq "the exporter exits 0 on SIGTERM" "$EXPORTER_RC" 0
lab_check_fails "nothing serves /metrics any more" scrape
lab_check_eq "the exporter logged no error" "$(cat "$EXPORTER_LOG.err")" ""

lab_finish
