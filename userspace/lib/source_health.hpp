// How each configured allowlist source fares in the daemon: when it last
// synced, how often it failed, when an SPF source is due again; exported to
// Prometheus as xdpguard_source_errors_total and
// xdpguard_source_last_success_timestamp_seconds.
#pragma once

#include <prometheus/collectable.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace xdpguard {

class SourceHealth : public prometheus::Collectable {
public:
    void succeeded(const std::string& source);
    void failed(const std::string& source);
    uint64_t errors(const std::string& source) const;
    // Forgets every source but these (the configuration no longer names
    // the others), so that their series leave the metrics.
    void keepOnly(const std::set<std::string>& sources);

    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    struct State {
        uint64_t errors = 0;
        double lastSuccessUnix = 0;
    };
    mutable std::mutex mutex_;  // scrapes run on the HTTP server's threads
    std::map<std::string, State> sources_;
};

// When to ask DNS again: the records' smallest TTL clamped to
// [minSeconds, maxSeconds]; after `failures` consecutive failures, a backoff
// doubling from minSeconds, capped at maxSeconds.
uint32_t spfRefreshDelay(uint32_t minTtl, uint32_t failures, uint32_t minSeconds, uint32_t maxSeconds);

}  // namespace xdpguard
