# shellcheck shell=bash
# A real NSD serving one zone on the server namespace's 127.0.0.1, for the
# SPF tests and tools/demo.sh. Source after lab.sh; set ZONE (the zone's
# name) and define `nsd_zone SERIAL ARGS...`, which prints the zone text
# with that SOA serial; then, after lab_init and lab_up:
#
#   nsd_require                # skip (77) or fail if NSD is not installed
#   nsd_start SERIAL ARGS...   # NSD on 127.0.0.1:$NSD_PORT; waits until SERIAL is served
#   nsd_reload SERIAL ARGS...  # the zone changes under the running NSD
#   dns_probe NAME TYPE        # one query, from the server namespace
#   nsd_stop                   # shuts NSD down
#
# NSD's files live in $NSD_DIR (default $LAB_TMP/nsd); lab_cleanup stops its
# processes on every exit path.

NSD=${NSD:-/usr/sbin/nsd}

nsd_require() {
    [[ -x $NSD ]] || lab_skip_or_fail "'$NSD' is not installed (Debian package nsd)"
}

# nsd_zone_head SERIAL: the start every lab zone shares (origin, SOA with
# that serial, NS and its address); nsd_zone prints its records after it.
nsd_zone_head() {
    cat <<EOF
\$ORIGIN $ZONE.
\$TTL 300
@      SOA ns.$ZONE. hostmaster.$ZONE. $1 3600 600 86400 300
@      NS  ns.$ZONE.
ns     A   192.0.2.53
EOF
}

# nsd_write_zone SERIAL ARGS...: nsd_zone's text into the zone file.
nsd_write_zone() {
    nsd_zone "$@" >"$NSD_DIR/$ZONE.zone" || lab_die "cannot write the zone $ZONE"
    # NSD reloads a zone whose mtime changed; make sure it did.
    touch -d "@$(($(date +%s) + $1))" "$NSD_DIR/$ZONE.zone"
}

# dns_probe NAME TYPE: one query to the lab's NSD from the server namespace.
dns_probe() {
    lab_in server "$LAB_PYTHON" "$LAB_DIR/dns_probe.py" 127.0.0.1 "$NSD_PORT" "$1" "$2"
}

# nsd_wait_serial SERIAL: 0 once NSD serves the zone with SERIAL (at most 5 s);
# with a second argument, sends NSD a SIGHUP (reload) every second meanwhile.
nsd_wait_serial() {
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(dns_probe "$ZONE" SOA 2>/dev/null) == "SOA serial $1" ]] && return 0
        [[ -z ${2:-} || $((i % 10)) -ne 0 ]] || nsd_signal_main HUP
        sleep 0.1
    done
    return 1
}

# nsd_start SERIAL ARGS...: see above.
nsd_start() {
    NSD_DIR=${NSD_DIR:-$LAB_TMP/nsd}
    mkdir -p "$NSD_DIR"
    # An unused port in the server namespace (ours alone, so it stays unused).
    NSD_PORT=$(lab_in server "$LAB_PYTHON" -c '
import socket
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])') || lab_die "no free port for NSD"
    cat >"$NSD_DIR/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $NSD_PORT
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$NSD_DIR"
    database: ""
    zonelistfile: "$NSD_DIR/zone.list"
    xfrdfile: "$NSD_DIR/xfrd.state"
    xfrdir: "$NSD_DIR"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$NSD_DIR/nsd.log"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "$ZONE"
    zonefile: "$ZONE.zone"
EOF
    nsd_write_zone "$@"
    # -d: NSD does not daemonize, so the lab tracks the process it started
    # (which becomes NSD's xfrd; the main process is in the pidfile).
    lab_in_background server "$NSD" -d -c "$NSD_DIR/nsd.conf"
    NSD_PID=$LAB_BG_PID
    nsd_wait_serial "$1" || lab_die "NSD does not answer on 127.0.0.1:$NSD_PORT: $(cat "$NSD_DIR/nsd.log" 2>&1)"
}

# nsd_reload SERIAL ARGS...: the zone changes under the running NSD.
# shellcheck disable=SC2317 # called through lab_check
nsd_reload() {
    nsd_write_zone "$@"
    nsd_signal_main HUP
    nsd_wait_serial "$1" resend
}

# nsd_pids: every NSD process ("nsd: main", "nsd: xfrd", "nsd: server 1").
# The server namespace is ours, so each is the one this script started.
nsd_pids() {
    local pid
    for pid in $(ip netns pids "$LAB_NS_SRV"); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == nsd* ]] && echo "$pid"
    done
}

# nsd_signal SIGNAL: to every NSD process.
nsd_signal() {
    local pids
    mapfile -t pids < <(nsd_pids)
    [[ ${#pids[@]} -eq 0 ]] || kill "-$1" "${pids[@]}"
}

# nsd_signal_main SIGNAL: to NSD's main process, as nsd(8) expects.
nsd_signal_main() { kill "-$1" "$(cat "$NSD_DIR/nsd.pid")"; }

# nsd_stop: NSD shuts down (at most 5 s), its processes reaped.
nsd_stop() {
    local i
    nsd_signal_main TERM
    for ((i = 0; i < 50; i++)); do
        [[ -z $(nsd_pids) ]] && break
        sleep 0.1
    done
    lab_stop_pid "$NSD_PID"
    [[ -z $(nsd_pids) ]]
}
