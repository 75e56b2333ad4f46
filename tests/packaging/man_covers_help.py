#!/usr/bin/env python3
"""The man page describes exactly the commands `xdpguard --help` shows, with
every option each command's help lists.

usage: man_covers_help.py XDPGUARD RENDERED_MAN_PAGE

RENDERED_MAN_PAGE is the page as plain text, rendered wide enough that no
command line wraps. In its COMMANDS section each command starts with a line
indented by seven spaces that begins "xdpguard COMMAND"; its options must be
named before the next such line. Global options belong in OPTIONS.
"""
import re
import subprocess
import sys


def help_sections(binary, path):
    """CLI11 help: 'Options:' / 'Subcommands:' headers, entries indented by two."""
    text = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, check=True).stdout
    sections, current = {}, None
    for line in text.splitlines():
        header = re.fullmatch(r"(\w+):", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None and re.match(r"  \S", line):
            current.append(line.split()[0].rstrip(","))
    return sections


def options_of(sections):
    names = set()
    for entry in sections.get("Options", []):
        names.update(name for name in entry.split(",") if name.startswith("-"))
    return names - {"-h", "--help"}


def commands(binary, path=()):
    """{command path: its options} for every leaf command."""
    sections = help_sections(binary, list(path))
    subcommands = sections.get("Subcommands", [])
    if not subcommands:
        return {path: options_of(sections)}
    found = {}
    for name in subcommands:
        found.update(commands(binary, path + (name,)))
    return found


def section(lines, title):
    start = lines.index(title)
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"[A-Z]", lines[i])), len(lines))
    return lines[start + 1:end]


def documented_commands(lines):
    """{command path: its text} from the COMMANDS section."""
    blocks, current = {}, None
    for line in section(lines, "COMMANDS"):
        if re.match(r" {7}xdpguard ", line):
            words = line.split()[1:]
            path = tuple(re.match(r"[a-z][a-z-]*$", w) and w for w in words)
            path = path[:path.index(None)] if None in path else path
            current = blocks.setdefault(path, [])
        if current is not None:
            current.append(line)
    return {path: "\n".join(text) for path, text in blocks.items()}


def names(option, text):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def main():
    binary, rendered = sys.argv[1], sys.argv[2]
    lines = open(rendered, encoding="utf-8").read().splitlines()
    problems = []

    global_options = options_of(help_sections(binary, []))
    options_text = "\n".join(section(lines, "OPTIONS"))
    problems += [f"global option {o} is not in OPTIONS" for o in sorted(global_options)
                 if not names(o, options_text)]

    in_help = commands(binary)
    in_man = documented_commands(lines)
    for path, options in sorted(in_help.items()):
        name = "xdpguard " + " ".join(path)
        if path not in in_man:
            problems.append(f"'{name}' is in --help but not in COMMANDS")
            continue
        problems += [f"'{name}': option {o} is in its --help but not in its entry"
                     for o in sorted(options) if not names(o, in_man[path])]
    problems += [f"'xdpguard {' '.join(path)}' is in COMMANDS but not in --help"
                 for path in sorted(in_man) if path not in in_help]

    for problem in problems:
        print(f"man page: {problem}", file=sys.stderr)
    print(f"man page covers {len(in_help)} commands and their options" if not problems
          else f"man page: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
