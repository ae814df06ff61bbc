#!/usr/bin/env bash
# Creates (once) a cached Python virtual environment for an integration test
# and prints the path of its bin/ directory on stdout.
#
#   scripts/py-test-env.sh mlflow   -> MLflow tracking server (mlflow server)
#   scripts/py-test-env.sh s3       -> moto's S3-compatible server (moto_server)
#
# The venv lives under ${VIGIE_PY_CACHE:-$HOME/.cache}/vigie-<name>-venv; a
# stamp file records the pinned requirement, so a changed pin rebuilds it. An
# exclusive lock makes concurrent callers wait for one install. Exit status is
# non-zero (with the reason on stderr) when python3, venv or pip is unusable:
# the Rust tests then print `skipped: ...`.
set -euo pipefail

name="${1:?usage: py-test-env.sh mlflow|s3}"
case "$name" in
  mlflow) requirement="mlflow==3.17.2"; probe="mlflow" ;;
  s3) requirement="moto[server]==5.2.5"; probe="moto_server" ;;
  *) echo "unknown environment: $name" >&2; exit 64 ;;
esac

cache="${VIGIE_PY_CACHE:-${HOME:-/tmp}/.cache}"
venv="$cache/vigie-$name-venv"
stamp="$venv/.vigie-stamp"
mkdir -p "$cache"
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 3; }

exec 9>"$cache/vigie-$name-venv.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ -x "$venv/bin/$probe" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$requirement" ]; then
  echo "$venv/bin"
  exit 0
fi

rm -rf "$venv"
python3 -m venv "$venv" >&2 || { echo "python3 -m venv failed" >&2; exit 3; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --timeout 60 --retries 3 "$requirement" >&2 || { echo "pip install $requirement failed" >&2; rm -rf "$venv"; exit 3; }
[ -x "$venv/bin/$probe" ] || { echo "$probe missing after install" >&2; exit 3; }
echo "$requirement" >"$stamp"
echo "$venv/bin"
