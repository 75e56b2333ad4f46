// Where each allowlist prefix comes from: "manual", "file:NAME", "spf:DOMAIN".
// Kept in a pinned map beside the tries; a prefix stays in the tries while
// any source lists it.
#pragma once

#include <map>
#include <set>
#include <string>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

inline constexpr const char* kManualSource = "manual";

// Checks a source name ("manual", "file:NAME", "spf:DOMAIN"): printable,
// no spaces, shorter than the ABI's limit. BadInput otherwise.
void validateSourceName(const std::string& source);

using OriginMap = std::map<Prefix, std::set<std::string>>;

class Origins {
public:
    explicit Origins(const MapSet& maps) : maps_(maps) {}

    OriginMap all() const;                              // prefix -> sources
    std::set<Prefix> of(const std::string& source) const;
    size_t capacity() const;
    size_t size() const;

    void add(const Prefix& prefix, const std::string& source);
    void remove(const Prefix& prefix, const std::string& source);

private:
    const MapSet& maps_;
};

// "file:gw, manual" — the sources of one prefix, for lists and labels.
std::string joinSources(const std::set<std::string>& sources);

}  // namespace xdpguard
