#include "prefilter.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "abi.hpp"
#include "block_hosts.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

constexpr unsigned kBlockBits = XG_PREFILTER_BITS;

// The top-24-bit blocks a prefix overlaps, as an inclusive range.
struct BlockRange {
    uint32_t first;
    uint32_t last;
};

BlockRange blocksOf(const Prefix& prefix) {
    const auto& b = prefix.bytes();
    const uint32_t top = (uint32_t(b[0]) << 16) | (uint32_t(b[1]) << 8) | b[2];
    if (prefix.length() >= kBlockBits) return {top, top};
    const uint32_t span = 1u << (kBlockBits - prefix.length());
    return {top & ~(span - 1), (top & ~(span - 1)) + span - 1};
}

uint32_t blockBase(Family family) { return family == Family::V4 ? XG_PREFILTER_V4_BASE : XG_PREFILTER_V6_BASE; }

uint32_t summaryBase(Family family) {
    return family == Family::V4 ? XG_PREFILTER_SUMMARY_V4_BASE : XG_PREFILTER_SUMMARY_V6_BASE;
}

uint32_t wordIndex(Family family, uint32_t block) { return blockBase(family) + block / 64; }

// Block words per summary bit: the 256 /24 blocks of a /16.
constexpr uint32_t kWordsPerNetwork = (1u << (XG_PREFILTER_BITS - XG_PREFILTER_SUMMARY_BITS)) / 64;
constexpr uint32_t kWordsPerSummaryWord = 64 * kWordsPerNetwork;

using Words = std::map<uint32_t, uint64_t>;  // word index -> bits

// ORs the bits of blocks [first, last] into `words`, a word at a time.
void setBlocks(Words& words, Family family, uint32_t first, uint32_t last) {
    for (uint64_t block = first; block <= last;) {
        const uint32_t offset = block % 64;
        const uint32_t count = static_cast<uint32_t>(std::min<uint64_t>(64 - offset, last - block + 1));
        const uint64_t mask = count == 64 ? ~0ULL : ((1ULL << count) - 1) << offset;
        words[wordIndex(family, static_cast<uint32_t>(block))] |= mask;
        block += count;
    }
}

void writeWords(const MapSet& maps, const Words& words) {
    std::vector<uint32_t> keys;
    std::vector<uint64_t> values;
    for (const auto& [key, value] : words) {
        keys.push_back(key);
        values.push_back(value);
    }
    uint32_t count = static_cast<uint32_t>(keys.size());
    if (count == 0) return;
    // Arrays support batch updates: one syscall for a /8's 1024 words.
    if (bpf_map_update_batch(maps.prefilter.get(), keys.data(), values.data(), &count, nullptr))
        failErrno(errno, "update the allowlist prefilter");
}

// Reads words [first, last] with batched lookups: an IPv4 /8 spans 1024
// words and a /0 262,144, far too many for one system call each.
void readRange(const MapSet& maps, uint32_t first, uint32_t last, Words& words) {
    const uint32_t total = last - first + 1;
    std::vector<uint32_t> keys(total);
    std::vector<uint64_t> values(total);
    // An array's batch walk resumes after the key given; none: from 0.
    uint32_t previous = first - 1, next = 0;
    void* in = first == 0 ? nullptr : &previous;
    uint32_t done = 0;
    while (done < total) {
        uint32_t count = total - done;
        const int rc = bpf_map_lookup_batch(maps.prefilter.get(), in, &next, keys.data() + done,
                                            values.data() + done, &count, nullptr);
        if (rc && errno != ENOENT) failErrno(errno, "read the allowlist prefilter");
        done += count;
        if (rc || count == 0) break;
        previous = next;
        in = &previous;
    }
    for (uint32_t i = 0; i < done; ++i)
        if (keys[i] >= first && keys[i] <= last) words.emplace(keys[i], values[i]);
}

// The summary bits (abi.h) that block words `blocks` call for: set where a
// word has any bit, keyed by the summary word's index.
Words summaryOf(const Words& blocks) {
    Words summary;
    for (const auto& [index, bits] : blocks) {
        if (!bits) continue;
        const Family family = index < XG_PREFILTER_V6_BASE ? Family::V4 : Family::V6;
        const uint32_t network = (index - blockBase(family)) / kWordsPerNetwork;
        summary[summaryBase(family) + network / 64] |= 1ULL << (network % 64);
    }
    return summary;
}

// Sets the summary bits over the block words `blocks` will set, keeping
// those already set: run before the block words are written.
void raiseSummary(const MapSet& maps, const Words& blocks) {
    Words summary = summaryOf(blocks);
    if (summary.empty()) return;
    Words current;
    readRange(maps, summary.begin()->first, summary.rbegin()->first, current);
    for (auto& [index, bits] : summary)
        if (auto it = current.find(index); it != current.end()) bits |= it->second;
    writeWords(maps, summary);
}

// Recomputes the summary words over the block words `touched` from the
// block words now in the map: run after the block words were written, so
// a bit clears only once the last block bit under it has.
void lowerSummary(const MapSet& maps, Family family, const Words& touched) {
    std::vector<uint32_t> summaryWords;  // within the family
    for (const auto& [index, bits] : touched) {
        const uint32_t word = (index - blockBase(family)) / kWordsPerSummaryWord;
        if (summaryWords.empty() || summaryWords.back() != word) summaryWords.push_back(word);
    }
    Words blocks;
    for (size_t i = 0; i < summaryWords.size();) {  // consecutive summary words in one read
        size_t j = i;
        while (j + 1 < summaryWords.size() && summaryWords[j + 1] == summaryWords[j] + 1) ++j;
        readRange(maps, blockBase(family) + summaryWords[i] * kWordsPerSummaryWord,
                  blockBase(family) + (summaryWords[j] + 1) * kWordsPerSummaryWord - 1, blocks);
        i = j + 1;
    }
    Words summary;
    for (uint32_t word : summaryWords) summary[summaryBase(family) + word] = 0;
    for (const auto& [index, bits] : summaryOf(blocks)) summary[index] = bits;
    writeWords(maps, summary);
}

// Reads the words the prefixes touch. Nearby ranges are merged (reading a
// few hundred extra words costs less than a system call), so that 100,000
// scattered prefixes take a few dozen batched reads, not one each.
Words readWords(const MapSet& maps, const std::vector<Prefix>& prefixes) {
    constexpr uint32_t kMergeGap = 512;  // words
    std::vector<BlockRange> ranges;      // of word indices
    for (const Prefix& prefix : prefixes) {
        const BlockRange blocks = blocksOf(prefix);
        ranges.push_back({wordIndex(prefix.family(), blocks.first), wordIndex(prefix.family(), blocks.last)});
    }
    std::sort(ranges.begin(), ranges.end(), [](BlockRange a, BlockRange b) { return a.first < b.first; });
    Words words;
    for (size_t i = 0; i < ranges.size();) {
        BlockRange merged = ranges[i];
        for (++i; i < ranges.size() && ranges[i].first <= merged.last + kMergeGap; ++i)
            merged.last = std::max(merged.last, ranges[i].last);
        readRange(maps, merged.first, merged.last, words);
    }
    return words;
}

}  // namespace

void Prefilter::cover(const std::vector<Prefix>& prefixes) {
    Words words = readWords(maps_, prefixes);
    const Words before = words;
    for (const Prefix& prefix : prefixes) {
        const BlockRange range = blocksOf(prefix);
        setBlocks(words, prefix.family(), range.first, range.last);
    }
    raiseSummary(maps_, words);  // summary bits before the block bits under them
    writeWords(maps_, words);
    // Second level after the first: a host bitmap exists only under a set bit.
    BlockHosts(maps_).open(prefixes, [&](uint32_t word) {
        const auto it = before.find(word);
        return it == before.end() ? 0 : it->second;
    });
}

// A host bitmap exists only under a set bit (block_hosts.hpp): those of the
// blocks whose bits `words` clear go first, whatever left them there. A
// word's index times 64 is its first block's key.
void Prefilter::forgetClosing(const std::map<uint32_t, uint64_t>& words) {
    Words before;
    readRange(maps_, words.begin()->first, words.rbegin()->first, before);
    std::vector<uint32_t> closing;
    for (const auto& [word, bits] : words)
        if (auto it = before.find(word); it != before.end())
            for (uint64_t gone = it->second & ~bits; gone; gone &= gone - 1)
                closing.push_back(word * 64 + static_cast<uint32_t>(__builtin_ctzll(gone)));
    BlockHosts(maps_).forget(closing);
}

void Prefilter::uncover(const std::vector<Prefix>& removed, const std::vector<Prefix>& remaining) {
    BlockHosts(maps_).close(removed, remaining);  // before the bits above them clear
    for (Family family : {Family::V4, Family::V6}) {
        Words words;  // the words the removed prefixes touched, rebuilt from scratch
        uint32_t low = UINT32_MAX, high = 0;
        for (const Prefix& prefix : removed) {
            if (prefix.family() != family) continue;
            const BlockRange range = blocksOf(prefix);
            for (uint32_t block = range.first - range.first % 64; block <= range.last; block += 64)
                words[wordIndex(family, block)] = 0;
            low = std::min(low, range.first - range.first % 64);
            high = std::max(high, range.last | 63);
        }
        if (words.empty()) continue;
        for (const Prefix& prefix : remaining) {
            if (prefix.family() != family) continue;
            const BlockRange range = blocksOf(prefix);
            if (range.last < low || range.first > high) continue;
            Words overlap;
            setBlocks(overlap, family, std::max(range.first, low), std::min(range.last, high));
            for (const auto& [word, bits] : overlap)
                if (auto it = words.find(word); it != words.end()) it->second |= bits;
        }
        forgetClosing(words);
        writeWords(maps_, words);
        lowerSummary(maps_, family, words);  // after the block bits under them
    }
}

}  // namespace xdpguard
