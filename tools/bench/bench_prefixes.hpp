// The allowlists the benchmarks load: what a large provider allowlist looks
// like (a mix of lengths, no prefix inside another), made deterministically
// from the size and family so that every benchmark tool — and nftables,
// through xdpguard_benchgen — loads exactly the same set.
//
// Address plan (nothing here ever leaves the benchmark's namespaces):
//   IPv4 allowlists   first octet 1..126       IPv6 allowlists   2000::/4
//   IPv4 outsiders    128.0.0.0/2              IPv6 outsiders    3a00::/8
// so a source drawn from the outsider region is denied by every allowlist
// and never shares a prefilter block with one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "prefix.hpp"

namespace xdpguard::bench {

// Where the live flood draws its spoofed IPv4 sources: kFloodSourceBase | (x & kFloodSourceMask).
inline constexpr uint32_t kFloodSourceBase = 0x80000000u;  // 128.0.0.0/2
inline constexpr uint32_t kFloodSourceMask = 0x3fffffffu;

struct BenchAllowlist {
    std::vector<Prefix> prefixes;  // `count` prefixes, none containing another
    std::string allowedHost;       // an address matched by a host prefix (/32, /128)
    // In allowedHost's prefilter block (/24), matched by none, decided by the
    // block's bitmap: IPv4 a neighbour of allowedHost, IPv6 a host in
    // another /32 that no prefix touches.
    std::string blockMiss;
    std::string slash32Miss;       // IPv6: in another /40 of allowedHost's /32 that no prefix touches
    std::string slash40Miss;       // IPv6: in allowedHost's /40, matched by none: the trie decides
    std::string outsider;          // in a block no prefix overlaps
};

BenchAllowlist makeAllowlist(Family family, size_t count);

// Parses "10,1000,1e5"-style lists of sizes (plain integers, comma-separated).
std::vector<size_t> parseSizes(const std::string& text);

}  // namespace xdpguard::bench
