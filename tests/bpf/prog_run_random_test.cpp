// [prog_run] Randomized consistency: whatever the allowlist holds, and
// however it got there (Allowlist::add/remove, AllowlistEditor plans), the
// loaded program's verdict on a SYN to :25 equals a plain longest-prefix
// match over the prefixes that should be allowed, the longest one is
// credited, and the prefilter bitmap is exactly the blocks they overlap.
//
// Each test case loads one program whose maps serve every step; the model
// is lpm_reference.hpp, the checks allowlist_consistency.hpp. The seed is
// printed with any failure; XDPGUARD_RANDOM_SEED=<n> replays it.
#include <linux/bpf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iterator>
#include <map>
#include <set>

#include "allowlist_change.hpp"
#include "allowlist_consistency.hpp"
#include "origins.hpp"
#include "lpm_reference.hpp"

namespace xdpguard::test {
namespace {

constexpr uint64_t kDefaultSeed = 0x5eed2525;

uint64_t testSeed() {
    const char* text = std::getenv("XDPGUARD_RANDOM_SEED");
    return text && *text ? std::strtoull(text, nullptr, 0) : kDefaultSeed;
}

std::vector<Net> toVector(const std::set<Net>& nets) { return {nets.begin(), nets.end()}; }

std::vector<Prefix> prefixesOf(const std::vector<Net>& nets) {
    std::vector<Prefix> prefixes;
    for (const Net& net : nets) prefixes.push_back(net.prefix());
    return prefixes;
}

// Plans and applies a change to one source the way Controller::change does
// (the one place that knows that sequence).
enum class Change { Add, Remove, Sync };

ChangePlan applyAsController(const MapSet& maps, Change kind, const std::string& source,
                             const std::vector<Prefix>& prefixes) {
    AllowlistEditor editor(maps);
    if (kind != Change::Add) editor.reconcile();  // adds check only what they name
    const ChangePlan plan = kind == Change::Add      ? editor.planAdd(source, prefixes)
                            : kind == Change::Remove ? editor.planRemove(source, prefixes)
                                                     : editor.planSync(source, prefixes);
    editor.apply(plan);
    return plan;
}

// Probes: half uniform over both families, half at or near the edges of
// `primary` and `secondary` prefixes (a quarter each).
std::vector<Net> probes(RandomNets& rnd, size_t count, const std::vector<Net>& primary,
                        const std::vector<Net>& secondary) {
    std::vector<Net> out;
    for (size_t i = 0; i < count; ++i) {
        if (i % 2 == 0) out.push_back(rnd.uniformAddress(rnd.family()));
        else out.push_back(rnd.addressNear(rnd.pick(i % 4 == 1 || secondary.empty() ? primary : secondary)));
    }
    return out;
}

std::vector<Net> drawPrefixes(RandomNets& rnd, size_t count, std::vector<Net> around) {
    std::vector<Net> drawn;
    while (drawn.size() < count) {
        drawn.push_back(rnd.prefix(around));
        around.push_back(drawn.back());
    }
    return drawn;
}

// Splits off a random `percent` of `nets`.
std::vector<Net> takeSome(RandomNets& rnd, const std::set<Net>& nets, unsigned percent) {
    std::vector<Net> taken;
    for (const Net& net : nets)
        if (rnd.chance(percent)) taken.push_back(net);
    return taken;
}

}  // namespace

TEST_CASE("Random allowlists: the verdict is always the longest-prefix match", "[prog_run]") {
    const uint64_t seed = testSeed();
    INFO("replay: XDPGUARD_RANDOM_SEED=" << testSeed());
    RandomNets rnd(seed);
    FilterUnderTest filter;
    ConsistencyChecker checker(filter);
    std::set<Net> allowed;
    std::vector<Net> everything;  // every prefix ever drawn, for probes near the removed

    // Phase 1: 3000 prefixes in three batches, through both add() paths,
    // the later ones repeating some prefixes already present.
    RuleIds known;
    for (int batch = 0; batch < 3; ++batch) {
        std::vector<Net> drawn = drawPrefixes(rnd, 1000, everything);
        everything.insert(everything.end(), drawn.begin(), drawn.end());
        for (const Net& net : takeSome(rnd, allowed, 1)) drawn.push_back(net);
        std::set<Net> fresh;
        for (const Net& net : drawn)
            if (allowed.insert(net).second) fresh.insert(net);
        if (batch == 0) {
            CHECK(filter.allowlist().add(prefixesOf(drawn)) == fresh.size());
            known = filter.allowlist().rules();
        } else {
            const RuleIds assigned = filter.allowlist().add(prefixesOf(drawn), known);
            CHECK(assigned.size() == fresh.size());
            known.insert(assigned.begin(), assigned.end());
        }
        requireBothVerdicts(checker.check("add batch " + std::to_string(batch + 1), allowed,
                                          probes(rnd, 7000, everything, everything), fresh));
    }
    // Phase 4 (here and after every change that removes prefixes): the
    // prefilter bitmap is exactly the blocks the allowed prefixes overlap.
    checker.checkPrefilter("after the adds", allowed);

    // Phase 2: a third removed in two batches, probing mostly the removed.
    for (int batch = 0; batch < 2; ++batch) {
        const std::vector<Net> doomed = takeSome(rnd, allowed, batch == 0 ? 17 : 20);
        if (batch == 0) filter.allowlist().remove(prefixesOf(doomed));
        else filter.allowlist().remove(prefixesOf(doomed), known);
        for (const Net& net : doomed) {
            allowed.erase(net);
            known.erase(net.prefix());
        }

        // Not vacuous: the probes hit removed prefixes whose block stays
        // open for others, whose block closed, and that a shorter prefix
        // still covers.
        const std::vector<Net> batchProbes = probes(rnd, 10000, doomed, toVector(allowed));
        const std::vector<Net> remaining = toVector(allowed);
        const std::vector<uint64_t> bits = prefilterOf(remaining);
        size_t stillCovered = 0, blockOpen = 0, blockClosed = 0;
        for (const Net& probe : batchProbes) {
            if (!longestMatch(doomed, probe)) continue;
            if (longestMatch(remaining, probe)) ++stillCovered;
            else ++(prefilterBit(bits, probe) ? blockOpen : blockClosed);
        }
        INFO("probes in removed prefixes: " << stillCovered << " still covered, " << blockOpen
                                            << " denied by the trie, " << blockClosed << " by the prefilter");
        CHECK(stillCovered >= 20);
        CHECK(blockOpen >= 20);
        CHECK(blockClosed >= 20);
        requireBothVerdicts(checker.check("remove batch " + std::to_string(batch + 1), allowed, batchProbes));
        checker.checkPrefilter("remove batch " + std::to_string(batch + 1), allowed);
    }

    // Phase 3: sources changed through AllowlistEditor plans as the
    // controller applies them (prefixes added above without a source count
    // as manual).
    std::map<std::string, std::set<Net>> sources{{kManualSource, allowed}};
    auto union_ = [&] {
        std::set<Net> all;
        for (const auto& [name, nets] : sources) all.insert(nets.begin(), nets.end());
        return all;
    };
    auto apply = [&](const std::string& step, Change kind, const std::string& source, const std::vector<Net>& nets) {
        const std::set<Net> before = allowed;
        const ChangePlan plan = applyAsController(filter.maps(), kind, source, prefixesOf(nets));
        allowed = union_();
        CHECK(plan.allowlistSizeAfter == allowed.size());
        std::set<Net> fresh, changed;
        for (const Net& net : allowed)
            if (!before.count(net)) fresh.insert(net);
        std::set_symmetric_difference(before.begin(), before.end(), allowed.begin(), allowed.end(),
                                      std::inserter(changed, changed.end()));
        const std::vector<Net> near = changed.empty() ? toVector(allowed) : toVector(changed);
        requireBothVerdicts(checker.check(step, allowed, probes(rnd, 5000, near, toVector(allowed)), fresh));
        if (!plan.removed.empty()) checker.checkPrefilter(step, allowed);
    };
    const std::vector<std::string> names = {"file:gateways", "spf:example.org"};
    for (int round = 0; round < 4; ++round) {
        const std::string& source = names[round % 2];
        // Keep about half of the source's prefixes, take a fifth of the
        // others' (shared listings), and draw new ones near everything.
        std::set<Net> desired;
        for (const Net& net : takeSome(rnd, sources[source], 50)) desired.insert(net);
        for (const Net& net : takeSome(rnd, allowed, 20)) desired.insert(net);
        const std::vector<Net> drawn = drawPrefixes(rnd, 400, everything);
        everything.insert(everything.end(), drawn.begin(), drawn.end());
        desired.insert(drawn.begin(), drawn.end());
        sources[source] = desired;
        apply("sync " + source + " round " + std::to_string(round + 1), Change::Sync, source, toVector(desired));
    }
    // `allow add` and `allow del` of manual prefixes, as the CLI does them.
    const std::vector<Net> added = drawPrefixes(rnd, 200, everything);
    sources[kManualSource].insert(added.begin(), added.end());
    apply("manual add", Change::Add, kManualSource, added);
    const std::vector<Net> dropped = takeSome(rnd, sources[kManualSource], 40);
    for (const Net& net : dropped) sources[kManualSource].erase(net);
    apply("manual del", Change::Remove, kManualSource, dropped);
}

TEST_CASE("Random allowlists with very short prefixes: /0, IPv4 /4 to /7, IPv6 /8 to /15", "[prog_run]") {
    const uint64_t seed = testSeed() + 1;
    INFO("replay: XDPGUARD_RANDOM_SEED=" << testSeed());
    RandomNets rnd(seed);
    FilterUnderTest filter;
    ConsistencyChecker checker(filter);
    std::set<Net> allowed;
    const std::vector<Net> base = drawPrefixes(rnd, 400, {});
    allowed.insert(base.begin(), base.end());
    filter.allowlist().add(prefixesOf(base));
    requireBothVerdicts(checker.check("400 prefixes", allowed, probes(rnd, 3000, base, base)));

    // Each step adds a short prefix of each family; steps 1 and 3 remove
    // them again, step 3 together with the /0s it adds.
    for (int step = 0; step < 4; ++step) {
        std::vector<Net> shorts;
        for (Family family : {Family::V4, Family::V6}) {
            shorts.push_back(rnd.shortPrefix(family));
            if (step == 2) shorts.push_back({family, 0, 0});
        }
        std::set<Net> fresh;
        for (const Net& net : shorts)
            if (allowed.insert(net).second) fresh.insert(net);
        filter.allowlist().add(prefixesOf(shorts));
        const Tally tally = checker.check("short prefixes added, step " + std::to_string(step + 1), allowed,
                                          probes(rnd, 2000, shorts, base), fresh);
        if (step == 2) CHECK(tally.denied == 0);  // /0 in both families
        else requireBothVerdicts(tally);
        if (step % 2 == 0) {
            std::vector<Net> doomed(fresh.begin(), fresh.end());
            for (const Net& net : doomed) allowed.erase(net);
            filter.allowlist().remove(prefixesOf(doomed));
            requireBothVerdicts(checker.check("short prefixes removed, step " + std::to_string(step + 1),
                                              allowed, probes(rnd, 2000, doomed, base)));
            checker.checkPrefilter("short prefixes removed, step " + std::to_string(step + 1), allowed);
        }
    }
    checker.checkPrefilter("short prefixes kept", allowed);
}

// A prefix can be in the tries without an origin record (an orphan), left
// by an older controller. `allow add` does not walk the tries for them; it
// must still give every new prefix a rule id of its own and accept an
// orphan as listed by a source.
TEST_CASE("Random allowlists: adds beside prefixes without an origin record keep rule ids apart",
          "[prog_run]") {
    const uint64_t seed = testSeed() + 2;
    INFO("replay: XDPGUARD_RANDOM_SEED=" << testSeed());
    RandomNets rnd(seed);
    FilterUnderTest filter;
    ConsistencyChecker checker(filter);
    const std::vector<Net> orphans = drawPrefixes(rnd, 300, {});
    std::set<Net> allowed(orphans.begin(), orphans.end());
    filter.allowlist().add(prefixesOf(orphans));
    requireBothVerdicts(checker.check("orphans added", allowed, probes(rnd, 3000, orphans, orphans)));

    auto addAs = [&](const std::string& step, const std::string& source, const std::vector<Net>& nets) {
        std::set<Net> fresh;
        for (const Net& net : nets)
            if (allowed.insert(net).second) fresh.insert(net);
        REQUIRE_NOTHROW(applyAsController(filter.maps(), Change::Add, source, prefixesOf(nets)));
        requireBothVerdicts(checker.check(step, allowed, probes(rnd, 3000, nets, orphans), fresh));
    };
    std::vector<Net> near;  // new prefixes in and beside the orphans, none of them an orphan
    for (const Net& net : drawPrefixes(rnd, 150, orphans))
        if (!allowed.count(net) && near.size() < 100) near.push_back(net);
    addAs("manual add beside orphans", kManualSource, near);
    std::vector<Net> listed = takeSome(rnd, allowed, 20);  // orphans among them
    const std::vector<Net> more = drawPrefixes(rnd, 50, orphans);
    listed.insert(listed.end(), more.begin(), more.end());
    addAs("file add of orphans and new prefixes", "file:gateways", listed);
    checker.checkPrefilter("after the adds", allowed);
}

// A change killed between its record and trie writes leaves a ghost: P
// recorded by file:a under id r, not in the tries. A later add of P by
// another source (which reads only its own records) gives P a second id;
// the next sync must bring every record of P to the id the tries use and
// free the other, so that no id is lost and none is shared.
TEST_CASE("Records that disagree on a prefix's rule id are repaired by the next sync", "[prog_run]") {
    FilterUnderTest filter;
    const Prefix ghost = Prefix::parse("192.0.2.0/24");
    const Prefix other = Prefix::parse("198.51.100.0/24");
    Origins origins(filter.maps());
    const uint32_t interruptedId = filter.allowlist().reserve({ghost}, 0).at(ghost);
    origins.add(ghost, "file:a", interruptedId);  // killed before the tries

    applyAsController(filter.maps(), Change::Add, kManualSource, {ghost});
    const std::optional<uint32_t> heldId = filter.allowlist().exactRuleIdOf(ghost);
    REQUIRE(heldId.has_value());
    REQUIRE(*heldId != interruptedId);  // the add could not see file:a's record
    CHECK(filter.allowlist().usedRuleIds() == 2);

    applyAsController(filter.maps(), Change::Sync, "file:a", {ghost, other});
    CHECK(origins.ruleIdOf(ghost, "file:a") == heldId);
    CHECK(origins.ruleIdOf(ghost, kManualSource) == heldId);
    CHECK(filter.allowlist().exactRuleIdOf(ghost) == heldId);
    CHECK(filter.allowlist().usedRuleIds() == 2);  // the stray id went free; `other` took one
    CHECK(filter.allowlist().exactRuleIdOf(other) != heldId);

    applyAsController(filter.maps(), Change::Remove, "file:a", {ghost});
    applyAsController(filter.maps(), Change::Remove, kManualSource, {ghost});
    CHECK_FALSE(filter.allowlist().exactRuleIdOf(ghost).has_value());
    CHECK(filter.allowlist().usedRuleIds() == 1);  // only `other`'s id: nothing leaked
    auto v4 = [](uint32_t address) { return Net{Family::V4, Bits128(address) << 96, 32}; };
    CHECK(filter.synFrom(v4(0xc000020a)) == XDP_DROP);  // 192.0.2.10
    CHECK(filter.synFrom(v4(0xc633640a)) == XDP_PASS);  // 198.51.100.10
}

}  // namespace xdpguard::test
