// One function per subcommand: each takes parsed arguments, calls the
// library and prints. Errors propagate as xdpguard::Error.
#pragma once

#include <cstdint>
#include <functional>
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
    bool dryRun = false;
    std::optional<uint32_t> maxPrefixes;
};

int runAttach(Controller& controller, const AttachArgs& args);
int runDetach(Controller& controller, const std::vector<std::string>& interfaces, bool all, bool purge,
              bool dryRun);
int runStatus(const Controller& controller, bool json);
struct AllowChangeArgs {
    std::string source;  // empty: the command's default
    bool dryRun = false;
    bool force = false;
    bool allowShrink = false;
};

// Runs one allowlist change (add, del, sync, import-spf) and prints its plan.
int runAllowChange(const AllowChangeArgs& args,
                   const std::function<ChangePlan(const ChangeOptions&)>& change);
int runAllowList(const Controller& controller, bool json);
int runMode(Controller& controller, const std::string& mode, bool force, bool dryRun);
int runPorts(Controller& controller, const std::vector<int>& ports, bool dryRun);
int runDropLog(Controller& controller, uint32_t rate, bool dryRun);

}  // namespace xdpguard::cli
