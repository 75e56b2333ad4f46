# shellcheck shell=bash
# Helpers for the tests of `xdpguard run`. Source after lab.sh (and
# exporter_lab.sh) and call after lab_init:
#
#   daemon_start [ARGS...]        # `xdpguard run --config $DAEMON_CONFIG ARGS` in the server
#                                 # namespace; waits for its "ready:" line
#   daemon_check_start DESC [ARGS...]  # daemon_start as a check; the script ends if it fails
#   daemon_log_count TEXT         # how many lines of this run's stderr contain TEXT
#   daemon_wait_log TEXT [N] [S]  # waits (at most S seconds, default 5) for N such lines
#   daemon_stop [SIGNAL]          # SIGTERM (or SIGNAL); DAEMON_RC is its exit status
#   lab_wait_until SECONDS CMD... # retries CMD every 0.1 s until it succeeds
#   source_prefixes SOURCE        # the prefixes `allow list` shows for SOURCE, space-separated
#   daemon_config_head LISTEN     # prints a config's start: the lab's pin dir, both server
#                                 # interfaces enforcing, metrics on LISTEN ("" = off)
#
# Each run logs to $LAB_TMP/daemon-N.out (the drop log) and .err (events).
# The daemon is stopped on every exit path by lab_cleanup.

DAEMON_RUNS=0

daemon_config_head() {
    cat <<EOF
pin_dir = "$LAB_PIN_DIR"
[filter]
interfaces = ["$LAB_IF_SRV_GW", "$LAB_IF_SRV_SP"]
mode = "enforce"
[metrics]
listen = "$1"
EOF
}

daemon_start() {
    local i
    DAEMON_RUNS=$((DAEMON_RUNS + 1))
    DAEMON_LOG=$LAB_TMP/daemon-$DAEMON_RUNS
    lab_in_background server "$XDPGUARD" run --config "$DAEMON_CONFIG" "$@" \
        >"$DAEMON_LOG.out" 2>"$DAEMON_LOG.err"
    DAEMON_PID=$LAB_BG_PID
    for ((i = 0; i < 200; i++)); do
        grep -q '^xdpguard: ready: ' "$DAEMON_LOG.err" 2>/dev/null && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "xdpguard run did not become ready:" >&2
    sed 's/^/    /' "$DAEMON_LOG.err" >&2
    return 1
}

# Not through lab_check: that would run it in a subshell, losing DAEMON_PID.
daemon_check_start() {
    local desc=$1
    shift
    daemon_start "$@" || lab_die "$desc"
    lab_pass "$desc"
}

daemon_log_count() { grep -cF -- "$1" "$DAEMON_LOG.err" 2>/dev/null; }

daemon_wait_log() {
    local i limit=$(( ${3:-5} * 20 ))
    for ((i = 0; i < limit; i++)); do
        (( $(daemon_log_count "$1") >= ${2:-1} )) && return 0
        sleep 0.05
    done
    return 1
}

# shellcheck disable=SC2120  # the signal is optional
daemon_stop() {
    lab_stop_wait "$DAEMON_PID" 10 "${1:-TERM}"
    # shellcheck disable=SC2034  # read by the tests
    DAEMON_RC=$LAB_STOP_RC
}

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

lab_wait_until() {
    local i limit=$(( $1 * 10 ))
    shift
    for ((i = 0; i < limit; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

source_prefixes() {
    xg allow list | awk -v s="$1" '
        NR > 1 { n = split($4, src, ","); for (i = 1; i <= n; i++) if (src[i] == s) print $1 }' |
        tr '\n' ' ' | sed 's/ $//'
}

# daemon_finish: lab_finish, showing every daemon's log first if a check failed.
daemon_finish() {
    local log
    if [[ $LAB_FAILED -gt 0 ]]; then
        for log in "$LAB_TMP"/daemon-*.err; do
            echo "=== $(basename "$log")"
            sed 's/^/    /' "$log"
        done
    fi
    lab_finish
}
