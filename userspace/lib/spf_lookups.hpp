// SPF lookups off the daemon's event loop. Flattening a domain's policy
// asks DNS up to a dozen questions, and a server that does not answer costs
// seconds per question; on the loop that would hold up signals, file
// changes and the drop log. So lookups run one after another on a worker
// thread, and the loop learns of finished ones through an eventfd. The
// worker only asks DNS: the loop applies each result to the allowlist
// itself, so that allowlist changes stay serialized on the loop.
//
// Stopping (stop() or the destructor) asks a lookup in flight to give up
// before its next DNS question, waits a bounded time for the worker, and
// otherwise leaves it to end on its own: everything the worker touches is
// owned jointly with it, so nothing is freed under it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns.hpp"
#include "spf.hpp"

namespace xdpguard {

class SpfLookups {
public:
    // Makes the resolver of one lookup: `server` is IP[:PORT], or the
    // system resolver when unset. May throw Error (reported as the lookup's
    // failure).
    using ResolverFactory = std::function<std::unique_ptr<DnsResolver>(const std::optional<std::string>& server)>;

    struct Result {
        uint64_t ticket = 0;
        std::string domain;
        std::optional<SpfFlattening> flattening;  // set if the lookup succeeded
        std::string error;                        // otherwise, why it failed
    };

    // The default factory makes an LdnsResolver.
    explicit SpfLookups(ResolverFactory factory = {});
    ~SpfLookups();  // stop(kStopWait)
    SpfLookups(const SpfLookups&) = delete;
    SpfLookups& operator=(const SpfLookups&) = delete;

    // How long the destructor waits for a lookup in flight.
    static constexpr std::chrono::milliseconds kStopWait{500};

    // Queues a lookup of `domain` (flattened, overbroad results refused as
    // by `allow import-spf`) and returns its ticket. The worker thread
    // starts at the first call, with every signal blocked.
    uint64_t submit(const std::string& domain, const std::optional<std::string>& server);
    // Readable while finished lookups wait to be taken.
    int fd() const;
    // The lookups finished since the last call, in the order they finished.
    std::vector<Result> takeFinished();
    // Lookups submitted and not yet taken.
    size_t unfinished() const { return unfinished_; }
    // Ends the worker: false if a lookup was still running after `wait`
    // (the worker then ends on its own; its result is never taken).
    bool stop(std::chrono::milliseconds wait);

private:
    struct Request {
        uint64_t ticket;
        std::string domain;
        std::optional<std::string> server;
    };
    struct Shared;  // between the loop and the worker
    static void work(std::shared_ptr<Shared> shared);
    static Result lookUp(Shared& shared, const Request& request);
    std::shared_ptr<Shared> shared_;
    std::thread worker_;
    uint64_t nextTicket_ = 1;
    size_t unfinished_ = 0;
};

}  // namespace xdpguard
