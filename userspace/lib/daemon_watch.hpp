// Watching the daemon's files (its configuration and the allowlist files)
// with inotify. Each file is watched through its directory, so that a file
// saved by writing a new copy and renaming it over the old (editors, config
// management) is seen, as is one created after the daemon started.
#pragma once

#include <set>
#include <map>
#include <string>
#include <vector>

#include "fd.hpp"

namespace xdpguard {

class FileWatcher {
public:
    FileWatcher();  // Error if inotify is unavailable

    // Watches exactly these files (absolute, normalised paths) from now on.
    // Returns one message per directory that cannot be watched (its files
    // are then only read again on SIGHUP).
    std::vector<std::string> watch(const std::set<std::string>& files);

    int fd() const { return fd_.get(); }  // readable when changes wait
    // The watched files written, replaced, created or deleted since the
    // last call; every watched file if the kernel's event queue overflowed.
    std::set<std::string> readChanges();

private:
    Fd fd_;
    std::set<std::string> files_;
    std::map<int, std::string> dirOfWatch_;
    std::map<std::string, int> watchOfDir_;
};

}  // namespace xdpguard
