#!/usr/bin/env bash
# Creates bench/.venv with the Python packages the reference benchmarks use.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt
