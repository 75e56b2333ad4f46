#include "daemon_sources.hpp"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <set>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "filter_state.hpp"
#include "log.hpp"

namespace xdpguard {
namespace {

constexpr size_t kPrefixesLogged = 8;  // a log line names at most this many changed prefixes

std::string describe(const ChangePlan& plan) {
    if (plan.empty()) return plan.source + ": unchanged (" + std::to_string(plan.unchanged) + " prefixes)";
    std::string text = plan.source + ": +" + std::to_string(plan.added.size()) + " -" +
                       std::to_string(plan.removed.size()) + " =" + std::to_string(plan.unchanged) + " (";
    size_t listed = 0;
    for (const auto& [sign, prefixes] : {std::pair{"+", &plan.added}, std::pair{"-", &plan.removed}})
        for (const Prefix& prefix : *prefixes)
            if (listed++ < kPrefixesLogged) text += (listed > 1 ? " " : "") + std::string(sign) + prefix.str();
    if (listed > kPrefixesLogged) text += " ...";
    return text + ")";
}

std::string fileSource(const std::string& path) { return "file:" + path.substr(path.find_last_of('/') + 1); }

}  // namespace

void logEvent(const std::string& message) { std::cerr << "xdpguard: " << message << std::endl; }

DaemonSources::Outcome DaemonSources::sync(const std::string& source,
                                           const std::function<ChangePlan(const ChangeOptions&)>& change,
                                           bool allowShrink, bool recordHealth) {
    ChangeOptions options;
    options.source = source;
    options.allowShrink = allowShrink;
    try {
        const ChangePlan plan = change(options);
        if (recordHealth) health_->succeeded(source);
        return {true, describe(plan)};
    } catch (const std::exception& e) {
        if (recordHealth) health_->failed(source);
        std::string what = e.what();
        // The shrink guard's advice is the CLI's; the daemon's switch is in its configuration.
        if (constexpr std::string_view cliHint = "repeat with --allow-shrink"; what.ends_with(cliHint))
            what.replace(what.size() - cliHint.size(), cliHint.size(),
                         "set allow_shrink = true in [sources] and reload (then back to false)");
        return {false, (what.starts_with(source + ": ") ? "" : source + ": ") + what + "; its previous prefixes stay"};
    }
}

void DaemonSources::apply(const SourcesConfig& config, bool lookUpSpfAgain) {
    const bool dnsChanged = config.dnsServer != config_.dnsServer ||
                            config.spfRefreshMinSeconds != config_.spfRefreshMinSeconds ||
                            config.spfRefreshMaxSeconds != config_.spfRefreshMaxSeconds;
    config_ = config;
    health_->keepOnly(namedSources());
    if (!config_.prefixes.empty())
        logEvent(sync(kConfigSource, [&](const ChangeOptions& options) {
            return controller_.syncSource(config_.prefixes, options);
        }, config_.allowShrink).text);
    for (const std::string& path : config_.files) syncFile(path);
    std::erase_if(spf_, [&](const auto& entry) {
        return std::find(config_.spfDomains.begin(), config_.spfDomains.end(), entry.first) == config_.spfDomains.end();
    });
    std::erase_if(awaited_, [&](const std::string& domain) { return !spf_.count(domain); });
    std::vector<std::string> again;
    for (const std::string& domain : config_.spfDomains) {
        if (const auto known = spf_.find(domain); !dnsChanged && known != spf_.end()) {
            if (lookUpSpfAgain && !known->second.ticket) {
                lookUpSpf(domain);
                again.push_back("spf:" + domain);
            }
            continue;
        }
        lookUpSpf(domain);
        awaited_.insert(domain);
    }
    if (!again.empty()) {
        std::string names;
        for (const std::string& name : again) names += (names.empty() ? "" : " ") + name;
        logEvent("looking up again now, not at the TTL: " + names);
    }
    removalDue_ = true;
    removeUnnamedWhenSettled();
}

void DaemonSources::syncFile(const std::string& path) {
    logEvent(sync(fileSource(path), [&](const ChangeOptions& options) {
        return controller_.allowSync(path, options);
    }, config_.allowShrink).text);
}

// A lookup already in flight is superseded: only the newest ticket counts.
void DaemonSources::lookUpSpf(const std::string& domain) {
    SpfSchedule& schedule = spf_[domain];
    schedule.ticket = lookups_.submit(domain, config_.dnsServer);
    logDebug("spf:" + domain + ": looking up its SPF policy");
}

void DaemonSources::applyFinishedLookups() {
    for (const SpfLookups::Result& lookup : lookups_.takeFinished()) {
        const auto found = spf_.find(lookup.domain);
        if (found == spf_.end() || found->second.ticket != lookup.ticket) {
            logDebug("spf:" + lookup.domain + ": discarding a lookup the configuration has since made stale");
            continue;
        }
        found->second.ticket.reset();
        syncSpf(lookup);
        awaited_.erase(lookup.domain);
    }
    removeUnnamedWhenSettled();
}

void DaemonSources::syncSpf(const SpfLookups::Result& lookup) {
    const Outcome outcome = sync("spf:" + lookup.domain, [&](const ChangeOptions& options) {
        if (!lookup.flattening) throw Error(ErrorKind::Runtime, lookup.error);
        return controller_.syncSource(lookup.flattening->prefixes, options);
    }, config_.allowShrink);
    SpfSchedule& schedule = spf_[lookup.domain];
    schedule.failures = outcome.ok ? 0 : schedule.failures + 1;
    const uint32_t delay = spfRefreshDelay(outcome.ok ? lookup.flattening->minTtl : 0, schedule.failures,
                                           config_.spfRefreshMinSeconds, config_.spfRefreshMaxSeconds);
    schedule.due = Clock::now() + std::chrono::seconds(delay);
    const std::string next = outcome.ok ? "; next lookup in "
                                        : "; failure " + std::to_string(schedule.failures) + " in a row, next try in ";
    logEvent(outcome.text + next + std::to_string(delay) + " s");
}

void DaemonSources::refreshDueSpf() {
    const Clock::time_point now = Clock::now();
    for (auto& [domain, schedule] : spf_)
        if (!schedule.ticket && schedule.due <= now) lookUpSpf(domain);
}

std::optional<DaemonSources::Clock::time_point> DaemonSources::nextSpfRefresh() const {
    std::optional<Clock::time_point> next;
    for (const auto& [domain, schedule] : spf_)
        if (!schedule.ticket && (!next || schedule.due < *next)) next = schedule.due;
    return next;
}

void DaemonSources::stopLookups() {
    if (!lookups_.stop(SpfLookups::kStopWait))
        logEvent("stopping without waiting for an SPF lookup in flight; the allowlist keeps its last good set");
}

std::set<std::string> DaemonSources::namedSources() const {
    std::set<std::string> named;
    if (!config_.prefixes.empty()) named.insert(kConfigSource);
    for (const std::string& path : config_.files) named.insert(fileSource(path));
    for (const std::string& domain : config_.spfDomains) named.insert("spf:" + domain);
    return named;
}

// Sources the daemon owns (config, file:, spf:) that the configuration no
// longer names were removed from it by the admin: their prefixes go, the
// shrink guard notwithstanding. The guard against emptying an enforcing
// filter still applies. Their health is not recorded: it was forgotten.
void DaemonSources::removeUnnamedWhenSettled() {
    if (!removalDue_ || !awaited_.empty()) return;
    removalDue_ = false;
    if (!FilterState::open(controller_.pinDir())) return;
    const std::set<std::string> named = namedSources();
    std::set<std::string> unnamed;
    for (const AllowEntry& entry : controller_.allowList())
        for (const std::string& source : entry.sources)
            if (!named.count(source) && (source == kConfigSource || source.starts_with("file:") ||
                                         source.starts_with("spf:")))
                unnamed.insert(source);
    for (const std::string& source : unnamed)
        logEvent("no longer in the configuration: " + sync(source, [&](const ChangeOptions& options) {
            return controller_.syncSource({}, options);
        }, true, false).text);
}

}  // namespace xdpguard
