// The plain model behind the randomized [prog_run] test: prefixes and
// addresses as 128-bit integers, a linear-scan longest-prefix match, the
// prefilter bits the abi.h contract implies, and seeded generators of
// realistic allowlists and of addresses near their edges. It shares no code
// with the library or the kernel's trie, so that it can judge them.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "prefix.hpp"
#include "xdpguard/abi.h"

namespace xdpguard::test {

using Bits128 = unsigned __int128;

// A prefix or an address (a prefix of its family's full length), its bits
// left-aligned in 128 whatever the family: masks, /24 blocks and neighbours
// are then the same arithmetic for IPv4 and IPv6.
struct Net {
    Family family = Family::V4;
    Bits128 bits = 0;  // host bits clear
    unsigned length = 0;

    unsigned width() const { return family == Family::V4 ? 32 : 128; }
    static Bits128 mask(unsigned length) { return length == 0 ? 0 : ~Bits128(0) << (128 - length); }
    // One address step in the family: the lowest bit of its width.
    Bits128 unit() const { return Bits128(1) << (128 - width()); }

    Net first() const { return {family, bits, width()}; }
    Net last() const { return {family, bits | (~mask(length) & mask(width())), width()}; }
    Net plus(int steps) const { return {family, (bits + Bits128(steps) * unit()) & mask(width()), length}; }

    bool contains(const Net& address) const {
        return address.family == family && (address.bits & mask(length)) == bits;
    }
    // The top 24 bits: the prefilter block of an address (abi.h).
    uint32_t block() const { return static_cast<uint32_t>(bits >> (128 - XG_PREFILTER_BITS)); }

    std::array<uint8_t, 16> bytes() const {
        std::array<uint8_t, 16> out{};
        for (unsigned i = 0; i < 16; ++i) out[i] = static_cast<uint8_t>(bits >> (120 - 8 * i));
        return out;
    }
    std::string addressText() const {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, bytes().data(), text, sizeof text);
        return text;
    }
    std::string str() const { return addressText() + "/" + std::to_string(length); }

    Prefix prefix() const {
        const std::array<uint8_t, 16> b = bytes();
        if (family == Family::V4) {
            xg_lpm_v4 key{length, 0};
            std::memcpy(&key.addr, b.data(), sizeof key.addr);
            return Prefix::fromKey(key);
        }
        xg_lpm_v6 key{length, {}};
        std::memcpy(key.addr, b.data(), sizeof key.addr);
        return Prefix::fromKey(key);
    }
    static Net of(const Prefix& prefix) {
        Net net{prefix.family(), 0, prefix.length()};
        for (unsigned i = 0; i < net.width() / 8; ++i) net.bits |= Bits128(prefix.bytes()[i]) << (120 - 8 * i);
        return net;
    }

    auto operator<=>(const Net&) const = default;
};

// The longest of `nets` that contains `address`, or nullptr: every prefix
// is looked at, the way nobody would write a router and everybody can check.
inline const Net* longestMatch(const std::vector<Net>& nets, const Net& address) {
    const Net* best = nullptr;
    for (const Net& net : nets)
        if (net.contains(address) && (!best || net.length > best->length)) best = &net;
    return best;
}

// The prefilter as abi.h defines it: bit set iff some prefix overlaps the
// block, and a summary bit iff some prefix overlaps the /16. Indexed like
// XG_MAP_PREFILTER (IPv4 words, IPv6 words, then their summaries).
inline std::vector<uint64_t> prefilterOf(const std::vector<Net>& nets) {
    std::vector<uint64_t> words(XG_PREFILTER_ENTRIES, 0);
    for (const Net& net : nets) {
        const uint32_t base =
            net.family == Family::V4 ? XG_PREFILTER_SUMMARY_V4_BASE : XG_PREFILTER_SUMMARY_V6_BASE;
        const unsigned shift = XG_PREFILTER_BITS - XG_PREFILTER_SUMMARY_BITS;
        for (uint64_t network = net.block() >> shift; network <= net.last().block() >> shift; ++network)
            words[base + network / 64] |= 1ULL << (network % 64);
    }
    for (const Net& net : nets) {
        const uint32_t base = net.family == Family::V4 ? XG_PREFILTER_V4_BASE : XG_PREFILTER_V6_BASE;
        uint64_t first = net.block();
        uint64_t last = net.last().block();
        while (first <= last) {
            if (first % 64 == 0 && first + 63 <= last) {
                words[base + first / 64] = ~0ULL;
                first += 64;
            } else {
                words[base + first / 64] |= 1ULL << (first % 64);
                ++first;
            }
        }
    }
    return words;
}

// The second level as abi.h defines it (xg_block_hosts): for each block
// that only prefixes longer than /24 cover, keyed by XG_BLOCK_KEY, the
// bitmap of the values of address bits 24-31 they overlap (IPv4 hosts,
// IPv6 /32s); no entry for any other block.
inline uint32_t blockKey(const Net& net) { return XG_BLOCK_KEY(net.family == Family::V6, net.block() << 8); }

inline std::map<uint32_t, std::array<uint64_t, 4>> blockHostsOf(const std::vector<Net>& nets) {
    std::map<uint32_t, std::array<uint64_t, 4>> bitmaps;
    for (const Net& net : nets) {
        if (net.length <= XG_PREFILTER_BITS) continue;
        const unsigned count = 1u << (32 - std::min(net.length, 32u));
        const unsigned first = static_cast<unsigned>(net.bits >> 96) & 255;
        for (unsigned host = first; host < first + count; ++host)
            bitmaps[blockKey(net)][host / 64] |= 1ULL << (host % 64);
    }
    for (auto it = bitmaps.begin(); it != bitmaps.end();) {
        const bool covered = std::any_of(nets.begin(), nets.end(), [&](const Net& net) {
            return net.length <= XG_PREFILTER_BITS && blockKey(net) <= it->first &&
                   it->first <= blockKey(net.last());
        });
        it = covered ? bitmaps.erase(it) : std::next(it);
    }
    return bitmaps;
}

// The third level as abi.h defines it (XG_SLASH32_TAG): for each IPv6 /32
// that only prefixes longer than /32 overlap, keyed by its top 32 bits,
// the bitmap of the /40s they overlap (address bits 32-39).
inline std::map<uint32_t, std::array<uint64_t, 4>> slash32sOf(const std::vector<Net>& nets) {
    std::map<uint32_t, std::array<uint64_t, 4>> bitmaps;
    for (const Net& net : nets) {
        if (net.family != Family::V6 || net.length <= 32) continue;
        const unsigned count = 1u << (40 - std::min(net.length, 40u));
        const unsigned first = static_cast<unsigned>(net.bits >> 88) & 255;
        for (unsigned index = first; index < first + count; ++index)
            bitmaps[static_cast<uint32_t>(net.bits >> 96)][index / 64] |= 1ULL << (index % 64);
    }
    for (auto it = bitmaps.begin(); it != bitmaps.end();) {
        const bool covered = std::any_of(nets.begin(), nets.end(), [&](const Net& net) {
            return net.family == Family::V6 && net.length <= 32 &&
                   static_cast<uint32_t>(net.bits >> 96) <= it->first &&
                   it->first <= static_cast<uint32_t>(net.last().bits >> 96);
        });
        it = covered ? bitmaps.erase(it) : std::next(it);
    }
    return bitmaps;
}

inline bool prefilterBit(const std::vector<uint64_t>& words, const Net& address) {
    const uint32_t base = address.family == Family::V4 ? XG_PREFILTER_V4_BASE : XG_PREFILTER_V6_BASE;
    return (words[base + address.block() / 64] >> (address.block() % 64)) & 1;
}

// Seeded draws of prefixes and addresses. Uses only the engine's raw
// output, so a seed gives the same sequence with every standard library.
class RandomNets {
public:
    explicit RandomNets(uint64_t seed) : rng_(seed) {
        // Shared provider blocks (documentation and benchmarking ranges, and
        // a few random ones) make prefixes nest and share /24 blocks.
        for (const char* text : {"198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                 "2001:db8::/32", "3fff::/20"})
            providers_.push_back(Net::of(Prefix::parse(text)));
        for (int i = 0; i < 4; ++i) providers_.push_back(uniformNet(Family::V4, 14 + 2 * i));
        for (int i = 0; i < 4; ++i) providers_.push_back(uniformNet(Family::V6, 20 + 4 * i));
    }

    uint64_t below(uint64_t n) { return rng_() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }
    Bits128 bits() { return (Bits128(rng_()) << 64) | rng_(); }
    Family family() { return chance(55) ? Family::V4 : Family::V6; }

    Net uniformNet(Family family, unsigned length) {
        return {family, bits() & Net::mask(length), length};
    }
    Net uniformAddress(Family family) { return uniformNet(family, family == Family::V4 ? 32 : 128); }

    // A realistic allowlist entry: IPv4 mostly /16 to /32, IPv6 mostly /24
    // to /64, inside a provider block, nested in or beside `existing`, or
    // anywhere. Never shorter than /8 (IPv4) or /16 (IPv6).
    Net prefix(const std::vector<Net>& existing) {
        const Family fam = family();
        unsigned length = fam == Family::V4 ? v4Length() : v6Length();
        const unsigned draw = static_cast<unsigned>(below(100));
        Bits128 base = bits();
        if (draw < 45) {
            const Net& provider = pickOf(fam, providers_);
            base = provider.bits | (base & ~Net::mask(provider.length));
        } else if (draw < 75 && !existing.empty()) {
            const Net& outer = existing[below(existing.size())];
            const unsigned width = outer.width();
            if (outer.length >= width) return outer.plus(chance(50) ? 1 : -1);  // a neighbouring host
            length = outer.length + 1 + static_cast<unsigned>(below(std::min(8u, width - outer.length)));
            base = outer.bits | (base & ~Net::mask(outer.length));
            if (outer.length > 0 && chance(30)) base ^= Bits128(1) << (128 - outer.length);  // beside it
            return {outer.family, base & Net::mask(length), length};
        }
        return {fam, base & Net::mask(length), length};
    }

    // A rare, very short prefix: IPv4 /4 to /7, IPv6 /8 to /15 (each
    // spans thousands of prefilter words; /0 is added on purpose).
    Net shortPrefix(Family fam) {
        return uniformNet(fam, static_cast<unsigned>(fam == Family::V4 ? 4 + below(4) : 8 + below(8)));
    }

    // An address at or near the edges of `net`: first, last, one before or
    // after, anywhere inside, inside the same-sized neighbour, or anywhere
    // in its /24 block or /32 (where the prefilter's deeper levels decide).
    Net addressNear(const Net& net) {
        switch (below(8)) {
        case 0: return net.first();
        case 1: return net.last();
        case 2: return net.first().plus(-1);
        case 3: return net.last().plus(1);
        case 4: return {net.family, net.bits | (bits() & ~Net::mask(net.length) & Net::mask(net.width())),
                        net.width()};
        case 5: return anywhereIn(net, XG_PREFILTER_BITS);
        case 6: return anywhereIn(net, 32);
        default: {
            const Bits128 flip = net.length == 0 ? 0 : Bits128(1) << (128 - net.length);
            return {net.family, (net.bits ^ flip) | (bits() & ~Net::mask(net.length) & Net::mask(net.width())),
                    net.width()};
        }
        }
    }

    // An address in the /`length` around `net` (or in `net`, if longer).
    Net anywhereIn(const Net& net, unsigned length) {
        const Bits128 outer = Net::mask(std::min(net.length, length));
        return {net.family, (net.bits & outer) | (bits() & ~outer & Net::mask(net.width())), net.width()};
    }

    template <typename T>
    const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

private:
    unsigned v4Length() {
        const unsigned r = static_cast<unsigned>(below(100));
        if (r < 10) return 8 + static_cast<unsigned>(below(8));    // /8../15
        if (r < 30) return 16 + static_cast<unsigned>(below(8));   // /16../23
        if (r < 50) return 24;
        return 25 + static_cast<unsigned>(below(8));               // /25../32
    }
    unsigned v6Length() {
        const unsigned r = static_cast<unsigned>(below(100));
        if (r < 5) return 16 + static_cast<unsigned>(below(8));    // spans several blocks
        if (r < 20) return 24 + static_cast<unsigned>(below(9));   // /24../32
        if (r < 45) return 33 + static_cast<unsigned>(below(16));  // /33../48
        if (r < 85) return 49 + static_cast<unsigned>(below(16));  // /49../64
        if (r < 95) return 65 + static_cast<unsigned>(below(63));  // /65../127
        return 128;
    }
    const Net& pickOf(Family fam, const std::vector<Net>& nets) {
        for (;;)
            if (const Net& net = pick(nets); net.family == fam) return net;
    }

    std::mt19937_64 rng_;
    std::vector<Net> providers_;
};

}  // namespace xdpguard::test
