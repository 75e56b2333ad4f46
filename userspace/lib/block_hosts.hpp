// The prefilter's second level (see xg_block_hosts in abi.h): for each /24
// block that only prefixes longer than /24 cover, a bitmap of the values of
// the address's bits 24-31 the prefixes overlap: the IPv4 addresses they
// cover, the IPv6 /32s they touch. With it, a SYN from such a block that no
// prefix can cover is denied without the trie walk. Blocks are named by
// their key (XG_BLOCK_KEY: the top 24 bits, bit 24 set for IPv6). IPv6 has
// a third level (XG_SLASH32_TAG), bitmaps of the /40s of the /32s whose
// bits are set, for a source in the /32 of a gateway's longer prefix.
//
// Each bitmap stays a superset of what the tries allow in its block, and an
// entry exists only while its block's prefilter bit is set:
//   open()  runs after the prefilter bits are set and before prefixes enter
//           the tries: bitmaps only grow, or go (the trie decides there);
//   close() runs after prefixes left the tries and before the prefilter
//           bits are cleared: bitmaps shrink to what remains, or go.
// A /32's entry is read only under a set bit of an existing block entry,
// and is made right (rebuilt, grown or cleared) before a change sets such a
// bit: it may outlive its bit, unread, but never a change that sets it.
// A block without an entry simply goes to the trie, so a missing entry (a
// slot another block holds, an interrupted change) costs speed, never a
// verdict. Words are read and written through mmap() with one atomic
// access each, as the program reads them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

class BlockHosts {
public:
    explicit BlockHosts(const MapSet& maps) : maps_(maps) {}

    // `openBefore(word)`: the prefilter word `word` (block keys word*64 to
    // word*64+63) as it was before this change; a clear bit proves the tries
    // allow nothing in that block yet.
    void open(const std::vector<Prefix>& added, const std::function<uint64_t(uint32_t)>& openBefore);
    // `remaining`: every prefix the tries still hold.
    void close(const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining);
    // Empties the slots of the blocks (keys): their prefilter bits are about to clear.
    void forget(const std::vector<uint32_t>& blocks);

    // xg_config.block_slot_shift for this filter's array (its size).
    uint32_t slotShift() const;

    using Hosts = std::array<uint64_t, 4>;  // bit: the address's bits 24-31 (a /32's: 32-39)
    enum class Level { Block, Slash32 };
    // Every entry of the level that its slot holds whole (blocks by key,
    // /32s by their top 32 bits), and how many slots of either level hold
    // only part of an entry (an interrupted write or clear).
    std::map<uint32_t, Hosts> all(Level level = Level::Block, size_t* mixedSlots = nullptr) const;

private:
    const MapSet& maps_;
};

}  // namespace xdpguard
