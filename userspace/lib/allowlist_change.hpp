// Changing what one source (manual, file:NAME, spf:DOMAIN) lists, as a plan
// that can be shown (--dry-run), checked (shrink guard) and then applied in
// the one safe order: new prefixes become visible before old ones go, so a
// prefix listed before and after is never missing, not even for a moment.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "map_set.hpp"
#include "origins.hpp"

namespace xdpguard {

struct ChangePlan {
    std::string source;
    std::vector<Prefix> added;    // the source starts listing these
    std::vector<Prefix> removed;  // the source stops listing these
    size_t unchanged = 0;         // listed by the source before and after
    size_t sourceSizeBefore = 0;
    size_t allowlistSizeAfter = 0;       // prefixes in the tries once applied
    std::set<Prefix> keptByOtherSources;  // removed here, still allowed by another source
    // An add, planned from the named prefixes alone: its counts cover only
    // those (unchanged = named prefixes the source listed already).
    bool namedOnly = false;

    bool empty() const { return added.empty() && removed.empty(); }
};

class AllowlistEditor {
public:
    explicit AllowlistEditor(const MapSet& maps);

    // Reads only the records and trie entries of the named prefixes, so an
    // add stays fast at any allowlist size; a named prefix recorded but
    // missing from the tries (an interrupted change) is put back.
    ChangePlan planAdd(const std::string& source, const std::vector<Prefix>& prefixes);
    // BadInput (nothing changes) if the source does not list one of them.
    ChangePlan planRemove(const std::string& source, const std::vector<Prefix>& prefixes) const;
    // Makes the source's set exactly `desired`.
    ChangePlan planSync(const std::string& source, const std::vector<Prefix>& desired) const;

    // Reads the tries and compares them with the records (see the .cpp):
    // removals and syncs do it; an add checks only the prefixes it names.
    void reconcile();

    // Applies a plan made from the current state (callers hold the pin dir
    // lock between planning and applying). Adds first (records, then
    // tries), then removes (tries, then records): see the .cpp.
    void apply(const ChangePlan& plan);

    // The allowlist with each prefix's sources.
    std::vector<AllowEntry> list() const;

private:
    const OriginMap& current() const;
    void relabel(const Prefix& prefix, PrefixOrigin& origin, uint32_t id);
    void applyNamedAdd(const ChangePlan& plan);
    ChangePlan planFromSets(const std::string& source, const std::set<Prefix>& before,
                            const std::set<Prefix>& after) const;
    RuleIds knownRules() const;

    Allowlist allowlist_;
    Origins origins_;
    mutable std::optional<OriginMap> current_;  // prefix -> sources and rule id, read on first use
    RuleIds orphans_;    // in the tries, not yet recorded
    std::set<Prefix> ghosts_;  // recorded, not in the tries
    RuleIds namedGhosts_;      // the same, found by planAdd, with their ids
    RuleIds relabels_;         // prefixes whose records must name this id (reconcile)
    std::vector<uint32_t> strays_;       // ids records named besides the right one
    std::vector<uint32_t> freedStrays_;  // of those, the ones nothing names any more
    RuleIds namedHeld_;        // named by planAdd, new to the source, already in the tries
    RuleIds namedRelabels_;    // named by planAdd, recorded under an id the tries do not use for them
    bool applied_ = false;
};

// The shrink guard: a sync that would remove more than half of a source's
// prefixes, or empty it, is refused (BadInput) unless allowed. A provider's
// DNS outage or a truncated file must not cut off all mail.
void checkShrink(const ChangePlan& plan, bool allowShrink);

}  // namespace xdpguard
