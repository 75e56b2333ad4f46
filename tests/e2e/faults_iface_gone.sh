#!/bin/bash
# e2e: an attached interface disappears (its veth is deleted) and comes back.
# status tells the truth, detach works on the gone interface, attach works on
# the re-created one (with or without a detach in between), the other
# interface keeps filtering, and no bpf link or program is leaked.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
faults_require bpftool
lab_up

GONE=$LAB_IF_SRV_SP KEPT=$LAB_IF_SRV_GW
PROGRAMS=()  # every program id this test saw attached

iface_json() { xg_json "interfaces.name=$1.$2"; }

# xdpguard_links [MAP_ID]: the xdpguard links in the whole system, or only
# those whose program uses map MAP_ID. Other labs may attach and detach
# meanwhile: this lab's links are those of programs using its xg_config
# (a map's id stays unique while anything holds the map).
xdpguard_links() {
    bpftool -j link show | "$LAB_PYTHON" -c '
import json, subprocess, sys
progs = {p["id"]: p for p in json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))}
def ours(link):
    prog = progs.get(link.get("prog_id"), {})
    return prog.get("name") == "xdpguard_filter" and (len(sys.argv) < 2 or int(sys.argv[1]) in prog.get("map_ids", []))
print(sum(1 for link in json.load(sys.stdin) if ours(link)))' "$@"
}

remove_spammer_link() {
    lab_in server ip link del "$GONE" || lab_die "cannot delete $GONE"
}

recreate_spammer_link() {
    lab_link "$LAB_NS_SRV" "$GONE" "$LAB_SRV_SP4" "$LAB_SRV_SP6" \
             "$LAB_NS_SP" "$LAB_IF_SP" "$LAB_SP4" "$LAB_SP6"
    lab_wait_connect spammer "$LAB_SRV_SP4" 80 || lab_die "the re-created $GONE does not carry traffic"
}

# attached_ok IFACE: status, ip link and the kernel agree that IFACE runs
# our program; the id is appended to PROGRAMS and kept in PROG.
attached_ok() {
    PROG=$(iface_json "$1" program_id)
    PROGRAMS+=("$PROG")
    lab_check_eq "status: $1 present" "$(iface_json "$1" present)" true
    lab_check_eq "status: $1 program id matches ip link" "$PROG" "$(lab_xdp_prog_id "$1")"
}

spammer_dropped_on_new_link() {
    lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1
    lab_check "spammer -> [$LAB_SRV_SP4]:80 passes" lab_connect spammer "$LAB_SRV_SP4" 80
}

links_at_start=$(xdpguard_links)

lab_step "enforce on both server-side veths"
lab_protect
attached_ok "$GONE"
first=$PROG
lab_check_eq "program $first runs two links" "$(links_of_prog "$first")" 2
CONFIG_MAP=$(bpftool -j map show pinned "$LAB_PIN_DIR/xg_config" | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" id) ||
    lab_die "cannot read the id of $LAB_PIN_DIR/xg_config"
lab_check_eq "the system has two xdpguard links using this lab's maps" "$(xdpguard_links "$CONFIG_MAP")" 2

lab_step "delete $GONE while attached"
remove_spammer_link
lab_check_xg_exit "status" 0 status
lab_check_contains "status says $GONE is gone" "$XG_OUT" "$GONE: interface gone"
lab_check_eq "status --json: $GONE present" "$(iface_json "$GONE" present)" false
lab_check_eq "status --json: $GONE mode" "$(iface_json "$GONE" mode)" none
lab_check_eq "status --json: $KEPT still present" "$(iface_json "$KEPT" present)" true
lab_check "gateway -> [$LAB_SRV_GW4]:25 (the other interface still filters)" \
    lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_xg_exit "attach $GONE while it is gone" nonzero attach "$GONE"
lab_check_contains "the message names $GONE" "$XG_ERR" "$GONE"

lab_step "detach the gone interface"
lab_check_xg_exit "detach $GONE" 0 detach "$GONE"
lab_check_contains "detach reports it" "$XG_OUT" "$GONE: detached"
lab_check_eq "status: one interface left" "$(xg_json 'interfaces.#')" 1
lab_check_eq "program $first runs one link" "$(links_of_prog "$first")" 1

lab_step "re-create $GONE and attach again"
recreate_spammer_link
lab_check_eq "status: the re-created $GONE is not attached" "$(xg_json 'interfaces.#')" 1
lab_check_xg_exit "attach $GONE" 0 attach "$GONE"
lab_check_contains "attach reports a new attachment" "$XG_OUT" "$GONE: attached ("
attached_ok "$GONE"
second=$PROG
lab_check_eq "status: still enforcing" "$(xg_json mode)" enforce
spammer_dropped_on_new_link

lab_step "delete and re-create $GONE again, then attach without a detach"
remove_spammer_link
lab_check_eq "status --json: $GONE present" "$(iface_json "$GONE" present)" false
recreate_spammer_link
lab_check_eq "status --json: the old link is still defunct" "$(iface_json "$GONE" present)" false
lab_check_xg_exit "attach $GONE" 0 attach "$GONE"
lab_check_contains "attach reports a new attachment" "$XG_OUT" "$GONE: attached ("
attached_ok "$GONE"
lab_check_eq "the defunct link is gone: program $second runs no link" "$(links_of_prog "$second")" 0
lab_check_fails "program $second was freed" prog_alive "$second"
lab_check_eq "status: two interfaces" "$(xg_json 'interfaces.#')" 2
spammer_dropped_on_new_link

lab_step "delete it once more and detach everything"
remove_spammer_link
lab_check_xg_exit "detach --all --purge" 0 detach --all --purge
lab_check_contains "detach names $GONE" "$XG_OUT" "$GONE: detached"
lab_check_fails "no XDP program on $KEPT" lab_xdp_attached "$KEPT"
for prog in "${PROGRAMS[@]}"; do
    lab_check_eq "program $prog runs no link" "$(links_of_prog "$prog")" 0
    lab_check_fails "program $prog was freed" prog_alive "$prog"
done
lab_check_eq "no xdpguard link in the system uses this lab's maps" "$(xdpguard_links "$CONFIG_MAP")" 0
echo "      xdpguard_filter links in the system (other labs' included): $links_at_start at the start, $(xdpguard_links) now"

lab_finish
