// SPF lookups on the daemon's worker thread: results come back through the
// eventfd in order, failures carry their reason, and stopping never waits
// for a DNS server that does not answer.
#include <poll.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fake_resolver.hpp"
#include "spf_lookups.hpp"

using namespace xdpguard;
using namespace xdpguard::testing;
using namespace std::chrono_literals;

namespace {

// Each lookup asks a copy of this zone.
SpfLookups::ResolverFactory zoneOf(const FakeResolver& zone) {
    return [zone](const std::optional<std::string>&) { return std::make_unique<FakeResolver>(zone); };
}

bool readable(int fd, std::chrono::milliseconds within) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, static_cast<int>(within.count())) == 1 && (entry.revents & POLLIN);
}

// Waits (bounded) until `count` lookups have finished and takes them.
std::vector<SpfLookups::Result> finished(SpfLookups& lookups, size_t count) {
    std::vector<SpfLookups::Result> results;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (results.size() < count && std::chrono::steady_clock::now() < deadline)
        if (readable(lookups.fd(), 100ms))
            for (SpfLookups::Result& result : lookups.takeFinished()) results.push_back(std::move(result));
    return results;
}

// A DNS server that does not answer until released: each question counts
// itself and blocks until release() (or, as a bound on the test, 10 s).
struct SilentServer {
    std::mutex mutex;
    std::condition_variable released;
    bool open = false;
    int questions = 0;

    void release() {
        std::lock_guard<std::mutex> lock(mutex);
        open = true;
        released.notify_all();
    }
    int asked() {
        std::lock_guard<std::mutex> lock(mutex);
        return questions;
    }
};

class SilentResolver : public DnsResolver {
public:
    explicit SilentResolver(std::shared_ptr<SilentServer> server) : server_(std::move(server)) {}
    DnsAnswer txt(const std::string&) override { return wait(); }
    DnsAnswer a(const std::string&) override { return wait(); }
    DnsAnswer aaaa(const std::string&) override { return wait(); }
    DnsAnswer mx(const std::string&) override { return wait(); }

private:
    DnsAnswer wait() {
        std::unique_lock<std::mutex> lock(server_->mutex);
        ++server_->questions;
        server_->released.wait_for(lock, 10s, [&] { return server_->open; });
        DnsAnswer answer;
        answer.records = {"v=spf1 include:next.example.test -all"};  // one more question each time
        return answer;
    }
    std::shared_ptr<SilentServer> server_;
};

}  // namespace

TEST_CASE("a finished SPF lookup comes back through the eventfd with its prefixes and TTL", "[unit][spf]") {
    FakeResolver zone = withPolicy("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all");
    SpfLookups lookups(zoneOf(zone));
    CHECK_FALSE(readable(lookups.fd(), 0ms));
    const uint64_t ticket = lookups.submit("example.test", std::nullopt);
    CHECK(lookups.unfinished() == 1);
    const std::vector<SpfLookups::Result> results = finished(lookups, 1);
    REQUIRE(results.size() == 1);
    CHECK(results[0].ticket == ticket);
    CHECK(results[0].domain == "example.test");
    REQUIRE(results[0].flattening);
    CHECK(results[0].flattening->prefixes ==
          std::vector<Prefix>{Prefix::parse("192.0.2.0/24"), Prefix::parse("2001:db8::/32")});
    CHECK(results[0].flattening->minTtl == 3600);
    CHECK(lookups.unfinished() == 0);
    CHECK_FALSE(readable(lookups.fd(), 0ms));
}

TEST_CASE("SPF lookups finish in the order submitted, each failure with its reason", "[unit][spf]") {
    FakeResolver zone = withPolicy("v=spf1 ip4:192.0.2.0/24 -all");
    zone.tempFail(FakeResolver::Type::Txt, "down.example.test");
    zone.addTxt("wide.example.test", "v=spf1 ip4:10.0.0.0/7 -all");
    SpfLookups lookups(zoneOf(zone));
    const uint64_t first = lookups.submit("down.example.test", std::nullopt);
    const uint64_t second = lookups.submit("wide.example.test", std::nullopt);
    const uint64_t third = lookups.submit("example.test", std::nullopt);
    const std::vector<SpfLookups::Result> results = finished(lookups, 3);
    REQUIRE(results.size() == 3);
    CHECK(results[0].ticket == first);
    CHECK_FALSE(results[0].flattening);
    CHECK_THAT(results[0].error, Catch::Contains("SERVFAIL"));
    CHECK(results[1].ticket == second);
    CHECK_FALSE(results[1].flattening);  // broader than /8: refused as import-spf refuses it
    CHECK_THAT(results[1].error, Catch::Contains("10.0.0.0/7"));
    CHECK(results[2].ticket == third);
    CHECK(results[2].flattening);
}

TEST_CASE("stopping does not wait for a DNS server that does not answer", "[unit][spf]") {
    auto server = std::make_shared<SilentServer>();
    {
        SpfLookups lookups([server](const std::optional<std::string>&) {
            return std::make_unique<SilentResolver>(server);
        });
        lookups.submit("example.test", std::nullopt);
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (server->asked() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        REQUIRE(server->asked() == 1);
        const auto before = std::chrono::steady_clock::now();
        CHECK_FALSE(lookups.stop(100ms));
        CHECK(std::chrono::steady_clock::now() - before < 1s);
        CHECK_THROWS_AS(lookups.submit("example.test", std::nullopt), Error);
    }
    // The abandoned lookup gets its answer after its owner is gone: it asks
    // no further question (the policy's include) and ends without harm.
    server->release();
    std::this_thread::sleep_for(100ms);
    CHECK(server->asked() == 1);
}

TEST_CASE("an idle worker stops at once", "[unit][spf]") {
    FakeResolver zone = withPolicy("v=spf1 ip4:192.0.2.0/24 -all");
    SpfLookups lookups(zoneOf(zone));
    lookups.submit("example.test", std::nullopt);
    REQUIRE(finished(lookups, 1).size() == 1);
    CHECK(lookups.stop(1s));
}
