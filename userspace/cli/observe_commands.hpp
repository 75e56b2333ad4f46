// Subcommands that look at the running filter: stats, top, check, exporter.
#pragma once

#include <cstdint>
#include <string>

#include "pin_dir.hpp"

namespace xdpguard::cli {

int runStats(const PinDir& dir, bool json);
int runTop(const PinDir& dir, size_t limit, bool json);
int runCheck(const PinDir& dir, const std::string& address, int port);
int runExporter(const PinDir& dir, const std::string& listen, size_t topSources);
int runWatch(const PinDir& dir, bool json);

}  // namespace xdpguard::cli
