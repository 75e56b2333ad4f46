// flattenSpf against a zone made from the fuzz input (zone_script.hpp): it
// returns a minimal prefix list within RFC 7208's lookup limits or throws
// SpfError, and however the zone loops, lies or fails, it asks a bounded
// number of questions.
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "spf.hpp"
#include "spf_record.hpp"
#include "zone_script.hpp"

using namespace xdpguard;
using fuzz::require;

namespace {

// Ten lookup terms, the costliest an mx with ten exchanges (MX, then A and
// AAAA each), after the domain's own TXT (RFC 7208 4.6.4).
constexpr size_t kMaxQuestions = 1 + 10 * (1 + 10 * 2);

// Two prefixes of one length that differ only in their last bit make one
// shorter prefix: a minimal list has no such pair.
bool siblings(const Prefix& a, const Prefix& b) {
    if (a.family() != b.family() || a.length() != b.length() || a.length() == 0) return false;
    const unsigned bit = a.length() - 1;
    std::array<uint8_t, 16> flipped = a.bytes();
    flipped[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
    return flipped == b.bytes();
}

Prefix networkAddress(const Prefix& prefix) {
    const std::string text = prefix.str();
    return Prefix::parse(text.substr(0, text.find('/')));
}

void checkMinimal(const std::vector<Prefix>& prefixes) {
    for (size_t i = 1; i < prefixes.size(); ++i) {
        const Prefix& before = prefixes[i - 1];
        const Prefix& after = prefixes[i];
        auto fail = [&](const char* property) {
            fuzz::violated(std::string(property) + ": " + before.str() + ", " + after.str());
        };
        if (!(before < after)) fail("prefixes sorted, IPv4 first");
        if (before.contains(networkAddress(after))) fail("prefixes disjoint");
        if (siblings(before, after)) fail("prefixes merged");
    }
}

// Every SPF record the flattening read is one RFC 7208 would parse: had any
// been a permerror, so would the whole policy (RFC 7208 4.6, 5.2).
void checkRecordsRead(const fuzz::Zone& zone) {
    for (const std::string& question : zone.dns.log()) {
        if (!question.starts_with("TXT ")) continue;
        const auto records = zone.txt.find(question.substr(4));
        if (records == zone.txt.end()) continue;
        for (const std::string& text : records->second)
            if (SpfRecord::isSpf(text))
                require(fuzz::spfCharactersOnly(text),
                        "a flattened policy's records are visible ASCII and spaces (RFC 7208 12)",
                        text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Zone zone = fuzz::zoneFromScript(fuzz::asText(data, size));
    SpfFlattening result;
    bool flattened = false;
    try {
        result = flattenSpf(zone.domain, zone.dns);
        flattened = true;
    } catch (const SpfError& e) {
        require(std::string(e.what()).starts_with("spf:"), "the error names the domain", e.what());
    }
    require(zone.dns.log().size() <= kMaxQuestions,
            "no more DNS questions than ten lookups can ask (RFC 7208 4.6.4)");
    if (!flattened) return 0;
    require(result.dnsLookups <= 10 && result.voidLookups <= 2, "RFC 7208 4.6.4 limits");
    require(result.minTtl <= zone.largestTtl, "the TTL is one of the zone's");
    checkMinimal(result.prefixes);
    checkRecordsRead(zone);
    try {
        refuseOverbroad(result, zone.domain);
    } catch (const SpfError& e) {
        require(e.failure() == SpfFailure::Unflattenable, "overbroad is unflattenable");
    }
    return 0;
}
