#!/usr/bin/env python3
"""Writes the binary seeds of corpus/prog_run and corpus/syn_frame.

prog_run: byte 0 bit 0 = monitor mode, then an Ethernet frame; one frame per
path through the filter (README "How it works"). syn_frame: byte 0 bit 0 =
IPv6, 16 address bytes, a big-endian port. Documentation addresses only.
Run from anywhere: python3 tests/fuzz/frame_seeds.py
"""
import ipaddress
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
MACS = bytes.fromhex("020000000001" "020000000002")
SERVER_V4, SERVER_V6 = "203.0.113.25", "2001:db8:5e::25"
OUTSIDER_V4, OUTSIDER_V6 = "198.51.100.9", "2001:db8:bad::7"
SYN, ACK = 0x02, 0x10


def ethernet(ethertype, tags=()):
    """tags: (tpid, vid) outermost first."""
    return MACS + b"".join(struct.pack(">HH", tpid, vid) for tpid, vid in tags) + struct.pack(
        ">H", ethertype)


def checksum(header):
    total = sum(struct.unpack(">%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp(dport, flags, sport=40000):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 64240, 0, 0)


def ipv4(src, payload, proto=6, frag=0, options=b""):
    ihl = (20 + len(options)) // 4
    header = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 1,
                         frag, 64, proto, 0, ipaddress.ip_address(src).packed,
                         ipaddress.ip_address(SERVER_V4).packed) + options
    return header[:10] + struct.pack(">H", checksum(header)) + header[12:] + payload


def ipv6(src, nexthdr, payload, payload_len=None, dst=SERVER_V6):
    length = len(payload) if payload_len is None else payload_len
    return struct.pack(">IHBB16s16s", 0x60000000, length, nexthdr, 64,
                       ipaddress.ip_address(src).packed,
                       ipaddress.ip_address(dst).packed) + payload


def extension(nexthdr):
    """An 8-byte hop-by-hop or destination options header (PadN)."""
    return struct.pack(">BB", nexthdr, 0) + b"\x01\x04" + bytes(4)


def fragment6(nexthdr, offset, more):
    return struct.pack(">BBHI", nexthdr, 0, (offset << 3) | more, 7)


def udp(dport):
    return struct.pack(">HHHH", 5353, dport, 8, 0)


def prog_run_seeds():
    v4, v6 = ethernet(0x0800), ethernet(0x86DD)
    syn_v4 = tcp(25, SYN)
    nine = b"".join(extension(60) for _ in range(8)) + extension(6)
    return {
        "v4_syn_outsider": v4 + ipv4(OUTSIDER_V4, syn_v4),
        "v4_syn_gateway": v4 + ipv4("192.0.2.10", syn_v4),
        "v4_syn_host_rule": v4 + ipv4("198.51.100.7", syn_v4),
        "v4_synack": v4 + ipv4(OUTSIDER_V4, tcp(25, SYN | ACK)),
        "v4_syn_other_port": v4 + ipv4(OUTSIDER_V4, tcp(587, SYN)),
        "v4_udp": v4 + ipv4(OUTSIDER_V4, udp(25), proto=17),
        "v4_options": v4 + ipv4(OUTSIDER_V4, syn_v4, options=b"\x01" * 7 + b"\x00"),
        "v4_tiny_first_fragment": v4 + ipv4(OUTSIDER_V4, syn_v4[:8], frag=0x2000),
        "v4_padded_tiny_fragment": (v4 + ipv4(OUTSIDER_V4, syn_v4[:8], frag=0x2000)).ljust(60, b"\0"),
        "v4_fragment_offset_1": v4 + ipv4(OUTSIDER_V4, bytes(16), frag=1),
        "v4_later_fragment": v4 + ipv4(OUTSIDER_V4, bytes(16), frag=185),
        "v4_truncated_tcp": v4 + ipv4(OUTSIDER_V4, syn_v4)[:30],  # 10 bytes of TCP
        "qinq_v4_syn": ethernet(0x0800, [(0x88A8, 100), (0x8100, 7)]) + ipv4(OUTSIDER_V4, syn_v4),
        "three_tags_v4_syn": ethernet(0x0800, [(0x88A8, 100), (0x8100, 7), (0x8100, 8)])
                             + ipv4(OUTSIDER_V4, syn_v4),
        "arp": ethernet(0x0806) + bytes.fromhex("0001080006040001020000000002c000020a"
                                                "000000000000cb007119"),
        "v6_syn_outsider": v6 + ipv6(OUTSIDER_V6, 6, tcp(25, SYN)),
        "v6_syn_gateway": v6 + ipv6("2001:db8:a:1::10", 6, tcp(25, SYN)),
        "v6_hop_dst_syn": v6 + ipv6(OUTSIDER_V6, 0, extension(60) + extension(6) + tcp(25, SYN)),
        "v6_first_fragment_syn": v6 + ipv6(OUTSIDER_V6, 44, fragment6(6, 0, 1) + tcp(25, SYN)),
        "v6_tiny_first_fragment": v6 + ipv6(OUTSIDER_V6, 44, fragment6(6, 0, 1) + tcp(25, SYN)[:8]),
        "v6_nine_extensions": v6 + ipv6(OUTSIDER_V6, 60, nine + tcp(25, SYN)),
        "v6_udp_behind_extensions": v6 + ipv6(OUTSIDER_V6, 0, extension(17) + udp(25)),
        "v6_jumbo_hop_by_hop": v6 + ipv6(OUTSIDER_V6, 0, extension(6) + tcp(25, SYN), payload_len=0),
        "v6_icmp_nd": v6 + ipv6("fe80::2", 58, bytes([135]) + bytes(7)
                                + ipaddress.ip_address(SERVER_V6).packed, dst="ff02::1:ff00:25"),
    }


def syn_frame_seeds():
    seeds = {"v4_smtp": ("198.51.100.7", 25), "v4_submission": ("192.0.2.10", 587),
             "v4_zero": ("0.0.0.0", 0), "v4_broadcast": ("255.255.255.255", 65535),
             "v6_smtp": (OUTSIDER_V6, 25), "v6_mapped": ("::ffff:192.0.2.1", 25),
             "v6_all_ones": ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 465)}
    out = {}
    for name, (address, port) in seeds.items():
        ip = ipaddress.ip_address(address)
        out[name] = bytes([ip.version == 6]) + ip.packed.ljust(16, b"\0") + struct.pack(">H", port)
    return out


def main():
    for name, frame in prog_run_seeds().items():
        (CORPUS / "prog_run" / name).write_bytes(b"\0" + frame)  # enforce mode
    (CORPUS / "prog_run" / "v4_syn_monitor").write_bytes(
        b"\1" + prog_run_seeds()["v4_syn_outsider"])
    for name, data in syn_frame_seeds().items():
        (CORPUS / "syn_frame" / name).write_bytes(data)


if __name__ == "__main__":
    main()
