// Flattening an SPF policy into the addresses that get "pass" (RFC 7208),
// against a fake DNS zone. Only documentation addresses and reserved names.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fake_resolver.hpp"

using xdpguard::flattenSpf;
using xdpguard::SpfFailure;
using xdpguard::SpfFlattening;
using xdpguard::testing::failureOf;
using xdpguard::testing::FakeResolver;
using xdpguard::testing::flattened;
using xdpguard::testing::Strings;
using xdpguard::testing::withPolicy;

TEST_CASE("ip4 and ip6 pass; the result is sorted, IPv4 first", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 ip6:2001:db8::/32 ip4:198.51.100.0/24 ip4:192.0.2.0/24 -all");
    CHECK(flattened(dns) == Strings{"192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"});
}

TEST_CASE("RFC 7208 4.6.2: only the + qualifier (explicit or implied) passes", "[unit][spf]") {
    for (const char* qualifier : {"", "+"}) {
        auto dns = withPolicy(std::string("v=spf1 ") + qualifier + "ip4:192.0.2.0/24 -all");
        CHECK(flattened(dns) == Strings{"192.0.2.0/24"});
    }
    for (const char* qualifier : {"-", "~", "?"}) {
        INFO("qualifier " << qualifier);
        auto dns = withPolicy(std::string("v=spf1 ") + qualifier + "ip4:192.0.2.0/24 -all");
        CHECK(flattened(dns).empty());
    }
}

TEST_CASE("RFC 7208 4.6.2: first match wins, so an earlier non-pass carves a hole", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 -ip4:192.0.2.5 ip4:192.0.2.0/24 -all");
    CHECK(flattened(dns) == Strings{"192.0.2.0/30", "192.0.2.4/32", "192.0.2.6/31", "192.0.2.8/29",
                                    "192.0.2.16/28", "192.0.2.32/27", "192.0.2.64/26",
                                    "192.0.2.128/25"});

    auto softAndNeutral = withPolicy(
        "v=spf1 ~ip4:192.0.2.0/25 ?ip6:2001:db8::/33 ip4:192.0.2.0/24 ip6:2001:db8::/32");
    CHECK(flattened(softAndNeutral) == Strings{"192.0.2.128/25", "2001:db8:8000::/33"});

    // A later fail cannot take back an earlier pass.
    auto later = withPolicy("v=spf1 ip4:192.0.2.0/24 -ip4:192.0.2.5 -all");
    CHECK(flattened(later) == Strings{"192.0.2.0/24"});
}

TEST_CASE("RFC 7208 5.3: a looks up A and AAAA, widened by dual CIDR", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 a a:mail.example.test/24//64 -all");
    dns.addA("example.test", "203.0.113.9").addAaaa("example.test", "2001:db8:9::9");
    dns.addA("mail.example.test", "192.0.2.10").addAaaa("mail.example.test", "2001:db8:1::10");
    CHECK(flattened(dns) ==
          Strings{"192.0.2.0/24", "203.0.113.9/32", "2001:db8:1::/64", "2001:db8:9::9/128"});

    auto ipv6Only = withPolicy("v=spf1 a//64 -all");
    ipv6Only.addA("example.test", "192.0.2.1").addAaaa("example.test", "2001:db8::1");
    CHECK(flattened(ipv6Only) == Strings{"192.0.2.1/32", "2001:db8::/64"});
}

TEST_CASE("RFC 7208 5.4: mx looks up the exchanges' addresses", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 mx/24 mx:other.example.test -all");
    dns.addMx("example.test", "mx1.example.test").addMx("example.test", "mx2.example.test");
    dns.addA("mx1.example.test", "192.0.2.25").addAaaa("mx1.example.test", "2001:db8::25");
    dns.addA("mx2.example.test", "198.51.100.25");
    dns.addMx("other.example.test", "mx.other.example.test");
    dns.addAaaa("mx.other.example.test", "2001:db8:2::25");
    CHECK(flattened(dns) ==
          Strings{"192.0.2.0/24", "198.51.100.0/24", "2001:db8::25/128", "2001:db8:2::25/128"});
}

TEST_CASE("RFC 7208 4.6.4: mx with more than 10 exchanges is a permerror", "[unit][spf]") {
    auto ten = withPolicy("v=spf1 mx -all");
    auto eleven = withPolicy("v=spf1 mx -all");
    for (int i = 1; i <= 11; ++i) {
        const std::string exchange = "mx" + std::to_string(i) + ".example.test";
        if (i <= 10)
            ten.addMx("example.test", exchange).addA(exchange, "192.0.2." + std::to_string(i));
        eleven.addMx("example.test", exchange).addA(exchange, "192.0.2." + std::to_string(i));
    }
    CHECK(flattened(ten) ==
          Strings{"192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/30", "192.0.2.8/31", "192.0.2.10/32"});
    const auto failure = failureOf(eleven);
    CHECK(failure.failure == SpfFailure::PermError);
    CHECK_THAT(failure.message, Catch::Contains("spf:example.test: mx: permerror: example.test has "
                                                "11 MX records; SPF allows 10 (RFC 7208 4.6.4)"));
}

TEST_CASE("RFC 7208 5.2: include matches where the included policy passes", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 include:_spf.example.test ip4:198.51.100.0/24 -all");
    dns.addTxt("_spf.example.test", "v=spf1 ip4:192.0.2.0/24 -all");  // its -all ends only its own
    CHECK(flattened(dns) == Strings{"192.0.2.0/24", "198.51.100.0/24"});
}

TEST_CASE("RFC 7208 5.2: included fail, softfail and neutral do not match", "[unit][spf]") {
    // The child's non-pass addresses stay undecided, so the parent's later
    // ip4:192.0.2.0/22 still passes them.
    auto dns = withPolicy("v=spf1 include:_spf.example.test ip4:192.0.0.0/22 -all");
    dns.addTxt("_spf.example.test",
               "v=spf1 -ip4:192.0.2.0/24 ~ip4:192.0.1.0/24 ?ip4:192.0.0.0/24 ip6:2001:db8::/32");
    CHECK(flattened(dns) == Strings{"192.0.0.0/22", "2001:db8::/32"});

    // And a child "-ip4" is not a parent "-ip4": the child's fail is no match.
    auto failOnly = withPolicy("v=spf1 include:_spf.example.test -all");
    failOnly.addTxt("_spf.example.test", "v=spf1 -ip4:192.0.2.0/24 -all");
    CHECK(flattened(failOnly).empty());
}

TEST_CASE("RFC 7208 5.2: included temperror and permerror propagate", "[unit][spf]") {
    SECTION("temperror fetching the included record") {
        auto dns = withPolicy("v=spf1 include:_spf.example.test -all");
        dns.tempFail(FakeResolver::Type::Txt, "_spf.example.test");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::TempError);
        CHECK_THAT(
            failure.message,
            Catch::Equals("spf:example.test: include:_spf.example.test: temperror: TXT lookup "
                          "for _spf.example.test failed: SERVFAIL"));
    }
    SECTION("temperror inside the included policy") {
        auto dns = withPolicy("v=spf1 include:_spf.example.test -all");
        dns.addTxt("_spf.example.test", "v=spf1 a:gw.example.test -all");
        dns.tempFail(FakeResolver::Type::Aaaa, "gw.example.test");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::TempError);
        CHECK_THAT(failure.message, Catch::StartsWith("spf:_spf.example.test (via example.test): "
                                                      "a:gw.example.test: temperror: AAAA lookup"));
    }
    SECTION("permerror in the included record") {
        auto dns = withPolicy("v=spf1 include:_spf.example.test -all");
        dns.addTxt("_spf.example.test", "v=spf1 ip4:192.0.2.0/33 -all");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::PermError);
        CHECK_THAT(failure.message,
                   Catch::StartsWith("spf:_spf.example.test (via example.test): ip4:192.0.2.0/33: "
                                     "permerror: "));
    }
    SECTION("none: the included domain has no SPF record") {
        auto dns = withPolicy("v=spf1 include:_spf.example.test -all");
        dns.addTxt("_spf.example.test", "google-site-verification=abc");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::PermError);
        CHECK_THAT(failure.message, Catch::Equals("spf:example.test: include:_spf.example.test: "
                                                  "permerror: _spf.example.test publishes no SPF "
                                                  "record (RFC 7208 5.2)"));
    }
    SECTION("none: the included domain does not exist") {
        auto dns = withPolicy("v=spf1 include:gone.invalid -all");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::PermError);
        CHECK_THAT(failure.message, Catch::Contains("gone.invalid does not exist (RFC 7208 5.2)"));
    }
}

TEST_CASE("RFC 7208 6.1: redirect decides for what nothing matched", "[unit][spf]") {
    auto dns =
        withPolicy("v=spf1 ip4:192.0.2.0/24 -ip4:198.51.100.0/25 redirect=_spf.example.test");
    dns.addTxt("_spf.example.test", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all");
    const SpfFlattening result = flattenSpf("example.test", dns);
    REQUIRE(result.prefixes.size() == 3);
    CHECK(result.prefixes[0].str() == "192.0.2.0/24");
    CHECK(result.prefixes[1].str() == "198.51.100.128/25");  // the -ip4 half stays failed
    CHECK(result.prefixes[2].str() == "2001:db8::/32");
    CHECK(result.dnsLookups == 1);
}

TEST_CASE("RFC 7208 6.1: redirect is ignored when the record has all", "[unit][spf]") {
    for (const char* all : {"-all", "~all", "?all"}) {
        INFO(all);
        // redirect= written before all: position does not matter.
        auto dns =
            withPolicy(std::string("v=spf1 ip4:192.0.2.0/24 redirect=_spf.example.test ") + all);
        dns.addTxt("_spf.example.test", "v=spf1 ip4:198.51.100.0/24 -all");
        CHECK(flattened(dns) == Strings{"192.0.2.0/24"});
        CHECK(dns.asked("TXT _spf.example.test") == 0);
    }
}

TEST_CASE("RFC 7208 6.1: redirect to a domain without a record is a permerror", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 redirect=_spf.example.test");
    dns.addName("_spf.example.test");
    CHECK_THAT(failureOf(dns).message,
               Catch::Equals("spf:example.test: redirect=_spf.example.test: permerror: "
                             "_spf.example.test publishes no SPF record (RFC 7208 6.1)"));
}

TEST_CASE("include and redirect loops are a permerror naming the loop", "[unit][spf]") {
    auto includeLoop = withPolicy("v=spf1 include:_spf.example.test -all");
    includeLoop.addTxt("_spf.example.test", "v=spf1 include:example.test -all");
    CHECK_THAT(failureOf(includeLoop).message,
               Catch::Equals("spf:_spf.example.test (via example.test): include:example.test: "
                             "permerror: loop: example.test is already being evaluated"));
    auto redirectLoop = withPolicy("v=spf1 redirect=%{d}");
    CHECK_THAT(failureOf(redirectLoop).message, Catch::Contains("redirect=%{d}: permerror: loop"));
}

TEST_CASE("an error deep in includes names the record and the way there", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 include:a.example.test -all");
    dns.addTxt("a.example.test", "v=spf1 ip4:192.0.2.0/24 redirect=b.example.test");
    dns.addTxt("b.example.test", "v=spf1 ip4:198.51.100.0/24 ptr -all");
    const auto failure = failureOf(dns);
    CHECK(failure.failure == SpfFailure::Unflattenable);
    CHECK_THAT(failure.message,
               Catch::StartsWith("spf:b.example.test (via example.test, a.example.test): ptr: "
                                 "cannot be flattened: ptr matches by the client's reverse DNS"));
}

TEST_CASE("the same record included twice is no loop", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 include:a.example.test include:b.example.test -all");
    dns.addTxt("a.example.test", "v=spf1 include:common.example.test ip4:192.0.2.0/25 -all");
    dns.addTxt("b.example.test", "v=spf1 include:common.example.test ip4:192.0.2.128/25 -all");
    dns.addTxt("common.example.test", "v=spf1 ip6:2001:db8::/32 -all");
    const SpfFlattening result = flattenSpf("example.test", dns);
    REQUIRE(result.prefixes.size() == 2);
    CHECK(result.prefixes[0].str() == "192.0.2.0/24");
    CHECK(result.dnsLookups == 4);
}

TEST_CASE("RFC 7208 4.3: a malformed target or domain is a permerror", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 a:%{d}..example.test -all");
    CHECK_THAT(
        failureOf(dns).message,
        Catch::Equals("spf:example.test: a:%{d}..example.test: permerror: "
                      "'example.test..example.test' is not a valid domain name (RFC 7208 4.3)"));
    const std::string longLabel(64, 'x');
    auto tooLong = withPolicy("v=spf1 include:" + longLabel + ".example.test -all");
    CHECK_THAT(failureOf(tooLong).message, Catch::Contains("is not a valid domain name"));
    for (const char* domain : {"", "test", "example..test", "."}) {
        INFO("domain '" << domain << "'");
        FakeResolver empty;
        CHECK_THAT(failureOf(empty, domain).message, Catch::Contains("is not a valid domain name"));
        CHECK(empty.log().empty());
    }
}
