#!/usr/bin/python3
"""Checks on `xdpguard allow list --json`, read on stdin.

    allowq.py count               number of prefixes
    allowq.py prefixes            the prefixes, one a line, sorted
    allowq.py field PREFIX NAME   one field of PREFIX's row (rule, allowed_syns, sources)
    allowq.py unique-rules        exit 1 (printing them) if two prefixes share a rule id
    allowq.py has PREFIX...       exit 1 (printing the missing) unless all are listed
    allowq.py within FILE...      exit 1 (printing them) if a prefix is in none of the files
    allowq.py equals FILE...      exit 1 (printing the difference) unless the prefixes are
                                  exactly the union of the files
    allowq.py only-source SOURCE  exit 1 (printing them) if a prefix has other sources
    allowq.py all CHECK -- CHECK  runs several of the checks above on one list; each
                                  failure is printed as "COMMAND: message"

FILEs use the allowlist file format: one CIDR a line, `#` comments. Exit
status 2 if stdin is not an allow list.
"""
import contextlib
import io
import json
import sys


def read_file(path):
    prefixes = set()
    with open(path) as source:
        for line in source:
            line = line.split("#", 1)[0].strip()
            if line:
                prefixes.add(line)
    return prefixes


def union(paths):
    prefixes = set()
    for path in paths:
        prefixes |= read_file(path)
    return prefixes


def show(title, items, limit=10):
    items = sorted(items)
    print(f"{title} ({len(items)}): " + " ".join(str(item) for item in items[:limit]) +
          (" ..." if len(items) > limit else ""))


def run(command, args, rows, listed):
    """Runs one command; returns its exit status."""
    if command == "count":
        print(len(rows))
    elif command == "prefixes":
        print("\n".join(sorted(listed)))
    elif command == "field":
        if args[0] not in listed:
            print(f"{args[0]} is not listed")
            return 1
        print(listed[args[0]][args[1]])
    elif command == "unique-rules":
        by_rule = {}
        for row in rows:
            by_rule.setdefault(row["rule"], []).append(row["prefix"])
        shared = {rule: prefixes for rule, prefixes in by_rule.items() if len(prefixes) > 1}
        if shared:
            show("rule ids shared", [f"{rule}:{'+'.join(p)}" for rule, p in shared.items()])
            return 1
    elif command == "has":
        missing = set(args) - set(listed)
        if missing:
            show("missing", missing)
            return 1
    elif command == "within":
        stray = set(listed) - union(args)
        if stray:
            show("in none of the files", stray)
            return 1
    elif command == "equals":
        wanted = union(args)
        extra, missing = set(listed) - wanted, wanted - set(listed)
        if extra or missing:
            show("extra", extra)
            show("missing", missing)
            return 1
    elif command == "only-source":
        other = [f"{p}={row['sources']}" for p, row in listed.items() if row["sources"] != args[0]]
        if other:
            show(f"not only {args[0]}", other)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


def run_all(args, rows, listed):
    checks, current = [], []
    for arg in args + ["--"]:
        if arg == "--":
            if current:
                checks.append(current)
            current = []
        else:
            current.append(arg)
    status = 0
    for command, *check_args in checks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = run(command, check_args, rows, listed)
        if rc:
            print(f"{command}: " + " ".join(out.getvalue().split("\n")).strip())
            status = max(status, rc)
    return status


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        rows = json.load(sys.stdin)
        listed = {row["prefix"]: row for row in rows}
    except (json.JSONDecodeError, TypeError, KeyError) as err:
        print(f"allowq: stdin is not an allow list: {err}", file=sys.stderr)
        return 2
    if sys.argv[1] == "all":
        return run_all(sys.argv[2:], rows, listed)
    return run(sys.argv[1], sys.argv[2:], rows, listed)


if __name__ == "__main__":
    sys.exit(main())
