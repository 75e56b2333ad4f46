// The live flood's sender: xdp_flood.bpf.c run by BPF_PROG_TEST_RUN in
// live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES, Linux >= 5.18) on one end of
// a veth pair, so every SYN it makes is really transmitted to the peer.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "packet_builder.hpp"

struct xdp_flood_bpf;

namespace xdpguard::bench {

struct FloodSpec {
    std::string interface;         // the sending veth end, in the caller's network namespace
    std::array<uint8_t, 6> dstMac; // the receiving end's MAC
    std::string dstAddress;        // IPv4, a documentation address
    uint32_t sources = 65536;      // distinct spoofed sources, a power of two
    // Frames per BPF_PROG_TEST_RUN call. Each call builds and tears down
    // its own page pool; between calls nothing is sent, and on a 6.18
    // guest the gap is milliseconds (the CPU idles). Fewer, longer calls
    // keep the receiver's ring fuller: 2^22 frames lost ~10 % of the wall
    // time where 2^20 lost ~20 %.
    uint32_t framesPerCall = 1u << 22;
};

struct Sent {
    uint64_t frames = 0;
    double kernelSeconds = 0;  // opts.duration x frames, summed over the calls
    double offeredMpps() const { return kernelSeconds > 0 ? frames / kernelSeconds / 1e6 : 0; }
};

class FloodSender {
public:
    explicit FloodSender(const FloodSpec& spec);
    ~FloodSender();
    FloodSender(const FloodSender&) = delete;
    FloodSender& operator=(const FloodSender&) = delete;

    // Transmits SYNs for about `seconds` of wall time.
    Sent send(double seconds);

private:
    xdp_flood_bpf* skel_ = nullptr;
    int ifindex_ = 0;
    uint32_t framesPerCall_;
    test::Frame frame_;
};

// Parses "02:00:00:00:00:25".
std::array<uint8_t, 6> parseMac(const std::string& text);

}  // namespace xdpguard::bench
