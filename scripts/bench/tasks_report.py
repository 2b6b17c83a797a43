"""Per-thread CPU ticks and context switches of a proxy over one benchmark run.

Usage: tasks_report.py BEFORE AFTER UNITS MACHINE CLK_TCK, where BEFORE and AFTER are lines of
"TID NAME USER SYS VOLUNTARY INVOLUNTARY" (scripts/bench/lib.sh: task_ticks), UNITS the
transactions or requests of the run, MACHINE two lines of the whole machine's counters before
and after it ("SWITCHES USER NICE SYSTEM IDLE IOWAIT IRQ SOFTIRQ STEAL OUTSEGS DELAYEDACKS
PUREACKS SECTORS", lib.sh: machine_counters) and CLK_TCK the ticks per second.
"""

import re
import sys

# The line giving the machine's busy time less the proxy's; summarize.py reads it.
OTHERS = "whole machine busy µs per unit less the proxy's:"
# The line giving the proxy's time by kind of thread; summarize.py reads it too.
KINDS = "µs per unit by kind of thread:"


def read(path):
    rows = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 6:
                rows[fields[0]] = (fields[1], *map(int, fields[2:]))
    return rows


def by_kind(deltas):
    """User and system ticks summed over threads of one kind: one name with any trailing
    number dropped (`warden-worker-0` and `-1` are `warden-worker`), busiest kind first."""
    kinds = {}
    for _, name, delta in deltas:
        kind = re.sub(r"[-_]?\d+$", "", name) or name
        user, system = kinds.get(kind, (0, 0))
        kinds[kind] = (user + delta[0], system + delta[1])
    return sorted(kinds.items(), key=lambda item: -(item[1][0] + item[1][1]))


def main():
    before, after = read(sys.argv[1]), read(sys.argv[2])
    units = int(sys.argv[3] or 0)
    per = 1000 / units if units else 0
    print(f"{'thread':<8} {'name':<16} {'user ticks':>10} {'sys ticks':>10} "
          f"{'vol cs/1k':>10} {'invol cs/1k':>12}")
    # Threads over the run, busiest first (a thread born during it counts from zero).
    deltas = []
    for tid, (name, *now) in after.items():
        then = before.get(tid, (name, 0, 0, 0, 0))[1:]
        delta = [a - b for a, b in zip(now, then)]
        if any(delta):
            deltas.append((tid, name, delta))
    deltas.sort(key=lambda row: -(row[2][0] + row[2][1]))
    totals = [sum(column) for column in zip(*(d for _, _, d in deltas))] or [0, 0, 0, 0]
    for tid, name, delta in deltas:
        print(f"{tid:<8} {name:<16} {delta[0]:>10} {delta[1]:>10} "
              f"{delta[2] * per:>10.1f} {delta[3] * per:>12.1f}")
    print(f"{'all':<8} {'':<16} {totals[0]:>10} {totals[1]:>10} "
          f"{totals[2] * per:>10.1f} {totals[3] * per:>12.1f}")
    # A tick in µs per unit.
    us = 1_000_000 / int(sys.argv[5]) / units if units else 0
    kinds = [f"{kind} user {user * us:.2f} sys {system * us:.2f}"
             for kind, (user, system) in by_kind(deltas)]
    print(f"{KINDS} {'; '.join(kinds) or 'none'}")
    with open(sys.argv[4]) as f:
        first, last = ([int(x) for x in line.split()] for line in f.readlines()[:2])
    switches, user, nice, system, idle, iowait, irq, softirq, steal, *rest = (
        b - a for a, b in zip(first, last))
    print(f"context switches of the whole machine per 1000: {switches * per:.0f}")
    # The whole machine's CPU time per unit: where every core's time went while the run lasted.
    print(f"whole machine µs per unit: busy {(user + nice + system + irq + softirq) * us:.1f} "
          f"(user {(user + nice) * us:.1f}, system {system * us:.1f}, "
          f"irq+softirq {(irq + softirq) * us:.1f}), idle {(idle + iowait) * us:.1f}, "
          f"stolen {steal * us:.1f}")
    # The rest of the machine (the client, the server, interrupts) beside this proxy: against
    # another target's run in the same round, whether a proxy slows the processes beside it.
    busy = (user + nice + system + irq + softirq) * us
    print(f"{OTHERS} {busy - (totals[0] + totals[1]) * us:.1f}")
    # Every TCP segment sent on the machine (loopback: each is also received), the delayed
    # ACKs among the timers that fired and the pure ACKs received, per 1000.
    if len(rest) == 4:
        out_segs, delayed_acks, pure_acks, sectors = rest
        print(f"TCP segments of the whole machine per 1000: sent {out_segs * per:.0f}, "
              f"delayed ACKs {delayed_acks * per:.0f}, pure ACKs received {pure_acks * per:.0f}")
        # Sectors of 512 bytes, whoever wrote them (the kernel's writeback included).
        print(f"disk written by the whole machine per unit: {sectors * 512 * per / 1000:.0f} bytes")


if __name__ == "__main__":
    main()
