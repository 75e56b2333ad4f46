#!/usr/bin/env bash
# xdpguard's benchmark (issue 5) in one command, as root:
#
#   tools/bench/run.sh [BUILD_DIR]     # default BUILD_DIR: build; about 6 minutes
#   BENCH_QUICK=1 tools/bench/run.sh   # a one-minute smoke run, fewer sizes and rounds
#
# It builds what it needs, then prints one table:
#   prog_run  ns per packet under BPF_PROG_TEST_RUN (the kernel's opts.duration,
#             not wall time) at 10 to 1,000,000 prefixes, as a ratio to an
#             XDP_PASS-only program loaded in the same run
#   live      a SYN flood over a veth pair between two namespaces: SYNs dropped
#             per second by XDP_DROP only, xdpguard and nftables, as a ratio to
#             XDP_DROP only
#   control   the real CLI: allow sync / add / del at 100,000 prefixes, /metrics
#   memory    the kernel's map memory per 100k prefixes, the exporter's RSS
# Every case runs in interleaved rounds; a row is the median and min..max.
# A live ratio is the median of round-by-round ratios (both sides of round i
# ran moments apart).
# Not part of the test suite. Namespaces, pins and processes it creates are
# removed on exit, whatever the outcome.
#
# The live flood occupies both CPUs for about two minutes: the sender and the
# receiver's NAPI thread run SCHED_FIFO (RT throttling leaves others 5 %).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(realpath -m "${1:-$repo/build}")
quick=${BENCH_QUICK:-0}
flood_sizes=(1000 100000)  # xdpguard and nftables, each at these allowlist sizes
if [[ $quick == 1 ]]; then
    cost_args=(--sizes "10,1000,100000" --v6-sizes "10,100000" --rounds 3)
    flood_args=(--rounds 1 --seconds 1 --warmup 0.2)
    cp_rounds=2
else
    cost_args=(--sizes "10,1000,100000,1000000" --v6-sizes "10,1000,100000,1000000" --rounds 9)
    flood_args=(--rounds 4 --seconds 4 --warmup 0.5)
    cp_rounds=5
fi

note() { echo "bench: $*" >&2; }
die() {
    note "$*"
    exit 1
}

[[ $EUID -eq 0 ]] || die "needs root (CAP_BPF, CAP_NET_ADMIN, network namespaces)"
"$repo/tools/setup.sh" >&2
[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] || die "bpffs is not mounted on /sys/fs/bpf"
for tool in cmake ip nsenter nft ethtool curl bpftool chrt taskset pgrep awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (Debian: nftables, ethtool, curl); see tools/setup.sh"
done
(($(nproc) >= 2)) || die "the live flood needs 2 CPUs: one sends, one receives"

note "building in $build"
cmake -S "$repo" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" \
    --target xdpguard xdpguard_costbench xdpguard_floodbench xdpguard_benchgen >/dev/null
bin=$build/tools/bench
xdpguard=$build/userspace/xdpguard

# --- names, cleanup ---------------------------------------------------------

id=$(printf '%06x' $(((($$ & 0xfff) << 12) | (RANDOM & 0xfff))))
ns_tx=xgb-$id-tx ns_rx=xgb-$id-rx ns_cp=xgb-$id-cp
if_tx=xgt$id if_rx=xgr$id  # veth ends, each inside its own namespace
pin_big=/sys/fs/bpf/xgbench-$id-100k pin_small=/sys/fs/bpf/xgbench-$id-10k
for ns in "$ns_tx" "$ns_rx" "$ns_cp"; do [[ ! -e /run/netns/$ns ]] || die "namespace $ns exists"; done
work=$(mktemp -d /tmp/xgbench.XXXXXX)
rows=$work/rows.tsv
: >"$rows"
pids=()

cleanup() {
    local pid pin ns
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    for pin in "$pin_big" "$pin_small"; do
        [[ -e $pin ]] || continue
        XDPGUARD_PIN_DIR=$pin nsenter --net="/run/netns/$ns_cp" "$xdpguard" detach --all --purge \
            >/dev/null 2>&1 || true
        rm -rf "$pin"
    done
    # Deleting a namespace takes its interfaces, XDP programs and nftables table.
    for ns in "$ns_tx" "$ns_rx" "$ns_cp"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_at_start=$(cut -d' ' -f1 /proc/loadavg)
started=$SECONDS

# --- 1. per-packet cost under BPF_PROG_TEST_RUN ------------------------------

note "prog_run: per-packet cost at each allowlist size (loading 1M-prefix filters takes a while)"
timeout 900 "$bin/xdpguard_costbench" "${cost_args[@]}" --cpu 0 >>"$rows"

# --- 2. live flood over a veth pair ---------------------------------------------
#
# sender ns_tx: if_tx ==== veth ==== if_rx :receiver ns_rx, 192.0.2.25 (documentation)
# The sender rewrites each SYN's source to one of 65,536 addresses spread
# over 128.0.0.0/2. Those are not documentation addresses, but the frames
# never leave the veth pair between the two private namespaces.

live_flood() {
    local rx_mac=02:00:00:00:00:25 size napi
    ip netns add "$ns_tx"
    ip netns add "$ns_rx"
    ip link add "$if_tx" netns "$ns_tx" type veth peer name "$if_rx" netns "$ns_rx"
    ip -n "$ns_rx" link set "$if_rx" address "$rx_mac" up
    ip -n "$ns_tx" link set "$if_tx" up
    ip -n "$ns_rx" addr add 192.0.2.25/24 dev "$if_rx"
    ip -n "$ns_tx" addr add 192.0.2.1/24 dev "$if_tx"
    # veth polls with NAPI only while an XDP program is attached or GRO is on:
    # GRO keeps the receiving end alive for the nftables cases.
    ip netns exec "$ns_rx" ethtool -K "$if_rx" gro on >/dev/null
    # NAPI in a kernel thread of its own, real-time on CPU 1: the receiver
    # owns one CPU, the sender (pinned to CPU 0) the other.
    ip netns exec "$ns_rx" sh -c "echo 1 > /sys/class/net/$if_rx/threaded"
    napi=$(pgrep "^napi/$if_rx-" | head -n1) || true
    [[ -n $napi ]] || die "no threaded NAPI kthread for $if_rx"
    taskset -pc 1 "$napi" >/dev/null
    chrt -f -p 50 "$napi"

    # The same prefixes as xdpguard's, in one interval set per size. The rule
    # goes in the prerouting hook at raw priority, the earliest an inet table
    # sees a packet: nftables' best case.
    {
        echo "table inet xgbench {"
        for size in "${flood_sizes[@]}"; do
            echo "  set allow_$size { type ipv4_addr; flags interval; elements = {"
            "$bin/xdpguard_benchgen" --count "$size" | sed 's/$/,/'
            echo "  } }"
        done
        echo "  chain flood { type filter hook prerouting priority raw; policy accept; }"
        echo "}"
    } >"$work/flood.nft"
    nsenter --net="/run/netns/$ns_rx" nft -f "$work/flood.nft"

    note "live: flood over a veth pair, SCHED_FIFO sender on CPU 0, receiver on CPU 1"
    timeout 900 "$bin/xdpguard_floodbench" --tx-netns "$ns_tx" --rx-netns "$ns_rx" \
        --tx-if "$if_tx" --rx-if "$if_rx" --rx-mac "$rx_mac" --dst 192.0.2.25 \
        --nft-table xgbench --nft-chain flood --tx-cpu 0 --rt-priority 40 --rx-thread "$napi" \
        --sizes "$(IFS=,; echo "${flood_sizes[*]}")" "${flood_args[@]}" >>"$rows"
}
live_flood

# --- 3. control plane, 4. memory: the real CLI ----------------------------------

# shellcheck source=tools/bench/control_plane.sh
source "$here/control_plane.sh"
control_plane

# --- the table ------------------------------------------------------------------

load_at_end=$(cut -d' ' -f1 /proc/loadavg)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "xdpguard benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS - started)) s"
echo "machine: $cpu_model, $(nproc) vCPUs, kernel $(uname -r), load average $load_at_start at start, $load_at_end at end"
echo "prog_run: kernel-reported ns per run (opts.duration, whole ns), 1,000,000 runs per call; ratio to the XDP_PASS-only floor"
echo "live: SYNs dropped per second at the receiver (its own counters); ratio to XDP_DROP only; 'ring full' = share of"
echo "      the sender's frames the receiver's veth ring refused (rarely full: the sender, not the receiver, set the rate)"
echo "control: wall time of each CLI command or scrape, as a user sees it"
echo
awk -F'\t' '
    BEGIN { fmt = "%-8s %-62s %9s %-19s %-11s %7s %-9s %s\n"
            printf fmt, "section", "case", "median", "min..max", "unit", "ratio", "target", "met" }
    { range = ($4 == "-") ? "-" : $4 ".." $5
      printf fmt, $1, $2, $3, range, $6, $7, $8, $9 }' "$rows"
