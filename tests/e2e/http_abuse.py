#!/usr/bin/python3
"""Hostile and heavy HTTP clients for the exporter's security tests.

    http_abuse.py raw HOST PORT KIND      one bad request; KIND is big-header
                                          (1 MiB header), big-url (100 KiB URL),
                                          many-headers (20,000 headers), garbage
                                          (binary bytes) or post (POST /metrics).
                                          Prints "status CODE MS", "closed MS"
                                          or "hang MS" (no answer in --timeout)
    http_abuse.py burst HOST PORT N G     N concurrent GET /metrics and G
                                          concurrent garbage requests; prints
                                          "ok OK of N, slowest MS", then each
                                          failed scrape
    http_abuse.py idle-scrape HOST PORT N holds N connections that sent half a
                                          request line, then times one scrape;
                                          prints "status CODE MS" or "hang MS"

Exit status 0 unless the arguments are wrong (2): the caller judges.
"""
import argparse
import socket
import sys
import threading
import time

GARBAGE = bytes(range(256)) * 8 + b"\r\n\r\n"


def request(kind):
    if kind == "big-header":
        return b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    if kind == "big-url":
        return b"GET /metrics?" + b"a" * (100 << 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    if kind == "many-headers":
        return b"GET /metrics HTTP/1.1\r\n" + b"X-H: 1\r\n" * 20000 + b"\r\n"
    if kind == "garbage":
        return GARBAGE
    if kind == "post":
        return b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
    if kind == "get":
        return b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    raise ValueError(kind)


def exchange(host, port, payload, timeout):
    """("status", code) / ("closed", None) / ("hang", None), and the milliseconds."""
    start = time.monotonic()
    elapsed = lambda: (time.monotonic() - start) * 1000
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            try:
                sock.sendall(payload)
            except OSError:
                pass  # the server may close before reading it all; read what it said
            head = b""
            while b"\r\n" not in head and len(head) < 256:
                chunk = sock.recv(256)
                if not chunk:
                    break
                head += chunk
    except socket.timeout:
        return ("hang", None), elapsed()
    except OSError:
        return ("closed", None), elapsed()
    parts = head.split(b" ", 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return ("status", int(parts[1])), elapsed()
    return ("closed", None), elapsed()


def render(outcome, ms):
    kind, code = outcome
    return f"status {code} {ms:.0f}" if kind == "status" else f"{kind} {ms:.0f}"


def scrape(host, port, timeout):
    """(ok, ms, detail): a full GET /metrics with a 200 and an xdpguard body."""
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(request("get"))
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as err:
        return False, (time.monotonic() - start) * 1000, str(err)
    ms = (time.monotonic() - start) * 1000
    ok = data.startswith(b"HTTP/1.1 200") and b"xdpguard_build_info" in data
    return ok, ms, data[:60].decode(errors="replace")


def cmd_burst(args):
    results = [None] * args.n
    def scraper(i):
        results[i] = scrape(args.host, args.port, args.timeout)
    def garbler():
        exchange(args.host, args.port, GARBAGE, args.timeout)
    threads = [threading.Thread(target=scraper, args=(i,)) for i in range(args.n)]
    threads += [threading.Thread(target=garbler) for _ in range(args.garbage)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = sum(1 for r in results if r[0])
    print(f"ok {ok} of {args.n}, slowest {max(r[1] for r in results):.0f}")
    for i, (good, ms, detail) in enumerate(results):
        if not good:
            print(f"scrape {i}: {ms:.0f} ms: {detail}")


def cmd_idle_scrape(args):
    idle = []
    try:
        for _ in range(args.n):
            sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
            sock.sendall(b"GET /metr")
            idle.append(sock)
        time.sleep(0.2)
        print(render(*exchange(args.host, args.port, request("get"), args.timeout)))
    finally:
        for sock in idle:
            sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=8.0)
    commands = parser.add_subparsers(dest="command", required=True)
    raw = commands.add_parser("raw")
    raw.add_argument("host")
    raw.add_argument("port", type=int)
    raw.add_argument("kind", choices=["big-header", "big-url", "many-headers", "garbage", "post"])
    burst = commands.add_parser("burst")
    burst.add_argument("host")
    burst.add_argument("port", type=int)
    burst.add_argument("n", type=int)
    burst.add_argument("garbage", type=int)
    idle = commands.add_parser("idle-scrape")
    idle.add_argument("host")
    idle.add_argument("port", type=int)
    idle.add_argument("n", type=int)
    args = parser.parse_args()
    if args.command == "raw":
        print(render(*exchange(args.host, args.port, request(args.kind), args.timeout)))
    elif args.command == "burst":
        cmd_burst(args)
    else:
        cmd_idle_scrape(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
