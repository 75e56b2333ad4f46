// Diagnostics: quiet by default, verbose with --verbose. libbpf's own
// messages go through here one level quieter (its warnings are our debug).
#pragma once

#include <string>

namespace xdpguard {

void setVerbose(bool verbose);
bool verbose();
void logDebug(const std::string& message);
// Routes libbpf's print callback through logDebug (idempotent).
void installLibbpfLogger();

}  // namespace xdpguard
