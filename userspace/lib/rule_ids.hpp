// Rule id allocation from the pinned in-use bitmap (XG_MAP_RULE_IDS).
#pragma once

#include <cstdint>
#include <vector>

#include "map_set.hpp"

namespace xdpguard {

class RuleIdPool {
public:
    // Reads the bitmap (one batched lookup) for a pool of `capacity` ids.
    RuleIdPool(const MapSet& maps, uint32_t capacity);

    // The lowest `count` free ids, marked taken in the map before return
    // (so that an id is taken before any trie holds it). Throws if fewer
    // than `count` are free.
    std::vector<uint32_t> take(size_t count);
    size_t used() const;
    // Marks ids free again (after their prefixes left the tries).
    void release(const std::vector<uint32_t>& ids);

private:
    void write(const std::vector<uint32_t>& words);
    const MapSet& maps_;
    uint32_t capacity_;
    std::vector<uint64_t> bits_;
};

}  // namespace xdpguard
