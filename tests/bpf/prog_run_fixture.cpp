#include "prog_run_fixture.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <catch2/catch.hpp>

#include "denied_sources.hpp"

namespace xdpguard::test {
namespace {

const char* reasonName(uint32_t reason) {
    static const char* const names[] = {"denied_v4", "denied_v6", "tiny_frag", "long_chain"};
    static_assert(sizeof names / sizeof names[0] == XG_REASON_COUNT);
    return reason < XG_REASON_COUNT ? names[reason] : "?";
}

std::string statName(uint32_t reason, uint32_t action) {
    return std::string(reasonName(reason)) +
           (action == XG_ACTION_DROPPED ? "/dropped" : "/monitored");
}

// Compared as names, so that a failure reads "XDP_PASS" == "XDP_DROP".
std::string verdictName(uint32_t verdict) {
    switch (verdict) {
    case XDP_ABORTED: return "XDP_ABORTED";
    case XDP_DROP: return "XDP_DROP";
    case XDP_PASS: return "XDP_PASS";
    case XDP_TX: return "XDP_TX";
    case XDP_REDIRECT: return "XDP_REDIRECT";
    }
    return "verdict " + std::to_string(verdict);
}

Skeleton loadedSkeleton() {
    Skeleton skel = Skeleton::open();
    skel.load();
    return skel;
}

std::vector<Prefix> parsePrefixes(const std::vector<std::string>& cidrs) {
    std::vector<Prefix> parsed;
    for (const std::string& cidr : cidrs) parsed.push_back(Prefix::parse(cidr));
    return parsed;
}

}  // namespace

Outcome passes() { return {XDP_PASS, {}}; }

Outcome passesCrediting(const char* rule) { return {XDP_PASS, {std::string("rule ") + rule}}; }

Outcome dropped(xg_reason reason) { return {XDP_DROP, {statName(reason, XG_ACTION_DROPPED)}}; }

Outcome monitored(xg_reason reason) { return {XDP_PASS, {statName(reason, XG_ACTION_MONITORED)}}; }

Outcome withSource(Outcome outcome, const char* network) {
    outcome.moved.push_back(std::string("source ") + network);
    return outcome;
}

Outcome deniedV4(const char* network) { return withSource(dropped(XG_REASON_DENIED_V4), network); }

Outcome deniedV6(const char* network) { return withSource(dropped(XG_REASON_DENIED_V6), network); }

PacketBuilder fromV4(const char* src) {
    PacketBuilder builder;
    builder.ipv4(src, kServerV4);
    return builder;
}

PacketBuilder fromV6(const char* src) {
    PacketBuilder builder;
    builder.ipv6(src, kServerV6);
    return builder;
}

Frame synV4(const char* src, uint16_t port) {
    return fromV4(src).tcp(kClientPort, port, tcpflag::kSyn).build();
}

Frame synV6(const char* src, uint16_t port) {
    return fromV6(src).tcp(kClientPort, port, tcpflag::kSyn).build();
}

PacketBuilder tagged(std::initializer_list<uint16_t> tpids) {
    PacketBuilder builder;
    uint16_t vid = 100;
    for (uint16_t tpid : tpids) builder.vlan(tpid, vid++);
    return builder;
}

Frame synV6Behind(const char* src, const std::vector<Ipv6Ext>& chain) {
    PacketBuilder builder = fromV6(src);
    for (Ipv6Ext ext : chain) builder.extension(ext);
    return builder.tcp(kClientPort, kSmtp, tcpflag::kSyn).build();
}

Filter::Filter(const std::vector<std::string>& allow)
    : skel_(loadedSkeleton()), maps_(skel_.maps()), allowlist_(maps_), config_(maps_) {
    config_.write(FilterSettings{Mode::Enforce, {kSmtp}});
    allowlist_.add(parsePrefixes(allow));
}

uint32_t Filter::run(const Frame& frame) {
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.repeat = 1;
    const int err = bpf_prog_test_run_opts(skel_.programFd(), &opts);
    REQUIRE(err == 0);
    return opts.retval;
}

void Filter::check(const Case& c) {
    INFO(c.behaviour);
    INFO("frame (" << c.frame.size() << " bytes):\n" << hexDump(c.frame));
    const Counters before = counters();
    CHECK(verdictName(run(c.frame)) == verdictName(c.outcome.verdict));
    CHECK(moved(before, counters()) == c.outcome.moved);
}

void Filter::check(const std::vector<Case>& cases) {
    for (const Case& c : cases) check(c);
}

uint64_t Filter::allowedSyns(const char* rule) const {
    return counters().rules.at(Prefix::parse(rule));
}

Filter::Counters Filter::counters() const {
    Counters now{readStats(maps_), {}, {}};
    for (const AllowEntry& entry : allowlist_.list()) now.rules[entry.prefix] = entry.allowedSyns;
    for (const DeniedSource& source : topDeniedSources(maps_, XG_SRC_SLOTS))
        now.deniedSources[source.network] = source.deniedSyns;
    return now;
}

// Every counter that changed: "<name>" if by one, else "<name> <+N|-N>".
std::vector<std::string> Filter::moved(const Counters& before, const Counters& after) {
    std::vector<std::string> names;
    auto note = [&](const std::string& name, uint64_t from, uint64_t to) {
        if (to == from) return;
        const int64_t delta = static_cast<int64_t>(to - from);
        names.push_back(delta == 1 ? name
                                   : name + (delta > 0 ? " +" : " ") + std::to_string(delta));
    };
    for (uint32_t reason = 0; reason < XG_REASON_COUNT; ++reason)
        for (uint32_t action = 0; action < XG_ACTION_COUNT; ++action)
            note(statName(reason, action), before.stats.packets[reason][action],
                 after.stats.packets[reason][action]);
    auto noteEach = [&](const char* kind, const auto& from, const auto& to) {
        for (const auto& [prefix, count] : to) {
            const auto old = from.find(prefix);
            note(kind + prefix.str(), old == from.end() ? 0 : old->second, count);
        }
    };
    noteEach("rule ", before.rules, after.rules);
    noteEach("source ", before.deniedSources, after.deniedSources);
    return names;
}

}  // namespace xdpguard::test
