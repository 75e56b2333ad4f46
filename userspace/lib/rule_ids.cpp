#include "rule_ids.hpp"

#include <bpf/bpf.h>

#include <bit>
#include <cerrno>
#include <set>

#include "abi.hpp"
#include "error.hpp"

namespace xdpguard {

RuleIdPool::RuleIdPool(const MapSet& maps, uint32_t capacity)
    : maps_(maps), capacity_(capacity), bits_(XG_RULE_ID_WORDS(capacity), 0) {
    std::vector<uint32_t> keys(bits_.size());
    uint32_t token = 0;
    void* in = nullptr;
    for (;;) {
        uint32_t count = static_cast<uint32_t>(keys.size());
        std::vector<uint64_t> values(keys.size());
        const int rc = bpf_map_lookup_batch(maps_.ruleIds.get(), in, &token, keys.data(), values.data(), &count,
                                            nullptr);
        if (rc && errno != ENOENT) failErrno(errno, "read the rule id map");
        for (uint32_t i = 0; i < count; ++i)
            if (keys[i] < bits_.size()) bits_[keys[i]] = values[i];
        if (rc) return;
        in = &token;
    }
}

std::vector<uint32_t> RuleIdPool::take(size_t count) {
    std::vector<uint32_t> ids;
    std::set<uint32_t> touched;
    for (uint32_t id = 0; id < capacity_ && ids.size() < count; ++id) {
        uint64_t& word = bits_[id / 64];
        if (word == ~0ULL) {
            id |= 63;  // a full word: skip to the next
            continue;
        }
        if (word & (1ULL << (id % 64))) continue;
        word |= 1ULL << (id % 64);
        ids.push_back(id);
        touched.insert(id / 64);
    }
    if (ids.size() < count)
        throw Error(ErrorKind::Runtime, "no free rule id left (capacity " + std::to_string(capacity_) +
                                            "); raise it with `detach --all --purge` and `attach --max-prefixes N`");
    write({touched.begin(), touched.end()});
    return ids;
}

size_t RuleIdPool::used() const {
    size_t count = 0;
    for (uint64_t word : bits_) count += static_cast<size_t>(std::popcount(word));
    return count;
}

void RuleIdPool::release(const std::vector<uint32_t>& ids) {
    std::set<uint32_t> touched;
    for (uint32_t id : ids) {
        if (id >= capacity_) continue;
        bits_[id / 64] &= ~(1ULL << (id % 64));
        touched.insert(id / 64);
    }
    write({touched.begin(), touched.end()});
}

void RuleIdPool::write(const std::vector<uint32_t>& words) {
    if (words.empty()) return;
    std::vector<uint32_t> keys = words;
    std::vector<uint64_t> values;
    for (uint32_t word : words) values.push_back(bits_[word]);
    uint32_t count = static_cast<uint32_t>(keys.size());
    if (bpf_map_update_batch(maps_.ruleIds.get(), keys.data(), values.data(), &count, nullptr))
        failErrno(errno, "update the rule id map");
}

}  // namespace xdpguard
