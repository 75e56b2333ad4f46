// `xdpguard exporter`: serves /metrics for Prometheus until SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pin_dir.hpp"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace xdpguard {

inline constexpr const char* kDefaultMetricsListen = "127.0.0.1:9433";

// The HTTP server's bounds against hostile or broken clients. A connection
// holds one of the serving threads until its request has arrived, at most
// the request timeout; a request (line and headers) longer than the size
// bound is refused (civetweb 1.15 answers "400 Bad Request", "Malformed
// message").
inline constexpr int kExporterThreads = 16;
inline constexpr int kExporterRequestTimeoutMs = 2000;
inline constexpr int kExporterMaxRequestBytes = 8192;

// Validates "IPv4:PORT" or "[IPv6]:PORT" and returns civetweb's form of it.
// Throws BadInput naming the address otherwise. Host names are refused: the
// exporter binds where it is told, nowhere else.
std::string parseListenAddress(const std::string& listen);

// Serves /metrics from its own threads while the object lives: the filter's
// counters (read from the pins at every scrape) and any collectable added.
class MetricsServer {
public:
    // Throws Error if it cannot bind (BadInput for a malformed address).
    MetricsServer(const std::string& listen, const PinDir& dir, size_t topSources);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    void add(std::shared_ptr<prometheus::Collectable> collectable);
    int port() const;

private:
    std::unique_ptr<prometheus::Exposer> exposer_;
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

// Serves until a termination signal arrives. `onListening` is called with
// the bound port once the socket is open. Throws Error if it cannot bind.
void runExporter(const std::string& listen, const PinDir& dir, size_t topSources,
                 const std::function<void(int port)>& onListening);

}  // namespace xdpguard
