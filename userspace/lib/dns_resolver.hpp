// DnsResolver over ldns: the system resolver (/etc/resolv.conf) by default,
// or one explicit server (tests point it at a local NSD).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "dns.hpp"

struct ldns_struct_pkt;
struct ldns_struct_resolver;

namespace xdpguard {

// Bounds on one DNS answer, so that a hostile or broken zone cannot make a
// lookup loop or hold much memory. Real SPF answers are far below them: a
// record should fit in 512 bytes (RFC 7208 3.4), and resolvers give up on
// CNAME chains about this long.
inline constexpr size_t kDnsMaxRecords = 256;      // of the asked type, per answer
inline constexpr size_t kDnsMaxTxtBytes = 16384;   // all TXT records of a name together
inline constexpr size_t kDnsMaxCnames = 8;         // CNAMEs followed from the asked name

// What a response `packet` to the question (`name`, `type`, class IN) says.
// Only answer records of that type and class are used, and only those owned
// by `name` or by the end of the CNAME chain that starts at it (compared as
// DNS names: case-insensitive, trailing dot optional); the rest is ignored.
// TempFail, naming the name and the bound, for a CNAME loop, a chain longer
// than kDnsMaxCnames, or an answer over kDnsMaxRecords / kDnsMaxTxtBytes.
DnsAnswer answerFromPacket(const ldns_struct_pkt& packet, const std::string& name, int type);

class LdnsResolver : public DnsResolver {
public:
    // `server` is "IP" or "IP:PORT" ("[IPv6]:PORT"); BadInput if malformed.
    explicit LdnsResolver(const std::optional<std::string>& server, unsigned timeoutSeconds = 3);
    ~LdnsResolver() override;
    LdnsResolver(const LdnsResolver&) = delete;
    LdnsResolver& operator=(const LdnsResolver&) = delete;

    DnsAnswer txt(const std::string& name) override;
    DnsAnswer a(const std::string& name) override;
    DnsAnswer aaaa(const std::string& name) override;
    DnsAnswer mx(const std::string& name) override;

private:
    DnsAnswer query(const std::string& name, int type);
    ldns_struct_resolver* resolver_ = nullptr;
};

}  // namespace xdpguard
