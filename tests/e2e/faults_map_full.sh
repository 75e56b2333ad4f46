#!/bin/bash
# e2e: a full allowlist refuses more prefixes with a message naming its limit
# and how to raise it; the refused add or sync changes nothing at all, and
# the filter keeps working. The same for full source records (two per prefix
# of the capacity: a prefix may be listed by several sources).
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

CAPACITY=100

# refused DESC ARGS...: `xdpguard ARGS` fails, names the capacity and
# --max-prefixes, and leaves the allow list exactly as it was.
refused() {
    local desc=$1 before
    shift
    before=$(allow_snapshot)
    lab_check_xg_exit "$desc is refused" nonzero "$@"
    lab_check_contains "$desc: the message names the limit ($CAPACITY)" "$XG_ERR" "$CAPACITY prefixes"
    lab_check_contains "$desc: the message says how to raise it" "$XG_ERR" "--max-prefixes"
    lab_check_eq "$desc: allow list unchanged" "$(allow_snapshot)" "$before"
}

lab_step "a monitoring filter with room for $CAPACITY prefixes"
lab_check_xg_exit "attach --monitor --max-prefixes $CAPACITY" 0 \
    attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --monitor --max-prefixes "$CAPACITY"
lab_check_eq "status: capacity" "$(xg_json capacity)" "$CAPACITY"
lab_check_xg_exit "allow add the gateway's prefixes" 0 allow add "$LAB_GW_NET4" "$LAB_GW_NET6"

lab_step "a sync of 150 prefixes into the nearly empty filter changes nothing"
big=$LAB_TMP/big.txt
cidr_file "$big" v6/48:0-74 v4/32:0-74
lab_check_eq "the file holds 150 prefixes" "$(wc -l <"$big")" 150
refused "allow sync big.txt (2 + 150 > $CAPACITY)" allow sync "$big"
lab_check_eq "status: still 2 prefixes" "$(xg_json prefixes.ipv4)/$(xg_json prefixes.ipv6)" 1/1
lab_check_fails "no source file:big.txt was recorded" grep -q 'file:big' <<<"$(allow_snapshot)"

lab_step "fill up to $((CAPACITY - 1)) prefixes, then add past the limit"
cidr_file "$LAB_TMP/fill.txt" v6/48:100-196
mapfile -t fill <"$LAB_TMP/fill.txt"
lab_check_xg_exit "allow add ${#fill[@]} prefixes" 0 allow add "${fill[@]}"
lab_check_eq "allow list holds $((CAPACITY - 1))" "$(allowq count)" $((CAPACITY - 1))
refused "allow add of two more ($((CAPACITY + 1)) > $CAPACITY)" allow add 203.0.113.200/32 203.0.113.201/32
refused "allow add of two more under another source" \
    allow add 203.0.113.200/32 203.0.113.201/32 --source file:other
lab_check_xg_exit "allow add of one more fills it exactly" 0 allow add 203.0.113.200/32
lab_check_eq "allow list holds $CAPACITY" "$(allowq count)" "$CAPACITY"
refused "allow add one past a full allowlist" allow add 203.0.113.201/32

lab_step "a full allowlist still takes what needs no new slot"
lab_check_xg_exit "allow add of a listed prefix" 0 allow add 203.0.113.200/32
lab_check_xg_exit "allow add of a listed prefix under a second source" 0 \
    allow add "$LAB_GW_NET4" --source file:second
lab_check_eq "$LAB_GW_NET4 sources" "$(allowq field "$LAB_GW_NET4" sources)" "file:second,manual"
lab_check_eq "allow list holds $CAPACITY" "$(allowq count)" "$CAPACITY"

lab_step "a sync of 150 prefixes into the full filter changes nothing"
refused "allow sync big.txt ($CAPACITY + 150 > $CAPACITY)" allow sync "$big"

lab_step "the full filter works: removals, enforcement, the gateway passes, the spammer is dropped"
lab_check_xg_exit "allow del 203.0.113.200/32" 0 allow del 203.0.113.200/32
lab_check_eq "allow list holds $((CAPACITY - 1))" "$(allowq count)" $((CAPACITY - 1))
lab_check_xg_exit "allow add 203.0.113.201/32 takes the freed slot" 0 allow add 203.0.113.201/32
lab_check "rule ids are unique" allowq unique-rules
lab_check_xg_exit "mode enforce" 0 mode enforce
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1
lab_check_gt "$LAB_GW_NET4 counted the gateway's SYN" "$(allowq field "$LAB_GW_NET4" allowed_syns)" 0

lab_step "the source records ($((2 * CAPACITY))) are full: a sync or an add past them changes nothing"
allowq prefixes >"$LAB_TMP/all.txt"
records=$(($(allowq count) + 1))  # $LAB_GW_NET4 has two sources
refused_records() {
    local desc=$1 before
    shift
    before=$(allow_snapshot)
    lab_check_xg_exit "$desc is refused" 1 "$@"
    lab_check_contains "$desc: the message says what is full" "$XG_ERR" "source records are full"
    lab_check_contains "$desc: the message names the limit" "$XG_ERR" "keeps $((2 * CAPACITY))"
    lab_check_contains "$desc: the message says how to raise it" "$XG_ERR" "--max-prefixes"
    lab_check_eq "$desc: allow list unchanged" "$(allow_snapshot)" "$before"
}
refused_records "allow sync all.txt ($records + $CAPACITY records > $((2 * CAPACITY)))" allow sync "$LAB_TMP/all.txt"
grep -vxF "$LAB_GW_NET4" "$LAB_TMP/all.txt" >"$LAB_TMP/most.txt"
lab_check_xg_exit "allow sync most.txt fills the records exactly" 0 allow sync "$LAB_TMP/most.txt"
refused_records "allow add of a listed prefix under a third source" allow add 203.0.113.201/32 --source file:third
lab_check "rule ids are unique" allowq unique-rules

lab_finish
