// `xdpguard run`: the daemon (lib/daemon.hpp) in the foreground.
#pragma once

#include <string>

namespace xdpguard::cli {

// A configuration with errors lists each on stderr and returns 2, having
// changed nothing; a clean stop (SIGTERM, SIGINT) returns 0.
int runDaemon(const std::string& configPath, bool detachOnExit);

}  // namespace xdpguard::cli
