#include "error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace xdpguard {

std::string printable(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    return out;
}

void failErrno(int err, std::string_view action) {
    err = std::abs(err);
    std::string message = std::string(action) + ": ";
    switch (err) {
    case EPERM:
    case EACCES:
        message += "permission denied: run as root or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN";
        break;
    case ENOENT:
        message += "not found";
        break;
    case ENOSPC:
    case E2BIG:
        message += "map is full";
        break;
    case ENOMEM:
        message += "out of memory (kernel refused the allocation)";
        break;
    default:
        message += std::strerror(err);
    }
    throw Error(ErrorKind::Runtime, message);
}

}  // namespace xdpguard
