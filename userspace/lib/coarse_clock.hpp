// The data plane stamps times with bpf_ktime_get_coarse_ns()
// (CLOCK_MONOTONIC_COARSE); people read wall-clock time.
#pragma once

#include <cstdint>
#include <ctime>

namespace xdpguard {

// Seconds since the Unix epoch for a CLOCK_MONOTONIC_COARSE stamp in ns.
inline double coarseMonotonicToUnix(uint64_t stampNs) {
    timespec mono{}, real{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    const double nowMono = double(mono.tv_sec) + double(mono.tv_nsec) / 1e9;
    const double nowReal = double(real.tv_sec) + double(real.tv_nsec) / 1e9;
    return nowReal - (nowMono - double(stampNs) / 1e9);
}

}  // namespace xdpguard
