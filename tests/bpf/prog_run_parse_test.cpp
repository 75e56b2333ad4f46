// [prog_run] How the filter finds the SYN: VLAN tags, IPv4 options, IPv6
// extension chains, fragments (RFC 1858, RFC 7112) and truncated or malformed
// frames. Whatever it cannot parse it passes for the kernel to judge, except
// where that would let a SYN hide: tiny and overlapping fragments, chains
// longer than the walk.
#include <linux/bpf.h>

#include <catch2/catch.hpp>

#include "prog_run_fixture.hpp"

namespace xdpguard::test {

using namespace tcpflag;

constexpr size_t kEthHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;

TEST_CASE("SYNs behind one or two VLAN tags of either type are judged", "[prog_run]") {
    Filter filter;
    auto syn = [](std::initializer_list<uint16_t> tpids, const char* src) {
        return tagged(tpids).ipv4(src, kServerV4).tcp(kClientPort, kSmtp, kSyn).build();
    };
    filter.check({
        {"802.1Q tag", syn({kTpid8021q}, kOutsiderV4), deniedV4()},
        {"802.1ad tag", syn({kTpid8021ad}, kOutsiderV4), deniedV4()},
        {"QinQ: 802.1ad outer, 802.1Q inner", syn({kTpid8021ad, kTpid8021q}, kOutsiderV4),
         deniedV4()},
        {"two 802.1Q tags", syn({kTpid8021q, kTpid8021q}, kOutsiderV4), deniedV4()},
        {"802.1Q outer, 802.1ad inner", syn({kTpid8021q, kTpid8021ad}, kOutsiderV4), deniedV4()},
        {"IPv6 in QinQ",
         tagged({kTpid8021ad, kTpid8021q})
             .ipv6(kOutsiderV6, kServerV6)
             .tcp(kClientPort, kSmtp, kSyn)
             .build(),
         deniedV6()},
        {"a gateway in QinQ is allowed", syn({kTpid8021ad, kTpid8021q}, kInnerGatewayV4),
         passesCrediting("192.0.2.128/25")},
        {"three tags are beyond the parser: the frame passes",
         syn({kTpid8021ad, kTpid8021q, kTpid8021q}, kOutsiderV4), passes()},
    });
}

TEST_CASE("IPv4 options are skipped to reach the TCP header, an IHL below 5 passes", "[prog_run]") {
    Filter filter;
    for (uint8_t ihl = 6; ihl <= 15; ++ihl) {
        const size_t options = (ihl - 5) * 4u;
        filter.check(
            {"IHL " + std::to_string(ihl) + ": SYN from an outsider is dropped",
             fromV4(kOutsiderV4).ipv4Options(options).tcp(kClientPort, kSmtp, kSyn).build(),
             deniedV4()});
    }
    filter.check({"IHL 15: SYN from a gateway is allowed",
                  fromV4(kGatewayV4).ipv4Options(40).tcp(kClientPort, kSmtp, kSyn).build(),
                  passesCrediting("192.0.2.0/24")});
    for (uint8_t ihl = 0; ihl < 5; ++ihl)
        filter.check({"IHL " + std::to_string(ihl) + " is malformed: passes",
                      fromV4(kOutsiderV4).ihl(ihl).tcp(kClientPort, kSmtp, kSyn).build(),
                      passes()});
    filter.check({"an IHL beyond the total length is malformed: passes",
                  fromV4(kOutsiderV4).ihl(15).tcp(kClientPort, kSmtp, kSyn).build(), passes()});
}

TEST_CASE("Truncated frames pass for the kernel to drop", "[prog_run]") {
    // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header
    // (EINVAL), as drivers never deliver them; the shortest case is 14 bytes.
    Filter filter;
    auto v4 = [] { return fromV4(kOutsiderV4); };
    auto v6 = [] { return fromV6(kOutsiderV6); };
    const size_t tcpV4 = kEthHeader + kIpv4Header;
    const size_t tcpV6 = kEthHeader + kIpv6Header;
    filter.check({
        {"ends after the Ethernet header",
         v4().tcp(kClientPort, kSmtp, kSyn).truncateTo(kEthHeader).build(), passes()},
        {"ends inside a VLAN tag",
         tagged({kTpid8021q})
             .ipv4(kOutsiderV4, kServerV4)
             .tcp(kClientPort, kSmtp, kSyn)
             .truncateTo(16)
             .build(),
         passes()},
        {"ends inside the IPv4 header",
         v4().tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV4 - 1).build(), passes()},
        {"ends inside the IPv4 options",
         v4().ipv4Options(40).tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV4 + 39).build(),
         passes()},
        {"ends before the TCP flags",
         v4().tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV4 + 13).build(), passes()},
        {"ends inside the TCP header after the flags",
         v4().tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV4 + 19).build(), passes()},
        {"ends inside the IPv6 header",
         v6().tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV6 - 1).build(), passes()},
        {"ends inside an IPv6 extension header",
         v6().hopByHop(16).tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV6 + 12).build(), passes()},
        {"ends inside an IPv6 fragment header",
         v6().ipv6Fragment(0, true).tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV6 + 7).build(),
         passes()},
        {"ends before the TCP flags over IPv6",
         v6().tcp(kClientPort, kSmtp, kSyn).truncateTo(tcpV6 + 13).build(), passes()},
    });
}

TEST_CASE("IPv4 fragments: first fragments are judged, tiny and overlapping ones dropped",
          "[prog_run]") {
    Filter filter;
    auto first = [](const char* src, size_t tcpBytes) {
        return fromV4(src)
            .fragment(0, true)
            .tcp(kClientPort, kSmtp, kSyn)
            .payload(100)
            .transportBytes(tcpBytes);
    };
    auto later = [](const char* src, uint16_t offset) {
        return fromV4(src)
            .fragment(offset, true)
            .tcp(kClientPort, kSmtp, kSyn)
            .payload(100)
            .build();
    };
    filter.check({
        {"a first fragment with the whole TCP header is judged: outsider dropped",
         first(kOutsiderV4, 48).build(), deniedV4()},
        {"a first fragment with exactly 20 TCP bytes is judged", first(kOutsiderV4, 20).build(),
         deniedV4()},
        {"a first fragment from a gateway is allowed", first(kGatewayV4, 48).build(),
         passesCrediting("192.0.2.0/24")},
        {"a tiny first fragment (8 TCP bytes) is dropped", first(kOutsiderV4, 8).build(),
         dropped(XG_REASON_TINY_FRAG)},
        {"a tiny first fragment (19 TCP bytes) is dropped", first(kOutsiderV4, 19).build(),
         dropped(XG_REASON_TINY_FRAG)},
        {"a tiny first fragment is dropped even from a gateway", first(kGatewayV4, 8).build(),
         dropped(XG_REASON_TINY_FRAG)},
        {"a tiny first fragment padded to 60 bytes is still tiny by its IP length",
         first(kGatewayV4, 8).padToMinimum().build(), dropped(XG_REASON_TINY_FRAG)},
        {"a tiny first fragment is dropped whatever its port",
         fromV4(kOutsiderV4).fragment(0, true).tcp(kClientPort, 80, kAck).transportBytes(8).build(),
         dropped(XG_REASON_TINY_FRAG)},
        {"RFC 1858: a TCP fragment at offset 8 bytes is dropped", later(kOutsiderV4, 1),
         dropped(XG_REASON_TINY_FRAG)},
        {"RFC 1858: ... even from a gateway", later(kGatewayV4, 1), dropped(XG_REASON_TINY_FRAG)},
        {"a fragment at offset 16 bytes passes", later(kOutsiderV4, 2), passes()},
        {"a later fragment (offset 1480 bytes) passes", later(kOutsiderV4, 185), passes()},
        {"the last fragment (no MF) passes",
         fromV4(kOutsiderV4).fragment(185, false).tcp(kClientPort, kSmtp, kSyn).build(), passes()},
        {"a tiny first fragment of UDP passes",
         fromV4(kOutsiderV4).fragment(0, true).udp(kClientPort, kSmtp).transportBytes(4).build(),
         passes()},
        {"a UDP fragment at offset 8 bytes passes",
         fromV4(kOutsiderV4).fragment(1, true).udp(kClientPort, kSmtp).payload(100).build(),
         passes()},
    });
}

TEST_CASE("IPv6 extension headers are walked to the SYN, more than 8 are dropped", "[prog_run]") {
    Filter filter;
    using enum Ipv6Ext;
    const std::vector<Ipv6Ext> eight = {HopByHop, DestOptions, Routing,     Fragment,
                                        Auth,     DestOptions, DestOptions, DestOptions};
    std::vector<Ipv6Ext> nine = eight;
    nine.push_back(DestOptions);
    filter.check({
        {"behind hop-by-hop options", synV6Behind(kOutsiderV6, {HopByHop}), deniedV6()},
        {"behind a routing header", synV6Behind(kOutsiderV6, {Routing}), deniedV6()},
        {"behind destination options", synV6Behind(kOutsiderV6, {DestOptions}), deniedV6()},
        {"behind an atomic fragment header", synV6Behind(kOutsiderV6, {Fragment}), deniedV6()},
        {"behind an authentication header", synV6Behind(kOutsiderV6, {Auth}), deniedV6()},
        {"behind 64 bytes of hop-by-hop options",
         fromV6(kOutsiderV6).hopByHop(64).tcp(kClientPort, kSmtp, kSyn).build(), deniedV6()},
        {"a gateway behind three headers is allowed",
         synV6Behind(kInnerGatewayV6, {HopByHop, Routing, DestOptions}),
         passesCrediting("2001:db8:a:1::/64")},
        {"exactly 8 headers: an outsider is judged", synV6Behind(kOutsiderV6, eight), deniedV6()},
        {"exactly 8 headers: a gateway is judged", synV6Behind(kGatewayV6, eight),
         passesCrediting("2001:db8:a::/48")},
        {"9 headers are dropped", synV6Behind(kOutsiderV6, nine), dropped(XG_REASON_LONG_CHAIN)},
        {"9 headers are dropped even from a gateway", synV6Behind(kGatewayV6, nine),
         dropped(XG_REASON_LONG_CHAIN)},
    });
}

TEST_CASE("IPv6 fragments: first fragments are judged, tiny ones dropped, later ones pass",
          "[prog_run]") {
    Filter filter;
    auto first = [](const char* src, size_t tcpBytes) {
        return fromV6(src)
            .ipv6Fragment(0, true)
            .tcp(kClientPort, kSmtp, kSyn)
            .payload(100)
            .transportBytes(tcpBytes)
            .build();
    };
    auto later = [](uint16_t offset) {
        return fromV6(kOutsiderV6).ipv6Fragment(offset, true).tcp(kClientPort, kSmtp, kSyn).build();
    };
    filter.check({
        {"a first fragment from an outsider is dropped", first(kOutsiderV6, 48), deniedV6()},
        {"a first fragment from a gateway is allowed", first(kGatewayV6, 48),
         passesCrediting("2001:db8:a::/48")},
        {"a first fragment behind hop-by-hop options is judged",
         fromV6(kOutsiderV6).hopByHop().ipv6Fragment(0, true).tcp(kClientPort, kSmtp, kSyn).build(),
         deniedV6()},
        {"a tiny first fragment (8 TCP bytes) is dropped", first(kOutsiderV6, 8),
         dropped(XG_REASON_TINY_FRAG)},
        {"a tiny first fragment is dropped even from a gateway", first(kGatewayV6, 8),
         dropped(XG_REASON_TINY_FRAG)},
        {"a later fragment (offset 1480 bytes) passes", later(185), passes()},
        {"RFC 5722: a fragment at offset 8 bytes passes (the kernel drops overlaps)", later(1),
         passes()},
    });
}

// An IPv6 payload length of 0 with hop-by-hop options first announces a
// jumbogram (RFC 2675). ip6_rcv_core() then does not trim the packet to the
// payload length, and without a Jumbo option nothing rejects it: Linux 6.18
// answers such a SYN with a SYN-ACK (checked with a raw frame over a veth).
// So the filter must judge it, measuring the transport bytes from the frame.
TEST_CASE("An IPv6 SYN with payload length 0 behind hop-by-hop options is judged",
          "[prog_run]") {
    Filter filter;
    filter.check({"SYN from an outsider, payload length 0, hop-by-hop without Jumbo option",
                  fromV6(kOutsiderV6).hopByHop().ipLength(0).tcp(kClientPort, kSmtp, kSyn).build(),
                  deniedV6()});
}

}  // namespace xdpguard::test
