#include "daemon_watch.hpp"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "error.hpp"

namespace xdpguard {
namespace {

// A file's content is final once its writer closes it (IN_CLOSE_WRITE) or
// it is renamed into place (IN_MOVED_TO); IN_CREATE alone may see a file
// still being written, but the debounce in the daemon covers that.
constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;

std::string join(const std::string& dir, const char* name) { return dir == "/" ? dir + name : dir + "/" + name; }

}  // namespace

FileWatcher::FileWatcher() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (!fd_.valid()) failErrno(errno, "watch the configuration files (inotify)");
}

std::vector<std::string> FileWatcher::watch(const std::set<std::string>& files) {
    files_ = files;
    std::set<std::string> dirs;
    for (const std::string& file : files) dirs.insert(std::filesystem::path(file).parent_path().string());
    for (auto it = watchOfDir_.begin(); it != watchOfDir_.end();) {
        if (dirs.count(it->first)) {
            ++it;
            continue;
        }
        inotify_rm_watch(fd_.get(), it->second);
        dirOfWatch_.erase(it->second);
        it = watchOfDir_.erase(it);
    }
    std::vector<std::string> problems;
    for (const std::string& dir : dirs) {
        if (watchOfDir_.count(dir)) continue;
        const int wd = inotify_add_watch(fd_.get(), dir.c_str(), kWatchMask | IN_ONLYDIR);
        if (wd < 0) {
            problems.push_back("cannot watch " + dir + " (" + std::strerror(errno) +
                               "): changes to its files apply on SIGHUP only");
            continue;
        }
        watchOfDir_[dir] = wd;
        dirOfWatch_[wd] = dir;
    }
    return problems;
}

std::set<std::string> FileWatcher::readChanges() {
    alignas(inotify_event) char buffer[16384];
    std::set<std::string> changed;
    for (;;) {
        const ssize_t length = ::read(fd_.get(), buffer, sizeof buffer);
        if (length <= 0) break;  // EAGAIN: nothing more waits
        for (const char* at = buffer; at < buffer + length;) {
            const auto* event = reinterpret_cast<const inotify_event*>(at);
            at += sizeof(inotify_event) + event->len;
            if (event->mask & IN_Q_OVERFLOW) changed.insert(files_.begin(), files_.end());
            const auto dir = dirOfWatch_.find(event->wd);
            if (dir == dirOfWatch_.end()) continue;
            if (event->mask & IN_IGNORED) {  // the directory went away; watch() retries it
                watchOfDir_.erase(dir->second);
                dirOfWatch_.erase(dir);
                continue;
            }
            if (event->len == 0) continue;
            const std::string path = join(dir->second, event->name);
            if (files_.count(path)) changed.insert(path);
        }
    }
    return changed;
}

}  // namespace xdpguard
