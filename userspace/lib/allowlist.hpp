// The allowlist of gateway prefixes: two LPM tries whose values are rule ids,
// and a per-CPU array of per-rule counters indexed by those ids.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// What the tries hold: prefix -> rule id.
using RuleIds = std::map<Prefix, uint32_t>;

class Allowlist {
public:
    explicit Allowlist(const MapSet& maps);

    // All prefixes with their counters, IPv4 first, in address order.
    std::vector<AllowEntry> list() const;
    // The same for prefixes whose rule ids are already known (no trie walk).
    std::vector<AllowEntry> withCounters(const RuleIds& rules) const;
    // Reads the tries (batched: a few system calls per 4,096 prefixes).
    RuleIds rules() const;
    // The rule id if the tries hold exactly this prefix (not just one covering it).
    std::optional<uint32_t> exactRuleIdOf(const Prefix& prefix) const;
    // Rule ids in use: the prefixes in the tries, plus any an interrupted
    // change left reserved. One batched read, whatever the size.
    size_t usedRuleIds() const;
    size_t size() const;
    uint32_t capacity() const { return capacity_; }

    // Adds the prefixes not in `present` (what the tries hold now) and
    // returns the rule ids it gave them. Each new prefix gets an unused rule
    // id whose counter is zeroed before the prefix becomes visible, so it
    // never inherits another prefix's count; the prefilter opens its blocks
    // first. All or nothing: if the allowlist would overflow, or the kernel
    // refuses one, nothing stays changed.
    RuleIds add(const std::vector<Prefix>& prefixes, const RuleIds& present);
    size_t add(const std::vector<Prefix>& prefixes) { return add(prefixes, rules()).size(); }

    // add() in two steps, so that a caller can record the ids between them:
    // reserve() checks the capacity and takes ids for prefixes not in the
    // tries; insert() makes prefixes the tries do not hold visible under
    // their ids (counter zeroed, prefilter first), in batches, all or
    // nothing.
    RuleIds reserve(const std::vector<Prefix>& fresh, size_t presentCount);
    // The capacity check of reserve() alone: Runtime error naming the limit.
    void checkRoom(size_t freshCount, size_t presentCount) const;
    void insert(const RuleIds& rules);
    // True if the tries hold exactly this prefix under this rule id.
    bool holds(const Prefix& prefix, uint32_t ruleId) const;

    // Removes the prefixes (each must be in `present`, else BadInput and
    // nothing changes; one already gone from the tries is fine); the
    // prefilter closes blocks only afterwards, then their ids are freed.
    // With releaseIds false the caller frees the ids later (release()),
    // once nothing names them any more.
    void remove(const std::vector<Prefix>& prefixes, const RuleIds& present, bool releaseIds = true);
    void release(const std::vector<uint32_t>& ruleIds);
    void remove(const std::vector<Prefix>& prefixes) { remove(prefixes, rules()); }

private:
    const MapSet& maps_;
    uint32_t capacity_;
};

}  // namespace xdpguard
