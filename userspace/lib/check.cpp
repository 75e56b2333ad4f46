#include "check.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>

#include "allowlist.hpp"
#include "error.hpp"
#include "skeleton.hpp"
#include "stats.hpp"
#include "syn_frame.hpp"

namespace xdpguard {
namespace {

Prefix parseHost(const std::string& address) {
    const Prefix source = Prefix::parse(address);
    if (source.length() != source.maxLength())
        badInput("check takes one address, not a prefix: '" + address + "'");
    return source;
}

int runOnce(int programFd, std::vector<uint8_t>& frame) {
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.repeat = 1;
    if (bpf_prog_test_run_opts(programFd, &opts))
        failErrno(errno, "run the test SYN through the program");
    return static_cast<int>(opts.retval);
}

}  // namespace

std::string CheckResult::verdict() const {
    if (!portProtected) return "not filtered (port " + std::to_string(port) + " is not protected)";
    if (matched) return "allowed";
    if (dropped) return "dropped";
    return "would drop (monitor mode)";
}

CheckResult checkSource(const MapSet& live, const std::string& address, uint16_t port) {
    CheckResult result{parseHost(address), port, false, false, Mode::Monitor, std::nullopt};
    const Allowlist liveAllowlist(live);
    const FilterSettings settings = RuntimeConfig(live).read();
    result.mode = settings.mode;
    result.portProtected = settings.ports.count(port) > 0;

    Skeleton copy = Skeleton::open();
    copy.setCapacity(liveAllowlist.capacity());
    copy.reuseAllowlist(live);
    copy.load();
    const MapSet privateMaps = copy.maps();
    RuntimeConfig(privateMaps).write(settings);

    std::vector<uint8_t> frame = buildSynFrame(result.source, port);
    result.dropped = runOnce(copy.programFd(), frame) == XDP_DROP;
    // The private rule counters say which rule the program credited.
    for (const AllowEntry& entry : liveAllowlist.list())
        if (sumPerCpuCounter(privateMaps.ruleCount.get(), entry.ruleId) > 0) result.matched = entry.prefix;
    return result;
}

}  // namespace xdpguard
