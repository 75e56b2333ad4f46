// The XDP program itself on arbitrary frames, under BPF_PROG_TEST_RUN: it
// returns only XDP_PASS or XDP_DROP, drops nothing in monitor mode, and in
// enforce mode gives every frame the verdict frame_oracle.hpp reads from the
// README: above all, nothing but a SYN to :25 from outside the allowlist, a
// tiny TCP fragment or an over-long IPv6 chain is ever dropped.
//
// Input: byte 0 bit 0 selects monitor mode; the rest is the frame (at least
// an Ethernet header, at most 1514 bytes: what a NIC hands XDP).
//
// Needs CAP_BPF and CAP_NET_ADMIN: without them it exits 77 (a CTest skip)
// unless XDPGUARD_REQUIRE_BPF=1.
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>

#include "allowlist.hpp"
#include "error.hpp"
#include "frame_oracle.hpp"
#include "fuzz_check.hpp"
#include "runtime_config.hpp"
#include "skeleton.hpp"

using namespace xdpguard;
namespace {

constexpr size_t kMinFrame = 14;    // the kernel refuses a test run below ETH_HLEN
constexpr size_t kMaxFrame = 1514;  // a standard Ethernet frame without FCS
constexpr int kSkipCode = 77;

// Documentation prefixes (RFC 5737, RFC 3849), including nested ones.
const char* const kAllowlist[] = {"192.0.2.0/24", "192.0.2.128/25", "198.51.100.7/32",
                                  "2001:db8:a::/48", "2001:db8:a:1::/64"};

class LoadedFilter {
public:
    LoadedFilter() : skel_(loaded()), maps_(skel_.maps()), config_(maps_) {
        for (const char* text : kAllowlist) allowlist_.push_back(Prefix::parse(text));
        Allowlist(maps_).add(allowlist_);
        setMode(Mode::Enforce);
    }

    const std::vector<Prefix>& allowlist() const { return allowlist_; }

    void setMode(Mode mode) {
        if (mode == mode_) return;
        config_.write(FilterSettings{mode, {fuzz::kProtectedPort}});
        mode_ = mode;
    }

    uint32_t run(std::span<const uint8_t> frame) {
        bpf_test_run_opts opts{};
        opts.sz = sizeof opts;
        opts.data_in = frame.data();
        opts.data_size_in = static_cast<uint32_t>(frame.size());
        opts.repeat = 1;
        const int err = bpf_prog_test_run_opts(skel_.programFd(), &opts);
        if (err != 0)
            fuzz::violated("BPF_PROG_TEST_RUN fails on a " + std::to_string(frame.size()) +
                           "-byte frame: error " + std::to_string(err));
        return opts.retval;
    }

private:
    static Skeleton loaded() {
        Skeleton skel = Skeleton::open();
        skel.load();
        return skel;
    }

    Skeleton skel_;
    MapSet maps_;
    RuntimeConfig config_;
    std::vector<Prefix> allowlist_;
    std::optional<Mode> mode_;
};

std::unique_ptr<LoadedFilter> filter;

bool bpfRequired() {
    const char* value = std::getenv("XDPGUARD_REQUIRE_BPF");
    return value && std::string_view(value) == "1";
}

std::string hex(std::span<const uint8_t> bytes) {
    std::string out;
    char pair[4];
    for (uint8_t byte : bytes) {
        std::snprintf(pair, sizeof pair, "%02x", byte);
        out += pair;
    }
    return out;
}

const char* verdictName(uint32_t verdict) {
    return verdict == XDP_PASS ? "XDP_PASS" : verdict == XDP_DROP ? "XDP_DROP" : "another verdict";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    try {
        filter = std::make_unique<LoadedFilter>();
    } catch (const Error& e) {
        const bool permission =
            std::string_view(e.what()).find("permission denied") != std::string_view::npos;
        std::fprintf(stderr, "%s: cannot load the XDP program: %s\n",
                     permission && !bpfRequired() ? "SKIP" : "FAIL", e.what());
        std::exit(permission && !bpfRequired() ? kSkipCode : 1);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1 + kMinFrame || size > 1 + kMaxFrame) return 0;
    const Mode mode = data[0] & 1 ? Mode::Monitor : Mode::Enforce;
    const std::span<const uint8_t> frame(data + 1, size - 1);
    filter->setMode(mode);
    const uint32_t verdict = filter->run(frame);

    auto what = [&] {  // built only for a failure: it costs more than the run
        return std::string(mode == Mode::Monitor ? "monitor" : "enforce") + " mode, frame " +
               hex(frame) + ": " + verdictName(verdict) + " (" + std::to_string(verdict) + ")";
    };
    if (verdict != XDP_PASS && verdict != XDP_DROP)
        fuzz::violated(what() + ", only XDP_PASS or XDP_DROP");
    if (mode == Mode::Monitor) {
        if (verdict != XDP_PASS) fuzz::violated(what() + ", monitor mode drops nothing");
        return 0;
    }
    const fuzz::Expected expected = fuzz::expectedVerdict(frame, filter->allowlist());
    if (expected != fuzz::Expected::Either &&
        verdict != (expected == fuzz::Expected::Pass ? XDP_PASS : XDP_DROP))
        fuzz::violated(what() + ", expected " + fuzz::nameOf(expected));
    return 0;
}
