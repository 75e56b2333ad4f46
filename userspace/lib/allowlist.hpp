// The allowlist of gateway prefixes: two LPM tries whose values are rule ids,
// and a per-CPU array of per-rule counters indexed by those ids.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

struct AllowEntry {
    Prefix prefix;
    uint32_t ruleId;
    uint64_t allowedSyns;  // SYNs to protected ports let through by this rule
    std::set<std::string> sources = {};  // filled by AllowlistEditor::list()
};

class Allowlist {
public:
    explicit Allowlist(const MapSet& maps);

    // All prefixes, IPv4 first, each family in address order.
    std::vector<AllowEntry> list() const;
    size_t size() const;
    uint32_t capacity() const { return capacity_; }

    // Adds the prefixes not yet present; returns how many were new. Each new
    // prefix gets an unused rule id whose counter is zeroed before the prefix
    // becomes visible, so it never inherits another prefix's count. All or
    // nothing: if the allowlist would overflow, or the kernel refuses one,
    // nothing stays changed.
    size_t add(const std::vector<Prefix>& prefixes);

    // Removes the prefixes. Every one must be present (else BadInput and
    // nothing changes).
    void remove(const std::vector<Prefix>& prefixes);

private:
    const MapSet& maps_;
    uint32_t capacity_;
};

}  // namespace xdpguard
