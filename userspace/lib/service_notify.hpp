// Readiness and status for the service manager: the sd_notify(3) protocol,
// which systemd documents as stable and meant to be reimplemented. Done
// here in a few lines instead of linking libsystemd, which with the six
// libraries it pulls in cost every xdpguard command 2-4 ms of start-up.
#pragma once

#include <string>

namespace xdpguard {

// Sends `state` ("READY=1", "STATUS=...", newline-separated) as one datagram
// to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract name
// written with a leading '@'). Returns false, doing nothing, when the
// variable is unset (not started by systemd) or the socket cannot be
// reached: a notice that does not arrive must not stop the filter.
bool notifyServiceManager(const std::string& state);

}  // namespace xdpguard
