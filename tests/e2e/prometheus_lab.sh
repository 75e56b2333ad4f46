# shellcheck shell=bash
# A real Prometheus in the server namespace, scraping the lab's exporter (or
# daemon) on 127.0.0.1. Source after lab.sh and exporter_lab.sh; after
# lab_init:
#
#   prometheus_require                      # skip (77) or fail without Prometheus
#   prometheus_start EXPORTER_PORT PORT     # PROM_URL; waits until it is ready
#   PROM_DEADLINE=$((SECONDS + PROM_WAIT))
#   prom_expect DESC EXPR EXPECTED          # polls an instant query until it holds
#
# Its TSDB lives in $LAB_TMP; lab_cleanup stops it on every exit path.

PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
PROM_WAIT=${PROM_WAIT:-30}  # seconds for Prometheus to start and to see the counters

prometheus_require() {
    local tool
    for tool in "$PROMETHEUS" "$PROMTOOL"; do
        [[ -x $tool ]] || lab_skip_or_fail "'$tool' is not installed (Debian package prometheus)"
    done
}

# prometheus_start EXPORTER_PORT PORT: Prometheus scraping the exporter every
# second, with its TSDB in the lab's temporary directory; waits until ready.
prometheus_start() {
    local config=$LAB_TMP/prometheus.yml i
    cat >"$config" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: xdpguard
    static_configs:
      - targets: ['127.0.0.1:$1']
EOF
    PROM_URL=http://127.0.0.1:$2
    lab_in_background server "$PROMETHEUS" --config.file="$config" \
        --storage.tsdb.path="$LAB_TMP/tsdb" --web.listen-address="127.0.0.1:$2" \
        --log.level=warn 2>"$LAB_TMP/prometheus.log"
    PROM_PID=$LAB_BG_PID
    for ((i = 0; i < PROM_WAIT * 4; i++)); do
        prom --timeout 1 get "$PROM_URL/-/ready" >/dev/null 2>&1 && return 0
        kill -0 "$PROM_PID" 2>/dev/null || break
        sleep 0.25
    done
    echo "Prometheus did not become ready:" >&2
    cat "$LAB_TMP/prometheus.log" >&2
    return 1
}

# prom_expect DESC EXPR EXPECTED: polls Prometheus (until PROM_DEADLINE)
# until the instant query EXPR has the value EXPECTED.
prom_expect() {
    local desc=$1 expr=$2 expected=$3 value
    while :; do
        value=$(prom --timeout 2 query "$PROM_URL" "$expr" 2>/dev/null) || value="(none)"
        [[ $value == "$expected" ]] && { lab_pass "$desc ($expr = $value)"; return; }
        ((SECONDS < PROM_DEADLINE)) || break
        sleep 0.5
    done
    lab_fail "$desc: Prometheus has $expr = $value, expected $expected"
}
