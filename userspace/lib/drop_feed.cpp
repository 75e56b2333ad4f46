#include "drop_feed.hpp"

#include <net/if.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "abi.hpp"
#include "coarse_clock.hpp"
#include "error.hpp"

namespace xdpguard {
namespace {

std::string interfaceName(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    return if_indextoname(ifindex, name) ? std::string(name) : "if" + std::to_string(ifindex);
}

Prefix sourceOf(const xg_drop_event& raw) {
    if (raw.family == XG_FAMILY_V6) {
        xg_lpm_v6 key{};
        key.prefixlen = 128;
        std::memcpy(key.addr, raw.saddr, sizeof key.addr);
        return Prefix::fromKey(key);
    }
    xg_lpm_v4 key{};
    key.prefixlen = 32;
    std::memcpy(&key.addr, raw.saddr, sizeof key.addr);
    return Prefix::fromKey(key);
}

std::string isoMillis(double unixTime) {
    const std::time_t seconds = static_cast<std::time_t>(unixTime);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + length, sizeof text - length, ".%03dZ",
                  static_cast<int>((unixTime - double(seconds)) * 1000) % 1000);
    return text;
}

std::string hostText(const Prefix& host) {
    const std::string text = host.str();
    return text.substr(0, text.find('/'));
}

}  // namespace

std::string formatDropEvent(const DropEvent& event, bool json) {
    const std::string action = event.dropped ? "dropped" : "monitored";
    char line[512];
    if (json)
        std::snprintf(line, sizeof line,
                      "{\"time\":\"%s\",\"interface\":\"%s\",\"source\":\"%s\",\"source_port\":%u,"
                      "\"port\":%u,\"vlan\":%u,\"action\":\"%s\"}",
                      isoMillis(event.unixTime).c_str(), event.interface.c_str(), hostText(event.source).c_str(),
                      event.sourcePort, event.port, event.vlan, action.c_str());
    else
        std::snprintf(line, sizeof line, "%s xdpguard: denied SYN from %s port %u to port %u on %s vlan %u (%s)",
                      isoMillis(event.unixTime).c_str(), hostText(event.source).c_str(), event.sourcePort,
                      event.port, event.interface.c_str(), event.vlan, action.c_str());
    return line;
}

DropFeed::DropFeed(const MapSet& maps, Handler handler) : handler_(std::move(handler)) {
    ring_ = ring_buffer__new(maps.dropFeed.get(), &DropFeed::onSample, this, nullptr);
    if (!ring_) failErrno(errno, "open the drop feed");
}

DropFeed::~DropFeed() {
    if (ring_) ring_buffer__free(ring_);
}

int DropFeed::pollFd() const { return ring_buffer__epoll_fd(ring_); }

void DropFeed::poll(int timeoutMs) {
    const int rc = ring_buffer__poll(ring_, timeoutMs);
    if (rc < 0 && rc != -EINTR) failErrno(rc, "read the drop feed");
}

void DropFeed::drain() {
    const int rc = ring_buffer__consume(ring_);
    if (rc < 0 && rc != -EINTR) failErrno(rc, "read the drop feed");
}

int DropFeed::onSample(void* self, void* data, size_t size) {
    if (size < sizeof(xg_drop_event)) return 0;
    xg_drop_event raw;
    std::memcpy(&raw, data, sizeof raw);
    DropEvent event{coarseMonotonicToUnix(raw.time_ns), interfaceName(raw.ifindex), sourceOf(raw), raw.sport, raw.dport,
                    raw.vlan, raw.action == XG_ACTION_DROPPED};
    static_cast<DropFeed*>(self)->handler_(event);
    return 0;
}

}  // namespace xdpguard
