// Changing what one source (manual, file:NAME, spf:DOMAIN) lists, as a plan
// that can be shown (--dry-run), checked (shrink guard) and then applied in
// the one safe order: new prefixes become visible before old ones go, so a
// prefix listed before and after is never missing, not even for a moment.
#pragma once

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

    bool empty() const { return added.empty() && removed.empty(); }
};

class AllowlistEditor {
public:
    explicit AllowlistEditor(const MapSet& maps);

    ChangePlan planAdd(const std::string& source, const std::vector<Prefix>& prefixes) const;
    // BadInput (nothing changes) if the source does not list one of them.
    ChangePlan planRemove(const std::string& source, const std::vector<Prefix>& prefixes) const;
    // Makes the source's set exactly `desired`.
    ChangePlan planSync(const std::string& source, const std::vector<Prefix>& desired) const;

    // Walks the tries and compares them with the records (see the .cpp):
    // two system calls per prefix, so removals and syncs do it; an add
    // checks only the prefixes it names (checkGhosts).
    void reconcile();
    void checkGhosts(const std::vector<Prefix>& prefixes);

    // Applies a plan made from the current state (callers hold the pin dir
    // lock between planning and applying). Adds first (records, then
    // tries), then removes (tries, then records): see the .cpp.
    void apply(const ChangePlan& plan);

    // The allowlist with each prefix's sources.
    std::vector<AllowEntry> list() const;

private:
    ChangePlan planFromSets(const std::string& source, const std::set<Prefix>& before,
                            const std::set<Prefix>& after) const;
    RuleIds knownRules() const;

    const MapSet& maps_;
    Allowlist allowlist_;
    Origins origins_;
    OriginMap current_;  // prefix -> sources and rule id
    RuleIds orphans_;    // in the tries, not yet recorded
    std::set<Prefix> ghosts_;  // recorded, not in the tries
};

// The shrink guard: a sync that would remove more than half of a source's
// prefixes, or empty it, is refused (BadInput) unless allowed. A provider's
// DNS outage or a truncated file must not cut off all mail.
void checkShrink(const ChangePlan& plan, bool allowShrink);

}  // namespace xdpguard
