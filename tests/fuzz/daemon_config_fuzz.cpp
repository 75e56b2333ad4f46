// parseDaemonConfig on arbitrary bytes (the daemon's /etc/xdpguard/xdpguard.toml):
// it returns a configuration the daemon can use as it is, or throws
// ConfigError listing every problem as "NAME:LINE:COLUMN: what", at a line
// the file has, each one line of printable text whatever bytes the file holds. Nothing else may escape: not toml++'s own parse_error, not a
// bare Error without a location.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "error.hpp"
#include "exporter.hpp"
#include "fuzz_check.hpp"

using namespace xdpguard;
using fuzz::quoted;
using fuzz::require;

namespace {

const std::string kName = "xdpguard.toml";

// The decimal number at the start of `text`, which it then skips with the
// ':' after it; 0 if there is none.
uint64_t numberBeforeColon(std::string_view& text) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const size_t digits = static_cast<size_t>(end - text.data());
    if (ec != std::errc() || digits == 0 || digits >= text.size() || text[digits] != ':') return 0;
    text.remove_prefix(digits + 1);
    return value;
}

void checkProblems(const ConfigError& e, std::string_view text) {
    require(e.kind() == ErrorKind::BadInput, "a bad config is BadInput", text);
    const std::vector<std::string>& problems = e.problems();
    require(!problems.empty(), "a rejected config names at least one problem", text);
    const uint64_t lines = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    std::string joined;
    uint64_t previousLine = 0;
    for (const std::string& problem : problems) {
        joined += (joined.empty() ? "" : "\n") + problem;
        std::string_view rest(problem);
        require(rest.starts_with(kName + ":"), "each problem starts with the file name", problem);
        require(std::all_of(problem.begin(), problem.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; }),
                "each problem is one line of printable text (the file's bytes escaped)", problem);
        rest.remove_prefix(kName.size() + 1);
        const uint64_t line = numberBeforeColon(rest);
        const uint64_t column = numberBeforeColon(rest);
        require(line >= 1 && column >= 1 && rest.starts_with(' ') && rest.size() > 1,
                "each problem is NAME:LINE:COLUMN: what", problem);
        require(line <= lines, "each problem is at a line the file has", problem + " in " + quoted(text));
        require(line >= previousLine, "problems come in file order", e.what());
        previousLine = line;
    }
    require(joined == e.what(), "the message is the problems, one per line", e.what());
}

bool interfaceName(const std::string& name) {
    return !name.empty() && name.size() <= 15 && name != "." && name != ".." &&
           std::none_of(name.begin(), name.end(),
                        [](unsigned char c) { return c == '/' || c == ':' || std::isspace(c); });
}

// What daemon_config.hpp and the sample file promise of an accepted config.
void checkAccepted(const DaemonConfig& config, std::string_view text) {
    require(!config.pinDir.empty() && config.pinDir[0] == '/', "pin_dir is absolute", text);
    require(!config.interfaces.empty(), "at least one interface", text);
    for (size_t i = 0; i < config.interfaces.size(); ++i) {
        require(interfaceName(config.interfaces[i]), "interfaces are interface names", text);
        require(std::count(config.interfaces.begin(), config.interfaces.end(), config.interfaces[i]) == 1,
                "no interface twice", text);
    }
    require(!config.ports.empty() && !config.ports.count(0), "ports are 1 to 65535, at least one", text);
    require(config.maxPrefixes >= 1 && config.maxPrefixes <= (16u << 20), "max_prefixes in range", text);
    require(config.topSources <= 1000 && config.dropLogRate <= 100000, "metrics and drop log in range", text);
    const SourcesConfig& sources = config.sources;
    require(sources.spfRefreshMinSeconds >= 5 && sources.spfRefreshMinSeconds <= sources.spfRefreshMaxSeconds &&
                sources.spfRefreshMaxSeconds <= 7 * 86400,
            "5 <= spf_refresh_min <= spf_refresh_max <= a week", text);
    require(std::is_sorted(sources.prefixes.begin(), sources.prefixes.end()) &&
                std::adjacent_find(sources.prefixes.begin(), sources.prefixes.end()) == sources.prefixes.end(),
            "inline prefixes sorted and unique", text);
    for (const std::string& path : sources.files)
        require(!path.empty() && path[0] == '/' && !path.ends_with('/'), "files are absolute file paths", text);
    for (const std::string& domain : sources.spfDomains)
        require(!domain.empty() && !domain.ends_with('.') &&
                    std::none_of(domain.begin(), domain.end(), [](unsigned char c) { return std::isupper(c); }),
                "SPF domains are lower case without the trailing dot", text);
    require(config.mode != Mode::Enforce || !sources.prefixes.empty() || !sources.files.empty() ||
                !sources.spfDomains.empty(),
            "enforce only with an allowlist source", text);
    if (!config.metricsListen.empty()) {
        try {
            parseListenAddress(config.metricsListen);
        } catch (const Error& e) {
            fuzz::violated("accepted metrics.listen the exporter refuses (" + std::string(e.what()) + "): " +
                           quoted(text));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::asText(data, size);
    DaemonConfig config;
    try {
        config = parseDaemonConfig(text, kName);
    } catch (const ConfigError& e) {
        checkProblems(e, text);
        return 0;
    }
    checkAccepted(config, text);
    return 0;
}
