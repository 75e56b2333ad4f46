#include "skeleton.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "abi.hpp"
#include "error.hpp"
#include "log.hpp"
#include "xdpguard.skel.h"

namespace xdpguard {
namespace {

Fd dupFd(int fd, const char* mapName) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) failErrno(errno, std::string("duplicate descriptor of ") + mapName);
    return Fd(copy);
}

}  // namespace

Skeleton Skeleton::open() {
    installLibbpfLogger();
    xdpguard_bpf* skel = xdpguard_bpf__open();
    if (!skel) failErrno(errno, "open the embedded XDP program");
    return Skeleton(skel);
}

Skeleton::Skeleton(Skeleton&& other) noexcept : skel_(std::exchange(other.skel_, nullptr)) {}

Skeleton& Skeleton::operator=(Skeleton&& other) noexcept {
    if (this != &other) {
        if (skel_) xdpguard_bpf__destroy(skel_);
        skel_ = std::exchange(other.skel_, nullptr);
    }
    return *this;
}

Skeleton::~Skeleton() {
    if (skel_) xdpguard_bpf__destroy(skel_);
}

void Skeleton::setCapacity(uint32_t maxRules) {
    if (maxRules == 0) badInput("the allowlist capacity must be at least 1 prefix");
    for (bpf_map* map : {skel_->maps.xg_allow_v4, skel_->maps.xg_allow_v6,
                         skel_->maps.xg_rule_cnt}) {
        int err = bpf_map__set_max_entries(map, maxRules);
        if (err) failErrno(err, "set the allowlist capacity");
    }
    if (int err = bpf_map__set_max_entries(skel_->maps.xg_origins, XG_ORIGINS_PER_RULE * maxRules))
        failErrno(err, "set the allowlist capacity");
    if (int err = bpf_map__set_max_entries(skel_->maps.xg_rule_ids, XG_RULE_ID_WORDS(maxRules)))
        failErrno(err, "set the allowlist capacity");
    // Two slots a prefix (an IPv6 one longer than /32 may need a block's
    // entry and its /32's), a power of two for XG_BLOCK_SLOT's shift; at
    // most 256 MiB (4M slots): past that, more entries share slots and
    // their SYNs go to the trie.
    uint32_t slots = XG_BLOCK_SLOTS_MIN;
    while (slots / 2 < maxRules && slots < XG_BLOCK_SLOTS_MAX) slots *= 2;
    if (int err = bpf_map__set_max_entries(skel_->maps.xg_block_hosts, slots))
        failErrno(err, "set the allowlist capacity");
}

void Skeleton::reuseMaps(const MapSet& maps) {
    const std::vector<bpf_map*> handles = mapHandles();
    const auto fds = maps.all();
    for (size_t i = 0; i < handles.size(); ++i) {
        int err = bpf_map__reuse_fd(handles[i], fds[i]->get());
        if (err) failErrno(err, "reuse pinned map " + std::string(bpf_map__name(handles[i])));
    }
}

void Skeleton::reuseAllowlist(const MapSet& maps) {
    for (auto [map, fd] : {std::pair{skel_->maps.xg_allow_v4, maps.allowV4.get()},
                           std::pair{skel_->maps.xg_allow_v6, maps.allowV6.get()},
                           std::pair{skel_->maps.xg_prefilter, maps.prefilter.get()},
                           std::pair{skel_->maps.xg_block_hosts, maps.blockHosts.get()}})
        if (int err = bpf_map__reuse_fd(map, fd))
            failErrno(err, "reuse pinned map " + std::string(bpf_map__name(map)));
}

void Skeleton::load() {
    int err = xdpguard_bpf__load(skel_);
    if (err) failErrno(err, "load the XDP program into the kernel");
}

int Skeleton::programFd() const { return bpf_program__fd(skel_->progs.xdpguard_filter); }

MapSet Skeleton::maps() const {
    MapSet set;
    const std::vector<bpf_map*> handles = mapHandles();
    const auto slots = set.all();
    for (size_t i = 0; i < handles.size(); ++i)
        *slots[i] = dupFd(bpf_map__fd(handles[i]), bpf_map__name(handles[i]));
    return set;
}

std::vector<bpf_map*> Skeleton::mapHandles() const {
    std::vector<bpf_map*> handles = {skel_->maps.xg_allow_v4, skel_->maps.xg_allow_v6,
                                     skel_->maps.xg_rule_cnt, skel_->maps.xg_stats,
                                     skel_->maps.xg_config, skel_->maps.xg_denied_src,
                                     skel_->maps.xg_origins, skel_->maps.xg_prefilter,
                                     skel_->maps.xg_block_hosts,
                                     skel_->maps.xg_drop_feed, skel_->maps.xg_feed_budget,
                                     skel_->maps.xg_rule_ids};
    return handles;
}

std::vector<std::string> Skeleton::mapNames() const {
    std::vector<std::string> names;
    for (bpf_map* map : mapHandles()) names.emplace_back(bpf_map__name(map));
    return names;
}

}  // namespace xdpguard
