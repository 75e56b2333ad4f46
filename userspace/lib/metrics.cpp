#include "metrics.hpp"

#include <cstdio>
#include <optional>

#include "allowlist_change.hpp"
#include "error.hpp"
#include "filter_state.hpp"
#include "log.hpp"

namespace xdpguard {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
    return MetricFamily{name, help, type, {}};
}

void addSample(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    if (family.type == MetricType::Counter)
        metric.counter.value = value;
    else
        metric.gauge.value = value;
    family.metric.push_back(std::move(metric));
}

const char* familyLabel(Family family) { return family == Family::V4 ? "ipv4" : "ipv6"; }

const char* actionLabel(uint32_t action) { return action == XG_ACTION_DROPPED ? "dropped" : "monitored"; }

void renderVerdicts(const MetricsSnapshot& s, std::vector<MetricFamily>& out) {
    auto denied = family("xdpguard_syn_denied_total",
                         "SYNs to protected ports from sources outside the allowlist "
                         "(dropped when enforcing, monitored = would drop)",
                         MetricType::Counter);
    auto tiny = family("xdpguard_tiny_fragments_total",
                       "TCP first fragments too short for a TCP header, and IPv4 TCP fragments "
                       "at offset 8 (RFC 1858, RFC 7112)",
                       MetricType::Counter);
    auto chains = family("xdpguard_long_ipv6_chains_total",
                         "IPv6 packets whose extension header chain exceeds the parser's limit",
                         MetricType::Counter);
    for (uint32_t action = 0; action < XG_ACTION_COUNT; ++action) {
        addSample(denied, {{"action", actionLabel(action)}, {"family", "ipv4"}},
                  double(s.stats.packets[XG_REASON_DENIED_V4][action]));
        addSample(denied, {{"action", actionLabel(action)}, {"family", "ipv6"}},
                  double(s.stats.packets[XG_REASON_DENIED_V6][action]));
        addSample(tiny, {{"action", actionLabel(action)}}, double(s.stats.packets[XG_REASON_TINY_FRAG][action]));
        addSample(chains, {{"action", actionLabel(action)}}, double(s.stats.packets[XG_REASON_LONG_CHAIN][action]));
    }
    out.push_back(std::move(denied));
    out.push_back(std::move(tiny));
    out.push_back(std::move(chains));
}

void renderAllowlist(const MetricsSnapshot& s, std::vector<MetricFamily>& out) {
    auto allowed = family("xdpguard_syn_allowed_total",
                          "SYNs to protected ports let through, per allowlist prefix (source: the lists that hold it)", MetricType::Counter);
    size_t v4 = 0, v6 = 0;
    for (const AllowEntry& entry : s.allowlist) {
        addSample(allowed, {{"prefix", entry.prefix.str()}, {"source", joinSources(entry.sources)}}, double(entry.allowedSyns));
        (entry.prefix.family() == Family::V4 ? v4 : v6)++;
    }
    auto prefixes = family("xdpguard_allowlist_prefixes", "Prefixes in the allowlist", MetricType::Gauge);
    addSample(prefixes, {{"family", familyLabel(Family::V4)}}, double(v4));
    addSample(prefixes, {{"family", familyLabel(Family::V6)}}, double(v6));
    auto capacity = family("xdpguard_allowlist_capacity", "Prefixes the allowlist can hold", MetricType::Gauge);
    addSample(capacity, {}, double(s.capacity));
    out.push_back(std::move(allowed));
    out.push_back(std::move(prefixes));
    out.push_back(std::move(capacity));
}

void renderSettings(const MetricsSnapshot& s, std::vector<MetricFamily>& out) {
    auto ports = family("xdpguard_protected_ports", "Destination ports whose SYNs are filtered (1 per port)",
                        MetricType::Gauge);
    for (uint16_t port : s.settings.ports) addSample(ports, {{"port", std::to_string(port)}}, 1);
    auto enforcing = family("xdpguard_enforcing", "1 if denied SYNs are dropped, 0 in monitor or bypass mode",
                            MetricType::Gauge);
    addSample(enforcing, {}, s.settings.mode == Mode::Enforce ? 1 : 0);
    auto mode = family("xdpguard_mode", "1 for the filter's current mode (enforce, monitor or bypass), 0 for the others",
                       MetricType::Gauge);
    for (Mode each : kAllModes) addSample(mode, {{"mode", modeName(each)}}, s.settings.mode == each ? 1 : 0);
    auto attached = family("xdpguard_attached",
                           "1 per interface the filter is attached to; 0 if the interface is gone",
                           MetricType::Gauge);
    for (const AttachmentInfo& info : s.attachments)
        addSample(attached,
                  {{"interface", info.ifname}, {"mode", info.interfacePresent ? xdpModeName(info.mode) : "none"}},
                  info.interfacePresent ? 1 : 0);
    out.push_back(std::move(ports));
    out.push_back(std::move(enforcing));
    out.push_back(std::move(mode));
    out.push_back(std::move(attached));
}

void renderTopSources(const MetricsSnapshot& s, std::vector<MetricFamily>& out) {
    auto syns = family("xdpguard_denied_source_syns_total",
                       "Denied SYNs of the top source networks (IPv4 /24, IPv6 /48); a bounded set",
                       MetricType::Counter);
    auto seen = family("xdpguard_denied_source_last_seen_timestamp_seconds",
                       "When a top denied source network was last seen", MetricType::Gauge);
    for (const DeniedSource& source : s.topSources) {
        addSample(syns, {{"network", source.network.str()}}, double(source.deniedSyns));
        addSample(seen, {{"network", source.network.str()}}, source.lastSeenUnix);
    }
    out.push_back(std::move(syns));
    out.push_back(std::move(seen));
}

}  // namespace

MetricsSnapshot takeSnapshot(const PinDir& dir, size_t topSources) {
    MetricsSnapshot snapshot;
    std::optional<MapSet> maps = FilterState::open(dir);
    snapshot.attachments = Attachments(dir).list();
    if (!maps) return snapshot;
    snapshot.filterPresent = true;
    snapshot.settings = RuntimeConfig(*maps).read();
    snapshot.allowlist = AllowlistEditor(*maps).list();
    snapshot.capacity = Allowlist(*maps).capacity();
    snapshot.stats = readStats(*maps);
    snapshot.topSources = topDeniedSources(*maps, topSources);
    return snapshot;
}

std::vector<MetricFamily> renderMetrics(const MetricsSnapshot& snapshot) {
    std::vector<MetricFamily> out;
    auto info = family("xdpguard_build_info", "xdpguard version (always 1)", MetricType::Gauge);
    addSample(info, {{"version", XDPGUARD_VERSION}}, 1);
    out.push_back(std::move(info));
    auto present = family("xdpguard_filter_present", "1 if pinned filter maps were found in the pin dir",
                          MetricType::Gauge);
    addSample(present, {}, snapshot.filterPresent ? 1 : 0);
    out.push_back(std::move(present));
    if (!snapshot.filterPresent) return out;
    renderVerdicts(snapshot, out);
    renderAllowlist(snapshot, out);
    renderSettings(snapshot, out);
    renderTopSources(snapshot, out);
    return out;
}

std::vector<MetricFamily> FilterCollector::Collect() const {
    try {
        return renderMetrics(takeSnapshot(dir_, topSources_));
    } catch (const Error& e) {
        // A scrape must not take the exporter down: report the filter as
        // absent (which alerts) and say why in the log.
        std::fprintf(stderr, "xdpguard exporter: %s\n", e.what());
        return renderMetrics(MetricsSnapshot{});
    }
}

}  // namespace xdpguard
