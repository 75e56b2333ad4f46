// Prefix::parse on arbitrary text: it returns a canonical prefix or throws
// Error(BadInput), and whatever it accepts is written in CIDR notation and
// reads back as itself.
#include <cstdint>
#include <optional>
#include <string>

#include "error.hpp"
#include "fuzz_check.hpp"
#include "prefix.hpp"

using namespace xdpguard;
using fuzz::require;

namespace {

// Address and length characters only: no space, sign, NUL or other
// trailing text may ride along with an accepted prefix.
bool cidrCharactersOnly(std::string_view text) {
    return text.find_first_not_of("0123456789abcdefABCDEF.:/") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::asText(data, size);
    std::optional<Prefix> parsed;
    try {
        parsed = Prefix::parse(text);
    } catch (const Error& e) {
        require(e.kind() == ErrorKind::BadInput, "a refused prefix is BadInput", text);
        return 0;
    }
    const Prefix& prefix = *parsed;
    require(cidrCharactersOnly(text), "an accepted prefix has only CIDR characters", text);
    require(prefix.length() <= prefix.maxLength(), "the length fits the family", text);
    const std::string written = prefix.str();
    require(Prefix::parse(written) == prefix, "reads back from its own text", text);
    const Prefix fromKey = prefix.family() == Family::V4 ? Prefix::fromKey(prefix.keyV4())
                                                         : Prefix::fromKey(prefix.keyV6());
    require(fromKey == prefix, "survives its LPM key", text);
    require(prefix.contains(Prefix::parse(written.substr(0, written.find('/')))),
            "contains its own network address", text);
    return 0;
}
