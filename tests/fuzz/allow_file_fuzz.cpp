// parseAllowText on arbitrary text: it returns the file's prefixes, sorted and
// without duplicates, or throws Error(BadInput) as "NAME:LINE: why" for the
// first bad line. Accepted files are checked line by line against
// Prefix::parse, so a line the parser skipped or mangled shows.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "allow_file.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"

using namespace xdpguard;
using fuzz::quoted;
using fuzz::require;

namespace {

constexpr const char* kName = "allow.txt";

// The entries of an accepted file, by the format's prose (allow_file.hpp).
std::set<Prefix> entriesOf(std::string_view text) {
    std::set<Prefix> entries;
    size_t start = 0;
    while (start < text.size()) {
        const size_t newline = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, newline - start);
        start = newline + 1;
        line = line.substr(0, line.find('#'));
        const size_t first = line.find_first_not_of(" \t\r\v\f");
        if (first == std::string_view::npos) continue;
        const size_t last = line.find_last_not_of(" \t\r\v\f");
        entries.insert(Prefix::parse(line.substr(first, last - first + 1)));
    }
    return entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::asText(data, size);
    std::vector<Prefix> prefixes;
    try {
        prefixes = parseAllowText(text, kName);
    } catch (const Error& e) {
        const std::string message = e.what();
        require(e.kind() == ErrorKind::BadInput, "a bad file is BadInput", message);
        require(message.starts_with(std::string(kName) + ":") &&
                    message.find(": ", std::string(kName).size()) != std::string::npos,
                "the error names the file and line", message);
        return 0;
    }
    require(std::set<Prefix>(prefixes.begin(), prefixes.end()).size() == prefixes.size() &&
                std::is_sorted(prefixes.begin(), prefixes.end()),
            "prefixes are sorted and unique");
    std::set<Prefix> expected;
    try {
        expected = entriesOf(text);
    } catch (const Error& e) {
        fuzz::violated("accepted a file with a bad line (" + std::string(e.what()) +
                       "): " + quoted(text));
    }
    require(std::set<Prefix>(prefixes.begin(), prefixes.end()) == expected,
            "one prefix per entry line", text);
    return 0;
}
