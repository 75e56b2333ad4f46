#!/usr/bin/python3
"""Runs a command and SIGKILLs it after a delay, unless it finished first.

    kill_after.py SECONDS CMD [ARG...]

Prints "killed MS" or "exited STATUS MS" (MS: milliseconds from the start to
the kill or the exit). The command's output is discarded. A command that
does not exec itself (a shell, timeout) would leave its child running: give
the program itself, or nsenter, which execs it.
"""
import signal
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    delay = float(sys.argv[1])
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        status = child.wait(timeout=delay)
        print(f"exited {status} {(time.monotonic() - start) * 1000:.0f}")
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        elapsed = (time.monotonic() - start) * 1000
        child.wait()
        print(f"killed {elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
