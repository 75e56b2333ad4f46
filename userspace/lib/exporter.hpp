// `xdpguard exporter`: serves /metrics for Prometheus until SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <string>

#include "pin_dir.hpp"

namespace xdpguard {

inline constexpr const char* kDefaultMetricsListen = "127.0.0.1:9433";

// Validates "IPv4:PORT" or "[IPv6]:PORT" and returns civetweb's form of it.
// Throws BadInput naming the address otherwise. Host names are refused: the
// exporter binds where it is told, nowhere else.
std::string parseListenAddress(const std::string& listen);

// Serves until a termination signal arrives. `onListening` is called with
// the bound port once the socket is open. Throws Error if it cannot bind.
void runExporter(const std::string& listen, const PinDir& dir, size_t topSources,
                 const std::function<void(int port)>& onListening);

}  // namespace xdpguard
