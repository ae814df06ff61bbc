#!/usr/bin/env bash
# Creates (once) the virtual environment of the FastAPI comparison service
# and prints the path of its bin/ directory on stdout.
#
# The venv lives under ${VIGIE_PY_CACHE:-$HOME/.cache}/vigie-bench-venv; a
# stamp records the requirements' checksum, so a changed pin rebuilds it. An
# exclusive lock makes concurrent callers wait for one install.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/requirements.txt"
cache="${VIGIE_PY_CACHE:-${HOME:-/tmp}/.cache}"
venv="$cache/vigie-bench-venv"
stamp="$venv/.vigie-stamp"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
mkdir -p "$cache"
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 3; }

exec 9>"$cache/vigie-bench-venv.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ -x "$venv/bin/uvicorn" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin"
  exit 0
fi

rm -rf "$venv"
python3 -m venv "$venv" >&2 || { echo "python3 -m venv failed" >&2; exit 3; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --timeout 60 --retries 3 -r "$requirements" >&2 \
  || { echo "pip install -r $requirements failed" >&2; rm -rf "$venv"; exit 3; }
echo "$want" >"$stamp"
echo "$venv/bin"
