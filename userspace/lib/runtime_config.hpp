// The run-time switches of the filter (enforce/monitor, protected ports),
// held in the single-slot config map so that changes apply to the running
// program at once, without a reload.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

#include "abi.hpp"
#include "map_set.hpp"

namespace xdpguard {

// Monitor counts what enforce would drop and drops nothing; bypass is the
// break glass: every packet passes and nothing is counted.
enum class Mode { Enforce, Monitor, Bypass };

inline constexpr Mode kAllModes[] = {Mode::Enforce, Mode::Monitor, Mode::Bypass};

const char* modeName(Mode mode);
std::optional<Mode> parseMode(std::string_view name);

inline constexpr uint16_t kDefaultSmtpPort = 25;

struct FilterSettings {
    Mode mode = Mode::Monitor;
    std::set<uint16_t> ports{kDefaultSmtpPort};
    uint32_t feedRate = XG_DEFAULT_FEED_RATE;  // drop-feed events per second per CPU
};

class RuntimeConfig {
public:
    explicit RuntimeConfig(const MapSet& maps) : maps_(maps) {}

    FilterSettings read() const;
    void write(const FilterSettings& settings);
    // The layout version recorded by whoever created the maps (0: never written).
    uint32_t layoutVersion() const;

    void setMode(Mode mode);
    void setPorts(const std::set<uint16_t>& ports);
    void setFeedRate(uint32_t eventsPerSecond);

private:
    const MapSet& maps_;
};

}  // namespace xdpguard
