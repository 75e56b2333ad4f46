// The daemon's configuration file: what it accepts, the defaults it fills
// in, and that every mistake is reported at once with its line and column.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_config.hpp"

using xdpguard::ConfigChecks;
using xdpguard::ConfigError;
using xdpguard::DaemonConfig;
using xdpguard::DropLogFormat;
using xdpguard::Mode;
using xdpguard::Prefix;
using xdpguard::XdpMode;
using xdpguard::loadDaemonConfig;
using xdpguard::parseDaemonConfig;

namespace {

const std::string kName = "xdpguard.toml";
const std::string kFilter = "[filter]\ninterfaces = [\"eth0\"]\n";  // the least valid file

DaemonConfig parsed(const std::string& text) { return parseDaemonConfig(text, kName); }

// The problems reported for `text`, each "xdpguard.toml:LINE:COLUMN: what".
std::vector<std::string> problemsOf(const std::string& text) {
    try {
        parsed(text);
    } catch (const ConfigError& e) {
        CHECK(e.exitStatus() == 2);
        return e.problems();
    }
    FAIL("accepted:\n" << text);
    return {};
}

std::vector<std::string> problemsOfChecked(const std::string& text, const ConfigChecks& checks) {
    try {
        parseDaemonConfig(text, kName, checks);
    } catch (const ConfigError& e) {
        return e.problems();
    }
    FAIL("accepted:\n" << text);
    return {};
}

// The one problem reported for `text`.
std::string problemOf(const std::string& text) {
    const auto problems = problemsOf(text);
    REQUIRE(problems.size() == 1);
    return problems[0];
}

std::string exampleText() {
    std::ifstream file(XDPGUARD_EXAMPLE_CONFIG);
    REQUIRE(file);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

void checkDefaultsBesideFilter(const DaemonConfig& config) {
    const DaemonConfig defaults;
    CHECK(config.pinDir == "/sys/fs/bpf/xdpguard");
    CHECK(config.xdpMode == XdpMode::Auto);
    CHECK(config.mode == Mode::Monitor);
    CHECK(config.ports == std::set<uint16_t>{25});
    CHECK(config.maxPrefixes == 65536);
    CHECK(config.metricsListen == "127.0.0.1:9433");
    CHECK(config.topSources == 20);
    CHECK(config.dropLogRate == 10);
    CHECK(config.dropLogFormat == DropLogFormat::Text);
    CHECK(config.sources.spfRefreshMinSeconds == 300);
    CHECK(config.sources.spfRefreshMaxSeconds == 86400);
    CHECK_FALSE(config.sources.allowShrink);
    CHECK(config.pinDir == defaults.pinDir);  // the header's defaults are the documented ones
    CHECK(config.metricsListen == defaults.metricsListen);
}

}  // namespace

TEST_CASE("the shipped example configuration parses: one interface, monitor, no sources", "[unit][config]") {
    const DaemonConfig config = loadDaemonConfig(XDPGUARD_EXAMPLE_CONFIG);
    CHECK(config.interfaces == std::vector<std::string>{"eth0"});
    checkDefaultsBesideFilter(config);
    CHECK(config.sources.prefixes.empty());
    CHECK(config.sources.files.empty());
    CHECK(config.sources.spfDomains.empty());
    CHECK_FALSE(config.sources.dnsServer);
}

TEST_CASE("every commented-out setting of the example is valid and shows its default", "[unit][config]") {
    // "#key = value" is a setting; "# text" is prose.
    const std::string uncommented = std::regex_replace(exampleText(), std::regex("(^|\n)#([a-z_]+ =)"), "$1$2");
    REQUIRE(uncommented.find("\nspf = ") != std::string::npos);
    const DaemonConfig config = parsed(uncommented);
    checkDefaultsBesideFilter(config);
    CHECK(config.sources.prefixes == std::vector<Prefix>{Prefix::parse("192.0.2.0/24"),
                                                         Prefix::parse("198.51.100.7/32"),
                                                         Prefix::parse("2001:db8:25::/48")});
    CHECK(config.sources.files == std::vector<std::string>{"/etc/xdpguard/gateways.txt"});
    CHECK(config.sources.spfDomains == std::vector<std::string>{"spf.provider.example"});
    CHECK(config.sources.dnsServer == "192.0.2.53:53");
}

TEST_CASE("a file naming only the interfaces gets the documented defaults", "[unit][config]") {
    const DaemonConfig config = parsed(kFilter);
    CHECK(config.interfaces == std::vector<std::string>{"eth0"});
    checkDefaultsBesideFilter(config);
}

TEST_CASE("every setting is read from the file", "[unit][config]") {
    const DaemonConfig config = parsed(R"(pin_dir = "/sys/fs/bpf/xg2"
[filter]
interfaces = ["eth0", "bond0.25"]
xdp_mode = "generic"
mode = "enforce"
ports = [587, 25]
max_prefixes = 1000
[metrics]
listen = ""
top_sources = 0
[drop_log]
rate = 0
format = "json"
[sources]
prefixes = ["2001:db8::/32", "192.0.2.0/24", "192.0.2.0/24"]
files = ["/etc/xdpguard/a.txt", "/srv/lists/b.txt"]
spf = ["SPF.Provider.Example.", "_spf.other.example"]
dns_server = "[2001:db8::53]:5353"
spf_refresh_min = 60
spf_refresh_max = 60
allow_shrink = true
)");
    CHECK(config.pinDir == "/sys/fs/bpf/xg2");
    CHECK(config.interfaces == std::vector<std::string>{"eth0", "bond0.25"});
    CHECK(config.xdpMode == XdpMode::Generic);
    CHECK(config.mode == Mode::Enforce);
    CHECK(config.ports == std::set<uint16_t>{25, 587});
    CHECK(config.maxPrefixes == 1000);
    CHECK(config.metricsListen.empty());
    CHECK(config.topSources == 0);
    CHECK(config.dropLogRate == 0);
    CHECK(config.dropLogFormat == DropLogFormat::Json);
    // Sorted and without duplicates, like an allowlist file.
    CHECK(config.sources.prefixes ==
          std::vector<Prefix>{Prefix::parse("192.0.2.0/24"), Prefix::parse("2001:db8::/32")});
    CHECK(config.sources.files == std::vector<std::string>{"/etc/xdpguard/a.txt", "/srv/lists/b.txt"});
    CHECK(config.sources.spfDomains == std::vector<std::string>{"spf.provider.example", "_spf.other.example"});
    CHECK(config.sources.dnsServer == "[2001:db8::53]:5353");
    CHECK(config.sources.spfRefreshMinSeconds == 60);
    CHECK(config.sources.spfRefreshMaxSeconds == 60);
    CHECK(config.sources.allowShrink);
}

TEST_CASE("a TOML syntax error is reported with its line and column", "[unit][config]") {
    CHECK(problemOf(kFilter + "mode = enforce\n") ==
          "xdpguard.toml:3:8: not valid TOML: Error while parsing value: could not determine value type "
          "(is a text value missing its double quotes?)");
    CHECK_THAT(problemOf("[filter]\ninterfaces = [\"eth0\"]\ninterfaces = [\"eth1\"]\n"),
               Catch::StartsWith("xdpguard.toml:3:") && Catch::Contains("redefine"));
}

TEST_CASE("a misspelt key or table is an error that suggests the right one", "[unit][config]") {
    CHECK(problemsOf("[filter]\ninterface = [\"eth0\"]\n") ==
          std::vector<std::string>{
              "xdpguard.toml:1:1: filter.interfaces is required: the interfaces mail arrives on, like "
              "interfaces = [\"eth0\"]",
              "xdpguard.toml:2:1: unknown key 'interface' in [filter]; did you mean 'interfaces'?"});
    CHECK(problemOf(kFilter + "[sorces]\nprefixes = []\n") ==
          "xdpguard.toml:3:2: unknown table [sorces]; did you mean [sources]?");
    CHECK(problemOf(kFilter + "[metrics]\nListen = \"\"\n") ==
          "xdpguard.toml:4:1: unknown key 'Listen' in [metrics]; did you mean 'listen'?");
    CHECK(problemOf(kFilter + "modes = \"monitor\"\n") ==
          "xdpguard.toml:3:1: unknown key 'modes' in [filter]; did you mean 'mode'?");
    CHECK(problemOf(kFilter + "colour = 1\n") == "xdpguard.toml:3:1: unknown key 'colour' in [filter]");
}

TEST_CASE("a key below the wrong table header says where it belongs", "[unit][config]") {
    CHECK(problemOf(kFilter + "listen = \"\"\n") ==
          "xdpguard.toml:3:1: unknown key 'listen' in [filter]; listen belongs in [metrics]");
    CHECK(problemOf(kFilter + "[sources]\npin_dir = \"/sys/fs/bpf/x\"\n") ==
          "xdpguard.toml:4:1: unknown key 'pin_dir' in [sources]; pin_dir belongs at the top of the file, "
          "before the first [table]");
    CHECK(problemOf("mode = \"enforce\"\n" + kFilter) ==
          "xdpguard.toml:1:1: unknown key 'mode'; mode belongs in [filter]");
}

TEST_CASE("a value of the wrong type names the expected type", "[unit][config]") {
    CHECK(problemOf(kFilter + "max_prefixes = \"65536\"\n") ==
          "xdpguard.toml:3:16: filter.max_prefixes must be an integer, not a string");
    CHECK(problemOf(kFilter + "max_prefixes = 1.5\n") ==
          "xdpguard.toml:3:16: filter.max_prefixes must be an integer, not a number with a fraction");
    CHECK(problemOf(kFilter + "ports = 25\n") ==
          "xdpguard.toml:3:9: filter.ports must be a list, like ports = [25, 587], not an integer");
    CHECK(problemOf(kFilter + "ports = [25, \"587\"]\n") ==
          "xdpguard.toml:3:14: each entry of filter.ports must be a port number, not a string");
    CHECK(problemOf(kFilter + "mode = true\n") == "xdpguard.toml:3:8: filter.mode must be a string, not true/false");
    CHECK(problemOf(kFilter + "[sources]\nallow_shrink = \"yes\"\n") ==
          "xdpguard.toml:4:16: sources.allow_shrink must be true or false, not a string");
    CHECK(problemOf("metrics = 5\n" + kFilter) == "xdpguard.toml:1:11: metrics must be a table ([metrics]), not an integer");
    CHECK(problemOf("pin_dir = [\"/x\"]\n" + kFilter) == "xdpguard.toml:1:11: pin_dir must be a string, not a list");
}

TEST_CASE("every problem in a file is reported at once, in file order", "[unit][config]") {
    const std::string text = R"([sources]
prefixes = ["192.0.2.1/24"]
spf_refresh_min = 600
spf_refresh_max = 300
[filter]
interfaces = []
mode = "enforcing"
ports = [25, 25, 0]
[metrics]
listen = "localhost:9433"
)";
    const std::vector<std::string> expected{
        "xdpguard.toml:2:13: sources.prefixes: '192.0.2.1/24' has host bits set; did you mean 192.0.2.0/24?",
        "xdpguard.toml:4:19: sources.spf_refresh_max (300) must not be below sources.spf_refresh_min (600)",
        "xdpguard.toml:6:14: filter.interfaces is empty: list at least one interface",
        "xdpguard.toml:7:8: filter.mode must be \"monitor\", \"enforce\" or \"bypass\", not \"enforcing\"; did you mean \"enforce\"?",
        "xdpguard.toml:8:14: port 25 is listed twice",
        "xdpguard.toml:8:18: each entry of filter.ports must be from 1 to 65535, not 0",
        "xdpguard.toml:10:10: metrics.listen: bad listen address 'localhost:9433': use IPv4:PORT or [IPv6]:PORT, "
        "e.g. 127.0.0.1:9433 or [::1]:9433",
    };
    CHECK(problemsOf(text) == expected);
    try {
        parsed(text);
    } catch (const ConfigError& e) {
        std::string joined;
        for (const std::string& line : expected) joined += (joined.empty() ? "" : "\n") + line;
        CHECK(std::string(e.what()) == joined);
    }
}

TEST_CASE("a prefix with host bits set names the network it probably meant", "[unit][config]") {
    CHECK(problemOf(kFilter + "[sources]\nprefixes = [\"192.0.2.0/24\", \"2001:db8::1/64\"]\n") ==
          "xdpguard.toml:4:29: sources.prefixes: '2001:db8::1/64' has host bits set; did you mean 2001:db8::/64?");
    CHECK_THAT(problemOf(kFilter + "[sources]\nprefixes = [\"mx.provider.example\"]\n"),
               Catch::StartsWith("xdpguard.toml:4:13: sources.prefixes: 'mx.provider.example' is not a valid"));
}

TEST_CASE("the interface list must name at least one valid interface, once", "[unit][config]") {
    CHECK(problemOf("[filter]\ninterfaces = []\n") ==
          "xdpguard.toml:2:14: filter.interfaces is empty: list at least one interface");
    CHECK(problemOf("pin_dir = \"/sys/fs/bpf/x\"\n") ==
          "xdpguard.toml:1:1: filter.interfaces is required: the interfaces mail arrives on, like "
          "interfaces = [\"eth0\"]");
    const auto badName = [](const std::string& name, const std::string& shown) {
        INFO("interface: " << shown);
        CHECK(problemOf("[filter]\ninterfaces = [\"" + name + "\"]\n") ==
              "xdpguard.toml:2:15: \"" + shown +
                  "\" is not a network interface name: 1 to 15 characters without '/', ':' or spaces");
    };
    for (const char* bad : {"", "a-sixteen-chars!", "eth0:1", "eth/0", "eth 0", ".."}) badName(bad, bad);
    badName("eth0\t", "eth0\\x09");  // control bytes are shown escaped
    CHECK(parsed("[filter]\ninterfaces = [\"fifteen-chars-0\"]\n").interfaces.size() == 1);
    CHECK(problemOf("[filter]\ninterfaces = [\"eth0\", \"eth0\"]\n") ==
          "xdpguard.toml:2:23: interface \"eth0\" is listed twice");
}

TEST_CASE("with the machine's checks, an interface that does not exist is a located problem", "[unit][config]") {
    ConfigChecks checks;
    std::vector<std::string> asked;
    checks.interfaceExists = [&](const std::string& name) {
        asked.push_back(name);
        return name == "eth0" || name == "eth1";
    };
    const std::string text = "[filter]\ninterfaces = [\"eth0\", \"eht1\", \"eth1\"]\nmode = \"enforcing\"\n";
    try {
        parseDaemonConfig(text, kName, checks);
        FAIL("a missing interface was accepted");
    } catch (const ConfigError& e) {
        CHECK(e.exitStatus() == 2);
        // Listed with the other problems, in file order.
        REQUIRE(e.problems().size() == 2);
        CHECK(e.problems()[0] == "xdpguard.toml:2:23: filter.interfaces: no network interface named \"eht1\" on "
                                 "this machine (`ip link` lists them)");
        CHECK_THAT(e.problems()[1], Catch::StartsWith("xdpguard.toml:3:8: filter.mode"));
    }
    CHECK(asked == std::vector<std::string>{"eth0", "eht1", "eth1"});
    CHECK(parseDaemonConfig("[filter]\ninterfaces = [\"eth0\", \"eth1\"]\n", kName, checks).interfaces.size() == 2);
    // A malformed or repeated name is reported as such, without asking the system.
    asked.clear();
    CHECK_THROWS_AS(parseDaemonConfig("[filter]\ninterfaces = [\"eth/0\", \"eth0\", \"eth0\"]\n", kName, checks),
                    ConfigError);
    CHECK(asked == std::vector<std::string>{"eth0"});
    // Without checks (the parser alone) names are not looked up.
    CHECK(parsed("[filter]\ninterfaces = [\"eht1\"]\n").interfaces == std::vector<std::string>{"eht1"});
}

TEST_CASE("the checks of this machine look interfaces up by name", "[unit][config]") {
    const ConfigChecks checks = ConfigChecks::thisMachine();
    REQUIRE(checks.interfaceExists);
    CHECK(checks.interfaceExists("lo"));  // every network namespace has one
    CHECK_FALSE(checks.interfaceExists("xg-no-such-if"));
    CHECK(parseDaemonConfig("[filter]\ninterfaces = [\"lo\"]\n", kName, checks).interfaces ==
          std::vector<std::string>{"lo"});
    CHECK(problemsOfChecked("[filter]\ninterfaces = [\"lo\", \"xg-no-such-if\"]\n", checks) ==
          std::vector<std::string>{"xdpguard.toml:2:21: filter.interfaces: no network interface named "
                                   "\"xg-no-such-if\" on this machine (`ip link` lists them)"});
}

TEST_CASE("the metrics address must be IPv4:PORT or [IPv6]:PORT; empty turns metrics off", "[unit][config]") {
    for (const char* bad : {"9433", "127.0.0.1", "127.0.0.1:65536", "::1:9433", "0.0.0.0:http"}) {
        INFO("listen: " << bad);
        CHECK_THAT(problemOf(kFilter + "[metrics]\nlisten = \"" + bad + "\"\n"),
                   Catch::StartsWith("xdpguard.toml:4:10: metrics.listen: bad listen address '" + std::string(bad)));
    }
    CHECK(parsed(kFilter + "[metrics]\nlisten = \"0.0.0.0:9100\"\n").metricsListen == "0.0.0.0:9100");
    CHECK(parsed(kFilter + "[metrics]\nlisten = \"\"\n").metricsListen.empty());
}

TEST_CASE("SPF domains are checked and normalised", "[unit][config]") {
    const auto spfProblem = [](const std::string& domain) {
        return problemOf(kFilter + "[sources]\nspf = [\"" + domain + "\"]\n");
    };
    CHECK(spfProblem("provider") ==
          "xdpguard.toml:4:8: sources.spf: \"provider\" needs at least two labels, like provider.example");
    CHECK(spfProblem("spf..provider.example") ==
          "xdpguard.toml:4:8: sources.spf: \"spf..provider.example\" has an empty label (two dots in a row?)");
    CHECK(spfProblem("spf provider.example") == "xdpguard.toml:4:8: sources.spf: \"spf provider.example\" may "
                                                "contain only letters, digits, '-', '_' and dots");
    CHECK(spfProblem("192.0.2.0/24") == "xdpguard.toml:4:8: sources.spf: \"192.0.2.0/24\" may contain only "
                                        "letters, digits, '-', '_' and dots");
    CHECK_THAT(spfProblem(std::string(64, 'a') + ".example"), Catch::Contains("label longer than 63"));
    CHECK_THAT(spfProblem(""), Catch::Contains("must be 1 to 253 characters"));
    // The domain names the source spf:DOMAIN, whose length the pinned records limit.
    CHECK_THAT(spfProblem(std::string(60, 'a') + "." + std::string(60, 'b') + ".example"),
               Catch::Contains("must be 1 to 127 characters"));
    CHECK(problemOf(kFilter + "[sources]\nspf = [\"a.example\", \"A.Example.\"]\n") ==
          "xdpguard.toml:4:21: sources.spf: \"A.Example.\" is listed twice");
    CHECK(parsed(kFilter + "[sources]\nspf = [\"_SPF.Google.com.\"]\n").sources.spfDomains ==
          std::vector<std::string>{"_spf.google.com"});
}

TEST_CASE("the SPF refresh bounds: at least 5 s, max not below min", "[unit][config]") {
    const std::string sources = kFilter + "[sources]\n";
    CHECK(problemOf(sources + "spf_refresh_min = 900\nspf_refresh_max = 600\n") ==
          "xdpguard.toml:5:19: sources.spf_refresh_max (600) must not be below sources.spf_refresh_min (900)");
    CHECK(problemOf(sources + "spf_refresh_min = 90000\n") ==
          "xdpguard.toml:4:19: sources.spf_refresh_max (86400, the default) must not be below "
          "sources.spf_refresh_min (90000)");
    CHECK(problemOf(sources + "spf_refresh_min = 4\n") ==
          "xdpguard.toml:4:19: sources.spf_refresh_min must be from 5 to 604800, not 4");
    // Bounds out of range are reported as such, not compared as well.
    CHECK(problemsOf(sources + "spf_refresh_min = 0\nspf_refresh_max = 700000\n") ==
          std::vector<std::string>{"xdpguard.toml:4:19: sources.spf_refresh_min must be from 5 to 604800, not 0",
                                   "xdpguard.toml:5:19: sources.spf_refresh_max must be from 5 to 604800, not 700000"});
    const DaemonConfig lab = parsed(sources + "spf_refresh_min = 5\nspf_refresh_max = 5\n");
    CHECK(lab.sources.spfRefreshMinSeconds == 5);
    CHECK(lab.sources.spfRefreshMaxSeconds == 5);
}

TEST_CASE("numbers outside their range name the range", "[unit][config]") {
    CHECK(problemOf(kFilter + "max_prefixes = 0\n") ==
          "xdpguard.toml:3:16: filter.max_prefixes must be from 1 to 16777216, not 0");
    CHECK(problemOf(kFilter + "max_prefixes = 16777217\n") ==
          "xdpguard.toml:3:16: filter.max_prefixes must be from 1 to 16777216, not 16777217");
    CHECK(problemOf(kFilter + "[metrics]\ntop_sources = 1001\n") ==
          "xdpguard.toml:4:15: metrics.top_sources must be from 0 to 1000, not 1001");
    CHECK(problemOf(kFilter + "[drop_log]\nrate = -1\n") ==
          "xdpguard.toml:4:8: drop_log.rate must be from 0 to 100000, not -1");
    CHECK(problemOf(kFilter + "ports = [65536]\n") ==
          "xdpguard.toml:3:10: each entry of filter.ports must be from 1 to 65535, not 65536");
    CHECK(problemOf(kFilter + "ports = []\n") ==
          "xdpguard.toml:3:9: filter.ports is empty: list at least one port, like ports = [25]");
}

TEST_CASE("named choices list the valid ones", "[unit][config]") {
    CHECK(problemOf(kFilter + "xdp_mode = \"drv\"\n") ==
          "xdpguard.toml:3:12: filter.xdp_mode must be \"auto\", \"native\" or \"generic\", not \"drv\"");
    CHECK(problemOf(kFilter + "[drop_log]\nformat = \"JSON\"\n") ==
          "xdpguard.toml:4:10: drop_log.format must be \"text\" or \"json\", not \"JSON\"; did you mean \"json\"?");
}

TEST_CASE("enforcing needs an allowlist source; monitoring does not", "[unit][config]") {
    const std::string enforce = "[filter]\ninterfaces = [\"eth0\"]\nmode = \"enforce\"\n";
    CHECK(problemOf(enforce) ==
          "xdpguard.toml:3:8: filter.mode = \"enforce\" needs an allowlist: give [sources] prefixes, files or spf, "
          "or the filter would drop every SYN to the protected ports (use \"monitor\" to start without one)");
    CHECK(problemOf(enforce + "[sources]\nprefixes = []\nfiles = []\n") ==
          "xdpguard.toml:3:8: filter.mode = \"enforce\" needs an allowlist: give [sources] prefixes, files or spf, "
          "or the filter would drop every SYN to the protected ports (use \"monitor\" to start without one)");
    CHECK(parsed(enforce + "[sources]\nspf = [\"spf.provider.example\"]\n").mode == Mode::Enforce);
    CHECK(parsed(enforce + "[sources]\nfiles = [\"/etc/xdpguard/gateways.txt\"]\n").mode == Mode::Enforce);
    CHECK(parsed(kFilter + "mode = \"monitor\"\n[sources]\nprefixes = []\n").sources.prefixes.empty());
}

TEST_CASE("source files are absolute paths with distinct file names", "[unit][config]") {
    const std::string sources = kFilter + "[sources]\n";
    CHECK(problemOf(sources + "files = [\"gateways.txt\"]\n") ==
          "xdpguard.toml:4:10: sources.files: gateways.txt must be an absolute path, like /etc/xdpguard/gateways.txt");
    CHECK(problemOf(sources + "files = [\"/etc/xdpguard/\"]\n") ==
          "xdpguard.toml:4:10: sources.files: /etc/xdpguard/ names a directory; give the file");
    CHECK(problemOf(sources + "files = [\"/etc/a/gw.txt\", \"/etc/b/gw.txt\"]\n") ==
          "xdpguard.toml:4:27: sources.files: /etc/b/gw.txt has the same file name as /etc/a/gw.txt; both would be "
          "source file:gw.txt, rename one");
    CHECK(problemOf(sources + "files = [\"/etc/a/gw.txt\", \"/etc/a/gw.txt\"]\n") ==
          "xdpguard.toml:4:27: sources.files: /etc/a/gw.txt is listed twice");
    // Existence is checked when the daemon reads the file, not here.
    CHECK(parsed(sources + "files = [\"/nonexistent/gw.txt\"]\n").sources.files.size() == 1);
}

TEST_CASE("the DNS server for SPF is IP, IP:PORT or [IPv6]:PORT", "[unit][config]") {
    const std::string sources = kFilter + "[sources]\n";
    for (const char* good : {"192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:53"})
        CHECK(parsed(sources + "dns_server = \"" + good + "\"\n").sources.dnsServer == good);
    CHECK(problemOf(sources + "dns_server = \"ns.provider.example\"\n") ==
          "xdpguard.toml:4:14: sources.dns_server: bad DNS server 'ns.provider.example': use IP, IP:PORT or "
          "[IPv6]:PORT; leave it out to use the system resolver");
}

TEST_CASE("pin_dir must be an absolute path", "[unit][config]") {
    CHECK(problemOf("pin_dir = \"xdpguard\"\n" + kFilter) ==
          "xdpguard.toml:1:11: pin_dir must be an absolute path, like /sys/fs/bpf/xdpguard");
}

TEST_CASE("an unreadable configuration file is a bad-input error naming it", "[unit][config]") {
    try {
        loadDaemonConfig("/nonexistent/xdpguard.toml");
        FAIL("a missing file was accepted");
    } catch (const ConfigError& e) {
        CHECK(e.exitStatus() == 2);
        CHECK(std::string(e.what()) ==
              "cannot read configuration file /nonexistent/xdpguard.toml: No such file or directory");
    }
    CHECK_THROWS_WITH(loadDaemonConfig("/"), "cannot read configuration file /: it is a directory");
}
