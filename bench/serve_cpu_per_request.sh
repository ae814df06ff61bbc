#!/usr/bin/env bash
# CPU per request of `vigie serve` and of `vigie replay` (docs/benchmarks.md,
# "CPU per request"): a fresh server, one open-loop replay, then the server's
# utime+stime from /proc before and after, per answered request.
#   bench/serve_cpu_per_request.sh BIN LABEL RATE FILE [extra serve args...]
# STATE: card-state snapshot to warm the server (default /work/vfeat/train.state);
# WORK: output directory (default /tmp/vserve). The server needs a champion
# model in WORK/home (train one with `vigie --data-dir WORK/home train ...`).
set -euo pipefail
bin="$1"; label="$2"; rate="$3"; file="$4"; shift 4
work="${WORK:-/tmp/vserve}"
state="${STATE:-/work/vfeat/train.state}"
home=$work/home
rm -rf "$home/decisions"
"$bin" --data-dir "$home" serve --addr 127.0.0.1:18080 --no-auth --state "$state" "$@" >$work/serve-$label.log 2>&1 &
spid=$!
until curl -sf http://127.0.0.1:18080/readyz >/dev/null; do sleep 0.2; kill -0 $spid; done
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
s0=$(cpu $spid)
threads=$(awk '/Threads/{print $2}' /proc/$spid/status)
load0=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f "%U %S" -o $work/time-$label.txt "$bin" replay --url http://127.0.0.1:18080/v1/score --file "$file" --rate "$rate" --connections 64 --warmup 2 --json ${REPLAY_ARGS:-} > $work/$label.json
s1=$(cpu $spid)
for t in /proc/$spid/task/*; do echo "$(cat $t/comm) $(awk '{print $14+$15}' $t/stat)"; done | awk '{a[$1]+=$2} END{for(k in a) printf "%s=%.2fs ", k, a[k]/100; print ""}' > $work/threads-$label.txt
threads1=$(awk '/Threads/{print $2}' /proc/$spid/status)
kill -INT $spid; wait $spid || true
load1=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$work" "$label" "$rate" "$s0" "$s1" "$tick" "$threads" "$threads1" "$load0" "$load1" <<'PY'
import json,sys
work,label,rate,s0,s1,tick,th0,th1,l0,l1=sys.argv[1:]
r=json.load(open(f"{work}/{label}.json"))
u,s=map(float,open(f"{work}/time-{label}.txt").read().split()[-2:])
n=r["answered"]
srv=(float(s1)-float(s0))/int(tick)
print(f"{label}: rate {rate} answered {n} errors {r['error_total']} achieved {r['achieved_rate']:.0f}/s | "
      f"server CPU {srv:.2f}s = {srv/n*1e6:.0f} us/req (threads {th0}->{th1}) | replay CPU {u+s:.2f}s (u {u} s {s}) = {(u+s)/n*1e6:.0f} us/req | "
      f"p50 {r['latency_us']['p50']/1000:.2f} ms p99 {r['latency_us']['p99']/1000:.2f} ms p99.9 {r['latency_us']['p99_9']/1000:.2f} | send lag p99 {r['send_lag_us']['p99']/1000:.2f} ms | load {l0}->{l1}")
PY
echo "  threads CPU: $(cat $work/threads-$label.txt)"
