#!/bin/bash
# e2e: the exporter's exposure. By default it listens on 127.0.0.1 only (a
# non-local address must be asked for); it serves /metrics and nothing else;
# a request is served up to its size bound (8 KiB) and refused one byte
# past it; oversized and garbage requests get an error or a closed
# connection at once; more idle connections than serving threads do not
# hold up a scrape (the request timeout frees them); and a burst of 50
# concurrent scrapes mixed with garbage is answered in full.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/exporter_lab.sh
source "$LAB_DIR/exporter_lab.sh"
# shellcheck source=SCRIPTDIR/faults_lab.sh
source "$LAB_DIR/faults_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
faults_require ss
lab_up
lab_protect

DEFAULT_PORT=9433
BURST=50 BURST_GARBAGE=20
THREADS=16 REQUEST_TIMEOUT_MS=2000 MAX_REQUEST=8192  # exporter.hpp's bounds
IDLE_CONNECTIONS=24  # more than the threads: the timeout must free some

abuse() { timeout -k 2 40 nsenter --net="/run/netns/$LAB_NS_SRV" -- "$LAB_PYTHON" "$LAB_DIR/http_abuse.py" "$@"; }
status_of() { prom status "http://127.0.0.1:$DEFAULT_PORT$1"; }

# sized_get BYTES: a GET /metrics exactly BYTES long (padded in a header);
# prints the status line and the body's last line, or "no answer".
sized_get() {
    timeout -k 2 10 nsenter --net="/run/netns/$LAB_NS_SRV" -- "$LAB_PYTHON" - "$DEFAULT_PORT" "$1" <<'EOF'
import socket, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
head, tail = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ", b"\r\n\r\n"
data = b""
try:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + b"a" * (size - len(head) - len(tail)) + tail)
        while chunk := sock.recv(65536):
            data += chunk
except OSError as err:
    print(f"no answer ({err})")
    sys.exit()
lines = data.decode(errors="replace").strip().splitlines() or ["no answer"]
print(f"{lines[0]}: {lines[-1]}")
EOF
}

lab_step "the exporter with no --listen binds 127.0.0.1:$DEFAULT_PORT only"
log=$LAB_TMP/exporter-default
lab_in_background server "$XDPGUARD" exporter >"$log.out" 2>"$log.err"
exporter_pid=$LAB_BG_PID
for ((i = 0; i < 100; i++)); do
    grep -q '^serving ' "$log.out" 2>/dev/null && break
    kill -0 "$exporter_pid" 2>/dev/null || break
    sleep 0.05
done
grep -q '^serving ' "$log.out" || lab_die "the exporter did not start: $(cat "$log.out" "$log.err")"
lab_check_contains "it says where it serves" "$(cat "$log.out")" "http://127.0.0.1:$DEFAULT_PORT/metrics"
listening=$(lab_in server ss -Hltn "sport = :$DEFAULT_PORT" | awk '{ print $4 }' | sort -u)
echo "      listening: $listening"
lab_check_eq "ss: the only listening socket on :$DEFAULT_PORT is 127.0.0.1" "$listening" "127.0.0.1:$DEFAULT_PORT"
lab_check "the server itself connects to 127.0.0.1:$DEFAULT_PORT" tcp_connects server 127.0.0.1 "$DEFAULT_PORT"
lab_check_fails "the gateway cannot connect to [$LAB_SRV_GW4]:$DEFAULT_PORT" \
    tcp_connects gateway "$LAB_SRV_GW4" "$DEFAULT_PORT"

lab_step "it serves /metrics and nothing else"
lab_check_eq "GET /metrics" "$(status_of /metrics)" 200
for path in / /index.html /favicon.ico /metricsx /metrics.txt /metrics/extra /../etc/passwd; do
    lab_check_eq "GET $path" "$(status_of "$path")" 404
done
outcome=$(abuse raw 127.0.0.1 "$DEFAULT_PORT" post)
lab_check_lacks "POST /metrics is not served ($outcome)" "$outcome" "status 200"

lab_step "requests are served up to $MAX_REQUEST bytes, refused past that"
outcome=$(sized_get "$MAX_REQUEST")
lab_check_contains "a $MAX_REQUEST-byte request is served ($outcome)" "$outcome" "HTTP/1.1 200 OK"
outcome=$(sized_get $((MAX_REQUEST + 1)))
lab_check_contains "a $((MAX_REQUEST + 1))-byte request is refused: 400 ($outcome)" "$outcome" "400 Bad Request"
lab_check_contains "... as civetweb refuses an oversized request" "$outcome" "Malformed message"

lab_step "oversized and garbage requests are refused at once"
for kind in big-header big-url many-headers garbage; do
    outcome=$(abuse --timeout 5 raw 127.0.0.1 "$DEFAULT_PORT" "$kind")
    echo "      $kind: $outcome"
    if [[ $outcome =~ ^(status\ 4[0-9][0-9]|closed)\ ([0-9]+)$ && ${BASH_REMATCH[2]} -lt 3000 ]]; then
        lab_pass "$kind: an error status or a closed connection within 3 s"
    else
        lab_fail "$kind: got '$outcome'"
    fi
done
lab_check_eq "GET /metrics still works" "$(status_of /metrics)" 200

lab_step "$IDLE_CONNECTIONS idle connections ($THREADS threads) do not hold up a scrape"
# They hold every thread until the request timeout frees them; the scrape
# then gets one: it is answered within two timeouts (civetweb's default
# timeout, 30 s, would hold it past the 10 s of a Prometheus scrape).
bound=$((2 * REQUEST_TIMEOUT_MS + 1000))
outcome=$(abuse --timeout 25 idle-scrape 127.0.0.1 "$DEFAULT_PORT" "$IDLE_CONNECTIONS")
echo "      a scrape with $IDLE_CONNECTIONS idle connections open: $outcome"
if [[ $outcome =~ ^status\ 200\ ([0-9]+)$ ]]; then
    lab_pass "the scrape was answered"
    lab_check_gt "within $bound ms" "$bound" "${BASH_REMATCH[1]}"
else
    lab_fail "the scrape was not answered: '$outcome'"
fi

lab_step "a burst of $BURST concurrent scrapes and $BURST_GARBAGE garbage requests"
outcome=$(abuse --timeout 15 burst 127.0.0.1 "$DEFAULT_PORT" "$BURST" "$BURST_GARBAGE")
faults_show "$outcome"
lab_check_contains "all $BURST scrapes answered 200 with metrics" "$(head -n 1 <<<"$outcome")" "ok $BURST of $BURST,"
lab_check "the exporter still runs" kill -0 "$exporter_pid"
lab_check_eq "GET /metrics still works" "$(status_of /metrics)" 200
metrics=$(prom get "http://127.0.0.1:$DEFAULT_PORT/metrics")
lab_check_eq "xdpguard_filter_present" "$(metric "$metrics" xdpguard_filter_present)" 1
lab_stop_wait "$exporter_pid" 5
lab_check_eq "it exits 0 on SIGTERM" "$LAB_STOP_RC" 0

lab_step "listening on a non-local address works when asked for"
port=$(lab_free_ports 1)
exporter_start "$LAB_SRV_GW4:$port" || lab_die "exporter --listen $LAB_SRV_GW4:$port did not start"
lab_check "the gateway scrapes http://$LAB_SRV_GW4:$port/metrics" \
    timeout 10 nsenter --net="/run/netns/$LAB_NS_GW" -- "$LAB_PYTHON" "$LAB_DIR/prom.py" get "$EXPORTER_URL"
exporter_stop
lab_check_eq "it exits 0 on SIGTERM" "$EXPORTER_RC" 0

lab_finish
