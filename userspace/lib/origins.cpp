#include "origins.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>
#include <ctime>
#include <vector>

#include "abi.hpp"
#include "error.hpp"
#include "map_walk.hpp"

namespace xdpguard {
namespace {

xg_origin_key makeKey(const Prefix& prefix, const std::string& source) {
    xg_origin_key key{};
    key.family = prefix.family() == Family::V4 ? XG_FAMILY_V4 : XG_FAMILY_V6;
    key.prefixlen = prefix.length();
    std::memcpy(key.addr, prefix.bytes().data(), sizeof key.addr);
    std::memcpy(key.source, source.data(), source.size());
    return key;
}

Prefix prefixOf(const xg_origin_key& key) {
    if (key.family == XG_FAMILY_V6) {
        xg_lpm_v6 lpm{};
        lpm.prefixlen = key.prefixlen;
        std::memcpy(lpm.addr, key.addr, sizeof lpm.addr);
        return Prefix::fromKey(lpm);
    }
    xg_lpm_v4 lpm{};
    lpm.prefixlen = key.prefixlen;
    std::memcpy(&lpm.addr, key.addr, sizeof lpm.addr);
    return Prefix::fromKey(lpm);
}

std::string sourceOf(const xg_origin_key& key) {
    return std::string(key.source, strnlen(key.source, sizeof key.source));
}

template <typename Visit>
void forEachOrigin(int fd, Visit&& visit) {
    forEachKey<xg_origin_key>(fd, "the allowlist sources", visit);
}

}  // namespace

void validateSourceName(const std::string& source) {
    if (source.empty() || source.size() >= XG_SOURCE_NAME_MAX)
        badInput("source name '" + printable(source) + "' must be 1 to " + std::to_string(XG_SOURCE_NAME_MAX - 1) +
                 " characters");
    for (unsigned char c : source)
        if (c <= ' ' || c >= 0x7f || c == ',')
            badInput("source name '" + printable(source) + "' may contain only printable characters, no spaces or commas");
    const bool typed = (source.rfind("file:", 0) == 0 || source.rfind("spf:", 0) == 0) && source.find(':') + 1 < source.size();
    if (source != kManualSource && source != "config" && !typed)
        badInput("source name '" + source + "' must be manual, config, file:NAME or spf:DOMAIN");
}

OriginMap Origins::all() const {
    struct Record {
        Prefix prefix;
        uint32_t ruleId;
        size_t key;  // index into `all`
    };
    std::vector<Record> records;
    std::vector<xg_origin_key> all;
    forEachEntryBatched<xg_origin_key, xg_origin>(
        maps_.origins.get(), "the allowlist sources", [&](const xg_origin_key& key, const xg_origin& value) {
            records.push_back({prefixOf(key), value.rule_id, all.size()});
            all.push_back(key);
        });
    // Sorted first, the map is built by appending: at 100k records that is
    // several times faster than inserting in the hash map's order.
    std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.prefix < b.prefix; });
    OriginMap origins;
    for (const Record& record : records) {
        auto it = origins.empty() || std::prev(origins.end())->first != record.prefix
                      ? origins.emplace_hint(origins.end(), record.prefix, PrefixOrigin{})
                      : std::prev(origins.end());
        PrefixOrigin& origin = it->second;
        if (!origin.sources.empty() && record.ruleId != origin.ruleId &&
            std::find(origin.strayIds.begin(), origin.strayIds.end(), record.ruleId) == origin.strayIds.end())
            origin.strayIds.push_back(record.ruleId);
        if (origin.sources.empty()) origin.ruleId = record.ruleId;
        origin.sources.insert(sourceOf(all[record.key]));
    }
    return origins;
}

std::set<Prefix> Origins::of(const std::string& source) const {
    std::set<Prefix> prefixes;
    forEachOrigin(maps_.origins.get(), [&](const xg_origin_key& key) {
        if (sourceOf(key) == source) prefixes.insert(prefixOf(key));
    });
    return prefixes;
}

size_t Origins::size() const {
    size_t count = 0;
    forEachOrigin(maps_.origins.get(), [&](const xg_origin_key&) { ++count; });
    return count;
}

size_t Origins::capacity() const {
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(maps_.origins.get(), &info, &length))
        failErrno(errno, "read the allowlist source map info");
    return info.max_entries;
}

std::optional<uint32_t> Origins::ruleIdOf(const Prefix& prefix, const std::string& source) const {
    const xg_origin_key key = makeKey(prefix, source);
    xg_origin value{};
    if (bpf_map_lookup_elem(maps_.origins.get(), &key, &value) == 0) return value.rule_id;
    if (errno != ENOENT) failErrno(errno, "look up whether " + source + " lists " + prefix.str());
    return std::nullopt;
}

void Origins::addNew(const std::vector<Prefix>& prefixes, const std::string& source, const RuleIds& ruleIds) {
    std::vector<xg_origin_key> keys;
    std::vector<xg_origin> values;
    const auto now = static_cast<uint64_t>(std::time(nullptr));
    for (const Prefix& prefix : prefixes) {
        keys.push_back(makeKey(prefix, source));
        values.push_back({now, ruleIds.at(prefix), 0});
    }
    // A failure leaves records whose prefixes are not in the tries yet:
    // ghosts the next change completes (see AllowlistEditor::apply).
    for (size_t done = 0; done < keys.size();) {
        const auto requested = static_cast<uint32_t>(keys.size() - done);
        uint32_t count = requested;
        if (bpf_map_update_batch(maps_.origins.get(), keys.data() + done, values.data() + done, &count, nullptr)) {
            const std::string what = count < requested ? prefixes[done + count].str()
                                                       : std::to_string(keys.size() - done) + " prefixes";
            failErrno(errno, "record " + what + " as listed by " + source);
        }
        done += count;
    }
}

void Origins::setRuleId(const Prefix& prefix, const std::string& source, uint32_t ruleId) {
    const xg_origin_key key = makeKey(prefix, source);
    xg_origin value{static_cast<uint64_t>(std::time(nullptr)), ruleId, 0};
    xg_origin recorded{};
    if (bpf_map_lookup_elem(maps_.origins.get(), &key, &recorded) == 0) value.added_unix = recorded.added_unix;
    if (bpf_map_update_elem(maps_.origins.get(), &key, &value, BPF_ANY))
        failErrno(errno, "record " + prefix.str() + " as listed by " + source);
}

void Origins::add(const Prefix& prefix, const std::string& source, uint32_t ruleId) {
    const xg_origin_key key = makeKey(prefix, source);
    const xg_origin value{static_cast<uint64_t>(std::time(nullptr)), ruleId, 0};
    // BPF_NOEXIST keeps the first listing time; EEXIST means already listed.
    if (bpf_map_update_elem(maps_.origins.get(), &key, &value, BPF_NOEXIST) && errno != EEXIST)
        failErrno(errno, "record " + prefix.str() + " as listed by " + source);
}

void Origins::remove(const Prefix& prefix, const std::string& source) {
    const xg_origin_key key = makeKey(prefix, source);
    if (bpf_map_delete_elem(maps_.origins.get(), &key) && errno != ENOENT)
        failErrno(errno, "forget that " + source + " lists " + prefix.str());
}

std::string joinSources(const std::set<std::string>& sources) {
    std::string joined;
    for (const std::string& source : sources) joined += (joined.empty() ? "" : ",") + source;
    return joined;
}

}  // namespace xdpguard
