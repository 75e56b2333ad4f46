# shellcheck shell=bash disable=SC2154
# The control-plane and memory part of tools/bench/run.sh, sourced by it
# (it uses run.sh's names: xdpguard, bin, work, rows, ns_cp, pin_big,
# pin_small, pids, cp_rounds).
#
# The real CLI binary runs against pin directories of its own, in a namespace
# of its own (through nsenter, which keeps bpffs visible), attached in
# monitor mode to veth ends that carry no traffic: attach is what sets a
# capacity above the default 65,536 prefixes.

# xg PIN_DIR ARGS...: the CLI in the control-plane namespace.
xg() {
    local pin=$1
    shift
    XDPGUARD_PIN_DIR=$pin timeout 120 nsenter --net="/run/netns/$ns_cp" "$xdpguard" "$@"
}

# cli PIN_DIR ARGS...: the CLI as a user types it. Allowlist commands touch
# only the pins (bpffs is the same in every network namespace), so they run
# without xg's timeout and nsenter, which would add two process starts.
cli() {
    local pin=$1
    shift
    XDPGUARD_PIN_DIR=$pin "$xdpguard" "$@"
}

# elapsed_ms CMD...: runs CMD (output discarded), prints its wall time in ms.
elapsed_ms() {
    local start=$EPOCHREALTIME
    "$@" >/dev/null || die "failed: $*"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}

# scrape_ms PORT: one /metrics scrape in the namespace, in ms.
scrape_ms() {
    nsenter --net="/run/netns/$ns_cp" curl -sf -o /dev/null -w '%{time_total}\n' \
        "http://127.0.0.1:$1/metrics" | awk '{ printf "%.1f\n", $1 * 1000 }'
}

# summary SECTION NAME UNIT LIMIT VALUES...: one row; met if median < LIMIT (0: no target).
summary() {
    local section=$1 name=$2 unit=$3 limit=$4
    shift 4
    printf '%s\n' "$@" | sort -g | awk -v s="$section" -v n="$name" -v u="$unit" -v l="$limit" '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              t = (l > 0) ? "< " l " " u : "-"; met = (l > 0) ? ((m < l) ? "yes" : "NO") : "-"
              printf "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t-\t%s\t%s\n", s, n, m, v[1], v[NR], u, t, met }' >>"$rows"
}

# start_exporter PIN PORT: serves PIN's /metrics; waits until it answers.
start_exporter() {
    XDPGUARD_PIN_DIR=$1 nsenter --net="/run/netns/$ns_cp" "$xdpguard" exporter \
        --listen "127.0.0.1:$2" >/dev/null 2>&1 &
    pids+=($!)
    local _
    for _ in $(seq 50); do
        scrape_ms "$2" >/dev/null 2>&1 && return
        sleep 0.1
    done
    die "the exporter on port $2 did not answer"
}

rss_mib() { awk -v k="$2:" '$1 == k { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

# The kernel's memlock figure of every map pinned in PIN, one row each.
map_memory_rows() {
    local pin=$1 label=$2 file json name bytes total=0
    for file in "$pin"/*; do
        json=$(bpftool -j map show pinned "$file" 2>/dev/null) || continue  # links, lock file
        name=$(grep -o '"name":"[^"]*"' <<<"$json" | cut -d'"' -f4)
        bytes=$(grep -o '"bytes_memlock":[0-9]*' <<<"$json" | cut -d: -f2)
        total=$((total + bytes))
        printf 'memory\tpinned map %s, %s\t%.2f\t-\t-\tMiB memlock\t-\t-\t-\n' \
            "$name" "$label" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" >>"$rows"
    done
    printf 'memory\tall pinned maps, %s\t%.1f\t-\t-\tMiB memlock\t-\t-\t-\n' \
        "$label" "$(awk -v b="$total" 'BEGIN { print b / 1048576 }')" >>"$rows"
}

control_plane() {
    local _ sync=() resync=() add=() del=() start=() scrape=() big_scrape=() exporter
    ip netns add "$ns_cp"
    ip -n "$ns_cp" link set lo up
    ip -n "$ns_cp" link add xgbig type veth peer name xgbigpeer
    ip -n "$ns_cp" link add xgsmall type veth peer name xgsmallpeer
    "$bin/xdpguard_benchgen" --count 100000 >"$work/allow-100k.txt"
    "$bin/xdpguard_benchgen" --count 100000 --replace 1000 >"$work/allow-100k-next.txt"
    "$bin/xdpguard_benchgen" --count 10000 >"$work/allow-10k.txt"

    note "control: CLI at 100,000 prefixes and /metrics at 10,000, $cp_rounds rounds"
    xg "$pin_small" attach xgsmall --monitor >/dev/null
    xg "$pin_small" allow sync "$work/allow-10k.txt" --source bench >/dev/null
    start_exporter "$pin_small" 9433
    for _ in $(seq "$cp_rounds"); do
        xg "$pin_big" detach --all --purge >/dev/null 2>&1 || true
        xg "$pin_big" attach xgbig --monitor --max-prefixes 200000 >/dev/null
        sync+=("$(elapsed_ms cli "$pin_big" allow sync "$work/allow-100k.txt" --source bench)")
        resync+=("$(elapsed_ms cli "$pin_big" allow sync "$work/allow-100k-next.txt" --source bench)")
        add+=("$(elapsed_ms cli "$pin_big" allow add 203.0.113.0/24)")
        del+=("$(elapsed_ms cli "$pin_big" allow del 203.0.113.0/24)")
        start+=("$(elapsed_ms "$xdpguard" version)")
        scrape+=("$(scrape_ms 9433)")
    done
    summary control "allow sync, 100,000 prefixes into an empty allowlist" ms 1000 "${sync[@]}"
    summary control "allow sync, 1,000 of 100,000 prefixes changed" ms 0 "${resync[@]}"
    summary control "allow add, 1 prefix into 100,000" ms 20 "${add[@]}"
    summary control "allow del, 1 prefix of 100,001" ms 0 "${del[@]}"
    # What any command pays before it does anything: exec, the dynamic
    # loader and the CLI's setup, on this machine, in the same rounds.
    summary control "process start alone: xdpguard version" ms 0 "${start[@]}"
    summary control "/metrics scrape, 10,000 prefixes" ms 100 "${scrape[@]}"

    note "memory: pinned maps and the exporter at 100,000 prefixes"
    map_memory_rows "$pin_big" "100k prefixes (capacity 200k)"
    exporter=${pids[-1]}
    printf 'memory\texporter RSS after %s scrapes, 10,000 prefixes\t%s\t-\t-\tMiB\t-\t-\t-\n' \
        "$cp_rounds" "$(rss_mib "$exporter" VmRSS)" >>"$rows"
    start_exporter "$pin_big" 9434
    exporter=${pids[-1]}
    for _ in $(seq "$cp_rounds"); do big_scrape+=("$(scrape_ms 9434)"); done
    summary control "/metrics scrape, 100,000 prefixes" ms 0 "${big_scrape[@]}"
    printf 'memory\texporter RSS after %s scrapes, 100,000 prefixes\t%s\t-\t-\tMiB\t-\t-\t-\n' \
        "$cp_rounds" "$(rss_mib "$exporter" VmRSS)" >>"$rows"
    printf 'memory\texporter peak RSS (VmHWM), 100,000 prefixes\t%s\t-\t-\tMiB\t-\t-\t-\n' \
        "$(rss_mib "$exporter" VmHWM)" >>"$rows"
}
