#!/usr/bin/python3
"""An SMTP-like TCP listener for the namespace lab.

On every accepted connection it sends a "220 ..." banner naming the port,
then echoes each line it receives, so that a client can tell an established
connection from a new one. It listens on IPv4 and IPv6 (a separate v6-only
socket), writes --ready-file once every socket is bound, and exits on its
own after --lifetime seconds so that it never outlives a broken test.
"""
import argparse
import signal
import socket
import sys
import threading
import time

CONNECTION_IDLE_SECONDS = 30
MAX_LINES_PER_CONNECTION = 100


def serve_connection(conn, port):
    with conn:
        conn.settimeout(CONNECTION_IDLE_SECONDS)
        try:
            conn.sendall(f"220 lab.example ESMTP xdpguard-lab port {port}\r\n".encode())
            reader = conn.makefile("rb")
            for _ in range(MAX_LINES_PER_CONNECTION):
                line = reader.readline()
                if not line:
                    return
                conn.sendall(line)
        except OSError:
            return


def accept_forever(listener, port):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve_connection, args=(conn, port), daemon=True).start()


def bind(family, address, port):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        # A separate v4 socket serves IPv4; keep this one IPv6 only.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((address, port))
    sock.listen(64)
    return sock


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--ready-file", help="created once every socket listens")
    parser.add_argument("--lifetime", type=float, default=300.0,
                        help="exit after this many seconds (default 300)")
    parser.add_argument("--no-ipv6", action="store_true")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    families = [(socket.AF_INET, "0.0.0.0")]
    if not args.no_ipv6:
        families.append((socket.AF_INET6, "::"))
    try:
        for port in args.port:
            for family, address in families:
                listener = bind(family, address, port)
                threading.Thread(target=accept_forever, args=(listener, port),
                                 daemon=True).start()
    except OSError as err:
        print(f"smtp_listener: cannot listen: {err}", file=sys.stderr)
        return 1
    if args.ready_file:
        with open(args.ready_file, "w") as ready:
            ready.write("ready\n")
    time.sleep(args.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
