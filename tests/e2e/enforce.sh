#!/bin/bash
# e2e: in enforce mode a SYN to :25 from outside the allowlist is dropped;
# the allowlisted gateway and every other port are untouched.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

lab_step "allowlist the gateway and attach to both server-side veths (default mode)"
lab_check_xg_exit "allow add $LAB_GW_NET4 $LAB_GW_NET6" 0 allow add "$LAB_GW_NET4" "$LAB_GW_NET6"
lab_check_xg_exit "attach $LAB_IF_SRV_GW $LAB_IF_SRV_SP" 0 attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"
for ifname in "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"; do
    lab_check_contains "attach reports $ifname" "$XG_OUT" "$ifname: attached ("
    lab_check "ip link shows an XDP program on $ifname" lab_xdp_attached "$ifname"
    lab_check_eq "status: $ifname present" "$(xg_json "interfaces.name=$ifname.present")" true
    lab_check_eq "status: $ifname program id matches ip link" \
        "$(xg_json "interfaces.name=$ifname.program_id")" "$(lab_xdp_prog_id "$ifname")"
done
lab_check_eq "status: a new filter enforces" "$(xg_json mode)" enforce
lab_check_eq "status: a new filter protects port 25" "$(xg_json ports)" "[25]"
lab_check_eq "status: one IPv4 prefix" "$(xg_json prefixes.ipv4)" 1
lab_check_eq "status: one IPv6 prefix" "$(xg_json prefixes.ipv6)" 1
lab_check_eq "status: two interfaces" "$(xg_json 'interfaces.#')" 2
lab_check_eq "status: pin dir" "$(xg_json pin_dir)" "$LAB_PIN_DIR"

lab_step "the allowlisted gateway reaches :25"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25

lab_step "the spammer's SYNs to :25 are dropped and counted"
dropped4=$(lab_counter denied_ipv4 dropped)
dropped6=$(lab_counter denied_ipv6 dropped)
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_gt "denied_ipv4.dropped grew" "$(lab_counter denied_ipv4 dropped)" "$dropped4"
lab_check_gt "denied_ipv6.dropped grew" "$(lab_counter denied_ipv6 dropped)" "$dropped6"
lab_check_eq "nothing counted as monitored" \
    "$(lab_counter denied_ipv4 monitored)/$(lab_counter denied_ipv6 monitored)" 0/0

lab_step "other ports are not filtered"
lab_check "spammer -> [$LAB_SRV_SP4]:80" lab_connect spammer "$LAB_SRV_SP4" 80
lab_check "spammer -> [$LAB_SRV_SP6]:80" lab_connect spammer "$LAB_SRV_SP6" 80
lab_check "spammer -> [$LAB_SRV_SP4]:2525" lab_connect spammer "$LAB_SRV_SP4" 2525

lab_step "allow list counts the gateway's SYNs per prefix"
lab_check_xg_exit "allow list" 0 allow list
echo "$XG_OUT" | sed 's/^/      /'
lab_check_gt "$LAB_GW_NET4 allowed SYNs >= 1" "$(lab_allowed_syns "$LAB_GW_NET4")" 0
lab_check_gt "$LAB_GW_NET6 allowed SYNs >= 1" "$(lab_allowed_syns "$LAB_GW_NET6")" 0
lab_check_lacks "the spammer's prefix is not listed" "$XG_OUT" "198.51.100."

lab_finish
