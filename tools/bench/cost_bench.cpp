// xdpguard_costbench: what the filter costs per packet under
// BPF_PROG_TEST_RUN, from 10 to 1,000,000 allowlist prefixes, next to an
// XDP_PASS-only program (the floor: the cost of the test-run loop itself)
// loaded in the same run.
//
// Every allowlist size is a filter of its own, loaded side by side, so all
// cases run interleaved round after round; each row is the median and range
// of the kernel's reported ns per run (opts.duration), not wall time. At the
// large sizes it also reports the tries' memory: the kernel's memlock figure
// and what filling them really took (a /proc/meminfo delta).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "bench_prefixes.hpp"
#include "block_hosts.hpp"
#include "bench_report.hpp"
#include "error.hpp"
#include "log.hpp"
#include "packet_builder.hpp"
#include "runtime_config.hpp"
#include "skeleton.hpp"
#include "xdp_drop.skel.h"
#include "xdp_pass.skel.h"

namespace xdpguard::bench {
namespace {

using test::Frame;
using test::PacketBuilder;

constexpr const char* kServerV4 = "192.0.2.25";
constexpr const char* kServerV6 = "2001:db8::25";
constexpr double kNotSynTarget = 1.15;
constexpr double kDeniedTarget = 1.3;

// A reference program's skeleton, loaded for the whole run.
template <typename Skeleton>
class Reference {
public:
    Reference(Skeleton* (*openAndLoad)(), void (*destroy)(Skeleton*), const std::string& what)
        : skel_(openAndLoad()), destroy_(destroy) {
        if (!skel_) failErrno(errno, "load " + what);
    }
    ~Reference() { destroy_(skel_); }
    Reference(const Reference&) = delete;
    Reference& operator=(const Reference&) = delete;
    const Skeleton& operator*() const { return *skel_; }

private:
    Skeleton* skel_;
    void (*destroy_)(Skeleton*);
};

// One loaded filter holding `size` IPv4 prefixes and, if asked, as many IPv6.
struct Instance {
    size_t size;
    bool withV6;
    Skeleton filter;
    MapSet maps;
    BenchAllowlist v4;
    BenchAllowlist v6;
    uint64_t measuredV4 = 0;  // kernel memory the IPv4 fill took (kernelMemoryBytes delta)
    uint64_t measuredV6 = 0;
};

// Fills one family, returning how much kernel memory it took.
uint64_t fill(const MapSet& maps, const std::vector<Prefix>& prefixes) {
    const uint64_t before = kernelMemoryBytes();
    Allowlist(maps).add(prefixes);
    const uint64_t after = kernelMemoryBytes();
    return after > before ? after - before : 0;
}

std::unique_ptr<Instance> loadInstance(size_t size, bool withV6) {
    std::fprintf(stderr, "costbench: loading a filter with %zu IPv4%s prefixes\n", size,
                 withV6 ? " + as many IPv6" : "");
    auto inst = std::make_unique<Instance>(Instance{size, withV6, Skeleton::open(), {},
                                                    makeAllowlist(Family::V4, size), {}});
    if (withV6) inst->v6 = makeAllowlist(Family::V6, size);
    inst->filter.setCapacity(static_cast<uint32_t>(withV6 ? 2 * size : size));
    inst->filter.load();
    inst->maps = inst->filter.maps();
    RuntimeConfig(inst->maps).write({Mode::Enforce, {25}});
    inst->measuredV4 = fill(inst->maps, inst->v4.prefixes);
    if (withV6) inst->measuredV6 = fill(inst->maps, inst->v6.prefixes);
    return inst;
}

enum class Kind { Floor, Reference, NotSyn, Denied, BlockMiss, Slash32Miss, Slash40Miss, Allowed };

struct Case {
    std::string name;
    Kind kind;
    int programFd;
    Frame frame;
    Samples ns;
};

Frame synTo25(bool v6, const std::string& source) {
    PacketBuilder builder;
    if (v6)
        builder.ipv6(source, kServerV6);
    else
        builder.ipv4(source, kServerV4);
    return builder.tcp(40000, 25, test::tcpflag::kSyn).build();
}

Frame udpFrame(bool v6, const std::string& source) {
    PacketBuilder builder;
    if (v6)
        builder.ipv6(source, kServerV6);
    else
        builder.ipv4(source, kServerV4);
    return builder.udp(40000, 53).payload(18).build();
}

void addCases(std::vector<Case>& cases, const Instance& inst, bool v6) {
    const BenchAllowlist& list = v6 ? inst.v6 : inst.v4;
    const std::string prefix = std::string(v6 ? "v6" : "v4") + ", " + std::to_string(inst.size) + " prefixes: ";
    const int fd = inst.filter.programFd();
    cases.push_back({prefix + "UDP (not a SYN)", Kind::NotSyn, fd, udpFrame(v6, list.outsider), {}});
    cases.push_back({prefix + "denied SYN, outside blocks", Kind::Denied, fd, synTo25(v6, list.outsider), {}});
    cases.push_back({prefix + "denied SYN, in an allowed block", Kind::BlockMiss, fd, synTo25(v6, list.blockMiss), {}});
    if (v6) {
        cases.push_back({prefix + "denied SYN, in a gateway's /32", Kind::Slash32Miss, fd,
                         synTo25(v6, list.slash32Miss), {}});
        cases.push_back({prefix + "denied SYN, in a gateway's /40", Kind::Slash40Miss, fd,
                         synTo25(v6, list.slash40Miss), {}});
    }
    cases.push_back({prefix + "allowed SYN", Kind::Allowed, fd, synTo25(v6, list.allowedHost), {}});
}

double runOnce(const Case& c, uint32_t repeat) {
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = c.frame.data();
    opts.data_size_in = static_cast<uint32_t>(c.frame.size());
    opts.repeat = repeat;
    if (int err = bpf_prog_test_run_opts(c.programFd, &opts)) failErrno(err, "run '" + c.name + "'");
    return opts.duration;
}

Row costRow(const Case& c, double floorNs) {
    Row row{"prog_run", c.name, fixed(c.ns.median(), 1), fixed(c.ns.min(), 1), fixed(c.ns.max(), 1),
            "ns/pkt"};
    const double ratio = c.ns.median() / floorNs;
    row.ratio = fixed(ratio, 2) + "x";
    const double target = c.kind == Kind::NotSyn ? kNotSynTarget
                          : (c.kind == Kind::Denied || c.kind == Kind::BlockMiss || c.kind == Kind::Slash32Miss ||
                             c.kind == Kind::Slash40Miss)
                              ? kDeniedTarget
                              : 0;
    if (target > 0) {
        row.target = "<= " + fixed(target, 2) + "x";
        row.met = verdict(ratio <= target);
    }
    return row;
}

// The prefilter entries the lists call for (their prefixes do not nest:
// a block or /32 per long prefix) against those the array holds: the rest
// found both their slots taken, and their SYNs go to the trie.
void printPrefilterFill(const Instance& inst) {
    std::set<uint32_t> blocks, slash32s;
    for (const auto* list : {&inst.v4, &inst.v6})
        for (const Prefix& prefix : list->prefixes) {
            const auto& b = prefix.bytes();
            const uint32_t top32 = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
            if (prefix.length() > XG_PREFILTER_BITS) blocks.insert(XG_BLOCK_KEY(prefix.family() == Family::V6, top32));
            if (prefix.family() == Family::V6 && prefix.length() > 32) slash32s.insert(top32);
        }
    const BlockHosts array(inst.maps);
    const size_t held = array.all(BlockHosts::Level::Block).size() + array.all(BlockHosts::Level::Slash32).size();
    const size_t wanted = blocks.size() + slash32s.size();
    printRow({"memory", "prefilter entries held of " + std::to_string(wanted) + " (at " + std::to_string(inst.size) + ")",
              fixed(100.0 * static_cast<double>(held) / static_cast<double>(std::max<size_t>(wanted, 1)), 1), "-", "-",
              "%"});
}

void printMemory(const Instance& inst) {
    const double per100k = 100000.0 / static_cast<double>(inst.size) / (1024.0 * 1024.0);
    const std::string at = " (at " + std::to_string(inst.size) + ")";
    auto row = [&](const std::string& name, double bytes, const char* unit) {
        printRow({"memory", name + at, fixed(bytes * per100k, 2), "-", "-", unit});
    };
    row("v4 LPM trie per 100k prefixes", static_cast<double>(mapMemlockBytes(inst.maps.allowV4.get())),
        "MiB memlock");
    row("v4 LPM trie per 100k prefixes, kernel memory used", static_cast<double>(inst.measuredV4), "MiB meminfo");
    if (inst.withV6) {
        row("v6 LPM trie per 100k prefixes", static_cast<double>(mapMemlockBytes(inst.maps.allowV6.get())),
            "MiB memlock");
        row("v6 LPM trie per 100k prefixes, kernel memory used", static_cast<double>(inst.measuredV6),
            "MiB meminfo");
    }
    uint64_t total = 0;
    for (const Fd* fd : inst.maps.all()) total += mapMemlockBytes(fd->get());
    printRow({"memory", "all maps of the filter, capacity " + std::to_string(inst.size * (inst.withV6 ? 2 : 1)) + at,
              fixed(static_cast<double>(total) / (1024.0 * 1024.0), 1), "-", "-", "MiB memlock"});
}

int bench(const std::vector<size_t>& sizes, const std::vector<size_t>& v6Sizes, int rounds,
          uint32_t repeat, int cpu) {
    installLibbpfLogger();
    pinToCpu(cpu);
    const Reference<xdp_pass_bpf> pass(xdp_pass_bpf__open_and_load, xdp_pass_bpf__destroy, "the pass-only program");
    const Reference<xdp_drop_bpf> readDrop(xdp_drop_bpf__open_and_load, xdp_drop_bpf__destroy,
                                           "the read-then-drop program");
    std::vector<std::unique_ptr<Instance>> instances;
    for (size_t size : sizes)
        instances.push_back(
            loadInstance(size, std::find(v6Sizes.begin(), v6Sizes.end(), size) != v6Sizes.end()));

    std::vector<Case> cases;
    cases.push_back({"XDP_PASS-only program (floor)", Kind::Floor, bpf_program__fd((*pass).progs.xg_pass),
                     udpFrame(false, instances.front()->v4.outsider), {}});
    // The least any SYN filter does: read the fields it judges, count, drop.
    cases.push_back({"reference: read the SYN's headers, count, XDP_DROP", Kind::Reference,
                     bpf_program__fd((*readDrop).progs.xg_read_drop), synTo25(false, instances.front()->v4.outsider),
                     {}});
    for (bool v6 : {false, true})
        for (const auto& inst : instances)
            if (!v6 || inst->withV6) addCases(cases, *inst, v6);

    std::fprintf(stderr, "costbench: %zu cases x %d rounds, %u runs per call, CPU %d\n", cases.size(), rounds,
                 repeat, cpu);
    for (Case& c : cases) runOnce(c, repeat);  // warm-up, discarded
    for (int round = 0; round < rounds; ++round)
        for (Case& c : cases) c.ns.add(runOnce(c, repeat));

    const double floorNs = std::max(cases.front().ns.median(), 1.0);
    for (const Case& c : cases) printRow(costRow(c, floorNs));
    for (const auto& inst : instances)
        if (inst->size >= 100000) {
            printMemory(*inst);
            printPrefilterFill(*inst);
        }
    return 0;
}

}  // namespace
}  // namespace xdpguard::bench

int main(int argc, char** argv) {
    CLI::App app{"Per-packet cost of xdpguard under BPF_PROG_TEST_RUN (rows for tools/bench/run.sh)"};
    std::string sizes = "10,1000,100000,1000000";
    std::string v6Sizes = "10,1000,100000,1000000";
    int rounds = 9;
    uint32_t repeat = 1'000'000;
    int cpu = 0;
    app.add_option("--sizes", sizes, "IPv4 allowlist sizes");
    app.add_option("--v6-sizes", v6Sizes, "sizes that also get as many IPv6 prefixes");
    app.add_option("--rounds", rounds, "interleaved rounds")->check(CLI::Range(1, 1000));
    app.add_option("--repeat", repeat, "runs per BPF_PROG_TEST_RUN call")->check(CLI::Range(1000u, 100000000u));
    app.add_option("--cpu", cpu, "CPU to run on");
    CLI11_PARSE(app, argc, argv);
    return xdpguard::bench::runTool("xdpguard_costbench", [&] {
        return xdpguard::bench::bench(xdpguard::bench::parseSizes(sizes), xdpguard::bench::parseSizes(v6Sizes),
                                      rounds, repeat, cpu);
    });
}
