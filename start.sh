#!/usr/bin/env bash
# Starts the standalone app on http://127.0.0.1:7865 with a local SQLite library in ./data.
# First run creates .venv with the standalone pins (Gradio 4.40.0, as in Forge). Extra
# arguments go to main.py, e.g. ./start.sh --models-dir ~/models   or   ./start.sh --help
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
stamp=$(cat requirements-standalone.txt requirements.txt | sha256sum | cut -c1-16)
if [ ! -f ".venv/.stamp-$stamp" ]; then
  echo "== preparing .venv (one time)"
  rm -rf .venv
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-standalone.txt
  touch ".venv/.stamp-$stamp"
fi
exec .venv/bin/python main.py "$@"
