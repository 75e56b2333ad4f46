#include "flood_env.hpp"

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>

#include "error.hpp"

namespace xdpguard::bench {
namespace {

uint64_t statistic(const std::string& text, const std::string& name) {
    std::smatch match;
    if (!std::regex_search(text, match, std::regex(name + ": ([0-9]+)")))
        throw Error(ErrorKind::Runtime, "no '" + name + "' in `ethtool -S`: not a veth pair?");
    return std::stoull(match[1]);
}

}  // namespace

void runCommand(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw Error(ErrorKind::Runtime, "command failed: " + command);
}

std::string captureCommand(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) failErrno(errno, "run " + command);
    std::string out;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
    return out;
}

RingCounts readRing(const std::string& interface) {
    const std::string stats = captureCommand("ethtool -S " + interface);
    return {statistic(stats, "tx_queue_0_xdp_xmit"), statistic(stats, "tx_queue_0_xdp_xmit_errors")};
}

uint64_t threadCpuNs(int pid) {
    std::ifstream schedstat("/proc/" + std::to_string(pid) + "/schedstat");
    uint64_t ns = 0;
    if (!(schedstat >> ns)) throw Error(ErrorKind::Runtime, "cannot read /proc/" + std::to_string(pid) + "/schedstat");
    return ns;
}

XdpHook::XdpHook(const std::string& interface) : ifindex_(static_cast<int>(if_nametoindex(interface.c_str()))) {
    if (ifindex_ == 0) failErrno(errno, "find the receiving interface " + interface);
}

void XdpHook::attach(int programFd) const {
    if (int err = bpf_xdp_attach(ifindex_, programFd, XDP_FLAGS_DRV_MODE, nullptr))
        failErrno(err, "attach an XDP program (native mode) to the receiver");
}

void XdpHook::detach() const {
    if (int err = bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, nullptr))
        failErrno(err, "detach the receiver's XDP program");
}

RealtimeWindow::RealtimeWindow(int priority) : active_(priority > 0) {
    if (!active_) return;
    sched_param param{};
    param.sched_priority = priority;
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param))
        failErrno(errno, "make the sender SCHED_FIFO");
}

RealtimeWindow::~RealtimeWindow() {
    if (!active_) return;
    sched_param param{};
    sched_setscheduler(0, SCHED_OTHER, &param);
}

}  // namespace xdpguard::bench
