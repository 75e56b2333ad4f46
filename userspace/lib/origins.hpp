// Where each allowlist prefix comes from: "manual", "file:NAME", "spf:DOMAIN".
// Kept in a pinned map beside the tries; a prefix stays in the tries while
// any source lists it.
#pragma once

#include <cstdint>
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

struct PrefixOrigin {
    std::set<std::string> sources;
    uint32_t ruleId = 0;
};

using OriginMap = std::map<Prefix, PrefixOrigin>;

class Origins {
public:
    explicit Origins(const MapSet& maps) : maps_(maps) {}

    // prefix -> sources and rule id, read with batched lookups: the whole
    // allowlist in a few system calls, however long it is.
    OriginMap all() const;
    std::set<Prefix> of(const std::string& source) const;
    size_t capacity() const;
    size_t size() const;

    void add(const Prefix& prefix, const std::string& source, uint32_t ruleId);
    void remove(const Prefix& prefix, const std::string& source);

private:
    const MapSet& maps_;
};

// "file:gw, manual" — the sources of one prefix, for lists and labels.
std::string joinSources(const std::set<std::string>& sources);

}  // namespace xdpguard
