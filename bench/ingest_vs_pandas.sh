#!/usr/bin/env bash
# Ingest speed: `vigie ingest` (release) against pandas.read_csv of the same file.
#   bash bench/ingest_vs_pandas.sh [FILE]     (default: sparkov7_train from ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-}"
if [ -z "$file" ]; then
  file=/tmp/vigie-bench/sparkov7_train.csv
  if [ ! -f "$file" ]; then
    mkdir -p /tmp/vigie-bench
    zstd -d -q -f ../shared/data/sparkov7_train.csv.zst -o "$file"
  fi
fi
bash bench/setup.sh
cargo build --release -q -p vigie-cli
data=$(mktemp -d)
cat "$file" > /dev/null   # warm the page cache for both sides
for run in 1 2 3; do
  ./target/release/vigie --data-dir "$data" ingest "$file" --keep-id-conflicts --json 2>/dev/null \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); print("vigie ingest: %d rows, %d accepted, %.3f s" % (r["rows_read"], r["accepted"], r["seconds"]))'
done
bench/.venv/bin/python bench/pandas_read_csv.py "$file" 3
rm -rf "$data"
# pandas 2.x (object-dtype strings, the pandas most fraud notebooks were
# written with) for context: BENCH_PANDAS2=1 bash bench/ingest_vs_pandas.sh
if [ "${BENCH_PANDAS2:-0}" = 1 ]; then
  [ -x bench/.venv-pandas2/bin/python ] || python3 -m venv bench/.venv-pandas2
  bench/.venv-pandas2/bin/pip install -q "pandas>=2.2,<3"
  bench/.venv-pandas2/bin/python bench/pandas_read_csv.py "$file" 3
fi
