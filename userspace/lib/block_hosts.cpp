#include "block_hosts.hpp"

#include <bpf/bpf.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "abi.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

constexpr unsigned kBlockBits = XG_PREFILTER_BITS;  // a block is a /24 of either family
// A block's key divided by 64 is its prefilter word (abi.h).
static_assert(XG_PREFILTER_V4_BASE == 0 && XG_PREFILTER_V6_BASE == XG_BLOCK_KEY(1, 0) / 64);
using Hosts = BlockHosts::Hosts;
using Bitmaps = std::map<uint32_t, Hosts>;  // block key -> bits

uint32_t top32(const Prefix& prefix) {
    const auto& b = prefix.bytes();
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

uint32_t keyOf(const Prefix& prefix) { return XG_BLOCK_KEY(prefix.family() == Family::V6, top32(prefix)); }

// A prefix the second level describes: longer than a block.
bool inOneBlock(const Prefix& prefix) { return prefix.length() > kBlockBits; }

// Sets the bits of the address's bits 24-31 (an IPv4 host, an IPv6 /32)
// that the prefix overlaps.
void addHosts(Hosts& bitmap, const Prefix& prefix) {
    const unsigned count = 1u << (32 - std::min(prefix.length(), 32u));
    // Masked: a key adopted from the trie as it was may carry host bits.
    const unsigned first = prefix.bytes()[3] & ~(count - 1);
    for (unsigned host = first; host < first + count; ++host) bitmap[host / 64] |= 1ULL << (host % 64);
}

// The blocks that prefixes of /24 or shorter cover whole, as merged sorted
// ranges of keys, to ask "is this block covered?" in log time.
class WholeBlocks {
public:
    explicit WholeBlocks(const std::vector<Prefix>& prefixes) {
        for (const Prefix& prefix : prefixes) {
            if (prefix.length() > kBlockBits) continue;
            const uint32_t span = 1u << (kBlockBits - prefix.length());
            const uint32_t first = keyOf(prefix) & ~(span - 1);  // masked, as addHosts; keeps the family bit
            ranges_.emplace_back(first, first + (span - 1));
        }
        std::sort(ranges_.begin(), ranges_.end());
        std::vector<std::pair<uint32_t, uint32_t>> merged;
        for (const auto& range : ranges_)
            if (!merged.empty() && range.first <= merged.back().second + 1)
                merged.back().second = std::max(merged.back().second, range.second);
            else
                merged.push_back(range);
        ranges_ = std::move(merged);
    }
    bool covers(uint32_t block) const {
        auto after = std::upper_bound(ranges_.begin(), ranges_.end(), std::pair{block, UINT32_MAX});
        return after != ranges_.begin() && std::prev(after)->second >= block;
    }
    const std::vector<std::pair<uint32_t, uint32_t>>& ranges() const { return ranges_; }

private:
    std::vector<std::pair<uint32_t, uint32_t>> ranges_;
};

// The number of slots: the array's size, a power of two (skeleton.cpp).
uint32_t slotCount(int fd) {
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length)) failErrno(errno, "read the allowlist's host bitmap size");
    return info.max_entries;
}

uint32_t shiftFor(uint32_t slots) { return 32 - static_cast<uint32_t>(__builtin_ctz(slots)); }

// The array mapped into this process.
class Slots {
public:
    explicit Slots(int fd) : count_(slotCount(fd)), shift_(shiftFor(count_)) {
        void* at = mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (at == MAP_FAILED) failErrno(errno, "map the allowlist's host bitmaps");
        slots_ = static_cast<xg_block_hosts*>(at);
    }
    ~Slots() { munmap(slots_, bytes()); }
    Slots(const Slots&) = delete;
    Slots& operator=(const Slots&) = delete;

    // What the block's slots say of it: nothing, all its bits, or (an
    // interrupted write) some words of it beside others'.
    enum class Held { None, Whole, Part };
    Held held(uint32_t block, Hosts* hosts = nullptr) const {
        for (uint32_t way = 0; way < 2; ++way) {
            const size_t mine = wordsOf(slotOf(block, way), block);
            if (mine == 0) continue;
            if (mine < XG_BLOCK_WORDS) return Held::Part;
            if (hosts)
                for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
                    (*hosts)[i / 2] |= (load(slotOf(block, way), i) & 0xffffffffULL) << (32 * (i % 2));
            return Held::Whole;
        }
        return Held::None;
    }
    // Stores the block's bits, word by word, in the slot that has words of
    // it, or else a free one; none free: the trie decides. Every word the
    // program loads is the block's before or after, each version a superset
    // as long as the caller orders the changes. Words of the block in the
    // other slot (an interrupted write) are emptied first, since the
    // program looks there first or instead.
    void write(uint32_t block, const Hosts& hosts) {
        std::optional<uint32_t> target;
        for (uint32_t way = 0; way < 2 && !target; ++way) {
            const uint32_t slot = slotOf(block, way);
            const size_t mine = wordsOf(slot, block);
            if (mine > 0 && mine + freeWords(slot) == XG_BLOCK_WORDS) target = slot;
        }
        for (uint32_t way = 0; way < 2 && !target; ++way)
            if (freeWords(slotOf(block, way)) == XG_BLOCK_WORDS) target = slotOf(block, way);
        for (uint32_t way = 0; way < 2; ++way)
            if (slotOf(block, way) != target) clearIn(slotOf(block, way), block);
        if (!target) return;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) {
            const uint64_t bits = (hosts[i / 2] >> (32 * (i % 2))) & 0xffffffffULL;
            word(*target, i).store((uint64_t(XG_BLOCK_TAG(block)) << 32) | bits, std::memory_order_release);
        }
    }
    // Empties the words of the block's slots that are the block's.
    void clear(uint32_t block) {
        for (uint32_t way = 0; way < 2; ++way) clearIn(slotOf(block, way), block);
    }
    uint32_t count() const { return count_; }
    uint32_t slotOf(uint32_t block, uint32_t way) const { return XG_BLOCK_SLOT(block, way, shift_); }
    uint64_t load(uint32_t slot, size_t i) const { return word(slot, i).load(std::memory_order_acquire); }

private:
    size_t bytes() const { return sizeof(xg_block_hosts) * count_; }
    std::atomic_ref<__u64> word(uint32_t slot, size_t i) const { return std::atomic_ref<__u64>(slots_[slot].words[i]); }
    // How many of the slot's words carry this tag.
    size_t tagged(uint32_t slot, uint32_t tag) const {
        size_t n = 0;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) n += (load(slot, i) >> 32) == tag;
        return n;
    }
    size_t wordsOf(uint32_t slot, uint32_t block) const { return tagged(slot, XG_BLOCK_TAG(block)); }
    size_t freeWords(uint32_t slot) const { return tagged(slot, 0); }
    void clearIn(uint32_t slot, uint32_t block) {
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
            if ((load(slot, i) >> 32) == XG_BLOCK_TAG(block)) word(slot, i).store(0, std::memory_order_release);
    }

    uint32_t count_;
    uint32_t shift_;
    xg_block_hosts* slots_;
};

}  // namespace

void BlockHosts::open(const std::vector<Prefix>& added, const std::function<uint64_t(uint32_t)>& openBefore) {
    Slots slots(maps_.blockHosts.get());
    // A block a short prefix covers whole: the trie decides there. Only a
    // block whose bit was set can have a bitmap; walk the set bits.
    const WholeBlocks whole(added);
    for (const auto& [first, last] : whole.ranges())
        for (uint64_t word = first / 64; word <= last / 64; ++word)
            for (uint64_t bits = openBefore(static_cast<uint32_t>(word)); bits; bits &= bits - 1) {
                const uint64_t block = word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
                if (block >= first && block <= last) slots.clear(static_cast<uint32_t>(block));
            }
    // Long prefixes join their block's bitmap; a block nothing overlapped
    // before gets one of its own, one the trie already decided keeps none.
    Bitmaps grown;
    for (const Prefix& prefix : added)
        if (inOneBlock(prefix) && !whole.covers(keyOf(prefix))) addHosts(grown[keyOf(prefix)], prefix);
    for (auto& [block, hosts] : grown) {
        if (!((openBefore(block / 64) >> (block % 64)) & 1)) {
            slots.write(block, hosts);  // the tries allow nothing in it yet
            continue;
        }
        Hosts held{};
        switch (slots.held(block, &held)) {
        case Slots::Held::Whole:
            for (size_t i = 0; i < hosts.size(); ++i) hosts[i] |= held[i];
            slots.write(block, hosts);
            break;
        case Slots::Held::Part:  // words of an interrupted write: let the trie decide
            slots.clear(block);
            break;
        case Slots::Held::None:  // the trie decides there already
            break;
        }
    }
}

void BlockHosts::close(const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining) {
    // The blocks whose bitmap may change: those of removed long prefixes,
    // and those inside a removed short one that long prefixes still use.
    const WholeBlocks wholeRemoved(removed);
    std::set<uint32_t> touched;
    for (const Prefix& prefix : removed)
        if (inOneBlock(prefix)) touched.insert(keyOf(prefix));
    if (touched.empty() && wholeRemoved.ranges().empty()) return;

    Bitmaps rebuilt;  // from what the tries still hold
    for (const Prefix& prefix : remaining)
        if (inOneBlock(prefix) && (touched.count(keyOf(prefix)) || wholeRemoved.covers(keyOf(prefix))))
            addHosts(rebuilt[keyOf(prefix)], prefix);
    const WholeBlocks wholeRemaining(remaining);
    Slots slots(maps_.blockHosts.get());
    for (const auto& [block, hosts] : rebuilt) {
        touched.erase(block);
        if (wholeRemaining.covers(block))
            slots.clear(block);
        else
            slots.write(block, hosts);
    }
    for (uint32_t block : touched) slots.clear(block);  // nothing left in it
}

void BlockHosts::forget(const std::vector<uint32_t>& blocks) {
    if (blocks.empty()) return;
    Slots slots(maps_.blockHosts.get());
    for (uint32_t block : blocks) slots.clear(block);
}

std::map<uint32_t, BlockHosts::Hosts> BlockHosts::all(size_t* mixedSlots) const {
    const Slots slots(maps_.blockHosts.get());
    std::map<uint32_t, Hosts> out;
    size_t mixed = 0;
    for (uint32_t index = 0; index < slots.count(); ++index) {
        const uint32_t tag = static_cast<uint32_t>(slots.load(index, 0) >> 32);
        const uint32_t block = tag & ~XG_BLOCK_TAG(0);
        Hosts hosts{};
        bool empty = true;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) empty = empty && slots.load(index, i) == 0;
        if (empty) continue;
        const bool home = tag != 0 && (slots.slotOf(block, 0) == index || slots.slotOf(block, 1) == index);
        if (home && slots.held(block, &hosts) == Slots::Held::Whole)
            out[block] = hosts;
        else
            ++mixed;
    }
    if (mixedSlots) *mixedSlots = mixed;
    return out;
}

uint32_t BlockHosts::slotShift() const { return shiftFor(slotCount(maps_.blockHosts.get())); }

}  // namespace xdpguard
