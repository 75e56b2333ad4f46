// Reading the live drop feed: denied SYNs reported by the data plane through
// its ring buffer (rate-limited in the kernel), as events and log lines.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <functional>
#include <string>

#include "map_set.hpp"
#include "prefix.hpp"

namespace xdpguard {

struct DropEvent {
    double unixTime = 0;
    std::string interface;  // name, or "if<N>" if it has gone
    Prefix source;          // host prefix (/32 or /128)
    uint16_t sourcePort = 0;
    uint16_t port = 0;
    uint16_t vlan = 0;      // outer VLAN id, 0 if untagged
    bool dropped = false;   // false: monitor mode, would have been dropped
};

// One line per event. Text is for people and fail2ban:
//   2026-11-23T12:45:01.123Z xdpguard: denied SYN from 198.51.100.2 port 40000 to port 25 on eth0 vlan 0 (dropped)
// JSON is one object per line for a SIEM.
std::string formatDropEvent(const DropEvent& event, bool json);

class DropFeed {
public:
    using Handler = std::function<void(const DropEvent&)>;
    // Consumes the pinned ring buffer. One consumer at a time: two readers
    // would each see part of the events.
    DropFeed(const MapSet& maps, Handler handler);
    ~DropFeed();
    DropFeed(const DropFeed&) = delete;
    DropFeed& operator=(const DropFeed&) = delete;

    int pollFd() const;            // readable when events wait (for poll/epoll)
    void poll(int timeoutMs);      // waits up to timeoutMs and handles what came
    void drain();                  // handles what is there without waiting

private:
    static int onSample(void* self, void* data, size_t size);
    ring_buffer* ring_ = nullptr;
    Handler handler_;
};

}  // namespace xdpguard
