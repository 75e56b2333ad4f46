// `xdpguard run`: the long-running daemon that keeps the filter as its
// configuration file describes it.
//
// Start: the whole configuration is validated before anything is touched,
// down to every configured interface existing (ConfigError otherwise, the
// running filter left as it is). Every allowlist source is synced first, so
// that an enforcing filter never starts with an empty allowlist; then the
// configured interfaces are attached (an interface attached earlier but no
// longer configured is detached), the drop feed's rate set, metrics served,
// and systemd told READY=1. A filter left by an earlier run is adopted as it
// is: its syncs are no-ops, its links stay (or are upgraded in place to
// this build's program), its counters keep counting.
//
// Running: SIGHUP or a change to the configuration file reloads it and
// applies only what changed; a configuration with errors is logged and
// ignored, the filter left as it was. A change to an allowlist file re-syncs
// that source; SPF sources are looked up again when their TTL runs out, and
// at once on SIGHUP (`systemctl reload` after the provider changed its
// record), not on a mere save of the configuration.
// Denied SYNs from the drop feed are written to stdout, one line each.
// SPF lookups run on a worker thread (see SpfLookups), so that a slow DNS
// server never delays a signal, a file change or the drop log; their
// results change the allowlist on the loop, one change at a time.
//
// Stop (SIGTERM, SIGINT): the filter stays attached with its allowlist
// (pinned links), unless detachOnExit. An SPF lookup in flight is not
// waited for beyond SpfLookups::kStopWait.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "controller.hpp"
#include "daemon_config.hpp"
#include "daemon_sources.hpp"
#include "daemon_watch.hpp"
#include "fd.hpp"
#include "map_set.hpp"

namespace xdpguard {

class DropFeed;
class MetricsServer;

struct DaemonOptions {
    std::string configPath;
    bool detachOnExit = false;  // detach every interface on SIGTERM (the maps stay)
};

class Daemon {
public:
    // Reads and validates the configuration; throws ConfigError listing
    // every problem, having changed nothing.
    explicit Daemon(const DaemonOptions& options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Brings the filter to the configuration and serves until SIGTERM or
    // SIGINT. Throws Error if the start fails: the failed step (an attach,
    // say) undid itself, the steps before it (the syncs) stay done.
    void run();

    // The configuration's pin_dir: the daemon's filter, whatever
    // --pin-dir or $XDPGUARD_PIN_DIR say.
    const std::string& pinDir() const { return config_.pinDir; }

private:
    using Clock = DaemonSources::Clock;

    bool start();
    bool awaitSources();
    void loop();
    void stop();
    void handleSignals(bool canReload);
    void handleFileChanges();
    // lookUpSpfAgain (SIGHUP): every SPF source is looked up at once, not at its TTL.
    bool reload(const std::string& why, bool lookUpSpfAgain);
    bool applyConfigFile(bool lookUpSpfAgain);  // false: the file has errors, nothing changed
    void finishReload();
    void applyFilterChanges(DaemonConfig& next);
    void applyInterfaceChanges(DaemonConfig& next);
    void applyServiceChanges(const DaemonConfig& previous);
    void attach(AttachRequest request, uint32_t newFilterCapacity);
    void detach(const std::vector<std::string>& interfaces);
    void startMetrics();
    void openDropFeed();
    void drainDropFeed();
    void watchFiles();
    int pollTimeoutMs() const;
    std::string statusLine() const;

    const std::string configPath_;  // absolute, normalised: inotify reports it so
    const bool detachOnExit_;
    DaemonConfig config_;  // the last good configuration, as applied
    std::optional<DaemonConfig> pendingReload_;  // a reload waiting for its sources to settle
    Controller controller_;
    std::shared_ptr<SourceHealth> health_;
    DaemonSources sources_;
    FileWatcher watcher_;
    Fd signals_;
    std::unique_ptr<MetricsServer> metrics_;
    std::optional<MapSet> feedMaps_;  // outlives feed_, which reads its ring buffer
    std::unique_ptr<DropFeed> feed_;
    std::set<std::string> changedFiles_;          // waiting for the debounce
    std::optional<Clock::time_point> settleAt_;  // when they are read
    bool stopping_ = false;
    bool reloadDue_ = false;  // SIGHUP came during the start
};

}  // namespace xdpguard
