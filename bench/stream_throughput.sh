#!/usr/bin/env bash
# End-to-end throughput and latency of the scorer worker (docs/streaming.md,
# "Throughput"): transactions/s from publication to logged decision with one
# and with two workers, and the publish-to-decision latency at a steady rate.
#
#   bench/stream_throughput.sh [ROWS] [RATE]      (defaults: 50000, 5000)
#
# VIGIE_BIN=PATH runs that binary instead of building (A/B comparisons);
# WORKER_ARGS="--batch-size 512 ..." adds options to every worker;
# PARTS="1 2 latency live" chooses the runs (default: all four; "live":
# the worker first, then the file published as fast as the publisher can,
# measured from the first publish to the last decision); KEEP_WORK=1
# keeps the work directory (worker logs) and prints its path. After each
# backlog run the workers' per-stage wall time is printed
# (vigie_worker_stage_seconds: summed over the partitions' batches, which
# overlap, so the sums exceed the run's seconds), and the CPU each of
# PostgreSQL, NATS, Redis and the workers used per transaction (from /proc:
# less sensitive to the host's speed than the wall-clock rates), and how
# many cores they kept busy on average.
#
# Each run's NATS streams are deleted when it ends (bench/nats_drop_streams.py):
# streams left behind grow the server, and later runs would measure a
# heavier one. Its decisions stay in the log (a log only grows).
#
# Needs NATS (JetStream), Redis and PostgreSQL; URLs from VIGIE_TEST_NATS_URL,
# VIGIE_TEST_REDIS_URL and VIGIE_TEST_DATABASE_URL (the local defaults
# otherwise). Builds the release binary. Each run uses its own subject
# prefix, Redis prefix and consumer group, and fresh trans_nums.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-50000}
RATE=${2:-5000}
NATS=${VIGIE_TEST_NATS_URL:-nats://127.0.0.1:4222}
REDIS=${VIGIE_TEST_REDIS_URL:-redis://127.0.0.1:6379}
DB=${VIGIE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
BIN=${VIGIE_BIN:-target/release/vigie}
PARTS=${PARTS:-1 2 latency live}
PARTITIONS=${PARTITIONS:-16} # PARTITIONS=N: the stream's partition count (default: the workers' 16)
read -r -a EXTRA <<< "${WORKER_ARGS:-}"

# VIGIE_BIN=PATH runs another build (an A/B comparison) without building.
[ -n "${VIGIE_BIN:-}" ] || cargo build --release -q -p vigie-cli
WORK=$(mktemp -d)
PIDS=()
RUNNING="" # the subject prefix of the run under way: its streams are deleted on exit
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$RUNNING" ] || drop_streams "$RUNNING" || true
  [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
export VIGIE_TOKEN_KEY=stream-bench-key-0123456789abcdef
V=("$BIN" --data-dir "$WORK/data")

MODEL=${VIGIE_BENCH_MODEL:-}
if [ -z "$MODEL" ]; then
  echo "== model (gbdt, quick search, on generated data; VIGIE_BENCH_MODEL=FILE skips this)"
  "${V[@]}" generate --customers 200 --from 2019-01-01 --to 2019-04-30 --seed 1 --out "$WORK/train.csv" >/dev/null
  "${V[@]}" generate --customers 200 --from 2019-05-01 --to 2019-05-31 --seed 2 --out "$WORK/test.csv" >/dev/null
  "${V[@]}" train --train "$WORK/train.csv" --test "$WORK/test.csv" --models gbdt --search quick --actor bench >/dev/null
  MODEL=$(grep -rl '^vigie-model-artifact' "$WORK/data/registry/artifacts" | head -1)
fi

decided() { # decisions logged for the transactions of a prefix's run
  psql "$DB" -Atc "SELECT count(*) FROM decisions WHERE logged_at >= $1" 2>/dev/null || echo 0
}
now_ms() { date +%s%3N; }

worker() { # prefix workers-index
  "${V[@]}" stream score --nats "$NATS" --redis "$REDIS" --database-url "$DB" \
    --model-file "$MODEL" --redis-prefix "bench-$1" --subject-prefix "$1" --group "$1-scorer" \
    --metrics-addr "127.0.0.1:$((19000 + $2))" --partitions "$PARTITIONS" "${EXTRA[@]}" 2>>"$WORK/worker-$1-$2.log" &
  PIDS+=($!)
}

# Waits until the workers say they logged `target` decisions
# (bench/worker_metrics.py). Sets FIRST_MS and FIRST_N to when decisions
# were first seen (to 50 ms) and how many there were then.
wait_count() { # target workers-indexes...
  local target="$1"; shift
  local ports=(); for i in "$@"; do ports+=($((19000 + i))); done
  read -r FIRST_MS FIRST_N < <(WORKER_PIDS="${PIDS[*]}" python3 bench/worker_metrics.py decided "$target" "${ports[@]}")
  if [ "$FIRST_MS" = dead ]; then
    echo "a worker exited before the run ended; its log says:" >&2
    grep -h -m5 -E "panicked|ERROR|error" "$WORK"/worker-*.log >&2
    exit 1
  fi
}

# Deletes the NATS streams of a run's prefix.
drop_streams() { # prefix
  python3 bench/nats_drop_streams.py "$NATS" "$1" >/dev/null
  RUNNING=""
}

cpu_ticks() { # CPU ticks (user + system) of the services and the workers, one line
  python3 - "${PIDS[@]}" <<'PY'
import os, sys
workers = set(sys.argv[1:])
totals = {"postgres": 0, "nats-server": 0, "redis-server": 0, "worker": 0}
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    key = "worker" if pid in workers else comm
    if key in totals:
        totals[key] += ticks
print(" ".join(f"{k}={v}" for k, v in totals.items()))
PY
}

# CPU microseconds per transaction, and how many of the machine's cores
# the whole pipeline kept busy over the run (below the core count: time
# when every process waited, e.g. on a group commit).
cpu_per_tx() { # before-line after-line transactions wall-seconds [publisher-cpu-seconds]
  python3 - "$1" "$2" "$3" "$4" "${5:-}" <<'PY'
import os, sys
before, after = (dict(kv.split("=") for kv in line.split()) for line in sys.argv[1:3])
n, seconds, hz = int(sys.argv[3]), float(sys.argv[4]), os.sysconf("SC_CLK_TCK")
us = {k: (int(after[k]) - int(before[k])) * 1e6 / hz / n for k in after}
if sys.argv[5]:
    us["publisher"] = float(sys.argv[5]) * 1e6 / n
total = sum(us.values())
print("  CPU per transaction (us): " + ", ".join(f"{k} {v:.1f}" for k, v in us.items())
      + f", total {total:.1f} (from /proc: host steal does not count); "
      + f"cores busy {total * n / 1e6 / seconds:.2f} of {os.cpu_count()}")
PY
}

check_logged() { # since target: the database holds what the workers counted
  local logged; logged=$(decided "$1")
  [ "$logged" -ge "$2" ] || { echo "the workers counted $2 decisions, the log holds $logged" >&2; exit 1; }
}

stages() { # workers-index: per-stage wall time of a worker's batches
  curl -s "http://127.0.0.1:$((19000 + $1))/metrics" | python3 -c '
import sys
sums, counts = {}, {}
for line in sys.stdin:
    if line.startswith("vigie_worker_stage_seconds_sum") or line.startswith("vigie_worker_stage_seconds_count"):
        stage = line.split("stage=\"")[1].split("\"")[0]
        (sums if "_sum" in line else counts)[stage] = float(line.rsplit(" ", 1)[1])
print("  worker '"$1"' stages (sum s / batches / mean ms): " + ", ".join(
    f"{k} {sums[k]:.2f}/{int(counts.get(k, 0))}/{1000 * sums[k] / max(counts.get(k, 1), 1):.2f}" for k in sums))
'
}

run_backlog() { # workers
  local prefix="bench$RANDOM$1w"
  RUNNING=$prefix
  "${V[@]}" generate --rows "$ROWS" --from 2020-01-01 --to 2020-03-31 --seed "$RANDOM" --out "$WORK/tx.csv" >/dev/null
  local since; since=$(now_ms)
  "${V[@]}" stream publish "$WORK/tx.csv" --nats "$NATS" --subject-prefix "$prefix" --partitions "$PARTITIONS" --json > "$WORK/pub.json"
  local n; n=$(python3 -c "import json;print(json.load(open('$WORK/pub.json'))['published'])")
  local start; start=$(now_ms)
  local cpu_before; cpu_before=$(cpu_ticks)
  for i in $(seq 1 "$1"); do worker "$prefix" "$i"; done
  wait_count "$n" $(seq 1 "$1")
  local end; end=$(now_ms)
  local cpu_after; cpu_after=$(cpu_ticks)
  check_logged "$since" "$n"
  python3 -c "print(f'$1 worker(s): {$n} transactions decided in {($end-$start)/1000:.2f} s = {$n*1000/($end-$start):,.0f} tx/s (backlog published first; '
    f'start-up {($FIRST_MS-$start)/1000:.2f} s, then {($n-$FIRST_N)*1000/max($end-$FIRST_MS, 1):,.0f} tx/s from the first decisions to the last)')"
  cpu_per_tx "$cpu_before" "$cpu_after" "$n" "$(( end - start ))e-3"
  for i in $(seq 1 "$1"); do stages "$i"; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
  drop_streams "$prefix"
}

echo "== throughput: a backlog of $ROWS transactions, then the workers start (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for part in $PARTS; do
  case $part in 1|2|3) run_backlog "$part" ;; esac
done

# Waits until the workers own every partition (their metrics say so).
wait_ready() { # workers-indexes...
  local ports=(); for i in "$@"; do ports+=($((19000 + i))); done
  python3 bench/worker_metrics.py ready "$PARTITIONS" "${ports[@]}"
}

# The worker running first, then the publisher at RATE/s (0: as fast as it
# can): end to end, from the first publish to the last logged decision,
# with the publisher on the same two cores.
run_live() { # rate
  local rate="$1" prefix="bench$RANDOM"live
  RUNNING=$prefix
  "${V[@]}" generate --rows "$ROWS" --from 2020-01-01 --to 2020-03-31 --seed "$RANDOM" --out "$WORK/tx.csv" >/dev/null
  worker "$prefix" 9
  wait_ready 9
  local since; since=$(now_ms)
  local cpu_before; cpu_before=$(cpu_ticks)
  local rate_args=(); [ "$rate" -gt 0 ] && rate_args=(--rate "$rate")
  # The publisher's own CPU (user + system seconds, from the shell's `time`).
  local TIMEFORMAT='%U %S'
  { time "${V[@]}" stream publish "$WORK/tx.csv" --nats "$NATS" --subject-prefix "$prefix" --partitions "$PARTITIONS" \
      "${rate_args[@]}" --json > "$WORK/pub.json" 2>>"$WORK/publish.log"; } 2> "$WORK/pub.time"
  local publisher_cpu; publisher_cpu=$(awk '{print $1 + $2}' "$WORK/pub.time")
  local n; n=$(python3 -c "import json;print(json.load(open('$WORK/pub.json'))['published'])")
  wait_count "$n" 9
  local end; end=$(now_ms)
  local cpu_after; cpu_after=$(cpu_ticks)
  check_logged "$since" "$n"
  curl -s "http://127.0.0.1:19009/metrics" > "$WORK/metrics.txt"
  python3 - "$WORK/metrics.txt" "$WORK/pub.json" "$rate" "$since" "$end" <<'PY'
import json, sys
buckets = []
for line in open(sys.argv[1]):
    if line.startswith("vigie_worker_publish_to_decision_seconds_bucket"):
        le = line.split('le="')[1].split('"')[0]
        buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
total = buckets[-1][1]
def quantile(q):
    for le, count in buckets:
        if count >= q * total:
            return le
published = json.load(open(sys.argv[2]))
rate, since, end = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
n, seconds = published["published"], (end - since) / 1000
label = f"publishing at {rate:,}/s" if rate else "publishing as fast as it can"
print(f"1 worker, {label}: {n:,} transactions published in {published['seconds']:.2f} s "
      f"({n / published['seconds']:,.0f}/s), all decided {seconds:.2f} s after the first publish = "
      f"{n / seconds:,.0f} tx/s end to end; publish-to-decision p50 <= {quantile(0.5)*1000:.1f} ms, "
      f"p99 <= {quantile(0.99)*1000:.1f} ms, p99.9 <= {quantile(0.999)*1000:.1f} ms (histogram bucket bounds)")
PY
  cpu_per_tx "$cpu_before" "$cpu_after" "$n" "$(( end - since ))e-3" "$publisher_cpu"
  stages 9
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
  drop_streams "$prefix"
}

for part in $PARTS; do
  case $part in
    latency) echo "== latency: one worker, publishing $ROWS transactions at $RATE/s"; run_live "$RATE" ;;
    live) echo "== end to end: one worker, publishing $ROWS transactions as fast as the publisher can"; run_live 0 ;;
  esac
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
