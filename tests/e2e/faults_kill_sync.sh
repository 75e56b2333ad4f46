#!/bin/bash
# e2e: `allow sync` SIGKILLed at random points. Thirty syncs between two
# files of 3,002 prefixes (half shared, the gateway's prefixes in both) are
# killed after a random delay spread over a sync's run time, while the
# gateway keeps connecting to :25 in enforce mode. After every kill: the
# gateway's prefixes are listed (and `check` allows the gateway, every fifth
# time), every listed prefix comes from one of the files, no rule id is
# shared (also after a manual add that follows a kill), the gateway's counter
# never went back, and a follow-up sync of the target file converges to
# exactly that file. Not one gateway connection fails.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

ITERATIONS=30
CHECK_EVERY=5      # `xdpguard check` (a program load) on every fifth iteration
MARKER=203.0.113.77/32  # a manual prefix in neither file
LOOP_MAX_ATTEMPTS=20000 LOOP_MAX_SECONDS=75

old=$LAB_TMP/gw-old.txt new=$LAB_TMP/gw-new.txt
cidr_file "$old" "$LAB_GW_NET4" "$LAB_GW_NET6" v6/48:0-2999
cidr_file "$new" "$LAB_GW_NET4" "$LAB_GW_NET6" v6/48:1500-4499
files=("$old" "$new")
list=$LAB_TMP/list.json

# snapshot: the allow list, kept in LAB_TMP/list.json for the checks.
snapshot() { xg allow list --json >"$list"; }
q() { "$LAB_PYTHON" "$LAB_DIR/allowq.py" "$@" <"$list"; }

# killed_sync DELAY FILE: `allow sync FILE --source gw`, SIGKILLed after
# DELAY seconds unless done; prints kill_after.py's line.
killed_sync() {
    "$LAB_PYTHON" "$LAB_DIR/kill_after.py" "$1" \
        nsenter --net="/run/netns/$LAB_NS_SRV" -- "$XDPGUARD" allow sync "$2" --source gw
}

# Failures per kind, one line per iteration that failed, reported at the end.
declare -A FAILED=()
note() { FAILED[$1]+="iteration $2: $3"$'\n'; }

lab_step "source file:gw from the old file (3,002 prefixes), enforcing"
lab_check_xg_exit "allow sync gw-old.txt --source gw" 0 allow sync "$old" --source gw
lab_check_xg_exit "attach --enforce" 0 attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --enforce
# How long a sync takes here: the kill delays are spread over it.
timing=$(killed_sync 60 "$new")
lab_check_contains "an uninterrupted sync to the new file exits 0" "$timing" "exited 0 "
sync_ms=${timing##* }
timing=$(killed_sync 60 "$old")
((${timing##* } >= sync_ms)) || sync_ms=${timing##* }  # the faster: the other may have waited for a CPU
echo "      a sync takes about ${sync_ms} ms; kills fall in 0..$((sync_ms * 5 / 4)) ms"
snapshot
lab_check "the old file is listed exactly" q equals "$old"

lab_step "the gateway connects to :25 without pause"
stop=$LAB_TMP/loop.stop started=$LAB_TMP/loop.started report=$LAB_TMP/loop.report
dropped_before=$(lab_counter denied_ipv4 dropped)/$(lab_counter denied_ipv6 dropped)
lab_in_background gateway "$LAB_PYTHON" "$LAB_DIR/connect_loop.py" "$LAB_SRV_GW4,$LAB_SRV_GW6" 25 \
    "$stop" "$started" "$report" "$LOOP_MAX_ATTEMPTS" "$LOOP_MAX_SECONDS"
loop_pid=$LAB_BG_PID
lab_check "the connection loop is running" lab_wait_file "$started" 5

lab_step "$ITERATIONS syncs killed at random points"
current=0 killed=0 finished=0 midway=0 gw_syns=0
window_us=$((sync_ms * 1250))  # 1.25 times a sync
for ((i = 1; i <= ITERATIONS; i++)); do
    target=$((1 - current))
    # Stratified: iteration i's delay falls at random in the i-th slice of
    # the window, so that the kills cover a sync from start to end.
    slice_us=$((window_us / ITERATIONS))
    delay_us=$(((i - 1) * slice_us + (RANDOM * 32768 + RANDOM) % slice_us))
    delay=$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))
    outcome=$(killed_sync "$delay" "${files[$target]}")
    echo "      iteration $i: delay ${delay}s, sync ${outcome% *} after ${outcome##* } ms"
    case $outcome in
        killed*) killed=$((killed + 1)) ;;
        "exited 0 "*) finished=$((finished + 1)) ;;
        *) note sync_failed "$i" "$outcome" ;;
    esac

    # After the kill: the gateway is listed, nothing foreign is, no rule id
    # is shared; a state equal to neither file is a kill in mid-apply.
    snapshot
    verdict=$(q all has "$LAB_GW_NET4" "$LAB_GW_NET6" -- within "$old" "$new" -- unique-rules -- \
        equals "$old" -- equals "$new")
    [[ $verdict != *"has: "* ]] || note gateway_missing "$i" "$(grep '^has: ' <<<"$verdict")"
    [[ $verdict != *"within: "* ]] || note stray "$i" "$(grep '^within: ' <<<"$verdict")"
    [[ $verdict != *"unique-rules: "* ]] || note shared_rule "$i" "$(grep '^unique-rules: ' <<<"$verdict")"
    [[ $(grep -c '^equals: ' <<<"$verdict") -lt 2 ]] || midway=$((midway + 1))
    syns=$(q field "$LAB_GW_NET4" allowed_syns 2>/dev/null || echo 0)
    ((syns >= gw_syns)) || note counter_back "$i" "$LAB_GW_NET4 allowed_syns $gw_syns -> $syns"
    gw_syns=$syns
    if ((i % CHECK_EVERY == 0)); then
        gw_host=$LAB_GW4 gw_net=$LAB_GW_NET4
        ((i % (2 * CHECK_EVERY) == 0)) && gw_host=$LAB_GW6 gw_net=$LAB_GW_NET6
        xg_capture check "$gw_host"
        [[ $XG_OUT == *"allowed by $gw_net"* ]] || note check "$i" "check $gw_host: $XG_OUT $XG_ERR"
    fi

    # A manual add right after a crash must not reuse a rule id.
    if [[ $outcome == killed* ]]; then
        xg allow add "$MARKER" >/dev/null 2>&1 || note marker "$i" "allow add $MARKER failed"
        snapshot
        verdict=$(q unique-rules) || note shared_rule_after_add "$i" "$verdict"
        xg allow del "$MARKER" >/dev/null 2>&1 || note marker "$i" "allow del $MARKER failed"
    fi

    # The follow-up sync finishes the job.
    xg_capture allow sync "${files[$target]}" --source gw
    [[ $XG_RC -eq 0 ]] || note followup_failed "$i" "exit $XG_RC: $XG_ERR"
    snapshot
    if ! verdict=$(q all equals "${files[$target]}" -- only-source file:gw); then
        note not_converged "$i" "$(tr '\n' ' ' <<<"$verdict")"
        # Put the state back (the strays are recorded as manual) so that the
        # next iteration starts from the target file alone.
        mapfile -t strays < <("$LAB_PYTHON" -c '
import json, sys
print("\n".join(r["prefix"] for r in json.load(sys.stdin) if "manual" in r["sources"].split(",")))' <"$list")
        [[ ${#strays[@]} -eq 0 ]] || xg allow del "${strays[@]}" --source manual --force >/dev/null 2>&1
        xg allow sync "${files[$target]}" --source gw --allow-shrink >/dev/null 2>&1
    fi
    current=$target
done
touch "$stop"
wait "$loop_pid"
echo "      $killed syncs killed, $finished finished before the kill, $midway kills left a state between the two files"

report_kind() {
    local kind=$1 desc=$2 lines
    lines=${FAILED[$kind]:-}
    if [[ -z $lines ]]; then
        lab_pass "$desc"
    else
        lab_fail "$desc: failed in $(grep -c . <<<"$lines") of $ITERATIONS iterations" "$(head -n 8 <<<"$lines")"
    fi
}
lab_check_gt "at least a fifth of the syncs were killed before they finished" "$((killed * 5))" "$((ITERATIONS - 1))"
report_kind sync_failed "no sync failed on its own"
report_kind gateway_missing "the gateway's prefixes were listed after every kill"
report_kind stray "every listed prefix came from the old or the new file"
report_kind shared_rule "no rule id was shared after a kill"
report_kind check "check: the gateway was allowed after the kills"
report_kind counter_back "the gateway prefix's counter never went back"
report_kind marker "the manual add and delete after each kill worked"
report_kind shared_rule_after_add "no rule id was shared after a manual add that followed a kill"
report_kind followup_failed "every follow-up sync exited 0"
report_kind not_converged "every follow-up sync converged to exactly the target file, from file:gw only"

read -r loop_why loop_attempts loop_ok loop_failures <"$report"
echo "      connection loop: $loop_attempts attempts, $loop_ok ok, $loop_failures failed, ended: $loop_why"
lab_check_eq "the loop ran until the kills were done (no bound reached)" "$loop_why" stopped
if [[ $loop_failures == 0 ]]; then
    lab_pass "no gateway connection failed during the kills"
else
    lab_fail "$loop_failures gateway connections failed during the kills" "$(tail -n +2 "$report" | head -n 20)"
fi
lab_check_eq "no SYN was dropped (denied_ipv4/ipv6 dropped unchanged)" \
    "$(lab_counter denied_ipv4 dropped)/$(lab_counter denied_ipv6 dropped)" "$dropped_before"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 still times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_finish
