#!/usr/bin/env python3
"""Instructions per SQL statement or HTTP request from a callgrind profile of Warden
(BENCH_CALLGRIND=1 of scripts/bench-pg.sh or scripts/bench-http.sh), or per transaction of
PgBouncer (--pgbouncer), or per request of an nginx worker (--nginx).

Usage: callgrind_summary.py [--http | --pgbouncer | --nginx] FILE...

Reads each callgrind output file (instrumentation switched on only while pgbench or wrk ran),
counts the statements as the calls of the relay's `inflight` (once per statement forwarded, in
every query mode), or with --http the requests as the calls of the server's `parse_head` (once
per request head), or with --pgbouncer the transactions as half the calls of libc's `send` (a
pgbench -S transaction is one send to the server and one to the client), or with --nginx the
requests as the calls of `ngx_http_create_request` (once per request on a kept-alive
connection), and prints the instructions per unit: in all, without SHA-256 (valgrind hides the
CPU's SHA extensions, so SHA-256 runs in software under callgrind and is several times dearer
than on the real CPU), and the functions with the most instructions of their own.
"""

import re
import sys
from collections import defaultdict

NAMED = re.compile(r"^(c?fn)=\((\d+)\)(?: (.*))?$")


def parse(path):
    """(total instructions, own instructions per function, calls per callee)."""
    names = {}
    own = defaultdict(int)
    calls = defaultdict(int)
    total = None
    current = None
    callee = None
    skip_next_cost = False
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\n")
            match = NAMED.match(line)
            if match:
                kind, ident, name = match.groups()
                if name:
                    names[ident] = name
                if kind == "fn":
                    current = names.get(ident, ident)
                else:
                    callee = names.get(ident, ident)
                continue
            if line.startswith("calls="):
                count = int(line[len("calls="):].split()[0])
                calls[callee] += count
                skip_next_cost = True
                continue
            if line.startswith(("totals:", "summary:")):
                value = int(line.split()[1])
                total = value if total is None else max(total, value)
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) < 2:
                    continue
                if skip_next_cost:
                    skip_next_cost = False  # the inclusive cost of the call just named
                    continue
                own[current] += int(parts[1])
    return total or sum(own.values()), own, calls


def units(calls, kind):
    """How many statements (PostgreSQL), requests (HTTP, nginx) or transactions (PgBouncer) ran."""
    if kind == "http":
        return calls.get("warden_http::server::parse_head", 0)
    if kind == "nginx":
        return calls.get("ngx_http_create_request", 0)
    if kind == "pgbouncer":
        return sum(n for name, n in calls.items() if name in ("send", "__send", "__libc_send")) / 2
    return sum(
        n
        for name, n in calls.items()
        if name and name.startswith("warden_pg::session::Relay") and name.endswith("::inflight")
    )


UNIT = {"http": "request", "nginx": "request", "pgbouncer": "transaction", "pg": "statement"}
# The kinds a flag names; without one, the profile is of the PostgreSQL gateway.
FLAGS = ("http", "pgbouncer", "nginx")


def report(path, kind):
    total, own, calls = parse(path)
    unit = UNIT[kind]
    count = units(calls, kind)
    print(f"{path}:")
    if not count:
        print(f"  no {unit}s forwarded while instrumentation was on")
        return
    sha = sum(n for name, n in own.items() if "sha2::sha256" in name)
    print(f"  {unit}s: {count:,.0f}")
    print(f"  instructions per {unit}: {total / count:,.0f}")
    print(f"  without SHA-256: {(total - sha) / count:,.0f} (SHA-256 {sha / count:,.0f})")
    print(f"  most instructions of their own, per {unit}:")
    for name, n in sorted(own.items(), key=lambda item: -item[1])[:15]:
        print(f"    {n / count:8,.0f}  {name[:110]}")


def main():
    args = sys.argv[1:]
    flags = [arg[2:] for arg in args if arg.startswith("--")]
    paths = [arg for arg in args if not arg.startswith("--")]
    if not paths or len(flags) > 1 or any(flag not in FLAGS for flag in flags):
        sys.exit(__doc__)
    kind = flags[0] if flags else "pg"
    for path in paths:
        report(path, kind)


if __name__ == "__main__":
    main()
