#include "error.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace xdpguard {

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
