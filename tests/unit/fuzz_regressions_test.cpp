// Inputs the fuzz targets (tests/fuzz) found mishandled, one test each,
// named after the property, with the corpus file that reproduces it. A test
// added before its fix is tagged [known-bug] until the fix lands.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "allow_file.hpp"
#include "daemon_config.hpp"
#include "error.hpp"
#include "fake_resolver.hpp"
#include "origins.hpp"
#include "prefix.hpp"
#include "spf_record.hpp"

using namespace xdpguard;
using namespace std::string_literals;

// corpus/prefix/regression_nul_ends_address: Prefix::parse handed the text to
// inet_pton() as a C string, so a NUL byte ended the address and whatever
// followed it was silently ignored.
TEST_CASE("A prefix with a NUL byte in it is refused, not cut short at the NUL",
          "[unit][fuzz]") {
    CHECK_THROWS_AS(Prefix::parse("::\0"s), Error);
    CHECK_THROWS_AS(Prefix::parse("192.0.2.1\0junk"s), Error);
}

// corpus/spf_record/regression_nul_in_ip6_term,
// corpus/spf_flatten/regression_nul_in_ip4_term:
// TXT strings are arbitrary bytes on the wire and dns_resolver.cpp passes
// them on as they are, so a zone can publish "ip4:192.0.2.1<NUL>junk". RFC
// 7208 12 makes that a syntax error, a permerror for the whole policy, which
// every receiver applies; xdpguard used to import 192.0.2.1/32.
TEST_CASE("An SPF ip4/ip6 term with a NUL byte in it is a permerror", "[unit][fuzz]") {
    CHECK_THROWS_AS(SpfRecord::parse("v=spf1 ip6:::\0"s, "spf:example.test"), SpfError);
    CHECK_THROWS_AS(SpfRecord::parse("v=spf1 ip4:192.0.2.1\0junk -all"s, "spf:example.test"),
                    SpfError);

    testing::FakeResolver dns = testing::withPolicy("v=spf1 ip4:192.0.2.1\0junk -all"s);
    const testing::SpfFailureReport report = testing::failureOf(dns);
    CHECK(report.failure == SpfFailure::PermError);
}

// corpus/daemon_config/regression_toml_latin1_after_value,
// corpus/daemon_config/regression_toml_multiline_string_continuation:
// toml++ 3.3.0 reaches a TOML_UNREACHABLE (undefined behaviour) when it asks
// whether a character in U+00A1-U+0499 is whitespace (marzer/tomlplusplus
// #190, #295). Debian's build of the library answers "no", which is right;
// these pin that answer, so that a toml++ that answers otherwise shows here.
TEST_CASE("A non-ASCII character outside a string in the config is a syntax error at its place",
          "[unit][fuzz]") {
    try {
        parseDaemonConfig("[filter]\ninterfaces = [\"eth0\"] \xc3\xa9\n", "xdpguard.toml");
        FAIL("accepted");
    } catch (const ConfigError& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK(e.problems()[0].starts_with("xdpguard.toml:2:23: not valid TOML"));
    }
}

TEST_CASE("A config string continued after a line-ending backslash keeps its non-ASCII text",
          "[unit][fuzz]") {
    const DaemonConfig config =
        parseDaemonConfig("[filter]\ninterfaces = [\"\"\"\\\n\xc2\xa7\"\"\"]\n", "xdpguard.toml");
    CHECK(config.interfaces == std::vector<std::string>{"\xc2\xa7"});
}

// corpus/daemon_config/regression_nul_in_quoted_value.toml: a problem quoted
// the config's string as it was, and a TOML "\u0000" is a NUL byte, so the
// message (what() is a C string) ended at it and lost the problems after it;
// a "\n" in a string would have started a line that looks like a problem.
TEST_CASE("A config problem quoting a string with a NUL or newline escapes it and keeps every problem",
          "[unit][fuzz]") {
    try {
        parseDaemonConfig("[filter]\ninterfaces = [\"eth0\"]\n[sources]\nspf = [\"a\\u0000b.example\"]\n"
                          "files = [\"/etc/a\\nb.txt\", \"rel.txt\"]\n",
                          "xdpguard.toml");
        FAIL("accepted");
    } catch (const ConfigError& e) {
        REQUIRE(e.problems().size() == 3);
        CHECK(e.problems()[0] == "xdpguard.toml:4:8: sources.spf: \"a\\x00b.example\" may contain only letters, "
                                 "digits, '-', '_' and dots");
        CHECK(e.problems()[1].starts_with("xdpguard.toml:5:10: sources.files: /etc/a\\x0ab.txt "));
        CHECK(e.problems()[2].starts_with("xdpguard.toml:5:27: sources.files: rel.txt must be an absolute path"));
        CHECK(std::string(e.what()) == e.problems()[0] + "\n" + e.problems()[1] + "\n" + e.problems()[2]);
    }
}

TEST_CASE("Errors quoting a prefix file's line or a source name escape control bytes", "[unit][fuzz]") {
    CHECK_THROWS_WITH(parseAllowText("192.0.2.0/24 \x1b[2J\n", "gw.txt"),
                      "gw.txt:1: expected one prefix per line, got '192.0.2.0/24 \\x1b[2J' (comments start with #)");
    CHECK_THROWS_WITH(validateSourceName("file:a\tb"),
                      "source name 'file:a\\x09b' may contain only printable characters, no spaces or commas");
}
