// The operations behind each CLI command, composed from the library's parts.
// The CLI parses arguments and prints; everything that touches the filter
// happens here, under the pin directory lock when it changes state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "attachments.hpp"
#include "pin_dir.hpp"
#include "runtime_config.hpp"
#include "stats.hpp"

namespace xdpguard {

struct AttachRequest {
    std::vector<std::string> interfaces;
    XdpMode xdpMode = XdpMode::Auto;
    std::optional<Mode> mode;                 // unset: keep (new filter: enforce)
    std::optional<std::set<uint16_t>> ports;  // unset: keep (new filter: {25})
    std::optional<uint32_t> capacity;         // new filter only (default XG_DEFAULT_MAX_RULES)
    bool force = false;                       // allow enforcing an empty allowlist
};

struct AttachOutcome {
    std::string ifname;
    XdpMode mode;
    bool alreadyAttached;
};

struct FilterStatus {
    bool exists = false;  // pinned maps found
    std::vector<AttachmentInfo> attachments;
    FilterSettings settings;
    size_t prefixesV4 = 0;
    size_t prefixesV6 = 0;
    uint32_t capacity = 0;
    FilterStats stats;
};

class Controller {
public:
    explicit Controller(PinDir dir) : dir_(std::move(dir)) {}

    std::vector<AttachOutcome> attach(const AttachRequest& request);
    // Detaches; with `purge`, also removes the pinned maps once no interface
    // is left attached (the allowlist and counters are then gone). Returns
    // true if the maps were removed.
    bool detach(const std::vector<std::string>& interfaces, bool purge);
    FilterStatus status() const;

    // Parses every CIDR first: one bad argument changes nothing.
    size_t allowAdd(const std::vector<std::string>& cidrs);
    void allowDelete(const std::vector<std::string>& cidrs, bool force);
    std::vector<AllowEntry> allowList() const;

    void setMode(Mode mode, bool force);
    void setPorts(const std::set<uint16_t>& ports);

    const PinDir& pinDir() const { return dir_; }

private:
    bool anyAttached() const;
    std::vector<AttachOutcome> attachLocked(const AttachRequest& request);
    void attachAll(const AttachRequest& request, int programFd,
                   std::vector<AttachOutcome>& outcomes);
    PinDir dir_;
};

// Parses CIDR arguments; throws BadInput naming the first bad one.
std::vector<Prefix> parsePrefixes(const std::vector<std::string>& cidrs);

}  // namespace xdpguard
