#!/bin/bash
# e2e: detaching restores plain networking; --purge removes the pinned state
# only once no interface is left attached.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up
lab_protect

lab_step "the filter is in place"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25

lab_step "detach one interface with --purge: the other keeps filtering"
lab_check_xg_exit "detach $LAB_IF_SRV_SP --purge" 0 detach "$LAB_IF_SRV_SP" --purge
lab_check_lacks "it does not claim to have removed the pinned state" "$XG_OUT" "removed"
lab_check_fails "no XDP program on $LAB_IF_SRV_SP" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check "XDP program still on $LAB_IF_SRV_GW" lab_xdp_attached "$LAB_IF_SRV_GW"
lab_check "pin dir kept while $LAB_IF_SRV_GW is attached" test -d "$LAB_PIN_DIR"
lab_check_eq "status: allowlist kept" "$(xg_json prefixes.ipv4)/$(xg_json prefixes.ipv6)" 1/1
lab_check_eq "status: one interface" "$(xg_json 'interfaces.#')" 1
lab_check "spammer -> [$LAB_SRV_SP4]:25 (its interface is detached)" \
    lab_connect spammer "$LAB_SRV_SP4" 25
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "reattach, then detach --all --purge restores everything"
lab_check_xg_exit "attach $LAB_IF_SRV_SP again" 0 attach "$LAB_IF_SRV_SP"
lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_xg_exit "detach --all --purge" 0 detach --all --purge
for ifname in "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"; do
    lab_check_fails "no XDP program on $ifname" lab_xdp_attached "$ifname"
done
lab_check_fails "pin dir $LAB_PIN_DIR is gone" test -e "$LAB_PIN_DIR"
lab_check "spammer -> [$LAB_SRV_SP4]:25" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check "spammer -> [$LAB_SRV_SP6]:25" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check_xg_exit "status after purge" 0 status --json
lab_check_eq "status: exists" "$(xg_json exists)" false
lab_check_fails "status did not recreate the pin dir" test -e "$LAB_PIN_DIR"

lab_step "an interface that vanished while attached is still cleaned up"
lab_protect
lab_check "delete $LAB_IF_SRV_SP while attached" lab_in server ip link del "$LAB_IF_SRV_SP"
lab_check_eq "status: $LAB_IF_SRV_SP not present" "$(xg_json "interfaces.name=$LAB_IF_SRV_SP.present")" false
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_xg_exit "detach --all --purge" 0 detach --all --purge
lab_check_fails "no XDP program on $LAB_IF_SRV_GW" lab_xdp_attached "$LAB_IF_SRV_GW"
lab_check_fails "pin dir $LAB_PIN_DIR is gone" test -e "$LAB_PIN_DIR"

lab_finish
