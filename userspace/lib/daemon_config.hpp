// The daemon's configuration file (/etc/xdpguard/xdpguard.toml), parsed and
// validated as a whole: every error is reported with its location, and a
// file with any error yields no configuration at all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "attachments.hpp"
#include "error.hpp"
#include "prefix.hpp"
#include "runtime_config.hpp"

namespace xdpguard {

enum class DropLogFormat { Text, Json };

struct SourcesConfig {
    std::vector<Prefix> prefixes;          // [sources] prefixes: source "config"
    std::vector<std::string> files;        // [sources] files: source file:BASENAME, watched
    std::vector<std::string> spfDomains;   // [sources] spf: source spf:DOMAIN
    std::optional<std::string> dnsServer;  // [sources] dns_server: IP[:PORT]; system resolver if unset
    uint32_t spfRefreshMinSeconds = 300;   // clamp around the records' TTL
    uint32_t spfRefreshMaxSeconds = 86400;
    bool allowShrink = false;              // lift the shrink guard for syncs
};

struct DaemonConfig {
    std::string pinDir = "/sys/fs/bpf/xdpguard";
    std::vector<std::string> interfaces;  // [filter] interfaces (at least one)
    XdpMode xdpMode = XdpMode::Auto;      // [filter] xdp_mode
    Mode mode = Mode::Monitor;            // [filter] mode: monitor first
    std::set<uint16_t> ports{25};         // [filter] ports
    uint32_t maxPrefixes = 65536;         // [filter] max_prefixes
    std::string metricsListen = "127.0.0.1:9433";  // [metrics] listen; "" disables
    size_t topSources = 20;                         // [metrics] top_sources
    uint32_t dropLogRate = 10;            // [drop_log] rate: events/s per CPU; 0 disables
    DropLogFormat dropLogFormat = DropLogFormat::Text;  // [drop_log] format
    SourcesConfig sources;
};

// Thrown with every problem found, one per line, each "NAME:LINE:COLUMN: what".
class ConfigError : public Error {
public:
    explicit ConfigError(const std::vector<std::string>& problems);
    const std::vector<std::string>& problems() const { return problems_; }

private:
    std::vector<std::string> problems_;
};

// What the file names that must exist on this machine, checked with the
// rest so that a typo is refused before anything is changed, and reported
// at its location like any other problem. Unset: not checked (the parser
// alone, as the unit tests use it).
struct ConfigChecks {
    // True if the network interface exists (if_nametoindex, in the
    // daemon's network namespace).
    std::function<bool(const std::string& ifname)> interfaceExists;

    // Every interface must exist now.
    static ConfigChecks thisMachine();
};

DaemonConfig parseDaemonConfig(std::string_view text, const std::string& name, const ConfigChecks& checks = {});
DaemonConfig loadDaemonConfig(const std::string& path, const ConfigChecks& checks = {});

}  // namespace xdpguard
