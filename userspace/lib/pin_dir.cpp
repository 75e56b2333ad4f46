#include "pin_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "error.hpp"

namespace xdpguard {
namespace {

constexpr std::string_view kLinkPrefix = "link_";
constexpr const char* kBpffsRoot = "/sys/fs/bpf";

bool onBpffs(const std::string& path) {
    struct statfs fs {};
    return statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

std::string parentOf(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

PinDir PinDir::resolve(const std::optional<std::string>& flag) {
    if (flag && !flag->empty()) return PinDir(*flag);
    if (const char* env = std::getenv(kPinDirEnv); env && *env) return PinDir(env);
    return PinDir(kDefaultPinDir);
}

std::string PinDir::mapPin(const std::string& mapName) const { return path_ + "/" + mapName; }

std::string PinDir::linkPin(const std::string& ifname) const {
    return path_ + "/" + std::string(kLinkPrefix) + ifname;
}

bool PinDir::exists() const {
    struct stat st {};
    if (stat(path_.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) badInput("pin dir " + path_ + " exists but is not a directory");
        return true;
    }
    if (errno == ENOENT || errno == ENOTDIR) return false;
    failErrno(errno, "look up pin dir " + path_);
}

bool PinDir::create() const {
    const std::string parent = parentOf(path_);
    if (!onBpffs(parent) && parent == kBpffsRoot) {
        // Minimal systems (and some containers) do not mount bpffs.
        if (mount("bpf", kBpffsRoot, "bpf", 0, "mode=0700"))
            failErrno(errno, std::string("mount the BPF filesystem on ") + kBpffsRoot);
    }
    if (!onBpffs(parent))
        badInput("pin dir " + path_ + " is not on a BPF filesystem (bpffs); choose a directory under " +
                 kBpffsRoot + " (xdpguard mounts bpffs there if needed) or on a bpffs you mounted with "
                 "`mount -t bpf bpf DIR`");
    const bool created = mkdir(path_.c_str(), 0700) == 0;
    if (!created && errno != EEXIST) failErrno(errno, "create pin dir " + path_);
    checkSafe();
    return created;
}

void PinDir::checkSafe() const {
    struct stat st {};
    if (lstat(path_.c_str(), &st)) failErrno(errno, "inspect pin dir " + path_);
    // Root's filter, and we are not root: a permission problem, said so.
    if (st.st_uid == 0 && geteuid() != 0) failErrno(EACCES, "use pin dir " + path_);
    // Whoever else may write the directory could unlink or replace the pins.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
        throw Error(ErrorKind::Runtime,
                    "pin dir " + path_ + " (owner uid " + std::to_string(st.st_uid) + ", mode " + mode +
                        ") must be a directory owned by uid " + std::to_string(geteuid()) +
                        " that no one else may write; refusing to keep the filter's state there. Fix it "
                        "(chown/chmod 0700) or choose another --pin-dir");
}

void PinDir::removeIfEmpty() const noexcept { rmdir(path_.c_str()); }

std::vector<std::string> PinDir::pinnedInterfaces() const {
    std::vector<std::string> names;
    DIR* dir = opendir(path_.c_str());
    if (!dir) return names;
    while (const dirent* entry = readdir(dir)) {
        std::string_view name(entry->d_name);
        if (name.substr(0, kLinkPrefix.size()) == kLinkPrefix)
            names.emplace_back(name.substr(kLinkPrefix.size()));
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

void PinDir::removeMaps(const std::vector<std::string>& mapNames) const {
    for (const std::string& name : mapNames)
        if (unlink(mapPin(name).c_str()) && errno != ENOENT)
            failErrno(errno, "remove pin " + mapPin(name));
    if (rmdir(path_.c_str()) && errno != ENOENT)
        failErrno(errno, "remove pin dir " + path_ + " (it holds files xdpguard did not create?)");
}

PinDirLock::PinDirLock(const PinDir& dir) {
    fd_ = Fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_.valid()) failErrno(errno, "open pin dir " + dir.path());
    if (flock(fd_.get(), LOCK_EX)) failErrno(errno, "lock pin dir " + dir.path());
}

}  // namespace xdpguard
