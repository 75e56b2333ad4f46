#!/bin/bash
# e2e: a running daemon and CLI processes change the allowlist at the same
# time, and the pin dir lock serialises them: no update is lost. The daemon
# watches an allowlist file that is replaced several times (each save swaps
# a group of /48s; every other save also sends SIGHUP, which syncs every
# file again) while CLI workers `allow add` and `allow del` manual prefixes,
# one of them also in the file's first group. Afterwards the allowlist is
# exactly the file's final set plus the CLI's net manual changes, with the
# right sources, no rule id shared, and the data plane agrees (`check`).
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
# shellcheck source=SCRIPTDIR/daemon_lab.sh
source "$LAB_DIR/daemon_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

MAX_SAVES=60 WORKERS=2 ROUNDS=10 FIXED=40 GROUP=32
DAEMON_CONFIG=$LAB_TMP/xdpguard.toml
GATEWAYS=$LAB_TMP/gateways.txt
FILE_SOURCE=file:gateways.txt
SHARED=2001:db8:a100::/48  # in the file's first group, added by worker 0 as well

# file_prefixes SAVE: the file's /48s in that save: FIXED that stay and a
# GROUP of its own, so that each sync adds and removes a GROUP, whether the
# daemon takes one save at a time or several at once (fewer than half of
# the file's prefixes: the daemon's shrink guard would refuse more).
file_prefixes() {
    local k
    for ((k = 0; k < FIXED; k++)); do printf '2001:db8:%x::/48\n' $((0xa000 + k)); done
    for ((k = 0; k < GROUP; k++)); do printf '2001:db8:%x::/48\n' $((0xa100 + $1 * GROUP + k)); done
}

# save_file SAVE: replaces the watched file in one rename, as config
# management would.
save_file() {
    { echo "# the provider's gateways, save $1"; echo "$LAB_GW_NET4"; echo "$LAB_GW_NET6"
      file_prefixes "$1"; } >"$GATEWAYS.new"
    mv "$GATEWAYS.new" "$GATEWAYS"
}

# worker_adds WORKER ROUND / worker_dels WORKER ROUND: what a worker adds in
# a round (six /48s and an IPv4 host), and what it then deletes: the first
# three /48s and the host of its round before. ROUNDS stays under 16.
worker_adds() {
    local k
    for ((k = 0; k < 6; k++)); do printf '2001:db8:%x::/48\n' $((0xb000 + $1 * 256 + $2 * 16 + k)); done
    echo "203.0.113.$(($1 * 16 + $2))/32"
    [[ $1 -ne 0 || $2 -ne 0 ]] || echo "$SHARED"
}
worker_dels() {
    local k
    [[ $2 -gt 0 ]] || return 0
    for ((k = 0; k < 3; k++)); do printf '2001:db8:%x::/48\n' $((0xb000 + $1 * 256 + ($2 - 1) * 16 + k)); done
    echo "203.0.113.$(($1 * 16 + $2 - 1))/32"
}

any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}

# worker WORKER: its rounds, one process per command; the first failure ends
# it, its message in LAB_TMP/worker-N.err.
worker() {
    local w=$1 r
    for ((r = 0; r < ROUNDS; r++)); do
        mapfile -t adds < <(worker_adds "$w" "$r")
        xg allow add "${adds[@]}" >/dev/null 2>"$LAB_TMP/worker-$w.err" || return 1
        mapfile -t dels < <(worker_dels "$w" "$r")
        [[ ${#dels[@]} -eq 0 ]] || xg allow del "${dels[@]}" >/dev/null 2>"$LAB_TMP/worker-$w.err" || return 1
    done
}

# expected_state: "PREFIX SOURCES" lines of the allowlist once all is done.
expected_state() {
    local w r
    { echo "$LAB_GW_NET4"; echo "$LAB_GW_NET6"; file_prefixes "$saves"; } | sed "s/\$/ $FILE_SOURCE/"
    for ((w = 0; w < WORKERS; w++)); do
        for ((r = 0; r < ROUNDS; r++)); do
            # Deleted in the next round: the first three /48s and the host.
            if [[ $r -lt $((ROUNDS - 1)) ]]; then
                worker_adds "$w" "$r" | sed -n '4,6p'
            else
                worker_adds "$w" "$r" | sed -n '1,7p'
            fi
        done
    done | sed 's/$/ manual/'
    echo "$SHARED manual"
}

lab_step "the daemon starts with the file's first group"
save_file 0
{ daemon_config_head ""; printf '[sources]\nfiles = ["%s"]\n' "$GATEWAYS"; } >"$DAEMON_CONFIG"
daemon_check_start "xdpguard run becomes ready"
lab_check_eq "file source: $((FIXED + GROUP + 2)) prefixes" "$(allowq count)" $((FIXED + GROUP + 2))

lab_step "the file saved again and again (with SIGHUP) while $WORKERS CLI workers add and delete"
BG_PIDS=()
for ((w = 0; w < WORKERS; w++)); do
    (worker "$w"; echo $? >"$LAB_TMP/worker-$w.rc") &
    BG_PIDS+=($!)
done
race_start=$SECONDS
# Saves go on as long as a worker runs (at most MAX_SAVES), each followed
# by SIGHUP: the daemon then syncs at once, not after inotify's settling.
saves=0
while ((saves < MAX_SAVES)) && any_alive "${BG_PIDS[@]}"; do
    saves=$((saves + 1))
    save_file "$saves"
    kill -HUP "$DAEMON_PID"
    sleep 0.05
done
wait "${BG_PIDS[@]}"
echo "      the workers and $saves saves took $((SECONDS - race_start))s"
failed=()
for ((w = 0; w < WORKERS; w++)); do
    rc=$(cat "$LAB_TMP/worker-$w.rc" 2>/dev/null || echo "?")
    [[ $rc == 0 ]] || failed+=("worker $w: exit $rc: $(cat "$LAB_TMP/worker-$w.err" 2>/dev/null)")
done
if [[ ${#failed[@]} -eq 0 ]]; then
    lab_pass "every CLI command exited 0"
else
    lab_fail "${#failed[@]} workers failed" "$(printf '%s\n' "${failed[@]}")"
fi

lab_step "once the daemon has settled: the file's final set plus the CLI's net changes"
reloads=$(daemon_log_count "reloaded: ")
kill -HUP "$DAEMON_PID"
lab_check "the daemon reloads once more" daemon_wait_log "reloaded: " $((reloads + 1)) 10
syncs=$(grep -cE "$FILE_SOURCE: \+[0-9]+ -[1-9]" "$DAEMON_LOG.err")
lab_check_gt "the daemon synced swapped groups during the race" "$syncs" 1
lab_check_lacks "no daemon sync failed" "$(<"$DAEMON_LOG.err")" "its previous prefixes stay"
expected=$(expected_state | sort)
actual=$(allow_snapshot | awk '{ print $1, $3 }' | sort)
if [[ $actual == "$expected" ]]; then
    lab_pass "the allowlist is exactly the union of the changes ($(wc -l <<<"$expected") prefixes)"
else
    lab_fail "the allowlist is not the union of the changes (lost or extra updates)" \
        "$(diff <(echo "$expected") <(echo "$actual") | grep '^[<>]' | head -n 20)"
fi
lab_check "no rule id is shared" allowq unique-rules

lab_step "the data plane agrees (check)"
check_allowed() {
    xg_capture check "$1"
    lab_check_contains "check $1: allowed by $2" "$XG_OUT" "allowed by $2"
}
check_denied() {
    xg_capture check "$1"
    lab_check_lacks "check $1: not allowed" "$XG_OUT" "allowed by"
}
# The last worker's last host stays; its host of the round before went.
last_host=203.0.113.$(((WORKERS - 1) * 16 + ROUNDS - 1))
check_allowed "$last_host" "$last_host/32"
check_denied 203.0.113.$(((WORKERS - 1) * 16 + ROUNDS - 2))
last_group=$(printf %x $((0xa100 + saves * GROUP)))
check_allowed "2001:db8:$last_group::1" "2001:db8:$last_group::/48"
check_denied "2001:db8:$(printf %x $((0xa100 + GROUP)))::1"
check_allowed 2001:db8:a100::1 "$SHARED"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

daemon_finish
