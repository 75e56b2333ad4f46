// Owns the libbpf skeleton of the XDP program embedded in this binary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "map_set.hpp"

struct xdpguard_bpf;
struct bpf_map;

namespace xdpguard {

class Skeleton {
public:
    // Opens the embedded object (no kernel objects are created yet).
    static Skeleton open();

    Skeleton(Skeleton&& other) noexcept;
    Skeleton& operator=(Skeleton&& other) noexcept;
    Skeleton(const Skeleton&) = delete;
    Skeleton& operator=(const Skeleton&) = delete;
    ~Skeleton();

    // Before load: how many prefixes the allowlist (and rule ids) can hold.
    void setCapacity(uint32_t maxRules);
    // Before load: make the program use these existing maps instead of
    // creating new ones (attaching another interface to a running filter).
    void reuseMaps(const MapSet& maps);
    // Before load: share only the allowlist (tries and prefilter levels; lookups
    // never change them); every counter and the config stay private.
    void reuseAllowlist(const MapSet& maps);
    // Creates the maps and verifies the program in the kernel.
    void load();

    int programFd() const;
    // New descriptors for the loaded maps, independent of this skeleton.
    MapSet maps() const;

    // The kernel object names of the maps, in MapSet::all() order; pins use them.
    std::vector<std::string> mapNames() const;
    std::vector<bpf_map*> mapHandles() const;

private:
    explicit Skeleton(xdpguard_bpf* skel) : skel_(skel) {}
    xdpguard_bpf* skel_ = nullptr;
};

}  // namespace xdpguard
