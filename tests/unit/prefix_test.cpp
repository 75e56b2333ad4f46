// Prefix parsing and canonicalisation: what `allow add` accepts and refuses.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "error.hpp"
#include "prefix.hpp"

using xdpguard::Error;
using xdpguard::Family;
using xdpguard::Prefix;

namespace {

// The message of the BadInput error that parsing `text` throws.
std::string parseError(const std::string& text) {
    try {
        Prefix::parse(text);
    } catch (const Error& e) {
        CHECK(e.exitStatus() == 2);
        return e.what();
    }
    FAIL("'" << text << "' was accepted");
    return {};
}

}  // namespace

TEST_CASE("IPv4 prefixes parse to their canonical form", "[unit]") {
    CHECK(Prefix::parse("192.0.2.0/24").str() == "192.0.2.0/24");
    CHECK(Prefix::parse("198.51.100.128/25").length() == 25);
    CHECK(Prefix::parse("0.0.0.0/0").str() == "0.0.0.0/0");
    CHECK(Prefix::parse("203.0.113.7").str() == "203.0.113.7/32");  // bare host
    CHECK(Prefix::parse("203.0.113.7/32").family() == Family::V4);
    CHECK(Prefix::parse("192.0.2.0/024").length() == 24);
}

TEST_CASE("IPv6 prefixes parse and print compressed, lower case", "[unit]") {
    CHECK(Prefix::parse("2001:DB8:0:0::/32").str() == "2001:db8::/32");
    CHECK(Prefix::parse("2001:db8:1::/48").family() == Family::V6);
    CHECK(Prefix::parse("2001:db8::1").str() == "2001:db8::1/128");
    CHECK(Prefix::parse("::/0").str() == "::/0");
    CHECK(Prefix::parse("2001:db8::/127").length() == 127);
}

TEST_CASE("a prefix with host bits set is refused with the canonical form", "[unit]") {
    CHECK_THAT(parseError("192.0.2.1/24"),
               Catch::Contains("'192.0.2.1/24' has host bits set; did you mean 192.0.2.0/24?"));
    CHECK_THAT(parseError("198.51.100.200/25"), Catch::Contains("did you mean 198.51.100.128/25?"));
    CHECK_THAT(parseError("2001:db8::1/64"), Catch::Contains("did you mean 2001:db8::/64?"));
    CHECK_THAT(parseError("2001:db8:ffff::/31"), Catch::Contains("did you mean 2001:db8::/31?"));
}

TEST_CASE("malformed prefixes are refused naming the input", "[unit]") {
    for (const char* bad : {"256.0.0.0/8", "192.0.2", "192.0.2.0.0/24", "1.2.3.04",
                            "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1", "192.0.2.0/ 24",
                            " 192.0.2.0/24", "example.com", "2001:db8::g/32",
                            "2001:db8::/129", "2001:db8:::/32", "192.0.2.0/24/8", "/24"}) {
        INFO("input: " << bad);
        CHECK_THAT(parseError(bad), Catch::Contains(std::string("'") + bad + "'"));
    }
    CHECK_THAT(parseError(""), Catch::Contains("empty prefix"));
    CHECK_THAT(parseError("192.0.2.0/33"), Catch::Contains("from 0 to 32"));
    CHECK_THAT(parseError("2001:db8::/200"), Catch::Contains("from 0 to 128"));
}

TEST_CASE("LPM keys carry the length in host order and the address in network order", "[unit]") {
    const xg_lpm_v4 v4 = Prefix::parse("198.51.100.0/24").keyV4();
    CHECK(v4.prefixlen == 24);
    CHECK(v4.addr == htonl(0xC6336400));
    CHECK(Prefix::fromKey(v4).str() == "198.51.100.0/24");

    const xg_lpm_v6 v6 = Prefix::parse("2001:db8:1::/48").keyV6();
    CHECK(v6.prefixlen == 48);
    const uint8_t expected[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
    CHECK(std::memcmp(v6.addr, expected, 16) == 0);
    CHECK(Prefix::fromKey(v6).str() == "2001:db8:1::/48");
}

TEST_CASE("contains() follows prefix boundaries and families", "[unit]") {
    const Prefix net = Prefix::parse("192.0.2.128/25");
    CHECK(net.contains(Prefix::parse("192.0.2.200")));
    CHECK_FALSE(net.contains(Prefix::parse("192.0.2.127")));
    CHECK(Prefix::parse("0.0.0.0/0").contains(Prefix::parse("203.0.113.1")));
    CHECK_FALSE(Prefix::parse("::/0").contains(Prefix::parse("203.0.113.1")));
    CHECK(Prefix::parse("2001:db8::/32").contains(Prefix::parse("2001:db8:ffff::1")));
    CHECK_FALSE(Prefix::parse("2001:db8::/32").contains(Prefix::parse("2001:db9::1")));
}
