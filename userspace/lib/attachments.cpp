#include "attachments.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "error.hpp"
#include "log.hpp"

namespace xdpguard {
namespace {

struct LinkState {
    uint32_t ifindex = 0;  // 0 once the interface is gone: the link is defunct
    uint32_t programId = 0;
};

LinkState readLink(int linkFd, const std::string& pin) {
    bpf_link_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(linkFd, &info, &length))
        failErrno(errno, "inspect pinned link " + pin);
    return {info.xdp.ifindex, info.prog_id};
}

// What the kernel reports for the interface, whoever attached it.
struct XdpQuery {
    uint8_t attachMode = XDP_ATTACHED_NONE;
    uint32_t programId = 0;
};

XdpQuery queryXdp(uint32_t ifindex) {
    bpf_xdp_query_opts opts{};
    opts.sz = sizeof opts;
    if (int err = bpf_xdp_query(static_cast<int>(ifindex), 0, &opts))
        failErrno(err, "query XDP on interface index " + std::to_string(ifindex));
    return {opts.attach_mode, opts.prog_id};
}

XdpMode modeFromKernel(uint8_t attachMode) {
    return attachMode == XDP_ATTACHED_SKB ? XdpMode::Generic : XdpMode::Native;
}

int createLink(int programFd, uint32_t ifindex, XdpMode mode) {
    bpf_link_create_opts opts{};
    opts.sz = sizeof opts;
    opts.flags = mode == XdpMode::Native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    int fd = bpf_link_create(programFd, static_cast<int>(ifindex), BPF_XDP, &opts);
    return fd < 0 ? -errno : fd;
}

}  // namespace

uint32_t interfaceIndex(const std::string& ifname) {
    uint32_t ifindex = if_nametoindex(ifname.c_str());
    if (ifindex == 0) badInput("no network interface named '" + printable(ifname) + "' (see `ip link`)");
    return ifindex;
}

const char* xdpModeName(XdpMode mode) {
    switch (mode) {
    case XdpMode::Native: return "native";
    case XdpMode::Generic: return "generic";
    default: return "auto";
    }
}

XdpMode parseXdpMode(const std::string& text) {
    if (text == "auto") return XdpMode::Auto;
    if (text == "native" || text == "drv") return XdpMode::Native;
    if (text == "generic" || text == "skb") return XdpMode::Generic;
    badInput("unknown XDP mode '" + printable(text) + "': use auto, native or generic");
}

XdpMode Attachments::attach(const std::string& ifname, int programFd, XdpMode requested) {
    const uint32_t ifindex = interfaceIndex(ifname);
    const XdpQuery current = queryXdp(ifindex);
    if (current.attachMode != XDP_ATTACHED_NONE)
        throw Error(ErrorKind::Runtime,
                    ifname + " already runs an XDP program (id " + std::to_string(current.programId) +
                        ") that xdpguard did not attach; xdpguard does not replace it. Remove it "
                        "(`ip link set dev " + ifname + " xdp off`) or chain both with a "
                        "multi-program dispatcher");

    int linkFd = -EINVAL;
    XdpMode obtained = requested == XdpMode::Generic ? XdpMode::Generic : XdpMode::Native;
    linkFd = createLink(programFd, ifindex, obtained);
    if (linkFd < 0 && requested == XdpMode::Auto) {
        logDebug(ifname + ": native XDP refused (" + std::to_string(-linkFd) + "), trying generic");
        obtained = XdpMode::Generic;
        linkFd = createLink(programFd, ifindex, obtained);
    }
    if (linkFd < 0)
        failErrno(linkFd, "attach XDP (" + std::string(xdpModeName(obtained)) + ") to " + ifname +
                              (requested == XdpMode::Native ? "; the driver may lack native XDP, try --mode generic" : ""));
    Fd link(linkFd);
    if (bpf_obj_pin(link.get(), dir_.linkPin(ifname).c_str()))
        failErrno(errno, "pin the XDP link of " + ifname);  // closing `link` detaches again
    return obtained;
}

namespace {

std::array<uint8_t, BPF_TAG_SIZE> programTag(int programFd) {
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(programFd, &info, &length)) failErrno(errno, "inspect an XDP program");
    std::array<uint8_t, BPF_TAG_SIZE> tag{};
    std::copy(std::begin(info.tag), std::end(info.tag), tag.begin());
    return tag;
}

}  // namespace

bool Attachments::upgrade(const std::string& ifname, int programFd) {
    const std::string pin = dir_.linkPin(ifname);
    Fd link(bpf_obj_get(pin.c_str()));
    if (!link.valid()) failErrno(errno, "open pinned link " + pin);
    Fd running(bpf_prog_get_fd_by_id(readLink(link.get(), pin).programId));
    if (!running.valid()) failErrno(errno, "open the program running on " + ifname);
    if (programTag(running.get()) == programTag(programFd)) return false;
    if (bpf_link_update(link.get(), programFd, nullptr))
        failErrno(errno, "replace the program on " + ifname + " (bpf_link_update)");
    return true;
}

void Attachments::detach(const std::string& ifname) {
    const std::string pin = dir_.linkPin(ifname);
    Fd link(bpf_obj_get(pin.c_str()));
    if (!link.valid()) {
        if (errno == ENOENT) badInput(ifname + " is not attached by xdpguard (pin dir " + dir_.path() + ")");
        failErrno(errno, "open pinned link " + pin);
    }
    // Detach explicitly: another process may still hold the link open.
    if (bpf_link_detach(link.get()) && errno != ENOLINK && errno != EINVAL)
        failErrno(errno, "detach XDP from " + ifname);
    if (unlink(pin.c_str())) failErrno(errno, "remove pinned link " + pin);
}

bool Attachments::isAttached(const std::string& ifname) const {
    return access(dir_.linkPin(ifname).c_str(), F_OK) == 0;
}

std::vector<AttachmentInfo> Attachments::list() const {
    std::vector<AttachmentInfo> result;
    for (const std::string& ifname : dir_.pinnedInterfaces()) {
        const std::string pin = dir_.linkPin(ifname);
        Fd link(bpf_obj_get(pin.c_str()));
        if (!link.valid()) failErrno(errno, "open pinned link " + pin);
        const LinkState state = readLink(link.get(), pin);
        AttachmentInfo info;
        info.ifname = ifname;
        info.ifindex = state.ifindex;
        info.programId = state.programId;
        info.interfacePresent = state.ifindex != 0;
        if (info.interfacePresent) info.mode = modeFromKernel(queryXdp(state.ifindex).attachMode);
        result.push_back(info);
    }
    return result;
}

}  // namespace xdpguard
