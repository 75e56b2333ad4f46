// Walking the keys of a BPF map from userspace.
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <vector>

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

// Calls visit(key, value) for every entry, read with BPF_MAP_LOOKUP_BATCH:
// a few system calls for the whole map (hash maps, and LPM tries since
// Linux 5.13). Token: the kernel's resume position, at least a key long.
template <typename Key, typename Value, typename Visit>
void forEachEntryBatched(int mapFd, const std::string& what, Visit&& visit) {
    constexpr uint32_t kBatch = 4096;
    std::vector<Key> keys(kBatch);
    std::vector<Value> values(kBatch);
    Key token{};
    void* in = nullptr;
    for (int rc = 0; rc == 0; in = &token) {
        uint32_t count = kBatch;
        rc = bpf_map_lookup_batch(mapFd, in, &token, keys.data(), values.data(), &count, nullptr);
        if (rc && errno != ENOENT) failErrno(errno, "read " + what);
        for (uint32_t i = 0; i < count; ++i) visit(keys[i], values[i]);
    }  // ENOENT: the walk is complete
}

}  // namespace xdpguard
