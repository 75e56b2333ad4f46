// `xdpguard spf flatten` and `xdpguard allow import-spf`.
#pragma once

#include <optional>
#include <string>

#include "commands.hpp"

namespace xdpguard::cli {

int runSpfFlatten(const std::string& domain, const std::optional<std::string>& dnsServer);
int runImportSpf(Controller& controller, const std::string& domain, const std::optional<std::string>& dnsServer,
                 const AllowChangeArgs& args);

}  // namespace xdpguard::cli
