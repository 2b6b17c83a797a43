#!/usr/bin/env python3
"""Summarises the results.csv written by scripts/bench-http.sh (stdlib only).

Prints one table -- requests/s per round, the paired ratio per round (the proxy's requests/s
divided by the direct requests/s of the same round), the median paired ratio, median p50/p99
latency and each proxy's CPU time per request (and its CPU use as a share of one core over the
run's duration) -- and ends with one RESULT line.

Usage: summarize_http.py results.csv
"""

import csv
import sys
from collections import defaultdict

# The PostgreSQL summary's helpers (same folder, on sys.path when run as a script).
from summarize import cpu_figures, fmt, kinds_time, median, others_time, print_kinds, print_others
from summarize import ratio as tps_ratio

TARGETS = ["direct", "nginx", "warden", "warden-b"]


def number(text, kind=float):
    return kind(text) if text else None


def load(path):
    """Returns {round: {target: row}} with rps/cpu_us/latencies as floats or None."""
    rounds = defaultdict(dict)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            requests = number(row["requests"], int)
            cpu_us, cpu_share = cpu_figures(row, requests)
            rounds[int(row["round"])][row["target"]] = {
                "rps": number(row["rps"]),
                "p50": number(row["p50_ms"]),
                "p99": number(row["p99_ms"]),
                "cpu_us": cpu_us,
                "cpu_share": cpu_share,
                "position": int(row["position"]),
                "others": others_time(path, f"tasks-r{row['round']}-{row['target']}.txt"),
                "kinds": kinds_time(path, f"tasks-r{row['round']}-{row['target']}.txt"),
            }
    return rounds


def ratio(rounds, numerator, denominator):
    """Per-round requests/s ratios numerator / denominator (None where either run failed)."""
    return tps_ratio(rounds, numerator, denominator, key="rps")


def column(rounds, target, key):
    return [rounds[r].get(target, {}).get(key) for r in sorted(rounds)]


def print_table(rounds):
    numbers = sorted(rounds)
    print()
    print(f"## wrk ({len(numbers)} rounds)")
    orders = []
    for rnd in numbers:
        order = sorted(rounds[rnd], key=lambda t: rounds[rnd][t]["position"])
        orders.append(f"r{rnd}: {' '.join(order)}")
    print("order: " + "; ".join(orders))
    header = (
        ["target"]
        + [f"r{r} req/s" for r in numbers]
        + [f"r{r} ÷direct" for r in numbers]
        + ["median ÷direct", "p50 ms med", "p99 ms med", "CPU µs/req med", "CPU % of a core med"]
    )
    rows = []
    for target in TARGETS:
        if not any(target in rounds[r] for r in numbers):
            continue
        rps_cells = [
            fmt(v, ".0f") if v is not None else ("FAILED" if target in rounds[r] else "–")
            for v, r in zip(column(rounds, target, "rps"), numbers)
        ]
        latency = [
            fmt(median(column(rounds, target, "p50")), ".2f"),
            fmt(median(column(rounds, target, "p99")), ".2f"),
        ]
        if target == "direct":
            ratio_cells = [""] * len(numbers)
            med = ""
            cpu = share = "–"
        else:
            ratios = ratio(rounds, target, "direct")
            ratio_cells = [fmt(v, ".2f") for v in ratios]
            med = fmt(median(ratios), ".2f")
            cpu = fmt(median(column(rounds, target, "cpu_us")), ".1f")
            share = fmt(median(column(rounds, target, "cpu_share")), ".0f")
        rows.append([target] + rps_cells + ratio_cells + [med] + latency + [cpu, share])
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    pairs = []
    if any("warden" in rounds[r] for r in numbers):
        pairs.append(("warden", "nginx"))
    if any("warden-b" in rounds[r] for r in numbers):
        pairs += [("warden-b", "warden"), ("warden-b", "nginx")]
    for numerator, denominator in pairs:
        ratios = ratio(rounds, numerator, denominator)
        print(
            f"{numerator} ÷ {denominator} per round: {' '.join(fmt(v, '.2f') for v in ratios)}"
            f"  (median {fmt(median(ratios), '.2f')})"
        )
    print_others(rounds, [p for p in pairs if p != ("warden-b", "nginx")], "request")
    print_kinds(rounds, [t for t in TARGETS if t != "direct"], "request")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: summarize_http.py results.csv")
    rounds = load(sys.argv[1])
    print_table(rounds)
    result = {
        "warden/direct": median(ratio(rounds, "warden", "direct")),
        "warden/nginx": median(ratio(rounds, "warden", "nginx")),
        "nginx/direct": median(ratio(rounds, "nginx", "direct")),
    }
    cpu = {
        "warden_cpu_us": median(column(rounds, "warden", "cpu_us")),
        "nginx_cpu_us": median(column(rounds, "nginx", "cpu_us")),
    }
    if any("warden-b" in rounds[r] for r in rounds):
        result["warden-b/warden"] = median(ratio(rounds, "warden-b", "warden"))
        cpu["warden_b_cpu_us"] = median(column(rounds, "warden-b", "cpu_us"))
    print()
    print(
        "RESULT "
        + " ".join(f"{k}={fmt(v, '.2f')}" for k, v in result.items())
        + " "
        + " ".join(f"{k}={fmt(v, '.1f')}" for k, v in cpu.items())
    )
    failed = sum(1 for r in rounds.values() for t in r.values() if t["rps"] is None)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
