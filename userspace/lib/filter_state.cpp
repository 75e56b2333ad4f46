#include "filter_state.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "error.hpp"
#include "runtime_config.hpp"
#include "abi.hpp"

namespace xdpguard {
namespace {

// A pinned map is only used if it has exactly the shape this binary's
// program expects: same type, key and value sizes. Anything else was made by
// another layout and must not be reinterpreted.
void checkShape(int fd, const bpf_map* expected, const std::string& pin) {
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length))
        failErrno(errno, "inspect pinned map " + pin);
    if (info.type != bpf_map__type(expected) || info.key_size != bpf_map__key_size(expected) ||
        info.value_size != bpf_map__value_size(expected))
        throw Error(ErrorKind::Runtime,
                    "pinned map " + pin + " has another layout than this xdpguard (layout " +
                        std::to_string(XG_LAYOUT_VERSION) +
                        "); it was created by a different version. Detach with that version, or "
                        "remove the pin dir after detaching, then attach again");
}

Fd openPin(const std::string& pin) {
    int fd = bpf_obj_get(pin.c_str());
    if (fd < 0) {
        if (errno == ENOENT) return Fd();
        failErrno(errno, "open pinned map " + pin);
    }
    return Fd(fd);
}

}  // namespace

std::optional<MapSet> FilterState::open(const PinDir& dir) {
    if (!dir.exists()) return std::nullopt;
    dir.checkSafe();
    Skeleton skel = Skeleton::open();
    const std::vector<bpf_map*> expected = skel.mapHandles();
    MapSet maps;
    const auto slots = maps.all();
    size_t found = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        const std::string pin = dir.mapPin(bpf_map__name(expected[i]));
        *slots[i] = openPin(pin);
        if (!slots[i]->valid()) continue;
        checkShape(slots[i]->get(), expected[i], pin);
        ++found;
    }
    if (found == 0) return std::nullopt;
    // The version first: another layout may lack maps this one has.
    const uint32_t version = maps.config.valid() ? RuntimeConfig(maps).layoutVersion() : XG_LAYOUT_VERSION;
    if (version != XG_LAYOUT_VERSION)
        throw Error(ErrorKind::Runtime,
                    "pinned maps in " + dir.path() + " have layout version " +
                        std::to_string(version) + ", this xdpguard uses " +
                        std::to_string(XG_LAYOUT_VERSION) +
                        "; they are not reinterpreted. Detach with the version that attached "
                        "them, or remove the pin dir, then attach again");
    if (found != expected.size())
        throw Error(ErrorKind::Runtime,
                    "pin dir " + dir.path() + " holds only some of xdpguard's maps (an interrupted "
                    "setup?); run `xdpguard detach --all --purge` and attach again");
    return maps;
}

MapSet FilterState::require(const PinDir& dir) {
    if (auto maps = open(dir)) return std::move(*maps);
    badInput("no xdpguard filter in " + dir.path() +
             ": attach one with `xdpguard attach IFACE` (or add a prefix with `xdpguard allow "
             "add CIDR`), or point --pin-dir / XDPGUARD_PIN_DIR at it");
}

void FilterState::pinNew(const PinDir& dir, const Skeleton& skel) {
    {
        const MapSet maps = skel.maps();
        RuntimeConfig(maps).write(FilterSettings{});  // monitor, port 25
    }
    std::vector<std::string> pinned;
    for (bpf_map* map : skel.mapHandles()) {
        const std::string pin = dir.mapPin(bpf_map__name(map));
        if (bpf_obj_pin(bpf_map__fd(map), pin.c_str())) {
            int err = errno;
            for (const std::string& done : pinned) unlink(done.c_str());
            failErrno(err, "pin map " + pin);
        }
        pinned.push_back(pin);
    }
}

MapSet FilterState::openOrCreate(const PinDir& dir, uint32_t capacity) {
    if (auto maps = open(dir)) return std::move(*maps);
    dir.create();
    Skeleton skel = Skeleton::open();
    skel.setCapacity(capacity);
    skel.load();
    pinNew(dir, skel);
    return skel.maps();
}

}  // namespace xdpguard
