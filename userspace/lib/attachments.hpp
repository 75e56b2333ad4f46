// XDP attachments of the filter, one pinned bpf_link per interface.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pin_dir.hpp"

namespace xdpguard {

enum class XdpMode { Auto, Native, Generic };

const char* xdpModeName(XdpMode mode);
// The interface's index; BadInput naming it if there is no such interface.
uint32_t interfaceIndex(const std::string& ifname);
XdpMode parseXdpMode(const std::string& text);

struct AttachmentInfo {
    std::string ifname;
    uint32_t ifindex = 0;      // 0 if the interface has gone away
    uint32_t programId = 0;
    XdpMode mode = XdpMode::Auto;  // Native or Generic once known
    bool interfacePresent = false;
};

class Attachments {
public:
    explicit Attachments(const PinDir& dir) : dir_(dir) {}

    // Attaches the program with a bpf_link and pins the link. Auto tries
    // native (driver) XDP first and falls back to generic. Returns the mode
    // obtained. Refuses to replace another XDP program on the interface.
    XdpMode attach(const std::string& ifname, int programFd, XdpMode requested);
    // If the interface's link runs a program other than `programFd` (by
    // program tag: another build of xdpguard), swaps it in atomically with
    // bpf_link_update: no packet sees the interface without a filter.
    // Returns true if it swapped.
    bool upgrade(const std::string& ifname, int programFd);
    // Unpins the interface's link; the kernel detaches the program as soon
    // as no process holds the link.
    void detach(const std::string& ifname);

    bool isAttached(const std::string& ifname) const;
    std::vector<AttachmentInfo> list() const;

private:
    const PinDir& dir_;
};

}  // namespace xdpguard
