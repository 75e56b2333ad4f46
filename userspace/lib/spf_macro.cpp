#include "spf_macro.hpp"

#include <algorithm>
#include <vector>

namespace xdpguard {
namespace {

constexpr std::string_view kDomainSpecLetters = "slodiphv";  // allowed in domain-specs
constexpr std::string_view kExpOnlyLetters = "crt";          // allowed only in exp text
constexpr std::string_view kDelimiters = ".-+,/_=";
constexpr size_t kMaxDomainLength = 253;
constexpr unsigned kPartsCap = 1000;  // beyond any label count: "all parts"

// A run of literal characters, an escape (%% %_ %-) or a macro-expand
// "%{" letter transformers delimiters "}" (RFC 7208 7.1).
struct MacroPiece {
    bool isMacro = false;     // escapes and expands: both may end a domain-spec
    std::string literal;      // the text of a run, or what an escape stands for
    std::string written;      // the macro as written, for messages
    char letter = 0;          // lower case; 0 for runs and escapes
    bool urlEscape = false;   // an upper-case letter (RFC 7208 7.3)
    unsigned rightParts = 0;  // DIGIT transformer; 0 keeps all parts
    bool reverse = false;
    std::string delimiters;  // empty means "."
};

[[noreturn]] void permerror(const std::string& detail) {
    throw SpfError(SpfFailure::PermError, detail);
}

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isAlpha(c) || isDigit(c); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool isOneOf(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

// Reads the transformers and delimiters after the letter: *DIGIT ["r"] *delimiter.
void parseTransformers(std::string_view rest, MacroPiece& piece) {
    size_t i = 0;
    if (i < rest.size() && isDigit(rest[i])) {
        unsigned parts = 0;
        for (; i < rest.size() && isDigit(rest[i]); ++i)
            parts = std::min(parts * 10 + static_cast<unsigned>(rest[i] - '0'), kPartsCap);
        if (parts == 0)
            permerror("macro " + piece.written +
                      ": the number of parts must not be 0 (RFC 7208 7.3)");
        piece.rightParts = parts;
    }
    if (i < rest.size() && lower(rest[i]) == 'r') {
        piece.reverse = true;
        ++i;
    }
    for (; i < rest.size(); ++i) {
        if (!isOneOf(rest[i], kDelimiters))
            permerror("macro " + piece.written + ": '" + std::string(1, rest[i]) +
                      "' is not a delimiter (one of " + std::string(kDelimiters) + ")");
        piece.delimiters += rest[i];
    }
}

// Parses the macro-expand that starts at text[pos] == '%', text[pos+1] == '{'.
MacroPiece parseExpand(std::string_view text, size_t& pos, MacroUse use) {
    const size_t close = text.find('}', pos);
    if (close == std::string_view::npos)
        permerror("macro '" + std::string(text.substr(pos)) + "' has no closing '}'");
    MacroPiece piece;
    piece.isMacro = true;
    piece.written = text.substr(pos, close + 1 - pos);
    const std::string_view body = text.substr(pos + 2, close - pos - 2);
    pos = close + 1;
    if (body.empty()) permerror("macro %{} has no letter");
    piece.letter = lower(body[0]);
    piece.urlEscape = body[0] != piece.letter;
    if (isOneOf(piece.letter, kExpOnlyLetters) && use == MacroUse::DomainSpec)
        permerror("macro " + piece.written +
                  " is allowed only in exp= explanation text (RFC 7208 7.3)");
    if (!isOneOf(piece.letter, kDomainSpecLetters) && !isOneOf(piece.letter, kExpOnlyLetters))
        permerror("macro " + piece.written + " has no letter SPF defines (RFC 7208 7.3)");
    parseTransformers(body.substr(1), piece);
    return piece;
}

MacroPiece escape(char which) {
    MacroPiece piece;
    piece.isMacro = true;
    piece.written = std::string("%") + which;
    piece.literal = which == '%' ? "%" : which == '_' ? " " : "%20";
    return piece;
}

std::vector<MacroPiece> parseMacroString(std::string_view text, MacroUse use) {
    std::vector<MacroPiece> pieces;
    MacroPiece run;
    auto endRun = [&] {
        if (!run.literal.empty()) pieces.push_back(std::move(run));
        run = MacroPiece{};
    };
    for (size_t pos = 0; pos < text.size();) {
        const char c = text[pos];
        if (c != '%') {
            if (c < 0x21 || c > 0x7e)  // macro-literal is visible ASCII (RFC 7208 7.1)
                permerror("contains a control, space or non-ASCII character");
            run.literal += c;
            ++pos;
            continue;
        }
        endRun();
        const char next = pos + 1 < text.size() ? text[pos + 1] : '\0';
        if (next == '{') {
            pieces.push_back(parseExpand(text, pos, use));
        } else if (next != '\0' && isOneOf(next, "%_-")) {
            pieces.push_back(escape(next));
            pos += 2;
        } else {
            const std::string written = next == '\0' ? "%" : std::string("%") + next;
            permerror("'" + written +
                      "' is not a macro; a literal percent sign is written %% (RFC 7208 7.1)");
        }
    }
    endRun();
    return pieces;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool isTopLabel(std::string_view label) {
    if (label.empty() || !isAlnum(label.front()) || !isAlnum(label.back())) return false;
    bool hasAlpha = false, hasHyphen = false;
    for (char c : label) {
        if (c == '-')
            hasHyphen = true;
        else if (isAlpha(c))
            hasAlpha = true;
        else if (!isDigit(c))
            return false;
    }
    return hasAlpha || hasHyphen;
}

const char* clientDependence(char letter) {
    switch (letter) {
    case 's':
        return "the sender's address";
    case 'l':
        return "the sender's local-part";
    case 'o':
        return "the sender's domain";
    case 'i':
        return "the client's IP address";
    case 'p':
        return "the client's validated reverse-DNS name";
    case 'h':
        return "the HELO/EHLO name";
    case 'v':
        return "\"in-addr\" or \"ip6\", by the client's address family";
    default:
        return "a property of the message";
    }
}

// RFC 3986 unreserved characters stay; everything else becomes %XX.
std::string urlEscaped(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (isAlnum(static_cast<char>(c)) || isOneOf(static_cast<char>(c), "-._~")) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

// Splits on the delimiters, reverses, keeps the rightmost parts and joins
// with "." (RFC 7208 7.3).
std::string transformed(const MacroPiece& piece, const std::string& value) {
    const std::string delimiters = piece.delimiters.empty() ? "." : piece.delimiters;
    std::vector<std::string> parts(1);
    for (char c : value) {
        if (isOneOf(c, delimiters))
            parts.emplace_back();
        else
            parts.back() += c;
    }
    if (piece.reverse) std::reverse(parts.begin(), parts.end());
    if (piece.rightParts != 0 && piece.rightParts < parts.size())
        parts.erase(parts.begin(), parts.end() - piece.rightParts);
    std::string joined;
    for (size_t i = 0; i < parts.size(); ++i) joined += (i == 0 ? "" : ".") + parts[i];
    return piece.urlEscape ? urlEscaped(joined) : joined;
}

}  // namespace

void checkMacroString(std::string_view text, MacroUse use) { parseMacroString(text, use); }

void checkDomainSpec(std::string_view spec) {
    if (spec.empty()) permerror("the domain is missing");
    const std::vector<MacroPiece> pieces = parseMacroString(spec, MacroUse::DomainSpec);
    if (pieces.back().isMacro) return;  // domain-end may be a macro-expand
    std::string_view tail = pieces.back().literal;
    if (tail.ends_with('.')) tail.remove_suffix(1);
    const size_t dot = tail.rfind('.');
    if (dot == std::string_view::npos || !isTopLabel(tail.substr(dot + 1)))
        permerror("'" + std::string(spec) +
                  "' does not end in a dot and a top-level label (RFC 7208 7.1 domain-end)");
}

std::string expandDomainSpec(std::string_view spec, const std::string& domain) {
    std::string out;
    for (const MacroPiece& piece : parseMacroString(spec, MacroUse::DomainSpec)) {
        if (piece.letter == 0) {
            out += piece.literal;
        } else if (piece.letter == 'd') {
            out += transformed(piece, domain);
        } else {
            throw SpfError(SpfFailure::Unflattenable,
                           "macro " + piece.written + " (" + clientDependence(piece.letter) +
                               ") differs from client to client; no address list can express it");
        }
    }
    while (out.size() > kMaxDomainLength && out.find('.') != std::string::npos)
        out.erase(0, out.find('.') + 1);
    return out;
}

}  // namespace xdpguard
