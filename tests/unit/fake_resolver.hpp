// A DnsResolver over an in-memory zone, for SPF tests: answers per name and
// type with TTLs, NXDOMAIN for names it has never heard of, NODATA for a
// known name without records of the asked type, TempFail where told, and a
// log of every question asked. Below it, helpers to flatten against it.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dns.hpp"
#include "spf.hpp"

namespace xdpguard::testing {

class FakeResolver : public DnsResolver {
public:
    enum class Type { Txt, A, Aaaa, Mx };

    FakeResolver& addTxt(const std::string& name, const std::string& text, uint32_t ttl = 3600) {
        return add(Type::Txt, name, text, ttl);
    }
    FakeResolver& addA(const std::string& name, const std::string& address, uint32_t ttl = 3600) {
        return add(Type::A, name, address, ttl);
    }
    FakeResolver& addAaaa(const std::string& name, const std::string& address,
                          uint32_t ttl = 3600) {
        return add(Type::Aaaa, name, address, ttl);
    }
    FakeResolver& addMx(const std::string& name, const std::string& exchange, uint32_t ttl = 3600) {
        return add(Type::Mx, name, exchange, ttl);
    }
    // The name exists (so other types answer NODATA) but has no `type` records.
    FakeResolver& addName(const std::string& name) {
        known_.insert(name);
        return *this;
    }
    FakeResolver& tempFail(Type type, const std::string& name) {
        known_.insert(name);
        tempFails_.insert({type, name});
        return *this;
    }

    DnsAnswer txt(const std::string& name) override { return answer(Type::Txt, name); }
    DnsAnswer a(const std::string& name) override { return answer(Type::A, name); }
    DnsAnswer aaaa(const std::string& name) override { return answer(Type::Aaaa, name); }
    DnsAnswer mx(const std::string& name) override { return answer(Type::Mx, name); }

    // Every question asked, in order, as "TXT example.test".
    const std::vector<std::string>& log() const { return log_; }
    size_t asked(const std::string& question) const {
        return static_cast<size_t>(std::count(log_.begin(), log_.end(), question));
    }

private:
    struct Records {
        std::vector<std::string> values;
        uint32_t minTtl = UINT32_MAX;
    };

    FakeResolver& add(Type type, const std::string& name, const std::string& value, uint32_t ttl) {
        known_.insert(name);
        Records& records = zone_[{type, name}];
        records.values.push_back(value);
        records.minTtl = std::min(records.minTtl, ttl);
        return *this;
    }

    DnsAnswer answer(Type type, const std::string& name) {
        static const char* const kTypeNames[] = {"TXT", "A", "AAAA", "MX"};
        log_.push_back(std::string(kTypeNames[static_cast<int>(type)]) + " " + name);
        DnsAnswer result;
        if (tempFails_.count({type, name})) {
            result.status = DnsAnswer::Status::TempFail;
            result.error = "SERVFAIL";
        } else if (!known_.count(name)) {
            result.status = DnsAnswer::Status::NxDomain;
        } else if (auto found = zone_.find({type, name}); found != zone_.end()) {
            result.records = found->second.values;
            result.minTtl = found->second.minTtl;
        }
        return result;
    }

    std::set<std::string> known_;
    std::map<std::pair<Type, std::string>, Records> zone_;
    std::set<std::pair<Type, std::string>> tempFails_;
    std::vector<std::string> log_;
};

// Flattening against a FakeResolver.

using Strings = std::vector<std::string>;

// A zone in which example.test publishes `record`; add the rest.
inline FakeResolver withPolicy(const std::string& record) {
    FakeResolver dns;
    dns.addTxt("example.test", record);
    return dns;
}

inline Strings flattened(FakeResolver& dns, const std::string& domain = "example.test") {
    Strings out;
    for (const Prefix& prefix : flattenSpf(domain, dns).prefixes) out.push_back(prefix.str());
    return out;
}

struct SpfFailureReport {
    SpfFailure failure = SpfFailure::PermError;
    std::string message;
};

inline SpfFailureReport failureOf(FakeResolver& dns, const std::string& domain = "example.test") {
    try {
        flattenSpf(domain, dns);
    } catch (const SpfError& e) {
        return {e.failure(), e.what()};
    }
    FAIL("flattening " << domain << " succeeded");
    return {};
}

}  // namespace xdpguard::testing
