#include "allowlist.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <type_traits>
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
    forEachEntryBatched<Key, xg_rule>(trieFd, "the allowlist", visit);
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

// Writes one family's rules with batched updates. The kernel's generic
// batch update cannot refuse existing keys (BPF_NOEXIST), so callers pass
// only prefixes the tries do not hold, as read under the pin-dir lock.
// Returns 0 or the errno of a failed batch. `reached`: how many keys may
// have been written, all of them after a failure (a batch the kernel
// refuses up front does not report how far it got). `failed`: the key the
// kernel stopped at, if it said.
struct BatchResult {
    int err = 0;
    size_t reached = 0;
    std::optional<size_t> failed;
};

template <typename Key>
BatchResult insertBatch(int trieFd, const std::vector<Key>& keys, const std::vector<xg_rule>& rules) {
    BatchResult result;
    while (result.reached < keys.size()) {
        const auto requested = static_cast<uint32_t>(keys.size() - result.reached);
        uint32_t count = requested;
        if (bpf_map_update_batch(trieFd, keys.data() + result.reached, rules.data() + result.reached, &count,
                                 nullptr)) {
            result.err = errno;
            if (count < requested) result.failed = result.reached + count;
            result.reached = keys.size();
            return result;
        }
        result.reached += count;
    }
    return result;
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

// An LPM lookup finds the longest prefix covering the key, which may be a
// shorter one. Exactness comes from BPF_MAP_GET_NEXT_KEY (bpf(2)): for a key
// the map does not hold it returns the first key, for a key it holds the
// next one (never the first) or ENOENT after the last.
std::optional<uint32_t> Allowlist::exactRuleIdOf(const Prefix& prefix) const {
    xg_rule rule{};
    int err = withTrieKey(maps_, prefix, [&](int fd, const void* key) { return bpf_map_lookup_elem(fd, key, &rule); });
    if (err == ENOENT) return std::nullopt;
    if (err) failErrno(err, "look up " + prefix.str() + " in the allowlist");
    auto heldExactly = [&](int fd, const auto& key) {
        std::remove_cvref_t<decltype(key)> afterKey{}, first{};
        if (bpf_map_get_next_key(fd, &key, &afterKey)) {
            if (errno == ENOENT) return true;  // the last key: held
            failErrno(errno, "look up " + prefix.str() + " in the allowlist");
        }
        if (bpf_map_get_next_key(fd, nullptr, &first)) failErrno(errno, "walk the allowlist");
        return std::memcmp(&afterKey, &first, sizeof first) != 0;
    };
    const bool held = prefix.family() == Family::V4 ? heldExactly(maps_.allowV4.get(), prefix.keyV4())
                                                    : heldExactly(maps_.allowV6.get(), prefix.keyV6());
    if (!held) return std::nullopt;
    return rule.id;
}

size_t Allowlist::usedRuleIds() const { return RuleIdPool(maps_, capacity_).used(); }

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
    checkRoom(fresh.size(), presentCount);
    RuleIds assigned;
    if (fresh.empty()) return assigned;
    // Ids are taken in the pinned bitmap before any record or trie names
    // them, so an id is never handed out twice, whatever was interrupted.
    const std::vector<uint32_t> ids = RuleIdPool(maps_, capacity_).take(fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) assigned[fresh[i]] = ids[i];
    return assigned;
}

void Allowlist::checkRoom(size_t freshCount, size_t presentCount) const {
    if (presentCount + freshCount > capacity_)
        throw Error(ErrorKind::Runtime,
                    "the allowlist holds at most " + std::to_string(capacity_) + " prefixes (" +
                        std::to_string(presentCount) + " present, " + std::to_string(freshCount) +
                        " to add; a change adds before it removes); nothing was changed. Raise it with "
                        "`xdpguard detach --all --purge` and `attach --max-prefixes N`");
}

void Allowlist::insert(const RuleIds& rules) {
    // Zero before the prefixes become visible: a slot may hold the count of
    // a prefix deleted earlier. Then the prefilter must pass a source
    // before the trie can allow it.
    zeroPerCpuCounters(maps_.ruleCount.get(), rules);
    std::vector<Prefix> prefixes;
    for (const auto& [prefix, id] : rules) prefixes.push_back(prefix);
    Prefilter(maps_).cover(prefixes);
    std::vector<xg_lpm_v4> keys4;
    std::vector<xg_lpm_v6> keys6;
    std::vector<xg_rule> rules4, rules6;
    std::vector<Prefix> order4, order6;  // the prefixes in batch order
    for (const auto& [prefix, id] : rules) {
        if (prefix.family() == Family::V4) {
            keys4.push_back(prefix.keyV4());
            rules4.push_back({id});
            order4.push_back(prefix);
        } else {
            keys6.push_back(prefix.keyV6());
            rules6.push_back({id});
            order6.push_back(prefix);
        }
    }
    const BatchResult v4 = insertBatch(maps_.allowV4.get(), keys4, rules4);
    const BatchResult v6 = v4.err ? BatchResult{} : insertBatch(maps_.allowV6.get(), keys6, rules6);
    if (!v4.err && !v6.err) return;
    // All or nothing. The tries held none of these prefixes (see the
    // header), so deleting each one this call may have written is safe.
    for (size_t i = 0; i < v4.reached; ++i) deleteRule(maps_, order4[i]);
    for (size_t i = 0; i < v6.reached; ++i) deleteRule(maps_, order6[i]);
    const BatchResult& bad = v4.err ? v4 : v6;
    const std::vector<Prefix>& order = v4.err ? order4 : order6;
    const std::string what = bad.failed ? order[*bad.failed].str() : std::to_string(order.size()) + " prefixes";
    failErrno(bad.err, "add " + what + " to the allowlist (nothing was added)");
}

RuleIds Allowlist::add(const std::vector<Prefix>& prefixes, const RuleIds& present) {
    std::vector<Prefix> fresh;
    for (const Prefix& prefix : std::set<Prefix>(prefixes.begin(), prefixes.end()))
        if (!present.count(prefix)) fresh.push_back(prefix);
    const RuleIds reserved = reserve(fresh, present.size());
    try {
        insert(reserved);
        return reserved;
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
