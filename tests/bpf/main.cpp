// Runner for the [prog_run] tests. They load an XDP program, which needs
// CAP_BPF and CAP_NET_ADMIN: without them every test exits with
// XDPGUARD_SKIP_CODE (CTest reports a skip) unless XDPGUARD_REQUIRE_BPF=1
// asks for a failure instead, as CI running as root does.
#define CATCH_CONFIG_RUNNER
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr int kSkipCode = 77;

// Loads "return XDP_PASS" as an XDP program: the smallest request that needs
// the same privileges as the tests. Returns 0 or a positive errno.
int probeXdpLoad() {
    const bpf_insn program[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_probe", "GPL", program,
                                 sizeof program / sizeof program[0], nullptr);
    if (fd < 0) return -fd;
    ::close(fd);
    return 0;
}

bool bpfRequired() {
    const char* value = std::getenv("XDPGUARD_REQUIRE_BPF");
    return value && std::string_view(value) == "1";
}

// Test discovery (catch_discover_tests lists tests at build time) and help
// need no privileges.
bool onlyListing(const Catch::ConfigData& config) {
    return config.listTests || config.listTestNamesOnly || config.listTags ||
           config.listReporters || config.showHelp;
}

}  // namespace

int main(int argc, char* argv[]) {
    Catch::Session session;
    if (const int status = session.applyCommandLine(argc, argv)) return status;

    if (!onlyListing(session.configData())) {
        const int err = probeXdpLoad();
        if (err == EPERM || err == EACCES) {
            if (bpfRequired()) {
                std::puts("FAIL: BPF tests need root/CAP_BPF but XDPGUARD_REQUIRE_BPF=1");
                return 1;
            }
            std::puts("SKIP: BPF tests need root or CAP_BPF+CAP_NET_ADMIN");
            return kSkipCode;
        }
        if (err) {
            std::printf("FAIL: cannot load a trivial XDP program: %s\n", std::strerror(err));
            return 1;
        }
    }
    return session.run();
}
