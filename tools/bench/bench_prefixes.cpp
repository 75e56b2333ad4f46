#include "bench_prefixes.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <random>

#include "error.hpp"

namespace xdpguard::bench {
namespace {

using U128 = unsigned __int128;

// How often each prefix length occurs: mostly single gateways and /24s, as
// in the flattened SPF policies of the large mail providers, with a few
// short prefixes that open many prefilter blocks at once.
struct Shape {
    unsigned weight;
    unsigned minLength;
    unsigned maxLength;
};
constexpr std::array<Shape, 6> kV4Shapes = {
    {{40, 32, 32}, {10, 29, 31}, {15, 25, 28}, {25, 24, 24}, {9, 20, 23}, {1, 16, 19}}};
constexpr std::array<Shape, 6> kV6Shapes = {
    {{10, 32, 32}, {10, 33, 44}, {35, 48, 48}, {10, 49, 56}, {25, 64, 64}, {10, 128, 128}}};

// Non-overlapping address ranges, first -> last.
class RangeSet {
public:
    bool overlaps(U128 first, U128 last) const {
        auto it = ranges_.upper_bound(last);
        if (it == ranges_.begin()) return false;
        return (--it)->second >= first;  // the one starting last at or before `last`
    }
    void insert(U128 first, U128 last) { ranges_.emplace(first, last); }
    const std::map<U128, U128>& ranges() const { return ranges_; }

private:
    std::map<U128, U128> ranges_;
};

class Generator {
public:
    Generator(Family family, size_t count)
        : family_(family), bits_(family == Family::V4 ? 32 : 128),
          random_(0x5eedULL * (count + 1) + (family == Family::V4 ? 4 : 6)) {}

    U128 hostMask(unsigned length) const {
        return length >= bits_ ? 0 : (U128(1) << (bits_ - length)) - 1;
    }

    // A random address of the allowlist region.
    U128 allowRegionAddress() {
        if (family_ == Family::V4) return 0x01000000u + random_() % (0x7f000000u - 0x01000000u);
        const uint64_t high = (random_() & 0x0fffffffffffffffULL) | 0x2000000000000000ULL;
        return (U128(high) << 64) | random_();
    }

    U128 outsiderAddress() {
        if (family_ == Family::V4) return kFloodSourceBase | (random_() & kFloodSourceMask);
        const uint64_t high = (random_() & 0x00ffffffffffffffULL) | 0x3a00000000000000ULL;
        return (U128(high) << 64) | random_();
    }

    unsigned randomLength() {
        const auto& shapes = family_ == Family::V4 ? kV4Shapes : kV6Shapes;
        unsigned total = 0;
        for (const Shape& shape : shapes) total += shape.weight;
        unsigned pick = static_cast<unsigned>(random_() % total);
        for (const Shape& shape : shapes) {
            if (pick < shape.weight)
                return shape.minLength +
                       static_cast<unsigned>(random_() % (shape.maxLength - shape.minLength + 1));
            pick -= shape.weight;
        }
        return bits_;
    }

    // Adds a prefix of `length` at a random free place; false if it collided.
    bool tryAdd(RangeSet& set, unsigned length, U128* added = nullptr) {
        const U128 first = allowRegionAddress() & ~hostMask(length);
        const U128 last = first | hostMask(length);
        if (set.overlaps(first, last)) return false;
        set.insert(first, last);
        if (added) *added = first;
        return true;
    }

    Prefix toPrefix(U128 first, U128 last) const {
        unsigned length = bits_;
        while (length > 0 && (last - first) > hostMask(length)) --length;
        if (family_ == Family::V4) {
            xg_lpm_v4 key{length, htonl(static_cast<uint32_t>(first))};
            return Prefix::fromKey(key);
        }
        xg_lpm_v6 key{};
        key.prefixlen = length;
        for (int i = 15; i >= 0; --i, first >>= 8) key.addr[i] = static_cast<uint8_t>(first);
        return Prefix::fromKey(key);
    }

    std::string addressText(U128 address) const {
        std::array<uint8_t, 16> bytes{};
        const int size = family_ == Family::V4 ? 4 : 16;
        for (int i = size - 1; i >= 0; --i, address >>= 8) bytes[i] = static_cast<uint8_t>(address);
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(family_ == Family::V4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
        return text;
    }

    unsigned bits() const { return bits_; }

    // The address nearest after `host` in its /`length` that no prefix covers.
    U128 freeNeighbour(const RangeSet& set, U128 host, unsigned length) const {
        const U128 mask = hostMask(length);
        for (U128 step = 1; step <= mask; ++step) {
            const U128 candidate = (host & ~mask) | ((host + step) & mask);
            if (!set.overlaps(candidate, candidate)) return candidate;
        }
        throw Error(ErrorKind::Runtime, "benchmark allowlist fills its probe block");
    }

    // `host` moved to the next /`inner` of its /`outer` that no prefix touches.
    U128 freeSibling(const RangeSet& set, U128 host, unsigned outer, unsigned inner) const {
        const U128 inside = hostMask(inner), around = hostMask(outer);
        for (U128 step = inside + 1; step <= around; step += inside + 1) {
            const U128 candidate = (host & ~around) | ((host + step) & around);
            if (!set.overlaps(candidate & ~inside, candidate | inside)) return candidate;
        }
        throw Error(ErrorKind::Runtime, "benchmark allowlist fills its probe block's /" + std::to_string(inner) + "s");
    }

private:
    Family family_;
    unsigned bits_;
    std::mt19937_64 random_;
};

}  // namespace

BenchAllowlist makeAllowlist(Family family, size_t count) {
    Generator gen(family, count);
    RangeSet set;
    BenchAllowlist list;
    // The first prefix is a single gateway: the allowed probe, and the
    // neighbour of the prefilter's worst case.
    U128 host = 0;
    while (!gen.tryAdd(set, gen.bits(), &host)) {
    }
    for (size_t added = 1; added < count;)
        if (gen.tryAdd(set, gen.randomLength())) ++added;

    // Misses in the gateway's prefilter block (top 24 bits): IPv4 a
    // neighbour; IPv6 a host of another /32 of the block, of another /40 of
    // the gateway's /32, and a neighbour the trie walks as deep as it can for.
    if (family == Family::V4) {
        list.blockMiss = gen.addressText(gen.freeNeighbour(set, host, XG_PREFILTER_BITS));
    } else {
        list.blockMiss = gen.addressText(gen.freeSibling(set, host, XG_PREFILTER_BITS, 32));
        list.slash32Miss = gen.addressText(gen.freeSibling(set, host, 32, 40));
        list.slash40Miss = gen.addressText(gen.freeNeighbour(set, host, 40));
    }
    list.allowedHost = gen.addressText(host);
    list.outsider = gen.addressText(gen.outsiderAddress());
    list.prefixes.reserve(count);
    for (const auto& [first, last] : set.ranges()) list.prefixes.push_back(gen.toPrefix(first, last));
    return list;
}

std::vector<size_t> parseSizes(const std::string& text) {
    std::vector<size_t> sizes;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        size_t value = 0;
        auto [end, ec] = std::from_chars(text.data() + start, text.data() + comma, value);
        if (ec != std::errc() || end != text.data() + comma || value == 0)
            badInput("'" + text + "': expected allowlist sizes such as 10,1000,100000");
        sizes.push_back(value);
        start = comma + 1;
    }
    return sizes;
}

}  // namespace xdpguard::bench
