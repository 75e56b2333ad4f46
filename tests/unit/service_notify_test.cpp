#include "service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace xdpguard {
namespace {

// A datagram socket standing in for systemd's notification socket.
class FakeServiceManager {
public:
    explicit FakeServiceManager(const std::string& name) : fd_(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name.data(), name.size());
        if (name[0] == '@') address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0);
        setenv("NOTIFY_SOCKET", name.c_str(), 1);
    }
    ~FakeServiceManager() {
        unsetenv("NOTIFY_SOCKET");
        close(fd_);
    }
    FakeServiceManager(const FakeServiceManager&) = delete;
    FakeServiceManager& operator=(const FakeServiceManager&) = delete;

    std::string received() const {
        char buffer[512];
        const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        return n < 0 ? std::string("(nothing)") : std::string(buffer, static_cast<size_t>(n));
    }

private:
    int fd_;
};

std::string uniqueName(const char* kind) {
    return std::string(kind) + "xdpguard-notify-test-" + std::to_string(getpid());
}

TEST_CASE("the service manager gets each notice as one datagram on a socket path") {
    char dir[] = "/tmp/xdpguard-notify-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/notify";
    {
        FakeServiceManager manager(path);
        CHECK(notifyServiceManager("READY=1\nSTATUS=enforcing on eth0"));
        CHECK(manager.received() == "READY=1\nSTATUS=enforcing on eth0");
        CHECK(notifyServiceManager("STOPPING=1"));
        CHECK(manager.received() == "STOPPING=1");
    }
    unlink(path.c_str());
    rmdir(dir);
}

TEST_CASE("the service manager is reached on an abstract socket written with '@'") {
    FakeServiceManager manager(uniqueName("@"));
    CHECK(notifyServiceManager("RELOADING=1"));
    CHECK(manager.received() == "RELOADING=1");
}

TEST_CASE("without NOTIFY_SOCKET, or with one nobody listens on, a notice is dropped quietly") {
    unsetenv("NOTIFY_SOCKET");
    CHECK_FALSE(notifyServiceManager("READY=1"));
    setenv("NOTIFY_SOCKET", "/nonexistent/xdpguard-notify", 1);
    CHECK_FALSE(notifyServiceManager("READY=1"));
    setenv("NOTIFY_SOCKET", std::string(200, 'x').c_str(), 1);  // longer than sun_path
    CHECK_FALSE(notifyServiceManager("READY=1"));
    unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace xdpguard
