// Reading a parsed TOML document against what the program expects: typed
// values with their locations, every problem collected (not just the first),
// and "did you mean" for near misses. The schema itself lives with its user
// (daemon_config.cpp); this is only the machinery.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdpguard::config {

// Problems found so far, each at a line and column of the file.
class Problems {
public:
    void add(const toml::source_position& at, std::string what);
    bool empty() const { return entries_.empty(); }
    // "NAME:LINE:COLUMN: what", in file order whatever order the checks ran in.
    std::vector<std::string> lines(const std::string& name) const;

private:
    struct Entry {
        uint32_t line, column;
        std::string what;
    };
    std::vector<Entry> entries_;
};

// The candidate a typo most likely meant (case-insensitive): at most two
// edits away (a third of the word's letters for long words, so "enforcing"
// finds "enforce"), and fewer edits than the word has letters, so "x"
// suggests nothing.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// "a string", "an integer", ... as a mail admin would say it.
std::string typeName(const toml::node& node);
std::string inQuotes(std::string_view text);

// One table as found in the file (table is null if it is absent).
struct Section {
    const toml::table* table = nullptr;
    std::string prefix;              // "filter." (or "" for the top level), for messages
    toml::source_position at{1, 1};  // its header: where a missing key is reported

    const toml::node* get(std::string_view key) const { return table ? table->get(key) : nullptr; }
    std::string name(std::string_view key) const { return prefix + std::string(key); }
};

// `value` if it lies in [min, max]; otherwise a problem at `node` and nullopt.
std::optional<int64_t> inRange(const toml::node& node, int64_t value, const std::string& name, int64_t min,
                               int64_t max, Problems& problems);

// The value at `key` if it has type T; absent or mistyped (a problem): null.
template <class T>
const toml::value<T>* scalar(const Section& in, std::string_view key, std::string_view expected, Problems& problems) {
    const toml::node* node = in.get(key);
    if (!node) return nullptr;
    if (const auto* value = node->as<T>()) return value;
    problems.add(node->source().begin, in.name(key) + " must be " + std::string(expected) + ", not " + typeName(*node));
    return nullptr;
}

// Stores the integer at `key` in `out` if it lies in [min, max]. Returns
// false if the key is present but not a usable value.
template <class Number>
bool readInteger(const Section& in, std::string_view key, int64_t min, int64_t max, Number& out, Problems& problems) {
    const auto* value = scalar<int64_t>(in, key, "an integer", problems);
    const auto checked = value ? inRange(*value, value->get(), in.name(key), min, max, problems) : std::nullopt;
    if (checked) out = static_cast<Number>(*checked);
    return checked || !in.get(key);
}

// Stores the choice named by the string at `key` in `out`.
template <class Enum>
void readChoice(const Section& in, std::string_view key, const std::vector<std::pair<std::string, Enum>>& choices,
                Enum& out, Problems& problems) {
    const auto* value = scalar<std::string>(in, key, "a string", problems);
    if (!value) return;
    std::vector<std::string> names;
    for (const auto& [name, choice] : choices) {
        if (value->get() == name) {
            out = choice;
            return;
        }
        names.push_back(name);
    }
    std::string text = in.name(key) + " must be " + inQuotes(names[0]);
    for (size_t i = 1; i < names.size(); ++i) text += (i + 1 == names.size() ? " or " : ", ") + inQuotes(names[i]);
    text += ", not " + inQuotes(value->get());
    if (const auto guess = closest(value->get(), names)) text += "; did you mean " + inQuotes(*guess) + "?";
    problems.add(value->source().begin, text);
}

// Calls `use` for each entry of the list at `key` that has type T. Returns
// the number of entries (0 if the key is absent or not a list).
template <class T>
size_t forEach(const Section& in, std::string_view key, std::string_view entry, std::string_view example,
               Problems& problems, const std::function<void(const T&, const toml::node&)>& use) {
    const toml::node* node = in.get(key);
    if (!node) return 0;
    const toml::array* list = node->as_array();
    if (!list) {
        problems.add(node->source().begin, in.name(key) + " must be a list, like " + std::string(key) + " = " +
                                               std::string(example) + ", not " + typeName(*node));
        return 0;
    }
    for (const toml::node& element : *list) {
        if (const auto* value = element.as<T>())
            use(value->get(), element);
        else
            problems.add(element.source().begin, "each entry of " + in.name(key) + " must be " + std::string(entry) +
                                                     ", not " + typeName(element));
    }
    return list->size();
}

}  // namespace xdpguard::config
