// [prog_run] The filter's policy, case by case: which SYNs are dropped, which
// pass and which counter says so, and how run-time changes to the ports, the
// mode and the allowlist apply to the loaded program.
#include <linux/bpf.h>

#include <catch2/catch.hpp>

#include "prog_run_fixture.hpp"

namespace xdpguard::test {

using namespace tcpflag;

TEST_CASE("A SYN to :25 from outside the allowlist is dropped, other TCP segments pass",
          "[prog_run]") {
    Filter filter;
    auto v4 = [](uint8_t flags) {
        return fromV4(kOutsiderV4).tcp(kClientPort, kSmtp, flags).build();
    };
    auto v6 = [](uint8_t flags) {
        return fromV6(kOutsiderV6).tcp(kClientPort, kSmtp, flags).build();
    };
    filter.check({
        {"SYN from an IPv4 outsider is dropped", v4(kSyn), deniedV4()},
        {"SYN from an IPv6 outsider is dropped", v6(kSyn), deniedV6()},
        {"SYN+ECE+CWR (ECN setup) is still a SYN", v4(kSyn | kEce | kCwr), deniedV4()},
        {"SYN+FIN is still a SYN", v4(kSyn | kFin), deniedV4()},
        {"SYN+PSH is still a SYN", v4(kSyn | kPsh), deniedV4()},
        {"SYN+URG is still a SYN", v4(kSyn | kUrg), deniedV4()},
        {"SYN+RST is still a SYN", v4(kSyn | kRst), deniedV4()},
        {"SYN+ECE+CWR over IPv6 is still a SYN", v6(kSyn | kEce | kCwr), deniedV6()},
        {"SYN-ACK from an outsider passes", v4(kSyn | kAck), passes()},
        {"ACK from an outsider passes", v4(kAck), passes()},
        {"RST from an outsider passes", v4(kRst), passes()},
        {"RST+ACK from an outsider passes", v4(kRst | kAck), passes()},
        {"FIN from an outsider passes", v4(kFin), passes()},
        {"FIN+ACK from an outsider passes", v4(kFin | kAck), passes()},
        {"PSH+ACK with data from an outsider passes",
         fromV4(kOutsiderV4).tcp(kClientPort, kSmtp, kPsh | kAck).payload(100).build(), passes()},
        {"a segment without flags passes", v4(0), passes()},
        {"SYN-ACK over IPv6 passes", v6(kSyn | kAck), passes()},
        {"ACK over IPv6 passes", v6(kAck), passes()},
    });
}

TEST_CASE("A SYN from an allowed prefix passes and credits the longest matching rule",
          "[prog_run]") {
    Filter filter;
    filter.check({
        {"192.0.2.10 matches only the /24", synV4(kGatewayV4), passesCrediting("192.0.2.0/24")},
        {"192.0.2.200 matches the nested /25", synV4(kInnerGatewayV4),
         passesCrediting("192.0.2.128/25")},
        {"192.0.2.127 is the last address outside the /25", synV4("192.0.2.127"),
         passesCrediting("192.0.2.0/24")},
        {"192.0.2.128 is the first address of the /25", synV4("192.0.2.128"),
         passesCrediting("192.0.2.128/25")},
        {"192.0.2.255 is the last address of the /25", synV4("192.0.2.255"),
         passesCrediting("192.0.2.128/25")},
        {"an allowed SYN+ECE+CWR passes",
         fromV4(kGatewayV4).tcp(kClientPort, kSmtp, kSyn | kEce | kCwr).build(),
         passesCrediting("192.0.2.0/24")},
        {"2001:db8:a::10 matches only the /48", synV6(kGatewayV6),
         passesCrediting("2001:db8:a::/48")},
        {"2001:db8:a:1::10 matches the nested /64", synV6(kInnerGatewayV6),
         passesCrediting("2001:db8:a:1::/64")},
        {"the last address of the /48 matches it", synV6("2001:db8:a:ffff:ffff:ffff:ffff:ffff"),
         passesCrediting("2001:db8:a::/48")},
        {"2001:db8:b::1, next to the /48, is denied", synV6("2001:db8:b::1"),
         deniedV6("2001:db8:b::/48")},
        {"an IPv4 outsider is still denied", synV4(kOutsiderV4), deniedV4()},
    });
}

TEST_CASE("Only SYNs to a protected destination port are judged", "[prog_run]") {
    Filter filter;
    filter.check({
        {"SYN to :80 from an outsider passes", synV4(kOutsiderV4, 80), passes()},
        {"SYN to :587 from an outsider passes", synV4(kOutsiderV4, 587), passes()},
        {"SYN to :80 over IPv6 passes", synV6(kOutsiderV6, 80), passes()},
        {"SYN to :80 from a gateway passes without crediting it", synV4(kGatewayV4, 80), passes()},
        {"the server's own SMTP reply (SYN-ACK from :25) passes",
         fromV4(kOutsiderV4).tcp(kSmtp, kClientPort, kSyn | kAck).build(), passes()},
        {"a SYN *from* port 25 to a high port passes",
         fromV4(kOutsiderV4).tcp(kSmtp, kClientPort, kSyn).build(), passes()},
    });
}

TEST_CASE("Protected ports change at run time without reloading the program", "[prog_run]") {
    Filter filter;
    filter.config().setPorts({25, 2525});
    filter.check({
        {"with ports 25,2525: SYN to :2525 is dropped", synV4(kOutsiderV4, 2525), deniedV4()},
        {"with ports 25,2525: SYN to :25 is dropped", synV4(kOutsiderV4, 25), deniedV4()},
    });
    filter.config().setPorts({2525});
    filter.check({
        {"with port 2525 only: SYN to :25 passes", synV4(kOutsiderV4, 25), passes()},
        {"with port 2525 only: SYN to :2525 is dropped", synV6(kOutsiderV6, 2525), deniedV6()},
    });
    // Bits at the edges of the 64-bit port words.
    filter.config().setPorts({1, 64, 65535});
    filter.check({
        {"port 0 is not protected", synV4(kOutsiderV4, 0), passes()},
        {"port 1 is protected", synV4(kOutsiderV4, 1), deniedV4()},
        {"port 63 is not protected", synV4(kOutsiderV4, 63), passes()},
        {"port 64 is protected", synV4(kOutsiderV4, 64), deniedV4()},
        {"port 65534 is not protected", synV4(kOutsiderV4, 65534), passes()},
        {"port 65535 is protected", synV4(kOutsiderV4, 65535), deniedV4()},
    });
}

TEST_CASE("Traffic other than TCP passes untouched", "[prog_run]") {
    Filter filter;
    filter.check({
        {"UDP to :25 passes", fromV4(kOutsiderV4).udp(kClientPort, kSmtp).build(), passes()},
        {"UDP to :25 over IPv6 passes", fromV6(kOutsiderV6).udp(kClientPort, kSmtp).build(),
         passes()},
        {"ICMP echo passes", fromV4(kOutsiderV4).icmpEcho().build(), passes()},
        {"ICMPv6 echo passes", fromV6(kOutsiderV6).icmpEcho().build(), passes()},
        {"IPv6 neighbor solicitation passes",
         fromV6(kOutsiderV6).neighborSolicitation(kServerV6).build(), passes()},
        {"IPv6 with no next header passes", fromV6(kOutsiderV6).build(), passes()},
        {"ARP request passes", PacketBuilder().arpRequest(kOutsiderV4, kServerV4).build(),
         passes()},
    });
}

TEST_CASE("Monitor mode passes what enforce mode drops and counts it as monitored", "[prog_run]") {
    Filter filter;
    filter.config().setMode(Mode::Monitor);
    std::vector<Ipv6Ext> nine(9, Ipv6Ext::DestOptions);
    filter.check({
        {"a denied IPv4 SYN passes", synV4(kOutsiderV4),
         withSource(monitored(XG_REASON_DENIED_V4), kOutsiderNetV4)},
        {"a denied IPv6 SYN passes", synV6(kOutsiderV6),
         withSource(monitored(XG_REASON_DENIED_V6), kOutsiderNetV6)},
        {"a tiny IPv4 first fragment passes",
         fromV4(kOutsiderV4)
             .fragment(0, true)
             .tcp(kClientPort, kSmtp, kSyn)
             .transportBytes(8)
             .build(),
         monitored(XG_REASON_TINY_FRAG)},
        {"an IPv4 TCP fragment at offset 8 bytes passes",
         fromV4(kOutsiderV4).fragment(1, true).tcp(kClientPort, kSmtp, kSyn).build(),
         monitored(XG_REASON_TINY_FRAG)},
        {"a tiny IPv6 first fragment passes",
         fromV6(kOutsiderV6)
             .ipv6Fragment(0, true)
             .tcp(kClientPort, kSmtp, kSyn)
             .transportBytes(8)
             .build(),
         monitored(XG_REASON_TINY_FRAG)},
        {"a 9-header IPv6 chain passes", synV6Behind(kOutsiderV6, nine),
         monitored(XG_REASON_LONG_CHAIN)},
        {"an allowed SYN passes and credits its rule", synV4(kGatewayV4),
         passesCrediting("192.0.2.0/24")},
        {"a SYN-ACK passes uncounted",
         fromV4(kOutsiderV4).tcp(kClientPort, kSmtp, kSyn | kAck).build(), passes()},
    });
    filter.config().setMode(Mode::Enforce);
    filter.check({"back in enforce mode the same SYN is dropped", synV4(kOutsiderV4), deniedV4()});
}

TEST_CASE("Bypass mode passes everything and counts nothing", "[prog_run]") {
    Filter filter;
    filter.config().setMode(Mode::Bypass);
    std::vector<Ipv6Ext> nine(9, Ipv6Ext::DestOptions);
    filter.check({
        {"a denied IPv4 SYN passes uncounted", synV4(kOutsiderV4), passes()},
        {"a denied IPv6 SYN passes uncounted", synV6(kOutsiderV6), passes()},
        {"an IPv4 TCP fragment at offset 8 bytes passes uncounted",
         fromV4(kOutsiderV4).fragment(1, true).tcp(kClientPort, kSmtp, kSyn).build(), passes()},
        {"a 9-header IPv6 chain passes uncounted", synV6Behind(kOutsiderV6, nine), passes()},
        {"an allowed SYN passes without crediting its rule", synV4(kGatewayV4), passes()},
    });
    filter.config().setMode(Mode::Enforce);
    filter.check({"back in enforce mode the same SYN is dropped", synV4(kOutsiderV4), deniedV4()});
}

TEST_CASE("A prefix removed and added again starts its counter at zero", "[prog_run]") {
    Filter filter({"192.0.2.0/24"});
    for (int i = 0; i < 3; ++i) filter.run(synV4(kGatewayV4));
    REQUIRE(filter.allowedSyns("192.0.2.0/24") == 3);

    filter.allowlist().remove({Prefix::parse("192.0.2.0/24")});
    filter.check({"once removed, the gateway's SYN is dropped", synV4(kGatewayV4),
                  deniedV4("192.0.2.0/24")});

    filter.allowlist().add({Prefix::parse("192.0.2.0/24")});
    CHECK(filter.allowedSyns("192.0.2.0/24") == 0);
    filter.check(
        {"re-added, it counts from zero", synV4(kGatewayV4), passesCrediting("192.0.2.0/24")});
    CHECK(filter.allowedSyns("192.0.2.0/24") == 1);
}

TEST_CASE("A new prefix never inherits the count of a removed one", "[prog_run]") {
    Filter filter({"192.0.2.0/24"});
    for (int i = 0; i < 2; ++i) filter.run(synV4(kGatewayV4));
    REQUIRE(filter.allowedSyns("192.0.2.0/24") == 2);

    filter.allowlist().remove({Prefix::parse("192.0.2.0/24")});
    filter.allowlist().add({Prefix::parse("198.51.100.0/24")});  // may reuse the freed rule id
    CHECK(filter.allowedSyns("198.51.100.0/24") == 0);
    filter.check({"the new prefix counts from zero", synV4(kOutsiderV4),
                  passesCrediting("198.51.100.0/24")});
}

TEST_CASE("The tries answer whether they hold a prefix exactly, not just one covering it",
          "[prog_run]") {
    Filter filter({"192.0.2.0/24", "192.0.2.128/25", "2001:db8::/32"});
    const RuleIds rules = filter.allowlist().rules();
    for (const auto& [prefix, id] : rules) {
        INFO(prefix.str());
        CHECK(filter.allowlist().exactRuleIdOf(prefix) == id);  // whichever is first or last in the walk
    }
    for (const char* covered : {"192.0.2.0/25", "192.0.2.10/32", "192.0.2.192/26", "2001:db8:1::/48"}) {
        INFO(covered << " is covered, not held");
        CHECK_FALSE(filter.allowlist().exactRuleIdOf(Prefix::parse(covered)).has_value());
    }
    CHECK_FALSE(filter.allowlist().exactRuleIdOf(Prefix::parse("198.51.100.0/24")).has_value());
    CHECK(filter.allowlist().usedRuleIds() == 3);
}

}  // namespace xdpguard::test
