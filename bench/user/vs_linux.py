#!/usr/bin/env python3
"""The table of scripts/bench --vs-linux and --vs-kernel: the same user benchmarks (bench/user)
on two kernels booted alternately in the same QEMU, plus each kernel's own boot figures.

    vs_linux.py OUT_DIR --smp N [--vs linux|kernel]

--vs linux (the default): Pleiades against Debian's Linux. Reads OUT_DIR/pleiades-smpN-roundK.log
and OUT_DIR/linux-smpN-roundK.log (the serial logs of round K = 1, 2, ...), writes
OUT_DIR/vs-linux-smpN.json (every figure of every round), OUT_DIR/vs-linux-smpN.md (per row: the
median over the rounds on each kernel, the spread min..max, and the ratio Pleiades / Linux: < 1
is faster) and OUT_DIR/vs-linux-smpN.png (the ratios; only when matplotlib is there).

--vs kernel: this build's Pleiades kernel ("ours") against another Pleiades kernel ("baseline"):
the same from OUT_DIR/ours-smpN-roundK.log and OUT_DIR/baseline-smpN-roundK.log into
vs-kernel-smpN.json, .md and .png, ratio ours / baseline.

A row one kernel did not produce (a benchmark an older kernel cannot run) shows "(none)" and no
ratio; a row it produced in fewer rounds than it booted says in how many. Exits 1 when a kernel
has no result at all.

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


class Side:
    """One of the two kernels: its logs' name, which boot messages it prints, its column."""

    def __init__(self, name, kind, label):
        self.name = name    # the logs are NAME-smpN-roundK.log, the JSON's member NAME
        self.kind = kind    # "pleiades" or "linux": whose boot messages boot_figures reads
        self.label = label  # the column heading and the ratio's term


# --vs: the two sides (A, whose figures are the ratio's numerator, and B) and the files' prefix.
COMPARISONS = {
    "linux": ("vs-linux", Side("pleiades", "pleiades", "Pleiades"), Side("linux", "linux", "Linux")),
    "kernel": ("vs-kernel", Side("ours", "pleiades", "ours"),
               Side("baseline", "pleiades", "baseline")),
}


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


def rounds(out_dir, side, smp):
    """[(benchmark rows, boot figures)] per round of side (a Side), in round order."""
    paths = glob.glob(os.path.join(out_dir, f"{side.name}-smp{smp}-round*.log"))
    paths.sort(key=lambda p: int(re.search(r"round(\d+)\.log$", p).group(1)))
    return [(results(p), boot_figures(p, side.kind)) for p in paths]


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


def cell(samples, booted):
    """The table cell of one row on one kernel: the median of samples (one per round that gave
    the row) and their spread; "(none)" without any, and "in K of N rounds" when fewer rounds
    gave it than the kernel booted (booted)."""
    if not samples:
        return "(none)"
    median = statistics.median(samples)
    if len(samples) == 1:
        text = f"{median:.1f}"
    else:
        text = f"{median:.1f} ({min(samples):.1f}..{max(samples):.1f})"
    if len(samples) < booted:
        text += f" in {len(samples)} of {booted} rounds"
    return text


def plot(rows, path, xlabel, title):
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
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def heading(vs, a, a_rounds, b, b_rounds, smp):
    """The paragraph above the table: what ran, how often, how to read a cell."""
    cells = (f"{len(a_rounds)} rounds each. Each cell: the median over the rounds (of each "
             "round's median of 5 repetitions), min..max across rounds. ns per op unless the row "
             "says ms.")
    if vs == "linux":
        return (f"Pleiades ({kernel_of(a_rounds)}) and Debian's Linux ({kernel_of(b_rounds)}), "
                f"booted alternately in the same QEMU (same firmware, machine, CPU model, memory) "
                f"at -smp {smp}, {cells} Ratio: Pleiades / Linux, < 1 is faster.")
    return (f"Two Pleiades kernels, this build's ({a.label}) and another ({b.label}: see "
            f"machine-smp{smp}.txt), booted alternately in the same QEMU (same loader, "
            f"initramfs, command line, firmware, machine, CPU model, memory) at -smp {smp}, "
            f"{cells} (none): the kernel did not produce the row (a benchmark it cannot run). "
            f"Ratio: {a.label} / {b.label}, < 1 is faster.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--smp", required=True)
    parser.add_argument("--vs", choices=sorted(COMPARISONS), default="linux")
    args = parser.parse_args()
    prefix, a, b = COMPARISONS[args.vs]

    a_rounds = rounds(args.out_dir, a, args.smp)
    b_rounds = rounds(args.out_dir, b, args.smp)
    a_values, b_values = collect(a_rounds), collect(b_rounds)
    with open(os.path.join(args.out_dir, f"{prefix}-smp{args.smp}.json"), "w",
              encoding="utf-8") as f:
        json.dump({"smp": args.smp,
                   a.name: [{"bench": k, "param": p, "values": v}
                            for (k, p), v in a_values.items()],
                   b.name: [{"bench": k, "param": p, "values": v}
                            for (k, p), v in b_values.items()]},
                  f, indent=1)
    for side, side_rounds in ((a, a_rounds), (b, b_rounds)):
        if not any(rows for rows, _ in side_rounds):
            print(f"vs_linux: {side.label} has no benchmark result in {len(side_rounds)} round "
                  f"logs ({side.name}-smp{args.smp}-round*.log): see them", file=sys.stderr)
            return 1

    lines = [
        heading(args.vs, a, a_rounds, b, b_rounds, args.smp),
        "",
        f"| benchmark | param | {a.label} | {b.label} | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    keys = list(a_values) + [k for k in b_values if k not in a_values]
    plotted = []
    for key in keys:
        o, l = a_values.get(key, []), b_values.get(key, [])
        ratio = ""
        if o and l and statistics.median(l) > 0:
            r = statistics.median(o) / statistics.median(l)
            ratio = f"{r:.2f}"
            plotted.append((key, r))
        lines.append(f"| {key[0]} | {key[1]} | {cell(o, len(a_rounds))} | "
                     f"{cell(l, len(b_rounds))} | {ratio} |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(args.out_dir, f"{prefix}-smp{args.smp}.md"), "w",
              encoding="utf-8") as f:
        f.write(table)
    print(table)
    if plotted:
        # A short title: the plot is only as wide as the labels leave it.
        title = (f"Pleiades vs Linux in the same QEMU, -smp {args.smp}" if args.vs == "linux"
                 else f"Pleiades, {a.label} vs {b.label}, -smp {args.smp}")
        plot(plotted, os.path.join(args.out_dir, f"{prefix}-smp{args.smp}.png"),
             f"{a.label} / {b.label} (median; < 1 is faster)", title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
