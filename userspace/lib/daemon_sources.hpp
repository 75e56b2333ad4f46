// The daemon's allowlist sources: makes the filter's sources what the
// configuration names (inline prefixes as source "config", each file as
// file:BASENAME, each SPF domain as spf:DOMAIN), re-syncs a file when it
// changes and each SPF domain when its records' TTL runs out (or at once,
// on SIGHUP). A source that fails (a lookup error, a refused shrink) keeps
// its last good set; its failure is logged and counted.
//
// SPF domains are looked up on SpfLookups' worker thread; the event loop
// polls lookupFd() and calls applyFinishedLookups(), which changes the
// allowlist on the loop's thread. A lookup that a later configuration made
// pointless (its domain removed, the DNS settings changed) is discarded
// when it finishes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "controller.hpp"
#include "daemon_config.hpp"
#include "source_health.hpp"
#include "spf_lookups.hpp"

namespace xdpguard {

inline constexpr const char* kConfigSource = "config";

// One line per event on stderr, "xdpguard: " first (journald adds the time).
void logEvent(const std::string& message);

class DaemonSources {
public:
    using Clock = std::chrono::steady_clock;

    DaemonSources(Controller& controller, std::shared_ptr<SourceHealth> health,
                  SpfLookups::ResolverFactory resolvers = {})
        : controller_(controller), health_(std::move(health)), lookups_(std::move(resolvers)) {}

    // Makes the filter's sources those of `config`: syncs the inline
    // prefixes and every file, starts lookups of the SPF domains that are
    // new (all of them if the DNS settings changed; the others keep their
    // schedule), and once those have finished (settled()) empties the
    // sources the configuration no longer names (never "manual"), so that a
    // source renamed in the file never leaves a gap. The health of sources
    // no longer named is forgotten at once. With lookUpSpfAgain (SIGHUP) the
    // known SPF domains are looked up at once too, failures' backoff
    // notwithstanding (not those with a lookup already queued or running);
    // settled() does not wait for those.
    void apply(const SourcesConfig& config, bool lookUpSpfAgain = false);
    // True once the SPF lookups the last apply() started have been applied
    // (successfully or not) and the unnamed sources emptied.
    bool settled() const { return awaited_.empty() && !removalDue_; }
    // Syncs the source of one configured file again (it changed on disk).
    void syncFile(const std::string& path);
    // Starts lookups of the SPF domains whose refresh is due.
    void refreshDueSpf();
    // When the next SPF refresh is due (lookups in flight are not due);
    // nullopt if none is.
    std::optional<Clock::time_point> nextSpfRefresh() const;
    // Readable when SPF lookups have finished.
    int lookupFd() const { return lookups_.fd(); }
    // Syncs the sources of the finished SPF lookups.
    void applyFinishedLookups();
    // Gives up on lookups in flight (waiting at most SpfLookups::kStopWait).
    void stopLookups();

private:
    struct Outcome {
        bool ok;
        std::string text;  // the plan ("file:gw.txt: +1 -0 =2 (+192.0.2.0/24)") or the error
    };
    Outcome sync(const std::string& source, const std::function<ChangePlan(const ChangeOptions&)>& change,
                 bool allowShrink, bool recordHealth = true);
    void lookUpSpf(const std::string& domain);
    void syncSpf(const SpfLookups::Result& lookup);
    std::set<std::string> namedSources() const;
    void removeUnnamedWhenSettled();

    struct SpfSchedule {
        Clock::time_point due;
        uint32_t failures = 0;           // in a row; the delay backs off with them
        std::optional<uint64_t> ticket;  // the lookup in flight whose result counts
    };

    Controller& controller_;
    std::shared_ptr<SourceHealth> health_;
    SourcesConfig config_;
    std::map<std::string, SpfSchedule> spf_;  // by domain
    SpfLookups lookups_;
    std::set<std::string> awaited_;  // domains whose lookup the last apply() started
    bool removalDue_ = false;        // unnamed sources wait for awaited_
};

}  // namespace xdpguard
