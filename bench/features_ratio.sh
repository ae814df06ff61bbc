#!/usr/bin/env bash
# `vigie features` against the pandas reference in one window: three Vigie
# runs, one pandas run, three more Vigie runs (the host's speed drifts, so
# both sides must share the window). Needs bench/.venv (bench/setup.sh).
#
#   bash bench/features_ratio.sh sparkov7_train.csv [VIGIE_BIN]
set -euo pipefail
csv=${1:?usage: features_ratio.sh FILE.csv [VIGIE_BIN]}
here=$(cd "$(dirname "$0")" && pwd)
vigie=${2:-${VIGIE_BIN:-$here/../target/release/vigie}}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run_vigie() {
  for _ in 1 2 3; do
    /usr/bin/time -f "vigie %e s wall, %U s user, %S s sys, %M KB" \
      "$vigie" --data-dir "$out/data" features "$csv" --out "$out/features.parquet" 2>&1 >/dev/null | tail -1
  done
}
run_vigie
uptime
/usr/bin/time -f "pandas %e s wall, %U s user, %S s sys, %M KB" \
  "$here/.venv/bin/python" "$here/features_pandas.py" "$csv" 2>&1 >/dev/null | tail -1
run_vigie
uptime
