#include "dns_resolver.hpp"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <charconv>

#include "error.hpp"

namespace xdpguard {
namespace {

struct ServerAddress {
    std::string ip;
    uint16_t port = 53;
};

ServerAddress parseServer(const std::string& text) {
    const std::string usage = "bad DNS server '" + text + "': use IP, IP:PORT or [IPv6]:PORT";
    ServerAddress server;
    std::string portText;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) badInput(usage);
        server.ip = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') badInput(usage);
            portText = text.substr(close + 2);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        server.ip = text.substr(0, text.find(':'));
        portText = text.substr(text.find(':') + 1);
    } else {
        server.ip = text;
    }
    if (!portText.empty()) {
        unsigned port = 0;
        auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
        if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 || port > 65535)
            badInput(usage);
        server.port = static_cast<uint16_t>(port);
    }
    unsigned char buffer[16];
    if (inet_pton(AF_INET, server.ip.c_str(), buffer) != 1 && inet_pton(AF_INET6, server.ip.c_str(), buffer) != 1)
        badInput(usage);
    return server;
}

// A TXT record's rdata is one or more <length><bytes> character-strings;
// RFC 7208 3.3: they are concatenated without separators.
std::string txtText(const ldns_rr* rr) {
    std::string text;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
        const uint8_t* data = ldns_rdf_data(rdf);
        const size_t size = ldns_rdf_size(rdf);
        if (size > 0) text.append(reinterpret_cast<const char*>(data + 1), std::min<size_t>(data[0], size - 1));
    }
    return text;
}

std::string rdfText(const ldns_rdf* rdf) {
    char* raw = ldns_rdf2str(rdf);
    std::string text = raw ? raw : "";
    free(raw);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

std::string recordText(const ldns_rr* rr, int type) {
    if (type == LDNS_RR_TYPE_TXT) return txtText(rr);
    if (type == LDNS_RR_TYPE_MX) return rdfText(ldns_rr_rdf(rr, 1));  // preference, exchange
    return rdfText(ldns_rr_rdf(rr, 0));
}

}  // namespace

LdnsResolver::LdnsResolver(const std::optional<std::string>& server, unsigned timeoutSeconds) {
    ldns_status status;
    if (server) {
        const ServerAddress address = parseServer(*server);
        resolver_ = ldns_resolver_new();
        ldns_rdf* ip = ldns_rdf_new_frm_str(
            address.ip.find(':') == std::string::npos ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, address.ip.c_str());
        status = ip ? ldns_resolver_push_nameserver(resolver_, ip) : LDNS_STATUS_ERR;
        ldns_rdf_deep_free(ip);
        ldns_resolver_set_port(resolver_, address.port);
        ldns_resolver_set_recursive(resolver_, true);
    } else {
        status = ldns_resolver_new_frm_file(&resolver_, nullptr);
    }
    if (status != LDNS_STATUS_OK || !resolver_)
        throw Error(ErrorKind::Runtime, std::string("cannot set up the DNS resolver: ") +
                                            ldns_get_errorstr_by_id(status));
    ldns_resolver_set_timeout(resolver_, timeval{static_cast<time_t>(timeoutSeconds), 0});
    ldns_resolver_set_retry(resolver_, 2);
    ldns_resolver_set_dnssec(resolver_, false);
}

LdnsResolver::~LdnsResolver() {
    if (resolver_) ldns_resolver_deep_free(resolver_);
}

DnsAnswer LdnsResolver::query(const std::string& name, int type) {
    DnsAnswer answer;
    // Fully qualified: no search-list suffixes appended.
    const std::string fqdn = !name.empty() && name.back() == '.' ? name : name + ".";
    ldns_rdf* owner = ldns_dname_new_frm_str(fqdn.c_str());
    if (!owner) {
        answer.status = DnsAnswer::Status::NxDomain;  // not a valid name: nothing can exist
        return answer;
    }
    ldns_pkt* packet = nullptr;
    const ldns_status status = ldns_resolver_query_status(
        &packet, resolver_, owner, static_cast<ldns_rr_type>(type), LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_rdf_deep_free(owner);
    if (status != LDNS_STATUS_OK || !packet) {
        answer.status = DnsAnswer::Status::TempFail;
        answer.error = ldns_get_errorstr_by_id(status);
        return answer;
    }
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(packet);
    if (rcode == LDNS_RCODE_NXDOMAIN) {
        answer.status = DnsAnswer::Status::NxDomain;
    } else if (rcode != LDNS_RCODE_NOERROR) {
        answer.status = DnsAnswer::Status::TempFail;
        answer.error = "server answered rcode " + std::to_string(rcode);
    } else if (ldns_rr_list* records = ldns_pkt_rr_list_by_type(packet, static_cast<ldns_rr_type>(type),
                                                                  LDNS_SECTION_ANSWER)) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(records, i);
            answer.records.push_back(recordText(rr, type));
            answer.minTtl = std::min(answer.minTtl, ldns_rr_ttl(rr));
        }
        ldns_rr_list_deep_free(records);
    }
    ldns_pkt_free(packet);
    return answer;
}

DnsAnswer LdnsResolver::txt(const std::string& name) { return query(name, LDNS_RR_TYPE_TXT); }
DnsAnswer LdnsResolver::a(const std::string& name) { return query(name, LDNS_RR_TYPE_A); }
DnsAnswer LdnsResolver::aaaa(const std::string& name) { return query(name, LDNS_RR_TYPE_AAAA); }
DnsAnswer LdnsResolver::mx(const std::string& name) { return query(name, LDNS_RR_TYPE_MX); }

}  // namespace xdpguard
