// The Prometheus view of the filter. A snapshot is read from the pinned maps
// at scrape time (no polling loop, no stale copies) and rendered into metric
// families; rendering is a pure function so it is unit-tested on fixed data.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "attachments.hpp"
#include "denied_sources.hpp"
#include "pin_dir.hpp"
#include "runtime_config.hpp"
#include "stats.hpp"

namespace xdpguard {

inline constexpr size_t kDefaultTopSources = 20;

struct MetricsSnapshot {
    bool filterPresent = false;  // pinned maps found
    FilterSettings settings;
    std::vector<AllowEntry> allowlist;
    uint32_t capacity = 0;
    FilterStats stats;
    std::vector<AttachmentInfo> attachments;
    std::vector<DeniedSource> topSources;
};

MetricsSnapshot takeSnapshot(const PinDir& dir, size_t topSources);

std::vector<prometheus::MetricFamily> renderMetrics(const MetricsSnapshot& snapshot);

// Serves the pinned filter's state to prometheus::Exposer: every scrape
// reads the maps anew, so it works with no other xdpguard process alive and
// follows a filter that was detached and attached again.
class FilterCollector : public prometheus::Collectable {
public:
    FilterCollector(PinDir dir, size_t topSources) : dir_(std::move(dir)), topSources_(topSources) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    PinDir dir_;
    size_t topSources_;
};

}  // namespace xdpguard
