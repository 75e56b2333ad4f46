#include "allowlist.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "error.hpp"
#include "map_walk.hpp"
#include "prefilter.hpp"
#include "rule_ids.hpp"
#include "stats.hpp"

namespace xdpguard {
namespace {

uint32_t maxEntries(int mapFd) {
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(mapFd, &info, &length))
        failErrno(errno, "read the allowlist map info");
    return info.max_entries;
}

// Visits every (key, rule) of one trie. The kernel walks an LPM trie in
// post-order; callers sort if they need an order.
template <typename Key, typename Visit>
void forEachRule(int trieFd, Visit&& visit) {
    forEachKey<Key>(trieFd, "the allowlist", [&](const Key& key) {
        xg_rule rule{};
        // A concurrent delete can remove the key between the two calls.
        if (bpf_map_lookup_elem(trieFd, &key, &rule) == 0) visit(key, rule);
    });
}

// Calls fn(trieFd, &key) with the prefix's trie and key in the ABI layout;
// returns 0 or the errno of a failed call.
template <typename Fn>
int withTrieKey(const MapSet& maps, const Prefix& prefix, Fn&& fn) {
    int rc = 0;
    if (prefix.family() == Family::V4) {
        const xg_lpm_v4 key = prefix.keyV4();
        rc = fn(maps.allowV4.get(), &key);
    } else {
        const xg_lpm_v6 key = prefix.keyV6();
        rc = fn(maps.allowV6.get(), &key);
    }
    return rc ? errno : 0;
}

int insertRule(const MapSet& maps, const Prefix& prefix, xg_rule rule) {
    return withTrieKey(maps, prefix, [&](int fd, const void* key) {
        return bpf_map_update_elem(fd, key, &rule, BPF_NOEXIST);
    });
}

// The rule id of a prefix the tries hold: an LPM lookup of the prefix
// itself finds it, being the longest prefix that covers its own address.
uint32_t existingRuleId(const MapSet& maps, const Prefix& prefix) {
    xg_rule rule{};
    if (withTrieKey(maps, prefix, [&](int fd, const void* key) { return bpf_map_lookup_elem(fd, key, &rule); }))
        failErrno(errno, "look up " + prefix.str() + " in the allowlist");
    return rule.id;
}

int deleteRule(const MapSet& maps, const Prefix& prefix) {
    return withTrieKey(maps, prefix,
                       [](int fd, const void* key) { return bpf_map_delete_elem(fd, key); });
}

}  // namespace

Allowlist::Allowlist(const MapSet& maps) : maps_(maps), capacity_(maxEntries(maps.ruleCount.get())) {}

RuleIds Allowlist::rules() const {
    RuleIds rules;
    auto collect = [&](const auto& key, const xg_rule& rule) { rules[Prefix::fromKey(key)] = rule.id; };
    forEachRule<xg_lpm_v4>(maps_.allowV4.get(), collect);
    forEachRule<xg_lpm_v6>(maps_.allowV6.get(), collect);
    return rules;
}

std::vector<AllowEntry> Allowlist::withCounters(const RuleIds& rules) const {
    const std::vector<uint64_t> counts = sumPerCpuCounters(maps_.ruleCount.get(), capacity_);
    std::vector<AllowEntry> entries;
    for (const auto& [prefix, id] : rules) entries.push_back({prefix, id, id < counts.size() ? counts[id] : 0});
    return entries;
}

std::vector<AllowEntry> Allowlist::list() const { return withCounters(rules()); }

size_t Allowlist::size() const {
    size_t count = 0;
    auto tally = [&](const auto&, const xg_rule&) { ++count; };
    forEachRule<xg_lpm_v4>(maps_.allowV4.get(), tally);
    forEachRule<xg_lpm_v6>(maps_.allowV6.get(), tally);
    return count;
}

RuleIds Allowlist::reserve(const std::vector<Prefix>& fresh, size_t presentCount) {
    if (presentCount + fresh.size() > capacity_)
        throw Error(ErrorKind::Runtime,
                    "the allowlist holds at most " + std::to_string(capacity_) + " prefixes (" +
                        std::to_string(presentCount) + " present, " + std::to_string(fresh.size()) +
                        " to add; a change adds before it removes); nothing was changed. Raise it with "
                        "`xdpguard detach --all --purge` and `attach --max-prefixes N`");
    RuleIds assigned;
    if (fresh.empty()) return assigned;
    // Ids are taken in the pinned bitmap before any record or trie names
    // them, so an id is never handed out twice, whatever was interrupted.
    const std::vector<uint32_t> ids = RuleIdPool(maps_, capacity_).take(fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) assigned[fresh[i]] = ids[i];
    return assigned;
}

RuleIds Allowlist::insert(const RuleIds& rules) {
    // Zero before the prefixes become visible: a slot may hold the count of
    // a prefix deleted earlier. Then the prefilter must pass a source
    // before the trie can allow it.
    zeroPerCpuCounters(maps_.ruleCount.get(), rules);
    std::vector<Prefix> prefixes;
    for (const auto& [prefix, id] : rules) prefixes.push_back(prefix);
    Prefilter(maps_).cover(prefixes);
    RuleIds actual = rules;
    std::vector<Prefix> inserted;
    std::vector<uint32_t> unused;
    for (auto& [prefix, id] : actual) {
        const int err = insertRule(maps_, prefix, xg_rule{id});
        if (err == EEXIST) {
            // Already in the tries (a prefix without its record): keep its id.
            unused.push_back(id);
            id = existingRuleId(maps_, prefix);
        } else if (err) {
            for (const Prefix& undo : inserted) deleteRule(maps_, undo);
            failErrno(err, "add " + prefix.str() + " to the allowlist (nothing was added)");
        } else {
            inserted.push_back(prefix);
        }
    }
    RuleIdPool(maps_, capacity_).release(unused);
    return actual;
}

RuleIds Allowlist::add(const std::vector<Prefix>& prefixes, const RuleIds& present) {
    std::vector<Prefix> fresh;
    for (const Prefix& prefix : std::set<Prefix>(prefixes.begin(), prefixes.end()))
        if (!present.count(prefix)) fresh.push_back(prefix);
    const RuleIds reserved = reserve(fresh, present.size());
    try {
        return insert(reserved);
    } catch (...) {
        std::vector<uint32_t> ids;
        for (const auto& [prefix, id] : reserved) ids.push_back(id);
        RuleIdPool(maps_, capacity_).release(ids);
        throw;
    }
}

bool Allowlist::holds(const Prefix& prefix, uint32_t ruleId) const {
    xg_rule rule{};
    const int err =
        withTrieKey(maps_, prefix, [&](int fd, const void* key) { return bpf_map_lookup_elem(fd, key, &rule); });
    if (err && err != ENOENT) failErrno(err, "look up " + prefix.str() + " in the allowlist");
    return !err && rule.id == ruleId;
}

void Allowlist::remove(const std::vector<Prefix>& prefixes, const RuleIds& present, bool releaseIds) {
    for (const Prefix& prefix : prefixes)
        if (!present.count(prefix))
            badInput(prefix.str() + " is not in the allowlist; nothing was removed (see `xdpguard allow list`)");
    const std::set<Prefix> doomed(prefixes.begin(), prefixes.end());
    for (const Prefix& prefix : doomed)
        if (int err = deleteRule(maps_, prefix); err && err != ENOENT)  // ENOENT: an interrupted removal
            failErrno(err, "remove " + prefix.str() + " from the allowlist");
    // Only once the tries no longer hold them may their blocks close.
    std::vector<Prefix> remaining;
    for (const auto& [prefix, id] : present)
        if (!doomed.count(prefix)) remaining.push_back(prefix);
    Prefilter(maps_).uncover({doomed.begin(), doomed.end()}, remaining);
    if (!releaseIds) return;
    std::vector<uint32_t> freed;
    for (const Prefix& prefix : doomed) freed.push_back(present.at(prefix));
    release(freed);
}

void Allowlist::release(const std::vector<uint32_t>& ruleIds) { RuleIdPool(maps_, capacity_).release(ruleIds); }

}  // namespace xdpguard
