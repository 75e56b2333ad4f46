// Walking the keys of a BPF map from userspace.
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "error.hpp"

namespace xdpguard {

// Calls visit(key) for every key of the map. A hash map restarts the walk
// from the beginning if the key it continues from was deleted meanwhile
// (LRU eviction), so the walk is bounded by `maxSteps` and callers that may
// see that must tolerate repeated keys.
template <typename Key, typename Visit>
void forEachKey(int mapFd, const std::string& what, Visit&& visit, size_t maxSteps = SIZE_MAX) {
    Key key{}, next{};
    const void* previous = nullptr;
    for (size_t step = 0; step < maxSteps; ++step) {
        if (bpf_map_get_next_key(mapFd, previous, &next)) {
            if (errno != ENOENT) failErrno(errno, "walk " + what);
            return;
        }
        visit(next);
        key = next;
        previous = &key;
    }
}

}  // namespace xdpguard
