// Where each allowlist prefix comes from: "manual", "file:NAME", "spf:DOMAIN".
// Kept in a pinned map beside the tries; a prefix stays in the tries while
// any source lists it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
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
    // Other ids the prefix's records name: only after an interrupted change
    // or an older controller; AllowlistEditor::reconcile() repairs them.
    std::vector<uint32_t> strayIds = {};
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

    // The rule id recorded for (prefix, source), if the source lists it.
    std::optional<uint32_t> ruleIdOf(const Prefix& prefix, const std::string& source) const;
    // Records the pair (kept as is if already recorded: the first listing time stays).
    void add(const Prefix& prefix, const std::string& source, uint32_t ruleId);
    // Records pairs the caller read as unrecorded under the pin-dir lock, in
    // batches (the kernel's batch update cannot refuse existing keys).
    void addNew(const std::vector<Prefix>& prefixes, const std::string& source, const RuleIds& ruleIds);
    // Corrects the rule id of a recorded pair.
    void setRuleId(const Prefix& prefix, const std::string& source, uint32_t ruleId);
    void remove(const Prefix& prefix, const std::string& source);

private:
    const MapSet& maps_;
};

// "file:gw, manual" — the sources of one prefix, for lists and labels.
std::string joinSources(const std::set<std::string>& sources);

}  // namespace xdpguard
