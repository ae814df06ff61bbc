#!/usr/bin/env python3
"""Top functions of a Go CPU profile (gzipped profile.proto), no dependencies.

    bench/pprof_top.py PROFILE [N]

Made for profiling nats-server, whose Debian binary is stripped (perf shows
addresses only) but which serves Go's profiles when started with
`--profile PORT`:

    nats-server ... --profile 6060
    curl -s "http://127.0.0.1:6060/debug/pprof/profile?seconds=8" -o nats.pprof
    python3 bench/pprof_top.py nats.pprof 40

Prints the N functions with the most samples of their own (flat), then
the N found most often anywhere in the stacks (cumulative). `--profile`
also turns on Go's block profiling, which costs the server a few percent:
restart it without the flag before measuring throughput.
"""
import gzip, sys
from collections import Counter

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1
        r |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return r, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        else:
            raise ValueError(wt)
        yield f, wt, v

def ints(wt, v):
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i); out.append(x)
    return out

data = gzip.decompress(open(sys.argv[1], 'rb').read())
n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
samples, locs, funcs, strings = [], {}, {}, []
for f, wt, v in fields(data):
    if f == 2:
        lids, vals = [], []
        for g, w, x in fields(v):
            if g == 1: lids += ints(w, x)
            elif g == 2: vals += ints(w, x)
        samples.append((lids, vals))
    elif f == 4:
        lid, lines = 0, []
        for g, w, x in fields(v):
            if g == 1: lid = x
            elif g == 4:
                for h, w2, y in fields(x):
                    if h == 1: lines.append(y)
        locs[lid] = lines
    elif f == 5:
        fid = name = 0
        for g, w, x in fields(v):
            if g == 1: fid = x
            elif g == 2: name = x
        funcs[fid] = name
    elif f == 6:
        strings.append(v.decode())
flat, cum = Counter(), Counter()
total = 0
for lids, vals in samples:
    v = vals[-1]; total += v
    names = []
    for lid in lids:
        for fid in locs.get(lid, []):
            names.append(strings[funcs[fid]])
    if names:
        flat[names[0]] += v
    for nm in set(names):
        cum[nm] += v
print(f"total {total / 1e9:.2f} s of CPU")
for title, counts in (("flat", flat), ("cumulative", cum)):
    print(f"--- {title}")
    for name, count in counts.most_common(n):
        print(f"{count / total * 100:6.2f}%  {name}")
