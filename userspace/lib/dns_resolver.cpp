#include "dns_resolver.hpp"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <variant>
#include <vector>

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

// An ldns name (fully qualified), freed with its owner.
using Dname = std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)>;

Dname dname(const std::string& name) {
    const std::string fqdn = !name.empty() && name.back() == '.' ? name : name + ".";
    return {ldns_dname_new_frm_str(fqdn.c_str()), &ldns_rdf_deep_free};
}

bool isAnswerTo(const ldns_rr* rr, const ldns_rdf* owner, ldns_rr_type type) {
    return ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
           ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

DnsAnswer tempFail(const std::string& error) { return {DnsAnswer::Status::TempFail, {}, UINT32_MAX, error}; }

// Follows the answer's CNAMEs from `name`; the owner of the records asked
// for, or an error. Each CNAME's TTL bounds the answer's (`minTtl`).
std::variant<const ldns_rdf*, std::string> followCnames(const ldns_rr_list* records, const ldns_rdf* name,
                                                        const std::string& asked, uint32_t& minTtl) {
    std::vector<const ldns_rdf*> chain{name};
    for (;;) {
        const ldns_rr* cname = nullptr;
        for (size_t i = 0; i < ldns_rr_list_rr_count(records) && !cname; ++i)
            if (isAnswerTo(ldns_rr_list_rr(records, i), chain.back(), LDNS_RR_TYPE_CNAME))
                cname = ldns_rr_list_rr(records, i);
        if (!cname || ldns_rr_rd_count(cname) < 1) return chain.back();
        const ldns_rdf* target = ldns_rr_rdf(cname, 0);
        const bool loops = std::any_of(chain.begin(), chain.end(),
                                       [&](const ldns_rdf* seen) { return ldns_dname_compare(seen, target) == 0; });
        if (loops) return "CNAME loop: " + asked + " leads back to " + rdfText(target);
        if (chain.size() > kDnsMaxCnames)
            return "CNAME chain from " + asked + " longer than " + std::to_string(kDnsMaxCnames);
        minTtl = std::min(minTtl, ldns_rr_ttl(cname));
        chain.push_back(target);
    }
}

}  // namespace

DnsAnswer answerFromPacket(const ldns_pkt& packet, const std::string& name, int type) {
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(&packet);
    if (rcode == LDNS_RCODE_NXDOMAIN) return {DnsAnswer::Status::NxDomain, {}, UINT32_MAX, {}};
    if (rcode != LDNS_RCODE_NOERROR) return tempFail("server answered rcode " + std::to_string(rcode));
    const Dname asked = dname(name);
    if (!asked) return {DnsAnswer::Status::NxDomain, {}, UINT32_MAX, {}};
    const ldns_rr_list* records = ldns_pkt_answer(&packet);
    DnsAnswer answer;
    if (!records) return answer;
    const std::string shown = rdfText(asked.get());
    const auto owner = followCnames(records, asked.get(), shown, answer.minTtl);
    if (const std::string* error = std::get_if<std::string>(&owner)) return tempFail(*error);
    size_t txtBytes = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(records, i);
        if (!isAnswerTo(rr, std::get<const ldns_rdf*>(owner), static_cast<ldns_rr_type>(type))) continue;
        if (answer.records.size() == kDnsMaxRecords)
            return tempFail("the answer for " + shown + " has more than " + std::to_string(kDnsMaxRecords) +
                            " records");
        answer.records.push_back(recordText(rr, type));
        txtBytes += type == LDNS_RR_TYPE_TXT ? answer.records.back().size() : 0;
        if (txtBytes > kDnsMaxTxtBytes)
            return tempFail("the TXT records of " + shown + " exceed " + std::to_string(kDnsMaxTxtBytes) + " bytes");
        answer.minTtl = std::min(answer.minTtl, ldns_rr_ttl(rr));
    }
    return answer;
}

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
    // Fully qualified: no search-list suffixes appended.
    const Dname owner = dname(name);
    if (!owner) return {DnsAnswer::Status::NxDomain, {}, UINT32_MAX, {}};  // not a valid name: nothing can exist
    ldns_pkt* packet = nullptr;
    const ldns_status status = ldns_resolver_query_status(
        &packet, resolver_, owner.get(), static_cast<ldns_rr_type>(type), LDNS_RR_CLASS_IN, LDNS_RD);
    if (status != LDNS_STATUS_OK || !packet) return tempFail(ldns_get_errorstr_by_id(status));
    DnsAnswer answer = answerFromPacket(*packet, name, type);
    ldns_pkt_free(packet);
    return answer;
}

DnsAnswer LdnsResolver::txt(const std::string& name) { return query(name, LDNS_RR_TYPE_TXT); }
DnsAnswer LdnsResolver::a(const std::string& name) { return query(name, LDNS_RR_TYPE_A); }
DnsAnswer LdnsResolver::aaaa(const std::string& name) { return query(name, LDNS_RR_TYPE_AAAA); }
DnsAnswer LdnsResolver::mx(const std::string& name) { return query(name, LDNS_RR_TYPE_MX); }

}  // namespace xdpguard
