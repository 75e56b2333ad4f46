// The daemon's per-source health metrics and the SPF refresh schedule.
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "source_health.hpp"

using namespace xdpguard;

namespace {

std::string render(const SourceHealth& health) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, health.Collect());
    return out.str();
}

}  // namespace

TEST_CASE("a source's errors and last success are exported under its name", "[unit][metrics]") {
    SourceHealth health;
    health.succeeded("file:gw.txt");
    health.failed("spf:example.test");
    health.failed("spf:example.test");
    const std::string text = render(health);
    CHECK_THAT(text, Catch::Contains("xdpguard_source_errors_total{source=\"spf:example.test\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_source_errors_total{source=\"file:gw.txt\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_source_last_success_timestamp_seconds{source=\"spf:example.test\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("xdpguard_source_last_success_timestamp_seconds{source=\"file:gw.txt\"} 1"));
}

TEST_CASE("a source removed from the configuration leaves the metrics", "[unit][metrics]") {
    SourceHealth health;
    health.succeeded("file:gw.txt");
    health.failed("spf:example.test");
    health.keepOnly({"file:gw.txt", "config"});
    const std::string text = render(health);
    CHECK_THAT(text, !Catch::Contains("spf:example.test"));
    CHECK_THAT(text, Catch::Contains("xdpguard_source_errors_total{source=\"file:gw.txt\"} 0\n"));
    CHECK_THAT(text, !Catch::Contains("source=\"config\""));  // named but never synced: no series yet
    CHECK(health.errors("spf:example.test") == 0);
    health.failed("spf:example.test");  // named again later: counts from zero
    CHECK(health.errors("spf:example.test") == 1);
}

TEST_CASE("SPF refresh: the TTL within the bounds, failures back off to the maximum", "[unit][spf]") {
    CHECK(spfRefreshDelay(3600, 0, 300, 86400) == 3600);
    CHECK(spfRefreshDelay(60, 0, 300, 86400) == 300);
    CHECK(spfRefreshDelay(UINT32_MAX, 0, 300, 86400) == 86400);
    CHECK(spfRefreshDelay(3600, 1, 300, 86400) == 300);
    CHECK(spfRefreshDelay(3600, 3, 300, 86400) == 1200);
    CHECK(spfRefreshDelay(3600, 40, 300, 86400) == 86400);
}
