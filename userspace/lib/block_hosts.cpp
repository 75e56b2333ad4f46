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
constexpr unsigned kSlash32Bits = 32;               // the third level's entries are IPv6 /32s
// A block's key divided by 64 is its prefilter word (abi.h).
static_assert(XG_PREFILTER_V4_BASE == 0 && XG_PREFILTER_V6_BASE == XG_BLOCK_KEY(1, 0) / 64);
using Hosts = BlockHosts::Hosts;
using Bitmaps = std::map<uint32_t, Hosts>;  // key -> bits

uint32_t top32(const Prefix& prefix) {
    const auto& b = prefix.bytes();
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

uint32_t keyOf(const Prefix& prefix) { return XG_BLOCK_KEY(prefix.family() == Family::V6, top32(prefix)); }

// A prefix the second level describes: longer than a block.
bool inOneBlock(const Prefix& prefix) { return prefix.length() > kBlockBits; }
// A prefix the third level describes: IPv6, longer than a /32.
bool inOneSlash32(const Prefix& prefix) { return prefix.family() == Family::V6 && prefix.length() > kSlash32Bits; }

bool bitOf(const Hosts& bits, uint32_t index) { return (bits[index / 64] >> (index % 64)) & 1; }

// Sets the bits of the entry one level above `levelEnd` (32: a block's
// address bits 24-31; 40: a /32's bits 32-39) that the prefix overlaps.
void addBits(Hosts& bitmap, const Prefix& prefix, unsigned levelEnd) {
    const unsigned count = 1u << (levelEnd - std::min(prefix.length(), levelEnd));
    // Masked: a key adopted from the trie as it was may carry host bits.
    const unsigned first = prefix.bytes()[levelEnd / 8 - 1] & ~(count - 1);
    for (unsigned index = first; index < first + count; ++index) bitmap[index / 64] |= 1ULL << (index % 64);
}

// Keys that prefixes cover whole, as merged sorted ranges, to ask "is this
// one covered?" in log time.
class WholeRanges {
public:
    void add(uint64_t first, uint64_t last) { ranges_.emplace_back(first, last); }
    void merge() {
        std::sort(ranges_.begin(), ranges_.end());
        std::vector<std::pair<uint64_t, uint64_t>> merged;
        for (const auto& range : ranges_)
            if (!merged.empty() && range.first <= merged.back().second + 1)
                merged.back().second = std::max(merged.back().second, range.second);
            else
                merged.push_back(range);
        ranges_ = std::move(merged);
    }
    bool covers(uint64_t key) const {
        auto after = std::upper_bound(ranges_.begin(), ranges_.end(), std::pair{key, UINT64_MAX});
        return after != ranges_.begin() && std::prev(after)->second >= key;
    }
    const std::vector<std::pair<uint64_t, uint64_t>>& ranges() const { return ranges_; }

private:
    std::vector<std::pair<uint64_t, uint64_t>> ranges_;
};

// The blocks (keys) that prefixes of /24 or shorter cover whole.
WholeRanges wholeBlocks(const std::vector<Prefix>& prefixes) {
    WholeRanges whole;
    for (const Prefix& prefix : prefixes) {
        if (prefix.length() > kBlockBits) continue;
        const uint32_t span = 1u << (kBlockBits - prefix.length());
        const uint32_t first = keyOf(prefix) & ~(span - 1);  // masked, as addBits; keeps the family bit
        whole.add(first, first + (span - 1));
    }
    whole.merge();
    return whole;
}

// The IPv6 /32s that prefixes of /32 or shorter cover whole.
WholeRanges wholeSlash32s(const std::vector<Prefix>& prefixes) {
    WholeRanges whole;
    for (const Prefix& prefix : prefixes) {
        if (prefix.family() != Family::V6 || prefix.length() > kSlash32Bits) continue;
        const uint64_t span = 1ULL << (kSlash32Bits - prefix.length());
        const uint64_t first = top32(prefix) & ~(span - 1);
        whole.add(first, first + (span - 1));
    }
    whole.merge();
    return whole;
}

// The number of slots: the array's size, a power of two (skeleton.cpp).
uint32_t slotCount(int fd) {
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length)) failErrno(errno, "read the allowlist's host bitmap size");
    return info.max_entries;
}

uint32_t shiftFor(uint32_t slots) { return 32 - static_cast<uint32_t>(__builtin_ctz(slots)); }

// The multiplicative inverse of an odd number modulo 2^32 (Newton's method).
constexpr uint32_t inverse(uint32_t odd) {
    uint32_t x = odd;
    for (int i = 0; i < 5; ++i) x *= 2 - odd * x;
    return x;
}
constexpr uint32_t kHashInverse[2] = {inverse(XG_BLOCK_HASH(1U, 0)), inverse(XG_BLOCK_HASH(1U, 1))};
static_assert(kHashInverse[0] * XG_BLOCK_HASH(1U, 0) == 1 && kHashInverse[1] * XG_BLOCK_HASH(1U, 1) == 1);

// An entry of the array: a block (the second level) or an IPv6 /32.
struct Entry {
    uint32_t key;  // XG_BLOCK_KEY, or the /32's top 32 bits
    bool slash32;
};
Entry block(uint32_t key) { return {key, false}; }
Entry slash32(uint32_t key) { return {key, true}; }

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

    // What the entry's slots say of it: nothing, all its bits, or (an
    // interrupted write) some words of it beside others'.
    enum class Held { None, Whole, Part };
    Held held(Entry entry, Hosts* bits = nullptr) const {
        for (uint32_t way = 0; way < 2; ++way) {
            const uint32_t slot = slotOf(entry, way);
            const size_t mine = tagged(slot, tagOf(entry, way));
            if (mine == 0) continue;
            if (mine < XG_BLOCK_WORDS) return Held::Part;
            if (bits)
                for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
                    (*bits)[i / 2] |= (load(slot, i) & 0xffffffffULL) << (32 * (i % 2));
            return Held::Whole;
        }
        return Held::None;
    }
    // Stores the entry's bits, word by word, in the slot that has words of
    // it, or else a free one, or else one whose holder can move to its other
    // slot; none: the trie decides. Every word the
    // program loads is the entry's before or after, each version a superset
    // as long as the caller orders the changes. Words of the entry in the
    // other slot (an interrupted write) are emptied first, since the
    // program looks there first or instead.
    void write(Entry entry, const Hosts& bits) {
        std::optional<uint32_t> way;
        for (uint32_t w = 0; w < 2 && !way; ++w) {
            const size_t mine = tagged(slotOf(entry, w), tagOf(entry, w));
            if (mine > 0 && mine + freeWords(slotOf(entry, w)) == XG_BLOCK_WORDS) way = w;
        }
        for (uint32_t w = 0; w < 2 && !way; ++w)
            if (freeWords(slotOf(entry, w)) == XG_BLOCK_WORDS) way = w;
        for (uint32_t w = 0; w < 2 && !way; ++w)
            if (tagged(slotOf(entry, w), tagOf(entry, w)) == 0 && moveAway(slotOf(entry, w))) way = w;
        for (uint32_t w = 0; w < 2; ++w)
            if (!way || slotOf(entry, w) != slotOf(entry, *way) || tagOf(entry, w) != tagOf(entry, *way))
                clearIn(slotOf(entry, w), tagOf(entry, w));
        if (!way) return;
        const uint64_t tag = uint64_t(tagOf(entry, *way)) << 32;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) {
            const uint64_t half = (bits[i / 2] >> (32 * (i % 2))) & 0xffffffffULL;
            word(slotOf(entry, *way), i).store(tag | half, std::memory_order_release);
        }
    }
    // Empties the words of the entry's slots that are the entry's.
    void clear(Entry entry) {
        for (uint32_t way = 0; way < 2; ++way) clearIn(slotOf(entry, way), tagOf(entry, way));
    }
    // The entry a tag in `slot` names, if the slot is its home.
    std::optional<Entry> entryAt(uint32_t slot, uint32_t tag) const {
        if (!(tag & 0x80000000U)) return std::nullopt;
        if (!(tag & 0x40000000U)) {
            const Entry entry = block(tag & ~XG_BLOCK_TAG(0));
            if (slotOf(entry, 0) == slot || slotOf(entry, 1) == slot) return entry;
            return std::nullopt;
        }
        const uint32_t way = (tag >> 29) & 1, low = tag & ((1U << shift_) - 1);
        const Entry entry = slash32(((slot << shift_) | low) * kHashInverse[way]);
        if (tagOf(entry, way) != tag) return std::nullopt;  // stray bits between the marks
        return entry;
    }
    uint32_t count() const { return count_; }
    uint32_t slotOf(Entry entry, uint32_t way) const { return XG_BLOCK_SLOT(entry.key, way, shift_); }
    uint64_t load(uint32_t slot, size_t i) const { return word(slot, i).load(std::memory_order_acquire); }

private:
    uint32_t tagOf(Entry entry, uint32_t way) const {
        return entry.slash32 ? XG_SLASH32_TAG(entry.key, way, shift_) : XG_BLOCK_TAG(entry.key);
    }
    size_t bytes() const { return sizeof(xg_block_hosts) * count_; }
    std::atomic_ref<__u64> word(uint32_t slot, size_t i) const { return std::atomic_ref<__u64>(slots_[slot].words[i]); }
    // How many of the slot's words carry this tag.
    size_t tagged(uint32_t slot, uint32_t tag) const {
        size_t n = 0;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) n += (load(slot, i) >> 32) == tag;
        return n;
    }
    size_t freeWords(uint32_t slot) const { return tagged(slot, 0); }
    // Moves the entry that holds `slot` whole to its other slot, if that one
    // is free: the copy first, then the original goes, so that the program
    // finds it whole in one or the other at every moment.
    bool moveAway(uint32_t slot) {
        const auto holder = entryAt(slot, static_cast<uint32_t>(load(slot, 0) >> 32));
        if (!holder) return false;
        for (uint32_t w = 0; w < 2; ++w) {
            const uint32_t there = slotOf(*holder, 1 - w);
            if (slotOf(*holder, w) != slot || tagged(slot, tagOf(*holder, w)) != XG_BLOCK_WORDS || there == slot ||
                freeWords(there) != XG_BLOCK_WORDS)
                continue;
            const uint64_t tag = uint64_t(tagOf(*holder, 1 - w)) << 32;
            for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
                word(there, i).store(tag | (load(slot, i) & 0xffffffffULL), std::memory_order_release);
            clearIn(slot, tagOf(*holder, w));
            return true;
        }
        return false;
    }
    void clearIn(uint32_t slot, uint32_t tag) {
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
            if ((load(slot, i) >> 32) == tag) word(slot, i).store(0, std::memory_order_release);
    }

    uint32_t count_;
    uint32_t shift_;
    xg_block_hosts* slots_;
};

// Grows an entry the tries may already use: its bits join the held ones;
// the words of an interrupted write go (the trie decides); no entry stays
// none (the trie decides already).
void growHeld(Slots& slots, Entry entry, Hosts bits) {
    Hosts held{};
    switch (slots.held(entry, &held)) {
    case Slots::Held::Whole:
        for (size_t i = 0; i < bits.size(); ++i) bits[i] |= held[i];
        slots.write(entry, bits);
        break;
    case Slots::Held::Part:
        slots.clear(entry);
        break;
    case Slots::Held::None:
        break;
    }
}

// The third level's part of open(), before the blocks' bits that expose
// it: a /32 an added prefix covers whole loses its entry (the trie
// decides); one that added long prefixes use grows, or gets one of its
// own if the tries provably hold nothing in it yet.
void openSlash32s(Slots& slots, const std::vector<Prefix>& added,
                  const std::function<uint64_t(uint32_t)>& openBefore) {
    for (const Prefix& prefix : added) {
        // /24 or shorter: the blocks' entries go (open()), and no block entry
        // comes back while the prefix stays, so nothing exposes a /32's.
        if (prefix.family() != Family::V6 || prefix.length() <= kBlockBits || inOneSlash32(prefix)) continue;
        const uint32_t span = 1u << (kSlash32Bits - prefix.length());
        const uint32_t first = top32(prefix) & ~(span - 1);
        for (uint32_t key = first; key - first < span; ++key) slots.clear(slash32(key));
    }
    const WholeRanges whole = wholeSlash32s(added);
    Bitmaps grown;
    for (const Prefix& prefix : added)
        if (inOneSlash32(prefix) && !whole.covers(top32(prefix))) addBits(grown[top32(prefix)], prefix, 40);
    for (const auto& [key, bits] : grown) {
        const uint32_t blockKey = XG_BLOCK_KEY(1, key);
        bool empty = !((openBefore(blockKey / 64) >> (blockKey % 64)) & 1);
        Hosts blockBits{};
        if (!empty && slots.held(block(blockKey), &blockBits) == Slots::Held::Whole)
            empty = !bitOf(blockBits, key & 255);
        if (empty)
            slots.write(slash32(key), bits);
        else
            growHeld(slots, slash32(key), bits);
    }
}

}  // namespace

void BlockHosts::open(const std::vector<Prefix>& added, const std::function<uint64_t(uint32_t)>& openBefore) {
    Slots slots(maps_.blockHosts.get());
    // A block a short prefix covers whole: the trie decides there. Only a
    // block whose bit was set can have a bitmap; walk the set bits.
    const WholeRanges whole = wholeBlocks(added);
    for (const auto& [first, last] : whole.ranges())
        for (uint64_t word = first / 64; word <= last / 64; ++word)
            for (uint64_t bits = openBefore(static_cast<uint32_t>(word)); bits; bits &= bits - 1) {
                const uint64_t key = word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
                if (key >= first && key <= last) slots.clear(block(static_cast<uint32_t>(key)));
            }
    openSlash32s(slots, added, openBefore);
    // Long prefixes join their block's bitmap; a block nothing overlapped
    // before gets one of its own, one the trie already decided keeps none.
    Bitmaps grown;
    for (const Prefix& prefix : added)
        if (inOneBlock(prefix) && !whole.covers(keyOf(prefix))) addBits(grown[keyOf(prefix)], prefix, 32);
    for (const auto& [key, bits] : grown) {
        if (!((openBefore(key / 64) >> (key % 64)) & 1))
            slots.write(block(key), bits);  // the tries allow nothing in it yet
        else
            growHeld(slots, block(key), bits);
    }
}

namespace {

// The third level's part of close(), before the blocks' entries are
// rewritten: each /32 whose bit a rewritten IPv6 block entry sets gets its
// entry rebuilt from what the tries still hold (the bit may be new, and an
// entry left from long ago must not be trusted), and those of the removed
// long prefixes that no bit marks any more go.
void closeSlash32s(Slots& slots, const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining,
                   const Bitmaps& blocks) {
    std::set<uint32_t> marked;
    for (const auto& [key, bits] : blocks)
        if (key >> kBlockBits)  // IPv6
            for (uint32_t index = 0; index < 256; ++index)
                if (bitOf(bits, index)) marked.insert(((key & 0xFFFFFF) << 8) | index);
    const WholeRanges whole = wholeSlash32s(remaining);
    Bitmaps rebuilt;
    for (const Prefix& prefix : remaining)
        if (inOneSlash32(prefix) && marked.count(top32(prefix))) addBits(rebuilt[top32(prefix)], prefix, 40);
    for (uint32_t key : marked) {
        const auto it = rebuilt.find(key);
        if (it == rebuilt.end() || whole.covers(key))
            slots.clear(slash32(key));
        else
            slots.write(slash32(key), it->second);
    }
    for (const Prefix& prefix : removed)
        if (inOneSlash32(prefix) && !marked.count(top32(prefix))) slots.clear(slash32(top32(prefix)));
}

}  // namespace

void BlockHosts::close(const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining) {
    // The blocks whose bitmap may change: those of removed long prefixes,
    // and those inside a removed short one that long prefixes still use.
    const WholeRanges wholeRemoved = wholeBlocks(removed);
    std::set<uint32_t> touched;
    for (const Prefix& prefix : removed)
        if (inOneBlock(prefix)) touched.insert(keyOf(prefix));
    if (touched.empty() && wholeRemoved.ranges().empty()) return;

    Bitmaps rebuilt;  // from what the tries still hold
    for (const Prefix& prefix : remaining)
        if (inOneBlock(prefix) && (touched.count(keyOf(prefix)) || wholeRemoved.covers(keyOf(prefix))))
            addBits(rebuilt[keyOf(prefix)], prefix, 32);
    const WholeRanges wholeRemaining = wholeBlocks(remaining);
    for (const auto& [key, bits] : rebuilt)
        if (wholeRemaining.covers(key)) touched.insert(key);  // a short prefix covers it: no entry
    std::erase_if(rebuilt, [&](const auto& entry) { return wholeRemaining.covers(entry.first); });
    Slots slots(maps_.blockHosts.get());
    closeSlash32s(slots, removed, remaining, rebuilt);
    for (const auto& [key, bits] : rebuilt) {
        touched.erase(key);
        slots.write(block(key), bits);
    }
    for (uint32_t key : touched) slots.clear(block(key));  // nothing left in it, or a short prefix covers it
}

void BlockHosts::forget(const std::vector<uint32_t>& blocks) {
    if (blocks.empty()) return;
    Slots slots(maps_.blockHosts.get());
    for (uint32_t key : blocks) slots.clear(block(key));
}

std::map<uint32_t, BlockHosts::Hosts> BlockHosts::all(Level level, size_t* mixedSlots) const {
    const Slots slots(maps_.blockHosts.get());
    std::map<uint32_t, Hosts> out;
    size_t mixed = 0;
    for (uint32_t index = 0; index < slots.count(); ++index) {
        bool empty = true;
        for (size_t i = 0; i < XG_BLOCK_WORDS; ++i) empty = empty && slots.load(index, i) == 0;
        if (empty) continue;
        const auto entry = slots.entryAt(index, static_cast<uint32_t>(slots.load(index, 0) >> 32));
        Hosts bits{};
        if (!entry || slots.held(*entry, &bits) != Slots::Held::Whole)
            ++mixed;
        else if (entry->slash32 == (level == Level::Slash32))
            out[entry->key] = bits;
    }
    if (mixedSlots) *mixedSlots = mixed;
    return out;
}

uint32_t BlockHosts::slotShift() const { return shiftFor(slotCount(maps_.blockHosts.get())); }

}  // namespace xdpguard
