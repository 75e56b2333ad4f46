#!/usr/bin/python3
"""Reads drop-feed records (`xdpguard watch`, the daemon's drop log) and
prints each as one normalised line:

    drop_events.py text|json FILE

    UNIX_MS INTERFACE SOURCE SOURCE_PORT PORT VLAN ACTION

Text records must match the documented format exactly, JSON records must
have exactly the documented keys. Exit status 1 if any line does not (it is
named on stderr), 2 for bad arguments.
"""
import datetime
import json
import re
import sys

TEXT = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) xdpguard: denied SYN from (?P<source>\S+) "
    r"port (?P<source_port>\d+) to port (?P<port>\d+) on (?P<interface>\S+) vlan (?P<vlan>\d+) "
    r"\((?P<action>dropped|monitored)\)$")
JSON_KEYS = {"time", "interface", "source", "source_port", "port", "vlan", "action"}


def unix_ms(stamp):
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp):
        raise ValueError(f"time {stamp!r} is not ISO 8601 UTC with milliseconds")
    parsed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(parsed.timestamp() * 1000)


def record(line, form):
    if form == "text":
        match = TEXT.match(line)
        if not match:
            raise ValueError("not the documented text format")
        fields = match.groupdict()
    else:
        fields = json.loads(line)
        if set(fields) != JSON_KEYS:
            raise ValueError(f"keys {sorted(fields)}, expected {sorted(JSON_KEYS)}")
        for key in ("source_port", "port", "vlan"):
            if not isinstance(fields[key], int):
                raise ValueError(f"{key} is not a number")
    return (f"{unix_ms(fields['time'])} {fields['interface']} {fields['source']} {fields['source_port']} "
            f"{fields['port']} {fields['vlan']} {fields['action']}")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("text", "json"):
        print(__doc__, file=sys.stderr)
        return 2
    bad = 0
    with open(sys.argv[2]) as records:
        for number, line in enumerate(records, 1):
            try:
                print(record(line.rstrip("\n"), sys.argv[1]))
            except ValueError as err:
                print(f"{sys.argv[2]}:{number}: {err}: {line.rstrip()}", file=sys.stderr)
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
