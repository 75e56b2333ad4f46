// Rendering the Prometheus exposition from fixed map contents: metric
// names, label sets, escaping and IPv6 labels are part of the interface.
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "metrics.hpp"

using namespace xdpguard;

namespace {

std::string render(const MetricsSnapshot& snapshot) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, renderMetrics(snapshot));
    return out.str();
}

MetricsSnapshot sampleSnapshot() {
    MetricsSnapshot s;
    s.filterPresent = true;
    s.settings.mode = Mode::Enforce;
    s.settings.ports = {25, 587};
    s.capacity = 65536;
    s.allowlist = {{Prefix::parse("198.51.100.0/24"), 0, 42, {"manual"}},
                   {Prefix::parse("2001:db8:1::/48"), 1, 7, {"file:gw", "spf:example.test"}}};
    s.stats.packets[XG_REASON_DENIED_V4][XG_ACTION_DROPPED] = 1000;
    s.stats.packets[XG_REASON_DENIED_V6][XG_ACTION_MONITORED] = 3;
    s.stats.packets[XG_REASON_TINY_FRAG][XG_ACTION_DROPPED] = 2;
    s.stats.packets[XG_REASON_LONG_CHAIN][XG_ACTION_DROPPED] = 5;
    AttachmentInfo eth0;
    eth0.ifname = "eth0";
    eth0.interfacePresent = true;
    eth0.mode = XdpMode::Native;
    AttachmentInfo gone;
    gone.ifname = "we\"ird\\if";  // Linux allows quotes and backslashes in names
    s.attachments = {eth0, gone};
    s.topSources = {{Prefix::parse("203.0.113.0/24"), 900, 1700000000.5},
                    {Prefix::parse("2001:db8:bad::/48"), 100, 1700000001}};
    return s;
}

}  // namespace

TEST_CASE("counters render with their documented names and labels", "[unit][metrics]") {
    const std::string text = render(sampleSnapshot());
    CHECK_THAT(text, Catch::Contains("# TYPE xdpguard_syn_denied_total counter"));
    CHECK_THAT(text, Catch::Contains("xdpguard_syn_denied_total{action=\"dropped\",family=\"ipv4\"} 1000\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_syn_denied_total{action=\"monitored\",family=\"ipv6\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_syn_denied_total{action=\"dropped\",family=\"ipv6\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_tiny_fragments_total{action=\"dropped\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_long_ipv6_chains_total{action=\"dropped\"} 5\n"));
    CHECK_THAT(text, Catch::Contains(
                         "xdpguard_syn_allowed_total{prefix=\"198.51.100.0/24\",source=\"manual\"} 42\n"));
}

TEST_CASE("IPv6 prefixes and networks appear verbatim as label values", "[unit][metrics]") {
    const std::string text = render(sampleSnapshot());
    CHECK_THAT(text, Catch::Contains(
                         "xdpguard_syn_allowed_total{prefix=\"2001:db8:1::/48\",source=\"file:gw,spf:example.test\"} 7\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_denied_source_syns_total{network=\"2001:db8:bad::/48\"} 100\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_denied_source_syns_total{network=\"203.0.113.0/24\"} 900\n"));
    CHECK_THAT(text, Catch::Contains(
                         "xdpguard_denied_source_last_seen_timestamp_seconds{network=\"203.0.113.0/24\"} 1700000000.5"));
}

TEST_CASE("gauges describe the filter's configuration", "[unit][metrics]") {
    const std::string text = render(sampleSnapshot());
    CHECK_THAT(text, Catch::Contains("xdpguard_enforcing 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_mode{mode=\"enforce\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_mode{mode=\"bypass\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_protected_ports{port=\"25\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_protected_ports{port=\"587\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_allowlist_prefixes{family=\"ipv4\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_allowlist_prefixes{family=\"ipv6\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_attached{interface=\"eth0\",mode=\"native\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_build_info{version=\"" XDPGUARD_VERSION "\"} 1\n"));
}

TEST_CASE("label values are escaped", "[unit][metrics]") {
    const std::string text = render(sampleSnapshot());
    CHECK_THAT(text, Catch::Contains("xdpguard_attached{interface=\"we\\\"ird\\\\if\",mode=\"none\"} 0\n"));
}

TEST_CASE("monitor mode and a missing filter are visible", "[unit][metrics]") {
    MetricsSnapshot monitor = sampleSnapshot();
    monitor.settings.mode = Mode::Monitor;
    CHECK_THAT(render(monitor), Catch::Contains("xdpguard_enforcing 0\n"));
    CHECK_THAT(render(monitor), Catch::Contains("xdpguard_mode{mode=\"monitor\"} 1\n"));
    CHECK_THAT(render(monitor), Catch::Contains("xdpguard_mode{mode=\"enforce\"} 0\n"));

    MetricsSnapshot bypass = sampleSnapshot();
    bypass.settings.mode = Mode::Bypass;
    CHECK_THAT(render(bypass), Catch::Contains("xdpguard_enforcing 0\n"));
    CHECK_THAT(render(bypass), Catch::Contains("xdpguard_mode{mode=\"bypass\"} 1\n"));
    CHECK_THAT(render(bypass), Catch::Contains("xdpguard_mode{mode=\"monitor\"} 0\n"));

    const std::string absent = render(MetricsSnapshot{});
    CHECK_THAT(absent, Catch::Contains("xdpguard_filter_present 0\n"));
    CHECK_THAT(absent, !Catch::Contains("xdpguard_syn_denied_total"));
}

TEST_CASE("the top-sources series set is bounded by the snapshot", "[unit][metrics]") {
    MetricsSnapshot many = sampleSnapshot();
    many.topSources.clear();
    const std::string text = render(many);
    CHECK_THAT(text, Catch::Contains("# TYPE xdpguard_denied_source_syns_total counter"));
    CHECK_THAT(text, !Catch::Contains("xdpguard_denied_source_syns_total{"));
}
