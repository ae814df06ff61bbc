#!/usr/bin/env bash
# Vigie's scoring server against a FastAPI + scikit-learn service, both fed
# by `vigie replay` (open loop) with consecutive slices of the same test
# file, at the same rates, plus a ramp to the highest rate whose p99 stays
# under 10 ms. Writes a markdown table to stdout and to $OUT.
#
#   bench/replay_vs_fastapi.sh [fastapi|vigie|both]     (default: both)
#
# Environment (all optional):
#   VIGIE_BENCH_DIR   work directory (data, models, JSON reports); default a
#                     fresh temp dir
#   TRAIN, TEST       Kaggle-layout CSV files; default ../shared sparkov7
#                     files, zstd-decompressed into the work directory
#   RATES             fixed rates, default "1000 5000"
#   SECONDS_PER_RUN   default 15 (ramp steps: 10)
#   RAMP              ramp rates, default "50 100 200 500 1000 ... 32000"
#   WORKERS           uvicorn worker counts, default "1 2"
#   CONNECTIONS       replay connections, default 64
#   WARMUP            seconds of each run left out of the percentiles, default 2
#   OUT               results file, default $VIGIE_BENCH_DIR/replay_vs_fastapi.md
#
# Every run starts a fresh service, warmed with the card histories of the
# training period, and replays the test period from its start: no run
# inherits another's backlog, and no transaction is scored twice. Ports: Vigie 127.0.0.1:8080, FastAPI 127.0.0.1:8090 (loopback only).
set -euo pipefail

side="${1:-both}"
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$root/../shared/data"
work="${VIGIE_BENCH_DIR:-$(mktemp -d -t vigie-bench-XXXXXX)}"
mkdir -p "$work"
rates="${RATES:-1000 5000}"
seconds="${SECONDS_PER_RUN:-15}"
ramp="${RAMP:-50 100 200 500 1000 2000 4000 8000 16000 32000}"
workers_list="${WORKERS:-1 2}"
connections="${CONNECTIONS:-64}"
warmup="${WARMUP:-2}"
out="${OUT:-$work/replay_vs_fastapi.md}"
say() { echo "== $*" >&2; }

say "building vigie (release)"
(cd "$root" && cargo build --release -q -p vigie-cli)
vigie="$root/target/release/vigie"

data() { # name -> path of the decompressed CSV
  local name="$1" var="$2"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ ! -s "$work/$name.csv" ]; then
    say "decompressing sparkov7_$name"
    zstd -dqf "$shared/sparkov7_$name.csv.zst" -o "$work/$name.csv"
  fi
  echo "$work/$name.csv"
}
train="$(data train TRAIN)"
test="$(data test TEST)"

# Slices of the test file: slice_file FIRST COUNT -> a CSV with the header
# and COUNT rows starting at row FIRST (0-based).
slice_file() {
  local first="$1" count="$2" path="$work/slice-$1-$2.csv"
  [ -s "$path" ] || awk -v s="$first" -v n="$count" \
    'NR == 1 { print; next } NR - 2 >= s && NR - 2 < s + n { print } NR - 2 >= s + n { exit }' \
    "$test" >"$path"
  echo "$path"
}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_http() { # url: poll until it answers, 120 s at most
  local url="$1" deadline=$((SECONDS + 120))
  until python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { say "no answer from $url"; return 1; }
    sleep 0.5
  done
}

row() { # label rate json -> one markdown row
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
label, rate, path = sys.argv[1:]
r = json.load(open(path))
ms = lambda us: f"{us / 1000:.2f}"
srv = r.get("server_latency_us") or {}
print(f"| {label} | {rate} | {r['achieved_rate']:.0f} | {ms(r['latency_us']['p50'])} | {ms(r['latency_us']['p99'])} "
      f"| {ms(r['latency_us']['p99_9'])} | {ms(srv.get('p50', 0))} | {r['error_total']} | {r['scored']} |")
PY
}

p99_ok() { # json -> exit 0 when p99 < 10 ms and no errors
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["latency_us"]["p99"] < 10_000 and r["error_total"] == 0 else 1)
PY
}

# run_once LABEL RATE SECS JSON: a fresh service (start_service, defined per
# side), warmed with the training period's card histories, replays the
# first RATE x SECS test rows, then is stopped. A fresh service per run, so
# an overloaded run's backlog never spills into the next one.
run_once() {
  local label="$1" rate="$2" secs="$3" json="$4" file pid
  file="$(slice_file 0 $((rate * secs)))"
  start_service
  pid="${pids[-1]}"
  say "$label at $rate/s for ${secs}s"
  "$vigie" replay --url "$service_url" --file "$file" --rate "$rate" \
    --connections "$connections" --warmup "$warmup" --json >"$json"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# bench_service LABEL: fixed rates, then the ramp until p99 >= 10 ms.
bench_service() {
  local label="$1" rate json best="none"
  for rate in $rates; do
    json="$work/$label-$rate.json"
    run_once "$label" "$rate" "$seconds" "$json"
    row "$label" "$rate" "$json" | tee -a "$out"
  done
  for rate in $ramp; do
    json="$work/$label-ramp-$rate.json"
    run_once "$label ramp" "$rate" 10 "$json"
    row "$label ramp" "$rate" "$json" | tee -a "$out"
    if p99_ok "$json"; then best="$rate"; else break; fi
  done
  echo "| $label: highest ramp rate with p99 < 10 ms and no errors: **$best/s** |||||||||" | tee -a "$out"
}

{
  echo
  echo "## replay_vs_fastapi $(date -u +%FT%TZ) ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| service | rate | achieved/s | p50 ms | p99 ms | p99.9 ms | server p50 ms | errors | scored |"
  echo "|---|---|---|---|---|---|---|---|---|"
} | tee -a "$out"

if [ "$side" = fastapi ] || [ "$side" = both ]; then
  bin="$("$root/bench/fastapi_service/setup.sh")"
  model="$work/fastapi-model"
  if [ ! -s "$model/model.joblib" ]; then
    say "training the scikit-learn model"
    "$bin/python" "$root/bench/fastapi_service/train.py" --train "$train" --out "$model"
  fi
  service_url=http://127.0.0.1:8090/v1/score
  for workers in $workers_list; do
    start_service() {
      # One OpenMP/BLAS thread per process: a one-row predict_proba gains
      # nothing from threads, and their spin-waiting costs far more.
      (cd "$root/bench/fastapi_service" && VIGIE_BENCH_MODEL_DIR="$model" OMP_NUM_THREADS=1 \
        OPENBLAS_NUM_THREADS=1 exec "$bin/uvicorn" app:app \
        --host 127.0.0.1 --port 8090 --workers "$workers" --log-level warning --no-access-log --timeout-graceful-shutdown 2) &
      pids+=($!)
      wait_http http://127.0.0.1:8090/health
    }
    bench_service "fastapi-${workers}w"
  done
fi

if [ "$side" = vigie ] || [ "$side" = both ]; then
  if ! "$vigie" serve --help >/dev/null 2>&1; then
    say "this vigie has no serve command yet: Vigie side skipped"
  else
    home="$work/vigie-home"
    if [ ! -s "$home/features/train.state" ]; then
      say "training Vigie's models"
      "$vigie" --data-dir "$home" train --train "$train" --test "$test" --models gbdt \
        --search quick --promote --json >"$work/vigie-train.json"
    fi
    service_url=http://127.0.0.1:8080/v1/score
    start_service() {
      "$vigie" --data-dir "$home" serve --addr 127.0.0.1:8080 --no-auth \
        --state "$home/features/train.state" &
      pids+=($!)
      wait_http http://127.0.0.1:8080/readyz
    }
    bench_service vigie
  fi
fi
say "results appended to $out"
