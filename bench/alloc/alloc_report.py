#!/usr/bin/env python3
"""Turns alloc_bench's Google Benchmark JSON into a Markdown side-by-side table.

Benchmark names are "<scenario>/<arg>/<allocator>[/real_time][/threads:N]". One row per
scenario, arg and thread count; one column per allocator (median time per operation over the
repetitions); then ours / mimalloc and ours / jemalloc (below 1: ours is faster), all from the
same run. A second table gives the memory overhead counters, a third the 2-thread scaling
(2-thread throughput / 1-thread throughput). An allocator that was not loaded shows "missing"
and the reason is listed under the tables.

usage: alloc_report.py RESULTS_DIR   (reads alloc_bench.json and machine.txt, writes alloc_bench.md)
"""
import json
import os
import sys
from collections import defaultdict

OURS = "ours:heap"
COLUMNS = [OURS, "glibc", "mimalloc", "jemalloc", "tcmalloc"]
FRAMES = "ours:frames"


def parse_name(name):
    """'Larson/0/mimalloc/real_time/threads:2' -> ('Larson', '0', 'mimalloc', 2)."""
    parts = name.split("/")
    threads = 1
    rest = []
    for part in parts:
        if part.startswith("threads:"):
            threads = int(part.split(":")[1])
        elif part not in ("real_time",) and not part.startswith(("iterations:", "repeats:")):
            rest.append(part)
    if len(rest) < 3:
        return None
    return rest[0], rest[1], "/".join(rest[2:]), threads


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = defaultdict(lambda: defaultdict(list))  # run name -> field -> values
    medians = {}
    errors = {}
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        fields = {"time": b["real_time"] * scale[b.get("time_unit", "ns")]}
        for key in ("held_per_live", "held_kib", "rss_per_live", "items_per_second"):
            if key in b:
                fields[key] = b[key]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = fields
            continue
        for key, value in fields.items():
            runs[name][key].append(value)
    for name, fields in runs.items():
        if name not in medians:  # no aggregates: a single repetition
            medians[name] = {key: median(values) for key, values in fields.items()}
    return data.get("context", {}), medians, errors


def fmt_time(ns):
    return f"{ns / 1e3:.1f} us" if ns >= 1e4 else f"{ns:.1f} ns"


def report(results_dir):
    context, medians, errors = load(os.path.join(results_dir, "alloc_bench.json"))
    rows = {}  # (scenario, arg, threads) -> allocator -> entry or error string
    order = []
    for name in list(medians) + list(errors):
        parsed = parse_name(name)
        if not parsed:
            continue
        scenario, arg, allocator, threads = parsed
        key = (scenario, arg, threads)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key][allocator] = medians.get(name, errors.get(name))

    scenario_rank = {"SameThread": 0, "CrossThread": 1, "Larson": 2, "Footprint": 3, "FramePair": 4,
                     "FrameCachePair": 5}
    order.sort(key=lambda k: (scenario_rank.get(k[0], 9), int(k[1]) if k[1].isdigit() else 0, k[2]))

    def label(key):
        scenario, arg, threads = key
        if scenario == "CrossThread":
            return "CrossThread, producer + consumer"
        text = scenario if arg == "0" else f"{scenario} {arg} B"
        return f"{text}, {threads} thr"

    def base_label(key):
        return label(key).rsplit(", ", 1)[0]

    lines = ["# Allocator benchmarks (alloc_bench)", ""]
    machine = os.path.join(results_dir, "machine.txt")
    if os.path.exists(machine):
        lines += ["```", open(machine).read().strip(), "```", ""]
    lines += ["Time per operation (wall clock, median of the repetitions; SameThread, Larson, "
              "FramePair: one allocation + one free; CrossThread: one block allocated on one "
              "thread and freed on the other; Footprint: 16384 allocations then 16384 frees). "
              "vs mi / vs je = ours / mimalloc, ours / jemalloc (< 1: ours is faster).", ""]
    lines += ["| scenario | " + " | ".join(COLUMNS) + " | vs mi | vs je |",
              "|---|" + "---:|" * (len(COLUMNS) + 2)]

    def cell(entry, field="time"):
        if entry is None:
            return ""
        if isinstance(entry, str):
            return "missing" if entry.startswith("missing") else "error"
        if field not in entry:
            return ""
        return fmt_time(entry[field]) if field == "time" else f"{entry[field]:.2f}"

    def ratio(key, peer):
        ours, other = rows[key].get(OURS), rows[key].get(peer)
        if isinstance(ours, dict) and isinstance(other, dict) and other["time"] > 0:
            return f"{ours['time'] / other['time']:.2f}"
        return ""

    frame_rows = []
    for key in order:
        if FRAMES in rows[key]:
            frame_rows.append(key)
            continue
        cells = [cell(rows[key].get(c)) for c in COLUMNS]
        lines.append(f"| {label(key)} | " + " | ".join(cells) +
                     f" | {ratio(key, 'mimalloc')} | {ratio(key, 'jemalloc')} |")
    lines.append("")

    if frame_rows:
        lines += ["Frame allocator (ours only; 64 frames live per thread; FramePair: the bitmap "
                  "allocator, FrameAllocator::alloc + free under its one lock; FrameCachePair: "
                  "the per-CPU frame cache in front of it, FrameCache::alloc + free):", "", "| scenario | time | items/s |", "|---|---:|---:|"]
        for key in frame_rows:
            e = rows[key][FRAMES]
            if isinstance(e, dict):
                lines.append(f"| {label(key)} | {fmt_time(e['time'])} | "
                             f"{e.get('items_per_second', 0) / 1e6:.2f} M |")
            else:
                lines.append(f"| {label(key)} | {cell(e)} | |")
        lines.append("")

    lines += ["Memory overhead, measured in a fresh child process per allocator: held = bytes "
              "the allocator's own statistics count beyond its start, per byte live "
              "(what each counts: under the tables); rss = the same from the process's resident "
              "set. Footprint: 65536 blocks of the size live; Larson: 4096 slots after 2^20 "
              "random replacements.", "",
              "| scenario | " + " | ".join(f"{c} held / rss" for c in COLUMNS) + " |",
              "|---|" + "---:|" * len(COLUMNS)]
    for key in order:
        if key[2] != 1 or FRAMES in rows[key]:
            continue
        if not any(isinstance(e, dict) and "held_per_live" in e for e in rows[key].values()):
            continue
        cells = []
        for c in COLUMNS:
            e = rows[key].get(c)
            if isinstance(e, dict) and "held_per_live" in e:
                cells.append(f"{e['held_per_live']:.2f} / {e.get('rss_per_live', 0):.2f}")
            else:
                cells.append(cell(e))
        lines.append(f"| {base_label(key)} | " + " | ".join(cells) + " |")
    lines.append("")

    lines += ["2-thread scaling: throughput with 2 threads / with 1 (2.00 = perfect).", "",
              "| scenario | " + " | ".join(COLUMNS + [FRAMES]) + " |",
              "|---|" + "---:|" * (len(COLUMNS) + 1)]
    for key in order:
        if key[2] != 1:
            continue
        two = (key[0], key[1], 2)
        if two not in rows:
            continue
        cells = []
        for c in COLUMNS + [FRAMES]:
            a, b = rows[key].get(c), rows[two].get(c)
            if isinstance(a, dict) and isinstance(b, dict) and a.get("items_per_second"):
                cells.append(f"{b['items_per_second'] / a['items_per_second']:.2f}")
            else:
                cells.append(cell(a) if isinstance(a, str) else "")
        lines.append(f"| {base_label(key)} | " + " | ".join(cells) + " |")
    lines.append("")

    notes = [(k, v) for k, v in sorted(context.items()) if k.startswith(("held:", "missing:"))]
    if notes:
        lines += ["What each allocator's held figure counts, and what was missing:", ""]
        lines += [f"- {k}: {v}" for k, v in notes]
        lines.append("")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    text = report(sys.argv[1])
    out = os.path.join(sys.argv[1], "alloc_bench.md")
    with open(out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
