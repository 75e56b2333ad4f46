// The operations behind each CLI command, composed from the library's parts.
// The CLI parses arguments and prints; everything that touches the filter
// happens here, under the pin directory lock when it changes state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allowlist.hpp"
#include "allowlist_change.hpp"
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
    bool dryRun = false;                      // check and report, change nothing
};

struct ChangeOptions {
    std::string source = kManualSource;
    bool dryRun = false;       // plan only, change nothing
    bool force = false;        // allow an empty allowlist while enforcing
    bool allowShrink = false;  // skip the shrink guard of syncs
};

struct AttachOutcome {
    std::string ifname;
    XdpMode mode;
    bool alreadyAttached;
    bool upgraded = false;  // the running program was replaced by this build's
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
    // true if the maps were removed (with dryRun: would be).
    bool detach(const std::vector<std::string>& interfaces, bool purge, bool dryRun = false);
    FilterStatus status() const;

    // Allowlist changes (controller_allowlist.cpp). Each parses all its
    // input first (one bad prefix changes nothing), plans, checks the
    // safety guards, and applies unless dryRun; the plan is returned.
    ChangePlan allowAdd(const std::vector<std::string>& cidrs, const ChangeOptions& options);
    ChangePlan allowDelete(const std::vector<std::string>& cidrs, const ChangeOptions& options);
    // Makes the source's set exactly the file's (source default: file:BASENAME).
    ChangePlan allowSync(const std::string& path, const ChangeOptions& options);
    // Makes the source's set exactly `prefixes` (used by the SPF import).
    ChangePlan syncSource(const std::vector<Prefix>& prefixes, const ChangeOptions& options);
    std::vector<AllowEntry> allowList() const;

    // Both return the settings before the change; dryRun changes nothing.
    FilterSettings setMode(Mode mode, bool force, bool dryRun);
    FilterSettings setPorts(const std::set<uint16_t>& ports, bool dryRun);
    FilterSettings setFeedRate(uint32_t eventsPerSecond, bool dryRun);

    const PinDir& pinDir() const { return dir_; }
    // The allowlist capacity used when an allowlist change has to create
    // the filter's maps (attach has its own --max-prefixes).
    void setNewFilterCapacity(uint32_t capacity) { newFilterCapacity_ = capacity; }

private:
    bool anyAttached() const;
    std::vector<AttachOutcome> attachLocked(const AttachRequest& request);
    std::vector<AttachOutcome> planAttach(const AttachRequest& request) const;
    enum class ChangeKind { Add, Remove, Sync };
    ChangePlan change(const ChangeOptions& options, ChangeKind kind,
                      const std::function<ChangePlan(AllowlistEditor&)>& makePlan);
    void refuseEmptyWhileEnforcing(const MapSet& maps, const ChangePlan& plan, bool force) const;
    void attachAll(const AttachRequest& request, int programFd,
                   std::vector<AttachOutcome>& outcomes);
    PinDir dir_;
    uint32_t newFilterCapacity_ = XG_DEFAULT_MAX_RULES;
};

// Parses CIDR arguments; throws BadInput naming the first bad one.
std::vector<Prefix> parsePrefixes(const std::vector<std::string>& cidrs);

}  // namespace xdpguard
