"""The whole machine's CPU time per unit by command, from `perf report --sort comm -F sample,comm`.

Usage: perf report ... | machine_report.py FREQ UNITS, where FREQ is the sampling frequency
(every sample stands for 1/FREQ s of one CPU) and UNITS the transactions or requests of the run.
Commands that differ only by a CPU number or a work queue (kworker/0:1H-kblockd) are summed
under their stem (kworker).
"""

import re
import sys


def stem(comm):
    """The command without its per-CPU or per-queue suffix."""
    return re.split(r"[/:]", comm, maxsplit=1)[0] or comm


def main():
    freq, units = int(sys.argv[1]), int(sys.argv[2])
    per_sample = 1_000_000 / freq / units  # µs per unit that one sample stands for
    totals = {}
    for line in sys.stdin:
        fields = line.split(None, 1)
        if len(fields) == 2 and fields[0].isdigit():
            name = stem(fields[1].strip())
            totals[name] = totals.get(name, 0) + int(fields[0])
    idle = totals.pop("swapper", 0)
    busy = sum(totals.values())
    print(f"{'command':<20} {'µs per unit':>12}")
    for name, samples in sorted(totals.items(), key=lambda kv: -kv[1]):
        if samples * per_sample >= 0.05:
            print(f"{name:<20} {samples * per_sample:>12.2f}")
    print(f"{'busy':<20} {busy * per_sample:>12.2f}")
    print(f"{'idle (swapper)':<20} {idle * per_sample:>12.2f}")


if __name__ == "__main__":
    main()
