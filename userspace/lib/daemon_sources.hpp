// The daemon's allowlist sources: makes the filter's sources what the
// configuration names (inline prefixes as source "config", each file as
// file:BASENAME, each SPF domain as spf:DOMAIN), re-syncs a file when it
// changes and each SPF domain when its records' TTL runs out. A source that
// fails keeps its last good set; its failure is logged and counted.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "controller.hpp"
#include "daemon_config.hpp"
#include "source_health.hpp"

namespace xdpguard {

inline constexpr const char* kConfigSource = "config";

// One line per event on stderr, "xdpguard: " first (journald adds the time).
void logEvent(const std::string& message);

class DaemonSources {
public:
    using Clock = std::chrono::steady_clock;

    DaemonSources(Controller& controller, std::shared_ptr<SourceHealth> health)
        : controller_(controller), health_(std::move(health)) {}

    // Makes the filter's sources those of `config`: syncs the inline
    // prefixes and every file, looks up the SPF domains that are new (all
    // of them if the DNS settings changed; the others keep their schedule),
    // and only then empties the sources the configuration no longer names
    // (never "manual"), so that a source renamed in the file never leaves a
    // gap.
    void apply(const SourcesConfig& config);
    // Syncs the source of one configured file again (it changed on disk).
    void syncFile(const std::string& path);
    // Looks up again the SPF domains whose refresh is due.
    void refreshDueSpf();
    // When the next SPF refresh is due; nullopt without SPF sources.
    std::optional<Clock::time_point> nextSpfRefresh() const;

private:
    struct Outcome {
        bool ok;
        std::string text;  // the plan ("file:gw.txt: +1 -0 =2 (+192.0.2.0/24)") or the error
    };
    Outcome sync(const std::string& source, const std::function<ChangePlan(const ChangeOptions&)>& change,
                 bool allowShrink);
    void syncSpf(const std::string& domain);
    void removeUnnamed();

    struct SpfSchedule {
        Clock::time_point due;
        uint32_t failures = 0;  // in a row; the delay backs off with them
    };

    Controller& controller_;
    std::shared_ptr<SourceHealth> health_;
    SourcesConfig config_;
    std::map<std::string, SpfSchedule> spf_;  // by domain
};

}  // namespace xdpguard
