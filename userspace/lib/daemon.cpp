#include "daemon.hpp"

#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <utility>

#include "drop_feed.hpp"
#include "error.hpp"
#include "exporter.hpp"
#include "filter_state.hpp"

namespace xdpguard {
namespace {

// Editors write a file in several steps (truncate, write, close, rename);
// reading it once they have been quiet this long sees the final content.
constexpr auto kSettleTime = std::chrono::milliseconds(200);

std::string normalPath(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

// SIGHUP, SIGTERM and SIGINT are read from a signalfd in the event loop.
// They are blocked before any thread starts (the metrics server's), so that
// no thread takes them.
Fd blockedSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    for (int signal : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, signal);
    if (const int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr)) failErrno(rc, "block signals");
    Fd fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd.valid()) failErrno(errno, "receive signals (signalfd)");
    return fd;
}

// The entries of `from` that `other` lacks (or, if `inOther`, has), in their order.
std::vector<std::string> missingFrom(const std::vector<std::string>& from, const std::vector<std::string>& other,
                                     bool inOther = false) {
    std::vector<std::string> missing;
    for (const std::string& item : from)
        if ((std::find(other.begin(), other.end(), item) != other.end()) == inOther) missing.push_back(item);
    return missing;
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

std::string joined(const std::set<uint16_t>& ports) {
    std::string text;
    for (uint16_t port : ports) text += (text.empty() ? "" : " ") + std::to_string(port);
    return text;
}

AttachRequest attachRequest(const std::vector<std::string>& interfaces, XdpMode xdpMode, Mode mode,
                            std::optional<std::set<uint16_t>> ports) {
    AttachRequest request;
    request.interfaces = interfaces;
    request.xdpMode = xdpMode;
    request.mode = mode;
    request.ports = std::move(ports);
    return request;
}

void logCapacityNote(uint32_t configured, uint32_t capacity) {
    logEvent("max_prefixes " + std::to_string(configured) + " applies to a new filter only; this one holds " +
             std::to_string(capacity) + " (`xdpguard detach --all --purge` and a restart resize it)");
}

void notifySystemd(const std::string& state) { sd_notify(0, state.c_str()); }

std::string attachText(const AttachRequest& request, const AttachOutcome& outcome) {
    std::string text = outcome.ifname + ": " +
                       (outcome.upgraded          ? "program upgraded in place (bpf_link update)"
                        : outcome.alreadyAttached ? "already attached"
                                                  : "attached") +
                       " (" + xdpModeName(outcome.mode) + " XDP)";
    if (request.xdpMode == XdpMode::Auto && outcome.mode == XdpMode::Generic && !outcome.alreadyAttached)
        text += "; native XDP unavailable, fell back to generic";
    if (request.xdpMode != XdpMode::Auto && outcome.alreadyAttached && request.xdpMode != outcome.mode)
        text += std::string("; xdp_mode ") + xdpModeName(request.xdpMode) + " not applied: detach it to change";
    return text;
}

}  // namespace

Daemon::Daemon(const DaemonOptions& options)
    : configPath_(normalPath(options.configPath)),
      detachOnExit_(options.detachOnExit),
      config_(loadDaemonConfig(configPath_, ConfigChecks::thisMachine())),
      controller_(PinDir(config_.pinDir)),
      health_(std::make_shared<SourceHealth>()),
      sources_(controller_, health_) {}

Daemon::~Daemon() = default;

void Daemon::run() {
    // The drop log must not kill the daemon when its reader (journald) goes.
    std::signal(SIGPIPE, SIG_IGN);
    signals_ = blockedSignals();
    if (start()) {
        const std::string status = statusLine();
        logEvent("ready: " + status);
        notifySystemd("READY=1\nSTATUS=" + status);
        loop();
    }
    stop();
}

// The sources come first: an enforcing filter must never start, nor be
// attached to a new interface, with an empty allowlist. False: told to stop
// while waiting for them.
bool Daemon::start() {
    logEvent("starting with " + configPath_ + ", pin dir " + config_.pinDir);
    controller_.setNewFilterCapacity(config_.maxPrefixes);
    sources_.apply(config_.sources);
    if (!awaitSources()) return false;
    if (const FilterStatus before = controller_.status(); before.exists) {
        if (before.capacity != config_.maxPrefixes) logCapacityNote(config_.maxPrefixes, before.capacity);
        if (!before.attachments.empty() && before.settings.mode != config_.mode)
            logEvent(std::string("mode ") + modeName(before.settings.mode) + " -> " + modeName(config_.mode) +
                     ", as configured");
    }
    attach(attachRequest(config_.interfaces, config_.xdpMode, config_.mode, config_.ports), config_.maxPrefixes);
    const std::vector<std::string> unconfigured =
        missingFrom(controller_.pinDir().pinnedInterfaces(), config_.interfaces);
    if (!unconfigured.empty()) detach(unconfigured);
    controller_.setFeedRate(config_.dropLogRate, false);
    startMetrics();
    openDropFeed();
    watchFiles();
    return true;
}

// Waits for the SPF lookups of the start, listening for signals meanwhile:
// SIGTERM ends the wait (false), SIGHUP is kept for the loop.
bool Daemon::awaitSources() {
    while (!sources_.settled()) {
        pollfd fds[] = {{signals_.get(), POLLIN, 0}, {sources_.lookupFd(), POLLIN, 0}};
        if (::poll(fds, std::size(fds), -1) < 0 && errno != EINTR) failErrno(errno, "wait for SPF lookups");
        if (fds[1].revents & POLLIN) sources_.applyFinishedLookups();
        if (fds[0].revents & POLLIN) handleSignals(false);
        if (stopping_) return false;
    }
    return true;
}

void Daemon::loop() {
    if (std::exchange(reloadDue_, false)) reload("SIGHUP during the start", true);
    while (!stopping_) {
        pollfd fds[] = {{signals_.get(), POLLIN, 0},
                        {watcher_.fd(), POLLIN, 0},
                        {feed_ ? feed_->pollFd() : -1, POLLIN, 0},
                        {sources_.lookupFd(), POLLIN, 0}};
        if (::poll(fds, std::size(fds), pollTimeoutMs()) < 0 && errno != EINTR) failErrno(errno, "wait for events");
        try {
            if (fds[2].revents & POLLIN) drainDropFeed();
            if (fds[3].revents & POLLIN) {
                sources_.applyFinishedLookups();
                finishReload();
            }
            if (fds[1].revents & POLLIN) {
                std::set<std::string> changed = watcher_.readChanges();
                if (!changed.empty()) {
                    changedFiles_.merge(changed);
                    settleAt_ = Clock::now() + kSettleTime;
                }
            }
            if (fds[0].revents & POLLIN) handleSignals(true);
            if (!stopping_ && settleAt_ && Clock::now() >= *settleAt_) handleFileChanges();
            if (!stopping_) sources_.refreshDueSpf();
        } catch (const std::exception& e) {
            logEvent(std::string("error: ") + e.what() + "; still running");
        }
    }
}

void Daemon::stop() {
    notifySystemd("STOPPING=1");
    sources_.stopLookups();
    const std::vector<std::string> attached =
        controller_.pinDir().exists() ? controller_.pinDir().pinnedInterfaces() : std::vector<std::string>{};
    if (detachOnExit_ && !attached.empty()) {
        controller_.detach(attached, false);
        logEvent("stopped: detached from " + joined(attached) + " (--detach-on-exit); the allowlist and counters "
                 "stay pinned for the next start");
    } else {
        logEvent("stopped: the filter stays attached" + (attached.empty() ? "" : " to " + joined(attached)) +
                 " with its allowlist; the next start adopts it (`xdpguard detach --all` removes it)");
    }
}

// Before the loop runs (`canReload` false) a SIGHUP is kept for it.
void Daemon::handleSignals(bool canReload) {
    signalfd_siginfo info{};
    while (::read(signals_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
            if (canReload)
                reload("SIGHUP", true);
            else
                reloadDue_ = true;
        } else {
            logEvent(std::string("stopping (") + (info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT") + ")");
            stopping_ = true;
            return;
        }
    }
}

void Daemon::handleFileChanges() {
    const std::set<std::string> changed = std::exchange(changedFiles_, {});
    settleAt_.reset();
    // A reload syncs every file anyway; a refused one leaves the files to us.
    if (changed.count(configPath_) && reload(configPath_ + " changed", false)) return;
    for (const std::string& path : (pendingReload_ ? pendingReload_->sources : config_.sources).files)
        if (changed.count(normalPath(path))) sources_.syncFile(path);
}

// systemd hears RELOADING=1, then READY=1 however the reload ends.
bool Daemon::reload(const std::string& why, bool lookUpSpfAgain) {
    logEvent("reloading the configuration (" + why + ")");
    notifySystemd("RELOADING=1");
    try {
        return applyConfigFile(lookUpSpfAgain);
    } catch (...) {
        notifySystemd("READY=1");
        throw;
    }
}

// Applies the difference between the running configuration and the file's.
// Sources come first (new gateways are in before a switch to enforce): the
// rest of the reload (finishReload) waits for the SPF lookups they started,
// on the loop, which meanwhile keeps serving signals and file changes.
// Returns false if the file has errors (nothing changed). An interface
// the running configuration already names may have gone (a reload must not
// fail for that: the filter reports it); one the file adds must exist.
bool Daemon::applyConfigFile(bool lookUpSpfAgain) {
    ConfigChecks checks;
    checks.interfaceExists = [this](const std::string& ifname) {
        return if_nametoindex(ifname.c_str()) != 0 ||
               std::find(config_.interfaces.begin(), config_.interfaces.end(), ifname) != config_.interfaces.end();
    };
    DaemonConfig next;
    try {
        next = loadDaemonConfig(configPath_, checks);
    } catch (const ConfigError& e) {
        for (const std::string& problem : e.problems()) logEvent(problem);
        logEvent("configuration refused: still running with the previous one, the filter unchanged");
        notifySystemd("READY=1\nSTATUS=" + statusLine() + " (last reload refused: configuration errors)");
        return false;
    }
    if (next.pinDir != config_.pinDir) {
        logEvent("pin_dir " + next.pinDir + " not applied: restart the daemon to move to another filter; "
                 "staying with " + config_.pinDir);
        next.pinDir = config_.pinDir;
    }
    controller_.setNewFilterCapacity(next.maxPrefixes);
    sources_.apply(next.sources, lookUpSpfAgain);
    pendingReload_ = std::move(next);  // a reload still waiting is overtaken by this one
    finishReload();
    return true;
}

// The filter's settings and the services follow once the reload's sources
// have settled; each step that fails is logged and keeps its old value, so
// that the next reload tries it again.
void Daemon::finishReload() {
    if (!pendingReload_ || !sources_.settled()) return;
    DaemonConfig next = *std::exchange(pendingReload_, std::nullopt);
    applyFilterChanges(next);
    const DaemonConfig previous = std::exchange(config_, next);
    applyServiceChanges(previous);
    watchFiles();
    const std::string status = statusLine();
    logEvent("reloaded: " + status);
    notifySystemd("READY=1\nSTATUS=" + status);
}

void Daemon::applyFilterChanges(DaemonConfig& next) {
    if (const FilterStatus status = controller_.status();
        next.maxPrefixes != config_.maxPrefixes && status.exists && next.maxPrefixes != status.capacity)
        logCapacityNote(next.maxPrefixes, status.capacity);
    if (next.xdpMode != config_.xdpMode && next.xdpMode != XdpMode::Auto)
        logEvent(std::string("xdp_mode ") + xdpModeName(next.xdpMode) +
                 " applies to interfaces attached from now on; detach the others and reload to change theirs");
    applyInterfaceChanges(next);
    auto step = [](const std::string& what, auto&& apply, auto& value, const auto& previous) {
        try {
            apply();
            logEvent(what);
        } catch (const std::exception& e) {
            logEvent(what + " refused: " + e.what());
            value = previous;
        }
    };
    if (next.mode != config_.mode)
        step(std::string("mode ") + modeName(config_.mode) + " -> " + modeName(next.mode),
             [&] { controller_.setMode(next.mode, false, false); }, next.mode, config_.mode);
    if (next.ports != config_.ports)
        step("protected ports " + joined(config_.ports) + " -> " + joined(next.ports),
             [&] { controller_.setPorts(next.ports, false); }, next.ports, config_.ports);
    if (next.dropLogRate != config_.dropLogRate)
        step("drop log rate " + std::to_string(config_.dropLogRate) + " -> " + std::to_string(next.dropLogRate),
             [&] { controller_.setFeedRate(next.dropLogRate, false); }, next.dropLogRate, config_.dropLogRate);
}

// New interfaces are attached in the filter's current mode (a break-glass
// `xdpguard mode monitor` stays in force); removed ones are detached.
void Daemon::applyInterfaceChanges(DaemonConfig& next) {
    const std::vector<std::string> added = missingFrom(next.interfaces, config_.interfaces);
    const std::vector<std::string> removed = missingFrom(config_.interfaces, next.interfaces);
    if (!added.empty()) {
        try {
            const FilterStatus status = controller_.status();
            attach(attachRequest(added, next.xdpMode, status.exists ? status.settings.mode : next.mode, std::nullopt),
                   next.maxPrefixes);
        } catch (const std::exception& e) {
            logEvent("cannot attach " + joined(added) + ": " + e.what());
            next.interfaces = missingFrom(next.interfaces, added);
        }
    }
    const std::vector<std::string> attachedRemoved =
        missingFrom(removed, controller_.pinDir().pinnedInterfaces(), true);
    if (attachedRemoved.empty()) return;
    try {
        detach(attachedRemoved);
    } catch (const std::exception& e) {
        logEvent("cannot detach " + joined(attachedRemoved) + ": " + e.what());
        next.interfaces.insert(next.interfaces.end(), attachedRemoved.begin(), attachedRemoved.end());
    }
}

void Daemon::applyServiceChanges(const DaemonConfig& previous) {
    if (config_.metricsListen != previous.metricsListen || config_.topSources != previous.topSources) {
        metrics_.reset();
        try {
            startMetrics();
        } catch (const std::exception& e) {
            logEvent(std::string("metrics off: ") + e.what());
        }
    }
    if (config_.dropLogRate == 0) {
        feed_.reset();
        feedMaps_.reset();
    } else if (!feed_) {
        openDropFeed();
    }
}

void Daemon::attach(AttachRequest request, uint32_t newFilterCapacity) {
    if (!FilterState::open(controller_.pinDir())) request.capacity = newFilterCapacity;
    for (const AttachOutcome& outcome : controller_.attach(request)) logEvent(attachText(request, outcome));
}

void Daemon::detach(const std::vector<std::string>& interfaces) {
    controller_.detach(interfaces, false);
    logEvent("detached from " + joined(interfaces) + ": no longer in the configuration");
}

void Daemon::startMetrics() {
    if (config_.metricsListen.empty()) return;
    metrics_ = std::make_unique<MetricsServer>(config_.metricsListen, controller_.pinDir(), config_.topSources);
    metrics_->add(health_);
    const std::string host = config_.metricsListen.substr(0, config_.metricsListen.rfind(':'));
    logEvent("serving metrics on http://" + host + ":" + std::to_string(metrics_->port()) + "/metrics");
}

void Daemon::openDropFeed() {
    if (config_.dropLogRate == 0) return;
    try {
        feedMaps_ = FilterState::require(controller_.pinDir());
        feed_ = std::make_unique<DropFeed>(*feedMaps_, [this](const DropEvent& event) {
            std::cout << formatDropEvent(event, config_.dropLogFormat == DropLogFormat::Json) << '\n';
        });
    } catch (const std::exception& e) {
        feedMaps_.reset();
        logEvent(std::string("drop log off: ") + e.what());
    }
}

void Daemon::drainDropFeed() {
    feed_->drain();
    std::cout.flush();
}

void Daemon::watchFiles() {
    std::set<std::string> files{configPath_};
    for (const std::string& path : config_.sources.files) files.insert(normalPath(path));
    for (const std::string& problem : watcher_.watch(files)) logEvent(problem);
}

int Daemon::pollTimeoutMs() const {
    std::optional<Clock::time_point> next = settleAt_;
    if (const auto spf = sources_.nextSpfRefresh(); spf && (!next || *spf < *next)) next = spf;
    if (!next) return -1;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<decltype(wait)>(wait, 0, INT_MAX));
}

std::string Daemon::statusLine() const {
    const FilterStatus status = controller_.status();
    std::vector<std::string> attached;
    for (const AttachmentInfo& info : status.attachments)
        attached.push_back(info.ifname + (info.interfacePresent ? "" : "(gone)"));
    return std::string(modeName(status.settings.mode)) + ", port(s) " + joined(status.settings.ports) + ", " +
           std::to_string(status.prefixesV4 + status.prefixesV6) + " prefixes, on " +
           (attached.empty() ? "no interface" : joined(attached));
}

}  // namespace xdpguard
