#!/usr/bin/python3
"""HTTP and Prometheus helpers for the namespace lab's exporter tests.

    prom.py get URL              prints the body; exit 1 unless HTTP 200
    prom.py status URL           prints the HTTP status code (e.g. 404)
    prom.py sample NAME [L=V...] reads exposition text on stdin and prints the
                                 value of the one sample named NAME whose
                                 labels include every L=V given
    prom.py query BASE EXPR      asks a Prometheus server at BASE (its
                                 /api/v1/query) for EXPR and prints the value
                                 of its one-sample instant vector
    prom.py table BASE EXPR      the same for any number of samples: one line
                                 each, "VALUE  {LABEL="VALUE",...}", sorted
    prom.py ports N              prints N distinct free TCP ports on 127.0.0.1

Values print as integers when they are whole numbers. Exit status 1 if the
server cannot be reached or there is no such sample (or more than one), 2
for bad arguments. Every request times out after --timeout seconds.
"""
import argparse
import json
import re
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

SAMPLE_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# The lab's servers are local to a namespace: never go through a proxy.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def render(value):
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def fetch(url, timeout):
    """(status, body); status 0 if the server could not be reached."""
    try:
        with NO_PROXY.open(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as err:
        print(f"prom.py: {url}: {err}", file=sys.stderr)
        return 0, ""


def samples(text):
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE_LINE.match(line)
        if match:
            labels = dict(LABEL_PAIR.findall(match.group(2) or ""))
            yield match.group(1), labels, match.group(3)


def cmd_sample(args):
    wanted = dict(pair.split("=", 1) for pair in args.labels)
    found = [value for name, labels, value in samples(sys.stdin.read())
             if name == args.name and all(labels.get(k) == v for k, v in wanted.items())]
    if len(found) != 1:
        print(f"prom.py: {len(found)} samples of {args.name} {wanted}", file=sys.stderr)
        return 1
    print(render(found[0]))
    return 0


def instant_query(args):
    """The samples of the instant query, or None if Prometheus did not answer."""
    url = args.base.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": args.expr})
    status, body = fetch(url, args.timeout)
    if status != 200:
        return None
    return json.loads(body).get("data", {}).get("result", [])


def cmd_table(args):
    result = instant_query(args)
    if result is None:
        return 1
    rows = []
    for sample in result:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample["metric"].items()) if k != "__name__")
        rows.append(f"{render(sample['value'][1]):>6}  {sample['metric'].get('__name__', '')}{{{labels}}}")
    print("\n".join(sorted(rows, key=lambda row: row.split(None, 1)[1])))
    return 0


def cmd_query(args):
    result = instant_query(args)
    if result is None:
        return 1
    if len(result) != 1:
        print(f"prom.py: {args.expr}: {len(result)} samples", file=sys.stderr)
        return 1
    print(render(result[0]["value"][1]))
    return 0


def cmd_ports(args):
    sockets = []
    try:
        for _ in range(args.count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        print(" ".join(str(sock.getsockname()[1]) for sock in sockets))
    finally:
        for sock in sockets:
            sock.close()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("get", "status"):
        commands.add_parser(name).add_argument("url")
    sample = commands.add_parser("sample")
    sample.add_argument("name")
    sample.add_argument("labels", nargs="*", metavar="LABEL=VALUE")
    for name in ("query", "table"):
        query = commands.add_parser(name)
        query.add_argument("base")
        query.add_argument("expr")
    commands.add_parser("ports").add_argument("count", type=int)
    args = parser.parse_args()

    if args.command == "get":
        status, body = fetch(args.url, args.timeout)
        sys.stdout.write(body)
        return 0 if status == 200 else 1
    if args.command == "status":
        status, _ = fetch(args.url, args.timeout)
        print(status)
        return 0 if status else 1
    if args.command == "sample":
        return cmd_sample(args)
    if args.command == "query":
        return cmd_query(args)
    if args.command == "table":
        return cmd_table(args)
    return cmd_ports(args)


if __name__ == "__main__":
    sys.exit(main())
