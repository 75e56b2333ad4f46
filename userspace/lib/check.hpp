// `xdpguard check ADDRESS`: would a SYN from this address get through?
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "map_set.hpp"
#include "prefix.hpp"
#include "runtime_config.hpp"

namespace xdpguard {

struct CheckResult {
    Prefix source;
    uint16_t port = 0;
    bool dropped = false;        // the program returned XDP_DROP
    bool portProtected = false;
    Mode mode = Mode::Monitor;
    std::optional<Prefix> matched;  // the allowlist rule credited, if any

    // "allowed", "dropped", "would drop (monitor mode)" or "not filtered".
    std::string verdict() const;
};

// Runs a crafted SYN through a private instance of the program that shares
// the live allowlist tries but has its own config copy and counters, so the
// real counters are not disturbed and no subtraction races with traffic.
CheckResult checkSource(const MapSet& live, const std::string& address, uint16_t port);

}  // namespace xdpguard
