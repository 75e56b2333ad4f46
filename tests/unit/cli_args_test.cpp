// The CLI's handling of bad arguments: exit status 2, a message naming the
// input and the remedy, and nothing touched (these run unprivileged, with a
// pin dir that does not exist and must still not exist afterwards).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

namespace {

struct Run {
    int status;
    std::string output;  // stdout and stderr
};

const std::string kPinDir = "/tmp/xdpguard-cli-test-" + std::to_string(getpid()) + "/pins";

Run xdpguard(const std::string& args) {
    const std::string command = "XDPGUARD_PIN_DIR=" + kPinDir + " " XDPGUARD_BIN " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    Run run{};
    std::array<char, 512> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe)) run.output += buffer.data();
    const int raw = pclose(pipe);
    run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return run;
}

void requireNothingCreated() {
    struct stat st {};
    CHECK(stat(kPinDir.c_str(), &st) != 0);
}

}  // namespace

TEST_CASE("a prefix with host bits set exits 2 and names the canonical prefix", "[unit][cli]") {
    const Run run = xdpguard("allow add 192.0.2.1/24");
    CHECK(run.status == 2);
    CHECK_THAT(run.output, Catch::Contains("did you mean 192.0.2.0/24?"));
    requireNothingCreated();
}

TEST_CASE("one bad prefix among several changes nothing", "[unit][cli]") {
    const Run run = xdpguard("allow add 192.0.2.0/24 2001:db8::/32 not-a-prefix");
    CHECK(run.status == 2);
    CHECK_THAT(run.output, Catch::Contains("'not-a-prefix' is not a valid IPv4 or IPv6 address"));
    requireNothingCreated();
}

TEST_CASE("unknown subcommands, modes and ports exit 2 with a reason", "[unit][cli]") {
    struct Case {
        const char* args;
        const char* message;
    };
    const Case cases[] = {
        {"frobnicate", "frobnicate"},
        {"mode enforcing", "enforcing"},
        {"ports 0", "0"},
        {"ports 65536", "65536"},
        {"ports smtp", "smtp"},
        {"attach", "interfaces is required"},
        {"attach eth0 --mode turbo", "turbo"},
        {"attach eth0 --monitor --enforce", "excludes"},
        {"allow", "subcommand"},
        {"allow add", "cidrs is required"},
    };
    for (const Case& c : cases) {
        INFO("xdpguard " << c.args);
        const Run run = xdpguard(c.args);
        CHECK(run.status == 2);
        CHECK_THAT(run.output, Catch::Contains(c.message));
    }
    requireNothingCreated();
}

TEST_CASE("attaching to an interface that does not exist names it", "[unit][cli]") {
    const Run run = xdpguard("attach xg-no-such-if0 --monitor");
    CHECK(run.status == 2);
    CHECK_THAT(run.output, Catch::Contains("no network interface named 'xg-no-such-if0'"));
    requireNothingCreated();
}

TEST_CASE("commands that need a filter say how to create one", "[unit][cli]") {
    for (const char* args : {"allow list", "mode monitor", "ports 25", "allow del 192.0.2.0/24"}) {
        INFO("xdpguard " << args);
        const Run run = xdpguard(args);
        CHECK(run.status == 2);
        CHECK_THAT(run.output, Catch::Contains("no xdpguard filter in " + kPinDir));
    }
    requireNothingCreated();
}

TEST_CASE("--help exits 0 and lists the commands", "[unit][cli]") {
    const Run run = xdpguard("--help");
    CHECK(run.status == 0);
    for (const char* command : {"attach", "detach", "status", "allow", "mode", "ports"})
        CHECK_THAT(run.output, Catch::Contains(command));
}

TEST_CASE("attach --dry-run says what it would do and creates nothing", "[unit][cli]") {
    const Run monitor = xdpguard("attach lo --monitor --dry-run");
    CHECK(monitor.status == 0);
    CHECK_THAT(monitor.output, Catch::Contains("lo: would attach (auto XDP)"));
    CHECK_THAT(monitor.output, Catch::Contains("dry run: nothing changed"));
    const Run enforce = xdpguard("attach lo --dry-run");
    CHECK(enforce.status == 2);
    CHECK_THAT(enforce.output, Catch::Contains("would enforce an empty allowlist"));
    requireNothingCreated();
}
