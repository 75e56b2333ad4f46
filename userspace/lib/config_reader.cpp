#include "config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "error.hpp"

namespace xdpguard::config {
namespace {

// Levenshtein distance, ignoring case.
size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

void Problems::add(const toml::source_position& at, std::string what) {
    // toml++ counts from 1; 0 means "unknown", which we place at the start.
    // Problems quote the file's text, which may hold any byte (a TOML
    // "\u0000" is a NUL): escaped, each stays one whole line of the message.
    entries_.push_back({std::max(at.line, 1u), std::max(at.column, 1u), printable(what)});
}

std::vector<std::string> Problems::lines(const std::string& name) const {
    std::vector<Entry> sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> out;
    for (const Entry& e : sorted)
        out.push_back(name + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.what);
    return out;
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    size_t bestDistance = std::min<size_t>(std::max<size_t>(2, word.size() / 3) + 1, word.size());
    for (const std::string& candidate : candidates) {
        const size_t distance = editDistance(word, candidate);
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

std::string typeName(const toml::node& node) {
    switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number with a fraction";
    case toml::node_type::boolean: return "true/false";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "a list";
    default: return "a date or time";
    }
}

std::string inQuotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::optional<int64_t> inRange(const toml::node& node, int64_t value, const std::string& name, int64_t min,
                               int64_t max, Problems& problems) {
    if (value >= min && value <= max) return value;
    problems.add(node.source().begin, name + " must be from " + std::to_string(min) + " to " +
                                          std::to_string(max) + ", not " + std::to_string(value));
    return std::nullopt;
}

}  // namespace xdpguard::config
