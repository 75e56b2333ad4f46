#include "allow_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "error.hpp"

namespace xdpguard {
namespace {

constexpr size_t kMaxFileBytes = 64 << 20;  // far above a million prefixes

std::string_view trim(std::string_view text) {
    const char* space = " \t\r\v\f";
    const auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(space);
    return text.substr(first, last - first + 1);
}

}  // namespace

std::vector<Prefix> parseAllowText(std::string_view text, const std::string& name) {
    std::set<Prefix> prefixes;
    size_t lineNumber = 0;
    while (!text.empty()) {
        ++lineNumber;
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        const std::string where = name + ":" + std::to_string(lineNumber) + ": ";
        if (line.find_first_of(" \t") != std::string_view::npos)
            badInput(where + "expected one prefix per line, got '" + printable(line) +
                     "' (comments start with #)");
        try {
            prefixes.insert(Prefix::parse(line));
        } catch (const Error& e) {
            badInput(where + e.what());
        }
    }
    return {prefixes.begin(), prefixes.end()};
}

std::vector<Prefix> readAllowFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) badInput("cannot read allowlist file " + path + ": " + std::strerror(errno));
    std::ostringstream content;
    content << file.rdbuf();
    const std::string text = content.str();
    if (text.size() > kMaxFileBytes)
        badInput(path + ": file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
    if (text.find('\0') != std::string::npos) badInput(path + ": not a text file (contains NUL bytes)");
    return parseAllowText(text, path);
}

}  // namespace xdpguard
