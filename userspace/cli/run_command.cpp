#include "run_command.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "daemon.hpp"
#include "pin_dir.hpp"

namespace xdpguard::cli {
namespace {

// "/sys/fs/bpf/xg/" and "/sys/fs/bpf//xg" are the same directory.
bool samePath(const std::string& a, const std::string& b) {
    auto normal = [](const std::string& path) {
        std::filesystem::path p = std::filesystem::path(path).lexically_normal();
        return p.has_filename() || p == p.root_path() ? p : p.parent_path();
    };
    return normal(a) == normal(b);
}

}  // namespace

int runDaemon(const std::string& configPath, bool detachOnExit, const std::optional<std::string>& pinDirFlag) {
    std::optional<Daemon> daemon;
    try {
        daemon.emplace(DaemonOptions{configPath, detachOnExit});
    } catch (const ConfigError& e) {
        for (const std::string& problem : e.problems()) std::cerr << "xdpguard: " << problem << "\n";
        std::cerr << "xdpguard: error: " << e.problems().size() << " problem(s) in " << configPath
                  << "; nothing was started or changed\n";
        return 2;
    }
    // The daemon's filter is the one its configuration names, so that the
    // unit, a manual start and a restart all find the same one. A --pin-dir
    // that says otherwise is a mistake to point out, not to obey silently.
    const std::string& pinDir = daemon->pinDir();
    if (pinDirFlag && !pinDirFlag->empty() && !samePath(*pinDirFlag, pinDir)) {
        std::cerr << "xdpguard: error: run keeps the filter in the pin_dir of " << configPath << " (" << pinDir
                  << "), not in --pin-dir " << *pinDirFlag << ": set pin_dir there, and leave --pin-dir out"
                  << "; nothing was started or changed\n";
        return 2;
    }
    if (const char* env = std::getenv(kPinDirEnv); !pinDirFlag && env && *env && !samePath(env, pinDir))
        std::cerr << "xdpguard: note: $" << kPinDirEnv << " (" << env << ") is not used: run keeps the filter in "
                  << "the pin_dir of " << configPath << " (" << pinDir << "); other commands reach it with "
                  << "--pin-dir " << pinDir << "\n";
    daemon->run();
    return 0;
}

}  // namespace xdpguard::cli
