#include "allowlist_change.hpp"

#include <algorithm>
#include <stdexcept>

#include "abi.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

Error recordsFull(size_t capacity, size_t inUse, size_t toAdd) {
    return Error(ErrorKind::Runtime,
                 "the allowlist's source records are full: it keeps " + std::to_string(capacity) + " (" +
                     std::to_string(XG_ORIGINS_PER_RULE) + " per prefix of its capacity; " + std::to_string(inUse) +
                     " in use, " + std::to_string(toAdd) + " to add); nothing was changed. Free some by removing "
                     "prefixes that a second source also lists, or raise the capacity with `xdpguard detach --all "
                     "--purge` and `attach --max-prefixes N`, then re-add the prefixes");
}

std::set<Prefix> sourceSet(const OriginMap& origins, const std::string& source) {
    std::set<Prefix> prefixes;
    for (const auto& [prefix, origin] : origins)
        if (origin.sources.count(source)) prefixes.insert(prefix);
    return prefixes;
}

}  // namespace

AllowlistEditor::AllowlistEditor(const MapSet& maps) : allowlist_(maps), origins_(maps) {}

// The origin records are the controller's view of the tries (each trie
// prefix has at least one, with its rule id), read in a few batched system
// calls when first needed; the tries themselves are walked only to adopt
// orphans in syncs.
const OriginMap& AllowlistEditor::current() const {
    if (!current_) current_ = origins_.all();
    return *current_;
}

RuleIds AllowlistEditor::knownRules() const {
    RuleIds rules;
    for (const auto& [prefix, origin] : current()) rules[prefix] = origin.ruleId;
    return rules;
}

ChangePlan AllowlistEditor::planFromSets(const std::string& source, const std::set<Prefix>& before,
                                         const std::set<Prefix>& after) const {
    ChangePlan plan;
    plan.source = source;
    plan.sourceSizeBefore = before.size();
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(plan.added));
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                        std::back_inserter(plan.removed));
    plan.unchanged = before.size() - plan.removed.size();

    // The tries after the change: every prefix that keeps at least one source.
    const OriginMap& current = this->current();
    size_t sizeAfter = current.size();
    for (const Prefix& prefix : plan.added) sizeAfter += !current.count(prefix);
    for (const Prefix& prefix : plan.removed) {
        const PrefixOrigin& origin = current.at(prefix);
        if (origin.sources.size() == 1)
            --sizeAfter;
        else
            plan.keptByOtherSources.insert(prefix);
    }
    plan.allowlistSizeAfter = sizeAfter;
    return plan;
}

ChangePlan AllowlistEditor::planAdd(const std::string& source, const std::vector<Prefix>& prefixes) {
    ChangePlan plan;
    plan.source = source;
    plan.namedOnly = true;
    for (const Prefix& prefix : std::set<Prefix>(prefixes.begin(), prefixes.end())) {
        const std::optional<uint32_t> recorded = origins_.ruleIdOf(prefix, source);
        if (!recorded) {
            plan.added.push_back(prefix);
            if (const std::optional<uint32_t> held = allowlist_.exactRuleIdOf(prefix)) namedHeld_[prefix] = *held;
            continue;
        }
        ++plan.unchanged;
        if (allowlist_.holds(prefix, *recorded)) continue;
        // In the tries under another id (left so by an older controller): the record follows the tries.
        if (const std::optional<uint32_t> held = allowlist_.exactRuleIdOf(prefix)) namedRelabels_[prefix] = *held;
        else namedGhosts_[prefix] = *recorded;
    }
    plan.sourceSizeBefore = plan.unchanged;
    plan.allowlistSizeAfter = allowlist_.usedRuleIds() + plan.added.size() - namedHeld_.size();
    return plan;
}

ChangePlan AllowlistEditor::planRemove(const std::string& source, const std::vector<Prefix>& prefixes) const {
    const OriginMap& current = this->current();
    std::set<Prefix> before = sourceSet(current, source);
    std::set<Prefix> after = before;
    for (const Prefix& prefix : prefixes) {
        if (!before.count(prefix)) {
            auto listed = current.find(prefix);
            badInput(prefix.str() + " is not listed by " + source +
                     (listed == current.end() ? " (it is not in the allowlist)"
                                               : " (it comes from " + joinSources(listed->second.sources) +
                                                     "; use --source or resync that source)") +
                     "; nothing was removed");
        }
        after.erase(prefix);
    }
    return planFromSets(source, before, after);
}

ChangePlan AllowlistEditor::planSync(const std::string& source, const std::vector<Prefix>& desired) const {
    return planFromSets(source, sourceSet(current(), source), std::set<Prefix>(desired.begin(), desired.end()));
}

// Compares the records with the tries. A prefix in the tries without a
// record (left by an older controller) counts as manual, so it is listed,
// counted and removable; its record is written by the next apply(). A
// record whose prefix is not in the tries (a change interrupted between its
// two writes) is a ghost: apply() puts it back if it stays listed.
void AllowlistEditor::reconcile() {
    const RuleIds inTries = allowlist_.rules();
    current();
    for (const auto& [prefix, id] : inTries) {
        if (current_->count(prefix)) continue;
        (*current_)[prefix] = PrefixOrigin{{kManualSource}, id};
        orphans_[prefix] = id;
    }
    for (auto& [prefix, origin] : *current_) {
        const auto held = inTries.find(prefix);
        if (held == inTries.end()) ghosts_.insert(prefix);
        relabel(prefix, origin, held == inTries.end() ? origin.ruleId : held->second);
    }
    // A stray id goes free only if nothing names it any more.
    std::set<uint32_t> named;
    for (const auto& [prefix, id] : inTries) named.insert(id);
    for (const auto& [prefix, origin] : *current_) named.insert(origin.ruleId);
    for (uint32_t id : strays_)
        if (!named.count(id)) freedStrays_.push_back(id);
}

// The records of a prefix must name the id the tries hold it under (or,
// for a ghost, one id): a record naming another id, left by an interrupted
// change or an older controller, would free the wrong id on removal, and a
// later prefix could then share a counter with this one.
void AllowlistEditor::relabel(const Prefix& prefix, PrefixOrigin& origin, uint32_t id) {
    if (origin.ruleId == id && origin.strayIds.empty()) return;
    if (origin.ruleId != id) strays_.push_back(origin.ruleId);
    for (uint32_t stray : origin.strayIds)
        if (stray != id) strays_.push_back(stray);
    origin.ruleId = id;
    origin.strayIds.clear();
    relabels_[prefix] = id;
}

// An add in the same order as apply(), touching only the named prefixes: a
// prefix another source lists keeps its trie entry and rule id; a new one
// gets an id and its record before the tries hold it.
void AllowlistEditor::applyNamedAdd(const ChangePlan& plan) {
    RuleIds rules = namedHeld_;
    std::vector<Prefix> fresh;
    for (const Prefix& prefix : plan.added)
        if (!namedHeld_.count(prefix)) fresh.push_back(prefix);
    // The plan counted the ids in use: no second read of the bitmap.
    RuleIds reserved = allowlist_.reserve(fresh, plan.allowlistSizeAfter - fresh.size());
    rules.insert(reserved.begin(), reserved.end());
    std::vector<Prefix> recorded;
    try {
        for (const auto& [prefix, id] : rules) {
            origins_.add(prefix, plan.source, id);
            recorded.push_back(prefix);
        }
    } catch (...) {  // e.g. the records are full: undo this add's records and ids
        for (const Prefix& prefix : recorded) origins_.remove(prefix, plan.source);
        std::vector<uint32_t> ids;
        for (const auto& [prefix, id] : reserved) ids.push_back(id);
        allowlist_.release(ids);
        // Counted only now: adds must stay fast, and this is rare.
        const size_t records = origins_.size();
        if (records + rules.size() > origins_.capacity()) throw recordsFull(origins_.capacity(), records, rules.size());
        throw;
    }
    for (const auto& [prefix, id] : namedRelabels_) origins_.setRuleId(prefix, plan.source, id);
    reserved.insert(namedGhosts_.begin(), namedGhosts_.end());
    allowlist_.insert(reserved);
}

void AllowlistEditor::apply(const ChangePlan& plan) {
    // The plan was made from current_, which apply() does not refresh.
    if (applied_) throw std::logic_error("an AllowlistEditor applies one plan; make a new one");
    applied_ = true;
    if (plan.namedOnly) return applyNamedAdd(plan);
    OriginMap& current = *current_;  // read when the plan was made
    std::vector<Prefix> fresh;  // prefixes the tries do not hold yet
    for (const Prefix& prefix : plan.added)
        if (!current.count(prefix)) fresh.push_back(prefix);
    // Both capacities are checked before anything is taken or written.
    allowlist_.checkRoom(fresh.size(), current.size());
    size_t records = 0;
    for (const auto& [prefix, origin] : current) records += origin.sources.size();
    if (records + plan.added.size() > origins_.capacity())
        throw recordsFull(origins_.capacity(), records, plan.added.size());
    RuleIds reserved = allowlist_.reserve(fresh, current.size());

    // Records follow the tries first; stray ids go free once no record names them.
    for (const auto& [prefix, id] : relabels_)
        for (const std::string& source : current.at(prefix).sources) origins_.setRuleId(prefix, source, id);
    allowlist_.release(freedStrays_);

    // Adds: records first, then the tries. Interrupted in between, a new
    // prefix is a ghost (recorded, not yet allowed) that the next change
    // completes; no prefix listed before the change is touched until the
    // adds are done.
    for (const auto& [prefix, id] : orphans_) origins_.add(prefix, kManualSource, id);
    orphans_.clear();
    RuleIds rules = knownRules();
    rules.insert(reserved.begin(), reserved.end());
    origins_.addNew(plan.added, plan.source, rules);  // the source lists none of them yet
    const std::set<Prefix> removed(plan.removed.begin(), plan.removed.end());
    for (const Prefix& ghost : ghosts_)
        if (!removed.count(ghost) || plan.keptByOtherSources.count(ghost)) reserved[ghost] = rules.at(ghost);
    allowlist_.insert(reserved);  // fresh prefixes and ghosts: none is in the tries

    // Removes: the tries first, then the records. Interrupted in between, a
    // removed prefix is a ghost the next sync of its source finishes.
    std::vector<Prefix> unlisted;
    for (const Prefix& prefix : plan.removed)
        if (!plan.keptByOtherSources.count(prefix)) unlisted.push_back(prefix);
    if (!unlisted.empty()) allowlist_.remove(unlisted, rules, false);
    for (const Prefix& prefix : plan.removed) origins_.remove(prefix, plan.source);
    // Ids go free last: a removal interrupted before this point leaves a
    // record whose id nobody else can be given.
    std::vector<uint32_t> freed;
    for (const Prefix& prefix : unlisted) freed.push_back(rules.at(prefix));
    allowlist_.release(freed);
    ghosts_.clear();
}

std::vector<AllowEntry> AllowlistEditor::list() const {
    RuleIds rules = allowlist_.rules();  // the truth, orphans included
    std::vector<AllowEntry> entries = allowlist_.withCounters(rules);
    const OriginMap& current = this->current();
    for (AllowEntry& entry : entries) {
        auto listed = current.find(entry.prefix);
        entry.sources = listed == current.end() ? std::set<std::string>{kManualSource} : listed->second.sources;
    }
    return entries;
}

void checkShrink(const ChangePlan& plan, bool allowShrink) {
    if (allowShrink || plan.removed.empty()) return;
    const bool empties = plan.unchanged + plan.added.size() == 0;
    const bool halves = plan.removed.size() * 2 > plan.sourceSizeBefore;
    if (!empties && !halves) return;
    badInput("refusing to " + std::string(empties ? "empty" : "shrink") + " source " + plan.source +
             ": it would remove " + std::to_string(plan.removed.size()) + " of its " +
             std::to_string(plan.sourceSizeBefore) +
             " prefixes (a provider outage or a truncated file must not cut off mail). Check the "
             "input; if the change is intended, repeat with --allow-shrink");
}

}  // namespace xdpguard
