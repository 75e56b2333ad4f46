#!/bin/bash
# e2e: the drop feed's rate limit. The daemon runs with [drop_log] rate = 5;
# the spammer sends 3,000 denied SYNs over about 3 s. The drop log gets at
# most what the kernel's per-CPU budget allows and at least two budgets'
# worth (so the budget refills), while the drop counters count every SYN.
# Then `xdpguard drop-log 50` raises the limit under the running daemon and
# a second burst is logged at the new rate. Last, the config switches the
# log to [drop_log] format = "json" (a reload): each record is then one JSON
# object with exactly the documented keys.
#
# The bound: each CPU has a budget of RATE events per window; a window
# starts when the budget is spent and at least 1 s has passed since the
# last one began. Over T seconds a CPU sees the window it was in (RATE) and
# at most floor(T) + 1 new ones, so at most RATE * (ceil(T) + 2) events.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

DAEMON_CONFIG=$LAB_TMP/xdpguard.toml
BURST=3000 FIRST_RATE=5 SECOND_RATE=50
CPUS=$(nproc)
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# write_config [FORMAT]: the daemon's config, replaced in one rename.
write_config() {
    {
        daemon_config_head ""
        cat <<EOF
[drop_log]
rate = $FIRST_RATE
format = "${1:-text}"
[sources]
prefixes = ["$LAB_GW_NET4", "$LAB_GW_NET6"]
EOF
    } >"$DAEMON_CONFIG.new"
    mv "$DAEMON_CONFIG.new" "$DAEMON_CONFIG"
}
write_config

# burst RATE: sends BURST SYNs at about 1,000 per second and checks what
# the drop log and the counters made of them. Sets LOGGED (the records) and
# WINDOWS (ceil(T) + 2, times the CPUs: the bound is RATE x WINDOWS).
burst() {
    local rate=$1 logged_before dropped_before started ended sent seconds logged bound
    logged_before=$(wc -l <"$DAEMON_LOG.out")
    dropped_before=$(lab_counter denied_ipv4 dropped)
    started=$(ms_now)
    read -r sent seconds < <(lab_in spammer "$LAB_PYTHON" "$LAB_DIR/syn_burst.py" \
        "$LAB_SP4" "$LAB_SRV_SP4" 25 "$BURST" --pace 1 --max-seconds 8)
    ended=$(ms_now)
    sleep 1  # the daemon drains the ring buffer as it fills; let it finish
    logged=$(($(wc -l <"$DAEMON_LOG.out") - logged_before))
    WINDOWS=$((((ended - started + 999) / 1000 + 2) * CPUS))
    LOGGED=$logged
    bound=$((rate * WINDOWS))
    echo "      $sent SYNs in $seconds s ($((ended - started)) ms with start-up): $logged logged," \
        "bound $rate x (ceil(T) + 2) x $CPUS CPUs = $bound"
    lab_check_eq "the spammer sent all $BURST SYNs" "${sent:-0}" "$BURST"
    lab_check_eq "denied_ipv4 dropped counts every SYN" "$(lab_counter denied_ipv4 dropped)" \
        $((dropped_before + BURST))
    lab_check "the drop log stays within the bound ($logged <= $bound)" test "$logged" -le "$bound"
    lab_check "the budget refills: more than one window's worth ($logged >= 2 x $rate)" \
        test "$logged" -ge $((2 * rate))
    lab_check_eq "every record is the spammer's SYN to port 25, dropped" \
        "$(tail -n "$logged" "$DAEMON_LOG.out" | "$LAB_PYTHON" "$LAB_DIR/drop_events.py" text /dev/stdin |
            cut -d' ' -f2,3,5,6,7 | sort -u)" "$LAB_IF_SRV_SP $LAB_SP4 25 0 dropped"
}

lab_step "the daemon with [drop_log] rate = $FIRST_RATE"
daemon_check_start "xdpguard run becomes ready"
lab_check_contains "status shows the rate" "$(xg status)" "drop log:   $FIRST_RATE events per second per CPU"

lab_step "a burst of $BURST denied SYNs at rate $FIRST_RATE"
burst "$FIRST_RATE"

lab_step "xdpguard drop-log $SECOND_RATE under the running daemon, another burst"
lab_check_xg_exit "drop-log $SECOND_RATE" 0 drop-log "$SECOND_RATE"
burst "$SECOND_RATE"
lab_check "more than rate $FIRST_RATE could have given ($LOGGED > $FIRST_RATE x $WINDOWS)" \
    test "$LOGGED" -gt $((FIRST_RATE * WINDOWS))

lab_step "format = \"json\" in the config, a reload: one JSON object per denied SYN, the documented keys"
write_config json
lab_check "the config is reloaded" daemon_wait_log "reloaded: " 1 10
logged_before=$(wc -l <"$DAEMON_LOG.out")
read -r sent _ < <(lab_in spammer "$LAB_PYTHON" "$LAB_DIR/syn_burst.py" "$LAB_SP4" "$LAB_SRV_SP4" 25 10)
read -r sent6 _ < <(lab_in spammer "$LAB_PYTHON" "$LAB_DIR/syn_burst.py" "$LAB_SP6" "$LAB_SRV_SP6" 25 10)
lab_check_eq "the spammer sent 10 + 10 SYNs" "${sent:-0} ${sent6:-0}" "10 10"
json_log=$LAB_TMP/drop-log.json
# shellcheck disable=SC2317 # called through lab_wait_until
drop_log_has() { (($(wc -l <"$DAEMON_LOG.out") >= $1)); }
lab_wait_until 2 drop_log_has $((logged_before + 20))
tail -n +$((logged_before + 1)) "$DAEMON_LOG.out" >"$json_log"
lab_check_eq "all 20 are logged (rate $SECOND_RATE)" "$(wc -l <"$json_log")" 20
lab_check "each is JSON with exactly the keys time, interface, source, source_port, port, vlan, action" \
    "$LAB_PYTHON" "$LAB_DIR/drop_events.py" json "$json_log"
lab_check_eq "interface, source, port, vlan and action" \
    "$("$LAB_PYTHON" "$LAB_DIR/drop_events.py" json "$json_log" | cut -d' ' -f2,3,5,6,7 | sort | uniq -c |
        awk '{ $1 = $1; print }')" \
    "10 $LAB_IF_SRV_SP $LAB_SP4 25 0 dropped"$'\n'"10 $LAB_IF_SRV_SP $LAB_SP6 25 0 dropped"
lab_check_eq "the source ports are the SYNs' (40000 to 40009, twice)" \
    "$("$LAB_PYTHON" "$LAB_DIR/drop_events.py" json "$json_log" | cut -d' ' -f4 | sort -u | tr '\n' ' ')" \
    "40000 40001 40002 40003 40004 40005 40006 40007 40008 40009 "

lab_step "the gateway is unaffected"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
daemon_stop
lab_check_eq "the daemon exits 0" "$DAEMON_RC" 0

lab_finish
