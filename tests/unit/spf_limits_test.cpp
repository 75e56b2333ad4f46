// SPF flattening: record selection, processing limits, macros, the terms no
// address list can express, and TTLs (RFC 7208 4.5, 4.6.4, 5, 7).
#include <catch2/catch.hpp>
#include <string>

#include "fake_resolver.hpp"

using xdpguard::flattenSpf;
using xdpguard::SpfFailure;
using xdpguard::SpfFlattening;
using xdpguard::testing::failureOf;
using xdpguard::testing::FakeResolver;
using xdpguard::testing::flattened;
using xdpguard::testing::Strings;
using xdpguard::testing::withPolicy;

namespace {

// "a:h1.example.test ... a:hN.example.test", each host with one address.
std::string aTerms(FakeResolver& dns, int count) {
    std::string terms;
    for (int i = 1; i <= count; ++i) {
        const std::string host = "h" + std::to_string(i) + ".example.test";
        dns.addA(host, "192.0.2." + std::to_string(i));
        terms += " a:" + host;
    }
    return terms;
}

}  // namespace

TEST_CASE("RFC 7208 4.6.4: exactly 10 DNS lookups are allowed", "[unit][spf]") {
    FakeResolver dns;
    dns.addTxt("example.test", "v=spf1" + aTerms(dns, 10) + " -all");
    const SpfFlattening result = flattenSpf("example.test", dns);
    CHECK(result.dnsLookups == 10);
    CHECK(result.prefixes.size() == 5);  // 192.0.2.1 .. 192.0.2.10
}

TEST_CASE("RFC 7208 4.6.4: the 11th DNS lookup is a permerror", "[unit][spf]") {
    FakeResolver dns;
    dns.addTxt("example.test", "v=spf1" + aTerms(dns, 10) + " include:_spf.example.test -all");
    dns.addTxt("_spf.example.test", "v=spf1 ip4:198.51.100.0/24 -all");
    const auto failure = failureOf(dns);
    CHECK(failure.failure == SpfFailure::PermError);
    CHECK(failure.message ==
          "spf:example.test: include:_spf.example.test: permerror: more than 10 "
          "DNS lookups (RFC 7208 4.6.4)");
}

TEST_CASE("RFC 7208 4.6.4: included records share the lookup count", "[unit][spf]") {
    FakeResolver dns;
    dns.addTxt("example.test", "v=spf1 include:_spf.example.test -all");
    dns.addTxt("_spf.example.test", "v=spf1" + aTerms(dns, 10) + " -all");
    CHECK_THAT(failureOf(dns).message,
               Catch::Equals("spf:_spf.example.test (via example.test): a:h10.example.test: "
                             "permerror: more than 10 DNS lookups (RFC 7208 4.6.4)"));
}

TEST_CASE("RFC 7208 4.6.4: include, a, mx and redirect count; ip4, ip6, all, exp do not",
          "[unit][spf]") {
    auto dns = withPolicy(
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx include:_spf.example.test "
        "exp=explain.example.test redirect=_r.example.test");
    dns.addA("example.test", "198.51.100.1");
    for (int i = 1; i <= 3; ++i) {  // the exchanges' address lookups are not counted
        const std::string exchange = "mx" + std::to_string(i) + ".example.test";
        dns.addMx("example.test", exchange).addA(exchange, "198.51.100.1" + std::to_string(i));
    }
    dns.addTxt("_spf.example.test", "v=spf1 ip4:203.0.113.0/25");
    dns.addTxt("_r.example.test", "v=spf1 ip4:203.0.113.128/25 -all");
    const SpfFlattening result = flattenSpf("example.test", dns);
    CHECK(result.dnsLookups == 4);
    CHECK(result.voidLookups == 0);
    CHECK(dns.asked("TXT explain.example.test") == 0);
    Strings prefixes;
    for (const auto& prefix : result.prefixes) prefixes.push_back(prefix.str());
    CHECK(prefixes == Strings{"192.0.2.0/24", "198.51.100.1/32", "198.51.100.11/32",
                              "198.51.100.12/31", "203.0.113.0/24", "2001:db8::/32"});
}

TEST_CASE("RFC 7208 4.6.4: two void lookups are allowed, the third is a permerror", "[unit][spf]") {
    const std::string twoVoids =
        "v=spf1 a:gone.invalid mx:empty.example.test a:v6only.example.test ip4:192.0.2.0/24";
    auto dns = withPolicy(twoVoids + " -all");
    dns.addName("empty.example.test");                  // exists, but no MX: NODATA is void too
    dns.addAaaa("v6only.example.test", "2001:db8::1");  // A empty, AAAA not: not void
    const SpfFlattening result = flattenSpf("example.test", dns);
    CHECK(result.voidLookups == 2);
    CHECK(result.dnsLookups == 3);

    auto three = withPolicy(twoVoids + " a:gone2.invalid -all");
    three.addName("empty.example.test").addAaaa("v6only.example.test", "2001:db8::1");
    CHECK(failureOf(three).message ==
          "spf:example.test: a:gone2.invalid: permerror: more than 2 "
          "void lookups, answers with no records (RFC 7208 4.6.4)");
}

TEST_CASE("RFC 7208 4.5: two SPF records are a permerror; other TXT records are ignored",
          "[unit][spf]") {
    auto two = withPolicy("v=spf1 ip4:192.0.2.0/24 -all");
    two.addTxt("example.test", "V=SPF1 -all");
    CHECK(failureOf(two).message ==
          "spf:example.test: permerror: example.test publishes 2 SPF records; RFC 7208 4.5 allows "
          "one");

    auto others = withPolicy("v=spf1 ip4:192.0.2.0/24 -all");
    others.addTxt("example.test", "v=spf10 ip4:198.51.100.0/24").addTxt("example.test", "x=v=spf1");
    others.addTxt("example.test", "v=spf2.0/mfrom ip4:203.0.113.0/24");
    CHECK(flattened(others) == Strings{"192.0.2.0/24"});

    auto included = withPolicy("v=spf1 include:_spf.example.test -all");
    included.addTxt("_spf.example.test", "v=spf1 -all").addTxt("_spf.example.test", "v=spf1");
    CHECK_THAT(failureOf(included).message,
               Catch::StartsWith("spf:example.test: include:_spf.example.test: permerror: "
                                 "_spf.example.test publishes 2 SPF records"));
}

TEST_CASE("RFC 7208 3.3: a TXT record of several strings is one record", "[unit][spf]") {
    // The resolver concatenates the strings; a string boundary is no separator.
    auto dns = withPolicy(std::string("v=spf1 ip4:192.0.2.0/24") + " ip6:2001:db8::/32" + " -all");
    CHECK(flattened(dns) == Strings{"192.0.2.0/24", "2001:db8::/32"});
    auto glued = withPolicy(std::string("v=spf1 ip4:192.0.2.0/24") + "-all");
    CHECK_THAT(failureOf(glued).message, Catch::Contains("ip4:192.0.2.0/24-all: permerror"));
}

TEST_CASE("RFC 7208 4.6.1: the record and its names are case-insensitive", "[unit][spf]") {
    auto dns = withPolicy("V=SPF1 IP4:192.0.2.0/24 INCLUDE:_SPF.Example.TEST -ALL");
    dns.addTxt("_spf.example.test", "v=spf1 IP6:2001:DB8::/32 -All");
    CHECK(flattened(dns) == Strings{"192.0.2.0/24", "2001:db8::/32"});
    CHECK(flattened(dns, "Example.TEST.") == Strings{"192.0.2.0/24", "2001:db8::/32"});
}

TEST_CASE("the flattened domain must publish exactly one record", "[unit][spf]") {
    FakeResolver nx;
    CHECK(failureOf(nx).message == "spf:example.test: permerror: example.test does not exist");
    FakeResolver none;
    none.addTxt("example.test", "not spf");
    CHECK(failureOf(none).message ==
          "spf:example.test: permerror: example.test publishes no SPF record");
    FakeResolver broken;
    broken.tempFail(FakeResolver::Type::Txt, "example.test");
    const auto failure = failureOf(broken);
    CHECK(failure.failure == SpfFailure::TempError);
    CHECK(failure.message ==
          "spf:example.test: temperror: TXT lookup for example.test failed: SERVFAIL");

    auto empty = withPolicy("v=spf1");  // neutral for everyone: nothing passes
    CHECK(flattened(empty).empty());
}

TEST_CASE("+all cannot be flattened: it passes the whole Internet", "[unit][spf]") {
    for (const char* record : {"v=spf1 ip4:192.0.2.0/24 +all", "v=spf1 all"}) {
        INFO(record);
        auto dns = withPolicy(record);
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::Unflattenable);
        CHECK_THAT(
            failure.message,
            Catch::EndsWith("all: cannot be flattened: +all would allow the whole Internet"));
    }
    auto included = withPolicy("v=spf1 include:_spf.example.test -all");
    included.addTxt("_spf.example.test", "v=spf1 +all");
    CHECK_THAT(
        failureOf(included).message,
        Catch::StartsWith("spf:_spf.example.test (via example.test): +all: cannot be flattened"));
    // Nothing is left for +all to pass.
    auto nothingLeft = withPolicy("v=spf1 ip4:192.0.2.0/24 -ip4:0.0.0.0/0 -ip6:::/0 +all");
    CHECK(flattened(nothingLeft) == Strings{"192.0.2.0/24"});
}

TEST_CASE("RFC 7208 5.5, 5.7: ptr and exists cannot be flattened", "[unit][spf]") {
    for (const char* term :
         {"ptr", "-ptr:example.test", "exists:%{l}.example.test", "?exists:_spf.example.test"}) {
        INFO(term);
        auto dns = withPolicy(std::string("v=spf1 ip4:192.0.2.0/24 ") + term + " -all");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::Unflattenable);
        CHECK_THAT(failure.message, Catch::StartsWith(std::string("spf:example.test: ") + term +
                                                      ": cannot be flattened: "));
    }
    auto afterAll = withPolicy("v=spf1 ip4:192.0.2.0/24 -all ptr");  // never reached
    CHECK(flattened(afterAll) == Strings{"192.0.2.0/24"});
}

TEST_CASE("RFC 7208 7.3: %{d} expands to the domain being evaluated", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 include:_spf.%{d} -all");
    dns.addTxt("_spf.example.test", "v=spf1 a:gw.%{d} a:%{d2}.%{d1r}.example.test -all");
    dns.addA("gw._spf.example.test", "192.0.2.1");
    dns.addA("example.test._spf.example.test", "192.0.2.2");
    CHECK(flattened(dns) == Strings{"192.0.2.1/32", "192.0.2.2/32"});
    CHECK(dns.asked("A gw._spf.example.test") == 1);
}

TEST_CASE("RFC 7208 7.3: transformers, delimiters and escapes of %{d}", "[unit][spf]") {
    FakeResolver dns;
    dns.addTxt("mail-out.example.test",
               "v=spf1 a:%{dr}.r.example.test a:%{d1r-}.p.example.test a:%{D}.u.example.test "
               "a:%{d3}%%%_%-.example.test -all");
    const char* expansions[] = {"test.example.mail-out.r.example.test", "mail.p.example.test",
                                "mail-out.example.test.u.example.test",
                                "mail-out.example.test% %20.example.test"};
    for (int i = 0; i < 4; ++i) dns.addA(expansions[i], "192.0.2." + std::to_string(i + 1));
    CHECK(flattened(dns, "mail-out.example.test").size() == 3);  // .1 .2/31 .4
    for (const char* name : expansions) CHECK(dns.asked(std::string("A ") + name) == 1);
}

TEST_CASE("RFC 7208 7.3: an expansion over 253 characters loses labels on the left",
          "[unit][spf]") {
    const std::string label(63, 'x');
    const std::string domain = label + "." + label + "." + label + ".example.test";  // 204 chars
    FakeResolver dns;
    dns.addTxt(domain, "v=spf1 a:%{d}.%{d} -all");
    dns.addA("example.test." + domain, "192.0.2.1");
    CHECK(flattened(dns, domain) == Strings{"192.0.2.1/32"});
}

TEST_CASE("RFC 7208 7.2: macros that differ per client cannot be flattened", "[unit][spf]") {
    for (const char* macro :
         {"%{s}", "%{l}", "%{o}", "%{i}", "%{p}", "%{h}", "%{v}", "%{ir}", "%{I}"}) {
        const std::string term = std::string("include:") + macro + "._spf.example.test";
        INFO(term);
        auto dns = withPolicy("v=spf1 ip4:192.0.2.0/24 " + term + " -all");
        const auto failure = failureOf(dns);
        CHECK(failure.failure == SpfFailure::Unflattenable);
        CHECK_THAT(failure.message,
                   Catch::StartsWith("spf:example.test: " + term + ": cannot be flattened: macro " +
                                     macro + " ("));
        CHECK(dns.log().size() == 1);  // only the policy itself was fetched
    }
    auto redirect = withPolicy("v=spf1 redirect=%{o}");
    CHECK_THAT(
        failureOf(redirect).message,
        Catch::StartsWith("spf:example.test: redirect=%{o}: cannot be flattened: macro %{o}"));
}

TEST_CASE("RFC 7208 7.3: c, r and t outside exp text are a permerror", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 a:%{c}.example.test -all");
    const auto failure = failureOf(dns);
    CHECK(failure.failure == SpfFailure::PermError);
    CHECK_THAT(failure.message, Catch::Contains("allowed only in exp= explanation text"));
}

TEST_CASE("RFC 7208 6.2: exp= is ignored, whatever macros it uses", "[unit][spf]") {
    auto dns = withPolicy("v=spf1 ip4:192.0.2.0/24 exp=%{i}.explain.example.test -all");
    CHECK(flattened(dns) == Strings{"192.0.2.0/24"});
    CHECK(dns.log() == Strings{"TXT example.test"});
}

TEST_CASE("minTtl is the smallest TTL of every answer consulted", "[unit][spf]") {
    FakeResolver dns;
    dns.addTxt("example.test", "v=spf1 include:_spf.example.test mx -all", 3600);
    dns.addTxt("_spf.example.test", "v=spf1 a:gw.example.test ip4:192.0.2.0/24", 900);
    dns.addA("gw.example.test", "198.51.100.1", 600).addAaaa("gw.example.test", "2001:db8::1", 300);
    dns.addMx("example.test", "mx.example.test", 1800).addA("mx.example.test", "203.0.113.25", 120);
    dns.addTxt("unrelated.example.test", "v=spf1 -all", 1);
    CHECK(flattenSpf("example.test", dns).minTtl == 120);

    auto onlyTxt = withPolicy("v=spf1 ip4:192.0.2.0/24 -all");  // default TTL 3600
    CHECK(flattenSpf("example.test", onlyTxt).minTtl == 3600);
}

TEST_CASE("an SPF import refuses prefixes broader than /8 or /16, like +all", "[unit][spf]") {
    using xdpguard::Prefix;
    xdpguard::SpfFlattening wide;
    wide.prefixes = {Prefix::parse("192.0.2.0/24"), Prefix::parse("0.0.0.0/1")};
    CHECK_THROWS_WITH(xdpguard::refuseOverbroad(wide, "example.test"),
                      Catch::Contains("spf:example.test: the policy passes 0.0.0.0/1, broader than /8"));
    wide.prefixes = {Prefix::parse("2000::/15")};
    CHECK_THROWS_WITH(xdpguard::refuseOverbroad(wide, "example.test"), Catch::Contains("broader than /16"));
    xdpguard::SpfFlattening provider;
    provider.prefixes = {Prefix::parse("198.0.0.0/8"), Prefix::parse("2001::/16")};
    CHECK_NOTHROW(xdpguard::refuseOverbroad(provider, "example.test"));
}
