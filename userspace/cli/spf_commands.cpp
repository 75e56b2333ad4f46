#include "spf_commands.hpp"

#include <cctype>
#include <cstdint>
#include <iostream>

#include "dns_resolver.hpp"
#include "spf.hpp"

namespace xdpguard::cli {
namespace {

std::string normalizeDomain(std::string domain) {
    while (!domain.empty() && domain.back() == '.') domain.pop_back();
    for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (domain.empty()) badInput("give the domain whose SPF record lists the gateways");
    return domain;
}

std::string ttlText(uint32_t ttl) { return ttl == UINT32_MAX ? "none" : std::to_string(ttl) + " s"; }

}  // namespace

int runSpfFlatten(const std::string& domain, const std::optional<std::string>& dnsServer) {
    LdnsResolver resolver(dnsServer);
    const std::string name = normalizeDomain(domain);
    const SpfFlattening result = flattenSpf(name, resolver);
    refuseOverbroad(result, name);
    for (const Prefix& prefix : result.prefixes) std::cout << prefix.str() << "\n";
    std::cout << "# " << result.prefixes.size() << " prefixes, " << result.dnsLookups << " of 10 DNS lookups, "
              << result.voidLookups << " void, smallest TTL " << ttlText(result.minTtl) << "\n";
    return 0;
}

int runImportSpf(Controller& controller, const std::string& domain, const std::optional<std::string>& dnsServer,
                 const AllowChangeArgs& args) {
    const std::string name = normalizeDomain(domain);
    AllowChangeArgs spfArgs = args;
    spfArgs.source = "spf:" + name;
    LdnsResolver resolver(dnsServer);
    SpfFlattening flat;
    try {
        flat = flattenSpf(name, resolver);
        refuseOverbroad(flat, name);
    } catch (const SpfError& e) {
        throw Error(ErrorKind::Runtime,
                    std::string(e.what()) + "; the previously imported set of spf:" + name + " is unchanged");
    }
    std::cout << "spf:" << name << ": " << flat.prefixes.size() << " prefixes, " << flat.dnsLookups
              << " DNS lookups, smallest TTL " << ttlText(flat.minTtl) << "\n";
    return runAllowChange(spfArgs, [&](const ChangeOptions& options) { return controller.syncSource(flat.prefixes, options); });
}

}  // namespace xdpguard::cli
