#!/bin/bash
# e2e: allowlist changes made at the same time by separate processes are
# serialised by the pin dir lock and none is lost. Each round runs eight
# `allow add` processes (distinct prefixes), an `allow del` of an earlier
# round's prefixes and an `allow sync` of another source at once (the first
# round creates the filter that way; the second races an attach). After each
# round the allowlist is exactly the union of the changes, with the right
# sources and no rule id shared.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

ROUNDS=4 ADDERS=8 PER_ADDER=12
expected=$LAB_TMP/expected.txt  # "PREFIX SOURCES" of the allowlist once a round is done
: >"$expected"

# adder_prefixes ROUND WORKER: the prefixes that worker adds in that round.
adder_prefixes() {
    local r=$1 w=$2 k
    for ((k = 0; k < PER_ADDER; k++)); do
        printf '2001:db8:%x::/48\n' $((0x8000 + r * 256 + w * 16 + k))
    done
    echo "203.0.113.$((r * 40 + w))/32"
}

# other_source ROUND: the file source's set in that round; each round moves
# a window of 32 /48s by 16, so a sync adds 16 and removes 16.
other_source() {
    local k
    for ((k = 0; k < 32; k++)); do printf '2001:db8:%x::/48\n' $((0x9000 + $1 * 16 + k)); done
}

# run_bg NAME ARGS...: xg ARGS in the background (its pid appended to
# BG_PIDS); its exit status ends up in LAB_TMP/NAME.rc and its stderr in
# LAB_TMP/NAME.err.
run_bg() {
    local name=$1
    shift
    (xg "$@" >/dev/null 2>"$LAB_TMP/$name.err"; echo $? >"$LAB_TMP/$name.rc") &
    BG_PIDS+=($!)
}

for ((round = 1; round <= ROUNDS; round++)); do
    lab_step "round $round: $ADDERS adds, a delete, a sync$([[ $round -eq 2 ]] && echo ', an attach') at once"
    rm -f "$LAB_TMP"/*.rc "$LAB_TMP"/*.err
    other_source "$round" >"$LAB_TMP/other.txt"
    names=() BG_PIDS=()
    for ((w = 0; w < ADDERS; w++)); do
        mapfile -t mine < <(adder_prefixes "$round" "$w")
        # The gateway's prefixes come with a worker whose prefixes stay.
        [[ $round -eq 1 && $w -eq $((ADDERS - 1)) ]] && mine+=("$LAB_GW_NET4" "$LAB_GW_NET6")
        run_bg "add$w" allow add "${mine[@]}"
        names+=("add$w")
    done
    if [[ $round -gt 1 ]]; then
        mapfile -t doomed < <(adder_prefixes $((round - 1)) 0)
        run_bg del allow del "${doomed[@]}"
        names+=(del)
    fi
    run_bg sync allow sync "$LAB_TMP/other.txt"
    names+=(sync)
    if [[ $round -eq 2 ]]; then
        run_bg attach attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --enforce
        names+=(attach)
    fi
    wait_start=$SECONDS
    wait "${BG_PIDS[@]}"
    echo "      ${#names[@]} processes done in $((SECONDS - wait_start))s"

    failed=()
    for name in "${names[@]}"; do
        rc=$(cat "$LAB_TMP/$name.rc" 2>/dev/null || echo "?")
        [[ $rc == 0 ]] || failed+=("$name: exit $rc: $(cat "$LAB_TMP/$name.err" 2>/dev/null)")
    done
    if [[ ${#failed[@]} -eq 0 ]]; then
        lab_pass "all ${#names[@]} processes exited 0"
    else
        lab_fail "${#failed[@]} processes failed" "$(printf '%s\n' "${failed[@]}")"
    fi

    # The expected state: every add so far, minus worker 0's prefixes of the
    # rounds before this one, plus this round's file source.
    {
        for ((r = 1; r <= round; r++)); do
            for ((w = 0; w < ADDERS; w++)); do
                [[ $w -eq 0 && $r -lt $round ]] && continue
                adder_prefixes "$r" "$w" | sed 's/$/ manual/'
            done
        done
        printf '%s manual\n' "$LAB_GW_NET4" "$LAB_GW_NET6"
        other_source "$round" | sed 's/$/ file:other.txt/'
    } | sort >"$expected"
    actual=$(allow_snapshot | awk '{ print $1, $3 }' | sort)
    if [[ $actual == "$(cat "$expected")" ]]; then
        lab_pass "the allowlist is exactly the union of the changes ($(wc -l <"$expected") prefixes)"
    else
        lab_fail "the allowlist is not the union of the changes (lost or extra updates)" \
            "$(diff <(cat "$expected") <(echo "$actual") | grep '^[<>]' | head -n 20)"
    fi
    lab_check "no rule id is shared" allowq unique-rules
    # The data plane's view (prefilter bits and tries, through `check`): the
    # last worker's IPv4 host passes; the one deleted at the same time in
    # the same /24 block does not.
    host=203.0.113.$((round * 40 + ADDERS - 1))
    xg_capture check "$host"
    lab_check_contains "check $host: allowed" "$XG_OUT" "allowed by $host/32"
    if [[ $round -gt 1 ]]; then
        host=203.0.113.$(((round - 1) * 40))
        xg_capture check "$host"
        lab_check_lacks "check $host (deleted): not allowed" "$XG_OUT" "allowed by"
    fi
done

lab_step "the filter enforces the result"
lab_check_eq "status: enforcing" "$(xg_json mode)" enforce
lab_check_eq "status: two interfaces" "$(xg_json 'interfaces.#')" 2
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_finish
