// A set of IPv4 and IPv6 addresses with exact union and difference, for SPF
// flattening: "-ip4:192.0.2.5 +ip4:192.0.2.0/24" passes the /24 minus one
// address, which is no single prefix but a handful of them.
#pragma once

#include <array>
#include <vector>

#include "prefix.hpp"

namespace xdpguard {

class PrefixSet {
public:
    // Every IPv4 and IPv6 address.
    static PrefixSet everything();

    void add(const Prefix& prefix);
    void add(const PrefixSet& other);
    void subtract(const PrefixSet& other);

    bool empty() const;
    // True if every address of `prefix` (typically a host prefix) is in the set.
    bool contains(const Prefix& prefix) const;

    // The fewest CIDR prefixes that together cover exactly the set: IPv4
    // first, each family in address order, every prefix canonical.
    std::vector<Prefix> prefixes() const;

    bool operator==(const PrefixSet&) const = default;

private:
    // Addresses as integers (IPv4 in the low 32 bits), so a range of either
    // family is two numbers. Inclusive ends keep ::/0 representable.
    using Address = unsigned __int128;
    struct Range {
        Address first;
        Address last;
        bool operator==(const Range&) const = default;
    };
    // Sorted by address, disjoint and never adjacent (adjacent ranges are
    // merged), so equal sets have equal representations.
    using Ranges = std::vector<Range>;

    static Range rangeOf(const Prefix& prefix);
    static Ranges merged(Ranges ranges);
    static Ranges difference(const Ranges& from, const Ranges& removed);
    static void appendPrefixes(Family family, const Range& range, std::vector<Prefix>& out);

    std::array<Ranges, 2> ranges_;  // indexed by Family
};

// The prefix of `length` bits that contains `address`: SPF's ip4:192.0.2.5/24
// and a/24 mean 192.0.2.0/24 (RFC 7208 5.3, 5.6). Throws BadInput if
// `length` exceeds the family's width.
Prefix enclosingPrefix(const Prefix& address, unsigned length);

}  // namespace xdpguard
