// What a fuzz target asserts. A broken property prints what was expected and
// aborts, which libFuzzer reports as a crash and saves the input; an
// exception the function's contract does not allow escapes the target and
// aborts the same way (std::terminate).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace xdpguard::fuzz {

[[noreturn]] inline void violated(const std::string& property) {
    std::fprintf(stderr, "fuzz property violated: %s\n", property.c_str());
    std::abort();
}

// True if `text` could be an SPF record by its characters alone: terms of
// visible ASCII separated by spaces (RFC 7208 12: VCHAR, SP).
inline bool spfCharactersOnly(std::string_view text) {
    for (char c : text)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

inline std::string_view asText(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The input quoted for a message: printable ASCII kept, the rest as \xNN.
inline std::string quoted(std::string_view text) {
    std::string out = "'";
    for (unsigned char c : text) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    return out + "'";
}

// Aborts unless `holds`, naming the property and the input it failed for.
// The message is put together only on failure: a target runs thousands of
// times a second.
inline void require(bool holds, std::string_view property, std::string_view input = {}) {
    if (!holds) violated(std::string(property) + (input.empty() ? "" : ": " + quoted(input)));
}

}  // namespace xdpguard::fuzz
