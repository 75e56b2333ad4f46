#!/usr/bin/python3
"""Connects again and again until told to stop, counting failures.

    connect_loop.py HOSTS PORT STOP STARTED REPORT MAX_ATTEMPTS MAX_SECONDS

HOSTS is a comma-separated list used in turn. Each attempt is a plain TCP
handshake with a timeout below the 1 s SYN retransmission timeout, so a
dropped SYN counts as a failure, not as a retry. STARTED is created once two
attempts succeeded; the loop ends when STOP appears, after MAX_ATTEMPTS or
after MAX_SECONDS, and writes REPORT: a line "WHY ATTEMPTS OK FAILURES"
(WHY: stopped or limit), then one line per failure.
"""
import os
import socket
import sys
import time

CONNECT_TIMEOUT = 0.9


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    hosts, port = sys.argv[1].split(","), int(sys.argv[2])
    stop, started, report = sys.argv[3:6]
    max_attempts, deadline = int(sys.argv[6]), time.monotonic() + float(sys.argv[7])
    attempts, ok, failures, why = 0, 0, [], "limit"
    while attempts < max_attempts and time.monotonic() < deadline:
        if os.path.exists(stop):
            why = "stopped"
            break
        host = hosts[attempts % len(hosts)]
        attempts += 1
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
            ok += 1
        except OSError as err:
            failures.append(f"attempt {attempts} at {time.strftime('%T')} [{host}]:{port}: {err}")
            continue
        if ok == 2:
            open(started, "w").close()
        time.sleep(0.002)
    with open(report, "w") as out:
        out.write(f"{why} {attempts} {ok} {len(failures)}\n")
        out.writelines(line + "\n" for line in failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
