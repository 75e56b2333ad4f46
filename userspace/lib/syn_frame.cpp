#include "syn_frame.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

#include <cstring>

namespace xdpguard {
namespace {

template <typename Header>
void append(std::vector<uint8_t>& frame, const Header& header) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&header);
    frame.insert(frame.end(), bytes, bytes + sizeof header);
}

uint16_t ipv4Checksum(const iphdr& header) {
    uint32_t sum = 0;
    const auto* words = reinterpret_cast<const uint16_t*>(&header);
    for (size_t i = 0; i < sizeof header / 2; ++i) sum += words[i];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

tcphdr synHeader(uint16_t destinationPort) {
    tcphdr tcp{};
    tcp.source = htons(40000);
    tcp.dest = htons(destinationPort);
    tcp.seq = htonl(1);
    tcp.doff = sizeof(tcphdr) / 4;
    tcp.syn = 1;
    tcp.window = htons(64240);
    return tcp;
}

}  // namespace

std::vector<uint8_t> buildSynFrame(const Prefix& source, uint16_t destinationPort) {
    std::vector<uint8_t> frame;
    ethhdr eth{};
    const uint8_t serverMac[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};
    const uint8_t clientMac[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x02};
    std::memcpy(eth.h_dest, serverMac, ETH_ALEN);
    std::memcpy(eth.h_source, clientMac, ETH_ALEN);
    const tcphdr tcp = synHeader(destinationPort);

    if (source.family() == Family::V4) {
        eth.h_proto = htons(ETH_P_IP);
        iphdr ip{};
        ip.version = 4;
        ip.ihl = sizeof(iphdr) / 4;
        ip.tot_len = htons(sizeof(iphdr) + sizeof(tcphdr));
        ip.ttl = 64;
        ip.protocol = IPPROTO_TCP;
        std::memcpy(&ip.saddr, source.bytes().data(), 4);
        inet_pton(AF_INET, "203.0.113.25", &ip.daddr);
        ip.check = ipv4Checksum(ip);
        append(frame, eth);
        append(frame, ip);
    } else {
        eth.h_proto = htons(ETH_P_IPV6);
        ipv6hdr ip{};
        ip.version = 6;
        ip.payload_len = htons(sizeof(tcphdr));
        ip.nexthdr = IPPROTO_TCP;
        ip.hop_limit = 64;
        std::memcpy(&ip.saddr, source.bytes().data(), 16);
        inet_pton(AF_INET6, "2001:db8:25::25", &ip.daddr);
        append(frame, eth);
        append(frame, ip);
    }
    append(frame, tcp);
    return frame;
}

}  // namespace xdpguard
