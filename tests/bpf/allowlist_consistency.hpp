// The check phase of the randomized [prog_run] tests: one loaded program
// with maps of its own (FilterUnderTest), and a checker that compares it
// with the plain model of lpm_reference.hpp after every change — the tries'
// contents and rule ids, each probe's verdict and credited rule, the denied
// counters, and the prefilter bitmap bit for bit. A failure names the step,
// the first differing source or block, and what the kernel answered.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "block_hosts.hpp"
#include "lpm_reference.hpp"
#include "map_set.hpp"
#include "skeleton.hpp"

namespace xdpguard::test {

// The program under BPF_PROG_TEST_RUN, enforcing on :25, with fresh maps.
class FilterUnderTest {
public:
    FilterUnderTest();

    const MapSet& maps() const { return maps_; }
    Allowlist& allowlist() { return allowlist_; }

    uint32_t synFrom(const Net& source);  // the verdict on a SYN to :25
    std::vector<uint64_t> ruleCounts() const;
    uint64_t ruleCount(uint32_t id) const;
    // The whole XG_MAP_PREFILTER array (a few batched lookups, ~0.3 s).
    std::vector<uint64_t> prefilter() const;
    // The whole XG_MAP_BLOCK_HOSTS array: block -> bitmap, and IPv6 /32 ->
    // bitmap of its /40s.
    std::map<uint32_t, std::array<uint64_t, 4>> blockHosts(
        BlockHosts::Level level = BlockHosts::Level::Block) const;
    // What the kernel's trie alone answers for an address.
    std::optional<uint32_t> trieLookup(const Net& address) const;

private:
    Skeleton skel_;
    MapSet maps_;
    Allowlist allowlist_;
};

// How the probes of one check were judged.
struct Tally {
    size_t passed = 0;
    size_t denied = 0;
};

// Not vacuous: both verdicts were exercised.
void requireBothVerdicts(const Tally& tally);

class ConsistencyChecker {
public:
    explicit ConsistencyChecker(FilterUnderTest& filter) : filter_(filter) {}

    // The tries hold exactly `allowed`, each under a rule id of its own;
    // the counters of `fresh` (prefixes new since the last check) start at
    // zero; every probe gets the verdict of the longest match and credits
    // that prefix's rule; the denied counters move by the denied probes.
    Tally check(const std::string& step, const std::set<Net>& allowed, const std::vector<Net>& probes,
                const std::set<Net>& fresh = {});

    // Every block an allowed prefix overlaps is open (else its sources are
    // dropped before the trie); every other block is closed; the host
    // bitmaps are exactly those of blockHostsOf(), and the /32 bitmaps
    // the program can reach those of slash32sOf(). Reading the whole bitmap
    // takes a while, so callers check it after removals and at the end of
    // a phase.
    void checkPrefilter(const std::string& step, const std::set<Net>& allowed);

private:
    void checkRules(const std::set<Net>& allowed);
    Tally checkVerdicts(const std::set<Net>& allowed, const std::vector<Net>& probes,
                        const std::vector<uint64_t>& before);
    std::string describe(const Net& probe, const Net* match, uint32_t verdict) const;
    std::string nameOf(uint32_t id) const;
    void checkBlockHosts(const std::string& step, const std::set<Net>& allowed);
    void checkSlash32s(const std::set<Net>& allowed, const std::map<uint32_t, std::array<uint64_t, 4>>& blocks);

    FilterUnderTest& filter_;
    std::map<Net, uint32_t> ids_;  // as the tries hold them now
    std::map<uint32_t, Net> names_;
};

}  // namespace xdpguard::test
