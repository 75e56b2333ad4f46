// What a DNS response may contribute to an SPF lookup (answerFromPacket):
// only records of the asked type owned by the asked name or by the end of
// its CNAME chain; loops, long chains and oversized answers are refused.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "dns_resolver.hpp"

// Last: ldns's headers define `bool` and `false` as macros for C, which
// would break the C++ headers above.
#include <ldns/ldns.h>

using namespace xdpguard;

namespace {

// A response built from zone-file lines, all in the answer section.
class Response {
public:
    explicit Response(const std::vector<std::string>& answers, ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR)
        : packet_(ldns_pkt_new(), &ldns_pkt_free) {
        ldns_pkt_set_rcode(packet_.get(), static_cast<uint8_t>(rcode));
        for (const std::string& line : answers) {
            ldns_rr* rr = nullptr;
            REQUIRE(ldns_rr_new_frm_str(&rr, line.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
            ldns_pkt_push_rr(packet_.get(), LDNS_SECTION_ANSWER, rr);
        }
    }
    DnsAnswer txt(const std::string& name) const { return answerFromPacket(*packet_, name, LDNS_RR_TYPE_TXT); }
    DnsAnswer a(const std::string& name) const { return answerFromPacket(*packet_, name, LDNS_RR_TYPE_A); }

private:
    std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)> packet_;
};

// CNAMEs c0 -> c1 -> ... -> cN, then cN's SPF record.
std::vector<std::string> cnameChain(size_t cnames) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < cnames; ++i)
        lines.push_back("c" + std::to_string(i) + ".example. 300 IN CNAME c" + std::to_string(i + 1) + ".example.");
    lines.push_back("c" + std::to_string(cnames) + ".example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"");
    return lines;
}

}  // namespace

TEST_CASE("an answer gives the records of the asked name and type, in any letter case", "[unit][dns]") {
    const Response response({"Mail.EXAMPLE. 120 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24 -all\"",
                             "mail.example. 300 IN A 192.0.2.1"});
    const DnsAnswer answer = response.txt("mail.example");
    REQUIRE(answer.status == DnsAnswer::Status::Ok);
    CHECK(answer.records == std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
    CHECK(answer.minTtl == 120);
    CHECK(response.a("mail.example.").records == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("records owned by another name than the asked one are ignored", "[unit][dns]") {
    const Response response({"evil.example. 300 IN TXT \"v=spf1 ip4:0.0.0.0/0 -all\"",
                             "mail.example.evil. 300 IN TXT \"v=spf1 +all\"",
                             "mail.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\""});
    CHECK(response.txt("mail.example").records == std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
    CHECK(response.txt("other.example").records.empty());
}

TEST_CASE("a CNAME chain is followed to its end and only that name's records count", "[unit][dns]") {
    std::vector<std::string> lines = cnameChain(2);
    lines.push_back("c0.example. 30 IN TXT \"v=spf1 +all\"");  // beside a CNAME: not what the chain leads to
    lines.push_back("c1.example. 30 IN TXT \"v=spf1 +all\"");
    const DnsAnswer answer = Response(lines).txt("c0.example");
    REQUIRE(answer.status == DnsAnswer::Status::Ok);
    CHECK(answer.records == std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"});
}

TEST_CASE("a CNAME's TTL bounds the answer's", "[unit][dns]") {
    const DnsAnswer answer = Response({"a.example. 60 IN CNAME b.example.", "b.example. 300 IN A 192.0.2.1"})
                                 .a("a.example");
    CHECK(answer.records == std::vector<std::string>{"192.0.2.1"});
    CHECK(answer.minTtl == 60);
}

TEST_CASE("a CNAME loop is a temporary failure naming the loop", "[unit][dns]") {
    const Response response({"loop1.example. 300 IN CNAME loop2.example.",
                             "loop2.example. 300 IN CNAME LOOP1.example.",
                             "loop1.example. 300 IN TXT \"v=spf1 +all\""});
    const DnsAnswer answer = response.txt("loop1.example");
    CHECK(answer.status == DnsAnswer::Status::TempFail);
    CHECK(answer.records.empty());
    CHECK_THAT(answer.error, Catch::Contains("CNAME loop: loop1.example leads back to"));
    CHECK(Response({"self.example. 300 IN CNAME self.example."}).txt("self.example").status ==
          DnsAnswer::Status::TempFail);
}

TEST_CASE("a CNAME chain is followed up to its bound, no further", "[unit][dns]") {
    const DnsAnswer longest = Response(cnameChain(kDnsMaxCnames)).txt("c0.example");
    REQUIRE(longest.status == DnsAnswer::Status::Ok);
    CHECK(longest.records.size() == 1);
    const DnsAnswer tooLong = Response(cnameChain(kDnsMaxCnames + 1)).txt("c0.example");
    CHECK(tooLong.status == DnsAnswer::Status::TempFail);
    CHECK_THAT(tooLong.error, Catch::Contains("CNAME chain from c0.example longer than " +
                                              std::to_string(kDnsMaxCnames)));
}

TEST_CASE("an answer with more records than the bound is refused", "[unit][dns]") {
    std::vector<std::string> lines;
    for (size_t i = 0; i < kDnsMaxRecords; ++i)
        lines.push_back("many.example. 300 IN A 198.51.100." + std::to_string(i % 256));
    CHECK(Response(lines).a("many.example").records.size() == kDnsMaxRecords);
    lines.push_back("many.example. 300 IN A 203.0.113.1");
    const DnsAnswer answer = Response(lines).a("many.example");
    CHECK(answer.status == DnsAnswer::Status::TempFail);
    CHECK(answer.records.empty());
    CHECK_THAT(answer.error, Catch::Contains("more than " + std::to_string(kDnsMaxRecords) + " records"));
}

TEST_CASE("TXT records over the size bound together are refused", "[unit][dns]") {
    const std::string string255(255, 'a');  // the longest character-string
    const std::string record = "big.example. 300 IN TXT \"" + string255 + "\" \"" + string255 + "\"";
    const size_t fitting = kDnsMaxTxtBytes / (2 * 255);
    std::vector<std::string> lines(fitting, record);
    CHECK(Response(lines).txt("big.example").records.size() == fitting);
    lines.push_back(record);
    const DnsAnswer answer = Response(lines).txt("big.example");
    CHECK(answer.status == DnsAnswer::Status::TempFail);
    CHECK_THAT(answer.error, Catch::Contains("exceed " + std::to_string(kDnsMaxTxtBytes) + " bytes"));
}

TEST_CASE("NXDOMAIN and server failures keep their meaning", "[unit][dns]") {
    CHECK(Response({}, LDNS_RCODE_NXDOMAIN).txt("gone.example").status == DnsAnswer::Status::NxDomain);
    const DnsAnswer failed = Response({}, LDNS_RCODE_SERVFAIL).txt("mail.example");
    CHECK(failed.status == DnsAnswer::Status::TempFail);
    CHECK_THAT(failed.error, Catch::Contains("rcode 2"));
    const DnsAnswer nodata = Response({}).txt("mail.example");
    CHECK(nodata.status == DnsAnswer::Status::Ok);
    CHECK(nodata.records.empty());
}
