// The live flood's surroundings: the receiver's XDP hook, the veth ring's
// own counters, commands run in a namespace, and real-time scheduling for
// the sender.
#pragma once

#include <cstdint>
#include <string>

namespace xdpguard::bench {

// Runs a shell command; throws if it fails.
void runCommand(const std::string& command);
// Runs a shell command and returns its standard output.
std::string captureCommand(const std::string& command);

// The sending veth end's count of frames it put in the receiver's ring and
// of those the full ring refused. Refusals prove that the receiver, not the
// sender, set the rate.
struct RingCounts {
    uint64_t delivered = 0;
    uint64_t refused = 0;
};
RingCounts readRing(const std::string& interface);  // in the caller's namespace

// CPU time a thread has run, in ns (the first field of /proc/PID/schedstat).
uint64_t threadCpuNs(int pid);

// XDP in native (driver) mode on one interface of the caller's namespace.
class XdpHook {
public:
    explicit XdpHook(const std::string& interface);
    void attach(int programFd) const;  // replaces whatever is attached
    void detach() const;

private:
    int ifindex_ = 0;
};

// SCHED_FIFO for the calling thread while it lives (priority 0: no change).
// With autogroup scheduling a nice value does not beat other sessions'
// tasks, and a sender that is preempted measures the machine's load, not the
// receiver. The kernel's RT throttling still leaves other tasks 5 % of the
// CPU; commands forked meanwhile go back to SCHED_OTHER.
class RealtimeWindow {
public:
    explicit RealtimeWindow(int priority);
    ~RealtimeWindow();
    RealtimeWindow(const RealtimeWindow&) = delete;
    RealtimeWindow& operator=(const RealtimeWindow&) = delete;

private:
    bool active_;
};

}  // namespace xdpguard::bench
