// The smallest frame the filter judges: Ethernet + IPv4/IPv6 + a TCP SYN.
// `xdpguard check` runs it through the program to answer "would this
// gateway get through?".
#pragma once

#include <cstdint>
#include <vector>

#include "prefix.hpp"

namespace xdpguard {

// A SYN from `source` (a host prefix: /32 or /128) to `destinationPort`.
// The destination address is a documentation address of the same family;
// the filter does not look at it.
std::vector<uint8_t> buildSynFrame(const Prefix& source, uint16_t destinationPort);

}  // namespace xdpguard
