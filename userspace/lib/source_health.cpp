#include "source_health.hpp"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <ctime>

namespace xdpguard {

void SourceHealth::succeeded(const std::string& source) {
    std::lock_guard<std::mutex> lock(mutex_);
    sources_[source].lastSuccessUnix = double(std::time(nullptr));
}

void SourceHealth::failed(const std::string& source) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++sources_[source].errors;
}

uint64_t SourceHealth::errors(const std::string& source) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sources_.find(source);
    return it == sources_.end() ? 0 : it->second.errors;
}

void SourceHealth::keepOnly(const std::set<std::string>& sources) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(sources_, [&](const auto& entry) { return !sources.count(entry.first); });
}

std::vector<prometheus::MetricFamily> SourceHealth::Collect() const {
    using prometheus::MetricType;
    prometheus::MetricFamily errors{"xdpguard_source_errors_total",
                                    "Failed syncs of an allowlist source (the last good set stays)",
                                    MetricType::Counter, {}};
    prometheus::MetricFamily success{"xdpguard_source_last_success_timestamp_seconds",
                                     "When an allowlist source last synced successfully (0: never)",
                                     MetricType::Gauge, {}};
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [source, state] : sources_) {
        prometheus::ClientMetric error;
        error.label = {{"source", source}};
        error.counter.value = double(state.errors);
        errors.metric.push_back(error);
        prometheus::ClientMetric last;
        last.label = {{"source", source}};
        last.gauge.value = state.lastSuccessUnix;
        success.metric.push_back(last);
    }
    return {errors, success};
}

uint32_t spfRefreshDelay(uint32_t minTtl, uint32_t failures, uint32_t minSeconds, uint32_t maxSeconds) {
    if (failures > 0) {
        const uint64_t backoff = uint64_t(minSeconds) << std::min<uint32_t>(failures - 1, 20);
        return static_cast<uint32_t>(std::min<uint64_t>(backoff, maxSeconds));
    }
    return std::clamp(minTtl, minSeconds, maxSeconds);
}

}  // namespace xdpguard
