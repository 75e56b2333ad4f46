// Where a running filter lives: a directory on bpffs holding the pinned maps
// (the state shared by every command) and one pinned bpf_link per interface
// (what keeps the program attached after the command exits).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"

namespace xdpguard {

inline constexpr const char* kDefaultPinDir = "/sys/fs/bpf/xdpguard";
inline constexpr const char* kPinDirEnv = "XDPGUARD_PIN_DIR";

class PinDir {
public:
    explicit PinDir(std::string path) : path_(std::move(path)) {}
    // --pin-dir if given, else $XDPGUARD_PIN_DIR, else the default.
    static PinDir resolve(const std::optional<std::string>& flag);

    const std::string& path() const { return path_; }
    std::string mapPin(const std::string& mapName) const;
    std::string linkPin(const std::string& ifname) const;
    bool exists() const;

    // Mounts bpffs on /sys/fs/bpf if the pin dir lies there and nothing is
    // mounted, then creates the directory (mode 0700: the allowlist is
    // root's business). Returns true if it created the directory. Refuses a
    // directory that someone else owns or may write to.
    bool create() const;
    // Refuses (Error) a directory that someone else owns or may write.
    void checkSafe() const;
    // Removes the directory if it is empty (undoing create()); never throws.
    void removeIfEmpty() const noexcept;
    // Interface names that have a pinned link, sorted.
    std::vector<std::string> pinnedInterfaces() const;
    // Removes the map pins and the directory (only when no link is pinned).
    void removeMaps(const std::vector<std::string>& mapNames) const;

private:
    std::string path_;
};

// An exclusive flock on the pin directory, held while a command changes the
// filter, so that two commands never interleave their read-modify-writes.
class PinDirLock {
public:
    explicit PinDirLock(const PinDir& dir);

private:
    Fd fd_;
};

}  // namespace xdpguard
