// xdpguard_quickbench: a quick figure of what the filter costs per frame.
//
// Each scenario runs a frame through a loaded program with BPF_PROG_TEST_RUN,
// a million times per call; the kernel reports the average ns per run. The
// scenarios are interleaved over several rounds and the median is shown, next
// to its ratio to a program that only returns XDP_PASS (the floor: the cost of
// the test-run loop itself). Not a substitute for a line-rate test on a NIC.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "error.hpp"
#include "log.hpp"
#include "packet_builder.hpp"
#include "prefix.hpp"
#include "runtime_config.hpp"
#include "skeleton.hpp"
#include "xdp_pass.skel.h"

namespace {

using xdpguard::test::Frame;
using xdpguard::test::PacketBuilder;

constexpr uint32_t kRepeat = 1'000'000;
constexpr int kRounds = 7;
constexpr const char* kServer = "192.0.2.25";
constexpr const char* kGateway = "203.0.113.30";
constexpr const char* kOutsider = "198.51.100.7";
const std::vector<std::string> kAllowlist = {
    "203.0.113.10/32", "203.0.113.20/32", "203.0.113.30/32", "203.0.113.40/32", "203.0.113.50/32",
    "2001:db8:1::/48", "2001:db8:2::/48", "2001:db8:3::/48", "2001:db8:4::/48", "2001:db8:5::/48"};

struct PassProgram {
    struct Destroy {
        void operator()(xdp_pass_bpf* skel) const { xdp_pass_bpf__destroy(skel); }
    };
    std::unique_ptr<xdp_pass_bpf, Destroy> skel;

    PassProgram() : skel(xdp_pass_bpf__open_and_load()) {
        if (!skel) xdpguard::failErrno(errno, "load the pass-only XDP program");
    }
    int fd() const { return bpf_program__fd(skel->progs.xg_pass); }
};

struct Scenario {
    const char* name;
    int programFd;
    Frame frame;
    std::vector<double> kernelNs;  // opts.duration of each round
    std::vector<double> wallNs;    // the syscall's wall time / kRepeat
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void runRound(Scenario& scenario) {
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = scenario.frame.data();
    opts.data_size_in = static_cast<uint32_t>(scenario.frame.size());
    opts.repeat = kRepeat;
    const double start = nowNs();
    if (int err = bpf_prog_test_run_opts(scenario.programFd, &opts))
        xdpguard::failErrno(err, std::string("run '") + scenario.name + "'");
    scenario.wallNs.push_back((nowNs() - start) / kRepeat);
    scenario.kernelNs.push_back(opts.duration);
}

Frame synTo25(const char* src) {
    return PacketBuilder().ipv4(src, kServer).tcp(40000, 25, xdpguard::test::tcpflag::kSyn).build();
}

// One CPU for every run: per-CPU counters and caches stay put, and rounds
// compare like with like.
void pinToCurrentCpu() {
    const int cpu = sched_getcpu();
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

int bench() {
    xdpguard::installLibbpfLogger();  // quiet: failures are reported once, below
    pinToCurrentCpu();
    PassProgram pass;
    xdpguard::Skeleton filter = xdpguard::Skeleton::open();
    filter.load();
    const xdpguard::MapSet maps = filter.maps();
    xdpguard::RuntimeConfig(maps).write({xdpguard::Mode::Enforce, {25}});
    std::vector<xdpguard::Prefix> prefixes;
    for (const std::string& cidr : kAllowlist) prefixes.push_back(xdpguard::Prefix::parse(cidr));
    xdpguard::Allowlist(maps).add(prefixes);

    const Frame udp = PacketBuilder().ipv4(kOutsider, kServer).udp(40000, 53).payload(18).build();
    std::vector<Scenario> scenarios = {
        {"XDP_PASS only, UDP frame", pass.fd(), udp, {}, {}},
        {"xdpguard, UDP frame", filter.programFd(), udp, {}, {}},
        {"xdpguard, denied SYN to :25", filter.programFd(), synTo25(kOutsider), {}, {}},
        {"xdpguard, allowed SYN to :25", filter.programFd(), synTo25(kGateway), {}, {}},
    };
    for (Scenario& scenario : scenarios) runRound(scenario);  // warm-up, discarded
    for (Scenario& scenario : scenarios) {
        scenario.kernelNs.clear();
        scenario.wallNs.clear();
    }
    for (int round = 0; round < kRounds; ++round)
        for (Scenario& scenario : scenarios) runRound(scenario);

    std::printf(
        "BPF_PROG_TEST_RUN, %u runs per call, median of %d interleaved rounds, "
        "%zu allowlist prefixes\n\n",
        kRepeat, kRounds, kAllowlist.size());
    std::printf("%-32s %10s %10s %10s\n", "scenario", "ns/frame", "vs floor", "wall ns");
    const double floor = std::max(median(scenarios[0].kernelNs), 1.0);
    for (const Scenario& scenario : scenarios) {
        const double ns = median(scenario.kernelNs);
        std::printf("%-32s %10.0f %9.2fx %10.1f\n", scenario.name, ns, ns / floor,
                    median(scenario.wallNs));
    }
    return 0;
}

}  // namespace

int main() {
    try {
        return bench();
    } catch (const xdpguard::Error& error) {
        std::fprintf(stderr, "xdpguard_quickbench: %s\n", error.what());
        return error.exitStatus();
    }
}
