#!/bin/bash
# e2e: the protected ports change at run time, for every attached interface.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect

lab_step "ports 25 2525: both are protected"
lab_check_xg_exit "ports 25 2525" 0 ports 25 2525
lab_check_eq "status: ports" "$(xg_json ports)" "[25,2525]"
dropped4=$(lab_counter denied_ipv4 dropped)
dropped6=$(lab_counter denied_ipv6 dropped)
lab_check_fails "spammer -> [$LAB_SRV_SP4]:2525 times out" lab_connect spammer "$LAB_SRV_SP4" 2525
lab_check_fails "spammer -> [$LAB_SRV_SP6]:2525 times out" lab_connect spammer "$LAB_SRV_SP6" 2525
lab_check_gt "denied_ipv4.dropped grew" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_gt "denied_ipv6.dropped grew" "$(lab_counter denied_ipv6 dropped)" "$dropped6"
lab_check "gateway -> [$LAB_SRV_GW4]:2525" lab_connect gateway "$LAB_SRV_GW4" 2525

lab_step "ports 2525: port 25 is open again"
lab_check_xg_exit "ports 2525" 0 ports 2525
lab_check_eq "status: ports" "$(xg_json ports)" "[2525]"
lab_check "spammer -> [$LAB_SRV_SP4]:25" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check "spammer -> [$LAB_SRV_SP6]:25" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:2525 still times out" lab_connect spammer "$LAB_SRV_SP4" 2525

lab_step "bad ports change nothing"
lab_check_xg_exit "ports 0 is bad input" 2 ports 0
lab_check_xg_exit "ports 65536 is bad input" 2 ports 65536
lab_check_xg_exit "ports 25 smtp is bad input" 2 ports 25 smtp
lab_check_eq "status: ports unchanged" "$(xg_json ports)" "[2525]"

lab_finish
