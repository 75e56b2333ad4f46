#!/bin/bash
# e2e: pin directory faults. A missing pin dir means "no filter"; a directory
# outside bpffs, an unmounted bpffs, a pin dir others own or may write to,
# pins of another layout and a partial set of pins each get a clear message
# and a safe way forward, and nothing is created, changed or reinterpreted.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
faults_require bpftool unshare
lab_up

# Every pin dir of this test lies inside LAB_PIN_DIR, which the lab removes
# (with everything pinned in it) on exit.
mkdir -m 0700 "$LAB_PIN_DIR" || lab_die "cannot create $LAB_PIN_DIR"
IFACE=$LAB_IF_SRV_GW

# at DIR ARGS...: xg_capture with --pin-dir DIR.
at() {
    local dir=$1
    shift
    xg_capture --pin-dir "$dir" "$@"
}

# refuses DIR NEEDLE DESC ARGS...: `xdpguard --pin-dir DIR ARGS` exits
# non-zero with NEEDLE in its message.
refuses() {
    local dir=$1 needle=$2 desc=$3
    shift 3
    at "$dir" "$@"
    if [[ $XG_RC -ne 0 ]] && grep -qiF -- "$needle" <<<"$XG_ERR"; then
        lab_pass "$desc: '$*' refused (exit $XG_RC)"
    else
        lab_fail "$desc: '$*' exited $XG_RC without '$needle' in its message" \
            "stdout: $XG_OUT"$'\n'"stderr: $XG_ERR"
    fi
}

no_xdp_on_iface() { lab_check_fails "no XDP program on $IFACE" lab_xdp_attached "$IFACE"; }

# Commands that change the filter, and all of them, each as one string.
gw_file=$LAB_TMP/gw.txt
printf '%s\n' "$LAB_GW_NET4" "$LAB_GW_NET6" >"$gw_file"
CHANGES=("allow add 203.0.113.0/24" "allow del $LAB_GW_NET4" "allow sync $gw_file"
    "mode enforce" "ports 25 587" "attach $IFACE --monitor")
ALL=(status "status --json" "allow list" "allow list --json" stats top "check $LAB_GW4" "${CHANGES[@]}")

lab_step "a pin dir that does not exist: no filter"
missing=$LAB_PIN_DIR/missing
at "$missing" status
lab_check_eq "status exits 0" "$XG_RC" 0
lab_check_contains "status says there is no filter" "$XG_OUT" "filter:     none"
at "$missing" status --json
lab_check_eq "status --json: exists false" \
    "$("$LAB_PYTHON" "$LAB_DIR/jsonq.py" exists <<<"$XG_OUT")" false
for cmd in "allow list" stats top "check $LAB_GW4" "mode enforce" "ports 25" "allow del $LAB_GW_NET4"; do
    # shellcheck disable=SC2086 # cmd is split into words on purpose
    refuses "$missing" "no xdpguard filter in $missing" "missing pin dir" $cmd
done
at "$missing" detach --all
lab_check_eq "detach --all exits 0" "$XG_RC" 0
lab_check_contains "detach --all says nothing is attached" "$XG_OUT" "nothing attached"
lab_check_fails "no command created $missing" test -e "$missing"

lab_step "a pin dir outside bpffs"
outside=$LAB_TMP/pins
refuses "$outside" "mount -t bpf" "outside bpffs" allow add "$LAB_GW_NET4"
lab_check_contains "the message says it is not on a BPF filesystem" "$XG_ERR" "not on a BPF filesystem"
refuses "$outside" "mount -t bpf" "outside bpffs" attach "$IFACE" --monitor
lab_check_fails "$outside was not created" test -e "$outside"
no_xdp_on_iface
mkdir -m 0700 "$outside"
refuses "$outside" "mount -t bpf" "an existing directory outside bpffs" allow add "$LAB_GW_NET4"
lab_check_eq "$outside stays empty" "$(ls -A "$outside")" ""

lab_step "bpffs not mounted (in a private mount namespace): the CLI mounts it"
# The namespace sees /sys/fs/bpf unmounted; the host's mount is untouched.
# Its bpffs, and what is pinned there, go away with the namespace.
unmounted_name=${LAB_PIN_DIR##*/}-nomount
# shellcheck disable=SC2016 # the inner script expands its own arguments
report=$(unshare --mount --propagation private -- sh -c '
    umount /sys/fs/bpf || exit 3
    echo "before=$(stat -f -c %T /sys/fs/bpf)"
    nsenter --net="$1" -- "$2" --pin-dir "/sys/fs/bpf/$3" allow add "$4" >/dev/null || echo "add_failed=$?"
    echo "after=$(stat -f -c %T /sys/fs/bpf)"
    echo "mode=$(stat -c %a "/sys/fs/bpf/$3")"
    echo "prefixes=$(nsenter --net="$1" -- "$2" --pin-dir "/sys/fs/bpf/$3" status --json |
        "$5" "$6" prefixes.ipv4)"
' sh "/run/netns/$LAB_NS_SRV" "$XDPGUARD" "$unmounted_name" "$LAB_GW_NET4" \
    "$LAB_PYTHON" "$LAB_DIR/jsonq.py" 2>&1)
faults_show "$report"
lab_check_contains "the namespace started without bpffs" "$report" "before=sysfs"
lab_check_lacks "allow add succeeded" "$report" "add_failed"
lab_check_contains "allow add mounted bpffs on /sys/fs/bpf" "$report" "after=bpf_fs"
lab_check_contains "the pin dir it made is 0700" "$report" "mode=700"
lab_check_contains "status there shows the prefix" "$report" "prefixes=1"
lab_check_fails "nothing leaked into the host's bpffs" test -e "/sys/fs/bpf/$unmounted_name"

lab_step "a pin dir owned by another user, or writable by others, is refused"
for spec in "owned-by-nobody 0700 $FAULTS_NOBODY:$FAULTS_NOBODY" "group-writable 0770 0:$FAULTS_NOBODY" \
        "world-writable 0777 0:0" "sticky-world-writable 1777 0:0"; do
    read -r name perms owner <<<"$spec"
    dir=$LAB_PIN_DIR/$name
    if ! mkdir "$dir" || ! chmod "$perms" "$dir" || ! chown "$owner" "$dir"; then
        lab_die "cannot prepare $dir"
    fi
    for cmd in "allow add $LAB_GW_NET4" "allow sync $gw_file" "attach $IFACE --monitor"; do
        # shellcheck disable=SC2086
        refuses "$dir" "refusing to keep the filter's state there" "$name pin dir" $cmd
    done
    lab_check_eq "$name: nothing was pinned" "$(ls -A "$dir")" ""
done
no_xdp_on_iface

lab_step "a filter whose pin dir became world-writable: every change is refused"
unsafe=$LAB_PIN_DIR/unsafe
at "$unsafe" allow add "$LAB_GW_NET4" "$LAB_GW_NET6"
lab_check_eq "a filter in $unsafe" "$XG_RC" 0
settings_before=$(xg --pin-dir "$unsafe" status --json | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" mode)/$(
    xg --pin-dir "$unsafe" status --json | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" ports)
list_before=$(xg --pin-dir "$unsafe" allow list --json)
chmod 0777 "$unsafe"
for cmd in "${CHANGES[@]}"; do
    # shellcheck disable=SC2086
    refuses "$unsafe" "refusing" "world-writable pin dir" $cmd
done
chmod 0700 "$unsafe"
lab_check_eq "mode and ports unchanged" "$(xg --pin-dir "$unsafe" status --json |
    "$LAB_PYTHON" "$LAB_DIR/jsonq.py" mode)/$(xg --pin-dir "$unsafe" status --json |
    "$LAB_PYTHON" "$LAB_DIR/jsonq.py" ports)" "$settings_before"
lab_check_eq "allow list unchanged" "$(xg --pin-dir "$unsafe" allow list --json)" "$list_before"
no_xdp_on_iface

lab_step "stale pins of another layout are refused, never reinterpreted"
stale=$LAB_PIN_DIR/stale
mkdir -m 0700 "$stale"
bpftool map create "$stale/xg_allow_v4" type hash key 4 value 4 entries 8 name xg_allow_v4 ||
    lab_die "bpftool cannot create a map"
bpftool map update pinned "$stale/xg_allow_v4" key 192 0 2 0 value 1 2 3 4 ||
    lab_die "bpftool cannot fill the map"
stale_map() { bpftool -j map show pinned "$stale/xg_allow_v4" | "$LAB_PYTHON" -c '
import json, sys
m = json.load(sys.stdin)
print(m["type"], m["bytes_key"], m["bytes_value"], m["max_entries"])'; }
stale_entries() { bpftool -j map dump pinned "$stale/xg_allow_v4"; }
shape_before=$(stale_map) entries_before=$(stale_entries)
for cmd in "${ALL[@]}"; do
    # shellcheck disable=SC2086
    refuses "$stale" "another layout" "stale layout" $cmd
done
lab_check_contains "the message gives a way forward" "$XG_ERR" "remove the pin dir"
lab_check_eq "the foreign map keeps its shape" "$(stale_map)" "$shape_before"
lab_check_eq "the foreign map keeps its entries" "$(stale_entries)" "$entries_before"
lab_check_eq "nothing else was pinned beside it" "$(ls -A "$stale")" xg_allow_v4
no_xdp_on_iface

lab_step "maps of a newer or an older layout version are refused, never reinterpreted"
# rewrite_layout_version DIR DELTA: adds DELTA to layout_version (the first
# 32-bit word of xg_config slot 0, host order), as a newer or older xdpguard
# would have written it; prints the new version.
rewrite_layout_version() {
    "$LAB_PYTHON" - "$1/xg_config" "$2" <<'EOF'
import json, subprocess, sys
pin, delta = sys.argv[1], int(sys.argv[2])
key = ["key", "0", "0", "0", "0"]
value = json.loads(subprocess.check_output(["bpftool", "-j", "map", "lookup", "pinned", pin, *key]))["value"]
version = int.from_bytes(bytes(int(b, 16) for b in value[0:4]), sys.byteorder) + delta
value[0:4] = [f"0x{b:02x}" for b in version.to_bytes(4, sys.byteorder)]
subprocess.check_call(["bpftool", "map", "update", "pinned", pin, *key, "value", *value])
print(version)
EOF
}
for kind in newer older; do
    versioned=$LAB_PIN_DIR/$kind
    at "$versioned" allow add "$LAB_GW_NET4"
    lab_check_eq "a filter in $versioned" "$XG_RC" 0
    config_value() { bpftool -j map lookup pinned "$versioned/xg_config" key 0 0 0 0; }
    version=$(rewrite_layout_version "$versioned" "$([[ $kind == newer ]] && echo 1 || echo -1)") ||
        lab_die "cannot rewrite the layout version"
    config_before=$(config_value)
    for cmd in "${ALL[@]}"; do
        # shellcheck disable=SC2086
        refuses "$versioned" "layout version $version, this xdpguard uses" "$kind layout version $version" $cmd
    done
    lab_check_contains "$kind: the message says they are not reinterpreted" "$XG_ERR" "not reinterpreted"
    lab_check_eq "$kind: xg_config unchanged (version, mode, ports)" "$(config_value)" "$config_before"
done
# An older layout lacks maps this one has (layout 2 had no xg_block_hosts):
# the version is what the message names, not "only some of the maps".
rm -f "$versioned/xg_block_hosts"
refuses "$versioned" "layout version $version" "an older layout version with a map missing" status
no_xdp_on_iface

lab_step "a partial set of pins: purge, then start again"
partial=$LAB_PIN_DIR/partial
at "$partial" allow add "$LAB_GW_NET4"
lab_check_eq "a filter in $partial" "$XG_RC" 0
rm -f "$partial/xg_origins"
for cmd in "${ALL[@]}"; do
    # shellcheck disable=SC2086
    refuses "$partial" "detach --all --purge" "partial pins" $cmd
done
no_xdp_on_iface
at "$partial" detach --all --purge
lab_check_eq "detach --all --purge exits 0" "$XG_RC" 0
lab_check_fails "the partial pin dir is gone" test -e "$partial"
at "$partial" allow add "$LAB_GW_NET4"
lab_check_eq "allow add then starts a new filter" "$XG_RC" 0
lab_check_eq "with one prefix" "$(xg --pin-dir "$partial" allow list --json |
    "$LAB_PYTHON" "$LAB_DIR/allowq.py" count)" 1

lab_finish
