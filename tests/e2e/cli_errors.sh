#!/bin/bash
# e2e: the CLI refuses unsafe or malformed requests against a live lab, with
# a message that says what to do, and leaves everything as it was.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

lab_step "enforcing an empty allowlist is refused"
lab_check_xg_exit "attach (enforce by default) with no prefixes" nonzero \
    attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"
lab_check_contains "the message mentions the empty allowlist" "$XG_ERR" "empty"
lab_check_contains "the message mentions allowlist" "$XG_ERR" "allowlist"
lab_check_contains "the message mentions --monitor" "$XG_ERR" "--monitor"
lab_check_contains "the message mentions --force" "$XG_ERR" "--force"
for ifname in "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP"; do
    lab_check_fails "no XDP program on $ifname" lab_xdp_attached "$ifname"
done
lab_check_fails "no pin dir left behind" test -e "$LAB_PIN_DIR"
lab_check "spammer -> [$LAB_SRV_SP4]:25" lab_connect spammer "$LAB_SRV_SP4" 25

lab_step "monitoring an empty allowlist is allowed"
lab_check_xg_exit "attach --monitor with no prefixes" 0 attach "$LAB_IF_SRV_GW" --monitor
lab_check_eq "status: mode" "$(xg_json mode)" monitor
lab_check_xg_exit "mode enforce with no prefixes is refused" nonzero mode enforce
lab_check_eq "status: still monitoring" "$(xg_json mode)" monitor
lab_check_xg_exit "detach --all --purge" 0 detach --all --purge

lab_step "prefixes with host bits are bad input"
lab_check_xg_exit "allow add 192.0.2.1/24" 2 allow add 192.0.2.1/24
lab_check_contains "the message suggests 192.0.2.0/24" "$XG_ERR" "192.0.2.0/24"
lab_check_xg_exit "allow add 2001:db8:1::1/64" 2 allow add 2001:db8:1::1/64
lab_check_contains "the message suggests 2001:db8:1::/64" "$XG_ERR" "2001:db8:1::/64"

lab_step "allow add is all or nothing"
lab_check_xg_exit "allow add 203.0.113.0/24 (before any attach)" 0 allow add 203.0.113.0/24
lab_check_xg_exit "allow add 192.0.2.0/24 bogus" 2 allow add 192.0.2.0/24 bogus
lab_check_contains "the message names 'bogus'" "$XG_ERR" "bogus"
xg_capture allow list
lab_check_contains "allow list still has 203.0.113.0/24" "$XG_OUT" "203.0.113.0/24"
lab_check_lacks "192.0.2.0/24 was not added" "$XG_OUT" "192.0.2.0/24"
lab_check_eq "status: one IPv4 prefix" "$(xg_json prefixes.ipv4)" 1

lab_step "attaching to an interface that does not exist"
missing=xg${LAB_ID}zz
lab_check_xg_exit "attach $missing" nonzero attach "$missing" --monitor
lab_check_contains "the message names $missing" "$XG_ERR" "$missing"
lab_check_xg_exit "attach $LAB_IF_SRV_GW $missing" nonzero attach "$LAB_IF_SRV_GW" "$missing" --monitor
lab_check_fails "no XDP program left on $LAB_IF_SRV_GW" lab_xdp_attached "$LAB_IF_SRV_GW"
lab_check_eq "status: no interfaces" "$(xg_json 'interfaces.#')" 0

lab_step "other bad input"
lab_check_xg_exit "mode bogus" 2 mode bogus
lab_check_xg_exit "attach --mode bogus" 2 attach "$LAB_IF_SRV_GW" --mode bogus

lab_finish
