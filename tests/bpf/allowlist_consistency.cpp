#include "allowlist_consistency.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <sstream>

#include "block_hosts.hpp"
#include "prog_run_fixture.hpp"
#include "runtime_config.hpp"
#include "stats.hpp"

namespace xdpguard::test {
namespace {

constexpr size_t kCreditSample = 16;  // every Nth allowed probe also checks its rule's counter at once

// Room for every step's prefixes, and host bitmap slots about ten times the
// blocks they describe, as a production filter's capacity gives: slots
// other blocks hold are rare, as there (prog_run_block_hosts_test.cpp
// takes both slots of a block on purpose).
constexpr uint32_t kCapacity = 8192;

Skeleton loadedSkeleton() {
    Skeleton skel = Skeleton::open();
    skel.setCapacity(kCapacity);
    skel.load();
    return skel;
}

Net blockNet(Family family, uint32_t block) {
    return {family, Bits128(block) << (128 - XG_PREFILTER_BITS), XG_PREFILTER_BITS};
}

// The network bit `bit` of prefilter word `word` stands for: a /24 block,
// or a /16 in the summary.
Net prefilterNet(uint32_t word, uint32_t bit) {
    if (word < XG_PREFILTER_SUMMARY_V4_BASE) {
        const Family family = word < XG_PREFILTER_V6_BASE ? Family::V4 : Family::V6;
        return blockNet(family, (word % XG_PREFILTER_WORDS) * 64 + bit);
    }
    const Family family = word < XG_PREFILTER_SUMMARY_V6_BASE ? Family::V4 : Family::V6;
    const uint32_t network = ((word - XG_PREFILTER_SUMMARY_V4_BASE) % XG_PREFILTER_SUMMARY_WORDS) * 64 + bit;
    return {family, Bits128(network) << (128 - XG_PREFILTER_SUMMARY_BITS), XG_PREFILTER_SUMMARY_BITS};
}

std::string overlapping(const std::set<Net>& allowed, const Net& block) {
    for (const Net& net : allowed)
        if (net.contains(block.first()) || block.contains(net.first())) return net.str();
    return "?";
}

}  // namespace

// --- FilterUnderTest ------------------------------------------------------------

FilterUnderTest::FilterUnderTest() : skel_(loadedSkeleton()), maps_(skel_.maps()), allowlist_(maps_) {
    RuntimeConfig(maps_).write(FilterSettings{Mode::Enforce, {kSmtp}});
}

uint32_t FilterUnderTest::synFrom(const Net& source) {
    const std::string text = source.addressText();
    const Frame frame = source.family == Family::V4 ? synV4(text.c_str()) : synV6(text.c_str());
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.repeat = 1;
    REQUIRE(bpf_prog_test_run_opts(skel_.programFd(), &opts) == 0);
    return opts.retval;
}

std::vector<uint64_t> FilterUnderTest::ruleCounts() const {
    return sumPerCpuCounters(maps_.ruleCount.get(), allowlist_.capacity());
}

uint64_t FilterUnderTest::ruleCount(uint32_t id) const { return sumPerCpuCounter(maps_.ruleCount.get(), id); }

std::vector<uint64_t> FilterUnderTest::prefilter() const {
    const uint32_t total = XG_PREFILTER_ENTRIES;
    std::vector<uint32_t> keys(total);
    std::vector<uint64_t> values(total), words(total, 0);
    uint32_t done = 0, token = 0;
    void* in = nullptr;
    while (done < total) {
        uint32_t count = total - done;
        const int rc = bpf_map_lookup_batch(maps_.prefilter.get(), in, &token, keys.data() + done,
                                            values.data() + done, &count, nullptr);
        REQUIRE((rc == 0 || errno == ENOENT));
        done += count;
        in = &token;
        if (rc) break;
    }
    REQUIRE(done == total);
    for (uint32_t i = 0; i < total; ++i) words.at(keys[i]) = values[i];
    return words;
}

std::map<uint32_t, std::array<uint64_t, 4>> FilterUnderTest::blockHosts(BlockHosts::Level level) const {
    size_t mixed = 0;
    auto bitmaps = BlockHosts(maps_).all(level, &mixed);
    INFO("slots with words of different blocks (an interrupted write) after a completed change");
    REQUIRE(mixed == 0);
    return bitmaps;
}

std::optional<uint32_t> FilterUnderTest::trieLookup(const Net& address) const {
    xg_rule rule{};
    const Prefix host = address.prefix();
    int rc;
    if (address.family == Family::V4) {
        const xg_lpm_v4 key = host.keyV4();
        rc = bpf_map_lookup_elem(maps_.allowV4.get(), &key, &rule);
    } else {
        const xg_lpm_v6 key = host.keyV6();
        rc = bpf_map_lookup_elem(maps_.allowV6.get(), &key, &rule);
    }
    return rc == 0 ? std::optional<uint32_t>(rule.id) : std::nullopt;
}

// --- ConsistencyChecker -----------------------------------------------------------

void requireBothVerdicts(const Tally& tally) {
    const size_t total = tally.passed + tally.denied;
    CHECK(tally.passed > total / 20);
    CHECK(tally.denied > total / 20);
}

Tally ConsistencyChecker::check(const std::string& step, const std::set<Net>& allowed,
                                const std::vector<Net>& probes, const std::set<Net>& fresh) {
    INFO("step: " << step << "; " << allowed.size() << " prefixes allowed");
    checkRules(allowed);
    const std::vector<uint64_t> before = filter_.ruleCounts();
    for (const Net& net : fresh)
        if (const uint64_t count = before.at(ids_.at(net)))
            FAIL("new prefix " << net.str() << " (rule " << ids_.at(net) << ") starts at " << count);
    return checkVerdicts(allowed, probes, before);
}

void ConsistencyChecker::checkRules(const std::set<Net>& allowed) {
    ids_.clear();
    names_.clear();
    std::set<Net> held;
    for (const auto& [prefix, id] : filter_.allowlist().rules()) {
        const Net net = Net::of(prefix);
        held.insert(net);
        ids_[net] = id;
        if (id >= filter_.allowlist().capacity()) FAIL(net.str() << " has rule id " << id << " past capacity");
        if (!names_.emplace(id, net).second)
            FAIL("rule id " << id << " is shared by " << names_[id].str() << " and " << net.str());
    }
    for (const Net& net : allowed)
        if (!held.count(net)) FAIL(net.str() << " should be allowed but is not in the trie");
    for (const Net& net : held)
        if (!allowed.count(net)) FAIL(net.str() << " is in the trie but should not be");
}

Tally ConsistencyChecker::checkVerdicts(const std::set<Net>& allowed, const std::vector<Net>& probes,
                                        const std::vector<uint64_t>& before) {
    std::vector<Net> v4, v6;
    for (const Net& net : allowed) (net.family == Family::V4 ? v4 : v6).push_back(net);
    const FilterStats statsBefore = readStats(filter_.maps());
    std::map<uint32_t, uint64_t> credits;
    uint64_t denied[2] = {0, 0};
    size_t passed = 0, mismatches = 0;
    std::string first;
    for (const Net& probe : probes) {
        const Net* match = longestMatch(probe.family == Family::V4 ? v4 : v6, probe);
        const uint32_t id = match ? ids_.at(*match) : 0;
        const bool sample = match && passed++ % kCreditSample == 0;
        const uint64_t countBefore = sample ? filter_.ruleCount(id) : 0;
        const uint32_t verdict = filter_.synFrom(probe);
        if (verdict != (match ? XDP_PASS : XDP_DROP)) {
            if (!mismatches++) first = describe(probe, match, verdict);
            continue;
        }
        if (sample && filter_.ruleCount(id) != countBefore + 1)
            FAIL("a SYN from " << probe.addressText() << " should credit " << match->str() << " (rule " << id
                               << "): its counter went " << countBefore << " -> " << filter_.ruleCount(id));
        match ? ++credits[id] : ++denied[probe.family == Family::V4 ? 0 : 1];
    }
    if (mismatches) FAIL(mismatches << " of " << probes.size() << " verdicts differ; first: " << first);

    const std::vector<uint64_t> after = filter_.ruleCounts();
    for (uint32_t id = 0; id < after.size(); ++id) {
        const uint64_t want = credits.count(id) ? credits[id] : 0;
        if (after[id] - before[id] != want)
            FAIL("rule " << id << " (" << nameOf(id) << ") moved by " << after[id] - before[id] << ", expected "
                         << want);
    }
    const FilterStats statsAfter = readStats(filter_.maps());
    CHECK(statsAfter.get(XG_REASON_DENIED_V4, XG_ACTION_DROPPED) -
              statsBefore.get(XG_REASON_DENIED_V4, XG_ACTION_DROPPED) == denied[0]);
    CHECK(statsAfter.get(XG_REASON_DENIED_V6, XG_ACTION_DROPPED) -
              statsBefore.get(XG_REASON_DENIED_V6, XG_ACTION_DROPPED) == denied[1]);
    return {passed, denied[0] + denied[1]};
}

void ConsistencyChecker::checkPrefilter(const std::string& step, const std::set<Net>& allowed) {
    INFO("step: " << step << "; " << allowed.size() << " prefixes allowed");
    const std::vector<uint64_t> want = prefilterOf({allowed.begin(), allowed.end()});
    const std::vector<uint64_t> have = filter_.prefilter();
    size_t missing = 0, stale = 0;
    std::string firstMissing, firstStale;
    for (uint32_t word = 0; word < want.size(); ++word) {
        for (uint64_t diff = want[word] ^ have[word]; diff; diff &= diff - 1) {
            const uint32_t bit = static_cast<uint32_t>(__builtin_ctzll(diff));
            const Net block = prefilterNet(word, bit);
            if ((want[word] >> bit) & 1) {
                if (!missing++) firstMissing = block.str() + " (overlapped by " + overlapping(allowed, block) + ")";
            } else if (!stale++) {
                firstStale = block.str();
            }
        }
    }
    if (missing)
        FAIL(missing << " prefilter bits clear for blocks an allowed prefix overlaps, first " << firstMissing
                     << ": its sources are dropped without a trie lookup");
    if (stale) FAIL(stale << " prefilter bits set for blocks no prefix overlaps, first " << firstStale);
    checkBlockHosts(step, allowed);
}

void ConsistencyChecker::checkBlockHosts(const std::string& step, const std::set<Net>& allowed) {
    INFO("step: " << step << "; host bitmaps");
    const auto want = blockHostsOf({allowed.begin(), allowed.end()});
    const auto have = filter_.blockHosts();
    for (const auto& [block, hosts] : have) {
        const Net net = blockNet(block >> 24 ? Family::V6 : Family::V4, block & 0xFFFFFF);
        const auto it = want.find(block);
        INFO("block " << net.str() << " (overlapped by " << overlapping(allowed, net) << ")");
        REQUIRE(it != want.end());  // a block a short prefix covers, or an empty one, has no bitmap
        for (size_t word = 0; word < 4; ++word) {
            INFO("hosts " << 64 * word << "-" << 64 * word + 63 << ": kernel " << std::hex << hosts[word]
                          << ", model " << it->second[word]);
            REQUIRE((it->second[word] & ~hosts[word]) == 0);  // a covered address without its bit is dropped
            REQUIRE(hosts[word] == it->second[word]);
        }
    }
    // A block lacks its bitmap where other blocks held both its slots when
    // it was written, or where an add found it open without one (the trie
    // may allow more there than the add knows): slower, never wrong, and
    // rare. A change that dropped bitmaps wholesale would show here.
    const uint32_t shift = BlockHosts(filter_.maps()).slotShift();
    size_t missing = 0, withFreeSlot = 0;
    std::set<uint32_t> taken;
    for (const auto& [block, hosts] : have)
        for (uint32_t way = 0; way < 2; ++way) taken.insert(XG_BLOCK_SLOT(block, way, shift));
    for (const auto& [block, hosts] : want) {
        if (have.count(block)) continue;
        ++missing;
        withFreeSlot += !taken.count(XG_BLOCK_SLOT(block, 0, shift)) || !taken.count(XG_BLOCK_SLOT(block, 1, shift));
    }
    INFO(want.size() << " blocks only long prefixes cover; " << missing << " without a bitmap, " << withFreeSlot
                     << " of them with a slot free now");
    CHECK(missing * 10 <= want.size());
    checkSlash32s(allowed, have);
}

// The /32 bitmaps the program reads (under a set bit of a block's bitmap)
// are the model's; others may outlive their bit, unread (block_hosts.hpp).
void ConsistencyChecker::checkSlash32s(const std::set<Net>& allowed,
                                       const std::map<uint32_t, std::array<uint64_t, 4>>& blocks) {
    const auto want = slash32sOf({allowed.begin(), allowed.end()});
    const auto have = filter_.blockHosts(BlockHosts::Level::Slash32);
    auto reachable = [&](uint32_t slash32) {
        const auto it = blocks.find(XG_BLOCK_KEY(1, slash32));
        const uint32_t index = slash32 & 255;
        return it != blocks.end() && ((it->second[index / 64] >> (index % 64)) & 1);
    };
    size_t wanted = 0, missing = 0;
    for (const auto& [slash32, bits] : want) {
        if (!reachable(slash32)) continue;
        ++wanted;
        const auto it = have.find(slash32);
        if (it == have.end()) {
            ++missing;
            continue;
        }
        const Net net{Family::V6, Bits128(slash32) << 96, 32};
        INFO("/32 " << net.str() << " (overlapped by " << overlapping(allowed, net) << ")");
        for (size_t word = 0; word < 4; ++word) {
            INFO("/40s " << 64 * word << "-" << 64 * word + 63 << ": kernel " << std::hex << it->second[word]
                         << ", model " << bits[word]);
            REQUIRE(it->second[word] == bits[word]);  // a clear bit the model sets drops an allowed source
        }
    }
    for (const auto& [slash32, bits] : have) {
        const Net net{Family::V6, Bits128(slash32) << 96, 32};
        INFO("/32 " << net.str() << " has a bitmap the program reads, the model none (overlapped by "
                    << overlapping(allowed, net) << ")");
        REQUIRE((!reachable(slash32) || want.count(slash32)));  // a /32 a shorter prefix covers has none
    }
    INFO(wanted << " /32s only longer prefixes overlap under a set bit; " << missing << " without a bitmap");
    CHECK(missing * 10 <= wanted);
}

std::string ConsistencyChecker::describe(const Net& probe, const Net* match, uint32_t verdict) const {
    std::ostringstream out;
    out << "SYN from " << probe.addressText() << ": expected "
        << (match ? "XDP_PASS, allowed by " + match->str() + " (rule " + std::to_string(ids_.at(*match)) + ")"
                  : std::string("XDP_DROP, no prefix contains it"))
        << "; the program said " << (verdict == XDP_PASS ? "XDP_PASS" : verdict == XDP_DROP ? "XDP_DROP" : "?")
        << "; prefilter bit of " << blockNet(probe.family, probe.block()).str() << ": "
        << (prefilterBit(filter_.prefilter(), probe) ? "set" : "clear") << "; trie lookup: ";
    const auto rule = filter_.trieLookup(probe);
    if (rule) out << "rule " << *rule << " (" << nameOf(*rule) << ")";
    else out << "no match";
    return out.str();
}

std::string ConsistencyChecker::nameOf(uint32_t id) const {
    const auto it = names_.find(id);
    return it == names_.end() ? "no prefix" : it->second.str();
}

}  // namespace xdpguard::test
