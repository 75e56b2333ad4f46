// Frames read the way the README describes the filter, written apart from
// the XDP program so that the two can disagree: the verdict a frame must get
// from an enforcing filter on port 25, or "either" where the README leaves
// the detail to the program (IPv6 fragments and odd extension chains).
// Monitor mode passes everything, whatever this says.
#pragma once

#include <linux/if_ether.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "prefix.hpp"

namespace xdpguard::fuzz {

// The address at `address` (network order, 4 or 16 bytes) as a /32 or /128.
inline Prefix hostPrefix(bool ipv6, const uint8_t* address) {
    if (ipv6) {
        xg_lpm_v6 key{};
        key.prefixlen = 128;
        std::memcpy(key.addr, address, sizeof key.addr);
        return Prefix::fromKey(key);
    }
    xg_lpm_v4 key{};
    key.prefixlen = 32;
    std::memcpy(&key.addr, address, sizeof key.addr);
    return Prefix::fromKey(key);
}

inline constexpr uint16_t kProtectedPort = 25;

enum class Expected { Pass, Drop, Either };

inline const char* nameOf(Expected expected) {
    return expected == Expected::Pass   ? "XDP_PASS"
           : expected == Expected::Drop ? "XDP_DROP"
                                        : "either";
}

// The TCP header's fields the filter judges.
struct TcpFacts {
    uint16_t sourcePort = 0;
    uint16_t destinationPort = 0;
    bool syn = false;
    bool ack = false;
    uint8_t flags = 0;       // the whole flags byte
    uint8_t dataOffset = 0;  // in 4-byte words
};

class FrameReader {
public:
    explicit FrameReader(std::span<const uint8_t> frame) : frame_(frame) {}

    // The EtherType after up to two 802.1Q/802.1ad tags, and where the
    // network header starts; nullopt if the frame ends first.
    std::optional<uint16_t> etherType() {
        if (frame_.size() < 14) return std::nullopt;
        uint16_t type = be16(12);
        l3_ = 14;
        for (int tag = 0; tag < 2 && (type == ETH_P_8021Q || type == ETH_P_8021AD); ++tag) {
            if (frame_.size() < l3_ + 4) return std::nullopt;
            type = be16(l3_ + 2);
            l3_ += 4;
        }
        return type;
    }

    uint16_t be16(size_t at) const {
        return static_cast<uint16_t>(frame_[at] << 8 | frame_[at + 1]);
    }
    bool has(size_t at, size_t bytes) const { return at + bytes <= frame_.size(); }
    size_t l3() const { return l3_; }
    std::span<const uint8_t> frame() const { return frame_; }

    TcpFacts tcpAt(size_t at) const {
        TcpFacts tcp;
        tcp.sourcePort = be16(at);
        tcp.destinationPort = be16(at + 2);
        tcp.dataOffset = frame_[at + 12] >> 4;
        tcp.flags = frame_[at + 13];
        tcp.syn = tcp.flags & 0x02;
        tcp.ack = tcp.flags & 0x10;
        return tcp;
    }

    // The source address as a host prefix (/32 or /128).
    Prefix sourceAddress(bool ipv6) const { return hostPrefix(ipv6, frame_.data() + l3_ + (ipv6 ? 8 : 12)); }

private:
    std::span<const uint8_t> frame_;
    size_t l3_ = 0;
};

namespace detail {

inline bool allowed(const Prefix& source, const std::vector<Prefix>& allowlist) {
    for (const Prefix& prefix : allowlist)
        if (prefix.contains(source)) return true;
    return false;
}

// A whole TCP header at `at` (unfragmented or first fragment carrying it):
// only a SYN without ACK to the protected port from outside is dropped.
inline Expected judgeSyn(const FrameReader& reader, size_t at, bool ipv6,
                         const std::vector<Prefix>& allowlist) {
    if (!reader.has(at, 20)) return Expected::Pass;  // the kernel drops it, not us
    const TcpFacts tcp = reader.tcpAt(at);
    if (!tcp.syn || tcp.ack || tcp.destinationPort != kProtectedPort) return Expected::Pass;
    return allowed(reader.sourceAddress(ipv6), allowlist) ? Expected::Pass : Expected::Drop;
}

// RFC 791 header; RFC 1858 and RFC 7112 for the fragment rules.
inline Expected judgeIpv4(FrameReader& reader, const std::vector<Prefix>& allowlist) {
    const size_t at = reader.l3();
    if (!reader.has(at, 20)) return Expected::Pass;
    const auto& f = reader.frame();
    const unsigned version = f[at] >> 4, headerBytes = (f[at] & 15u) * 4;
    const unsigned totalLength = reader.be16(at + 2);
    if (version != 4 || headerBytes < 20 || totalLength < headerBytes ||
        !reader.has(at, headerBytes))
        return Expected::Pass;                  // malformed: the kernel drops it
    if (f[at + 9] != IPPROTO_TCP) return Expected::Pass;
    const uint16_t fragment = reader.be16(at + 6);
    const unsigned offset = fragment & 0x1fff;
    const bool moreFragments = fragment & 0x2000;
    if (offset == 1) return Expected::Drop;  // can only rewrite the first fragment's flags
    if (offset != 0) return Expected::Pass;  // a later fragment carries no header
    if (moreFragments && totalLength - headerBytes < 20)
        return Expected::Drop;  // tiny first fragment
    return judgeSyn(reader, at + headerBytes, false, allowlist);
}

// RFC 8200: the fixed header, then extension headers up to the upper layer.
inline Expected judgeIpv6(FrameReader& reader, const std::vector<Prefix>& allowlist) {
    const size_t at = reader.l3();
    if (!reader.has(at, 40)) return Expected::Pass;
    const auto& f = reader.frame();
    if (f[at] >> 4 != 6) return Expected::Pass;
    uint8_t next = f[at + 6];
    size_t pos = at + 40;
    auto isExtension = [](uint8_t header) {
        return header == IPPROTO_HOPOPTS || header == IPPROTO_ROUTING ||
               header == IPPROTO_FRAGMENT || header == IPPROTO_AH || header == IPPROTO_DSTOPTS;
    };
    if (!isExtension(next))
        return next == IPPROTO_TCP ? judgeSyn(reader, pos, true, allowlist) : Expected::Pass;
    for (int walked = 0; walked < 8 && isExtension(next); ++walked) {
        if (next == IPPROTO_FRAGMENT) return Expected::Either;  // left to the prog_run tests
        if (!reader.has(pos, 2)) return Expected::Either;
        // AH counts 4-byte units minus 2 (RFC 4302), the others 8-byte units minus 1.
        const size_t length =
            next == IPPROTO_AH ? (f[pos + 1] + 2u) * 4 : (f[pos + 1] + 1u) * 8;
        next = f[pos];
        pos += length;
    }
    if (isExtension(next)) return Expected::Drop;  // more than 8 extension headers
    return next == IPPROTO_TCP ? Expected::Either : Expected::Pass;
}

}  // namespace detail

// What an enforcing filter protecting port 25 with `allowlist` must do.
inline Expected expectedVerdict(std::span<const uint8_t> frame,
                                const std::vector<Prefix>& allowlist) {
    FrameReader reader(frame);
    const std::optional<uint16_t> type = reader.etherType();
    if (type == ETH_P_IP) return detail::judgeIpv4(reader, allowlist);
    if (type == ETH_P_IPV6) return detail::judgeIpv6(reader, allowlist);
    return Expected::Pass;  // ARP, a third VLAN tag, truncated Ethernet, ...
}

}  // namespace xdpguard::fuzz
