// The userspace half of the prefilter bitmap (see XG_MAP_PREFILTER in
// abi.h): one bit per top-24-bit block per family, set while any allowlist
// prefix overlaps the block. Kept a superset of the tries at every moment:
// cover() runs before prefixes enter the tries, uncover() after they left.
// Each also keeps the summary above the bits (a bit per /16, abi.h) and the
// second level below them, the blocks' bitmaps (block_hosts.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

class Prefilter {
public:
    explicit Prefilter(const MapSet& maps) : maps_(maps) {}

    // Sets the bits of every block the prefixes overlap.
    void cover(const std::vector<Prefix>& prefixes);
    // Recomputes the blocks the removed prefixes overlapped from the
    // prefixes that remain, clearing bits nothing covers any more.
    void uncover(const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining);

private:
    void forgetClosing(const std::map<uint32_t, uint64_t>& words);

    const MapSet& maps_;
};

}  // namespace xdpguard
