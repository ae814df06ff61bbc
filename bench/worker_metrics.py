#!/usr/bin/env python3
"""Waits on the stream workers' /metrics, for bench/stream_throughput.sh.

    bench/worker_metrics.py decided TARGET PORT...   (env WORKER_PIDS)
        until the workers' vigie_worker_scored_total reaches TARGET; prints
        "<ms> <n>": when decisions were first seen (to 50 ms) and how many
        there were then; prints "dead 0" and exits 1 when a worker exited.
    bench/worker_metrics.py ready PARTITIONS PORT...
        until the workers own PARTITIONS partitions (60 s at most).

Polls every 50 ms from one process over kept-alive connections: not the
database (a count(*) that often takes PostgreSQL CPU from the run it
measures), not curl in a loop (spawning processes ten times a second took
5 % of the two cores).
"""
import http.client
import os
import sys
import time

conns = {}


def total(ports, name):
    """The sum over the workers of the series starting with `name`."""
    n = 0
    for port in ports:
        try:
            conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conns[port] = conn
            conn.request("GET", "/metrics")
            body = conn.getresponse().read().decode()
        except OSError:
            conns.pop(port, None)
            continue
        n += sum(int(float(l.rsplit(" ", 1)[1])) for l in body.splitlines() if l.startswith(name))
    return n


def alive(pid):
    """A worker that exited is a zombie until the shell reaps it."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def decided(target, ports):
    pids = os.environ.get("WORKER_PIDS", "").split()
    first_ms = first_n = 0
    while (n := total(ports, "vigie_worker_scored_total")) < target:
        if not all(alive(pid) for pid in pids):
            print("dead 0")
            sys.exit(1)
        if first_ms == 0 and n > 0:
            first_ms, first_n = int(time.time() * 1000), n
        time.sleep(0.05)
    print(first_ms or int(time.time() * 1000), first_n)


def ready(partitions, ports):
    deadline = time.time() + 60
    while total(ports, "vigie_worker_partitions_owned") < partitions:
        if time.time() > deadline:
            sys.exit(f"the workers did not claim {partitions} partitions within 60 s")
        time.sleep(0.05)


if __name__ == "__main__":
    command, count, ports = sys.argv[1], int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
    {"decided": decided, "ready": ready}[command](count, ports)
