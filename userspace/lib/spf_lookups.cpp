#include "spf_lookups.hpp"

#include <pthread.h>
#include <sys/eventfd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <mutex>

#include "dns_resolver.hpp"
#include "error.hpp"
#include "fd.hpp"

namespace xdpguard {

struct SpfLookups::Shared {
    ResolverFactory factory;
    Fd event;                         // the loop polls it; the worker writes it
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable wake;     // requests or stopping
    std::condition_variable ended;    // the worker has returned
    std::deque<Request> requests;
    std::vector<Result> finished;
    bool workerEnded = false;
};

namespace {

// Gives up before each question once the daemon is stopping: a flattening
// in flight then ends with a temperror at its next lookup instead of asking
// the rest of its questions.
class StoppableResolver : public DnsResolver {
public:
    StoppableResolver(std::unique_ptr<DnsResolver> inner, const std::atomic<bool>& stopping)
        : inner_(std::move(inner)), stopping_(stopping) {}
    DnsAnswer txt(const std::string& name) override { return ask(name, &DnsResolver::txt); }
    DnsAnswer a(const std::string& name) override { return ask(name, &DnsResolver::a); }
    DnsAnswer aaaa(const std::string& name) override { return ask(name, &DnsResolver::aaaa); }
    DnsAnswer mx(const std::string& name) override { return ask(name, &DnsResolver::mx); }

private:
    DnsAnswer ask(const std::string& name, DnsAnswer (DnsResolver::*question)(const std::string&)) {
        if (!stopping_) return ((*inner_).*question)(name);
        DnsAnswer answer;
        answer.status = DnsAnswer::Status::TempFail;
        answer.error = "the daemon is stopping";
        return answer;
    }
    std::unique_ptr<DnsResolver> inner_;
    const std::atomic<bool>& stopping_;
};

}  // namespace

SpfLookups::Result SpfLookups::lookUp(Shared& shared, const Request& request) {
    SpfLookups::Result result{request.ticket, request.domain, std::nullopt, ""};
    try {
        StoppableResolver resolver(shared.factory(request.server), shared.stopping);
        SpfFlattening flattening = flattenSpf(request.domain, resolver);
        refuseOverbroad(flattening, request.domain);
        result.flattening = std::move(flattening);
    } catch (const std::exception& e) {
        result.error = e.what();
    }
    return result;
}

// The worker owns a reference to `shared`, so the daemon may leave it behind.
void SpfLookups::work(std::shared_ptr<Shared> shared) {
    // The daemon reads its signals from a signalfd; no thread may take them.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        Request request;
        {
            std::unique_lock<std::mutex> lock(shared->mutex);
            shared->wake.wait(lock, [&] { return shared->stopping || !shared->requests.empty(); });
            if (shared->stopping) break;
            request = std::move(shared->requests.front());
            shared->requests.pop_front();
        }
        Result result = lookUp(*shared, request);
        {
            std::lock_guard<std::mutex> lock(shared->mutex);
            shared->finished.push_back(std::move(result));
        }
        const uint64_t one = 1;
        (void)!::write(shared->event.get(), &one, sizeof one);  // EAGAIN only if the counter is full: still readable
    }
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->workerEnded = true;
    shared->ended.notify_all();
}

namespace {

std::unique_ptr<DnsResolver> ldnsResolver(const std::optional<std::string>& server) {
    return std::make_unique<LdnsResolver>(server);
}

}  // namespace

SpfLookups::SpfLookups(ResolverFactory factory) : shared_(std::make_shared<Shared>()) {
    shared_->factory = factory ? std::move(factory) : ldnsResolver;
    shared_->event = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!shared_->event.valid()) failErrno(errno, "create the SPF lookups' eventfd");
}

SpfLookups::~SpfLookups() { stop(kStopWait); }

uint64_t SpfLookups::submit(const std::string& domain, const std::optional<std::string>& server) {
    if (shared_->stopping) throw Error(ErrorKind::Runtime, "SPF lookups have stopped");
    if (!worker_.joinable()) worker_ = std::thread(work, shared_);
    const uint64_t ticket = nextTicket_++;
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        shared_->requests.push_back({ticket, domain, server});
    }
    shared_->wake.notify_one();
    ++unfinished_;
    return ticket;
}

int SpfLookups::fd() const { return shared_->event.get(); }

std::vector<SpfLookups::Result> SpfLookups::takeFinished() {
    uint64_t count;
    (void)!::read(shared_->event.get(), &count, sizeof count);  // EAGAIN: nothing was signalled
    std::vector<Result> results;
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        results.swap(shared_->finished);
    }
    unfinished_ -= results.size();
    return results;
}

bool SpfLookups::stop(std::chrono::milliseconds wait) {
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        shared_->stopping = true;
    }
    shared_->wake.notify_all();
    if (!worker_.joinable()) return true;
    bool ended;
    {
        std::unique_lock<std::mutex> lock(shared_->mutex);
        ended = shared_->ended.wait_for(lock, wait, [&] { return shared_->workerEnded; });
    }
    if (ended)
        worker_.join();
    else
        worker_.detach();
    return ended;
}

}  // namespace xdpguard
