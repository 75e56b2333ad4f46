// An IPv4 or IPv6 network prefix in canonical form (no host bits set).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "abi.hpp"

namespace xdpguard {

enum class Family : uint8_t { V4, V6 };

class Prefix {
public:
    // Parses "192.0.2.0/24", "2001:db8::/32", or a bare address (a host
    // prefix, /32 or /128). Throws Error(BadInput) naming the text and, when
    // host bits are set, the canonical prefix the user probably meant.
    static Prefix parse(std::string_view text);

    Family family() const { return family_; }
    unsigned length() const { return length_; }
    unsigned maxLength() const { return family_ == Family::V4 ? 32 : 128; }
    // Address bytes in network order; only the first 4 are used for IPv4.
    const std::array<uint8_t, 16>& bytes() const { return bytes_; }
    std::string str() const;

    xg_lpm_v4 keyV4() const;
    xg_lpm_v6 keyV6() const;
    static Prefix fromKey(const xg_lpm_v4& key);
    static Prefix fromKey(const xg_lpm_v6& key);

    // True if `address` (a host prefix of the same family) lies inside.
    bool contains(const Prefix& address) const;

    // Family, then address, then length: sorted lists read naturally. Hand
    // written because the defaulted one compares through memcmp, which
    // dominated planning a change to a 100k-prefix allowlist.
    std::strong_ordering operator<=>(const Prefix& other) const;
    bool operator==(const Prefix& other) const = default;

private:
    Prefix(Family family, const std::array<uint8_t, 16>& bytes, unsigned length);

    Family family_ = Family::V4;
    std::array<uint8_t, 16> bytes_{};
    uint8_t length_ = 0;
};

}  // namespace xdpguard
