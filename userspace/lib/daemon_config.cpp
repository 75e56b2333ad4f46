// The schema of the daemon's configuration file and what each value must
// satisfy; the generic reading machinery is in config_reader.hpp.
#include "daemon_config.hpp"

#include <net/if.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config_reader.hpp"
#include "dns_resolver.hpp"
#include "exporter.hpp"
#include "origins.hpp"

namespace xdpguard {
namespace {

using config::closest;
using config::forEach;
using config::inRange;
using config::Problems;
using config::inQuotes;
using config::readChoice;
using config::readInteger;
using config::scalar;
using config::Section;
using config::typeName;

constexpr size_t kMaxFileBytes = 64 << 20;  // room for a very long inline prefix list
constexpr int64_t kMaxPrefixesLimit = 16 << 20;
constexpr int64_t kMaxTopSources = 1000;
constexpr int64_t kMaxDropLogRate = 100000;
// The refresh floor only stops a typo from turning the refresh into a busy
// loop against the resolver; the defaults (300 s .. 1 day) are what a
// mail server wants, and a lab (tests/e2e/daemon_spf.sh) follows a TTL of
// a few seconds.
constexpr int64_t kMinSpfRefresh = 5;
constexpr int64_t kMaxSpfRefresh = 7 * 86400;

// Every table and key the file may hold. Anything else is a typo until proven
// otherwise: a misspelt key silently ignored would leave a default in force.
struct TableSchema {
    std::string table;  // "" for the top level
    std::vector<std::string> keys;
};

const std::vector<TableSchema>& schema() {
    static const std::vector<TableSchema> tables{
        {"", {"pin_dir", "filter", "metrics", "drop_log", "sources"}},
        {"filter", {"interfaces", "xdp_mode", "mode", "ports", "max_prefixes"}},
        {"metrics", {"listen", "top_sources"}},
        {"drop_log", {"rate", "format"}},
        {"sources", {"prefixes", "files", "spf", "dns_server", "spf_refresh_min", "spf_refresh_max",
                     "allow_shrink"}},
    };
    return tables;
}

std::string unknownEntry(const std::string& key, const toml::node& node, const TableSchema& own) {
    const bool topTable = own.table.empty() && node.is_table();
    std::string text = topTable ? "unknown table [" + key + "]"
                                : "unknown key '" + key + "'" + (own.table.empty() ? "" : " in [" + own.table + "]");
    if (const auto guess = closest(key, own.keys))
        return text + "; did you mean " + (topTable ? "[" + *guess + "]" : "'" + *guess + "'") + "?";
    // A key written below the wrong [table] header belongs to that table.
    for (const TableSchema& other : schema())
        if (&other != &own && std::find(other.keys.begin(), other.keys.end(), key) != other.keys.end() &&
            !(other.table.empty() && key != "pin_dir"))
            return text + "; " + key + " belongs " +
                   (other.table.empty() ? "at the top of the file, before the first [table]"
                                        : "in [" + other.table + "]");
    return text;
}

Section section(const toml::table& root, const TableSchema& schema, Problems& problems) {
    Section found{nullptr, schema.table.empty() ? "" : schema.table + ".", {1, 1}};
    const toml::node* node = schema.table.empty() ? &root : root.get(schema.table);
    if (node && !node->is_table())
        problems.add(node->source().begin, schema.table + " must be a table ([" + schema.table + "]), not " +
                                               typeName(*node));
    if (!node || !node->is_table()) return found;
    found.table = node->as_table();
    found.at = found.table->source().begin;
    for (auto&& [key, value] : *found.table)
        if (std::find(schema.keys.begin(), schema.keys.end(), key.str()) == schema.keys.end())
            problems.add(key.source().begin, unknownEntry(std::string(key.str()), value, schema));
    return found;
}

bool validIfname(const std::string& name) {
    return !name.empty() && name.size() < 16 && name != "." && name != ".." &&
           std::none_of(name.begin(), name.end(), [](unsigned char c) { return c == '/' || c == ':' || std::isspace(c); });
}

void readInterfaces(const Section& in, std::vector<std::string>& interfaces, const ConfigChecks& checks,
                    Problems& problems) {
    const size_t listed = forEach<std::string>(in, "interfaces", "an interface name (a string)", R"(["eth0"])",
                                               problems, [&](const std::string& name, const toml::node& at) {
        if (!validIfname(name))
            problems.add(at.source().begin, inQuotes(name) + " is not a network interface name: 1 to 15 "
                                                             "characters without '/', ':' or spaces");
        else if (std::find(interfaces.begin(), interfaces.end(), name) != interfaces.end())
            problems.add(at.source().begin, "interface " + inQuotes(name) + " is listed twice");
        else if (checks.interfaceExists && !checks.interfaceExists(name))
            problems.add(at.source().begin, "filter.interfaces: no network interface named " + inQuotes(name) +
                                                " on this machine (`ip link` lists them)");
        else
            interfaces.push_back(name);
    });
    const toml::node* node = in.get("interfaces");
    if (!node)
        problems.add(in.at, "filter.interfaces is required: the interfaces mail arrives on, like interfaces = [\"eth0\"]");
    else if (node->is_array() && listed == 0)
        problems.add(node->source().begin, "filter.interfaces is empty: list at least one interface");
}

void readPorts(const Section& in, std::set<uint16_t>& out, Problems& problems) {
    std::set<uint16_t> ports;
    const size_t listed = forEach<int64_t>(in, "ports", "a port number", "[25, 587]", problems,
                                           [&](const int64_t& port, const toml::node& at) {
        if (!inRange(at, port, "each entry of filter.ports", 1, 65535, problems)) return;
        if (!ports.insert(static_cast<uint16_t>(port)).second)
            problems.add(at.source().begin, "port " + std::to_string(port) + " is listed twice");
    });
    if (const toml::node* node = in.get("ports"); node && node->is_array() && listed == 0)
        problems.add(node->source().begin, "filter.ports is empty: list at least one port, like ports = [25]");
    if (!ports.empty()) out = ports;
}

void readFilter(const Section& in, DaemonConfig& config, const ConfigChecks& checks, Problems& problems) {
    readInterfaces(in, config.interfaces, checks, problems);
    readChoice<XdpMode>(in, "xdp_mode", {{xdpModeName(XdpMode::Auto), XdpMode::Auto},
                                         {xdpModeName(XdpMode::Native), XdpMode::Native},
                                         {xdpModeName(XdpMode::Generic), XdpMode::Generic}},
                        config.xdpMode, problems);
    readChoice<Mode>(in, "mode", {{modeName(Mode::Monitor), Mode::Monitor}, {modeName(Mode::Enforce), Mode::Enforce},
                                 {modeName(Mode::Bypass), Mode::Bypass}},
                     config.mode, problems);
    readPorts(in, config.ports, problems);
    readInteger(in, "max_prefixes", 1, kMaxPrefixesLimit, config.maxPrefixes, problems);
}

void readMetrics(const Section& in, DaemonConfig& config, Problems& problems) {
    if (const auto* listen = scalar<std::string>(in, "listen", "a string", problems)) {
        config.metricsListen = listen->get();
        try {
            if (!config.metricsListen.empty()) parseListenAddress(config.metricsListen);
        } catch (const Error& e) {
            problems.add(listen->source().begin, std::string("metrics.listen: ") + e.what());
        }
    }
    readInteger(in, "top_sources", 0, kMaxTopSources, config.topSources, problems);
}

void readDropLog(const Section& in, DaemonConfig& config, Problems& problems) {
    readInteger(in, "rate", 0, kMaxDropLogRate, config.dropLogRate, problems);
    readChoice<DropLogFormat>(in, "format", {{"text", DropLogFormat::Text}, {"json", DropLogFormat::Json}},
                              config.dropLogFormat, problems);
}

// What is wrong with `domain` (already lower case, no trailing dot) as an
// SPF domain, or "" if nothing: labels of 1 to 63 letters, digits, '-' or
// '_', at least two of them (RFC 7208 4.3), 253 characters in all.
std::string domainProblem(const std::string& domain) {
    if (domain.empty() || domain.size() > 253) return "must be 1 to 253 characters";
    if (domain.find('.') == std::string::npos) return "needs at least two labels, like provider.example";
    size_t label = 0;
    for (const char c : domain + ".") {
        if (c == '.') {
            if (label == 0) return "has an empty label (two dots in a row?)";
            if (label > 63) return "has a label longer than 63 characters";
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            ++label;
        } else {
            return "may contain only letters, digits, '-', '_' and dots";
        }
    }
    return "";
}

// Source names must fit the pinned origin records; BadInput text otherwise.
std::string sourceProblem(const std::string& source) {
    try {
        validateSourceName(source);
        return "";
    } catch (const Error& e) {
        return e.what();
    }
}

size_t readSourceLists(const Section& in, SourcesConfig& sources, Problems& problems) {
    std::set<Prefix> prefixes;
    size_t listed = forEach<std::string>(in, "prefixes", "a prefix (a string)", R"(["192.0.2.0/24"])", problems,
                                         [&](const std::string& text, const toml::node& at) {
        try {
            prefixes.insert(Prefix::parse(text));
        } catch (const Error& e) {
            problems.add(at.source().begin, std::string("sources.prefixes: ") + e.what());
        }
    });
    sources.prefixes.assign(prefixes.begin(), prefixes.end());

    std::map<std::string, std::string> fileOfSource;
    listed += forEach<std::string>(in, "files", "a file path (a string)", R"(["/etc/xdpguard/gateways.txt"])", problems,
                                   [&](const std::string& path, const toml::node& at) {
        // The source is named after the file, as `allow sync` names it.
        const std::string source = "file:" + path.substr(path.find_last_of('/') + 1);
        std::string problem = sourceProblem(source);
        if (path.empty() || path[0] != '/') problem = "must be an absolute path, like /etc/xdpguard/gateways.txt";
        if (path.ends_with('/')) problem = "names a directory; give the file";
        if (problem.empty() && fileOfSource.count(source))
            problem = fileOfSource[source] == path ? "is listed twice"
                                                   : "has the same file name as " + fileOfSource[source] +
                                                         "; both would be source " + source + ", rename one";
        if (!problem.empty()) return problems.add(at.source().begin, "sources.files: " + path + " " + problem);
        fileOfSource[source] = path;
        sources.files.push_back(path);
    });

    listed += forEach<std::string>(in, "spf", "a domain name (a string)", R"(["spf.provider.example"])", problems,
                                   [&](const std::string& text, const toml::node& at) {
        std::string domain = text;
        if (domain.ends_with('.')) domain.pop_back();
        std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string problem = domainProblem(domain);
        if (problem.empty()) problem = sourceProblem("spf:" + domain);
        if (problem.empty() && std::count(sources.spfDomains.begin(), sources.spfDomains.end(), domain))
            problem = "is listed twice";
        if (!problem.empty()) return problems.add(at.source().begin, "sources.spf: " + inQuotes(text) + " " + problem);
        sources.spfDomains.push_back(domain);
    });
    return listed;
}

// Returns the number of entries listed as sources, valid or not.
size_t readSources(const Section& in, SourcesConfig& sources, Problems& problems) {
    const size_t listed = readSourceLists(in, sources, problems);
    if (const auto* server = scalar<std::string>(in, "dns_server", "a string", problems)) {
        try {
            LdnsResolver probe(server->get());  // the parser the daemon's resolver uses; no I/O
            sources.dnsServer = server->get();
        } catch (const Error& e) {
            problems.add(server->source().begin, std::string("sources.dns_server: ") + e.what() +
                                                     "; leave it out to use the system resolver");
        }
    }
    const bool minOk = readInteger(in, "spf_refresh_min", kMinSpfRefresh, kMaxSpfRefresh,
                                   sources.spfRefreshMinSeconds, problems);
    const bool maxOk = readInteger(in, "spf_refresh_max", kMinSpfRefresh, kMaxSpfRefresh,
                                   sources.spfRefreshMaxSeconds, problems);
    if (minOk && maxOk && sources.spfRefreshMaxSeconds < sources.spfRefreshMinSeconds) {
        const toml::node* max = in.get("spf_refresh_max");  // one of the two was given
        problems.add((max ? max : in.get("spf_refresh_min"))->source().begin,
                     "sources.spf_refresh_max (" + std::to_string(sources.spfRefreshMaxSeconds) +
                         (max ? "" : ", the default") + ") must not be below sources.spf_refresh_min (" +
                         std::to_string(sources.spfRefreshMinSeconds) + ")");
    }
    if (const auto* shrink = scalar<bool>(in, "allow_shrink", "true or false", problems))
        sources.allowShrink = shrink->get();
    return listed;
}

DaemonConfig readConfig(const toml::table& root, const ConfigChecks& checks, Problems& problems) {
    DaemonConfig config;
    const auto& tables = schema();
    const Section top = section(root, tables[0], problems);
    if (const auto* pinDir = scalar<std::string>(top, "pin_dir", "a string", problems)) {
        if (pinDir->get().empty() || pinDir->get()[0] != '/')
            problems.add(pinDir->source().begin, "pin_dir must be an absolute path, like /sys/fs/bpf/xdpguard");
        else
            config.pinDir = pinDir->get();
    }
    const Section filter = section(root, tables[1], problems);
    readFilter(filter, config, checks, problems);
    readMetrics(section(root, tables[2], problems), config, problems);
    readDropLog(section(root, tables[3], problems), config, problems);
    const size_t listed = readSources(section(root, tables[4], problems), config.sources, problems);
    if (config.mode == Mode::Enforce && listed == 0)
        problems.add(filter.get("mode")->source().begin,
                     "filter.mode = \"enforce\" needs an allowlist: give [sources] prefixes, files or spf, or "
                     "the filter would drop every SYN to the protected ports (use \"monitor\" to start without one)");
    return config;
}

}  // namespace

ConfigError::ConfigError(const std::vector<std::string>& problems)
    : Error(ErrorKind::BadInput,
            [&] {
                std::string text;
                for (const std::string& line : problems) text += (text.empty() ? "" : "\n") + line;
                return text;
            }()),
      problems_(problems) {}

ConfigChecks ConfigChecks::thisMachine() {
    ConfigChecks checks;
    checks.interfaceExists = [](const std::string& ifname) { return if_nametoindex(ifname.c_str()) != 0; };
    return checks;
}

DaemonConfig parseDaemonConfig(std::string_view text, const std::string& name, const ConfigChecks& checks) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(name));
    } catch (const toml::parse_error& e) {
        Problems syntax;
        std::string what = "not valid TOML: " + std::string(e.description());
        // toml++'s words for `mode = enforce`, the likeliest slip of all.
        if (what.ends_with("could not determine value type")) what += " (is a text value missing its double quotes?)";
        syntax.add(e.source().begin, what);
        throw ConfigError(syntax.lines(name));
    }
    Problems problems;
    DaemonConfig config = readConfig(root, checks, problems);
    if (!problems.empty()) throw ConfigError(problems.lines(name));
    return config;
}

DaemonConfig loadDaemonConfig(const std::string& path, const ConfigChecks& checks) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw ConfigError({"cannot read configuration file " + path + ": it is a directory"});
    std::ifstream file(path, std::ios::binary);
    if (!file) throw ConfigError({"cannot read configuration file " + path + ": " + std::strerror(errno)});
    std::ostringstream content;
    content << file.rdbuf();
    const std::string text = content.str();
    if (text.size() > kMaxFileBytes)
        throw ConfigError({path + ": configuration file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB"});
    return parseDaemonConfig(text, path, checks);
}

}  // namespace xdpguard
