# shellcheck shell=bash
# The namespace lab behind xdpguard's end-to-end tests and tools/demo.sh.
# Source it, then:
#
#   lab_init /path/to/xdpguard   # root check (exit 77 = skip), unique names, cleanup trap
#   lab_up                       # namespaces, veths, addresses, the server's listener
#   lab_step "..."; lab_check "..." cmd...; ...
#   lab_finish                   # summary; exit status 1 if any check failed
#
# Three network namespaces, joined by two veth pairs whose server-side ends
# carry the filter (one allowlist shared by two interfaces). Only
# documentation addresses are used:
#
#   gateway  LAB_IF_GW ---- LAB_IF_SRV_GW  server  LAB_IF_SRV_SP ---- LAB_IF_SP  spammer
#   192.0.2.2               192.0.2.1              198.51.100.1       198.51.100.2
#   2001:db8:1::2           2001:db8:1::1          2001:db8:2::1      2001:db8:2::2
#
# The server listens on LAB_SERVER_PORTS (IPv4 and IPv6) with an SMTP-like
# banner. Every xdpguard command runs inside the server namespace through
# nsenter (not `ip netns exec`, which remounts /sys and hides bpffs pins),
# with a pin directory of its own in XDPGUARD_PIN_DIR. Everything the lab
# creates is removed on exit, whatever the outcome.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_PYTHON=${LAB_PYTHON:-/usr/bin/python3}
LAB_SERVER_PORTS=(25 80 2525)
LAB_CONNECT_TIMEOUT=${LAB_CONNECT_TIMEOUT:-2}
LAB_DEADLINE=${LAB_DEADLINE:-100}  # seconds; below CTest's TIMEOUT so cleanup still runs

LAB_GW_NET4=192.0.2.0/24 LAB_GW_NET6=2001:db8:1::/64
LAB_SRV_GW4=192.0.2.1 LAB_GW4=192.0.2.2
LAB_SRV_GW6=2001:db8:1::1 LAB_GW6=2001:db8:1::2
LAB_SRV_SP4=198.51.100.1 LAB_SP4=198.51.100.2
LAB_SRV_SP6=2001:db8:2::1 LAB_SP6=2001:db8:2::2

LAB_PASSED=0
LAB_FAILED=0
LAB_PIDS=()
LAB_NAMESPACES=()
declare -A LAB_PEER_NS=()  # roles added by lab_add_peer: role -> namespace
LAB_CLEANED=0

# --- setup -----------------------------------------------------------------

lab_skip_or_fail() {
    if [[ ${XDPGUARD_REQUIRE_BPF:-0} == 1 ]]; then
        echo "FAIL: $* (XDPGUARD_REQUIRE_BPF=1)"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

lab_die() {
    echo "FAIL: $*"
    exit 1
}

# lab_init XDPGUARD [PIN_PREFIX]
lab_init() {
    XDPGUARD=$1
    local pin_prefix=${2:-xg-e2e}
    [[ $EUID -eq 0 ]] ||
        lab_skip_or_fail "needs root (CAP_BPF, CAP_NET_ADMIN, network namespaces)"
    local tool
    for tool in ip nsenter timeout "$LAB_PYTHON"; do
        command -v "$tool" >/dev/null || lab_skip_or_fail "'$tool' is not installed"
    done
    [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] ||
        lab_skip_or_fail "bpffs is not mounted on /sys/fs/bpf"
    [[ -x $XDPGUARD ]] || lab_die "no xdpguard binary at '$XDPGUARD'"
    XDPGUARD=$(realpath "$XDPGUARD")

    local attempt
    for attempt in 1 2 3 4 5; do
        LAB_ID=$(printf '%06x' $(( (($$ & 0xfff) << 12) | (RANDOM & 0xfff) )))
        LAB_NS_SRV=xg-$LAB_ID-srv LAB_NS_GW=xg-$LAB_ID-gw LAB_NS_SP=xg-$LAB_ID-spam
        LAB_PIN_DIR=/sys/fs/bpf/$pin_prefix-$LAB_ID
        [[ -e /run/netns/$LAB_NS_SRV || -e /run/netns/$LAB_NS_GW ||
           -e /run/netns/$LAB_NS_SP || -e $LAB_PIN_DIR ]] || break
        [[ $attempt -lt 5 ]] || lab_die "no unused lab name after $attempt attempts"
    done
    # Interface names stay well under IFNAMSIZ (15) and never contain "xdp",
    # so that grepping `ip link` output for "xdp" finds only attachments.
    LAB_IF_SRV_GW=xg${LAB_ID}sg LAB_IF_GW=xg${LAB_ID}gs
    LAB_IF_SRV_SP=xg${LAB_ID}sp LAB_IF_SP=xg${LAB_ID}ps
    export XDPGUARD_PIN_DIR=$LAB_PIN_DIR
    LAB_TMP=$(mktemp -d "/tmp/$pin_prefix-$LAB_ID.XXXXXX")
    LAB_START=$SECONDS

    trap lab_cleanup EXIT
    trap 'echo "FAIL: interrupted (signal or the ${LAB_DEADLINE}s lab deadline)"; exit 124' TERM INT HUP
    lab_start_watchdog
}

# A background timer that sends TERM to the script at the deadline, so that
# the EXIT trap still cleans up before CTest's own timeout would kill it.
lab_start_watchdog() {
    local script_pid=$$
    (
        trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
        sleep "$LAB_DEADLINE" &
        sleeper=$!
        wait "$sleeper" && kill -TERM "$script_pid" 2>/dev/null
    ) &
    LAB_WATCHDOG=$!
}

lab_ns() {
    case $1 in
        server) echo "$LAB_NS_SRV" ;;
        gateway) echo "$LAB_NS_GW" ;;
        spammer) echo "$LAB_NS_SP" ;;
        *)
            [[ -n ${LAB_PEER_NS[$1]:-} ]] || { echo "lab_ns: unknown role '$1'" >&2; return 1; }
            echo "${LAB_PEER_NS[$1]}"
            ;;
    esac
}

# lab_in ROLE CMD...: runs CMD in the role's namespace, keeping this mount
# namespace (and so the bpffs pins) in view.
lab_in() {
    local ns
    ns=$(lab_ns "$1") || return 1
    shift
    nsenter --net="/run/netns/$ns" -- "$@"
}

# lab_in_background ROLE CMD...: lab_in in the background; the process (its
# pid in LAB_BG_PID, which is CMD's own: nsenter execs it) is stopped on exit.
lab_in_background() {
    local ns
    ns=$(lab_ns "$1") || return 1
    shift
    nsenter --net="/run/netns/$ns" -- "$@" &
    LAB_BG_PID=$!
    lab_track_pid "$LAB_BG_PID"
}

lab_add_ns() {
    ip netns add "$1" || lab_die "cannot create namespace $1"
    LAB_NAMESPACES+=("$1")
    # Addresses must be usable at once: no duplicate address detection, also
    # for the link-local addresses of interfaces created from now on.
    nsenter --net="/run/netns/$1" -- sh -c '
        sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
        ip link set lo up' || lab_die "cannot configure namespace $1"
}

# lab_link NS_A IF_A ADDR4_A ADDR6_A NS_B IF_B ADDR4_B ADDR6_B
lab_link() {
    ip link add "$2" netns "$1" type veth peer name "$6" netns "$5" ||
        lab_die "cannot create veth pair $2/$6"
    local ns ifname a4 a6
    while [[ $# -ge 4 ]]; do
        ns=$1 ifname=$2 a4=$3 a6=$4
        shift 4
        nsenter --net="/run/netns/$ns" -- sh -c "
            ip addr add $a4/24 dev $ifname &&
            ip -6 addr add $a6/64 dev $ifname nodad &&
            ip link set $ifname up" || lab_die "cannot configure $ifname in $ns"
    done
}

lab_up() {
    lab_add_ns "$LAB_NS_SRV"
    lab_add_ns "$LAB_NS_GW"
    lab_add_ns "$LAB_NS_SP"
    lab_link "$LAB_NS_SRV" "$LAB_IF_SRV_GW" "$LAB_SRV_GW4" "$LAB_SRV_GW6" \
             "$LAB_NS_GW" "$LAB_IF_GW" "$LAB_GW4" "$LAB_GW6"
    lab_link "$LAB_NS_SRV" "$LAB_IF_SRV_SP" "$LAB_SRV_SP4" "$LAB_SRV_SP6" \
             "$LAB_NS_SP" "$LAB_IF_SP" "$LAB_SP4" "$LAB_SP6"
    lab_listen server "${LAB_SERVER_PORTS[@]}" || lab_die "the server's listener did not start"
    # The carrier of a fresh veth comes up asynchronously; wait until a plain
    # connection works on each link before any test relies on it.
    local addr
    for addr in "$LAB_SRV_GW4" "$LAB_SRV_GW6"; do
        lab_wait_connect gateway "$addr" 80 || lab_die "gateway cannot reach [$addr]:80 without a filter"
    done
    for addr in "$LAB_SRV_SP4" "$LAB_SRV_SP6"; do
        lab_wait_connect spammer "$addr" 80 || lab_die "spammer cannot reach [$addr]:80 without a filter"
    done
}

# lab_add_peer ROLE TAG SERVER_ADDR4 SERVER_ADDR6 ADDR4 ADDR6: after lab_up,
# one more namespace for ROLE (say a second provider's gateway), joined to
# the server by a veth pair of its own: xg<LAB_ID>s<TAG> on the server's side
# (in LAB_PEER_IF, to attach the filter to), xg<LAB_ID>p<TAG> on the peer's.
# TAG is at most 4 characters. Waits until the peer reaches the server's
# port 80.
lab_add_peer() {
    local role=$1 tag=$2 srv4=$3 srv6=$4 a4=$5 a6=$6
    [[ ${#tag} -le 4 ]] || lab_die "lab_add_peer: tag '$tag' is longer than 4 characters"
    LAB_PEER_NS[$role]=xg-$LAB_ID-$role
    LAB_PEER_IF=xg${LAB_ID}s$tag
    lab_add_ns "${LAB_PEER_NS[$role]}"
    lab_link "$LAB_NS_SRV" "$LAB_PEER_IF" "$srv4" "$srv6" \
             "${LAB_PEER_NS[$role]}" "xg${LAB_ID}p$tag" "$a4" "$a6"
    lab_wait_connect "$role" "$srv4" 80 || lab_die "$role cannot reach [$srv4]:80 without a filter"
    lab_wait_connect "$role" "$srv6" 80 || lab_die "$role cannot reach [$srv6]:80 without a filter"
}

# --- processes and connections ---------------------------------------------

lab_track_pid() { LAB_PIDS+=("$1"); }

# lab_listen ROLE PORT...: starts an SMTP-like listener in the role's
# namespace and waits (at most 5 s) until it listens.
lab_listen() {
    local role=$1
    shift
    local ready="$LAB_TMP/listen-$role-$1.ready" ports=() port i
    for port in "$@"; do ports+=(--port "$port"); done
    lab_in_background "$role" "$LAB_PYTHON" "$LAB_DIR/smtp_listener.py" "${ports[@]}" \
        --ready-file "$ready" --lifetime $((LAB_DEADLINE + 30))
    for ((i = 0; i < 100; i++)); do
        [[ -e $ready ]] && return 0
        kill -0 "$LAB_BG_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# lab_connect ROLE ADDR PORT [TIMEOUT]: 0 if the banner arrived.
lab_connect() {
    local t=${4:-$LAB_CONNECT_TIMEOUT}
    timeout -k 2 $((${t%.*} + 5)) nsenter --net="/run/netns/$(lab_ns "$1")" -- \
        "$LAB_PYTHON" "$LAB_DIR/smtp_client.py" --timeout "$t" "$2" "$3"
}

# Retries a connection a bounded number of times (about 5 s in all).
lab_wait_connect() {
    local i
    for ((i = 0; i < 10; i++)); do
        lab_connect "$1" "$2" "$3" 0.5 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# lab_wait_file PATH [SECONDS]
lab_wait_file() {
    local i limit=$(( ${2:-5} * 20 ))
    for ((i = 0; i < limit; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.05
    done
    return 1
}

# --- xdpguard --------------------------------------------------------------

# xg ARGS...: xdpguard in the server namespace, bounded in time.
xg() {
    timeout -k 5 30 nsenter --net="/run/netns/$LAB_NS_SRV" -- "$XDPGUARD" "$@"
}

# xg_capture ARGS...: runs xg and keeps XG_RC, XG_OUT and XG_ERR.
xg_capture() {
    XG_OUT=$(xg "$@" 2>"$LAB_TMP/xg.stderr")
    XG_RC=$?
    XG_ERR=$(<"$LAB_TMP/xg.stderr")
}

# xg_json PATH: one value from `status --json` (see jsonq.py), "?" if absent.
xg_json() {
    local value
    value=$(xg status --json | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" "$1") && [[ -n $value ]] || value="?"
    echo "$value"
}

# lab_counter REASON ACTION, e.g. lab_counter denied_ipv4 dropped
lab_counter() { xg_json "counters.$1.$2"; }

# lab_allowed_syns PREFIX: the ALLOWED_SYNS column of `allow list`.
lab_allowed_syns() {
    xg allow list | awk -v p="$1" '$1 == p { print $2; found = 1 } END { exit !found }'
}

# lab_xdp_attached IFACE: 0 if `ip link` in the server namespace shows an
# XDP program on the interface.
lab_xdp_attached() {
    lab_in server ip -d link show dev "$1" | grep -q xdp
}

# lab_xdp_prog_id IFACE: the id of the XDP program on the interface.
lab_xdp_prog_id() {
    lab_in server ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}

# The usual filter: the gateway's prefixes allowed, both server-side veths
# enforcing on port 25. Setup, not a test: any failure ends the script.
lab_protect() {
    xg allow add "$LAB_GW_NET4" "$LAB_GW_NET6" >/dev/null ||
        lab_die "xdpguard allow add $LAB_GW_NET4 $LAB_GW_NET6 failed"
    xg attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --enforce >/dev/null ||
        lab_die "xdpguard attach $LAB_IF_SRV_GW $LAB_IF_SRV_SP --enforce failed"
}

# --- checks ----------------------------------------------------------------

lab_step() { echo "--- $*"; }

lab_pass() {
    echo "PASS: $1"
    LAB_PASSED=$((LAB_PASSED + 1))
}

# lab_fail DESC [DETAIL]
lab_fail() {
    echo "FAIL: $1"
    [[ -z ${2:-} ]] || sed 's/^/      /' <<<"$2"
    LAB_FAILED=$((LAB_FAILED + 1))
}

# lab_check DESC CMD...: passes if CMD succeeds; its output is shown on failure.
lab_check() {
    local desc=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -eq 0 ]]; then lab_pass "$desc"; else lab_fail "$desc (exit $rc)" "$out"; fi
}

# lab_check_fails DESC CMD...: passes if CMD fails.
lab_check_fails() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then lab_fail "$desc (it succeeded)" "$out"; else lab_pass "$desc"; fi
}

lab_check_eq() {
    if [[ $2 == "$3" ]]; then lab_pass "$1"; else lab_fail "$1: got '$2', expected '$3'"; fi
}

# lab_check_gt DESC A B: A > B, both integers.
lab_check_gt() {
    if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && (($2 > $3)); then
        lab_pass "$1 ($2 > $3)"
    else
        lab_fail "$1: expected '$2' > '$3'"
    fi
}

# lab_check_contains DESC TEXT NEEDLE (case-insensitive, fixed string)
lab_check_contains() {
    if grep -qiF -- "$3" <<<"$2"; then lab_pass "$1"; else lab_fail "$1: no '$3' in" "$2"; fi
}

lab_check_lacks() {
    if grep -qiF -- "$3" <<<"$2"; then lab_fail "$1: unexpected '$3' in" "$2"; else lab_pass "$1"; fi
}

# lab_check_xg_exit DESC EXPECTED ARGS...: runs xg_capture ARGS and checks
# the exit status; "nonzero" accepts any failure.
lab_check_xg_exit() {
    local desc=$1 expected=$2
    shift 2
    xg_capture "$@"
    if [[ $expected == nonzero && $XG_RC -ne 0 ]] || [[ $XG_RC == "$expected" ]]; then
        lab_pass "$desc (exit $XG_RC)"
    else
        lab_fail "$desc: 'xdpguard $*' exited $XG_RC, expected $expected" \
            "stdout: $XG_OUT"$'\n'"stderr: $XG_ERR"
    fi
}

lab_diagnostics() {
    echo "=== diagnostics (lab $LAB_ID, pin dir $LAB_PIN_DIR)"
    xg status 2>&1 | sed 's/^/    /'
    xg allow list 2>&1 | sed 's/^/    /'
    lab_in server ip -d link show 2>&1 | grep -E '^[0-9]+:|xdp' | sed 's/^/    /'
}

lab_finish() {
    local elapsed=$((SECONDS - LAB_START))
    [[ $LAB_FAILED -eq 0 ]] || lab_diagnostics
    echo "=== $LAB_PASSED passed, $LAB_FAILED failed (${elapsed}s)"
    [[ $LAB_FAILED -eq 0 ]]
    exit $?
}

# --- cleanup ---------------------------------------------------------------

lab_stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

lab_cleanup() {
    local rc=$? pid ns
    [[ $LAB_CLEANED -eq 0 ]] || return "$rc"
    LAB_CLEANED=1
    trap '' TERM INT HUP
    [[ -z ${LAB_WATCHDOG:-} ]] || lab_stop_pid "$LAB_WATCHDOG"
    for pid in "${LAB_PIDS[@]}"; do lab_stop_pid "$pid"; done
    if [[ -e ${LAB_PIN_DIR:-/nonexistent} && -e /run/netns/$LAB_NS_SRV ]]; then
        xg detach --all --purge >/dev/null 2>&1
    fi
    for ns in "${LAB_NAMESPACES[@]}"; do
        # Only processes this script started can be in its own namespaces.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do lab_stop_pid "$pid"; done
        ip netns del "$ns" 2>/dev/null || echo "warning: could not delete namespace $ns" >&2
    done
    # The pin dir is ours alone (its name carries LAB_ID); removing the pins
    # also releases any link or map the CLI failed to clean up.
    if [[ -n ${LAB_PIN_DIR:-} && $LAB_PIN_DIR == /sys/fs/bpf/*-"$LAB_ID" && -e $LAB_PIN_DIR ]]; then
        rm -rf -- "$LAB_PIN_DIR" || echo "warning: could not remove $LAB_PIN_DIR" >&2
    fi
    [[ -z ${LAB_TMP:-} ]] || rm -rf -- "$LAB_TMP"
    exit "$rc"
}
