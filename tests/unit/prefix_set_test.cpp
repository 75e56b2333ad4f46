// PrefixSet: exact address-set arithmetic and the minimal CIDR cover that
// SPF flattening hands to the allowlist.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "error.hpp"
#include "prefix_set.hpp"

using xdpguard::enclosingPrefix;
using xdpguard::Error;
using xdpguard::Prefix;
using xdpguard::PrefixSet;

namespace {

PrefixSet setOf(std::initializer_list<const char*> prefixes) {
    PrefixSet set;
    for (const char* text : prefixes) set.add(Prefix::parse(text));
    return set;
}

std::vector<std::string> cover(const PrefixSet& set) {
    std::vector<std::string> out;
    for (const Prefix& prefix : set.prefixes()) out.push_back(prefix.str());
    return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("an empty prefix set covers nothing", "[unit][spf]") {
    PrefixSet set;
    CHECK(set.empty());
    CHECK(set.prefixes().empty());
    CHECK_FALSE(set.contains(Prefix::parse("192.0.2.1")));
    set.subtract(setOf({"192.0.2.0/24"}));
    CHECK(set.empty());
}

TEST_CASE("adjacent and overlapping prefixes merge into the fewest prefixes", "[unit][spf]") {
    CHECK(cover(setOf({"192.0.2.0/25", "192.0.2.128/25"})) == Strings{"192.0.2.0/24"});
    CHECK(cover(setOf({"192.0.2.0/24", "192.0.2.64/26", "192.0.2.7"})) == Strings{"192.0.2.0/24"});
    CHECK(cover(setOf({"2001:db8::/33", "2001:db8:8000::/33"})) == Strings{"2001:db8::/32"});
    // Adjacent but not a power-of-two block: two prefixes stay two.
    CHECK(cover(setOf({"192.0.2.128/25", "198.51.100.0/25"})) ==
          Strings{"192.0.2.128/25", "198.51.100.0/25"});
}

TEST_CASE("a contiguous range that is no single block splits greedily", "[unit][spf]") {
    const PrefixSet set =
        setOf({"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"});
    CHECK(cover(set) == Strings{"192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6/32"});
}

TEST_CASE("subtracting one address from a /24 leaves eight prefixes", "[unit][spf]") {
    // What "-ip4:192.0.2.5 ip4:192.0.2.0/24" passes (RFC 7208 4.6.2, first match wins).
    PrefixSet set = setOf({"192.0.2.0/24"});
    set.subtract(setOf({"192.0.2.5"}));
    CHECK(cover(set) == Strings{"192.0.2.0/30", "192.0.2.4/32", "192.0.2.6/31", "192.0.2.8/29",
                                "192.0.2.16/28", "192.0.2.32/27", "192.0.2.64/26",
                                "192.0.2.128/25"});
    CHECK(set.contains(Prefix::parse("192.0.2.4")));
    CHECK_FALSE(set.contains(Prefix::parse("192.0.2.5")));
    CHECK(set.contains(Prefix::parse("192.0.2.6")));
    CHECK(set.contains(Prefix::parse("192.0.2.128/25")));
    CHECK_FALSE(set.contains(Prefix::parse("192.0.2.0/29")));
}

TEST_CASE("subtraction handles ranges that span, split and swallow each other", "[unit][spf]") {
    PrefixSet set = setOf({"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"});
    set.subtract(
        setOf({"192.0.2.128/25", "198.51.100.0/23", "203.0.113.64/26", "203.0.113.192/26"}));
    CHECK(cover(set) == Strings{"192.0.2.0/25", "203.0.113.0/26", "203.0.113.128/26"});

    PrefixSet gone = setOf({"192.0.2.0/24"});
    gone.subtract(setOf({"192.0.0.0/16"}));
    CHECK(gone.empty());
}

TEST_CASE("IPv6 arithmetic is exact across the whole 128 bits", "[unit][spf]") {
    PrefixSet set = setOf({"2001:db8::/32"});
    set.subtract(setOf({"2001:db8::1"}));
    const auto prefixes = set.prefixes();
    REQUIRE(prefixes.size() == 96);
    CHECK(prefixes.front().str() == "2001:db8::/128");
    CHECK(prefixes[1].str() == "2001:db8::2/127");
    CHECK(prefixes.back().str() == "2001:db8:8000::/33");
    CHECK_FALSE(set.contains(Prefix::parse("2001:db8::1")));
    CHECK(set.contains(Prefix::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST_CASE("the whole address space is representable and subtractable", "[unit][spf]") {
    PrefixSet all = PrefixSet::everything();
    CHECK(cover(all) == Strings{"0.0.0.0/0", "::/0"});
    all.subtract(setOf({"0.0.0.0/1", "::/1"}));
    CHECK(cover(all) == Strings{"128.0.0.0/1", "8000::/1"});
    all.subtract(PrefixSet::everything());
    CHECK(all.empty());
}

TEST_CASE("prefixes list IPv4 first, each family in address order", "[unit][spf]") {
    const PrefixSet set =
        setOf({"2001:db8:2::/48", "203.0.113.0/24", "2001:db8::/48", "192.0.2.0/24"});
    CHECK(cover(set) ==
          Strings{"192.0.2.0/24", "203.0.113.0/24", "2001:db8::/48", "2001:db8:2::/48"});
}

TEST_CASE("union of sets merges both families and order does not matter", "[unit][spf]") {
    PrefixSet left = setOf({"192.0.2.0/25", "2001:db8::/33"});
    left.add(setOf({"2001:db8:8000::/33", "192.0.2.128/25"}));
    CHECK(left == setOf({"2001:db8::/32", "192.0.2.0/24"}));
}

TEST_CASE("enclosingPrefix clears host bits to the given length", "[unit][spf]") {
    CHECK(enclosingPrefix(Prefix::parse("192.0.2.200"), 24).str() == "192.0.2.0/24");
    CHECK(enclosingPrefix(Prefix::parse("192.0.2.200"), 0).str() == "0.0.0.0/0");
    CHECK(enclosingPrefix(Prefix::parse("2001:db8:1:2::3"), 64).str() == "2001:db8:1:2::/64");
    CHECK(enclosingPrefix(Prefix::parse("2001:db8::3"), 128).str() == "2001:db8::3/128");
    CHECK_THROWS_AS(enclosingPrefix(Prefix::parse("192.0.2.1"), 33), Error);
}
