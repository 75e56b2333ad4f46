#include "exporter.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <civetweb.h>
#include <prometheus/exposer.h>

#include <charconv>
#include <csignal>
#include <memory>

#include "error.hpp"
#include "metrics.hpp"

namespace xdpguard {
namespace {

constexpr unsigned kCivetwebIpv6Feature = 8;  // mg_check_feature() bit for IPv6

bool validPort(std::string_view text) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size() && port <= 65535;
}

void waitForTermination() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    int received = 0;
    sigwait(&signals, &received);
}

}  // namespace

std::string parseListenAddress(const std::string& listen) {
    const auto colon = listen.rfind(':');
    const std::string usage = "bad listen address '" + listen +
                              "': use IPv4:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9433 or [::1]:9433";
    if (colon == std::string::npos || !validPort(std::string_view(listen).substr(colon + 1)))
        badInput(usage);
    std::string host = listen.substr(0, colon);
    unsigned char buffer[16];
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) != 1) badInput(usage);
        // Debian 12's civetweb is built without IPv6: say so instead of
        // failing to bind with a misleading "port in use".
        if (!mg_check_feature(kCivetwebIpv6Feature))
            badInput("cannot listen on " + listen + ": this build's HTTP server (civetweb) has no IPv6 "
                     "support; use an IPv4 address such as 127.0.0.1:9433");
    } else if (inet_pton(AF_INET, host.c_str(), buffer) != 1) {
        badInput(usage);
    }
    return listen;
}

// civetweb calls a handler for its URI and everything below it; the "$"
// makes /metrics the only path served (404 elsewhere).
constexpr const char* kMetricsPath = "/metrics$";

MetricsServer::MetricsServer(const std::string& listen, const PinDir& dir, size_t topSources) {
    const std::string address = parseListenAddress(listen);
    // glibc gives each serving thread its own malloc arena; a 100k-prefix
    // scrape then left ~55 MB per thread behind. Two arenas keep the RSS flat.
    mallopt(M_ARENA_MAX, 2);
    try {
        // Threads outnumber what a few idle or slow clients can hold, and
        // a request must arrive within 2 s: stalled clients, however many,
        // cannot make a Prometheus scrape (10 s timeout by default) wait.
        // A scrape's request is a few hundred bytes; civetweb's own bound
        // (16 KiB in 1.15) is made ours and explicit.
        exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
            "listening_ports", address, "num_threads", std::to_string(kExporterThreads), "request_timeout_ms",
            std::to_string(kExporterRequestTimeoutMs), "max_request_size", std::to_string(kExporterMaxRequestBytes)});
    } catch (const std::exception& e) {
        throw Error(ErrorKind::Runtime, "cannot listen on " + listen + " (" + e.what() +
                                            "); is another exporter already using that port?");
    }
    add(std::make_shared<FilterCollector>(dir, topSources));
}


MetricsServer::~MetricsServer() = default;

void MetricsServer::add(std::shared_ptr<prometheus::Collectable> collectable) {
    exposer_->RegisterCollectable(collectable, kMetricsPath);
    collectables_.push_back(std::move(collectable));
}

int MetricsServer::port() const {
    const std::vector<int> ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
}

void runExporter(const std::string& listen, const PinDir& dir, size_t topSources,
                 const std::function<void(int port)>& onListening) {
    // Block the signals before civetweb starts its threads, so that they
    // inherit the mask and sigwait() below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    MetricsServer server(listen, dir, topSources);
    onListening(server.port());
    waitForTermination();
}

}  // namespace xdpguard
