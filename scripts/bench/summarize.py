#!/usr/bin/env python3
"""Summarises the results.csv written by scripts/bench-pg.sh (stdlib only).

Prints one table per pgbench mode -- TPS per round, the paired ratio per round (the proxy's TPS
divided by the direct TPS of the same round), the median paired ratio and the proxy's CPU time per
transaction, the user-space part of it, and its CPU use as a share of one core over the run's
duration) -- and ends with one RESULT line for the simple mode. Where the run's tasks files
(BENCH_TASKS=1) lie beside results.csv, each table is followed by how much longer, per round, the
rest of the machine ran beside one proxy than beside another.

Usage: summarize.py results.csv
"""

import csv
import os
import statistics
import sys
from collections import defaultdict

from tasks_report import KINDS, OTHERS

TARGETS = ["direct", "relay", "pgbouncer", "warden", "warden-b"]
MODES = ["simple", "extended", "prepared"]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec):
    return "NA" if value is None else format(value, spec)


def load(path):
    """Returns {mode: {round: {target: row}}} with tps/cpu_us as floats or None."""
    runs = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            tps = float(row["tps"]) if row["tps"] else None
            txns = int(row["txns"]) if row["txns"] else None
            cpu_us, cpu_share = cpu_figures(row, txns)
            runs[row["mode"]][int(row["round"])][row["target"]] = {
                "tps": tps,
                "cpu_us": cpu_us,
                "user_us": user_figure(row, txns),
                "cpu_share": cpu_share,
                "rc": int(row["rc"]),
                "position": int(row["position"]),
                "others": others_time(
                    path, f"tasks-{row['mode']}-r{row['round']}-{row['target']}.txt"
                ),
                "kinds": kinds_time(
                    path, f"tasks-{row['mode']}-r{row['round']}-{row['target']}.txt"
                ),
            }
    return runs


def tasks_line(results, name, prefix):
    """The rest of the line starting with `prefix` in the run's tasks file `name`, kept beside
    `results` with BENCH_TASKS=1, or None."""
    try:
        with open(os.path.join(os.path.dirname(results), name)) as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line[len(prefix):].strip()
    except OSError:
        pass
    return None


def others_time(results, name):
    """The machine's busy µs per unit less the proxy's in the run's tasks file `name`, or None."""
    try:
        return float(tasks_line(results, name, OTHERS))
    except (TypeError, ValueError):
        return None


def kinds_time(results, name):
    """{kind of thread: (user µs, system µs) per unit} from the run's tasks file `name`, or
    None."""
    text = tasks_line(results, name, KINDS)
    if text is None:
        return None
    kinds = {}
    for part in text.split(";"):
        fields = part.split()
        if len(fields) == 5 and fields[1] == "user" and fields[3] == "sys":
            try:
                kinds[fields[0]] = (float(fields[2]), float(fields[4]))
            except ValueError:
                pass
    return kinds


def print_kinds(rounds, targets, unit):
    """Each proxy's user and system µs per unit by kind of thread, medians over the rounds
    (BENCH_TASKS=1 only): which of its threads the CPU time goes to."""
    for target in targets:
        runs = [rounds[r].get(target, {}).get("kinds") for r in sorted(rounds)]
        runs = [kinds for kinds in runs if kinds]
        if not runs:
            continue
        medians = []
        for name in {k for kinds in runs for k in kinds}:
            user = median([kinds.get(name, (0, 0))[0] for kinds in runs])
            system = median([kinds.get(name, (0, 0))[1] for kinds in runs])
            if user + system >= 0.005:
                medians.append((name, user, system))
        medians.sort(key=lambda kind: -(kind[1] + kind[2]))
        cells = [f"{name} {user:.2f} user + {system:.2f} sys" for name, user, system in medians]
        print(f"{target}'s threads by kind, µs/{unit} (medians): {'; '.join(cells)}")


def print_others(rounds, pairs, unit):
    """Per round, how much longer the rest of the machine ran beside one proxy than beside
    another (BENCH_TASKS=1 only): whether a proxy slows the client and the server."""
    for one, other in pairs:
        diffs = []
        for rnd in sorted(rounds):
            a = rounds[rnd].get(one, {}).get("others")
            b = rounds[rnd].get(other, {}).get("others")
            diffs.append(a - b if a is not None and b is not None else None)
        if any(d is not None for d in diffs):
            print(
                f"rest of the machine beside {one} minus beside {other}, µs/{unit} per round: "
                f"{' '.join(fmt(d, '.1f') for d in diffs)}  (median {fmt(median(diffs), '.1f')})"
            )


def cpu_figures(row, count):
    """(CPU µs per transaction or request, % of a core) of a CSV row's proxy, or Nones."""
    if not row["cpu_ticks"]:
        return None, None
    seconds = int(row["cpu_ticks"]) / int(row["clk_tck"])
    share = 100 * seconds / float(row["duration_s"])
    return (seconds * 1e6 / count if count else None), share


def user_figure(row, count):
    """User-space CPU µs per transaction of a CSV row's proxy (None for files without the column)."""
    if not row.get("user_ticks") or not count:
        return None
    return int(row["user_ticks"]) / int(row["clk_tck"]) * 1e6 / count


def ratio(rounds, numerator, denominator, key="tps"):
    """Per-round ratios of `key` numerator / denominator (None where either run failed)."""
    out = []
    for rnd in sorted(rounds):
        top = rounds[rnd].get(numerator, {}).get(key)
        bottom = rounds[rnd].get(denominator, {}).get(key)
        out.append(top / bottom if top and bottom else None)
    return out


def print_table(mode, rounds):
    numbers = sorted(rounds)
    print()
    print(f"## -M {mode} ({len(numbers)} rounds)")
    orders = []
    for rnd in numbers:
        order = sorted(rounds[rnd], key=lambda t: rounds[rnd][t]["position"])
        orders.append(f"r{rnd}: {' '.join(order)}")
    print("order: " + "; ".join(orders))
    header = (
        ["target"]
        + [f"r{r} TPS" for r in numbers]
        + [f"r{r} ÷direct" for r in numbers]
        + ["median ÷direct", "CPU µs/txn med", "user µs/txn med", "CPU % of a core med"]
    )
    rows = []
    for target in TARGETS:
        tps = [rounds[r].get(target, {}).get("tps") for r in numbers]
        if all(v is None for v in tps) and not any(target in rounds[r] for r in numbers):
            continue
        tps_cells = [
            fmt(v, ".0f") if v is not None else ("FAILED" if target in rounds[r] else "–")
            for v, r in zip(tps, numbers)
        ]
        if target == "direct":
            ratio_cells = [""] * len(numbers)
            med = ""
            cpu = user = share = "–"
        else:
            ratios = ratio(rounds, target, "direct")
            ratio_cells = [fmt(v, ".2f") for v in ratios]
            med = fmt(median(ratios), ".2f")
            cpu = fmt(median([rounds[r].get(target, {}).get("cpu_us") for r in numbers]), ".1f")
            user = fmt(median([rounds[r].get(target, {}).get("user_us") for r in numbers]), ".1f")
            share = fmt(
                median([rounds[r].get(target, {}).get("cpu_share") for r in numbers]), ".0f"
            )
        rows.append([target] + tps_cells + ratio_cells + [med, cpu, user, share])
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    pairs = [("warden", "pgbouncer"), ("warden", "relay")]
    if any("warden-b" in rounds[r] for r in numbers):
        pairs += [("warden-b", "warden"), ("warden-b", "pgbouncer")]
    for one, other in pairs:
        ratios = ratio(rounds, one, other)
        print(
            f"{one} ÷ {other} per round: {' '.join(fmt(v, '.2f') for v in ratios)}"
            f"  (median {fmt(median(ratios), '.2f')})"
        )
    beside = [("warden", "pgbouncer"), ("relay", "pgbouncer")]
    if any("warden-b" in rounds[r] for r in numbers):
        beside.append(("warden-b", "warden"))
    print_others(rounds, beside, "txn")
    print_kinds(rounds, [t for t in TARGETS if t != "direct"], "txn")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: summarize.py results.csv")
    runs = load(sys.argv[1])
    for mode in MODES:
        if mode in runs:
            print_table(mode, runs[mode])
    simple = runs.get("simple", {})
    numbers = sorted(simple)
    result = {
        "warden/direct": median(ratio(simple, "warden", "direct")),
        "warden/pgbouncer": median(ratio(simple, "warden", "pgbouncer")),
        "warden/relay": median(ratio(simple, "warden", "relay")),
    }
    cpu = {
        "warden_cpu_us": median([simple[r].get("warden", {}).get("cpu_us") for r in numbers]),
        "pgbouncer_cpu_us": median(
            [simple[r].get("pgbouncer", {}).get("cpu_us") for r in numbers]
        ),
    }
    if any("warden-b" in simple[r] for r in numbers):
        cpu["warden_b_cpu_us"] = median(
            [simple[r].get("warden-b", {}).get("cpu_us") for r in numbers]
        )
        result["warden-b/warden"] = median(ratio(simple, "warden-b", "warden"))
    print()
    print(
        "RESULT "
        + " ".join(f"{k}={fmt(v, '.2f')}" for k, v in result.items())
        + " "
        + " ".join(f"{k}={fmt(v, '.1f')}" for k, v in cpu.items())
    )
    failed = sum(1 for m in runs.values() for r in m.values() for t in r.values() if t["tps"] is None)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
