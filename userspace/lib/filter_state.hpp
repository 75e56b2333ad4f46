// Opening the pinned maps of a running filter, or creating them.
#pragma once

#include <cstdint>
#include <optional>

#include "map_set.hpp"
#include "pin_dir.hpp"
#include "skeleton.hpp"

namespace xdpguard {

class FilterState {
public:
    // The pinned maps, if the directory holds a filter. Throws if the pins
    // have another layout (other key/value sizes, map types or
    // XG_LAYOUT_VERSION): they are never reinterpreted.
    static std::optional<MapSet> open(const PinDir& dir);

    // open(), or an error telling the user to attach or add a prefix first.
    static MapSet require(const PinDir& dir);

    // open(), or create the maps (defaults: monitor mode, port 25, empty
    // allowlist) and pin them, so the allowlist can be filled before the
    // first attach.
    static MapSet openOrCreate(const PinDir& dir, uint32_t capacity);

    // Pins the maps of a freshly loaded skeleton and writes default config.
    static void pinNew(const PinDir& dir, const Skeleton& skel);
};

}  // namespace xdpguard
