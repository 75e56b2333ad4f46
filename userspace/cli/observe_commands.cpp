#include "observe_commands.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>
#include <utility>

#include <csignal>

#include "check.hpp"
#include "drop_feed.hpp"
#include "error.hpp"
#include "exporter.hpp"
#include "filter_state.hpp"
#include "json.hpp"
#include "metrics.hpp"
#include "origins.hpp"

namespace xdpguard::cli {
namespace {

std::string isoTime(double unixSeconds) {
    const std::time_t seconds = static_cast<std::time_t>(unixSeconds);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

struct VerdictRow {
    const char* label;
    const char* json;
    xg_reason reason;
};

constexpr VerdictRow kVerdictRows[] = {
    {"denied SYNs, IPv4", "denied_ipv4", XG_REASON_DENIED_V4},
    {"denied SYNs, IPv6", "denied_ipv6", XG_REASON_DENIED_V6},
    {"tiny TCP fragments", "tiny_fragments", XG_REASON_TINY_FRAG},
    {"long IPv6 chains", "long_ipv6_chains", XG_REASON_LONG_CHAIN},
};

void printStatsJson(const MetricsSnapshot& s) {
    std::ostringstream out;
    out << "{\"enforcing\":" << (s.settings.mode == Mode::Enforce ? "true" : "false") << ",\"ports\":[";
    const char* separator = "";
    for (uint16_t port : s.settings.ports) out << std::exchange(separator, ",") << port;
    out << "],\"verdicts\":{";
    separator = "";
    for (const VerdictRow& row : kVerdictRows)
        out << std::exchange(separator, ",") << "\"" << row.json << "\":{\"dropped\":"
            << s.stats.get(row.reason, XG_ACTION_DROPPED)
            << ",\"monitored\":" << s.stats.get(row.reason, XG_ACTION_MONITORED) << "}";
    out << "},\"capacity\":" << s.capacity << ",\"allowlist\":[";
    separator = "";
    for (const AllowEntry& entry : s.allowlist)
        out << std::exchange(separator, ",") << "{\"prefix\":\"" << entry.prefix.str()
            << "\",\"source\":" << jsonString(joinSources(entry.sources)) << ",\"allowed_syns\":"
            << entry.allowedSyns << "}";
    out << "],\"interfaces\":[";
    separator = "";
    for (const AttachmentInfo& info : s.attachments)
        out << std::exchange(separator, ",") << "{\"name\":" << jsonString(info.ifname) << ",\"mode\":\""
            << (info.interfacePresent ? xdpModeName(info.mode) : "none") << "\"}";
    std::cout << out.str() << "]}\n";
}

void printStatsTable(const MetricsSnapshot& s) {
    std::printf("mode: %s   ports:", modeName(s.settings.mode));
    for (uint16_t port : s.settings.ports) std::printf(" %u", port);
    std::printf("   interfaces:");
    for (const AttachmentInfo& info : s.attachments)
        std::printf(" %s(%s)", info.ifname.c_str(), info.interfacePresent ? xdpModeName(info.mode) : "gone");
    std::printf("%s\n\n%-24s %14s %14s\n", s.attachments.empty() ? " none" : "", "VERDICT", "DROPPED",
                "WOULD DROP");
    for (const VerdictRow& row : kVerdictRows)
        std::printf("%-24s %14llu %14llu\n", row.label,
                    static_cast<unsigned long long>(s.stats.get(row.reason, XG_ACTION_DROPPED)),
                    static_cast<unsigned long long>(s.stats.get(row.reason, XG_ACTION_MONITORED)));
    std::printf("\n%-43s %14s  %s\n", "ALLOWED PREFIX", "ALLOWED SYNS", "SOURCES");
    for (const AllowEntry& entry : s.allowlist)
        std::printf("%-43s %14llu  %s\n", entry.prefix.str().c_str(),
                    static_cast<unsigned long long>(entry.allowedSyns), joinSources(entry.sources).c_str());
    std::printf("(%zu of %u prefixes)\n", s.allowlist.size(), s.capacity);
}

}  // namespace

int runStats(const PinDir& dir, bool json) {
    FilterState::require(dir);  // a clear error rather than an empty table
    const MetricsSnapshot snapshot = takeSnapshot(dir, 0);
    if (json)
        printStatsJson(snapshot);
    else
        printStatsTable(snapshot);
    return 0;
}

int runTop(const PinDir& dir, size_t limit, bool json) {
    const std::vector<DeniedSource> sources = topDeniedSources(FilterState::require(dir), limit);
    if (json) {
        std::cout << "[";
        for (size_t i = 0; i < sources.size(); ++i)
            std::cout << (i ? "," : "") << "{\"network\":\"" << sources[i].network.str()
                      << "\",\"denied_syns\":" << sources[i].deniedSyns << ",\"last_seen\":\""
                      << isoTime(sources[i].lastSeenUnix) << "\"}";
        std::cout << "]\n";
        return 0;
    }
    std::printf("%-22s %14s  %s\n", "NETWORK", "DENIED SYNS", "LAST SEEN (UTC)");
    for (const DeniedSource& source : sources)
        std::printf("%-22s %14llu  %s\n", source.network.str().c_str(),
                    static_cast<unsigned long long>(source.deniedSyns), isoTime(source.lastSeenUnix).c_str());
    if (sources.empty()) std::printf("(no denied SYNs recorded)\n");
    return 0;
}

int runCheck(const PinDir& dir, const std::string& address, int port) {
    if (port < 1 || port > 65535) badInput("port " + std::to_string(port) + " is out of range: use 1 to 65535");
    const CheckResult result = checkSource(FilterState::require(dir), address, static_cast<uint16_t>(port));
    std::cout << "SYN from " << result.source.str() << " to port " << port << ": " << result.verdict();
    if (result.matched)
        std::cout << " by " << result.matched->str();
    else if (result.portProtected)
        std::cout << " (no allowlist prefix matches)";
    std::cout << "\n";
    return 0;
}

namespace {
volatile std::sig_atomic_t gStop = 0;
void requestStop(int) { gStop = 1; }
}  // namespace

int runWatch(const PinDir& dir, bool json) {
    const MapSet maps = FilterState::require(dir);
    const uint32_t rate = RuntimeConfig(maps).read().feedRate;
    if (rate == 0)
        std::cerr << "xdpguard: the drop feed is off; enable it with `xdpguard drop-log 10`\n";
    else
        std::cerr << "xdpguard: watching denied SYNs (at most " << rate
                  << " per second per CPU; Ctrl-C stops)\n";
    DropFeed feed(maps, [json](const DropEvent& event) { std::cout << formatDropEvent(event, json) << std::endl; });
    std::signal(SIGINT, requestStop);
    std::signal(SIGTERM, requestStop);
    while (!gStop) feed.poll(250);
    return 0;
}

int runExporter(const PinDir& dir, const std::string& listen, size_t topSources) {
    xdpguard::runExporter(listen, dir, topSources, [&](int port) {
        std::cout << "serving http://" << listen.substr(0, listen.rfind(':')) << ":" << port
                  << "/metrics (pin dir " << dir.path() << ")" << std::endl;
    });
    return 0;
}

}  // namespace xdpguard::cli
