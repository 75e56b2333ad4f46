#include "commands.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "error.hpp"
#include "json.hpp"

namespace xdpguard::cli {
namespace {

std::set<uint16_t> toPortSet(const std::vector<int>& ports) {
    std::set<uint16_t> set;
    for (int port : ports) {
        if (port < 1 || port > 65535)
            badInput("port " + std::to_string(port) + " is out of range: use 1 to 65535");
        set.insert(static_cast<uint16_t>(port));
    }
    return set;
}

std::string joinPorts(const std::set<uint16_t>& ports, const char* separator) {
    std::string out;
    for (uint16_t port : ports) out += (out.empty() ? "" : separator) + std::to_string(port);
    return out;
}

struct CounterName {
    xg_reason reason;
    const char* json;
    const char* human;
};

constexpr CounterName kCounters[] = {
    {XG_REASON_DENIED_V4, "denied_ipv4", "denied SYNs, IPv4"},
    {XG_REASON_DENIED_V6, "denied_ipv6", "denied SYNs, IPv6"},
    {XG_REASON_TINY_FRAG, "tiny_fragment", "tiny TCP fragments"},
    {XG_REASON_LONG_CHAIN, "long_ipv6_chain", "over-long IPv6 header chains"},
};

void printStatusJson(const Controller& controller, const FilterStatus& status) {
    std::ostringstream out;
    out << "{\"pin_dir\":" << jsonString(controller.pinDir().path())
        << ",\"exists\":" << (status.exists ? "true" : "false");
    if (status.exists) {
        out << ",\"mode\":\"" << modeName(status.settings.mode) << "\",\"ports\":["
            << joinPorts(status.settings.ports, ",") << "],\"drop_log_rate\":" << status.settings.feedRate
            << ",\"prefixes\":{\"ipv4\":"
            << status.prefixesV4 << ",\"ipv6\":" << status.prefixesV6
            << "},\"capacity\":" << status.capacity << ",\"counters\":{";
        for (size_t i = 0; i < std::size(kCounters); ++i)
            out << (i ? "," : "") << "\"" << kCounters[i].json << "\":{\"dropped\":"
                << status.stats.get(kCounters[i].reason, XG_ACTION_DROPPED)
                << ",\"monitored\":" << status.stats.get(kCounters[i].reason, XG_ACTION_MONITORED)
                << "}";
        out << "}";
    }
    out << ",\"interfaces\":[";
    for (size_t i = 0; i < status.attachments.size(); ++i) {
        const AttachmentInfo& info = status.attachments[i];
        out << (i ? "," : "") << "{\"name\":" << jsonString(info.ifname)
            << ",\"ifindex\":" << info.ifindex
            << ",\"present\":" << (info.interfacePresent ? "true" : "false")
            << ",\"mode\":\"" << (info.interfacePresent ? xdpModeName(info.mode) : "none")
            << "\",\"program_id\":" << info.programId << "}";
    }
    std::cout << out.str() << "]}\n";
}

const char* modeNote(Mode mode) {
    switch (mode) {
    case Mode::Enforce: return "";
    case Mode::Monitor: return " (nothing is dropped; denied SYNs count as would-drop)";
    case Mode::Bypass: return " (break glass: every packet passes, nothing is counted)";
    }
    return "";
}

void printStatusText(const Controller& controller, const FilterStatus& status) {
    std::cout << "pin dir:    " << controller.pinDir().path() << "\n";
    if (!status.exists) {
        std::cout << "filter:     none (attach with `xdpguard attach IFACE`)\n";
        return;
    }
    std::cout << "mode:       " << modeName(status.settings.mode) << modeNote(status.settings.mode) << "\n"
              << "ports:      " << joinPorts(status.settings.ports, " ") << "\n"
              << "drop log:   " << status.settings.feedRate << " events per second per CPU"
              << (status.settings.feedRate ? " (xdpguard watch)" : " (off)") << "\n"
              << "allowlist:  " << status.prefixesV4 << " IPv4, " << status.prefixesV6
              << " IPv6 prefixes (capacity " << status.capacity << ")\n";
    for (const CounterName& counter : kCounters)
        std::cout << counter.human << ": " << status.stats.get(counter.reason, XG_ACTION_DROPPED)
                  << " dropped, " << status.stats.get(counter.reason, XG_ACTION_MONITORED)
                  << " would drop (monitor)\n";
    std::cout << "interfaces:" << (status.attachments.empty() ? " none attached" : "") << "\n";
    for (const AttachmentInfo& info : status.attachments) {
        if (info.interfacePresent)
            std::cout << "  " << info.ifname << ": attached, " << xdpModeName(info.mode)
                      << " XDP, program id " << info.programId << "\n";
        else
            std::cout << "  " << info.ifname << ": interface gone; the link is defunct "
                      << "(re-run `xdpguard attach " << info.ifname << "` once it is back)\n";
    }
}

std::string attachNote(XdpMode requested, const AttachOutcome& outcome) {
    if (requested == XdpMode::Auto)
        return outcome.mode == XdpMode::Generic && !outcome.alreadyAttached
                   ? "; native XDP unavailable, fell back to generic"
                   : "";
    if (outcome.alreadyAttached && requested != outcome.mode)
        return std::string("; --mode ") + xdpModeName(requested) +
               " ignored: detach first to change the XDP mode";
    return "";
}

}  // namespace

int runAttach(Controller& controller, const AttachArgs& args) {
    AttachRequest request;
    request.interfaces = args.interfaces;
    request.xdpMode = parseXdpMode(args.xdpMode);
    if (args.monitor) request.mode = Mode::Monitor;
    if (args.enforce) request.mode = Mode::Enforce;
    if (!args.ports.empty()) request.ports = toPortSet(args.ports);
    request.capacity = args.maxPrefixes;
    request.force = args.force;
    request.dryRun = args.dryRun;
    const char* verb = args.dryRun ? "would attach" : "attached";
    for (const AttachOutcome& outcome : controller.attach(request))
        std::cout << outcome.ifname << ": "
                  << (outcome.upgraded ? "upgraded in place (bpf_link update)"
                                       : outcome.alreadyAttached ? "already attached" : verb)
                  << " ("
                  << xdpModeName(outcome.mode) << " XDP" << attachNote(request.xdpMode, outcome) << ")\n";
    if (args.dryRun) {
        std::cout << "(dry run: nothing changed)\n";
        return 0;
    }
    const FilterSettings settings = controller.status().settings;
    std::cout << "mode " << modeName(settings.mode) << ", protecting port(s) "
              << joinPorts(settings.ports, " ") << "\n";
    return 0;
}

int runDetach(Controller& controller, const std::vector<std::string>& interfaces, bool all, bool purge,
              bool dryRun) {
    std::vector<std::string> targets = interfaces;
    if (all) targets = controller.pinDir().exists() ? controller.pinDir().pinnedInterfaces()
                                                    : std::vector<std::string>{};
    if (targets.empty() && !all) badInput("name the interfaces to detach, or use --all");
    if (!controller.pinDir().exists()) {
        if (!all) badInput("nothing is attached: no filter in " + controller.pinDir().path() + " (wrong --pin-dir?)");
        std::cout << "nothing attached (no filter in " << controller.pinDir().path() << ")\n";
        return 0;
    }
    const bool purged = controller.detach(targets, purge, dryRun);
    for (const std::string& ifname : targets) std::cout << ifname << (dryRun ? ": would detach\n" : ": detached\n");
    if (purged)
        std::cout << (dryRun ? "would remove" : "removed") << " the pinned allowlist and counters\n";
    else if (purge)
        std::cout << "kept the pinned allowlist and counters: other interfaces are still attached\n";
    if (dryRun) std::cout << "(dry run: nothing changed)\n";
    return 0;
}

int runStatus(const Controller& controller, bool json) {
    const FilterStatus status = controller.status();
    if (json)
        printStatusJson(controller, status);
    else
        printStatusText(controller, status);
    return 0;
}

void printPlan(const ChangePlan& plan, bool dryRun) {
    std::cout << plan.source << ": +" << plan.added.size() << " -" << plan.removed.size() << " ="
              << plan.unchanged << (dryRun ? " (dry run: nothing changed)" : "") << "\n";
    for (const Prefix& prefix : plan.added) std::cout << "+ " << prefix.str() << "\n";
    for (const Prefix& prefix : plan.removed)
        std::cout << "- " << prefix.str()
                  << (plan.keptByOtherSources.count(prefix) ? "  (still allowed: listed by another source)" : "")
                  << "\n";
}

int runAllowChange(const AllowChangeArgs& args, const std::function<ChangePlan(const ChangeOptions&)>& change) {
    ChangeOptions options;
    if (!args.source.empty()) options.source = args.source;
    options.dryRun = args.dryRun;
    options.force = args.force;
    options.allowShrink = args.allowShrink;
    printPlan(change(options), args.dryRun);
    return 0;
}

int runAllowList(const Controller& controller, bool json) {
    const std::vector<AllowEntry> entries = controller.allowList();
    if (json) {
        std::cout << "[";
        for (size_t i = 0; i < entries.size(); ++i)
            std::cout << (i ? "," : "") << "{\"prefix\":\"" << entries[i].prefix.str()
                      << "\",\"allowed_syns\":" << entries[i].allowedSyns << ",\"rule\":" << entries[i].ruleId
                      << ",\"sources\":" << jsonString(joinSources(entries[i].sources)) << "}";
        std::cout << "]\n";
        return 0;
    }
    std::printf("%-43s %14s %8s  %s\n", "PREFIX", "ALLOWED_SYNS", "RULE", "SOURCES");
    for (const AllowEntry& entry : entries)
        std::printf("%-43s %14llu %8u  %s\n", entry.prefix.str().c_str(),
                    static_cast<unsigned long long>(entry.allowedSyns), entry.ruleId,
                    joinSources(entry.sources).c_str());
    return 0;
}

int runMode(Controller& controller, const std::string& mode, bool force, bool dryRun) {
    const std::optional<Mode> wanted = parseMode(mode);
    if (!wanted) badInput("unknown mode '" + printable(mode) + "': use enforce, monitor or bypass");
    const FilterSettings before = controller.setMode(*wanted, force, dryRun);
    std::cout << "mode " << modeName(before.mode) << " -> " << mode
              << (dryRun ? " (dry run: nothing changed)" : "") << "\n";
    return 0;
}

int runDropLog(Controller& controller, uint32_t rate, bool dryRun) {
    const FilterSettings before = controller.setFeedRate(rate, dryRun);
    std::cout << "drop log " << before.feedRate << " -> " << rate << " events per second per CPU"
              << (rate == 0 ? " (off)" : "") << (dryRun ? " (dry run: nothing changed)" : "") << "\n";
    return 0;
}

int runPorts(Controller& controller, const std::vector<int>& ports, bool dryRun) {
    const std::set<uint16_t> set = toPortSet(ports);
    const FilterSettings before = controller.setPorts(set, dryRun);
    std::cout << "protected ports " << joinPorts(before.ports, " ") << " -> " << joinPorts(set, " ")
              << (dryRun ? " (dry run: nothing changed)" : "") << "\n";
    return 0;
}

}  // namespace xdpguard::cli
