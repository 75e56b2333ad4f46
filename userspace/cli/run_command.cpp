#include "run_command.hpp"

#include <iostream>

#include "daemon.hpp"

namespace xdpguard::cli {

int runDaemon(const std::string& configPath, bool detachOnExit) {
    std::optional<Daemon> daemon;
    try {
        daemon.emplace(DaemonOptions{configPath, detachOnExit});
    } catch (const ConfigError& e) {
        for (const std::string& problem : e.problems()) std::cerr << "xdpguard: " << problem << "\n";
        std::cerr << "xdpguard: error: " << e.problems().size() << " problem(s) in " << configPath
                  << "; nothing was started or changed\n";
        return 2;
    }
    daemon->run();
    return 0;
}

}  // namespace xdpguard::cli
