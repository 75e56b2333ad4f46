#include "spf_record.hpp"

#include <algorithm>
#include <optional>

#include "error.hpp"
#include "prefix_set.hpp"
#include "spf_macro.hpp"

namespace xdpguard {
namespace {

[[noreturn]] void permerror(const std::string& detail) {
    throw SpfError(SpfFailure::PermError, detail);
}

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Mechanism and modifier names are case-insensitive (RFC 7208 4.6.1).
std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The length of the name in `term` if it is a modifier:
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=".
std::optional<size_t> modifierNameLength(std::string_view term) {
    if (term.empty() || !isAlpha(term[0])) return std::nullopt;
    size_t i = 1;
    while (i < term.size() && (isAlpha(term[i]) || isDigit(term[i]) || term[i] == '-' ||
                               term[i] == '_' || term[i] == '.'))
        ++i;
    if (i < term.size() && term[i] == '=') return i;
    return std::nullopt;
}

// ip4-cidr-length = "0" / %x31-39 0*1DIGIT; ip6-cidr-length = "0" / %x31-39 0*2DIGIT.
unsigned parseCidr(std::string_view digits, unsigned maxLength) {
    const std::string family = maxLength == 32 ? "IPv4" : "IPv6";
    bool wellFormed = !digits.empty() && digits.size() <= 3 && (digits == "0" || digits[0] != '0');
    unsigned value = 0;
    for (char c : digits) {
        wellFormed = wellFormed && isDigit(c);
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (!wellFormed || value > maxLength)
        permerror("'/" + std::string(digits) + "' is not an " + family + " prefix length (0 to " +
                  std::to_string(maxLength) + ", no leading zeros)");
    return value;
}

// Where the "/" before trailing digits is, if `text` ends in "/DIGITS".
size_t trailingCidrSlash(std::string_view text) {
    const size_t slash = text.rfind('/');
    if (slash == std::string_view::npos || slash + 1 == text.size()) return std::string_view::npos;
    for (char c : text.substr(slash + 1))
        if (!isDigit(c)) return std::string_view::npos;
    return slash;
}

// `rest` is "" or ":domain-spec".
void parseDomain(std::string_view rest, bool required, SpfMechanism& mechanism) {
    if (rest.empty()) {
        if (required) permerror("needs ':' and a domain");
        return;
    }
    if (rest[0] != ':') permerror("expected ':' and a domain after the mechanism name");
    checkDomainSpec(rest.substr(1));
    mechanism.domainSpec = rest.substr(1);
}

// a and mx: [ ":" domain-spec ] [ "/" ip4-cidr ] [ "//" ip6-cidr ] (RFC 7208 5.3, 5.4).
void parseDomainAndCidr(std::string_view rest, SpfMechanism& mechanism) {
    size_t slash = trailingCidrSlash(rest);
    if (slash != std::string_view::npos && slash > 0 && rest[slash - 1] == '/') {
        mechanism.cidr6 = parseCidr(rest.substr(slash + 1), 128);
        rest = rest.substr(0, slash - 1);
        slash = trailingCidrSlash(rest);
    }
    if (slash != std::string_view::npos) {
        mechanism.cidr4 = parseCidr(rest.substr(slash + 1), 32);
        rest = rest.substr(0, slash);
    }
    parseDomain(rest, false, mechanism);
}

// ip4 and ip6: ":" address [ "/" cidr ]. Host bits are allowed and cleared:
// RFC 7208 5.6 compares only the leading bits.
void parseNetwork(std::string_view rest, Family family, SpfMechanism& mechanism) {
    const std::string familyName = family == Family::V4 ? "IPv4" : "IPv6";
    if (rest.empty() || rest[0] != ':') permerror("needs ':' and an " + familyName + " address");
    const std::string_view argument = rest.substr(1);
    const size_t slash = argument.find('/');
    const std::string address(argument.substr(0, slash));
    const unsigned maxLength = family == Family::V4 ? 32 : 128;
    const unsigned length = slash == std::string_view::npos
                                ? maxLength
                                : parseCidr(argument.substr(slash + 1), maxLength);
    std::optional<Prefix> host;
    try {
        host = Prefix::parse(address);
    } catch (const Error&) {
    }
    if (!host || host->family() != family)
        permerror("'" + address + "' is not an " + familyName + " address");
    mechanism.network = enclosingPrefix(*host, length);
}

SpfMechanism parseDirective(std::string_view term) {
    SpfMechanism mechanism;
    mechanism.text = term;
    std::string_view body = term;
    if (body[0] == '+' || body[0] == '-' || body[0] == '~' || body[0] == '?') {
        mechanism.qualifier = static_cast<SpfQualifier>(body[0]);
        body.remove_prefix(1);
    }
    const size_t nameEnd = body.find_first_of(":/");
    const std::string name = lowered(body.substr(0, nameEnd));
    const std::string_view rest = nameEnd == std::string_view::npos ? "" : body.substr(nameEnd);
    using Kind = SpfMechanismKind;
    if (name == "all") {
        mechanism.kind = Kind::All;
        if (!rest.empty()) permerror("all takes no domain or prefix length");
    } else if (name == "include" || name == "exists") {
        mechanism.kind = name == "include" ? Kind::Include : Kind::Exists;
        parseDomain(rest, true, mechanism);
    } else if (name == "ptr") {
        mechanism.kind = Kind::Ptr;
        parseDomain(rest, false, mechanism);
    } else if (name == "a" || name == "mx") {
        mechanism.kind = name == "a" ? Kind::A : Kind::Mx;
        parseDomainAndCidr(rest, mechanism);
    } else if (name == "ip4" || name == "ip6") {
        mechanism.kind = name == "ip4" ? Kind::Ip4 : Kind::Ip6;
        parseNetwork(rest, name == "ip4" ? Family::V4 : Family::V6, mechanism);
    } else if (name.empty()) {
        permerror("a qualifier must be followed by a mechanism");
    } else {
        permerror("unknown mechanism '" + name +
                  "' (RFC 7208 5: unknown mechanisms are a permerror)");
    }
    return mechanism;
}

void parseModifier(std::string_view term, size_t nameLength, SpfRecord& record) {
    const std::string name = lowered(term.substr(0, nameLength));
    const std::string_view value = term.substr(nameLength + 1);
    if (name != "redirect" && name != "exp") {
        checkMacroString(value, MacroUse::AnyModifier);  // unknown: ignored (RFC 7208 6)
        return;
    }
    std::optional<std::string>& slot = name == "redirect" ? record.redirect : record.explanation;
    if (slot) permerror(name + "= appears more than once (RFC 7208 6)");
    checkDomainSpec(value);
    slot = std::string(value);
}

void parseTerm(std::string_view term, SpfRecord& record) {
    if (auto nameLength = modifierNameLength(term))
        parseModifier(term, *nameLength, record);
    else
        record.mechanisms.push_back(parseDirective(term));
}

}  // namespace

bool SpfRecord::isSpf(std::string_view txt) {
    return txt.size() >= 6 && lowered(txt.substr(0, 6)) == "v=spf1" &&
           (txt.size() == 6 || txt[6] == ' ');
}

SpfRecord SpfRecord::parse(std::string_view text, const std::string& origin) {
    if (!isSpf(text))
        throw SpfError(
            SpfFailure::PermError,
            spfErrorMessage(origin, "", SpfFailure::PermError,
                            "not an SPF record: it must begin with \"v=spf1\" (RFC 7208 4.5)"));
    SpfRecord record;
    // Terms are separated by one or more spaces (RFC 7208 12: 1*SP).
    for (size_t pos = 6; pos < text.size();) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        const size_t end = std::min(text.find(' ', pos), text.size());
        const std::string_view term = text.substr(pos, end - pos);
        pos = end;
        try {
            parseTerm(term, record);
        } catch (const SpfError& e) {
            throw SpfError(SpfFailure::PermError, spfErrorMessage(origin, std::string(term),
                                                                  SpfFailure::PermError, e.what()));
        }
    }
    return record;
}

std::string spfErrorMessage(const std::string& origin, const std::string& term, SpfFailure failure,
                            const std::string& detail) {
    const char* what = failure == SpfFailure::PermError   ? "permerror"
                       : failure == SpfFailure::TempError ? "temperror"
                                                          : "cannot be flattened";
    return origin + ": " + (term.empty() ? "" : term + ": ") + what + ": " + detail;
}

}  // namespace xdpguard
