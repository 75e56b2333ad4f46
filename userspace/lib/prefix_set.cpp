#include "prefix_set.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "error.hpp"

namespace xdpguard {
namespace {

using Address = unsigned __int128;

size_t indexOf(Family family) { return family == Family::V4 ? 0 : 1; }

unsigned widthOf(Family family) { return family == Family::V4 ? 32 : 128; }

// The highest offset inside a block of 2^hostBits addresses. Shifting a
// 128-bit value by 128 is undefined, hence the special case.
Address blockMask(unsigned hostBits) {
    return hostBits >= 128 ? ~Address{0} : (Address{1} << hostBits) - 1;
}

Address toAddress(const Prefix& prefix) {
    Address value = 0;
    for (unsigned i = 0; i < prefix.maxLength() / 8; ++i) value = (value << 8) | prefix.bytes()[i];
    return value;
}

unsigned trailingZeroBits(Address value, unsigned width) {
    unsigned zeros = 0;
    while (zeros < width && ((value >> zeros) & 1) == 0) ++zeros;
    return zeros;
}

// Prefix's constructor is private; its LPM-key factories are the public way
// to build one from raw network-order bytes.
Prefix toPrefix(Family family, Address first, unsigned length) {
    std::array<uint8_t, 16> bytes{};
    const unsigned size = widthOf(family) / 8;
    for (unsigned i = size; i-- > 0; first >>= 8) bytes[i] = static_cast<uint8_t>(first & 0xff);
    if (family == Family::V4) {
        xg_lpm_v4 key{};
        key.prefixlen = length;
        std::memcpy(&key.addr, bytes.data(), sizeof key.addr);
        return Prefix::fromKey(key);
    }
    xg_lpm_v6 key{};
    key.prefixlen = length;
    std::memcpy(key.addr, bytes.data(), sizeof key.addr);
    return Prefix::fromKey(key);
}

}  // namespace

PrefixSet PrefixSet::everything() {
    PrefixSet all;
    all.add(Prefix::parse("0.0.0.0/0"));
    all.add(Prefix::parse("::/0"));
    return all;
}

PrefixSet::Range PrefixSet::rangeOf(const Prefix& prefix) {
    const Address first = toAddress(prefix);
    return {first, first | blockMask(prefix.maxLength() - prefix.length())};
}

void PrefixSet::add(const Prefix& prefix) {
    Ranges& ranges = ranges_[indexOf(prefix.family())];
    ranges.push_back(rangeOf(prefix));
    ranges = merged(std::move(ranges));
}

void PrefixSet::add(const PrefixSet& other) {
    for (size_t family = 0; family < ranges_.size(); ++family) {
        Ranges& ranges = ranges_[family];
        ranges.insert(ranges.end(), other.ranges_[family].begin(), other.ranges_[family].end());
        ranges = merged(std::move(ranges));
    }
}

void PrefixSet::subtract(const PrefixSet& other) {
    for (size_t family = 0; family < ranges_.size(); ++family)
        ranges_[family] = difference(ranges_[family], other.ranges_[family]);
}

bool PrefixSet::empty() const { return ranges_[0].empty() && ranges_[1].empty(); }

bool PrefixSet::contains(const Prefix& prefix) const {
    const Ranges& ranges = ranges_[indexOf(prefix.family())];
    const Range wanted = rangeOf(prefix);
    // The last range starting at or before the wanted one is the only candidate.
    auto after = std::upper_bound(ranges.begin(), ranges.end(), wanted.first,
                                  [](Address first, const Range& r) { return first < r.first; });
    return after != ranges.begin() && std::prev(after)->last >= wanted.last;
}

std::vector<Prefix> PrefixSet::prefixes() const {
    std::vector<Prefix> out;
    for (const Range& range : ranges_[0]) appendPrefixes(Family::V4, range, out);
    for (const Range& range : ranges_[1]) appendPrefixes(Family::V6, range, out);
    return out;
}

PrefixSet::Ranges PrefixSet::merged(Ranges ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.first < b.first; });
    Ranges out;
    for (const Range& range : ranges) {
        // `first - 1` cannot wrap: a range starting at 0 sorts first, and
        // then `first <= last` already holds.
        if (!out.empty() &&
            (range.first <= out.back().last || range.first - 1 == out.back().last)) {
            out.back().last = std::max(out.back().last, range.last);
        } else {
            out.push_back(range);
        }
    }
    return out;
}

PrefixSet::Ranges PrefixSet::difference(const Ranges& from, const Ranges& removed) {
    Ranges out;
    size_t next = 0;  // first removed range that may still overlap
    for (Range rest : from) {
        while (next < removed.size() && removed[next].last < rest.first) ++next;
        bool consumed = false;
        for (size_t i = next; i < removed.size() && removed[i].first <= rest.last; ++i) {
            if (removed[i].first > rest.first) out.push_back({rest.first, removed[i].first - 1});
            if (removed[i].last >= rest.last) {
                consumed = true;
                break;
            }
            rest.first = removed[i].last + 1;
        }
        if (!consumed) out.push_back(rest);
    }
    return out;
}

// Greedy split: from the range's start, take the largest aligned block that
// still fits; this yields the minimal CIDR cover of a contiguous range.
void PrefixSet::appendPrefixes(Family family, const Range& range, std::vector<Prefix>& out) {
    const unsigned width = widthOf(family);
    Address first = range.first;
    for (;;) {
        unsigned hostBits = trailingZeroBits(first, width);
        while (blockMask(hostBits) > range.last - first) --hostBits;
        out.push_back(toPrefix(family, first, width - hostBits));
        const Address blockLast = first + blockMask(hostBits);
        if (blockLast == range.last) return;
        first = blockLast + 1;
    }
}

Prefix enclosingPrefix(const Prefix& address, unsigned length) {
    if (length > address.maxLength())
        badInput("prefix length " + std::to_string(length) + " is longer than " +
                 std::to_string(address.maxLength()) + " bits");
    const unsigned hostBits = address.maxLength() - length;
    return toPrefix(address.family(), toAddress(address) & ~blockMask(hostBits), length);
}

}  // namespace xdpguard
