#!/bin/bash
# e2e: removing a prefix stops new connections from it, but an SMTP session
# already established keeps working (only SYNs are filtered).
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect

lab_step "the gateway opens sessions and holds them"
release=$LAB_TMP/release
holders=()
for addr in "$LAB_SRV_GW4" "$LAB_SRV_GW6"; do
    connected=$LAB_TMP/connected-${#holders[@]}
    lab_in_background gateway "$LAB_PYTHON" "$LAB_DIR/smtp_client.py" --quiet "$addr" 25 \
        --hold-until "$release" --hold-max 30 --connected-file "$connected"
    holders+=("$LAB_BG_PID")
    lab_check "gateway holds a session to [$addr]:25" lab_wait_file "$connected" 5
done

lab_step "emptying the allowlist while enforcing needs --force"
lab_check_xg_exit "allow del of every prefix without --force is refused" nonzero \
    allow del "$LAB_GW_NET4" "$LAB_GW_NET6"
lab_check_contains "the refusal mentions --force" "$XG_ERR" "--force"
lab_check_eq "status: both prefixes still there" \
    "$(xg_json prefixes.ipv4)/$(xg_json prefixes.ipv6)" 1/1
lab_check_xg_exit "allow del --force $LAB_GW_NET4 $LAB_GW_NET6" 0 \
    allow del --force "$LAB_GW_NET4" "$LAB_GW_NET6"
lab_check_eq "status: no prefixes left" \
    "$(xg_json prefixes.ipv4)/$(xg_json prefixes.ipv6)" 0/0

lab_step "the held sessions still work; new ones are dropped"
touch "$release"
for i in "${!holders[@]}"; do
    wait "${holders[$i]}"
    lab_check_eq "held session $i echoes a line after the delete (client exit)" "$?" 0
done
dropped4=$(lab_counter denied_ipv4 dropped)
dropped6=$(lab_counter denied_ipv6 dropped)
lab_check_fails "new gateway -> [$LAB_SRV_GW4]:25 times out" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "new gateway -> [$LAB_SRV_GW6]:25 times out" lab_connect gateway "$LAB_SRV_GW6" 25
lab_check_gt "denied_ipv4.dropped grew" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_gt "denied_ipv6.dropped grew" "$(lab_counter denied_ipv6 dropped)" "$dropped6"

lab_finish
