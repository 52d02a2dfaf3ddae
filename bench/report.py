#!/usr/bin/env python3
"""Turns Google Benchmark JSON (scripts/bench) into a Markdown table and a plot.

Benchmark names are "<scenario>/<implementation>[/threads:N...]"; implementations starting
with "ours:" are ours, the rest are peers. For every scenario (name without the
implementation) and each of our implementations the table gives our median time, the best
peer's median time and the ratio ours / best peer (below 1: we are faster). Counters
(handoff, min_share) are shown as medians too. Benchmarks without "ours:" rows (format_bench)
are listed with their medians only.

usage: report.py RESULTS_DIR BINARY...
"""
import json
import os
import re
import sys
from collections import defaultdict


# Our lock -> the Concurrency Kit lock of the same kind (the issue's "matching" peer).
MATCHING_CK = {
    "ours:ticket": "ck:ticket",
    "ours:ticket-wrapped": "ck:ticket",
    "ours:mcs": "ck:mcs",
    "ours:tas-backoff": "ck:fas-backoff",
    "ours:rw": "ck:rwlock",
    "ours:rw-percpu": "ck:rwlock",
}


def load_medians(path):
    with open(path) as f:
        data = json.load(f)
    medians = {}
    cvs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "cv":
            cvs[b.get("run_name", b["name"])] = b["real_time"]
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "iteration" and name in medians:
            continue  # a single run only when no aggregates exist
        entry = {"time": b["real_time"], "unit": b.get("time_unit", "ns")}
        for key in ("handoff", "min_share", "min_share_all", "acq_per_s", "items_per_second"):
            if key in b:
                entry[key] = b[key]
        medians[name] = entry
    for name, cv in cvs.items():
        if name in medians:
            medians[name]["cv"] = cv  # coefficient of variation of the repetitions
    return data.get("context", {}), medians


PEERS = ("pthread_spin", "std::mutex", "pthread_rwlock", "std::shared_mutex",
         # sched_runqueue_bench, sched_switch_bench
         "std::priority_queue", "std::multiset", "boost::intrusive::multiset",
         "boost::jump_fcontext", "ucontext:swapcontext",
         # console_bench: the console before the text shadow
         "readback")


def split(name):
    """'Contended/ours:mcs/real_time/threads:2' -> ('Contended threads:2', 'ours:mcs')."""
    scenario, impl = [], None
    for part in name.split("/"):
        if impl is None and (part.startswith(("ours:", "ck:")) or part in PEERS):
            impl = part
        elif part == "real_time" or part.isdigit() or part.startswith("iterations:"):
            continue  # Google Benchmark's suffixes and the argument already in the name
        else:
            scenario.append(part)
    return " ".join(scenario), impl


def cv(entry):
    return f"{100 * entry['cv']:.0f}%" if "cv" in entry else ""


def to_ns(entry):
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[entry["unit"]]
    return entry["time"] * scale


def report(results_dir, binaries):
    lines = ["# Benchmark results", ""]
    machine = os.path.join(results_dir, "machine.txt")
    if os.path.exists(machine):
        lines += ["```", open(machine).read().strip(), "```", ""]
    ratio_rows = []
    for binary in binaries:
        path = os.path.join(results_dir, binary + ".json")
        if not os.path.exists(path):
            continue
        context, medians = load_medians(path)
        lines += [f"## {binary}", ""]
        scenarios = defaultdict(dict)
        for name, entry in medians.items():
            scenario, impl = split(name)
            scenarios[scenario][impl or name] = entry
        has_ours = any(any(i.startswith("ours:") for i in impls) for impls in scenarios.values())
        if not has_ours:
            lines += ["| benchmark | median |", "|---|---:|"]
            for name, entry in sorted(medians.items()):
                lines.append(f"| {name} | {entry['time']:.1f} {entry['unit']} |")
            lines.append("")
            continue
        intro = ("Time per operation (wall clock, median of the repetitions); ratio = ours / "
                 "best peer (< 1: ours is faster); cv = spread of the repetitions "
                 "(stddev / mean).")
        if any(sc.startswith("Fairness") for sc in scenarios):
            intro += (" vs CK = ours / the matching Concurrency Kit lock in the same scenario "
                      "(ticket, mcs, fas-backoff for tas-backoff, rwlock for the rw locks). "
                      "Fairness rows time a fixed 20 ms window, so their ratio means little; "
                      "read min_share there: fewest / most acquisitions per thread, counting "
                      "only those made while the other thread waited for the lock (1 = even; "
                      "the all-medians table adds min_share_all, every acquisition of the "
                      "window, which also counts stretches where the host had descheduled one "
                      "thread).")
        lines += [
            intro, "",
            "| scenario | ours | ours time | cv | best peer | peer time | cv | ratio "
            "| vs CK | handoff (ours/peer) | min_share (ours/peer) |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
        for scenario in sorted(scenarios):
            impls = scenarios[scenario]
            peers = {i: e for i, e in impls.items() if not i.startswith("ours:")}
            if not peers:
                continue
            best_peer, best = min(peers.items(), key=lambda kv: to_ns(kv[1]))
            for impl, entry in sorted(impls.items()):
                if not impl.startswith("ours:"):
                    continue
                ratio = to_ns(entry) / to_ns(best) if to_ns(best) > 0 else float("nan")
                def pair(key):
                    if key in entry and key in best:
                        return f"{entry[key]:.2f} / {best[key]:.2f}"
                    return ""
                match = impls.get(MATCHING_CK.get(impl, ""))
                vs_ck = (f"{to_ns(entry) / to_ns(match):.2f}"
                         if match is not None and to_ns(match) > 0
                         and not scenario.startswith("Fairness") else "")
                lines.append(
                    f"| {scenario} | {impl} | {to_ns(entry):.1f} ns | {cv(entry)} | {best_peer} | "
                    f"{to_ns(best):.1f} ns | {cv(best)} | {ratio:.2f} | {vs_ck} | "
                    f"{pair('handoff')} | {pair('min_share')} |")
                if not scenario.startswith("Fairness"):
                    ratio_rows.append((f"{scenario} {impl}", ratio))
            # All implementations, for reference.
        lines += ["", "<details><summary>all medians</summary>", "",
                  "| scenario | implementation | time | handoff | min_share | min_share_all |",
                  "|---|---|---:|---:|---:|---:|"]
        for scenario in sorted(scenarios):
            for impl, entry in sorted(scenarios[scenario].items(), key=lambda kv: to_ns(kv[1])):
                lines.append(f"| {scenario} | {impl} | {to_ns(entry):.1f} ns | "
                             f"{entry.get('handoff', ''):{'.2f' if 'handoff' in entry else ''}} | "
                             f"{entry.get('min_share', ''):{'.2f' if 'min_share' in entry else ''}} | "
                             f"{entry.get('min_share_all', ''):{'.2f' if 'min_share_all' in entry else ''}} |")
        lines += ["", "</details>", ""]

    md_path = os.path.join(results_dir, "report.md")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")

    if ratio_rows:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        labels = [r[0] for r in ratio_rows]
        values = [r[1] for r in ratio_rows]
        fig, ax = plt.subplots(figsize=(10, max(4, 0.22 * len(labels))))
        colors = ["tab:green" if v <= 1.0 else "tab:red" for v in values]
        ax.barh(range(len(values)), values, color=colors)
        ax.set_yticks(range(len(values)))
        ax.set_yticklabels(labels, fontsize=7)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel("time ratio ours / best peer (log scale; < 1 is faster)")
        ax.set_title("Pleiades vs best peer (medians)")
        fig.tight_layout()
        fig.savefig(os.path.join(results_dir, "lock_ratios.png"), dpi=110)
    print(md_path)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    report(sys.argv[1], sys.argv[2:])
