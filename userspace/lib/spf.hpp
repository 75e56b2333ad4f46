// Flattening an SPF policy (RFC 7208) into the set of addresses that get a
// "pass": the prefixes to allowlist for a mail provider that publishes its
// gateways in SPF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns.hpp"
#include "error.hpp"
#include "prefix.hpp"

namespace xdpguard {

enum class SpfFailure {
    PermError,      // RFC 7208 permerror: syntax, limits, multiple records, ...
    TempError,      // RFC 7208 temperror: DNS timeout or server failure
    Unflattenable,  // valid SPF that no address list can express (ptr, exists, %{i}, +all)
};

// Thrown by flattenSpf; kind() is Runtime, failure() says which.
class SpfError : public Error {
public:
    SpfError(SpfFailure failure, const std::string& message)
        : Error(ErrorKind::Runtime, message), failure_(failure) {}
    SpfFailure failure() const { return failure_; }

private:
    SpfFailure failure_;
};

struct SpfFlattening {
    std::vector<Prefix> prefixes;  // minimal, sorted (IPv4 first), canonical
    unsigned dnsLookups = 0;       // terms that count toward the limit of 10 (RFC 7208 4.6.4)
    unsigned voidLookups = 0;      // lookups with no answer (limit 2)
    uint32_t minTtl = UINT32_MAX;  // smallest TTL of every record consulted
};

// Evaluates DOMAIN's policy for every possible client address at once:
// first match wins (RFC 7208 4.6.2), so an address is in the result only if
// the first mechanism that matches it has the "+" qualifier. Throws SpfError
// naming the term (and the domain it came from) on any error.
SpfFlattening flattenSpf(const std::string& domain, DnsResolver& resolver);

// The shortest prefixes an SPF import may allowlist. `+ip4:0.0.0.0/0` or
// `a/0` is valid SPF but, like +all, would let a large part of the Internet
// deliver directly; no mail provider's gateways span more than this.
inline constexpr unsigned kSpfMinPrefixV4 = 8;
inline constexpr unsigned kSpfMinPrefixV6 = 16;

// Throws SpfError (Unflattenable) naming the first prefix that is broader.
void refuseOverbroad(const SpfFlattening& result, const std::string& domain);

}  // namespace xdpguard
