#!/usr/bin/env python3
"""The side-by-side table of scripts/bench --user: the JSON lines the user benchmarks
(bench/user) printed on Pleiades (read from the serial log) and on the host's Linux.

    compare.py SERIAL_LOG HOST_LOG OUT_DIR --smp N

Writes OUT_DIR/pleiades-smpN.jsonl and OUT_DIR/host-smpN.jsonl (the JSON lines found, in
order) and OUT_DIR/user-bench-smpN.md (a Markdown table: the median ns per op on each, and
the ratio Pleiades / host; a row one side lacks shows "(none)", a row a program skipped (one CPU
for a cross-CPU figure: a line with "skipped" and no "ns_per_op") shows why). Exits 1 when the
serial log has no result.
"""

import argparse
import json
import os
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def results(path):
    """Every benchmark JSON object in the file at path, in order (other lines ignored)."""
    found = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = ANSI.sub("", line).replace("\r", "").strip()
            if not line.startswith('{"bench"'):
                continue
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"compare: {path}: not JSON: {line!r}", file=sys.stderr)
    return found


def figure(row):
    """The table cell of one result: its median, or why the program skipped it."""
    if "ns_per_op" not in row:
        return f"(skipped: {row.get('skipped', '?')})"
    return f"{row['ns_per_op']:.1f}"


def ratio(ours, host):
    """The ratio cell: ours / host, empty when either side has no figure."""
    if "ns_per_op" not in ours or "ns_per_op" not in host:
        return ""
    if host["ns_per_op"] <= 0:
        return "inf"
    return f"{ours['ns_per_op'] / host['ns_per_op']:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("serial_log")
    parser.add_argument("host_log")
    parser.add_argument("out_dir")
    parser.add_argument("--smp", required=True)
    args = parser.parse_args()

    ours = results(args.serial_log)
    host = results(args.host_log)
    for name, rows in (("pleiades", ours), ("host", host)):
        path = os.path.join(args.out_dir, f"{name}-smp{args.smp}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    if not ours:
        print("compare: no benchmark result in the serial log", file=sys.stderr)
        return 1

    host_by_key = {(r["bench"], r["param"]): r for r in host}
    ours_kernel = ours[0].get("kernel", "?")
    host_kernel = host[0].get("kernel", "?") if host else "?"
    lines = [
        f"Pleiades ({ours_kernel}) under QEMU TCG at -smp {args.smp}, against the host's own "
        f"Linux ({host_kernel}) running natively on the host CPUs: not the same machine. A "
        "ratio is ours / host (< 1 is faster) and compares an emulated kernel with a native "
        "one; Linux in the same QEMU is issue 15. Medians of 5 repetitions, ns per op.",
        "",
        "| benchmark | param | Pleiades (QEMU TCG) | host Linux (native) | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    seen = set()
    for r in ours:
        key = (r["bench"], r["param"])
        seen.add(key)
        h = host_by_key.get(key)
        if h is None:
            lines.append(f"| {key[0]} | {key[1]} | {figure(r)} | (none) | |")
            continue
        lines.append(f"| {key[0]} | {key[1]} | {figure(r)} | {figure(h)} | {ratio(r, h)} |")
    for h in host:
        key = (h["bench"], h["param"])
        if key not in seen:
            lines.append(f"| {key[0]} | {key[1]} | (none) | {figure(h)} | |")
    table = "\n".join(lines) + "\n"
    path = os.path.join(args.out_dir, f"user-bench-smp{args.smp}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
