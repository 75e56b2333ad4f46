#!/bin/bash
# e2e: monitor mode passes what enforce would drop and counts it; bypass
# passes it uncounted; switching back to enforce drops again, without
# reattaching.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect

lab_step "monitor: the spammer gets through and is counted as would-drop"
lab_check_xg_exit "mode monitor" 0 mode monitor
lab_check_eq "status: mode" "$(xg_json mode)" monitor
dropped4=$(lab_counter denied_ipv4 dropped)
monitored4=$(lab_counter denied_ipv4 monitored)
monitored6=$(lab_counter denied_ipv6 monitored)
lab_check "spammer -> [$LAB_SRV_SP4]:25" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check "spammer -> [$LAB_SRV_SP6]:25" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_gt "denied_ipv4.monitored grew" "$(lab_counter denied_ipv4 monitored)" "$monitored4"
lab_check_gt "denied_ipv6.monitored grew" "$(lab_counter denied_ipv6 monitored)" "$monitored6"
lab_check_eq "denied_ipv4.dropped unchanged" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_contains "human status says 'would drop'" "$(xg status 2>&1)" "would drop"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "bypass: the spammer gets through and nothing is counted"
lab_check_xg_exit "mode bypass" 0 mode bypass
lab_check_eq "status: mode" "$(xg_json mode)" bypass
dropped4=$(lab_counter denied_ipv4 dropped)
monitored4=$(lab_counter denied_ipv4 monitored)
lab_check "spammer -> [$LAB_SRV_SP4]:25" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check_eq "denied_ipv4.monitored unchanged" "$(lab_counter denied_ipv4 monitored)" "$monitored4"
lab_check_eq "denied_ipv4.dropped unchanged" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_contains "human status says 'break glass'" "$(xg status 2>&1)" "break glass"

lab_step "enforce again: the spammer is dropped"
lab_check_xg_exit "mode enforce" 0 mode enforce
lab_check_eq "status: mode" "$(xg_json mode)" enforce
dropped4=$(lab_counter denied_ipv4 dropped)
monitored4=$(lab_counter denied_ipv4 monitored)
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_gt "denied_ipv4.dropped grew" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_eq "denied_ipv4.monitored unchanged" "$(lab_counter denied_ipv4 monitored)" "$monitored4"
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25

lab_finish
