#!/bin/bash
# e2e: `allow sync` never opens a gap. While the gateway keeps connecting to
# :25 in enforce mode, thirty syncs flip the other prefixes of its file source
# and move the gateway's IPv6 coverage between /64, /56 and /48 (a remove
# applied before its add would drop the gateway's SYNs); not one connection
# fails. Bad input, --dry-run and the shrink guard change nothing, and a
# prefix another source lists survives its removal from the file.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
lab_up

ROUNDS=30
LOOP_MAX_ATTEMPTS=40000  # a fast host connects ~1,000 times a second; the 40 s bound holds it
LOOP_MAX_SECONDS=40

# Three versions of the gateway file. 192.0.2.0/24 (the gateway's IPv4) is in
# every one; the gateway's IPv6 is covered by a different prefix in each. The
# spammer (198.51.100.2, 2001:db8:2::2) is never covered.
gw_a=$LAB_TMP/gw-a.txt gw_b=$LAB_TMP/gw-b.txt gw_c=$LAB_TMP/gw-c.txt
cat >"$gw_a" <<'EOF'
# gateways, version A
192.0.2.0/24
198.51.100.128/25
203.0.113.128/26
2001:db8:1::/64   # the gateway's /64
203.0.113.1/32
203.0.113.2/32
EOF
cat >"$gw_b" <<'EOF'
# gateways, version B
192.0.2.0/24
198.51.100.128/25
203.0.113.128/26

2001:db8:1::/56
203.0.113.3/32
203.0.113.64/27
EOF
cat >"$gw_c" <<'EOF'
192.0.2.0/24
2001:db8:1::/48
EOF
# The cycle A -> B -> C -> A: the file of each round, whether it needs
# --allow-shrink (B -> C removes 5 of 6) and the plan's first line.
round_file=("$gw_b" "$gw_c" "$gw_a")
round_flags=("" "--allow-shrink" "")
round_plan=("file:gw: +3 -3 =3" "file:gw: +1 -5 =1" "file:gw: +5 -1 =1")

# allow_list_rows: `allow list` without the header, for before/after compares.
allow_list_rows() { xg allow list | tail -n +2; }

# sources_of PREFIX: the SOURCES column of `allow list` for PREFIX.
sources_of() {
    xg allow list | awk -v p="$1" '$1 == p { print $4; found = 1 } END { exit !found }'
}

lab_step "source file:gw from version A, then enforce"
lab_check_xg_exit "allow sync gw-a.txt --source gw" 0 allow sync "$gw_a" --source gw
lab_check_eq "the plan adds all six" "$(head -n 1 <<<"$XG_OUT")" "file:gw: +6 -0 =0"
lab_check_eq "192.0.2.0/24 is listed by file:gw only" "$(sources_of 192.0.2.0/24)" file:gw
lab_check_xg_exit "attach --enforce" 0 attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --enforce
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25

lab_step "$ROUNDS syncs while the gateway connects to :25 without pause"
# One process in the gateway namespace connects, alternating IPv4 and IPv6,
# until the stop file appears (or a bound is reached). The connect timeout is
# below the 1 s SYN retransmission timeout: a dropped SYN is a failure, not a
# retry. A completed handshake is the proof that the SYN passed; the banner is
# not awaited, so the loop makes many attempts per sync.
connect_loop='
import os, socket, sys, time
hosts, port, stop, started, report = sys.argv[1].split(","), int(sys.argv[2]), *sys.argv[3:6]
max_attempts, deadline = int(sys.argv[6]), time.monotonic() + float(sys.argv[7])
attempts, ok4, failures, why = 0, 0, [], "limit"
while attempts < max_attempts and time.monotonic() < deadline:
    if os.path.exists(stop):
        why = "stopped"
        break
    host = hosts[attempts % len(hosts)]
    attempts += 1
    try:
        sock = socket.create_connection((host, port), timeout=0.9)
    except OSError as err:
        failures.append(f"attempt {attempts} [{host}]:{port} connect: {err}")
        continue
    sock.close()
    if ":" not in host:
        ok4 += 1
    if attempts == 2:
        open(started, "w").close()
    time.sleep(0.001)
with open(report, "w") as out:
    out.write(f"{why} {attempts} {ok4} {len(failures)}\n")
    out.writelines(line + "\n" for line in failures)
'
stop=$LAB_TMP/loop.stop started=$LAB_TMP/loop.started report=$LAB_TMP/loop.report
dropped_before=$(lab_counter denied_ipv4 dropped)/$(lab_counter denied_ipv6 dropped)
syns_before=$(lab_allowed_syns 192.0.2.0/24)
lab_in_background gateway "$LAB_PYTHON" -c "$connect_loop" "$LAB_SRV_GW4,$LAB_SRV_GW6" 25 \
    "$stop" "$started" "$report" "$LOOP_MAX_ATTEMPTS" "$LOOP_MAX_SECONDS"
loop_pid=$LAB_BG_PID
lab_check "the connection loop is running" lab_wait_file "$started" 5

sync_failures=() plan_mismatches=()
for ((round = 0; round < ROUNDS; round++)); do
    i=$((round % 3))
    # shellcheck disable=SC2086 # round_flags is empty or one word
    xg_capture allow sync "${round_file[$i]}" --source gw ${round_flags[$i]}
    [[ $XG_RC -eq 0 ]] ||
        sync_failures+=("round $round: exit $XG_RC: $XG_ERR")
    [[ $(head -n 1 <<<"$XG_OUT") == "${round_plan[$i]}" ]] ||
        plan_mismatches+=("round $round: '$(head -n 1 <<<"$XG_OUT")', expected '${round_plan[$i]}'")
done
touch "$stop"
wait "$loop_pid"
lab_check_eq "the connection loop exited cleanly" "$?" 0
lab_check_eq "every sync exited 0" "${#sync_failures[@]}" 0
[[ ${#sync_failures[@]} -eq 0 ]] || printf '      %s\n' "${sync_failures[@]}"
lab_check_eq "every plan summary was as expected" "${#plan_mismatches[@]}" 0
[[ ${#plan_mismatches[@]} -eq 0 ]] || printf '      %s\n' "${plan_mismatches[@]}"

read -r loop_why loop_attempts loop_ok4 loop_failures <"$report"
echo "      connection loop: $loop_attempts attempts ($loop_ok4 IPv4 ok), $loop_failures failed, ended: $loop_why"
lab_check_eq "the loop ran until the syncs were done (no bound reached)" "$loop_why" stopped
lab_check_gt "the loop made more attempts than there were syncs" "$loop_attempts" "$ROUNDS"
if [[ $loop_failures == 0 ]]; then
    lab_pass "no gateway connection failed during the syncs"
else
    lab_fail "$loop_failures gateway connections failed during the syncs" "$(tail -n +2 "$report" | head -n 20)"
fi
lab_check_eq "no SYN was dropped (denied_ipv4/ipv6 dropped unchanged)" \
    "$(lab_counter denied_ipv4 dropped)/$(lab_counter denied_ipv6 dropped)" "$dropped_before"
# 192.0.2.0/24 was never removed, so its counter kept counting: a re-created
# rule would have started again from zero.
lab_check "192.0.2.0/24 counted every IPv4 connection of the loop" \
    test "$(lab_allowed_syns 192.0.2.0/24)" -ge $((syns_before + loop_ok4))

lab_step "after the rounds (version A again) the spammer is still dropped"
lab_check_eq "round $ROUNDS left version A: 2001:db8:1::/64 from file:gw" \
    "$(sources_of 2001:db8:1::/64)" file:gw
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP6]:25 times out" lab_connect spammer "$LAB_SRV_SP6" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25

lab_step "a bad line is refused with FILE:LINE and changes nothing"
bad=$LAB_TMP/gw-bad.txt
printf '192.0.2.0/24\n203.0.113.1/32\n192.0.2.1/24\n203.0.113.9/32\n' >"$bad"
before=$(allow_list_rows)
lab_check_xg_exit "allow sync gw-bad.txt --source gw" 2 allow sync "$bad" --source gw
lab_check_contains "the message names $bad:3:" "$XG_ERR" "$bad:3:"
lab_check_contains "the message suggests 192.0.2.0/24" "$XG_ERR" "did you mean 192.0.2.0/24"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"

lab_step "--dry-run prints the plan and changes nothing"
lab_check_xg_exit "allow sync gw-b.txt --source gw --dry-run" 0 allow sync "$gw_b" --source gw --dry-run
lab_check_eq "the plan says it is a dry run" "$(head -n 1 <<<"$XG_OUT")" \
    "file:gw: +3 -3 =3 (dry run: nothing changed)"
lab_check_contains "the plan lists + 203.0.113.3/32" "$XG_OUT" "+ 203.0.113.3/32"
lab_check_contains "the plan lists - 2001:db8:1::/64" "$XG_OUT" "- 2001:db8:1::/64"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"

lab_step "the shrink guard refuses a truncated or empty file"
truncated=$LAB_TMP/gw-truncated.txt empty=$LAB_TMP/gw-empty.txt
head -n 3 "$gw_a" >"$truncated"  # the comment and two of six prefixes
: >"$empty"
lab_check_xg_exit "allow sync gw-truncated.txt (removes 4 of 6)" 2 allow sync "$truncated" --source gw
lab_check_contains "the refusal mentions --allow-shrink" "$XG_ERR" "--allow-shrink"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
lab_check_xg_exit "allow sync gw-empty.txt" 2 allow sync "$empty" --source gw
lab_check_contains "the refusal mentions --allow-shrink" "$XG_ERR" "--allow-shrink"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "a prefix also listed by manual outlives its removal from the file"
lab_check_xg_exit "allow add 203.0.113.1/32 (manual)" 0 allow add 203.0.113.1/32
lab_check_eq "203.0.113.1/32 sources" "$(sources_of 203.0.113.1/32)" "file:gw,manual"
lab_check_xg_exit "allow sync gw-b.txt --source gw (drops 203.0.113.1/32)" 0 \
    allow sync "$gw_b" --source gw
lab_check_contains "the plan says it is still allowed" "$XG_OUT" \
    "- 203.0.113.1/32  (still allowed: listed by another source)"
lab_check_eq "203.0.113.1/32 stays, listed by manual" "$(sources_of 203.0.113.1/32)" manual
lab_check_xg_exit "check 203.0.113.1" 0 check 203.0.113.1
lab_check_contains "check: allowed by 203.0.113.1/32" "$XG_OUT" "allowed by 203.0.113.1/32"
lab_check_xg_exit "allow del 203.0.113.1/32 (manual)" 0 allow del 203.0.113.1/32
lab_check_fails "203.0.113.1/32 is gone" sources_of 203.0.113.1/32
lab_check_xg_exit "check 203.0.113.1" 0 check 203.0.113.1
lab_check_lacks "check: no longer allowed" "$XG_OUT" "allowed by"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25

lab_finish
