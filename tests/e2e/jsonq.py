#!/usr/bin/python3
"""Prints one value from a JSON document read on stdin.

The path is dot-separated: a name selects an object member, a number a list
element, "key=value" the first list element whose member "key" equals
"value", and "#" the length of a list or object. Scalars print as JSON
would write them (true, 3, "text" without quotes); lists and objects print
as compact JSON. Exit status 1 if the document has no such path.

    xdpguard status --json | jsonq.py counters.denied_ipv4.dropped
    xdpguard status --json | jsonq.py interfaces.name=veth0.mode
"""
import json
import sys


def step(node, part):
    if part == "#":
        if isinstance(node, (list, dict)):
            return len(node)
        raise KeyError(part)
    if isinstance(node, dict):
        return node[part]
    if isinstance(node, list):
        if "=" in part:
            key, value = part.split("=", 1)
            for item in node:
                if isinstance(item, dict) and str(item.get(key)) == value:
                    return item
            raise KeyError(part)
        return node[int(part)]
    raise KeyError(part)


def render(value):
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        node = json.load(sys.stdin)
    except json.JSONDecodeError as err:
        print(f"jsonq: stdin is not JSON: {err}", file=sys.stderr)
        return 1
    path = sys.argv[1]
    for part in filter(None, path.split(".")):
        try:
            node = step(node, part)
        except (KeyError, IndexError, ValueError):
            print(f"jsonq: no '{path}' (stopped at '{part}')", file=sys.stderr)
            return 1
    print(render(node))
    return 0


if __name__ == "__main__":
    sys.exit(main())
