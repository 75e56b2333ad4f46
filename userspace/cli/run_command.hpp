// `xdpguard run`: the daemon (lib/daemon.hpp) in the foreground.
#pragma once

#include <optional>
#include <string>

namespace xdpguard::cli {

// A configuration with errors lists each on stderr and returns 2, having
// changed nothing; a clean stop (SIGTERM, SIGINT) returns 0. The filter is
// the one in the configuration's pin_dir: a global --pin-dir (`pinDirFlag`)
// naming another directory is refused (2, nothing changed), and
// $XDPGUARD_PIN_DIR is not used (a note says so if it differs).
int runDaemon(const std::string& configPath, bool detachOnExit, const std::optional<std::string>& pinDirFlag);

}  // namespace xdpguard::cli
