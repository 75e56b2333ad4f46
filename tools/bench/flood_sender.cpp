#include "flood_sender.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bench_prefixes.hpp"
#include "bench_report.hpp"
#include "error.hpp"
#include "xdp_flood.skel.h"

namespace xdpguard::bench {
namespace {

constexpr uint32_t kBatch = 256;  // frames per batch (TEST_XDP_MAX_BATCH): fewest flushes

}  // namespace

std::array<uint8_t, 6> parseMac(const std::string& text) {
    std::array<unsigned, 6> parts{};
    std::array<uint8_t, 6> mac{};
    if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &parts[0], &parts[1], &parts[2], &parts[3], &parts[4],
                    &parts[5]) != 6)
        badInput("'" + text + "' is not a MAC address such as 02:00:00:00:00:25");
    for (size_t i = 0; i < mac.size(); ++i) mac[i] = static_cast<uint8_t>(parts[i]);
    return mac;
}

FloodSender::FloodSender(const FloodSpec& spec) : framesPerCall_(spec.framesPerCall) {
    if (spec.sources == 0 || (spec.sources & (spec.sources - 1)) || spec.sources - 1 > kFloodSourceMask)
        badInput("the number of flood sources must be a power of two");
    ifindex_ = static_cast<int>(if_nametoindex(spec.interface.c_str()));
    if (ifindex_ == 0) failErrno(errno, "find the sending interface " + spec.interface);

    skel_ = xdp_flood_bpf__open();
    if (!skel_) failErrno(errno, "open the flood sender program");
    skel_->rodata->src_base = kFloodSourceBase;
    skel_->rodata->src_span = kFloodSourceMask;
    skel_->rodata->src_count = spec.sources;
    if (int err = xdp_flood_bpf__load(skel_)) failErrno(err, "load the flood sender program");

    // The template: the program rewrites source address, port and checksums.
    frame_ = test::PacketBuilder()
                 .ipv4("128.0.0.1", spec.dstAddress)
                 .tcp(32768, 25, test::tcpflag::kSyn)
                 .build();
    std::memcpy(frame_.data(), spec.dstMac.data(), spec.dstMac.size());
}

FloodSender::~FloodSender() { xdp_flood_bpf__destroy(skel_); }

Sent FloodSender::send(double seconds) {
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(frame_.size());
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex_);
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame_.data();
    opts.data_size_in = static_cast<uint32_t>(frame_.size());
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof ctx;
    opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
    opts.repeat = framesPerCall_;
    opts.batch_size = kBatch;

    Sent sent;
    const double deadline = monotonicSeconds() + seconds;
    do {
        opts.duration = 0;
        if (int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xg_flood), &opts))
            failErrno(err, "send SYNs with BPF_PROG_TEST_RUN live frames (needs Linux >= 5.18)");
        sent.frames += framesPerCall_;
        sent.kernelSeconds += static_cast<double>(opts.duration) * framesPerCall_ / 1e9;
    } while (monotonicSeconds() < deadline);
    return sent;
}

}  // namespace xdpguard::bench
