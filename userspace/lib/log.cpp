#include "log.hpp"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

namespace xdpguard {
namespace {

bool gVerbose = false;

int libbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
    if (!gVerbose || level == LIBBPF_DEBUG) return 0;
    std::fputs("xdpguard: libbpf: ", stderr);
    return std::vfprintf(stderr, format, args);
}

}  // namespace

void setVerbose(bool verbose) { gVerbose = verbose; }
bool verbose() { return gVerbose; }

void logDebug(const std::string& message) {
    if (gVerbose) std::fprintf(stderr, "xdpguard: %s\n", message.c_str());
}

void installLibbpfLogger() { libbpf_set_print(libbpfPrint); }

}  // namespace xdpguard
