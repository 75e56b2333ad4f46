// check_host() (RFC 7208 4) run for every client address at once: each
// record's evaluation yields the set of addresses whose result is "pass".
#include <algorithm>
#include <iterator>
#include <optional>
#include <vector>

#include "prefix_set.hpp"
#include "spf.hpp"
#include "spf_macro.hpp"
#include "spf_record.hpp"

namespace xdpguard {
namespace {

constexpr unsigned kMaxDnsLookups = 10;  // RFC 7208 4.6.4
constexpr unsigned kMaxVoidLookups = 2;  // RFC 7208 4.6.4
// RFC 7208 4.6.4 allows 10 address lookups per mx; a real evaluator asks for
// one family, so that is 10 exchanges.
constexpr size_t kMaxMxNames = 10;

// DNS names compare case-insensitively, and a trailing dot changes nothing.
std::string normalizedName(std::string name) {
    if (name.ends_with('.')) name.pop_back();
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return name;
}

// RFC 7208 4.3: labels of 1 to 63 characters, at least two of them.
bool isValidDomainName(const std::string& name) {
    if (name.size() > 253 || name.find('.') == std::string::npos) return false;
    size_t labelLength = 0;
    for (char c : name) {
        if (c != '.') {
            if (++labelLength > 63) return false;
        } else if (labelLength == 0) {
            return false;
        } else {
            labelLength = 0;
        }
    }
    return labelLength > 0;
}

bool isVoid(const DnsAnswer& answer) {
    return answer.status == DnsAnswer::Status::NxDomain ||
           (answer.status == DnsAnswer::Status::Ok && answer.records.empty());
}

class Flattener {
public:
    explicit Flattener(DnsResolver& resolver) : resolver_(resolver) {}
    SpfFlattening run(const std::string& domain);

private:
    PrefixSet evaluate(const std::string& domain, const SpfRecord& record);
    PrefixSet matchesOf(const SpfMechanism& mechanism, const std::string& domain);
    PrefixSet passSetOf(const std::string& target, const std::string& term, const char* rfcSection);
    PrefixSet addressesOf(const std::string& host, const SpfMechanism& mechanism);
    PrefixSet mxMatches(const std::string& host, const SpfMechanism& mechanism);
    std::string selectRecord(const std::string& domain, const std::string& term,
                             const char* rfcSection);
    std::string targetOf(const SpfMechanism& mechanism, const std::string& domain);
    std::string expanded(const std::string& spec, const std::string& domain,
                         const std::string& term);
    DnsAnswer consulted(DnsAnswer answer, const std::string& type, const std::string& name,
                        const std::string& term);
    void countLookup(const std::string& term);
    void countVoidLookup(const std::string& term);
    std::string origin() const;
    [[noreturn]] void fail(SpfFailure failure, const std::string& term,
                           const std::string& detail) const;

    DnsResolver& resolver_;
    std::vector<std::string> path_;  // domains whose records are being evaluated, outermost first
    SpfFlattening result_;
};

SpfFlattening Flattener::run(const std::string& domain) {
    const std::string top = normalizedName(domain);
    if (!isValidDomainName(top))
        throw SpfError(SpfFailure::PermError,
                       "spf: '" + domain + "' is not a valid domain name (RFC 7208 4.3)");
    path_.push_back(top);
    const SpfRecord record = SpfRecord::parse(selectRecord(top, "", "4.5"), origin());
    result_.prefixes = evaluate(top, record).prefixes();
    return result_;
}

// First match wins (RFC 7208 4.6.2): a mechanism decides only for the
// addresses no earlier mechanism matched.
PrefixSet Flattener::evaluate(const std::string& domain, const SpfRecord& record) {
    PrefixSet matched, pass;
    for (const SpfMechanism& mechanism : record.mechanisms) {
        if (mechanism.kind == SpfMechanismKind::All) {
            // "all" decides for everything left (RFC 7208 5.1), and its presence
            // voids redirect= (RFC 7208 6.1), so evaluation ends here.
            PrefixSet rest = PrefixSet::everything();
            rest.subtract(matched);
            if (mechanism.qualifier == SpfQualifier::Pass && !rest.empty())
                fail(SpfFailure::Unflattenable, mechanism.text,
                     "+all would allow the whole Internet");
            return pass;
        }
        const PrefixSet matches = matchesOf(mechanism, domain);
        if (mechanism.qualifier == SpfQualifier::Pass) {
            PrefixSet decidedHere = matches;
            decidedHere.subtract(matched);
            pass.add(decidedHere);
        }
        matched.add(matches);
    }
    if (record.redirect) {
        // The target's policy decides for the addresses nothing here matched.
        const std::string term = "redirect=" + *record.redirect;
        countLookup(term);
        PrefixSet redirected = passSetOf(expanded(*record.redirect, domain, term), term, "6.1");
        redirected.subtract(matched);
        pass.add(redirected);
    }
    return pass;
}

PrefixSet Flattener::matchesOf(const SpfMechanism& mechanism, const std::string& domain) {
    const std::string& term = mechanism.text;
    PrefixSet matches;
    switch (mechanism.kind) {
    case SpfMechanismKind::Ip4:
    case SpfMechanismKind::Ip6:
        matches.add(*mechanism.network);
        return matches;
    case SpfMechanismKind::Include:
        // Only the included policy's "pass" matches (RFC 7208 5.2).
        countLookup(term);
        return passSetOf(targetOf(mechanism, domain), term, "5.2");
    case SpfMechanismKind::A:
        countLookup(term);
        matches = addressesOf(targetOf(mechanism, domain), mechanism);
        if (matches.empty()) countVoidLookup(term);
        return matches;
    case SpfMechanismKind::Mx:
        countLookup(term);
        return mxMatches(targetOf(mechanism, domain), mechanism);
    case SpfMechanismKind::Ptr:
        fail(SpfFailure::Unflattenable, term,
             "ptr matches by the client's reverse DNS, which no address list can express");
    case SpfMechanismKind::Exists:
        fail(SpfFailure::Unflattenable, term,
             "exists matches every client or none by whether a DNS name (usually built per client "
             "with macros) exists, which no address list can express");
    case SpfMechanismKind::All:
        break;  // decided in evaluate()
    }
    return matches;
}

PrefixSet Flattener::passSetOf(const std::string& target, const std::string& term,
                               const char* rfcSection) {
    // A loop would only end at the lookup limit; saying so is clearer.
    if (std::find(path_.begin(), path_.end(), target) != path_.end())
        fail(SpfFailure::PermError, term, "loop: " + target + " is already being evaluated");
    const std::string text = selectRecord(target, term, rfcSection);
    path_.push_back(target);
    const SpfRecord record = SpfRecord::parse(text, origin());
    PrefixSet pass = evaluate(target, record);
    path_.pop_back();
    return pass;
}

// A and AAAA of `host`, each address widened to the mechanism's
// dual-cidr-length (RFC 7208 5.3).
PrefixSet Flattener::addressesOf(const std::string& host, const SpfMechanism& mechanism) {
    PrefixSet addresses;
    auto addAll = [&](const DnsAnswer& answer, Family family, unsigned length) {
        for (const std::string& text : answer.records) {
            std::optional<Prefix> address;
            try {
                address = Prefix::parse(text);
            } catch (const Error&) {
            }
            if (!address || address->family() != family ||
                address->length() != address->maxLength())
                fail(SpfFailure::TempError, mechanism.text,
                     "the resolver returned '" + text + "' as an address of " + host);
            addresses.add(enclosingPrefix(*address, length));
        }
    };
    addAll(consulted(resolver_.a(host), "A", host, mechanism.text), Family::V4, mechanism.cidr4);
    addAll(consulted(resolver_.aaaa(host), "AAAA", host, mechanism.text), Family::V6,
           mechanism.cidr6);
    return addresses;
}

PrefixSet Flattener::mxMatches(const std::string& host, const SpfMechanism& mechanism) {
    const DnsAnswer answer = consulted(resolver_.mx(host), "MX", host, mechanism.text);
    if (isVoid(answer)) {
        countVoidLookup(mechanism.text);
        return {};
    }
    if (answer.records.size() > kMaxMxNames)
        fail(SpfFailure::PermError, mechanism.text,
             host + " has " + std::to_string(answer.records.size()) +
                 " MX records; SPF allows 10 (RFC 7208 4.6.4)");
    PrefixSet matches;
    for (const std::string& exchange : answer.records) {
        const std::string name = normalizedName(exchange);
        if (!name.empty())
            matches.add(addressesOf(name, mechanism));  // "." is a null MX (RFC 7505)
    }
    return matches;
}

// The one SPF record among `domain`'s TXT records (RFC 7208 4.5). `term` is
// the include or redirect that asked, or empty for the domain being flattened.
std::string Flattener::selectRecord(const std::string& domain, const std::string& term,
                                    const char* rfcSection) {
    const DnsAnswer answer = consulted(resolver_.txt(domain), "TXT", domain, term);
    std::vector<std::string> records;
    std::copy_if(answer.records.begin(), answer.records.end(), std::back_inserter(records),
                 SpfRecord::isSpf);
    if (records.size() > 1)
        fail(SpfFailure::PermError, term,
             domain + " publishes " + std::to_string(records.size()) +
                 " SPF records; RFC 7208 4.5 allows one");
    if (records.empty()) {
        if (!term.empty() && isVoid(answer)) countVoidLookup(term);
        const bool missing = answer.status == DnsAnswer::Status::NxDomain;
        fail(SpfFailure::PermError, term,
             domain + (missing ? " does not exist" : " publishes no SPF record") +
                 (term.empty() ? "" : std::string(" (RFC 7208 ") + rfcSection + ")"));
    }
    return records.front();
}

std::string Flattener::targetOf(const SpfMechanism& mechanism, const std::string& domain) {
    if (mechanism.domainSpec.empty()) return domain;
    return expanded(mechanism.domainSpec, domain, mechanism.text);
}

std::string Flattener::expanded(const std::string& spec, const std::string& domain,
                                const std::string& term) {
    std::string target;
    try {
        target = normalizedName(expandDomainSpec(spec, domain));
    } catch (const SpfError& e) {
        fail(e.failure(), term, e.what());
    }
    if (!isValidDomainName(target))
        fail(SpfFailure::PermError, term,
             "'" + target + "' is not a valid domain name (RFC 7208 4.3)");
    return target;
}

DnsAnswer Flattener::consulted(DnsAnswer answer, const std::string& type, const std::string& name,
                               const std::string& term) {
    if (answer.status == DnsAnswer::Status::TempFail)
        fail(SpfFailure::TempError, term,
             type + " lookup for " + name + " failed: " + answer.error);
    result_.minTtl = std::min(result_.minTtl, answer.minTtl);
    return answer;
}

void Flattener::countLookup(const std::string& term) {
    if (++result_.dnsLookups > kMaxDnsLookups)
        fail(SpfFailure::PermError, term, "more than 10 DNS lookups (RFC 7208 4.6.4)");
}

void Flattener::countVoidLookup(const std::string& term) {
    if (++result_.voidLookups > kMaxVoidLookups)
        fail(SpfFailure::PermError, term,
             "more than 2 void lookups, answers with no records (RFC 7208 4.6.4)");
}

// "spf:DOMAIN", and for an included or redirected record the way there.
std::string Flattener::origin() const {
    std::string text = "spf:" + path_.back();
    for (size_t i = 0; i + 1 < path_.size(); ++i) text += (i == 0 ? " (via " : ", ") + path_[i];
    return path_.size() > 1 ? text + ")" : text;
}

void Flattener::fail(SpfFailure failure, const std::string& term, const std::string& detail) const {
    throw SpfError(failure, spfErrorMessage(origin(), term, failure, detail));
}

}  // namespace

SpfFlattening flattenSpf(const std::string& domain, DnsResolver& resolver) {
    return Flattener(resolver).run(domain);
}

void refuseOverbroad(const SpfFlattening& result, const std::string& domain) {
    for (const Prefix& prefix : result.prefixes) {
        const unsigned minimum = prefix.family() == Family::V4 ? kSpfMinPrefixV4 : kSpfMinPrefixV6;
        if (prefix.length() < minimum)
            throw SpfError(SpfFailure::Unflattenable,
                           "spf:" + domain + ": the policy passes " + prefix.str() + ", broader than /" +
                               std::to_string(minimum) +
                               "; allowlisting it would let much of the Internet deliver directly");
    }
}

}  // namespace xdpguard
