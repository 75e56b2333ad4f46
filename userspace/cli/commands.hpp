// One function per subcommand: each takes parsed arguments, calls the
// library and prints. Errors propagate as xdpguard::Error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller.hpp"

namespace xdpguard::cli {

struct AttachArgs {
    std::vector<std::string> interfaces;
    std::string xdpMode = "auto";
    bool monitor = false;
    bool enforce = false;
    std::vector<int> ports;
    bool force = false;
    std::optional<uint32_t> maxPrefixes;
};

int runAttach(Controller& controller, const AttachArgs& args);
int runDetach(Controller& controller, const std::vector<std::string>& interfaces, bool all, bool purge);
int runStatus(const Controller& controller, bool json);
int runAllowAdd(Controller& controller, const std::vector<std::string>& cidrs);
int runAllowDelete(Controller& controller, const std::vector<std::string>& cidrs, bool force);
int runAllowList(const Controller& controller, bool json);
int runMode(Controller& controller, const std::string& mode, bool force);
int runPorts(Controller& controller, const std::vector<int>& ports);

}  // namespace xdpguard::cli
