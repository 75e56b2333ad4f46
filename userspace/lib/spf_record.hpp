// One SPF record (RFC 7208 4.5, 4.6, 5, 6, 12) parsed strictly: its
// mechanisms in order and the modifiers that matter. Any syntax error, in
// any term, makes the whole record a permerror (RFC 7208 4.6).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prefix.hpp"
#include "spf.hpp"

namespace xdpguard {

enum class SpfQualifier : char { Pass = '+', Fail = '-', SoftFail = '~', Neutral = '?' };

enum class SpfMechanismKind { All, Include, A, Mx, Ptr, Ip4, Ip6, Exists };

struct SpfMechanism {
    SpfQualifier qualifier = SpfQualifier::Pass;
    SpfMechanismKind kind = SpfMechanismKind::All;
    std::string text;               // the term as written, for messages
    std::string domainSpec;         // include, a, mx, ptr, exists; empty means the current domain
    std::optional<Prefix> network;  // ip4, ip6: host bits cleared (RFC 7208 5.6)
    unsigned cidr4 = 32;            // a, mx: dual-cidr-length (RFC 7208 5.3, 5.4)
    unsigned cidr6 = 128;
};

struct SpfRecord {
    std::vector<SpfMechanism> mechanisms;
    std::optional<std::string> redirect;     // domain-spec of redirect= (RFC 7208 6.1)
    std::optional<std::string> explanation;  // domain-spec of exp=; flattening ignores it

    // True if `txt` is an SPF record: "v=spf1" in any case, then a space or
    // the end (RFC 7208 4.5). "v=spf10" and "v=spf1x" are not.
    static bool isSpf(std::string_view txt);

    // Parses a record for which isSpf() holds. Unknown modifiers are checked
    // for syntax and ignored (RFC 7208 6). Throws SpfError(PermError) as
    // "ORIGIN: TERM: permerror: what is wrong", ORIGIN being e.g.
    // "spf:example.test".
    static SpfRecord parse(std::string_view text, const std::string& origin);
};

// The message of every SpfError about a term: "ORIGIN: TERM: FAILURE: DETAIL"
// (without "TERM: " when the error is about the record as a whole).
std::string spfErrorMessage(const std::string& origin, const std::string& term, SpfFailure failure,
                            const std::string& detail);

}  // namespace xdpguard
