#!/usr/bin/python3
"""Asks a DNS server one question over UDP and prints the answer.

The lab's own check that its NSD answers (and which zone serial it serves),
without dig or any DNS library: one query with RD set, the answer section
printed one record a line ("TXT" records as their strings joined, "A" and
"AAAA" as addresses, "SOA" as its serial). Exit status: 0 for an
authoritative NOERROR answer, 1 for no answer, another rcode or a
non-authoritative one, 2 for bad arguments.

    dns_probe.py 127.0.0.1 5353 example.test SOA
"""
import argparse
import ipaddress
import random
import socket
import struct
import sys

TYPES = {"A": 1, "SOA": 6, "TXT": 16, "AAAA": 28}


def encode_name(name):
    out = b""
    for label in filter(None, name.rstrip(".").split(".")):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def skip_name(msg, pos):
    """Returns the offset just past the (possibly compressed) name at pos."""
    while True:
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def render(rtype, rdata, msg, start):
    if rtype == TYPES["TXT"]:
        strings, pos = [], 0
        while pos < len(rdata):
            strings.append(rdata[pos + 1:pos + 1 + rdata[pos]].decode(errors="replace"))
            pos += 1 + rdata[pos]
        return "TXT " + "".join(strings)
    if rtype in (TYPES["A"], TYPES["AAAA"]):
        return ("A " if rtype == TYPES["A"] else "AAAA ") + str(ipaddress.ip_address(rdata))
    if rtype == TYPES["SOA"]:
        pos = skip_name(msg, skip_name(msg, start))
        return f"SOA serial {struct.unpack('!I', msg[pos:pos + 4])[0]}"
    return f"type {rtype}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server")
    parser.add_argument("port", type=int)
    parser.add_argument("name")
    parser.add_argument("type", choices=sorted(TYPES))
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()

    qid = random.randrange(0x10000)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    query += encode_name(args.name) + struct.pack("!HH", TYPES[args.type], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(args.timeout)
        try:
            sock.sendto(query, (args.server, args.port))
            msg = sock.recv(65535)
        except OSError as err:
            print(f"dns_probe: no answer from {args.server}:{args.port}: {err}", file=sys.stderr)
            return 1
    rid, flags, qdcount, ancount = struct.unpack("!HHHH", msg[:8])
    if rid != qid:
        print("dns_probe: answer with another id", file=sys.stderr)
        return 1
    pos = 12
    for _ in range(qdcount):
        pos = skip_name(msg, pos) + 4
    for _ in range(ancount):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlength = struct.unpack("!HHIH", msg[pos:pos + 10])
        print(render(rtype, msg[pos + 10:pos + 10 + rdlength], msg, pos + 10))
        pos += 10 + rdlength
    rcode, authoritative = flags & 0xF, bool(flags & 0x0400)
    if rcode != 0 or not authoritative:
        print(f"dns_probe: rcode {rcode}, authoritative {authoritative}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
