// [prog_run] The prefilter's deeper levels (xg_block_hosts): SYNs from a
// /24 that only longer prefixes cover are decided by the block's bitmap
// (IPv4 hosts, IPv6 /32s), and IPv6 ones from such a /32 by its bitmap of
// /40s, which follow every change without ever denying a listed source;
// an entry without a slot, or with the words of an interrupted write, is
// left to the trie.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>

#include "block_hosts.hpp"
#include "prog_run_fixture.hpp"

namespace xdpguard::test {
namespace {

constexpr uint32_t kBlock = 0xC00002;  // 192.0.2.0/24

// The bitmap the block's slot holds, if it holds the block whole.
std::optional<BlockHosts::Hosts> bitmapOf(const Filter& filter, uint32_t block = kBlock) {
    size_t mixed = 0;
    const auto all = BlockHosts(filter.maps()).all(BlockHosts::Level::Block, &mixed);
    CHECK(mixed == 0);
    const auto it = all.find(block);
    return it == all.end() ? std::nullopt : std::optional(it->second);
}

// Hosts first..last of a block.
BlockHosts::Hosts hosts(unsigned first, unsigned last) {
    BlockHosts::Hosts bits{};
    for (unsigned host = first; host <= last; ++host) bits[host / 64] |= 1ULL << (host % 64);
    return bits;
}

}  // namespace

TEST_CASE("A SYN from a /24 only longer prefixes cover follows the block's host bitmap through every change",
          "[prog_run]") {
    Filter filter({"192.0.2.8/29"});
    REQUIRE(bitmapOf(filter) == hosts(8, 15));
    filter.check({{"a gateway in the /29 passes", synV4("192.0.2.9"), passesCrediting("192.0.2.8/29")},
                  {"its /24 neighbour is dropped", synV4("192.0.2.20"), deniedV4("192.0.2.0/24")}});

    // A /24 over the block: the trie decides there, before the /24 is in it.
    filter.allowlist().add({Prefix::parse("192.0.2.0/24")});
    CHECK_FALSE(bitmapOf(filter));
    filter.check({{"the neighbour passes under the /24", synV4("192.0.2.20"), passesCrediting("192.0.2.0/24")},
                  {"the gateway still credits the /29", synV4("192.0.2.9"), passesCrediting("192.0.2.8/29")}});

    // The /24 goes: the bitmap comes back from what remains.
    filter.allowlist().remove({Prefix::parse("192.0.2.0/24")});
    CHECK(bitmapOf(filter) == hosts(8, 15));
    filter.check({"the neighbour is dropped again", synV4("192.0.2.20"), deniedV4("192.0.2.0/24")});

    // Another long prefix in the block joins the bitmap.
    filter.allowlist().add({Prefix::parse("192.0.2.64/26")});
    BlockHosts::Hosts both = hosts(8, 15);
    for (size_t i = 0; i < both.size(); ++i) both[i] |= hosts(64, 127)[i];
    CHECK(bitmapOf(filter) == both);
    filter.check({{"a host of the /26 passes", synV4("192.0.2.70"), passesCrediting("192.0.2.64/26")},
                  {"a host between them is dropped", synV4("192.0.2.40"), deniedV4("192.0.2.0/24")}});

    filter.allowlist().remove({Prefix::parse("192.0.2.8/29")});
    CHECK(bitmapOf(filter) == hosts(64, 127));
    filter.check({"the removed /29's host is dropped", synV4("192.0.2.9"), deniedV4("192.0.2.0/24")});
    filter.allowlist().remove({Prefix::parse("192.0.2.64/26")});
    CHECK_FALSE(bitmapOf(filter));
}

// An IPv4 block other than those given whose first slot is `slot` (any
// addresses: no frame comes from them), as a /32 in it.
Prefix squatter(uint32_t slot, uint32_t shift, const std::vector<uint32_t>& besides) {
    for (uint32_t block = 1; block < (1u << 24); ++block)
        if (XG_BLOCK_SLOT(block, 0, shift) == slot &&
            std::find(besides.begin(), besides.end(), block) == besides.end())
            return Prefix::parse(std::to_string(block >> 16) + "." + std::to_string((block >> 8) & 255) + "." +
                                 std::to_string(block & 255) + ".1/32");
    FAIL("no block has slot " << slot);
    return Prefix::parse("0.0.0.0/0");
}

uint32_t blockOf(const Prefix& host) {
    const auto& b = host.bytes();
    return (uint32_t(b[0]) << 16) | (uint32_t(b[1]) << 8) | b[2];
}

TEST_CASE("A block whose two slots blocks hold that cannot move has no bitmap, and the trie decides its SYNs",
          "[prog_run]") {
    Filter filter(std::vector<std::string>{});
    const uint32_t shift = BlockHosts(filter.maps()).slotShift();
    // Two blocks in 192.0.2.0/24's slots, each with its other slot taken.
    std::vector<Prefix> holders, blockers;
    for (uint32_t way = 0; way < 2; ++way) {
        holders.push_back(squatter(XG_BLOCK_SLOT(kBlock, way, shift), shift, {kBlock}));
        blockers.push_back(squatter(XG_BLOCK_SLOT(blockOf(holders.back()), 1, shift), shift,
                                    {kBlock, blockOf(holders.back())}));
    }
    filter.allowlist().add(blockers);
    filter.allowlist().add(holders);
    filter.allowlist().add({Prefix::parse("192.0.2.8/29")});
    CHECK_FALSE(bitmapOf(filter));
    for (const Prefix& holder : holders) CHECK(bitmapOf(filter, blockOf(holder)));
    filter.check({{"a gateway in the /29 passes", synV4("192.0.2.9"), passesCrediting("192.0.2.8/29")},
                  {"its /24 neighbour is dropped by the trie", synV4("192.0.2.20"), deniedV4("192.0.2.0/24")}});
}

TEST_CASE("A block whose slots others hold gets one when a holder can move, and the holder keeps its bitmap",
          "[prog_run]") {
    Filter filter(std::vector<std::string>{});
    const uint32_t shift = BlockHosts(filter.maps()).slotShift();
    std::vector<Prefix> holders;
    for (uint32_t way = 0; way < 2; ++way)
        holders.push_back(squatter(XG_BLOCK_SLOT(kBlock, way, shift), shift, {kBlock}));
    filter.allowlist().add(holders);
    filter.allowlist().add({Prefix::parse("192.0.2.8/29")});
    CHECK(bitmapOf(filter) == hosts(8, 15));
    for (const Prefix& holder : holders) CHECK(bitmapOf(filter, blockOf(holder)) == hosts(1, 1));
    filter.check({{"a gateway in the /29 passes", synV4("192.0.2.9"), passesCrediting("192.0.2.8/29")},
                  {"its /24 neighbour is dropped", synV4("192.0.2.20"), deniedV4("192.0.2.0/24")}});
}

TEST_CASE("The words of an interrupted bitmap write are emptied by the next add, never trusted", "[prog_run]") {
    Filter filter({"192.0.2.8/29"});
    const uint32_t shift = BlockHosts(filter.maps()).slotShift();
    // As if the controller died writing the block's slot: its first four
    // words (hosts 0-127) carry the block's tag, the others are empty.
    uint32_t slot = XG_BLOCK_SLOT(kBlock, 0, shift);
    xg_block_hosts value{};
    REQUIRE(bpf_map_lookup_elem(filter.maps().blockHosts.get(), &slot, &value) == 0);
    if (value.words[0] == 0) {  // the block sits in its second slot
        slot = XG_BLOCK_SLOT(kBlock, 1, shift);
        REQUIRE(bpf_map_lookup_elem(filter.maps().blockHosts.get(), &slot, &value) == 0);
    }
    REQUIRE((value.words[0] >> 32) == XG_BLOCK_TAG(kBlock));
    for (size_t i = 4; i < XG_BLOCK_WORDS; ++i) value.words[i] = 0;
    REQUIRE(bpf_map_update_elem(filter.maps().blockHosts.get(), &slot, &value, BPF_ANY) == 0);

    // An add inside the tagged half: keeping those words would deny it.
    filter.allowlist().add({Prefix::parse("192.0.2.40/32")});
    size_t mixed = 0;
    CHECK_FALSE(BlockHosts(filter.maps()).all(BlockHosts::Level::Block, &mixed).count(kBlock));
    CHECK(mixed == 0);
    filter.check({{"the added host passes", synV4("192.0.2.40"), passesCrediting("192.0.2.40/32")},
                  {"the gateway passes", synV4("192.0.2.9"), passesCrediting("192.0.2.8/29")},
                  {"a neighbour is dropped by the trie", synV4("192.0.2.20"), deniedV4("192.0.2.0/24")}});
}

}  // namespace xdpguard::test

namespace xdpguard::test {

// A bitmap can outlive its prefix when an insert is rolled back (the trie
// entry goes, the prefilter bit and bitmap stay: both only supersets). When
// the bit then clears, the bitmap must go with it: a later short prefix
// clears only the bitmaps of blocks whose bit was set.
TEST_CASE("A bitmap left by a rolled-back add goes when its block's bit clears, not denying a later /16",
          "[prog_run]") {
    Filter filter({"192.0.2.8/29", "192.0.3.0/28"});
    REQUIRE(bitmapOf(filter) == hosts(8, 15));
    // As Allowlist::insert's rollback does: the trie entry goes, nothing else.
    const xg_lpm_v4 key = Prefix::parse("192.0.2.8/29").keyV4();
    REQUIRE(bpf_map_delete_elem(filter.maps().allowV4.get(), &key) == 0);

    // The /28 goes: the tries hold nothing in 192.0.2.0/24 or 192.0.3.0/24,
    // so both bits clear, and the orphaned bitmap with them.
    filter.allowlist().remove({Prefix::parse("192.0.3.0/28")});
    CHECK_FALSE(bitmapOf(filter));

    filter.allowlist().add({Prefix::parse("192.0.0.0/16")});
    filter.check({{"a host of the /16 in the old /29's block passes", synV4("192.0.2.100"),
                   passesCrediting("192.0.0.0/16")},
                  {"and one of the old /29", synV4("192.0.2.9"), passesCrediting("192.0.0.0/16")}});
}

}  // namespace xdpguard::test

namespace xdpguard::test {

// A trie key written by hand (bpftool) may carry host bits; the controller
// adopts it as it is, and the kernel matches only its prefix bits.
TEST_CASE("A bitmap rebuilt from a trie key with host bits covers the whole prefix", "[prog_run]") {
    Filter filter({"192.0.2.0/28"});
    const xg_lpm_v4 key{25, htonl(0xC00002C8)};  // 192.0.2.200/25
    const xg_rule rule{500};
    REQUIRE(bpf_map_update_elem(filter.maps().allowV4.get(), &key, &rule, BPF_NOEXIST) == 0);

    // Removing the /28 rebuilds the block's bitmap from what the tries hold.
    filter.allowlist().remove({Prefix::parse("192.0.2.0/28")});
    CHECK(bitmapOf(filter) == hosts(128, 255));
    CHECK(filter.run(synV4("192.0.2.150")) == XDP_PASS);
    CHECK(filter.run(synV4("192.0.2.9")) == XDP_DROP);
}

}  // namespace xdpguard::test

namespace xdpguard::test {

// IPv6: a /24 is shared by many networks, so a block's bits are its /32s.
// 3fff::/20 is the documentation prefix (RFC 9637); its first /24 holds
// the /32s 3fff:0:: to 3fff:ff::.
constexpr uint32_t kBlockV6 = XG_BLOCK_KEY(1, 0x3fff0000);

TEST_CASE("An IPv6 /24 only longer prefixes cover has a bitmap of its /32s, and the program obeys it",
          "[prog_run]") {
    Filter filter({"3fff:12:ab::/48", "3fff:40::/30"});
    BlockHosts::Hosts want = hosts(0x12, 0x12);
    want[1] |= hosts(0x40, 0x43)[1];
    REQUIRE(bitmapOf(filter, kBlockV6) == want);
    filter.check({{"a gateway in the /48 passes", synV6("3fff:12:ab::9"), passesCrediting("3fff:12:ab::/48")},
                  {"a host of the /30 passes", synV6("3fff:43:1::1"), passesCrediting("3fff:40::/30")},
                  {"the gateway's /32 goes to the trie, which denies", synV6("3fff:12:cd::1"),
                   deniedV6("3fff:12:cd::/48")},
                  {"another /32 of the block is denied", synV6("3fff:34::1"), deniedV6("3fff:34::/48")}});

    // The block's bits are what the program reads: with the gateway's /32
    // cleared by hand, the gateway is denied though the trie holds it.
    const uint32_t shift = BlockHosts(filter.maps()).slotShift();
    uint32_t slot = XG_BLOCK_SLOT(kBlockV6, 0, shift);
    xg_block_hosts value{};
    REQUIRE(bpf_map_lookup_elem(filter.maps().blockHosts.get(), &slot, &value) == 0);
    if ((value.words[0] >> 32) != XG_BLOCK_TAG(kBlockV6)) {
        slot = XG_BLOCK_SLOT(kBlockV6, 1, shift);
        REQUIRE(bpf_map_lookup_elem(filter.maps().blockHosts.get(), &slot, &value) == 0);
    }
    REQUIRE((value.words[0] >> 32) == XG_BLOCK_TAG(kBlockV6));
    value.words[0] &= ~(1ULL << 0x12);
    REQUIRE(bpf_map_update_elem(filter.maps().blockHosts.get(), &slot, &value, BPF_ANY) == 0);
    CHECK(filter.run(synV6("3fff:12:ab::9")) == XDP_DROP);
    value.words[0] |= 1ULL << 0x12;
    REQUIRE(bpf_map_update_elem(filter.maps().blockHosts.get(), &slot, &value, BPF_ANY) == 0);

    // A /24 over the block: the trie decides there; when it goes, the
    // bitmap comes back from what remains.
    filter.allowlist().add({Prefix::parse("3fff::/24")});
    CHECK_FALSE(bitmapOf(filter, kBlockV6));
    filter.check({"another /32 passes under the /24", synV6("3fff:34::1"), passesCrediting("3fff::/24")});
    filter.allowlist().remove({Prefix::parse("3fff::/24"), Prefix::parse("3fff:40::/30")});
    CHECK(bitmapOf(filter, kBlockV6) == hosts(0x12, 0x12));
    filter.check({{"the gateway passes again", synV6("3fff:12:ab::9"), passesCrediting("3fff:12:ab::/48")},
                  {"the removed /30's host is denied", synV6("3fff:43:1::1"), deniedV6("3fff:43:1::/48")}});
}

}  // namespace xdpguard::test

namespace xdpguard::test {

// IPv6's third level: a /32 that only longer prefixes overlap has a bitmap
// of its /40s, read under its bit in the block's bitmap.
constexpr uint32_t kSlash32 = 0x3fff0012;  // 3fff:12::/32

std::optional<BlockHosts::Hosts> slash32BitmapOf(const Filter& filter) {
    size_t mixed = 0;
    const auto all = BlockHosts(filter.maps()).all(BlockHosts::Level::Slash32, &mixed);
    CHECK(mixed == 0);
    const auto it = all.find(kSlash32);
    return it == all.end() ? std::nullopt : std::optional(it->second);
}

// Writes a /32's entry by hand, the words the controller would, with
// `bits`: in the slot that holds it, or else its first.
void writeSlash32(const Filter& filter, uint32_t slash32, const BlockHosts::Hosts& bits) {
    const uint32_t shift = BlockHosts(filter.maps()).slotShift();
    uint32_t way = 0;
    xg_block_hosts value{};
    uint32_t slot = XG_BLOCK_SLOT(slash32, 1, shift);
    REQUIRE(bpf_map_lookup_elem(filter.maps().blockHosts.get(), &slot, &value) == 0);
    if ((value.words[0] >> 32) == XG_SLASH32_TAG(slash32, 1, shift)) way = 1;
    slot = XG_BLOCK_SLOT(slash32, way, shift);
    for (size_t i = 0; i < XG_BLOCK_WORDS; ++i)
        value.words[i] = (uint64_t(XG_SLASH32_TAG(slash32, way, shift)) << 32) |
                         ((bits[i / 2] >> (32 * (i % 2))) & 0xffffffffULL);
    REQUIRE(bpf_map_update_elem(filter.maps().blockHosts.get(), &slot, &value, BPF_ANY) == 0);
}

TEST_CASE("An IPv6 /32 only longer prefixes overlap has a bitmap of its /40s, and the program obeys it",
          "[prog_run]") {
    Filter filter({"3fff:12:ab::/48", "3fff:12:4000::/36"});
    BlockHosts::Hosts want = hosts(0x00, 0x00);
    want[1] |= hosts(0x40, 0x4f)[1];
    REQUIRE(slash32BitmapOf(filter) == want);
    filter.check({{"a gateway in the /48 passes", synV6("3fff:12:ab::9"), passesCrediting("3fff:12:ab::/48")},
                  {"a host of the /36 passes", synV6("3fff:12:4abc::1"), passesCrediting("3fff:12:4000::/36")},
                  {"another /40 of the /32 is denied", synV6("3fff:12:ab00::1"), deniedV6("3fff:12:ab00::/48")},
                  {"the gateway's /40 goes to the trie, which denies", synV6("3fff:12:cd::1"),
                   deniedV6("3fff:12:cd::/48")}});

    // The program reads the /40 bits: without the gateway's, it is denied.
    BlockHosts::Hosts without = want;
    without[0] &= ~1ULL;
    writeSlash32(filter, kSlash32, without);
    REQUIRE(slash32BitmapOf(filter) == without);
    CHECK(filter.run(synV6("3fff:12:ab::9")) == XDP_DROP);
    writeSlash32(filter, kSlash32, want);
    REQUIRE(slash32BitmapOf(filter) == want);

    // A /30 over the /32: its entry goes before the /30 is in the trie.
    filter.allowlist().add({Prefix::parse("3fff:10::/30")});
    CHECK_FALSE(slash32BitmapOf(filter));
    filter.check({"another /40 passes under the /30", synV6("3fff:12:ab00::1"), passesCrediting("3fff:10::/30")});
    filter.allowlist().remove({Prefix::parse("3fff:10::/30")});
    CHECK(slash32BitmapOf(filter) == want);
    filter.check({"and is denied again when it goes", synV6("3fff:12:ab00::1"), deniedV6("3fff:12:ab00::/48")});

    // A short prefix over the block and back: the /32's bitmap is rebuilt
    // from what remains.
    filter.allowlist().add({Prefix::parse("3fff::/20")});
    filter.allowlist().remove({Prefix::parse("3fff::/20"), Prefix::parse("3fff:12:4000::/36")});
    CHECK(slash32BitmapOf(filter) == hosts(0x00, 0x00));
    filter.check({{"the gateway passes", synV6("3fff:12:ab::9"), passesCrediting("3fff:12:ab::/48")},
                  {"the removed /36's host is denied", synV6("3fff:12:4abc::1"), deniedV6("3fff:12:4abc::/48")}});
}

// A /32's bitmap can outlive its bit, unread. A later change that sets the
// bit must not let it deny: a prefix covering the /32 clears it, a longer
// one into a /32 the block proves empty replaces it.
TEST_CASE("A /32 bitmap left under a clear bit never denies what a later add allows", "[prog_run]") {
    Filter filter({"3fff:12:ab::/48"});
    writeSlash32(filter, 0x3fff0034, {});  // 3fff:34::/32, its bit clear
    writeSlash32(filter, 0x3fff0056, {});  // 3fff:56::/32, its bit clear
    filter.allowlist().add({Prefix::parse("3fff:30::/28"), Prefix::parse("3fff:56:7800::/40")});
    filter.check({{"a host of the /28 passes", synV6("3fff:34::1"), passesCrediting("3fff:30::/28")},
                  {"a host of the new /40 passes", synV6("3fff:56:7800::1"), passesCrediting("3fff:56:7800::/40")},
                  {"its /32 neighbour is denied", synV6("3fff:56:9900::1"), deniedV6("3fff:56:9900::/48")}});
}

}  // namespace xdpguard::test
