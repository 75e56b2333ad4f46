#include "prefix.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <optional>
#include <cstring>

#include "error.hpp"

namespace xdpguard {
namespace {

// Clears the bits after `length`; returns true if any was set.
bool clearHostBits(std::array<uint8_t, 16>& bytes, unsigned length, unsigned maxLength) {
    bool hadHostBits = false;
    for (unsigned bit = length; bit < maxLength; ++bit) {
        uint8_t mask = static_cast<uint8_t>(0x80u >> (bit % 8));
        if (bytes[bit / 8] & mask) hadHostBits = true;
        bytes[bit / 8] &= static_cast<uint8_t>(~mask);
    }
    return hadHostBits;
}

std::optional<unsigned> parseLength(std::string_view text, unsigned maxLength) {
    unsigned value = 0;
    if (text.empty() || text.size() > 3) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > maxLength)
        return std::nullopt;
    return value;
}

}  // namespace

Prefix::Prefix(Family family, const std::array<uint8_t, 16>& bytes, unsigned length)
    : family_(family), bytes_(bytes), length_(static_cast<uint8_t>(length)) {}

Prefix Prefix::parse(std::string_view text) {
    const std::string input(text);
    if (input.empty()) badInput("empty prefix: expected an address or CIDR such as 192.0.2.0/24");
    // inet_pton() reads a C string: a NUL inside would cut the text short
    // and accept what precedes it.
    if (input.find_first_not_of("0123456789abcdefABCDEF:./") != std::string::npos)
        badInput("'" + printable(input) + "' is not a valid IPv4 or IPv6 address or prefix");
    const auto slash = input.find('/');
    const std::string address = input.substr(0, slash);

    std::array<uint8_t, 16> bytes{};
    Family family;
    if (address.find(':') != std::string::npos) {
        family = Family::V6;
        if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1)
            badInput("'" + input + "' is not a valid IPv6 address or prefix");
    } else {
        family = Family::V4;
        // inet_pton accepts only the dotted quad (no "10.1" shorthand).
        if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1)
            badInput("'" + input + "' is not a valid IPv4 or IPv6 address or prefix");
    }
    const unsigned maxLength = family == Family::V4 ? 32 : 128;
    unsigned length = maxLength;
    if (slash != std::string::npos) {
        auto parsed = parseLength(std::string_view(input).substr(slash + 1), maxLength);
        if (!parsed)
            badInput("'" + input + "': prefix length must be a number from 0 to " +
                     std::to_string(maxLength));
        length = *parsed;
    }
    std::array<uint8_t, 16> canonical = bytes;
    if (clearHostBits(canonical, length, maxLength)) {
        Prefix suggestion(family, canonical, length);
        badInput("'" + input + "' has host bits set; did you mean " + suggestion.str() + "?");
    }
    return Prefix(family, canonical, length);
}

std::string Prefix::str() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    inet_ntop(family_ == Family::V4 ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
    return std::string(buffer) + "/" + std::to_string(length_);
}

xg_lpm_v4 Prefix::keyV4() const {
    xg_lpm_v4 key{};
    key.prefixlen = length_;
    std::memcpy(&key.addr, bytes_.data(), sizeof key.addr);
    return key;
}

xg_lpm_v6 Prefix::keyV6() const {
    xg_lpm_v6 key{};
    key.prefixlen = length_;
    std::memcpy(key.addr, bytes_.data(), sizeof key.addr);
    return key;
}

Prefix Prefix::fromKey(const xg_lpm_v4& key) {
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &key.addr, sizeof key.addr);
    return Prefix(Family::V4, bytes, key.prefixlen);
}

Prefix Prefix::fromKey(const xg_lpm_v6& key) {
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), key.addr, sizeof key.addr);
    return Prefix(Family::V6, bytes, key.prefixlen);
}

std::strong_ordering Prefix::operator<=>(const Prefix& other) const {
    if (auto order = family_ <=> other.family_; order != 0) return order;
    for (size_t half = 0; half < 2; ++half) {
        uint64_t mine, theirs;
        std::memcpy(&mine, bytes_.data() + 8 * half, 8);
        std::memcpy(&theirs, other.bytes_.data() + 8 * half, 8);
        if (mine != theirs) return __builtin_bswap64(mine) <=> __builtin_bswap64(theirs);
    }
    return length_ <=> other.length_;
}

bool Prefix::contains(const Prefix& address) const {
    if (address.family_ != family_ || address.length_ < length_) return false;
    std::array<uint8_t, 16> masked = address.bytes_;
    clearHostBits(masked, length_, maxLength());
    return masked == bytes_;
}

}  // namespace xdpguard
