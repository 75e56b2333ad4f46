// Parsing one SPF record (RFC 7208 4.5, 4.6, 5, 6, 7, 12): what is a record,
// what each term means, and that a syntax error anywhere is a permerror.
#include <catch2/catch.hpp>
#include <string>

#include "spf_record.hpp"

using xdpguard::Prefix;
using xdpguard::SpfError;
using xdpguard::SpfFailure;
using xdpguard::SpfMechanismKind;
using xdpguard::SpfQualifier;
using xdpguard::SpfRecord;

namespace {

const std::string kOrigin = "spf:example.test";

SpfRecord parsed(const std::string& text) { return SpfRecord::parse(text, kOrigin); }

// The permerror message of parsing `text`.
std::string syntaxError(const std::string& text) {
    try {
        SpfRecord::parse(text, kOrigin);
    } catch (const SpfError& e) {
        CHECK(e.failure() == SpfFailure::PermError);
        return e.what();
    }
    FAIL("'" << text << "' was accepted");
    return {};
}

}  // namespace

TEST_CASE("RFC 7208 4.5: a record starts with v=spf1 and a space or the end", "[unit][spf]") {
    for (const char* yes : {"v=spf1", "v=spf1 -all", "V=SPF1 -all", "v=Spf1  ip4:192.0.2.0/24"}) {
        INFO(yes);
        CHECK(SpfRecord::isSpf(yes));
    }
    for (const char* no : {"", "v=spf", "v=spf10", "v=spf1x -all", "v=spf1\t-all", " v=spf1",
                           "spf1 -all", "v=spf2.0/pra -all", "google-site-verification=x"}) {
        INFO(no);
        CHECK_FALSE(SpfRecord::isSpf(no));
    }
    CHECK_THAT(syntaxError("v=spf10 -all"), Catch::Contains("must begin with \"v=spf1\""));
}

TEST_CASE("RFC 7208 4.6.2: mechanisms keep their order and qualifiers", "[unit][spf]") {
    const SpfRecord record = parsed(
        "v=spf1 ip4:192.0.2.0/24 +ip6:2001:db8::/32 -a ~mx ?include:_spf.example.test "
        "-ptr ?exists:%{i}.example.test -all");
    REQUIRE(record.mechanisms.size() == 8);
    using K = SpfMechanismKind;
    using Q = SpfQualifier;
    const std::pair<K, Q> expected[] = {
        {K::Ip4, Q::Pass},        {K::Ip6, Q::Pass}, {K::A, Q::Fail},         {K::Mx, Q::SoftFail},
        {K::Include, Q::Neutral}, {K::Ptr, Q::Fail}, {K::Exists, Q::Neutral}, {K::All, Q::Fail}};
    for (size_t i = 0; i < record.mechanisms.size(); ++i) {
        INFO("term " << record.mechanisms[i].text);
        CHECK(record.mechanisms[i].kind == expected[i].first);
        CHECK(record.mechanisms[i].qualifier == expected[i].second);
    }
    CHECK(record.mechanisms[0].network->str() == "192.0.2.0/24");
    CHECK(record.mechanisms[4].domainSpec == "_spf.example.test");
    CHECK(record.mechanisms[4].text == "?include:_spf.example.test");
    CHECK_FALSE(record.redirect);
}

TEST_CASE("RFC 7208 4.6.1: names and the version are case-insensitive", "[unit][spf]") {
    const SpfRecord record = parsed(
        "V=SPF1 IP4:192.0.2.0/24 Ip6:2001:DB8::/32 INCLUDE:_SPF.EXAMPLE.TEST MX A -ALL "
        "REDIRECT=other.example.test");
    REQUIRE(record.mechanisms.size() == 6);
    CHECK(record.mechanisms[1].network->str() == "2001:db8::/32");
    CHECK(record.mechanisms[2].kind == SpfMechanismKind::Include);
    CHECK(record.mechanisms[5].kind == SpfMechanismKind::All);
    CHECK(record.redirect == "other.example.test");
}

TEST_CASE("RFC 7208 5.6: ip4/ip6 with host bits set are masked, not refused", "[unit][spf]") {
    const SpfRecord record = parsed("v=spf1 ip4:192.0.2.77/24 ip6:2001:db8::1/32 ip4:192.0.2.1");
    CHECK(record.mechanisms[0].network->str() == "192.0.2.0/24");
    CHECK(record.mechanisms[1].network->str() == "2001:db8::/32");
    CHECK(record.mechanisms[2].network->str() == "192.0.2.1/32");
    CHECK(parsed("v=spf1 ip4:192.0.2.1/0").mechanisms[0].network->str() == "0.0.0.0/0");
}

TEST_CASE("RFC 7208 5.3/5.4: a and mx take an optional domain and dual CIDR", "[unit][spf]") {
    const SpfRecord record = parsed(
        "v=spf1 a a:mail.example.test a:mail.example.test/24//64 a//64 mx/24 "
        "mx:mx.example.test//48 "
        "a/0//0");
    const auto& m = record.mechanisms;
    REQUIRE(m.size() == 7);
    CHECK((m[0].domainSpec.empty() && m[0].cidr4 == 32 && m[0].cidr6 == 128));
    CHECK((m[1].domainSpec == "mail.example.test" && m[1].cidr4 == 32 && m[1].cidr6 == 128));
    CHECK((m[2].domainSpec == "mail.example.test" && m[2].cidr4 == 24 && m[2].cidr6 == 64));
    CHECK((m[3].domainSpec.empty() && m[3].cidr4 == 32 && m[3].cidr6 == 64));
    CHECK((m[4].kind == SpfMechanismKind::Mx && m[4].cidr4 == 24 && m[4].cidr6 == 128));
    CHECK((m[5].domainSpec == "mx.example.test" && m[5].cidr4 == 32 && m[5].cidr6 == 48));
    CHECK((m[6].cidr4 == 0 && m[6].cidr6 == 0));
}

TEST_CASE("RFC 7208 6: redirect and exp are kept, unknown modifiers ignored", "[unit][spf]") {
    const SpfRecord record = parsed(
        "v=spf1 exp=explain.example.test -ip4:192.0.2.1 redirect=_spf.example.test "
        "moo.cow-far_out=man:dog/cat v=spf1 x-macro=%{i}%{c}%{r}%{t}");
    CHECK(record.mechanisms.size() == 1);
    CHECK(record.redirect == "_spf.example.test");
    CHECK(record.explanation == "explain.example.test");
}

TEST_CASE("RFC 7208 4.6.1: terms are separated by one or more spaces", "[unit][spf]") {
    CHECK(parsed("v=spf1    ip4:192.0.2.0/24   -all  ").mechanisms.size() == 2);
    CHECK(parsed("v=spf1").mechanisms.empty());
    CHECK(parsed("v=spf1 ").mechanisms.empty());
}

TEST_CASE("RFC 7208 7.1: valid macros in domain-specs parse", "[unit][spf]") {
    const SpfRecord record = parsed(
        "v=spf1 include:_spf.%{d} a:%{d2r+-}.example.test mx:%{D}.example.test "
        "exists:%{i}._spf.%{d} include:x%%y%_z%-.example.test redirect=%{d1}.example.test.");
    CHECK(record.mechanisms[0].domainSpec == "_spf.%{d}");
    CHECK(record.mechanisms[1].domainSpec == "%{d2r+-}.example.test");
    CHECK(record.redirect == "%{d1}.example.test.");
}

TEST_CASE("RFC 7208 4.6: a syntax error in any term is a permerror naming it", "[unit][spf]") {
    struct Case {
        const char* term;
        const char* reason;
    };
    const Case cases[] = {
        {"ip4:192.0.2.0/33", "prefix length"},
        {"ip4:192.0.2.0/024", "no leading zeros"},
        {"ip4:192.0.2.0/", "prefix length"},
        {"ip4:192.0.2", "not an IPv4 address"},
        {"ip4:2001:db8::1", "not an IPv4 address"},
        {"ip4:192.0.2.1/24/8", "prefix length"},
        {"ip4", "needs ':'"},
        {"ip4:", "not an IPv4 address"},
        {"ip6:2001:db8::/129", "prefix length"},
        {"ip6:192.0.2.1", "not an IPv6 address"},
        {"ip6:2001:db8:::/32", "not an IPv6 address"},
        {"a/33", "prefix length"},
        {"a//129", "prefix length"},
        {"a:", "domain is missing"},
        {"mx:/24", "domain is missing"},
        {"a:example.test/", "top-level label"},
        {"a:example.test/24/64", "not an IPv4 prefix length"},
        {"a//64/24", "expected ':'"},
        {"include", "needs ':'"},
        {"include:", "domain is missing"},
        {"include:example", "top-level label"},
        {"include:192.0.2.1", "top-level label"},
        {"include:example.test/24", "top-level label"},
        {"include:example.-test", "top-level label"},
        {"exists", "needs ':'"},
        {"all:example.test", "all takes no"},
        {"-all/24", "all takes no"},
        {"+", "qualifier must be followed"},
        {"?:example.test", "qualifier must be followed"},
        {"foo", "unknown mechanism 'foo'"},
        {"foo:example.test", "unknown mechanism"},
        {"+redirect=example.test", "unknown mechanism"},
        {"redirect=", "domain is missing"},
        {"include:%{z}.example.test", "no letter SPF defines"},
        {"include:%{d0}.example.test", "must not be 0"},
        {"include:%{d}%", "'%' is not a macro"},
        {"include:%{d.example.test", "no closing"},
        {"include:%x.example.test", "'%x' is not a macro"},
        {"include:%{}.example.test", "no letter"},
        {"include:%{d2*}.example.test", "not a delimiter"},
        {"include:%{c}.example.test", "only in exp="},
        {"a:%{r}.example.test", "only in exp="},
        {"exp=%{t}.example.test", "only in exp="},
        {"unknown=%{", "no closing"},
        {"unknown=100%", "is not a macro"},
    };
    for (const Case& c : cases) {
        INFO("term: " << c.term);
        const std::string message =
            syntaxError(std::string("v=spf1 ip4:192.0.2.0/24 ") + c.term + " -all");
        CHECK_THAT(message, Catch::StartsWith(kOrigin + ": " + c.term + ": permerror: "));
        CHECK_THAT(message, Catch::Contains(c.reason));
    }
}

TEST_CASE("RFC 7208 4.6: a syntax error after all is still a permerror", "[unit][spf]") {
    CHECK_THAT(syntaxError("v=spf1 -all ip4:192.0.2.300"),
               Catch::Contains("ip4:192.0.2.300: permerror"));
}

TEST_CASE("RFC 7208 6: redirect and exp may appear only once", "[unit][spf]") {
    CHECK_THAT(
        syntaxError("v=spf1 redirect=a.example.test redirect=b.example.test"),
        Catch::Contains("redirect=b.example.test: permerror: redirect= appears more than once"));
    CHECK_THAT(syntaxError("v=spf1 exp=a.example.test EXP=b.example.test"),
               Catch::Contains("exp= appears more than once"));
}

TEST_CASE("RFC 7208 3.3: TXT strings joined without a space break the record", "[unit][spf]") {
    // "v=spf1 ip4:192.0.2.0/24" "-all" concatenates to one broken term.
    CHECK_THAT(syntaxError(std::string("v=spf1 ip4:192.0.2.0/24") + "-all"),
               Catch::Contains("ip4:192.0.2.0/24-all: permerror"));
    CHECK(parsed(std::string("v=spf1 ip4:192.0.2.0/24") + " -all").mechanisms.size() == 2);
}

TEST_CASE("control and non-ASCII characters in a domain-spec are refused", "[unit][spf]") {
    CHECK_THAT(syntaxError("v=spf1 include:ex\tample.test"), Catch::Contains("control"));
    CHECK_THAT(syntaxError("v=spf1 include:b\xc3\xbc"
                           "cher.example.test"),
               Catch::Contains("non-ASCII"));
}
