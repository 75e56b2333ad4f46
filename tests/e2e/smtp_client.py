#!/usr/bin/python3
"""Connects to an SMTP-like listener and checks that it answers.

Exit status: 0 if the "220" banner arrived (and, with --hold-until, if the
line sent afterwards was echoed back), 1 if the connection or the banner
failed, 3 if the connection was made but the later echo failed, 2 for bad
arguments.

--hold-until FILE keeps the connection open after the banner (writing
--connected-file to say so) until FILE appears, then sends a line and waits
for its echo: the test can change the filter in between and check that an
established connection survives.
"""
import argparse
import os
import socket
import sys
import time

ECHO_LINE = b"NOOP xdpguard-lab\r\n"
POLL_SECONDS = 0.05


def read_line(sock, limit=512):
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def wait_for_file(path, max_seconds):
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(POLL_SECONDS)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds for the connect and each read (default 2)")
    parser.add_argument("--hold-until", metavar="FILE")
    parser.add_argument("--hold-max", type=float, default=30.0,
                        help="longest wait for the --hold-until file (default 30)")
    parser.add_argument("--connected-file", metavar="FILE")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    where = f"[{args.host}]:{args.port}"

    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    except OSError as err:
        if not args.quiet:
            print(f"smtp_client: connect to {where} failed: {err}", file=sys.stderr)
        return 1
    with sock:
        try:
            banner = read_line(sock)
        except OSError as err:
            banner = f"({err})".encode()
        if not banner.startswith(b"220"):
            print(f"smtp_client: {where} sent no banner: {banner!r}", file=sys.stderr)
            return 1
        if not args.quiet:
            print(banner.decode(errors="replace").rstrip())
        if not args.hold_until:
            return 0
        if args.connected_file:
            with open(args.connected_file, "w") as marker:
                marker.write("connected\n")
        if not wait_for_file(args.hold_until, args.hold_max):
            print(f"smtp_client: {args.hold_until} never appeared", file=sys.stderr)
            return 3
        try:
            sock.sendall(ECHO_LINE)
            echo = read_line(sock)
        except OSError as err:
            print(f"smtp_client: {where} echo failed: {err}", file=sys.stderr)
            return 3
        if echo != ECHO_LINE:
            print(f"smtp_client: {where} echoed {echo!r}", file=sys.stderr)
            return 3
        if not args.quiet:
            print("echo ok")
        return 0


if __name__ == "__main__":
    sys.exit(main())
