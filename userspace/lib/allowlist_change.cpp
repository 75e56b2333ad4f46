#include "allowlist_change.hpp"

#include <algorithm>

#include "error.hpp"

namespace xdpguard {

namespace {

std::set<Prefix> sourceSet(const OriginMap& origins, const std::string& source) {
    std::set<Prefix> prefixes;
    for (const auto& [prefix, sources] : origins)
        if (sources.count(source)) prefixes.insert(prefix);
    return prefixes;
}

}  // namespace

AllowlistEditor::AllowlistEditor(const MapSet& maps)
    : maps_(maps), allowlist_(maps), origins_(maps), current_(origins_.all()) {}

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
    std::set<Prefix> allowedAfter(plan.added.begin(), plan.added.end());
    for (const auto& [prefix, sources] : current_) {
        const bool onlyThisSource = sources.size() == 1 && sources.count(source);
        const bool removedHere = std::binary_search(plan.removed.begin(), plan.removed.end(), prefix);
        if (!removedHere || !onlyThisSource) allowedAfter.insert(prefix);
        if (removedHere && !onlyThisSource) plan.keptByOtherSources.insert(prefix);
    }
    for (const AllowEntry& entry : allowlist_.list()) {  // orphans count as manual
        const bool removedHere = source == kManualSource &&
                                 std::binary_search(plan.removed.begin(), plan.removed.end(), entry.prefix);
        if (!current_.count(entry.prefix) && !removedHere) allowedAfter.insert(entry.prefix);
    }
    plan.allowlistSizeAfter = allowedAfter.size();
    return plan;
}

ChangePlan AllowlistEditor::planAdd(const std::string& source, const std::vector<Prefix>& prefixes) const {
    std::set<Prefix> before = sourceSet(current_, source);
    std::set<Prefix> after = before;
    after.insert(prefixes.begin(), prefixes.end());
    return planFromSets(source, before, after);
}

ChangePlan AllowlistEditor::planRemove(const std::string& source, const std::vector<Prefix>& prefixes) const {
    std::set<Prefix> before = sourceSet(current_, source);
    if (source == kManualSource)  // prefixes without any recorded source count as manual
        for (const AllowEntry& entry : allowlist_.list())
            if (!current_.count(entry.prefix)) before.insert(entry.prefix);
    std::set<Prefix> after = before;
    for (const Prefix& prefix : prefixes) {
        if (!before.count(prefix)) {
            auto listed = current_.find(prefix);
            badInput(prefix.str() + " is not listed by " + source +
                     (listed == current_.end() ? " (it is not in the allowlist)"
                                               : " (it comes from " + joinSources(listed->second) +
                                                     "; use --source or resync that source)") +
                     "; nothing was removed");
        }
        after.erase(prefix);
    }
    return planFromSets(source, before, after);
}

ChangePlan AllowlistEditor::planSync(const std::string& source, const std::vector<Prefix>& desired) const {
    return planFromSets(source, sourceSet(current_, source), std::set<Prefix>(desired.begin(), desired.end()));
}

void AllowlistEditor::adoptOrphans() {
    for (const AllowEntry& entry : allowlist_.list())
        if (!current_.count(entry.prefix)) origins_.add(entry.prefix, kManualSource);
}

void AllowlistEditor::apply(const ChangePlan& plan) {
    if (origins_.size() + plan.added.size() > origins_.capacity())
        throw Error(ErrorKind::Runtime, "the allowlist's source records are full (" +
                                            std::to_string(origins_.capacity()) +
                                            "); nothing was changed. Raise the capacity with "
                                            "`detach --all --purge` and `attach --max-prefixes N`");
    adoptOrphans();
    allowlist_.add(plan.added);  // all or nothing; existing prefixes are kept as they are
    for (const Prefix& prefix : plan.added) origins_.add(prefix, plan.source);

    std::vector<Prefix> unlisted;
    for (const Prefix& prefix : plan.removed) {
        origins_.remove(prefix, plan.source);
        if (!plan.keptByOtherSources.count(prefix)) unlisted.push_back(prefix);
    }
    if (!unlisted.empty()) allowlist_.remove(unlisted);
    current_ = origins_.all();
}

std::vector<AllowEntry> AllowlistEditor::list() const {
    std::vector<AllowEntry> entries = allowlist_.list();
    for (AllowEntry& entry : entries) {
        auto listed = current_.find(entry.prefix);
        entry.sources = listed == current_.end() ? std::set<std::string>{kManualSource} : listed->second;
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
