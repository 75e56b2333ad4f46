#!/bin/bash
# e2e: on an interface whose driver has no native XDP, --mode native fails
# clearly and leaves nothing attached, while --mode auto falls back to
# generic XDP, says so, and filters. The interface is the first of several
# kinds (bridge first: the spammer's veth is enslaved to it, so real traffic
# crosses it) on which a native attach fails in this kernel.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

# candidate_create KIND NAME: creates an interface of KIND in the server
# namespace (and brings it up); fails if this kernel cannot make one.
candidate_create() {
    local kind=$1 name=$2
    case $kind in
        bridge) lab_in server ip link add "$name" type bridge ;;
        dummy) lab_in server ip link add "$name" type dummy ;;
        vxlan) lab_in server ip link add "$name" type vxlan id 42 dstport 4789 local "$LAB_SRV_GW4" ;;
        macvlan) lab_in server ip link add "$name" link "$LAB_IF_SRV_GW" type macvlan mode bridge ;;
        ipvlan) lab_in server ip link add "$name" link "$LAB_IF_SRV_GW" type ipvlan ;;
        ipip) lab_in server ip link add "$name" type ipip local "$LAB_SRV_GW4" remote "$LAB_GW4" ;;
        gre) lab_in server ip link add "$name" type gre local "$LAB_SRV_GW4" remote "$LAB_GW4" ;;
        *) return 1 ;;
    esac 2>/dev/null && lab_in server ip link set "$name" up
}

# Moves the spammer-side server address onto the bridge, with the veth as
# its port, so that the spammer's SYNs reach the server through the bridge.
bridge_the_spammer() {
    local br=$1
    lab_in server sh -c "
        ip addr flush dev $LAB_IF_SRV_SP scope global &&
        ip link set $LAB_IF_SRV_SP master $br &&
        ip addr add $LAB_SRV_SP4/24 dev $br &&
        ip -6 addr add $LAB_SRV_SP6/64 dev $br nodad" || lab_die "cannot bridge $LAB_IF_SRV_SP into $br"
    lab_wait_connect spammer "$LAB_SRV_SP4" 80 || lab_die "the spammer cannot reach the server through $br"
}

lab_step "the allowlist first, in monitor mode"
lab_check_xg_exit "allow add $LAB_GW_NET4 $LAB_GW_NET6" 0 allow add "$LAB_GW_NET4" "$LAB_GW_NET6"

lab_step "find an interface without native XDP"
target="" target_kind=""
for kind in bridge dummy vxlan macvlan ipvlan ipip gre; do
    name=xg${LAB_ID}${kind:0:2}
    if ! candidate_create "$kind" "$name"; then
        echo "      $kind: cannot be created here"
        continue
    fi
    xg_capture attach "$name" --mode native
    if [[ $XG_RC -ne 0 ]]; then
        echo "      $kind: native XDP refused: $XG_ERR"
        target=$name target_kind=$kind
        break
    fi
    echo "      $kind: has native XDP"
    xg detach "$name" >/dev/null || lab_die "cannot detach $name"
    lab_in server ip link del "$name"
done
[[ -n $target ]] || lab_die "every candidate interface kind has native XDP in this kernel"
lab_pass "a $target_kind ($target) has no native XDP"

lab_step "--mode native on the $target_kind fails and leaves nothing attached"
lab_check_xg_exit "attach $target --mode native" 1 attach "$target" --mode native
lab_check_contains "the message names $target" "$XG_ERR" "$target"
lab_check_contains "the message names native XDP" "$XG_ERR" "native"
lab_check_contains "the message suggests --mode generic" "$XG_ERR" "--mode generic"
lab_check_fails "no XDP program on $target" lab_xdp_attached "$target"
lab_check_eq "status: no interfaces" "$(xg_json 'interfaces.#')" 0
lab_check_fails "no link pinned for $target" test -e "$LAB_PIN_DIR/link_$target"
lab_check_eq "status: the failed attach left monitor mode as it was" "$(xg_json mode)" monitor

lab_step "--mode auto falls back to generic and says so"
[[ $target_kind != bridge ]] || bridge_the_spammer "$target"
lab_check_xg_exit "attach $target --enforce (mode auto)" 0 attach "$target" --enforce
lab_check_contains "attach says it fell back to generic" "$XG_OUT" "fell back to generic"
lab_check_contains "attach reports generic XDP" "$XG_OUT" "$target: attached (generic XDP"
lab_check_eq "status: $target mode" "$(xg_json "interfaces.name=$target.mode")" generic
lab_check "ip link shows xdpgeneric on $target" \
    sh -c "nsenter --net=/run/netns/$LAB_NS_SRV ip -d link show dev $target | grep -q xdpgeneric"
lab_check_eq "status: program id matches ip link" \
    "$(xg_json "interfaces.name=$target.program_id")" "$(lab_xdp_prog_id "$target")"
if [[ $target_kind == bridge ]]; then
    lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 through the bridge times out" \
        lab_connect spammer "$LAB_SRV_SP4" 25 1
    lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 through the bridge times out" \
        lab_connect spammer "$LAB_SRV_SP6" 25 1
    lab_check "spammer -> [$LAB_SRV_SP4]:80 through the bridge passes" lab_connect spammer "$LAB_SRV_SP4" 80
    lab_check_gt "status: denied_ipv4 dropped" "$(lab_counter denied_ipv4 dropped)" 0
fi
lab_check_xg_exit "attach $target --mode auto again" 0 attach "$target" --mode auto
lab_check_contains "it is already attached" "$XG_OUT" "$target: already attached (generic XDP)"

lab_step "a veth next to it gets native XDP without a fallback note"
lab_check_xg_exit "attach $LAB_IF_SRV_GW" 0 attach "$LAB_IF_SRV_GW"
lab_check_contains "attach reports native XDP" "$XG_OUT" "$LAB_IF_SRV_GW: attached (native XDP)"
lab_check_lacks "no fallback note" "$XG_OUT" "fell back"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "detach"
lab_check_xg_exit "detach --all" 0 detach --all
lab_check_fails "no XDP program on $target" lab_xdp_attached "$target"
lab_check_fails "no XDP program on $LAB_IF_SRV_GW" lab_xdp_attached "$LAB_IF_SRV_GW"

lab_finish
