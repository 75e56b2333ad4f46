#!/usr/bin/python3
"""Sends bare TCP SYNs through a raw socket: an exact number, from known ports.

    syn_burst.py SOURCE DEST PORT COUNT [--sport N] [--pace N] [--max-seconds S]
                 [--vlan VID --link IFACE --dst-mac MAC]

SOURCE and DEST are IPv4 or IPv6 addresses. SYN number i (from 0) leaves
from source port SPORT + i mod 16384 (default SPORT 40000). By default a
raw IP socket bound to SOURCE (which must be local) sends them, and the
kernel builds the IP header and routes the packet. With --vlan (IPv4
only) whole Ethernet frames tagged with VLAN VID (802.1Q) go out of IFACE
to MAC through a packet socket: for a kernel without VLAN interfaces.
Every PACE SYNs (default 50) the sender sleeps 1 ms, so that a veth's
ring never overflows. Stops after COUNT SYNs or S seconds (default 20),
and prints "SENT SECONDS": the SYNs sent and the time taken.
"""
import argparse
import ipaddress
import socket
import struct
import sys
import time

SYN = 0x02
ETH_P_8021Q = 0x8100
ETH_P_IP = 0x0800


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn_segment(src, dst, sport, dport, seq):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, SYN, 64240, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(header), socket.IPPROTO_TCP)
    return header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]


def ipv4_header(src, dst, payload_length):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_length, 0, 0x4000, 64, socket.IPPROTO_TCP, 0,
                         src.packed, dst.packed)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:]


class RawIpSender:
    def __init__(self, src, dst):
        family = socket.AF_INET if src.version == 4 else socket.AF_INET6
        self.sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.sock.bind((str(src), 0))
        self.dst = str(dst)

    def send(self, segment):
        self.sock.sendto(segment, (self.dst, 0))


class VlanFrameSender:
    def __init__(self, src, dst, vlan, link, dst_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((link, 0))
        src_mac = self.sock.getsockname()[4]
        self.prefix = bytes.fromhex(dst_mac.replace(":", "")) + src_mac + struct.pack("!HHH", ETH_P_8021Q, vlan, ETH_P_IP)
        self.src, self.dst = src, dst

    def send(self, segment):
        self.sock.send(self.prefix + ipv4_header(self.src, self.dst, len(segment)) + segment)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=ipaddress.ip_address)
    parser.add_argument("dest", type=ipaddress.ip_address)
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--sport", type=int, default=40000)
    parser.add_argument("--pace", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=20)
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--link")
    parser.add_argument("--dst-mac")
    args = parser.parse_args()
    if args.source.version != args.dest.version:
        parser.error("SOURCE and DEST must be of one family")
    if args.vlan is None:
        sender = RawIpSender(args.source, args.dest)
    elif args.source.version == 4 and 1 <= args.vlan <= 4094 and args.link and args.dst_mac:
        sender = VlanFrameSender(args.source, args.dest, args.vlan, args.link, args.dst_mac)
    else:
        parser.error("--vlan takes a VID from 1 to 4094, IPv4 addresses, --link and --dst-mac")
    started = time.monotonic()
    deadline = started + args.max_seconds
    sent = 0
    while sent < args.count and time.monotonic() < deadline:
        sport = args.sport + sent % 16384
        segment = syn_segment(args.source, args.dest, sport, args.port, 0x10000 + sent)
        sender.send(segment)
        sent += 1
        if sent % args.pace == 0:
            time.sleep(0.001)
    print(sent, f"{time.monotonic() - started:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
