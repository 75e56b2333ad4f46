#include "runtime_config.hpp"

#include <bpf/bpf.h>

#include <cerrno>

#include "block_hosts.hpp"
#include "abi.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

constexpr uint32_t kConfigSlot = 0;

xg_config readRaw(const MapSet& maps) {
    xg_config raw{};
    if (bpf_map_lookup_elem(maps.config.get(), &kConfigSlot, &raw))
        failErrno(errno, "read the filter configuration");
    return raw;
}

void writeRaw(const MapSet& maps, const xg_config& raw) {
    if (bpf_map_update_elem(maps.config.get(), &kConfigSlot, &raw, BPF_ANY))
        failErrno(errno, "write the filter configuration");
}

}  // namespace

const char* modeName(Mode mode) {
    switch (mode) {
    case Mode::Enforce: return "enforce";
    case Mode::Monitor: return "monitor";
    case Mode::Bypass: return "bypass";
    }
    return "unknown";
}

std::optional<Mode> parseMode(std::string_view name) {
    for (Mode mode : kAllModes)
        if (name == modeName(mode)) return mode;
    return std::nullopt;
}

namespace {

Mode modeFromFlags(uint32_t flags) {
    if (flags & XG_CFG_BYPASS) return Mode::Bypass;
    return (flags & XG_CFG_ENFORCE) ? Mode::Enforce : Mode::Monitor;
}

uint32_t flagsFromMode(Mode mode) {
    if (mode == Mode::Bypass) return XG_CFG_BYPASS;
    return mode == Mode::Enforce ? XG_CFG_ENFORCE : 0;
}

}  // namespace

FilterSettings RuntimeConfig::read() const {
    const xg_config raw = readRaw(maps_);
    FilterSettings settings;
    settings.mode = modeFromFlags(raw.flags);
    settings.feedRate = raw.feed_rate;
    settings.ports.clear();
    for (uint32_t port = 0; port < 65536; ++port)
        if ((raw.ports[port / 64] >> (port % 64)) & 1) settings.ports.insert(uint16_t(port));
    return settings;
}

uint32_t RuntimeConfig::layoutVersion() const { return readRaw(maps_).layout_version; }

// The program reads the slot without a lock; an array update copies the value
// in place, so a SYN racing with it sees each 64-bit port word either before
// or after. Ports being added or removed are the only ones that can flip.
void RuntimeConfig::write(const FilterSettings& settings) {
    xg_config raw{};
    raw.layout_version = XG_LAYOUT_VERSION;
    raw.flags = flagsFromMode(settings.mode);
    raw.feed_rate = settings.feedRate;
    raw.block_slot_shift = BlockHosts(maps_).slotShift();
    for (uint16_t port : settings.ports) raw.ports[port / 64] |= 1ULL << (port % 64);
    writeRaw(maps_, raw);
}

void RuntimeConfig::setMode(Mode mode) {
    FilterSettings settings = read();
    settings.mode = mode;
    write(settings);
}

void RuntimeConfig::setFeedRate(uint32_t eventsPerSecond) {
    FilterSettings settings = read();
    settings.feedRate = eventsPerSecond;
    write(settings);
}

void RuntimeConfig::setPorts(const std::set<uint16_t>& ports) {
    FilterSettings settings = read();
    settings.ports = ports;
    write(settings);
}

}  // namespace xdpguard
