#!/bin/bash
# e2e: the server's own outbound SMTP works while enforcing: the replies come
# from port 25 but carry ACK, so they are not SYNs to a protected port.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect
lab_listen spammer 25 || lab_die "the listener in the spammer namespace did not start"

lab_step "server -> a remote MTA on :25 outside the allowlist"
dropped4=$(lab_counter denied_ipv4 dropped)
dropped6=$(lab_counter denied_ipv6 dropped)
lab_check "server -> [$LAB_SP4]:25" lab_connect server "$LAB_SP4" 25
lab_check "server -> [$LAB_SP6]:25" lab_connect server "$LAB_SP6" 25
lab_check_eq "denied_ipv4.dropped unchanged" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_eq "denied_ipv6.dropped unchanged" "$(lab_counter denied_ipv6 dropped)" "$dropped6"
lab_check_eq "status: still enforcing" "$(xg_json mode)" enforce

lab_finish
