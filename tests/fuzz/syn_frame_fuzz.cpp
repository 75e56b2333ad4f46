// buildSynFrame (what `xdpguard check` runs through the program) for any
// source address and port: the frame reads back, by frame_oracle.hpp, as
// exactly that SYN, with consistent lengths and a valid IPv4 checksum, and
// is judged the way `check` reports it.
//
// Input: byte 0 bit 0 picks IPv6, then 16 address bytes (IPv4 uses the
// first 4) and a big-endian port; short inputs are zero-padded.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "frame_oracle.hpp"
#include "fuzz_check.hpp"
#include "syn_frame.hpp"

using namespace xdpguard;
using fuzz::require;

namespace {

// RFC 1071: the one's-complement sum of a header with its checksum is 0xffff.
bool ipv4ChecksumValid(std::span<const uint8_t> header) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < header.size(); i += 2) sum += header[i] << 8 | header[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

void checkNetworkHeader(fuzz::FrameReader& reader, bool ipv6, const std::string& what) {
    const auto frame = reader.frame();
    const size_t l3 = reader.l3();
    if (ipv6) {
        require(reader.has(l3, 40) && frame[l3] >> 4 == 6 && frame[l3 + 6] == IPPROTO_TCP,
                what + ": IPv6 header, next header TCP");
        require(reader.be16(l3 + 4) == frame.size() - l3 - 40, what + ": IPv6 payload length");
        return;
    }
    require(reader.has(l3, 20) && frame[l3] == 0x45 && frame[l3 + 9] == IPPROTO_TCP,
            what + ": IPv4 header of 20 bytes, protocol TCP");
    require(reader.be16(l3 + 2) == frame.size() - l3, what + ": IPv4 total length");
    require((reader.be16(l3 + 6) & 0x3fff) == 0, what + ": not a fragment");
    require(ipv4ChecksumValid(frame.subspan(l3, 20)), what + ": IPv4 header checksum");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::array<uint8_t, 19> input{};
    std::memcpy(input.data(), data, std::min(size, input.size()));
    const bool ipv6 = input[0] & 1;
    const Prefix source = fuzz::hostPrefix(ipv6, &input[1]);
    const uint16_t port = static_cast<uint16_t>(input[17] << 8 | input[18]);
    const std::string what = "SYN from " + source.str() + " to port " + std::to_string(port);

    const std::vector<uint8_t> frame = buildSynFrame(source, port);
    fuzz::FrameReader reader(frame);
    require(reader.etherType() == (ipv6 ? ETH_P_IPV6 : ETH_P_IP) && reader.l3() == ETH_HLEN,
            what + ": untagged Ethernet of the source's family");
    checkNetworkHeader(reader, ipv6, what);
    require(reader.sourceAddress(ipv6) == source, what + ": source address");
    const size_t l4 = reader.l3() + (ipv6 ? 40 : 20);
    require(frame.size() == l4 + 20, what + ": a bare TCP header ends the frame");
    const fuzz::TcpFacts tcp = reader.tcpAt(l4);
    require(tcp.destinationPort == port && tcp.flags == 0x02 && tcp.dataOffset == 5,
            what + ": TCP SYN (only) to the port, 20-byte header");

    const fuzz::Expected outside = fuzz::expectedVerdict(frame, {});
    require(outside == (port == fuzz::kProtectedPort ? fuzz::Expected::Drop : fuzz::Expected::Pass),
            what + ": judged as a SYN from outside the allowlist");
    require(fuzz::expectedVerdict(frame, {source}) == fuzz::Expected::Pass,
            what + ": passes when the source is allowlisted");
    return 0;
}
