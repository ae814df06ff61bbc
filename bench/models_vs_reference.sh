#!/usr/bin/env bash
# Vigie's model comparison against its Python reference (scikit-learn,
# LightGBM) on the same feature files, the same split and the same protocol.
#   bash bench/models_vs_reference.sh TRAIN.parquet TEST.parquet [MODELS]
# TRAIN/TEST: feature files (`vigie features`), default /work/vfeat/{train,test}.parquet.
# MODELS: the Python families, default logreg,svm,forest,lightgbm (add hgb for
# scikit-learn's HistGradientBoostingClassifier). Vigie trains its four.
# Uses target/release/vigie as it is (builds it only if it is missing).
# Outputs: both tables on stdout; the JSON of both runs and the machine's load
# in $OUT (default /tmp/vigie-models-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
train="${1:-/work/vfeat/train.parquet}"
test="${2:-/work/vfeat/test.parquet}"
models="${3:-logreg,svm,forest,lightgbm}"
out="${OUT:-/tmp/vigie-models-bench}"
mkdir -p "$out"

# The Python side (bench/setup.sh's logic: bench/.venv with pinned packages).
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/pip install -q -r bench/requirements.txt
[ -x target/release/vigie ] || cargo build --release -q -p vigie-cli

cat "$train" "$test" > /dev/null   # warm the page cache for both sides
{ date -u +%FT%TZ; nproc; uptime; } > "$out/machine.txt"

data=$(mktemp -d)
echo "vigie train ($(uptime | sed 's/.*load/load/'))" >&2
./target/release/vigie --data-dir "$data" train --train "$train" --test "$test" --json \
  > "$out/vigie.json"
rm -rf "$data"
uptime >> "$out/machine.txt"

echo "python reference ($(uptime | sed 's/.*load/load/'))" >&2
bench/.venv/bin/python bench/models_reference.py "$train" "$test" --models "$models" --json \
  > "$out/reference.json"
uptime >> "$out/machine.txt"

echo "## Vigie (target/release/vigie train, search grid, 2 cores)"
echo
bench/.venv/bin/python bench/models_reference.py --table "$out/vigie.json"
echo
echo "## Python reference (bench/models_reference.py)"
echo
bench/.venv/bin/python bench/models_reference.py --table "$out/reference.json"
echo
echo "Machine (start, after Vigie, after Python):"
sed 's/^/    /' "$out/machine.txt"
