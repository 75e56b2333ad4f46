// The allowlist file format: one CIDR (or address) per line, `#` starts a
// comment (whole line or after an entry), blank lines are ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "prefix.hpp"

namespace xdpguard {

// Parses `text`; errors are BadInput "NAME:LINE: why", and the first one
// stops the parse so that nothing is applied from a file with a bad line.
std::vector<Prefix> parseAllowText(std::string_view text, const std::string& name);

// Reads and parses the file at `path` (errors name the path).
std::vector<Prefix> readAllowFile(const std::string& path);

}  // namespace xdpguard
