// xdpguard_floodbench: received-and-dropped SYNs per second at the receiving
// end of a veth pair, under a live flood from many spoofed sources, for an
// XDP_DROP-only program (the ceiling), a program that reads the headers and
// drops (what touching the packet costs), xdpguard enforcing, and nftables
// with an interval set of the same prefixes (no XDP program attached).
//
// tools/bench/run.sh makes the namespaces, the veth pair (GRO on at the
// receiver, so veth polls with NAPI even without an XDP program; threaded
// NAPI, real-time, on the other CPU) and the nftables table with one
// interval set per size and an empty chain. This tool loads the programs and
// runs every case for a fixed time, interleaved, round after round. It stays
// in the sender's namespace, stepping into the receiver's only to attach
// programs; nft runs there through nsenter.
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "bench_prefixes.hpp"
#include "bench_report.hpp"
#include "error.hpp"
#include "flood_env.hpp"
#include "flood_sender.hpp"
#include "log.hpp"
#include "runtime_config.hpp"
#include "skeleton.hpp"
#include "stats.hpp"
#include "xdp_drop.skel.h"

namespace xdpguard::bench {
namespace {

constexpr double kCeilingShareTarget = 0.85;
constexpr double kNftFactorTarget = 10;

struct Options {
    std::string txNetns, rxNetns, txInterface, rxInterface, rxMac;
    std::string dstAddress = "192.0.2.25";
    std::string nftTable = "xgbench";  // inet table with sets allow_SIZE
    std::string nftChain = "flood";    // its empty base chain
    std::string sizes = "1000,100000";
    double seconds = 5;
    double warmup = 1;
    int rounds = 3;
    uint32_t sources = 65536;
    uint32_t framesPerCall = 1u << 22;
    int txCpu = 0;
    int rtPriority = 0;
    int rxThread = 0;  // the receiver's NAPI kthread, whose CPU time is the receiver's cost
    std::string only;  // diagnosis: the references and the cases whose name contains this
};

enum class Kind { Ceiling, Reference, Xdpguard, Nftables };

// One way of dropping the flood at the receiver.
struct Contender {
    std::string name;
    Kind kind;
    size_t size;                     // allowlist prefixes (0: none)
    std::function<void()> arm;       // runs in the receiver's namespace
    std::function<void()> disarm;    // same
    std::function<uint64_t()> dropped;
    Samples mpps = {};     // dropped per second, each round
    Samples offered = {};  // the sender's frames per wall-clock second
    Samples refused = {};  // % of sent frames the full ring refused
    Samples rxNs = {};     // receiver CPU time per dropped SYN, ns
};

struct DropPrograms {
    struct Destroy {
        void operator()(xdp_drop_bpf* skel) const { xdp_drop_bpf__destroy(skel); }
    };
    std::unique_ptr<xdp_drop_bpf, Destroy> skel{xdp_drop_bpf__open_and_load()};
};

struct Filter {
    Skeleton skeleton;
    MapSet maps;
};

std::unique_ptr<Filter> loadFilter(size_t size) {
    std::fprintf(stderr, "floodbench: loading xdpguard with %zu prefixes\n", size);
    const BenchAllowlist list = makeAllowlist(Family::V4, size);
    auto filter = std::make_unique<Filter>(Filter{Skeleton::open(), {}});
    filter->skeleton.setCapacity(static_cast<uint32_t>(std::max<size_t>(size, XG_DEFAULT_MAX_RULES)));
    filter->skeleton.load();
    filter->maps = filter->skeleton.maps();
    RuntimeConfig(filter->maps).write({Mode::Enforce, {25}});
    Allowlist(filter->maps).add(list.prefixes);
    return filter;
}

class Bench {
public:
    explicit Bench(const Options& options) : options_(options) {}
    int run();

private:
    void addContenders(const XdpHook& rx, const DropPrograms& drops,
                       const std::vector<std::unique_ptr<Filter>>& filters);
    std::string inRx(const std::string& command) const {
        return "nsenter --net=/run/netns/" + options_.rxNetns + " " + command;
    }
    std::string nftChain() const { return "inet " + options_.nftTable + " " + options_.nftChain; }
    uint64_t nftDropped() const;
    void measure(Contender& contender, FloodSender& sender);
    void report() const;

    Options options_;
    std::vector<Contender> contenders_;
};

uint64_t Bench::nftDropped() const {
    const std::string listing = captureCommand(inRx("nft list chain " + nftChain()));
    std::smatch match;
    if (!std::regex_search(listing, match, std::regex("counter packets ([0-9]+)")))
        throw Error(ErrorKind::Runtime, "no counter in `nft list chain " + nftChain() + "`");
    return std::stoull(match[1]);
}

void Bench::addContenders(const XdpHook& rx, const DropPrograms& drops,
                          const std::vector<std::unique_ptr<Filter>>& filters) {
    auto detach = [&rx] { rx.detach(); };
    const int countFd = bpf_map__fd(drops.skel->maps.xg_drop_cnt);
    auto counted = [countFd] { return sumPerCpuCounter(countFd, 0); };
    const int dropFd = bpf_program__fd(drops.skel->progs.xg_drop);
    const int readDropFd = bpf_program__fd(drops.skel->progs.xg_read_drop);
    contenders_.push_back({"XDP_DROP only (ceiling)", Kind::Ceiling, 0, [&rx, dropFd] { rx.attach(dropFd); },
                           detach, counted});
    contenders_.push_back({"read headers + XDP_DROP", Kind::Reference, 0,
                           [&rx, readDropFd] { rx.attach(readDropFd); }, detach, counted});
    const std::vector<size_t> sizes = parseSizes(options_.sizes);
    for (size_t i = 0; i < sizes.size(); ++i) {
        const Filter* f = filters[i].get();
        contenders_.push_back({"xdpguard, " + std::to_string(sizes[i]) + " prefixes", Kind::Xdpguard, sizes[i],
                               [&rx, f] { rx.attach(f->skeleton.programFd()); }, detach,
                               [f] { return readStats(f->maps).get(XG_REASON_DENIED_V4, XG_ACTION_DROPPED); }});
    }
    for (size_t size : sizes) {
        // The prerouting hook at raw priority is the earliest an inet table
        // sees a packet: nftables' best case (an input-hook rule runs after
        // the routing decision, later still).
        const std::string rule = "tcp dport 25 tcp flags & (syn|ack) == syn ip saddr != @allow_" +
                                 std::to_string(size) + " counter drop";
        contenders_.push_back({"nftables, " + std::to_string(size) + " prefixes", Kind::Nftables, size,
                               [this, rule] { runCommand(inRx("nft 'add rule " + nftChain() + " " + rule + "'")); },
                               [this] { runCommand(inRx("nft flush chain " + nftChain())); },
                               [this] { return nftDropped(); }});
    }
    if (!options_.only.empty())
        std::erase_if(contenders_, [&](const Contender& c) {
            return c.size != 0 && c.name.find(options_.only) == std::string::npos;
        });
}

void Bench::measure(Contender& contender, FloodSender& sender) {
    enterNetns(options_.rxNetns);
    contender.arm();
    enterNetns(options_.txNetns);
    uint64_t before = 0, after = 0;
    RingCounts ringBefore, ringAfter;
    uint64_t cpuBefore = 0, cpuAfter = 0;
    double elapsed = 0;
    Sent sent;
    {
        RealtimeWindow realtime(options_.rtPriority);
        sender.send(options_.warmup);
        before = contender.dropped();
        ringBefore = readRing(options_.txInterface);
        cpuBefore = threadCpuNs(options_.rxThread);
        const double start = monotonicSeconds();
        sent = sender.send(options_.seconds);
        elapsed = monotonicSeconds() - start;
        cpuAfter = threadCpuNs(options_.rxThread);
        ringAfter = readRing(options_.txInterface);
        after = contender.dropped();
    }
    enterNetns(options_.rxNetns);
    contender.disarm();
    enterNetns(options_.txNetns);

    const double dropped = static_cast<double>(after - before) / elapsed / 1e6;
    const double offered = static_cast<double>(sent.frames) / elapsed / 1e6;
    const double refused = static_cast<double>(ringAfter.refused - ringBefore.refused);
    const double tried = refused + static_cast<double>(ringAfter.delivered - ringBefore.delivered);
    const double refusedShare = tried > 0 ? 100 * refused / tried : 0;
    contender.mpps.add(dropped);
    contender.offered.add(offered);
    contender.refused.add(refusedShare);
    const double rxNs = static_cast<double>(cpuAfter - cpuBefore) / std::max<double>(after - before, 1);
    contender.rxNs.add(rxNs);
    std::fprintf(stderr,
                 "floodbench: %-26s %6.2f Mpps dropped, receiver %5.1f ns/SYN; sender %5.2f Mpps (%5.2f while on "
                 "CPU), ring full %3.0f %%\n",
                 contender.name.c_str(), dropped, rxNs, offered, sent.offeredMpps(), refusedShare);
}

int Bench::run() {
    installLibbpfLogger();
    pinToCpu(options_.txCpu);
    enterNetns(options_.rxNetns);
    const XdpHook rx(options_.rxInterface);
    DropPrograms drops;
    if (!drops.skel) failErrno(errno, "load the reference XDP_DROP programs");
    std::vector<std::unique_ptr<Filter>> filters;
    for (size_t size : parseSizes(options_.sizes)) filters.push_back(loadFilter(size));
    enterNetns(options_.txNetns);
    FloodSender sender({options_.txInterface, parseMac(options_.rxMac), options_.dstAddress, options_.sources,
                        options_.framesPerCall});
    addContenders(rx, drops, filters);

    std::fprintf(stderr, "floodbench: %zu cases x %d rounds, %.1f s each, %u distinct sources\n",
                 contenders_.size(), options_.rounds, options_.seconds, options_.sources);
    for (int round = 0; round < options_.rounds; ++round)
        for (Contender& contender : contenders_) measure(contender, sender);
    report();
    return 0;
}

// The median of round-by-round ratios a_i / b_i: rounds are interleaved, so
// round i of both ran moments apart, and a host busy for one round moves
// both of that round's rates rather than one side's median.
Samples pairedRatios(const Samples& a, const Samples& b) {
    Samples ratios;
    for (size_t i = 0; i < a.values().size() && i < b.values().size(); ++i)
        ratios.add(a.values()[i] / std::max(b.values()[i], 1e-9));
    return ratios;
}

void Bench::report() const {
    const Contender& ceiling = contenders_.front();
    for (const Contender& c : contenders_) {
        const double share = pairedRatios(c.mpps, ceiling.mpps).median();
        Row row{"live", c.name, fixed(c.mpps.median(), 2), fixed(c.mpps.min(), 2), fixed(c.mpps.max(), 2), "Mpps",
                fixed(share, 2) + "x"};
        if (c.kind == Kind::Xdpguard) {
            row.target = ">= " + fixed(kCeilingShareTarget, 2) + "x";
            row.met = verdict(share >= kCeilingShareTarget);
        }
        printRow(row);
    }
    for (const Contender& x : contenders_) {
        if (x.kind != Kind::Xdpguard) continue;
        for (const Contender& n : contenders_) {
            if (n.kind != Kind::Nftables || n.size != x.size) continue;
            const Samples factor = pairedRatios(x.mpps, n.mpps);
            printRow({"live", "xdpguard / nftables, " + std::to_string(x.size) + " prefixes",
                      fixed(factor.median(), 1), fixed(factor.min(), 1), fixed(factor.max(), 1), "x", "-",
                      ">= " + fixed(kNftFactorTarget, 0) + "x", verdict(factor.median() >= kNftFactorTarget)});
        }
    }
    // The receiver's CPU time per dropped SYN does not depend on whether the
    // sender kept up: the ratio is the share of XDP_DROP's rate the receiver
    // would reach if both were saturated.
    for (const Contender& c : contenders_) {
        const double share = pairedRatios(ceiling.rxNs, c.rxNs).median();
        Row row{"live", "receiver CPU per SYN: " + c.name, fixed(c.rxNs.median(), 1), fixed(c.rxNs.min(), 1),
                fixed(c.rxNs.max(), 1), "ns/pkt", fixed(share, 2) + "x"};
        if (c.kind == Kind::Xdpguard) {
            row.target = ">= " + fixed(kCeilingShareTarget, 2) + "x";
            row.met = verdict(share >= kCeilingShareTarget);
        }
        printRow(row);
    }
    // The sender's own rate, and how often the receiver's ring was full: a
    // ring that is rarely full means the sender, not the receiver, set the rate.
    for (const Contender& c : contenders_)
        printRow({"live", "sender during " + c.name + " (ring full " + fixed(c.refused.median(), 0) + " %)",
                  fixed(c.offered.median(), 2), fixed(c.offered.min(), 2), fixed(c.offered.max(), 2), "Mpps"});
}

}  // namespace
}  // namespace xdpguard::bench

int main(int argc, char** argv) {
    CLI::App app{"Live SYN flood over a veth pair (rows for tools/bench/run.sh)"};
    xdpguard::bench::Options o;
    app.add_option("--tx-netns", o.txNetns, "sender's network namespace")->required();
    app.add_option("--rx-netns", o.rxNetns, "receiver's network namespace")->required();
    app.add_option("--tx-if", o.txInterface, "sending veth end")->required();
    app.add_option("--rx-if", o.rxInterface, "receiving veth end")->required();
    app.add_option("--rx-mac", o.rxMac, "MAC of the receiving end")->required();
    app.add_option("--dst", o.dstAddress, "destination address (a documentation address)");
    app.add_option("--nft-table", o.nftTable, "inet table holding the sets allow_SIZE and the chain");
    app.add_option("--nft-chain", o.nftChain, "empty base chain the rule is added to");
    app.add_option("--sizes", o.sizes, "allowlist sizes");
    app.add_option("--seconds", o.seconds, "measured seconds per case and round")->check(CLI::Range(0.1, 60.0));
    app.add_option("--warmup", o.warmup, "unmeasured seconds before each measurement")->check(CLI::Range(0.0, 10.0));
    app.add_option("--rounds", o.rounds, "interleaved rounds")->check(CLI::Range(1, 50));
    app.add_option("--sources", o.sources, "distinct spoofed sources (a power of two)");
    app.add_option("--frames-per-call", o.framesPerCall, "frames per BPF_PROG_TEST_RUN call of the sender")
        ->check(CLI::Range(1u << 10, 1u << 30));
    app.add_option("--tx-cpu", o.txCpu, "CPU the sender runs on");
    app.add_option("--rt-priority", o.rtPriority, "SCHED_FIFO priority while sending (0: off)")
        ->check(CLI::Range(0, 99));
    app.add_option("--rx-thread", o.rxThread, "pid of the receiver's threaded-NAPI kthread")->required();
    app.add_option("--only", o.only, "diagnosis: run the references and the cases whose name contains this");
    CLI11_PARSE(app, argc, argv);
    return xdpguard::bench::runTool("xdpguard_floodbench", [&] { return xdpguard::bench::Bench(o).run(); });
}
