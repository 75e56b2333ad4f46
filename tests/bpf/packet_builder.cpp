#include "packet_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace xdpguard::test {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoNoNext = 59;
constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv4MaxOptions = 40;

// Locally administered addresses: the server and the peer that sends to it.
constexpr uint8_t kServerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x25};
constexpr uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x07};

void put8(Bytes& out, uint8_t value) { out.push_back(value); }

void put16(Bytes& out, uint16_t value) {
    out.push_back(static_cast<uint8_t>(value >> 8));
    out.push_back(static_cast<uint8_t>(value));
}

void put32(Bytes& out, uint32_t value) {
    put16(out, static_cast<uint16_t>(value >> 16));
    put16(out, static_cast<uint16_t>(value));
}

void putBytes(Bytes& out, const uint8_t* data, size_t size) {
    out.insert(out.end(), data, data + size);
}

void putBytes(Bytes& out, const Bytes& data) { out.insert(out.end(), data.begin(), data.end()); }

void putZeros(Bytes& out, size_t count) { out.insert(out.end(), count, 0); }

void set16(Bytes& out, size_t at, uint16_t value) {
    out[at] = static_cast<uint8_t>(value >> 8);
    out[at + 1] = static_cast<uint8_t>(value);
}

Bytes parseAddress(std::string_view text, int family) {
    Bytes bytes(family == AF_INET ? 4 : 16);
    const std::string input(text);
    if (inet_pton(family, input.c_str(), bytes.data()) != 1)
        throw std::logic_error("packet builder: bad address '" + input + "'");
    return bytes;
}

uint16_t internetChecksum(const Bytes& data) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < data.size(); i += 2) sum += (data[i] << 8) | data[i + 1];
    if (data.size() % 2) sum += data.back() << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

uint16_t checkedLength(size_t bytes) {
    if (bytes > 0xffff) throw std::logic_error("packet builder: length over 65535");
    return static_cast<uint16_t>(bytes);
}

// Pad options (PadN, RFC 8200 section 4.2) filling an options header after
// its two bytes of next header and length.
void putPadding(Bytes& out, size_t bytes) {
    while (bytes > 0) {
        const size_t chunk = std::min<size_t>(bytes, 8);
        if (chunk == 1) {
            put8(out, 0);  // Pad1
        } else {
            put8(out, 1);  // PadN
            put8(out, static_cast<uint8_t>(chunk - 2));
            putZeros(out, chunk - 2);
        }
        bytes -= chunk;
    }
}

}  // namespace

PacketBuilder& PacketBuilder::vlan(uint16_t tpid, uint16_t vid) {
    if (network_ != Network::None)
        throw std::logic_error("packet builder: VLAN tags go before the network layer");
    tags_.push_back({tpid, vid});
    return *this;
}

PacketBuilder& PacketBuilder::padToMinimum() {
    padToMinimum_ = true;
    return *this;
}

PacketBuilder& PacketBuilder::truncateTo(size_t bytes) {
    truncateTo_ = bytes;
    return *this;
}

PacketBuilder& PacketBuilder::arpRequest(std::string_view senderIp, std::string_view targetIp) {
    setNetwork(Network::Arp);
    src_ = parseAddress(senderIp, AF_INET);
    dst_ = parseAddress(targetIp, AF_INET);
    return *this;
}

PacketBuilder& PacketBuilder::ipv4(std::string_view src, std::string_view dst) {
    setNetwork(Network::Ipv4);
    src_ = parseAddress(src, AF_INET);
    dst_ = parseAddress(dst, AF_INET);
    return *this;
}

PacketBuilder& PacketBuilder::ipv4Options(size_t bytes) {
    requireNetwork(Network::Ipv4, "IPv4 options");
    if (bytes % 4 || bytes > kIpv4MaxOptions)
        throw std::logic_error("packet builder: IPv4 options are 0..40 bytes, a multiple of 4");
    ipv4Options_ = bytes;
    return *this;
}

PacketBuilder& PacketBuilder::ihl(uint8_t words) {
    requireNetwork(Network::Ipv4, "an IHL");
    if (words > 15) throw std::logic_error("packet builder: the IHL field has 4 bits");
    ihl_ = words;
    return *this;
}

PacketBuilder& PacketBuilder::fragment(uint16_t offsetUnits, bool moreFragments) {
    requireNetwork(Network::Ipv4, "IPv4 fragment fields");
    if (offsetUnits > 0x1fff) throw std::logic_error("packet builder: offset over 13 bits");
    fragOffset_ = offsetUnits;
    moreFragments_ = moreFragments;
    return *this;
}

PacketBuilder& PacketBuilder::ipv6(std::string_view src, std::string_view dst) {
    setNetwork(Network::Ipv6);
    src_ = parseAddress(src, AF_INET6);
    dst_ = parseAddress(dst, AF_INET6);
    return *this;
}

PacketBuilder& PacketBuilder::hopByHop(size_t bytes) {
    return addExtension({Ipv6Ext::HopByHop, bytes, 0, false});
}

PacketBuilder& PacketBuilder::destOptions(size_t bytes) {
    return addExtension({Ipv6Ext::DestOptions, bytes, 0, false});
}

PacketBuilder& PacketBuilder::routing() { return addExtension({Ipv6Ext::Routing, 24, 0, false}); }

PacketBuilder& PacketBuilder::ipv6Fragment(uint16_t offsetUnits, bool moreFragments) {
    if (offsetUnits > 0x1fff) throw std::logic_error("packet builder: offset over 13 bits");
    return addExtension({Ipv6Ext::Fragment, 8, offsetUnits, moreFragments});
}

PacketBuilder& PacketBuilder::authHeader() { return addExtension({Ipv6Ext::Auth, 24, 0, false}); }

PacketBuilder& PacketBuilder::addExtension(const ExtHeader& ext) {
    requireNetwork(Network::Ipv6, "an extension header");
    const bool options = ext.type == Ipv6Ext::HopByHop || ext.type == Ipv6Ext::DestOptions;
    if (options && (ext.bytes < 8 || ext.bytes % 8 || ext.bytes > 2048))
        throw std::logic_error("packet builder: options headers are 8..2048 bytes, by 8");
    extensions_.push_back(ext);
    return *this;
}

PacketBuilder& PacketBuilder::extension(Ipv6Ext type) {
    switch (type) {
    case Ipv6Ext::HopByHop: return hopByHop();
    case Ipv6Ext::Routing: return routing();
    case Ipv6Ext::Fragment: return ipv6Fragment(0, false);  // an atomic fragment (RFC 6946)
    case Ipv6Ext::Auth: return authHeader();
    case Ipv6Ext::DestOptions: return destOptions();
    }
    throw std::logic_error("packet builder: unknown extension header");
}

PacketBuilder& PacketBuilder::ipLength(uint16_t bytes) {
    if (network_ != Network::Ipv4 && network_ != Network::Ipv6)
        throw std::logic_error("packet builder: an IP length needs an IP layer");
    ipLength_ = bytes;
    return *this;
}

PacketBuilder& PacketBuilder::tcp(uint16_t srcPort, uint16_t dstPort, uint8_t flags) {
    setTransport(Transport::Tcp);
    srcPort_ = srcPort;
    dstPort_ = dstPort;
    tcpFlags_ = flags;
    return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t srcPort, uint16_t dstPort) {
    setTransport(Transport::Udp);
    srcPort_ = srcPort;
    dstPort_ = dstPort;
    return *this;
}

PacketBuilder& PacketBuilder::icmpEcho() {
    setTransport(Transport::IcmpEcho);
    return *this;
}

PacketBuilder& PacketBuilder::neighborSolicitation(std::string_view target) {
    requireNetwork(Network::Ipv6, "neighbor solicitation");
    setTransport(Transport::NeighborSolicitation);
    ndTarget_ = parseAddress(target, AF_INET6);
    // Sent to the target's solicited-node multicast group (RFC 4291 2.7.1).
    dst_ = parseAddress("ff02::1:ff00:0", AF_INET6);
    std::copy(ndTarget_.end() - 3, ndTarget_.end(), dst_.end() - 3);
    return *this;
}

PacketBuilder& PacketBuilder::payload(size_t bytes) {
    payload_ = bytes;
    return *this;
}

PacketBuilder& PacketBuilder::transportBytes(size_t bytes) {
    transportBytes_ = bytes;
    return *this;
}

void PacketBuilder::setNetwork(Network network) {
    if (network_ != Network::None)
        throw std::logic_error("packet builder: only one network layer per frame");
    network_ = network;
}

void PacketBuilder::setTransport(Transport transport) {
    if (network_ != Network::Ipv4 && network_ != Network::Ipv6)
        throw std::logic_error("packet builder: a transport layer needs an IP layer first");
    if (transport_ != Transport::None)
        throw std::logic_error("packet builder: only one transport layer per frame");
    transport_ = transport;
}

void PacketBuilder::requireNetwork(Network network, const char* what) const {
    if (network_ != network)
        throw std::logic_error(std::string("packet builder: ") + what + " requires " +
                               (network == Network::Ipv4 ? "ipv4()" : "ipv6()") + " first");
}

uint8_t PacketBuilder::transportProtocol() const {
    switch (transport_) {
    case Transport::Tcp: return kProtoTcp;
    case Transport::Udp: return kProtoUdp;
    case Transport::IcmpEcho: return network_ == Network::Ipv4 ? kProtoIcmp : kProtoIcmpv6;
    case Transport::NeighborSolicitation: return kProtoIcmpv6;
    case Transport::None: break;
    }
    return kProtoNoNext;
}

uint16_t PacketBuilder::etherType() const {
    switch (network_) {
    case Network::Ipv4: return kEtherTypeIpv4;
    case Network::Ipv6: return kEtherTypeIpv6;
    case Network::Arp: return kEtherTypeArp;
    case Network::None: break;
    }
    throw std::logic_error("packet builder: no network layer");
}

Bytes PacketBuilder::transportSegment() const {
    Bytes out;
    switch (transport_) {
    case Transport::Tcp:
        put16(out, srcPort_);
        put16(out, dstPort_);
        put32(out, 0x5eed0001);  // sequence number
        put32(out, (tcpFlags_ & tcpflag::kAck) ? 0x5eed1001 : 0);
        put8(out, 5 << 4);  // data offset: no options
        put8(out, tcpFlags_);
        put16(out, 64240);  // window
        put16(out, 0);      // checksum: not checked by XDP
        put16(out, 0);      // urgent pointer
        break;
    case Transport::Udp:
        put16(out, srcPort_);
        put16(out, dstPort_);
        put16(out, checkedLength(8 + payload_));
        put16(out, 0);
        break;
    case Transport::IcmpEcho:
        put8(out, network_ == Network::Ipv4 ? 8 : 128);  // echo request
        put8(out, 0);
        put16(out, 0);
        put16(out, 0x4a47);  // identifier
        put16(out, 1);       // sequence
        break;
    case Transport::NeighborSolicitation:
        put8(out, 135);
        put8(out, 0);
        put16(out, 0);
        put32(out, 0);  // reserved
        putBytes(out, ndTarget_);
        put8(out, 1);  // source link-layer address option, 8 bytes
        put8(out, 1);
        putBytes(out, kPeerMac, sizeof kPeerMac);
        break;
    case Transport::None: break;
    }
    putZeros(out, payload_);
    if (transportBytes_ && *transportBytes_ < out.size()) out.resize(*transportBytes_);
    return out;
}

Bytes PacketBuilder::ipv4Packet(const Bytes& segment) const {
    const size_t headerBytes = kIpv4HeaderBytes + ipv4Options_;
    Bytes out;
    put8(out, static_cast<uint8_t>(0x40 | ihl_.value_or(headerBytes / 4)));
    put8(out, 0);  // DSCP/ECN
    put16(out, ipLength_.value_or(checkedLength(headerBytes + segment.size())));
    put16(out, 0x1234);  // identification
    put16(out, static_cast<uint16_t>((moreFragments_ ? 0x2000 : 0) | fragOffset_));
    put8(out, 64);  // TTL
    put8(out, transportProtocol());
    put16(out, 0);  // checksum, below
    putBytes(out, src_);
    putBytes(out, dst_);
    if (ipv4Options_) {
        out.insert(out.end(), ipv4Options_ - 1, 1);  // NOP
        put8(out, 0);                                // end of option list
    }
    set16(out, 10, internetChecksum(out));
    putBytes(out, segment);
    return out;
}

Bytes PacketBuilder::extensionHeader(const ExtHeader& ext, uint8_t next) const {
    Bytes out;
    put8(out, next);
    switch (ext.type) {
    case Ipv6Ext::HopByHop:
    case Ipv6Ext::DestOptions:
        put8(out, static_cast<uint8_t>(ext.bytes / 8 - 1));  // 8-byte units beyond the first
        putPadding(out, ext.bytes - 2);
        break;
    case Ipv6Ext::Routing:
        put8(out, 2);   // 24 bytes
        put8(out, 4);   // segment routing header (RFC 8754)
        put8(out, 0);   // segments left: the last segment is reached
        put8(out, 0);   // last entry
        put8(out, 0);   // flags
        put16(out, 0);  // tag
        putBytes(out, dst_);
        break;
    case Ipv6Ext::Fragment:
        put8(out, 0);
        put16(out, static_cast<uint16_t>(ext.fragOffset << 3 | (ext.moreFragments ? 1 : 0)));
        put32(out, 0x0bad5eed);  // identification
        break;
    case Ipv6Ext::Auth:
        put8(out, static_cast<uint8_t>(ext.bytes / 4 - 2));  // RFC 4302: 4-byte units minus 2
        put16(out, 0);                                       // reserved
        put32(out, 0x100);                                   // SPI
        put32(out, 1);                                       // sequence number
        putZeros(out, ext.bytes - 12);                       // ICV
        break;
    }
    return out;
}

Bytes PacketBuilder::ipv6Packet(const Bytes& segment) const {
    Bytes chain;
    for (size_t i = 0; i < extensions_.size(); ++i) {
        const uint8_t next = i + 1 < extensions_.size()
                                 ? static_cast<uint8_t>(extensions_[i + 1].type)
                                 : transportProtocol();
        putBytes(chain, extensionHeader(extensions_[i], next));
    }
    Bytes out;
    put32(out, 0x60000000);  // version 6, no traffic class or flow label
    put16(out, ipLength_.value_or(checkedLength(chain.size() + segment.size())));
    put8(out,
         extensions_.empty() ? transportProtocol() : static_cast<uint8_t>(extensions_[0].type));
    put8(out, transport_ == Transport::NeighborSolicitation ? 255 : 64);  // RFC 4861 needs 255
    putBytes(out, src_);
    putBytes(out, dst_);
    putBytes(out, chain);
    putBytes(out, segment);
    return out;
}

Bytes PacketBuilder::arpPacket() const {
    Bytes out;
    put16(out, 1);  // Ethernet
    put16(out, kEtherTypeIpv4);
    put8(out, 6);
    put8(out, 4);
    put16(out, 1);  // request
    putBytes(out, kPeerMac, sizeof kPeerMac);
    putBytes(out, src_);
    putZeros(out, 6);
    putBytes(out, dst_);
    return out;
}

Frame PacketBuilder::build() const {
    Frame frame;
    if (network_ == Network::Arp) {
        frame.insert(frame.end(), 6, 0xff);  // broadcast
    } else if (transport_ == Transport::NeighborSolicitation) {
        put16(frame, 0x3333);  // IPv6 multicast (RFC 2464 section 7)
        frame.insert(frame.end(), dst_.end() - 4, dst_.end());
    } else {
        putBytes(frame, kServerMac, sizeof kServerMac);
    }
    putBytes(frame, kPeerMac, sizeof kPeerMac);
    for (const VlanTag& tag : tags_) {
        put16(frame, tag.tpid);
        put16(frame, tag.vid & 0x0fff);
    }
    put16(frame, etherType());

    switch (network_) {
    case Network::Ipv4: putBytes(frame, ipv4Packet(transportSegment())); break;
    case Network::Ipv6: putBytes(frame, ipv6Packet(transportSegment())); break;
    case Network::Arp: putBytes(frame, arpPacket()); break;
    case Network::None: break;
    }
    if (padToMinimum_ && frame.size() < kEthernetMinFrame) frame.resize(kEthernetMinFrame, 0);
    if (truncateTo_ && *truncateTo_ < frame.size()) frame.resize(*truncateTo_);
    return frame;
}

std::string hexDump(const Frame& frame) {
    std::string out;
    char chunk[32];
    for (size_t i = 0; i < frame.size(); ++i) {
        if (i % 16 == 0) {
            std::snprintf(chunk, sizeof chunk, "%s%04zx", i ? "\n" : "", i);
            out += chunk;
        }
        std::snprintf(chunk, sizeof chunk, " %02x", frame[i]);
        out += chunk;
    }
    return out;
}

}  // namespace xdpguard::test
