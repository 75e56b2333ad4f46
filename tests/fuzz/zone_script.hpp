// The fuzz input of the SPF flattener: a small zone written as text and
// served by the unit tests' FakeResolver, so that the records, the DNS
// failures and the names all come from the fuzzer. One statement a line:
//
//   domain NAME        the domain to flatten (default example.test)
//   ttl SECONDS        TTL of the records below (default 3600)
//   txt NAME TEXT      TEXT is the rest of the line, spaces and any byte included
//   a NAME TEXT        an A answer; TEXT is not checked (resolvers can lie)
//   aaaa NAME TEXT
//   mx NAME TEXT       an exchange host name
//   name NAME          NAME exists but has no records (NODATA)
//   fail TYPE NAME     TYPE (txt, a, aaaa, mx) lookups of NAME time out
//
// Unknown lines are ignored; names not mentioned are NXDOMAIN.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../unit/fake_resolver.hpp"

namespace xdpguard::fuzz {

struct Zone {
    testing::FakeResolver dns;
    std::string domain = "example.test";
    uint32_t largestTtl = 0;
    std::map<std::string, std::vector<std::string>> txt;  // what dns serves, by name
};

namespace detail {

// Splits off the first space-separated word of `line`.
inline std::string_view word(std::string_view& line) {
    const size_t space = line.find(' ');
    const std::string_view first = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    return first;
}

inline std::optional<testing::FakeResolver::Type> typeOf(std::string_view text) {
    using Type = testing::FakeResolver::Type;
    static constexpr std::pair<std::string_view, Type> kTypes[] = {
        {"txt", Type::Txt}, {"a", Type::A}, {"aaaa", Type::Aaaa}, {"mx", Type::Mx}};
    for (const auto& [name, type] : kTypes)
        if (name == text) return type;
    return std::nullopt;
}

}  // namespace detail

inline Zone zoneFromScript(std::string_view script) {
    using Type = testing::FakeResolver::Type;
    Zone zone;
    uint32_t ttl = 3600;
    while (!script.empty()) {
        const size_t newline = std::min(script.find('\n'), script.size());
        std::string_view line = script.substr(0, newline);
        script = script.substr(std::min(newline + 1, script.size()));
        const std::string_view keyword = detail::word(line);
        if (keyword == "domain") {
            zone.domain = std::string(line);
        } else if (keyword == "ttl") {
            std::from_chars(line.data(), line.data() + line.size(), ttl);
        } else if (keyword == "name") {
            zone.dns.addName(std::string(line));
        } else if (keyword == "fail") {
            if (const auto type = detail::typeOf(detail::word(line)))
                zone.dns.tempFail(*type, std::string(line));
        } else if (const auto type = detail::typeOf(keyword)) {
            const std::string name(detail::word(line));
            const std::string value(line);
            switch (*type) {
            case Type::Txt:
                zone.dns.addTxt(name, value, ttl);
                zone.txt[name].push_back(value);
                break;
            case Type::A: zone.dns.addA(name, value, ttl); break;
            case Type::Aaaa: zone.dns.addAaaa(name, value, ttl); break;
            case Type::Mx: zone.dns.addMx(name, value, ttl); break;
            }
            zone.largestTtl = std::max(zone.largestTtl, ttl);
        }
    }
    return zone;
}

}  // namespace xdpguard::fuzz
