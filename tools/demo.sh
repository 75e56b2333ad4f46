#!/usr/bin/env bash
# xdpguard in front of a real mail server, in one command.
#
#   tools/demo.sh            as root on Debian 12: installs what it needs
#                            (tools/setup.sh), builds into build/ (or
#                            $BUILD_DIR), then runs the demo
#   tools/demo.sh XDPGUARD   runs the demo with that binary, no setup and no
#                            build (CTest does this; unprivileged it skips, 77)
#
# The lab, in network namespaces with documentation addresses only: a mail
# server running a real Postfix on port 25, the filtering provider's gateway
# (192.0.2.0/24, allowlisted), a spammer (198.51.100.0/24) and a second
# provider's gateway (203.0.113.0/24) whose range an SPF record on a local
# NSD publishes. `xdpguard run` guards the server with a config file, a real
# Prometheus scrapes it, and swaks sends the mail. Four steps, each checked:
# monitor mode, enforce mode, the metrics, an SPF import. Everything the demo
# creates is removed on exit, whatever the outcome; exit status 0 only if
# every expectation held.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

if [[ $# -gt 0 ]]; then
    xdpguard_bin=$1
else
    if [[ $EUID -ne 0 ]]; then
        echo "demo: run as root (it creates network namespaces and attaches XDP programs)" >&2
        exit 1
    fi
    BUILD_DIR=${BUILD_DIR:-build}
    timeout 1200 tools/setup.sh || { echo "demo: tools/setup.sh failed" >&2; exit 1; }
    # Before the build: setup.sh leaves Postfix out rather than replace
    # another mail server (exim4, ...), and says so; the demo stops here.
    # shellcheck source=SCRIPTDIR/../tests/e2e/postfix_lab.sh
    source tests/e2e/postfix_lab.sh
    if lacking=$(postfix_missing); then
        echo "demo: cannot run: $lacking" >&2
        exit 1
    fi
    echo "demo: building into $BUILD_DIR/"
    if ! timeout 600 cmake -S . -B "$BUILD_DIR" >/dev/null ||
        ! timeout 1800 cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null; then
        echo "demo: the build failed (run: cmake --build $BUILD_DIR)" >&2
        exit 1
    fi
    xdpguard_bin=$BUILD_DIR/userspace/xdpguard
    # Root is checked above: a missing prerequisite is a failure, not a skip.
    export XDPGUARD_REQUIRE_BPF=1
fi

# The whole demo after the build, cleanup excluded: about 30 s. At the
# deadline the watchdog's TERM takes effect once the command then running
# returns (each is bounded: xdpguard 35 s, swaks 25 s, a query 22 s), so a
# stuck demo still ends, cleaned up, in about 2 minutes (80 + 35 s + cleanup);
# CTest's TIMEOUT (180 s) is above that.
LAB_DEADLINE=80
E2E=tests/e2e
# shellcheck source=SCRIPTDIR/../tests/e2e/lab.sh
source $E2E/lab.sh
# shellcheck source=SCRIPTDIR/../tests/e2e/exporter_lab.sh
source $E2E/exporter_lab.sh
# shellcheck source=SCRIPTDIR/../tests/e2e/daemon_lab.sh
source $E2E/daemon_lab.sh
# shellcheck source=SCRIPTDIR/../tests/e2e/prometheus_lab.sh
source $E2E/prometheus_lab.sh
# shellcheck source=SCRIPTDIR/../tests/e2e/nsd_lab.sh
source $E2E/nsd_lab.sh
# shellcheck source=SCRIPTDIR/../tests/e2e/postfix_lab.sh
source $E2E/postfix_lab.sh
LAB_SERVER_PORTS=(80)  # port 25 is Postfix's; 80 only proves each link is up
lab_init "$xdpguard_bin" xg-demo
postfix_require
prometheus_require
nsd_require

# The second provider's gateway, and the SPF record that lists its ranges.
P2_SRV4=203.0.113.1 P2_4=203.0.113.2 P2_SRV6=2001:db8:3::1 P2_6=2001:db8:3::2
ZONE=provider2.example
SPF_DOMAIN=spf.$ZONE
DAEMON_CONFIG=$LAB_TMP/xdpguard.toml

if [[ -t 1 ]]; then BOLD=$'\e[1m' PLAIN=$'\e[0m'; else BOLD='' PLAIN=''; fi

# shellcheck disable=SC2317  # called by nsd_lab.sh
nsd_zone() {
    nsd_zone_head "$1"
    cat <<EOF
spf  TXT "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:3::/64 -all"
EOF
}

# write_config MODE [SPF]: the daemon's configuration, saved in one rename
# as an editor or config management would; with SPF, the second provider's
# SPF domain is a source too.
write_config() {
    {
        cat <<EOF
pin_dir = "$LAB_PIN_DIR"
[filter]
interfaces = ["$LAB_IF_SRV_GW", "$LAB_IF_SRV_SP", "$P2_IF"]
mode = "$1"
ports = [25]
[metrics]
listen = "127.0.0.1:$METRICS_PORT"
[drop_log]
rate = 100
[sources]
# the provider's gateways
prefixes = ["$LAB_GW_NET4", "$LAB_GW_NET6"]
EOF
        [[ -z ${2:-} ]] || printf '%s\n' "# the second provider's, from its SPF record" \
            "spf = [\"$SPF_DOMAIN\"]" "dns_server = \"127.0.0.1:$NSD_PORT\""
    } >"$DAEMON_CONFIG.new"
    mv "$DAEMON_CONFIG.new" "$DAEMON_CONFIG"
}

# reload_config MODE [SPF]: saves the config and waits for the daemon to
# apply it (it watches the file; `systemctl reload xdpguard` does the same).
reload_config() {
    local reloads
    reloads=$(daemon_log_count "reloaded: ")
    write_config "$@"
    daemon_wait_log "reloaded: " $((reloads + 1)) 10 || lab_die "the daemon did not reload its config"
}

say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }

indent() { sed 's/^/    /'; }

# show ARGS...: shows and runs an xdpguard command; the demo fails if it does.
show() {
    echo "  # xdpguard $*"
    xg_capture "$@"
    { [[ -z $XG_OUT ]] || echo "$XG_OUT"; [[ -z $XG_ERR ]] || echo "$XG_ERR"; } | indent
    [[ $XG_RC -eq 0 ]] || lab_fail "xdpguard $* exited $XG_RC"
}

# send_mail ROLE SOURCE SERVER_ADDR NAME delivered|dropped: swaks sends one
# message; the expectation is checked against swaks' exit status and output
# and Postfix's own log, and the evidence shown. A dropped SYN shows as a
# connect timeout: swaks says "connect: timeout", where a closed port (an
# RST) would make it say "Connection refused", with the same exit status 2.
send_mail() {
    local role=$1 src=$2 dst=$3 name=$4 expected=$5 seen_before
    seen_before=$(postfix_log_count "connect from unknown[$src]")
    swaks_send "$role" "$dst" "$name"
    printf '  %-9s %-14s -> [%s]:25  swaks exit %s: ' "$role" "$src" "$dst" "$SWAKS_RC"
    if [[ $expected == delivered ]]; then
        if [[ $SWAKS_RC -eq 0 && -n $SWAKS_QUEUE_ID ]] && postfix_delivered "$SWAKS_MSGID"; then
            echo "queued as $SWAKS_QUEUE_ID, Postfix's log:"
            grep -F " $SWAKS_QUEUE_ID: " "$POSTFIX_LOG" | grep -e 'client=' -e 'status=' |
                sed 's/^.*postfix\//      postfix\//'
            lab_pass "$name: the $role's mail was delivered"
        else
            echo "NOT DELIVERED"
            lab_fail "$name: the $role's mail was not delivered" "$SWAKS_OUT"
        fi
    elif [[ $SWAKS_RC -eq 2 ]] && grep -qF 'connect: timeout' <<<"$SWAKS_OUT" &&
        ! grep -qiF 'connection refused' <<<"$SWAKS_OUT" &&
        [[ $(postfix_log_count "connect from unknown[$src]") -eq $seen_before &&
            $(postfix_log_count "message-id=<$SWAKS_MSGID>") -eq 0 ]]; then
        echo "no connection within ${SWAKS_TIMEOUT}s, swaks says:"
        grep -m1 -F 'connect: timeout' <<<"$SWAKS_OUT" | sed 's/^\*\*\*[[:space:]]*/      /'
        echo "      Postfix's log: no connection from $src, no message $SWAKS_MSGID"
        lab_pass "$name: the $role's connection timed out (not refused) and Postfix never saw it"
    else
        echo "NOT DROPPED"
        lab_fail "$name: the $role's connection was expected to time out (swaks: exit 2, 'connect: timeout')" \
            "$SWAKS_OUT"
    fi
}

# status_mode: the mode on the "mode:" line of `xdpguard status` (in XG_OUT).
status_mode() { sed -n 's/^mode:[[:space:]]*\([a-z]*\).*/\1/p' <<<"$XG_OUT"; }

# allow_sources PREFIX: the SOURCES column of PREFIX's row of `xdpguard
# allow list` (in XG_OUT).
allow_sources() { awk -v p="$1" 'NR > 1 && $1 == p { print $4 }' <<<"$XG_OUT"; }

# drop_log_lines SOURCE ACTION: lines of the daemon's drop log for SOURCE.
drop_log_lines() { grep -F "denied SYN from $1 port" "$DAEMON_LOG.out" | grep -F "($2)"; }

# prom_table EXPR: shows an instant query's samples as Prometheus returns them.
prom_table() {
    echo "  # GET $PROM_URL/api/v1/query?query=$1"
    prom table "$PROM_URL" "$1" | indent
}

started=$SECONDS
say "The lab: a mail server behind a filtering provider"
lab_up
lab_add_peer provider2 2 "$P2_SRV4" "$P2_SRV6" "$P2_4" "$P2_6"
P2_IF=$LAB_PEER_IF
postfix_start
nsd_start 1
read -r METRICS_PORT prom_port < <(lab_free_ports 2)
[[ -n ${prom_port:-} ]] || lab_die "no free ports in the server namespace"
cat <<EOF
  mail server  Postfix on port 25 (its log: $POSTFIX_LOG)
  gateway      $LAB_GW4, $LAB_GW6    the provider's gateway: in $LAB_GW_NET4, $LAB_GW_NET6
  spammer      $LAB_SP4, $LAB_SP6  direct delivery, skipping the MX
  provider2    $P2_4, $P2_6    a second provider, published by SPF at $SPF_DOMAIN
               (NSD on the server's 127.0.0.1:$NSD_PORT)
  xdpguard run --config $DAEMON_CONFIG, metrics on 127.0.0.1:$METRICS_PORT,
  Prometheus on 127.0.0.1:$prom_port scraping it every second
EOF

say "1. Monitor mode: nothing is dropped, the spammer is counted as 'would drop'"
write_config monitor
sed 's/^/  | /' "$DAEMON_CONFIG"
daemon_check_start "xdpguard run starts in monitor mode"
prometheus_start "$METRICS_PORT" "$prom_port" || lab_die "Prometheus did not start"
send_mail gateway "$LAB_GW4" "$LAB_SRV_GW4" monitor-gw4 delivered
send_mail gateway "$LAB_GW6" "$LAB_SRV_GW6" monitor-gw6 delivered
send_mail spammer "$LAB_SP4" "$LAB_SRV_SP4" monitor-spam4 delivered
send_mail spammer "$LAB_SP6" "$LAB_SRV_SP6" monitor-spam6 delivered
show status
lab_check_eq "status says mode monitor" "$(status_mode)" monitor
monitored4=$(lab_counter denied_ipv4 monitored) monitored6=$(lab_counter denied_ipv6 monitored)
lab_check_gt "the spammer's SYN counts as would-drop (IPv4)" "$monitored4" 0
lab_check_gt "the spammer's SYN counts as would-drop (IPv6)" "$monitored6" 0
lab_check_eq "nothing was dropped" "$(lab_counter denied_ipv4 dropped)/$(lab_counter denied_ipv6 dropped)" 0/0
allowed4_monitor=$(stats_allowed "$LAB_GW_NET4") allowed6_monitor=$(stats_allowed "$LAB_GW_NET6")
lab_check_gt "the gateway's SYNs count as allowed ($LAB_GW_NET4)" "$allowed4_monitor" 0
lab_check_gt "the gateway's SYNs count as allowed ($LAB_GW_NET6)" "$allowed6_monitor" 0
PROM_DEADLINE=$((SECONDS + 15))
prom_expect "Prometheus has the spammer's would-drops (IPv4)" \
    'xdpguard_syn_denied_total{action="monitored",family="ipv4"}' "$monitored4"
prom_expect "Prometheus has the spammer's would-drops (IPv6)" \
    'xdpguard_syn_denied_total{action="monitored",family="ipv6"}' "$monitored6"
echo "  the daemon's drop log (stdout; the journal under systemd):"
lab_wait_until 5 drop_log_lines "$LAB_SP4" monitored
drop_log_lines "$LAB_SP4" monitored | head -n 2 | indent
lab_check "the drop log names the spammer (monitored)" drop_log_lines "$LAB_SP4" monitored
lab_check_fails "the drop log does not name the gateway" grep -qF "from $LAB_GW4 " "$DAEMON_LOG.out"

say "2. Enforce: the gateway's mail arrives, the spammer's SYNs are dropped"
echo "  (mode = \"enforce\" in the config, saved: the daemon applies it at once)"
reload_config enforce
lab_check_contains "the daemon switched to enforce" "$(<"$DAEMON_LOG.err")" "mode monitor -> enforce"
xg_capture status
lab_check_eq "status says mode enforce" "$(status_mode)" enforce
send_mail gateway "$LAB_GW4" "$LAB_SRV_GW4" enforce-gw4 delivered
send_mail gateway "$LAB_GW6" "$LAB_SRV_GW6" enforce-gw6 delivered
send_mail spammer "$LAB_SP4" "$LAB_SRV_SP4" enforce-spam4 dropped
send_mail spammer "$LAB_SP6" "$LAB_SRV_SP6" enforce-spam6 dropped
lab_check_gt "the spammer's SYNs were dropped (IPv4)" "$(lab_counter denied_ipv4 dropped)" 0
lab_check_gt "the spammer's SYNs were dropped (IPv6)" "$(lab_counter denied_ipv6 dropped)" 0
echo "  the daemon's drop log:"
drop_log_lines "$LAB_SP4" dropped | head -n 2 | indent
lab_check "the drop log names the spammer (dropped)" drop_log_lines "$LAB_SP4" dropped

say "3. What Prometheus saw, and xdpguard top"
dropped4=$(stats_value verdicts.denied_ipv4.dropped) dropped6=$(stats_value verdicts.denied_ipv6.dropped)
allowed4=$(stats_allowed "$LAB_GW_NET4") allowed6=$(stats_allowed "$LAB_GW_NET6")
lab_check_gt "the gateway's SYNs in enforce mode count as allowed too ($LAB_GW_NET4)" "$allowed4" "$allowed4_monitor"
lab_check_gt "the gateway's SYNs in enforce mode count as allowed too ($LAB_GW_NET6)" "$allowed6" "$allowed6_monitor"
PROM_DEADLINE=$((SECONDS + 15))
prom_expect "Prometheus has the spammer's dropped SYNs (IPv4)" \
    'xdpguard_syn_denied_total{action="dropped",family="ipv4"}' "$dropped4"
prom_expect "Prometheus has the spammer's dropped SYNs (IPv6)" \
    'xdpguard_syn_denied_total{action="dropped",family="ipv6"}' "$dropped6"
prom_expect "Prometheus has the gateway's allowed SYNs ($LAB_GW_NET4)" \
    "xdpguard_syn_allowed_total{prefix=\"$LAB_GW_NET4\"}" "$allowed4"
prom_expect "Prometheus has the gateway's allowed SYNs ($LAB_GW_NET6)" \
    "xdpguard_syn_allowed_total{prefix=\"$LAB_GW_NET6\"}" "$allowed6"
prom_table 'xdpguard_syn_allowed_total'
prom_table 'xdpguard_syn_denied_total'
prom_table 'xdpguard_denied_source_syns_total'
show top
lab_check_contains "top names the spammer's /24" "$XG_OUT" "198.51.100.0/24"
lab_check_contains "top names the spammer's /48" "$XG_OUT" "2001:db8:2::/48"

say "4. A second provider, imported from its SPF record"
send_mail provider2 "$P2_4" "$P2_SRV4" before-spf-p2 dropped
show spf flatten "$SPF_DOMAIN" --dns-server "127.0.0.1:$NSD_PORT"
echo "  (the SPF domain added to [sources], saved)"
reload_config enforce spf
tail -n 3 "$DAEMON_CONFIG" | sed 's/^/  | /'
lab_check "the daemon imported $SPF_DOMAIN" daemon_wait_log "spf:$SPF_DOMAIN: +2 -0 =0"
grep -F "spf:$SPF_DOMAIN" "$DAEMON_LOG.err" | sed 's/^/  /'
send_mail provider2 "$P2_4" "$P2_SRV4" after-spf-p2v4 delivered
send_mail provider2 "$P2_6" "$P2_SRV6" after-spf-p2v6 delivered
show allow list
lab_check_eq "203.0.113.0/24 comes from spf:$SPF_DOMAIN" "$(allow_sources 203.0.113.0/24)" "spf:$SPF_DOMAIN"
lab_check_eq "2001:db8:3::/64 comes from spf:$SPF_DOMAIN" "$(allow_sources 2001:db8:3::/64)" "spf:$SPF_DOMAIN"

say "The mailbox"
inbox=$POSTFIX_DIR/mail/inbox/new
delivered=$(find "$inbox" -type f | wc -l)
echo "  $delivered messages in $inbox:"
grep -h '^Subject: ' "$inbox"/* | sort | indent
lab_check_eq "8 messages arrived (4 in monitor, 2 from the gateway, 2 from provider2)" "$delivered" 8
lab_check_fails "none from the spammer after the switch to enforce" grep -q '^Subject: enforce-spam' "$inbox"/*

if [[ $LAB_FAILED -gt 0 ]]; then
    echo "=== the daemon's log"
    indent <"$DAEMON_LOG.err"
    echo "=== Postfix's log"
    indent <"$POSTFIX_LOG"
fi
echo
echo "demo: $((SECONDS - started)) s after the build; everything it created is removed on exit"
lab_finish
