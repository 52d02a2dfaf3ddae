#!/usr/bin/env python3
"""The table of scripts/bench --vs-linux: the same user benchmarks (bench/user) on Pleiades and
on Debian's Linux, booted alternately in the same QEMU, plus each kernel's own boot figures.

    vs_linux.py OUT_DIR --smp N

Reads OUT_DIR/pleiades-smpN-roundK.log and OUT_DIR/linux-smpN-roundK.log (the serial logs of
round K = 1, 2, ...), writes OUT_DIR/vs-linux-smpN.json (every figure of every round),
OUT_DIR/vs-linux-smpN.md (per row: the median over the rounds on each kernel, the spread
min..max, and the ratio Pleiades / Linux: < 1 is faster) and OUT_DIR/vs-linux-smpN.png (the
ratios; only when matplotlib is there). Exits 1 when a kernel has no result at all.

Boot figures, from each kernel's log:
- AP bring-up: Pleiades' "smp: bring-up took X us" (every stage: preparing, starting, the TSC
  check, the release and join; docs/smp.md); Linux's time between "smp: Bringing up secondary
  CPUs" and "smp: Brought up" (its printk timestamps).
- kernel start to /init: Pleiades' "init: starting ... X ms after the kernel's entry" (the TSC
  at kernel_main's first instruction, right after the loader's jump); Linux's printk timestamp
  of "Run /... as init process", which counts from its clock's start early in start_kernel:
  its EFI stub and decompressor run before it, uncounted.
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ANSI, results  # noqa: E402  (bench/user/compare.py)

PLEIADES_SMP = re.compile(r"smp: bring-up took (\d+) us")
PLEIADES_INIT = re.compile(r"init: starting \S+ as pid 1 .*, (\d+\.\d+) ms after the kernel's entry")
LINUX_STAMP = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")


def boot_figures(path, kernel):
    """{row: ms} of the boot figures the log at path shows."""
    found = {}
    linux_up_start = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = ANSI.sub("", raw).replace("\r", "").strip()
            if kernel == "pleiades":
                m = PLEIADES_SMP.search(line)
                if m:
                    found["AP bring-up (ms)"] = float(m.group(1)) / 1000.0
                m = PLEIADES_INIT.search(line)
                if m:
                    found["kernel start to /init (ms)"] = float(m.group(1))
                continue
            m = LINUX_STAMP.match(line)
            if not m:
                continue
            stamp, text = float(m.group(1)) * 1000.0, m.group(2)
            if text.startswith("smp: Bringing up secondary CPUs"):
                linux_up_start = stamp
            elif text.startswith("smp: Brought up") and linux_up_start is not None:
                found["AP bring-up (ms)"] = stamp - linux_up_start
            elif re.match(r"Run /\S+ as init process", text):
                found["kernel start to /init (ms)"] = stamp
    return found


def rounds(out_dir, kernel, smp):
    """[(benchmark rows, boot figures)] per round, in round order."""
    paths = glob.glob(os.path.join(out_dir, f"{kernel}-smp{smp}-round*.log"))
    paths.sort(key=lambda p: int(re.search(r"round(\d+)\.log$", p).group(1)))
    return [(results(p), boot_figures(p, kernel)) for p in paths]


def collect(per_round):
    """{(bench, param): [value per round]} of ns per op and boot figures."""
    values = {}
    for rows, boot in per_round:
        for r in rows:
            if "ns_per_op" in r:
                values.setdefault((r["bench"], r["param"]), []).append(float(r["ns_per_op"]))
        for name, ms in boot.items():
            values.setdefault(("boot", name), []).append(ms)
    return values


def kernel_of(per_round):
    """The "kernel" field of the first result (uname's sysname and release)."""
    return next((r["kernel"] for rows, _ in per_round for r in rows if "kernel" in r), "?")


def cell(samples):
    if not samples:
        return "(none)"
    median = statistics.median(samples)
    if len(samples) == 1:
        return f"{median:.1f}"
    return f"{median:.1f} ({min(samples):.1f}..{max(samples):.1f})"


def plot(rows, path, smp):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("vs_linux: no matplotlib (package python3-matplotlib): no plot", file=sys.stderr)
        return
    labels = [f"{b} {p}".strip() for (b, p), _ in rows]
    ratios = [r for _, r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.5))
    ax.barh(labels, ratios, color=["tab:green" if r <= 1 else "tab:red" for r in ratios])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("Pleiades / Linux (median; < 1 is faster)")
    ax.set_title(f"Pleiades vs Linux in the same QEMU, -smp {smp}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--smp", required=True)
    args = parser.parse_args()

    ours_rounds = rounds(args.out_dir, "pleiades", args.smp)
    linux_rounds = rounds(args.out_dir, "linux", args.smp)
    ours, linux = collect(ours_rounds), collect(linux_rounds)
    with open(os.path.join(args.out_dir, f"vs-linux-smp{args.smp}.json"), "w",
              encoding="utf-8") as f:
        json.dump({"smp": args.smp,
                   "pleiades": [{"bench": b, "param": p, "values": v} for (b, p), v in ours.items()],
                   "linux": [{"bench": b, "param": p, "values": v} for (b, p), v in linux.items()]},
                  f, indent=1)
    if not any(rows for rows, _ in ours_rounds) or not any(rows for rows, _ in linux_rounds):
        print("vs_linux: a kernel has no benchmark result: see the round logs", file=sys.stderr)
        return 1

    lines = [
        f"Pleiades ({kernel_of(ours_rounds)}) and Debian's Linux ({kernel_of(linux_rounds)}), "
        f"booted alternately in the same QEMU (same firmware, machine, CPU model, memory) at "
        f"-smp {args.smp}, {len(ours_rounds)} rounds each. Each cell: the median over the rounds "
        "(of each round's median of 5 repetitions), min..max across rounds. ns per op unless "
        "the row says ms. Ratio: Pleiades / Linux, < 1 is faster.",
        "",
        "| benchmark | param | Pleiades | Linux | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    keys = list(ours) + [k for k in linux if k not in ours]
    plotted = []
    for key in keys:
        o, l = ours.get(key, []), linux.get(key, [])
        ratio = ""
        if o and l and statistics.median(l) > 0:
            r = statistics.median(o) / statistics.median(l)
            ratio = f"{r:.2f}"
            plotted.append((key, r))
        lines.append(f"| {key[0]} | {key[1]} | {cell(o)} | {cell(l)} | {ratio} |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(args.out_dir, f"vs-linux-smp{args.smp}.md"), "w",
              encoding="utf-8") as f:
        f.write(table)
    print(table)
    if plotted:
        plot(plotted, os.path.join(args.out_dir, f"vs-linux-smp{args.smp}.png"), args.smp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
