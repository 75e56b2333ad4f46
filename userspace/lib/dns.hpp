// The DNS questions SPF flattening asks, behind an interface so that the
// flattener is tested with a fake resolver (and fuzzed) and runs against a
// real server through ldns (dns_resolver.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xdpguard {

struct DnsAnswer {
    enum class Status {
        Ok,        // records below (may be empty: NODATA)
        NxDomain,  // the name does not exist
        TempFail,  // timeout, SERVFAIL, network error: RFC 7208 temperror
    };
    Status status = Status::Ok;
    // TXT: each record's character-strings concatenated (RFC 7208 3.3).
    // A/AAAA: addresses in text form. MX: exchange host names, no trailing dot.
    std::vector<std::string> records;
    uint32_t minTtl = UINT32_MAX;  // smallest TTL of the answer's records
    std::string error;             // for TempFail: what went wrong
};

class DnsResolver {
public:
    virtual ~DnsResolver() = default;
    virtual DnsAnswer txt(const std::string& name) = 0;
    virtual DnsAnswer a(const std::string& name) = 0;
    virtual DnsAnswer aaaa(const std::string& name) = 0;
    virtual DnsAnswer mx(const std::string& name) = 0;
};

}  // namespace xdpguard
