// The setup and check phases of the [prog_run] tests. A Filter is a freshly
// loaded XDP program with maps of its own, filled through Allowlist and
// RuntimeConfig (so the library's key and port encodings are under test too).
// Filter::check runs a frame once under BPF_PROG_TEST_RUN and asserts the
// verdict and exactly which counters moved: the xg_stats slots, the per-rule
// allowed SYNs and the denied source networks. A counter that should stay
// still is checked as much as the one that should move.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "map_set.hpp"
#include "packet_builder.hpp"
#include "prefix.hpp"
#include "runtime_config.hpp"
#include "skeleton.hpp"
#include "stats.hpp"
#include "xdpguard/abi.h"

namespace xdpguard::test {

// Documentation addresses only (RFC 5737, RFC 3849).
inline constexpr const char* kServerV4 = "203.0.113.25";
inline constexpr const char* kServerV6 = "2001:db8:5e::25";
inline constexpr const char* kOutsiderV4 = "198.51.100.7";
inline constexpr const char* kOutsiderV6 = "2001:db8:bad::7";
inline constexpr const char* kOutsiderNetV4 = "198.51.100.0/24";  // as denied sources are kept
inline constexpr const char* kOutsiderNetV6 = "2001:db8:bad::/48";
inline constexpr const char* kGatewayV4 = "192.0.2.10";             // in 192.0.2.0/24 only
inline constexpr const char* kInnerGatewayV4 = "192.0.2.200";       // also in 192.0.2.128/25
inline constexpr const char* kGatewayV6 = "2001:db8:a::10";         // in 2001:db8:a::/48 only
inline constexpr const char* kInnerGatewayV6 = "2001:db8:a:1::10";  // also in 2001:db8:a:1::/64
inline const std::vector<std::string> kGateways = {"192.0.2.0/24", "192.0.2.128/25",
                                                   "2001:db8:a::/48", "2001:db8:a:1::/64"};

inline constexpr uint16_t kSmtp = 25;
inline constexpr uint16_t kClientPort = 40000;

// --- what a case expects ------------------------------------------------------

struct Outcome {
    uint32_t verdict;                // XDP_PASS or XDP_DROP
    std::vector<std::string> moved;  // the counters that move (by one), in report order
};

Outcome passes();
Outcome passesCrediting(const char* rule);  // an allowed SYN: the rule's counter moves
Outcome dropped(xg_reason reason);          // enforce mode
Outcome monitored(xg_reason reason);        // monitor mode: passed, counted "would drop"
// A denied SYN also records its source network (/24 or /48).
Outcome withSource(Outcome outcome, const char* network);
Outcome deniedV4(const char* network = kOutsiderNetV4);
Outcome deniedV6(const char* network = kOutsiderNetV6);

struct Case {
    std::string behaviour;
    Frame frame;
    Outcome outcome;
};

// --- frames to the server -----------------------------------------------------

PacketBuilder fromV4(const char* src);
PacketBuilder fromV6(const char* src);
Frame synV4(const char* src, uint16_t port = kSmtp);
Frame synV6(const char* src, uint16_t port = kSmtp);
// A builder with VLAN tags of these TPIDs, outermost first.
PacketBuilder tagged(std::initializer_list<uint16_t> tpids);
Frame synV6Behind(const char* src, const std::vector<Ipv6Ext>& chain);

// --- the loaded program ---------------------------------------------------------

class Filter {
public:
    // Enforcing on port 25 with `allow` in the allowlist.
    explicit Filter(const std::vector<std::string>& allow = kGateways);

    Allowlist& allowlist() { return allowlist_; }
    RuntimeConfig& config() { return config_; }
    const MapSet& maps() const { return maps_; }

    uint32_t run(const Frame& frame);  // the verdict
    void check(const Case& c);
    void check(const std::vector<Case>& cases);

    uint64_t allowedSyns(const char* rule) const;

private:
    struct Counters {
        FilterStats stats;
        std::map<Prefix, uint64_t> rules;
        std::map<Prefix, uint64_t> deniedSources;
    };
    Counters counters() const;
    static std::vector<std::string> moved(const Counters& before, const Counters& after);

    Skeleton skel_;
    MapSet maps_;
    Allowlist allowlist_;
    RuntimeConfig config_;
};

}  // namespace xdpguard::test
