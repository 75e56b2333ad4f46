// Builds Ethernet frames for prog_run tests and the quick benchmark, one
// layer per call, outermost first:
//
//     PacketBuilder().vlan(kTpid8021ad, 100).vlan(kTpid8021q, 7)
//         .ipv6("2001:db8:bad::7", "2001:db8:5e::25").hopByHop()
//         .tcp(40000, 25, tcpflag::kSyn).build();
//
// Lengths (IPv4 total length and IHL, IPv6 payload length, next-header
// chain) are consistent by default and can be overridden to build malformed
// packets. Only the IPv4 header checksum is computed: XDP never checks the
// transport checksums, so they are left zero. Misuse of the builder (two
// network layers, an extension header on IPv4, ...) throws std::logic_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xdpguard::test {

using Frame = std::vector<uint8_t>;

inline constexpr uint16_t kTpid8021q = 0x8100;   // customer VLAN tag
inline constexpr uint16_t kTpid8021ad = 0x88a8;  // provider (QinQ outer) tag
inline constexpr size_t kEthernetMinFrame = 60;  // without the FCS

namespace tcpflag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcpflag

// IPv6 extension headers, by their next-header value.
enum class Ipv6Ext : uint8_t {
    HopByHop = 0,
    Routing = 43,
    Fragment = 44,
    Auth = 51,
    DestOptions = 60,
};

class PacketBuilder {
public:
    // --- link layer -------------------------------------------------------
    // Adds a VLAN tag inside the ones already added (call order = wire order).
    PacketBuilder& vlan(uint16_t tpid, uint16_t vid);
    // Pads the frame with zeros to the 60-byte Ethernet minimum; the IP
    // length fields still describe the real datagram.
    PacketBuilder& padToMinimum();
    // Cuts the finished frame to `bytes`, leaving every length field as if
    // the frame were whole (a frame truncated on the wire or by a driver).
    PacketBuilder& truncateTo(size_t bytes);
    // An ARP request instead of an IP packet.
    PacketBuilder& arpRequest(std::string_view senderIp, std::string_view targetIp);

    // --- IPv4 ---------------------------------------------------------------
    PacketBuilder& ipv4(std::string_view src, std::string_view dst);
    // Options of `bytes` (a multiple of 4, at most 40): NOPs ending with EOL.
    PacketBuilder& ipv4Options(size_t bytes);
    // Writes this IHL (in 4-byte words) whatever the header really holds.
    PacketBuilder& ihl(uint8_t words);
    // Fragment offset in 8-byte units and the More Fragments flag.
    PacketBuilder& fragment(uint16_t offsetUnits, bool moreFragments);

    // --- IPv6 ---------------------------------------------------------------
    PacketBuilder& ipv6(std::string_view src, std::string_view dst);
    // Extension headers follow the fixed header in call order.
    PacketBuilder& hopByHop(size_t bytes = 8);
    PacketBuilder& destOptions(size_t bytes = 8);
    PacketBuilder& routing();  // a segment routing header with one segment
    PacketBuilder& ipv6Fragment(uint16_t offsetUnits, bool moreFragments);
    PacketBuilder& authHeader();  // AH with a 12-byte ICV (24 bytes in all)
    PacketBuilder& extension(Ipv6Ext type);

    // Overrides the IPv4 total length or the IPv6 payload length.
    PacketBuilder& ipLength(uint16_t bytes);

    // --- transport ------------------------------------------------------------
    PacketBuilder& tcp(uint16_t srcPort, uint16_t dstPort, uint8_t flags);
    PacketBuilder& udp(uint16_t srcPort, uint16_t dstPort);
    PacketBuilder& icmpEcho();  // ICMP over IPv4, ICMPv6 over IPv6
    PacketBuilder& neighborSolicitation(std::string_view target);  // IPv6 ND
    // Transport payload bytes after the transport header.
    PacketBuilder& payload(size_t bytes);
    // Carries only the first `bytes` of the transport segment, with the IP
    // lengths agreeing: the first fragment of a datagram split early.
    PacketBuilder& transportBytes(size_t bytes);

    Frame build() const;

private:
    enum class Network { None, Ipv4, Ipv6, Arp };
    enum class Transport { None, Tcp, Udp, IcmpEcho, NeighborSolicitation };

    struct VlanTag {
        uint16_t tpid;
        uint16_t vid;
    };
    struct ExtHeader {
        Ipv6Ext type;
        size_t bytes;
        uint16_t fragOffset;
        bool moreFragments;
    };

    PacketBuilder& addExtension(const ExtHeader& ext);
    std::vector<uint8_t> transportSegment() const;
    std::vector<uint8_t> ipv4Packet(const std::vector<uint8_t>& segment) const;
    std::vector<uint8_t> ipv6Packet(const std::vector<uint8_t>& segment) const;
    std::vector<uint8_t> extensionHeader(const ExtHeader& ext, uint8_t next) const;
    std::vector<uint8_t> arpPacket() const;
    uint8_t transportProtocol() const;
    uint16_t etherType() const;
    void setNetwork(Network network);
    void setTransport(Transport transport);
    void requireNetwork(Network network, const char* what) const;

    std::vector<VlanTag> tags_;
    Network network_ = Network::None;
    std::vector<uint8_t> src_;  // 4 or 16 bytes, network order
    std::vector<uint8_t> dst_;
    size_t ipv4Options_ = 0;
    std::optional<uint8_t> ihl_;
    uint16_t fragOffset_ = 0;
    bool moreFragments_ = false;
    std::vector<ExtHeader> extensions_;
    std::optional<uint16_t> ipLength_;

    Transport transport_ = Transport::None;
    uint16_t srcPort_ = 0;
    uint16_t dstPort_ = 0;
    uint8_t tcpFlags_ = 0;
    std::vector<uint8_t> ndTarget_;
    size_t payload_ = 0;
    std::optional<size_t> transportBytes_;

    bool padToMinimum_ = false;
    std::optional<size_t> truncateTo_;
};

// "0000  02 00 00 ..." lines, for failure messages.
std::string hexDump(const Frame& frame);

}  // namespace xdpguard::test
