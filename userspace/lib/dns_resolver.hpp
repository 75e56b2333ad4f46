// DnsResolver over ldns: the system resolver (/etc/resolv.conf) by default,
// or one explicit server (tests point it at a local NSD).
#pragma once

#include <optional>
#include <string>

#include "dns.hpp"

struct ldns_struct_resolver;

namespace xdpguard {

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
