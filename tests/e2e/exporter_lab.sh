# shellcheck shell=bash
# Helpers for the tests of `xdpguard exporter`, `stats`, `top` and `check`.
# Source after lab.sh and call after lab_init:
#
#   exporter_start 127.0.0.1:PORT [ARGS...]   # in the server namespace, waits for "serving"
#   scrape                                    # the exposition text, fetched in the server namespace
#   metric "$text" NAME [LABEL=VALUE...]      # one sample's value
#   exporter_stop                             # SIGTERM; EXPORTER_RC is its exit status
#
# The exporter (and anything else started with lab_in_background) runs in
# the server namespace, so its ports cannot collide with the host's; it is
# stopped on every exit path by lab_cleanup.

EXPORTER_RUNS=0

# prom ARGS...: tests/e2e/prom.py in the server namespace, bounded in time.
prom() {
    timeout -k 2 20 nsenter --net="/run/netns/$LAB_NS_SRV" -- "$LAB_PYTHON" "$LAB_DIR/prom.py" "$@"
}

# lab_free_ports N: N distinct free TCP ports on the server's 127.0.0.1.
lab_free_ports() { prom ports "$1"; }

# lab_stop_wait PID [SECONDS] [SIGNAL]: SIGNAL (default TERM), then SIGKILL if
# PID (a child of this shell) is still running after SECONDS (default 10).
# Sets LAB_STOP_RC to its exit status and LAB_STOP_KILLED to 1 if it had to
# be killed.
lab_stop_wait() {
    local pid=$1 i limit=$(( ${2:-10} * 20 ))
    LAB_STOP_KILLED=0
    kill -"${3:-TERM}" "$pid" 2>/dev/null
    for ((i = 0; i < limit; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        # shellcheck disable=SC2034  # read by the tests
        LAB_STOP_KILLED=1
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    LAB_STOP_RC=$?
}

# exporter_start LISTEN [ARGS...]: starts `xdpguard exporter --listen LISTEN`
# in the server namespace and waits (at most 5 s) for its "serving" line.
# Sets EXPORTER_PID, EXPORTER_URL and EXPORTER_LOG (.out and .err files).
exporter_start() {
    local listen=$1 i
    shift
    EXPORTER_RUNS=$((EXPORTER_RUNS + 1))
    EXPORTER_LOG=$LAB_TMP/exporter-$EXPORTER_RUNS
    EXPORTER_URL=http://$listen/metrics
    lab_in_background server "$XDPGUARD" exporter --listen "$listen" "$@" \
        >"$EXPORTER_LOG.out" 2>"$EXPORTER_LOG.err"
    EXPORTER_PID=$LAB_BG_PID
    for ((i = 0; i < 100; i++)); do
        grep -q '^serving ' "$EXPORTER_LOG.out" 2>/dev/null && return 0
        kill -0 "$EXPORTER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "exporter --listen $listen did not start:" >&2
    cat "$EXPORTER_LOG.out" "$EXPORTER_LOG.err" >&2
    return 1
}

# exporter_stop [SIGNAL]: SIGTERM (or SIGNAL) to the exporter; EXPORTER_RC is
# its exit status (137 if it had to be killed after 5 s).
# shellcheck disable=SC2120  # the signal is optional
exporter_stop() {
    lab_stop_wait "$EXPORTER_PID" 5 "${1:-TERM}"
    # shellcheck disable=SC2034  # read by the tests
    EXPORTER_RC=$LAB_STOP_RC
}

# scrape: GET the exporter's /metrics from the server namespace.
scrape() { prom get "$EXPORTER_URL"; }

# metric TEXT NAME [LABEL=VALUE...]: the value of one sample in exposition
# TEXT, "?" if there is no such sample or more than one.
metric() {
    local text=$1 value
    shift
    value=$("$LAB_PYTHON" "$LAB_DIR/prom.py" sample "$@" <<<"$text" 2>/dev/null) || value="?"
    echo "$value"
}

# json_row LIST KEY VALUE FIELD: reads JSON on stdin and prints FIELD of the
# element of LIST (a top-level member, or "." for a top-level list) whose KEY
# is VALUE; "?" if there is none. Unlike jsonq.py, VALUE may contain dots.
json_row() {
    "$LAB_PYTHON" -c '
import json, sys
doc = json.load(sys.stdin)
rows = doc if sys.argv[1] == "." else doc[sys.argv[1]]
print(next(row[sys.argv[4]] for row in rows if str(row.get(sys.argv[2])) == sys.argv[3]))
' "$@" 2>/dev/null || echo "?"
}

# stats_value PATH: one value from `xdpguard stats --json` (jsonq.py path).
stats_value() {
    local value
    value=$(xg stats --json | "$LAB_PYTHON" "$LAB_DIR/jsonq.py" "$1") && [[ -n $value ]] || value="?"
    echo "$value"
}

# stats_allowed PREFIX: allowed_syns of PREFIX in `xdpguard stats --json`.
stats_allowed() { xg stats --json | json_row allowlist prefix "$1" allowed_syns; }
