#!/bin/bash
# e2e: the filter's state is root's alone. The pin dir is 0700 and every pin
# 0600; an unprivileged user (nobody) can neither read the allowlist nor
# change anything, nor create a filter of its own, and is told to run as
# root or grant CAP_BPF; the running filter is untouched.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
faults_require setpriv
lab_up
lab_protect

# nobody_refused ARGS...: xdpguard ARGS as nobody fails with the permission
# message.
nobody_refused() {
    xg_nobody_capture "$@"
    if [[ $XG_RC -ne 0 && $XG_ERR == *"permission denied"* && $XG_ERR == *root* && $XG_ERR == *CAP_BPF* ]]; then
        lab_pass "as nobody, '$*' is refused (exit $XG_RC)"
    else
        lab_fail "as nobody, '$*' exited $XG_RC without the permission message" \
            "stdout: $XG_OUT"$'\n'"stderr: $XG_ERR"
    fi
}

# shellcheck disable=SC2317 # called through lab_check_fails
as_nobody() { setpriv --reuid="$FAULTS_NOBODY" --regid="$FAULTS_NOBODY" --clear-groups -- "$@"; }

lab_step "the pin dir and its pins are root's alone"
lab_check_eq "pin dir mode and owner" "$(stat -c '%a %U:%G' "$LAB_PIN_DIR")" "700 root:root"
pins=$(find "$LAB_PIN_DIR" -mindepth 1 | wc -l)
lab_check_gt "the pin dir holds pins" "$pins" 8
lab_check_eq "pins that are not 0600 root:root" \
    "$(find "$LAB_PIN_DIR" -mindepth 1 \( ! -perm 0600 -o ! -user root -o ! -group root \) | wc -l)" 0
lab_check_fails "nobody cannot list the pin dir" as_nobody ls "$LAB_PIN_DIR"
lab_check_fails "nobody cannot open a pin" as_nobody cat "$LAB_PIN_DIR/xg_allow_v4"

lab_step "nobody cannot read the filter's state"
for cmd in status "status --json" "allow list" "allow list --json" stats "top" "check $LAB_GW4"; do
    # shellcheck disable=SC2086 # cmd is split into words on purpose
    nobody_refused $cmd
done
lab_check_lacks "nothing of the allowlist leaked into the output" "$XG_OUT$XG_ERR" "${LAB_GW_NET4%/*}"

lab_step "nobody cannot change it"
chmod 0711 "$LAB_TMP"
sync_file=$LAB_TMP/gw.txt
printf '%s\n' 203.0.113.0/24 >"$sync_file"
chmod 0644 "$sync_file"
before=$(allow_snapshot)
for cmd in "allow add 203.0.113.0/24" "allow del $LAB_GW_NET4 --force" "allow sync $sync_file --allow-shrink" \
        "mode monitor" "ports 25 587" "attach $LAB_IF_SRV_SP --monitor" "detach $LAB_IF_SRV_GW" "detach --all --purge"; do
    # shellcheck disable=SC2086
    nobody_refused $cmd
done
lab_check_eq "allow list unchanged" "$(allow_snapshot)" "$before"
lab_check_eq "status: still enforcing port 25" "$(xg_json mode) $(xg_json ports)" "enforce [25]"
lab_check_eq "status: both interfaces attached" "$(xg_json 'interfaces.#')" 2
lab_check "XDP still on $LAB_IF_SRV_GW" lab_xdp_attached "$LAB_IF_SRV_GW"
lab_check "XDP still on $LAB_IF_SRV_SP" lab_xdp_attached "$LAB_IF_SRV_SP"
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25 1

lab_step "nobody cannot create a filter of its own"
own=/sys/fs/bpf/${LAB_PIN_DIR##*/}-nobody
faults_remove_on_exit "$own"
nobody_refused --pin-dir "$own" allow add 203.0.113.0/24
lab_check_fails "no pin dir was left behind" test -e "$own"
nobody_refused --pin-dir "$own" attach "$LAB_IF_SRV_SP" --monitor
lab_check_fails "no pin dir was left behind" test -e "$own"
lab_check_eq "status: still two interfaces in the real filter" "$(xg_json 'interfaces.#')" 2

lab_finish
