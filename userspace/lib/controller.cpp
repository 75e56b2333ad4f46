#include "controller.hpp"

#include <unistd.h>

#include "error.hpp"
#include "filter_state.hpp"
#include "skeleton.hpp"

namespace xdpguard {
namespace {

size_t countFamily(const std::vector<AllowEntry>& entries, Family family) {
    size_t count = 0;
    for (const AllowEntry& entry : entries) count += entry.prefix.family() == family;
    return count;
}

const char* kAttachEmptyHint =
    "Add the gateway prefixes first (`xdpguard allow add CIDR`), or attach with --monitor to "
    "watch what would be dropped; --force overrides";
const char* kModeEmptyHint =
    "Add the gateway prefixes first (`xdpguard allow add CIDR`) and stay in monitor mode "
    "until then; --force overrides";

// A filter that enforces with no prefix drops every connection attempt to
// the protected ports, including the provider's real mail.
void refuseEmptyEnforce(const Allowlist& allowlist, Mode mode, bool force, const std::string& what,
                        const char* hint) {
    if (mode == Mode::Enforce && !force && allowlist.size() == 0)
        badInput(what + " would enforce an empty allowlist and reject all mail on the protected "
                 "ports. " + hint);
}

}  // namespace

std::vector<Prefix> parsePrefixes(const std::vector<std::string>& cidrs) {
    std::vector<Prefix> prefixes;
    prefixes.reserve(cidrs.size());
    for (const std::string& cidr : cidrs) prefixes.push_back(Prefix::parse(cidr));
    return prefixes;
}

bool Controller::anyAttached() const { return !dir_.pinnedInterfaces().empty(); }

std::vector<AttachOutcome> Controller::attach(const AttachRequest& request) {
    if (request.interfaces.empty()) badInput("name at least one interface to attach to");
    for (const std::string& ifname : request.interfaces) interfaceIndex(ifname);
    const bool fresh = !FilterState::open(dir_).has_value();
    if (fresh && request.mode.value_or(Mode::Enforce) == Mode::Enforce && !request.force)
        badInput(std::string("attaching would enforce an empty allowlist and reject all mail on "
                             "the protected ports. ") + kAttachEmptyHint);
    if (request.dryRun) return planAttach(request);
    const bool createdDir = dir_.create();
    try {
        return attachLocked(request);
    } catch (...) {
        if (createdDir) dir_.removeIfEmpty();
        throw;
    }
}

// What attach would do, with the same refusals, and no change at all.
std::vector<AttachOutcome> Controller::planAttach(const AttachRequest& request) const {
    std::optional<MapSet> existing = FilterState::open(dir_);
    if (existing) {
        const Mode current = RuntimeConfig(*existing).read().mode;
        const Mode mode = request.mode.value_or(anyAttached() ? current : Mode::Enforce);
        refuseEmptyEnforce(Allowlist(*existing), mode, request.force, "attaching", kAttachEmptyHint);
    }
    std::vector<AttachOutcome> outcomes;
    const std::vector<AttachmentInfo> current = Attachments(dir_).list();
    for (const std::string& ifname : request.interfaces) {
        AttachOutcome outcome{ifname, request.xdpMode, false};
        for (const AttachmentInfo& info : current)
            if (info.ifname == ifname && info.interfacePresent) outcome = {ifname, info.mode, true};
        outcomes.push_back(outcome);
    }
    return outcomes;
}

std::vector<AttachOutcome> Controller::attachLocked(const AttachRequest& request) {
    PinDirLock lock(dir_);
    std::optional<MapSet> existing = FilterState::open(dir_);
    if (existing && request.capacity && *request.capacity != Allowlist(*existing).capacity())
        badInput("the allowlist capacity of an existing filter cannot change (it is " +
                 std::to_string(Allowlist(*existing).capacity()) +
                 "); to resize, `xdpguard detach --all --purge` and attach again with "
                 "--max-prefixes, then re-add the prefixes");
    Skeleton skel = Skeleton::open();
    if (existing)
        skel.reuseMaps(*existing);
    else
        skel.setCapacity(request.capacity.value_or(XG_DEFAULT_MAX_RULES));
    skel.load();
    if (!existing) FilterState::pinNew(dir_, skel);
    const MapSet maps = skel.maps();

    // The first attach sets the mode; later ones keep it unless asked.
    RuntimeConfig config(maps);
    const FilterSettings before = config.read();
    FilterSettings settings = before;
    settings.mode = request.mode.value_or(existing && anyAttached() ? before.mode : Mode::Enforce);
    if (request.ports) settings.ports = *request.ports;
    refuseEmptyEnforce(Allowlist(maps), settings.mode, request.force, "attaching", kAttachEmptyHint);

    std::vector<AttachOutcome> outcomes;
    try {
        config.write(settings);
        attachAll(request, skel.programFd(), outcomes);
    } catch (...) {
        // Leave the system as it was: undo this call's attachments and settings.
        Attachments attachments(dir_);
        for (const AttachOutcome& outcome : outcomes)
            if (!outcome.alreadyAttached) attachments.detach(outcome.ifname);
        if (existing)
            config.write(before);
        else if (!anyAttached())
            dir_.removeMaps(skel.mapNames());
        throw;
    }
    return outcomes;
}

// Attaches every requested interface, appending to `outcomes` as it goes so
// that the caller can undo a partial attach.
void Controller::attachAll(const AttachRequest& request, int programFd,
                           std::vector<AttachOutcome>& outcomes) {
    Attachments attachments(dir_);
    for (const std::string& ifname : request.interfaces) {
        std::optional<AttachmentInfo> current;
        for (const AttachmentInfo& info : attachments.list())
            if (info.ifname == ifname) current = info;
        if (current && current->interfacePresent) {
            const bool upgraded = attachments.upgrade(ifname, programFd);
            outcomes.push_back({ifname, current->mode, true, upgraded});
            continue;
        }
        if (current) attachments.detach(ifname);  // the interface went away and came back
        outcomes.push_back({ifname, attachments.attach(ifname, programFd, request.xdpMode), false});
    }
}

bool Controller::detach(const std::vector<std::string>& interfaces, bool purge, bool dryRun) {
    if (!dir_.exists()) badInput("nothing is attached: pin dir " + dir_.path() + " does not exist");
    PinDirLock lock(dir_);
    Attachments attachments(dir_);
    for (const std::string& ifname : interfaces)
        if (!attachments.isAttached(ifname))
            badInput(ifname + " is not attached by xdpguard (pin dir " + dir_.path() +
                     "); nothing was detached");
    if (dryRun) {
        const size_t remaining = dir_.pinnedInterfaces().size() - std::set<std::string>(
                                                                       interfaces.begin(), interfaces.end()).size();
        return purge && remaining == 0;
    }
    for (const std::string& ifname : interfaces) attachments.detach(ifname);
    if (!purge || anyAttached()) return false;
    dir_.removeMaps(Skeleton::open().mapNames());
    return true;
}

FilterStatus Controller::status() const {
    FilterStatus status;
    std::optional<MapSet> maps = FilterState::open(dir_);
    status.attachments = Attachments(dir_).list();
    if (!maps) return status;
    status.exists = true;
    status.settings = RuntimeConfig(*maps).read();
    Allowlist allowlist(*maps);
    const std::vector<AllowEntry> entries = allowlist.list();
    status.prefixesV4 = countFamily(entries, Family::V4);
    status.prefixesV6 = countFamily(entries, Family::V6);
    status.capacity = allowlist.capacity();
    status.stats = readStats(*maps);
    return status;
}

FilterSettings Controller::setMode(Mode mode, bool force, bool dryRun) {
    const MapSet maps = FilterState::require(dir_);
    PinDirLock lock(dir_);
    refuseEmptyEnforce(Allowlist(maps), mode, force, "switching to enforce", kModeEmptyHint);
    RuntimeConfig config(maps);
    const FilterSettings before = config.read();
    if (!dryRun) config.setMode(mode);
    return before;
}

FilterSettings Controller::setFeedRate(uint32_t eventsPerSecond, bool dryRun) {
    const MapSet maps = FilterState::require(dir_);
    PinDirLock lock(dir_);
    RuntimeConfig config(maps);
    const FilterSettings before = config.read();
    if (!dryRun) config.setFeedRate(eventsPerSecond);
    return before;
}

FilterSettings Controller::setPorts(const std::set<uint16_t>& ports, bool dryRun) {
    if (ports.empty()) badInput("give at least one port to protect, e.g. `xdpguard ports 25`");
    const MapSet maps = FilterState::require(dir_);
    PinDirLock lock(dir_);
    RuntimeConfig config(maps);
    const FilterSettings before = config.read();
    if (!dryRun) config.setPorts(ports);
    return before;
}

}  // namespace xdpguard
