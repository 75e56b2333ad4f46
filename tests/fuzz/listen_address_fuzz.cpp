// parseListenAddress on arbitrary text (the exporter's --listen): it accepts
// only IPv4:PORT (this build's civetweb has no IPv6) and hands it on
// unchanged, or throws Error(BadInput). Command-line arguments cannot hold a
// NUL byte, so inputs with one are not asked.
#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "exporter.hpp"
#include "fuzz_check.hpp"

using namespace xdpguard;
using fuzz::require;

namespace {

// A dotted quad: four decimal numbers 0-255.
bool dottedQuad(std::string_view host) {
    for (int part = 0; part < 4; ++part) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(host.data(), host.data() + host.size(), value);
        const size_t digits = static_cast<size_t>(end - host.data());
        if (ec != std::errc() || digits == 0 || digits > 3 || value > 255) return false;
        host.remove_prefix(digits);
        if (part < 3) {
            if (host.empty() || host[0] != '.') return false;
            host.remove_prefix(1);
        }
    }
    return host.empty();
}

bool decimalPort(std::string_view port) {
    if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
        return false;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    return ec == std::errc() && value <= 65535;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(fuzz::asText(data, size));
    if (text.find('\0') != std::string::npos) return 0;
    std::string civetweb;
    try {
        civetweb = parseListenAddress(text);
    } catch (const Error& e) {
        require(e.kind() == ErrorKind::BadInput, "a bad address is BadInput", text);
        require(std::string(e.what()).find(text) != std::string::npos,
                "the error names the address", e.what());
        return 0;
    }
    require(civetweb == text, "an accepted address is passed on as written", text);
    const size_t colon = text.rfind(':');
    require(colon != std::string::npos && dottedQuad(std::string_view(text).substr(0, colon)) &&
                decimalPort(std::string_view(text).substr(colon + 1)),
            "only IPv4:PORT is accepted", text);
    return 0;
}
