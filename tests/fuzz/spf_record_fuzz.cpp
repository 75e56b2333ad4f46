// SpfRecord::parse on an arbitrary TXT string (what a DNS server may send):
// it returns the record's terms or throws SpfError(PermError) naming the
// origin; an accepted term is well-formed by RFC 7208's grammar, and every
// domain-spec it keeps can be checked and expanded without any other error.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "spf_macro.hpp"
#include "spf_record.hpp"

using namespace xdpguard;
using fuzz::require;

namespace {

constexpr const char* kOrigin = "spf:example.test";

std::vector<std::string_view> termsOf(std::string_view text) {
    std::vector<std::string_view> terms;
    for (size_t pos = 6; pos < text.size();) {
        const size_t end = std::min(text.find(' ', pos), text.size());
        if (end > pos) terms.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return terms;
}

// ip4-network and ip6-network with an optional length: RFC 7208 5.6.
void checkNetworkTerm(const SpfMechanism& mechanism, std::string_view record) {
    const std::string_view text = mechanism.text;
    const std::string_view argument = text.substr(text.find(':') + 1);
    const bool v4 = mechanism.kind == SpfMechanismKind::Ip4;
    const char* allowed = v4 ? "0123456789./" : "0123456789abcdefABCDEF.:/";
    require(argument.find_first_not_of(allowed) == std::string_view::npos,
            "an accepted ip4/ip6 term is an address and length only", record);
    require(mechanism.network && mechanism.network->family() == (v4 ? Family::V4 : Family::V6),
            "an ip4/ip6 term has a network of its family", record);
}

void checkDomainSpecOf(const SpfMechanism& mechanism) {
    if (mechanism.domainSpec.empty()) return;
    checkDomainSpec(mechanism.domainSpec);  // throws: parse kept a spec it would refuse
    try {
        expandDomainSpec(mechanism.domainSpec, "example.test");
    } catch (const SpfError& e) {
        require(e.failure() == SpfFailure::Unflattenable,
                "a kept domain-spec expands or is unflattenable", mechanism.text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::asText(data, size);
    SpfRecord record;
    try {
        record = SpfRecord::parse(text, kOrigin);
    } catch (const SpfError& e) {
        require(e.failure() == SpfFailure::PermError, "a bad record is a permerror");
        require(std::string(e.what()).starts_with(std::string(kOrigin) + ": "),
                "the error names the origin", e.what());
        return 0;
    }
    require(SpfRecord::isSpf(text), "only a v=spf1 record parses", text);
    require(fuzz::spfCharactersOnly(text),
            "an accepted record is visible ASCII and spaces (RFC 7208 12)", text);
    const std::vector<std::string_view> terms = termsOf(text);
    size_t next = 0;
    for (const SpfMechanism& mechanism : record.mechanisms) {
        while (next < terms.size() && terms[next] != mechanism.text) ++next;
        require(next++ < terms.size(), "mechanisms are the record's terms in order", text);
        require(mechanism.cidr4 <= 32 && mechanism.cidr6 <= 128, "dual-cidr-length in range", text);
        if (mechanism.kind == SpfMechanismKind::Ip4 || mechanism.kind == SpfMechanismKind::Ip6)
            checkNetworkTerm(mechanism, text);
        checkDomainSpecOf(mechanism);
    }
    if (record.redirect) checkDomainSpec(*record.redirect);
    if (record.explanation) checkDomainSpec(*record.explanation);
    return 0;
}
