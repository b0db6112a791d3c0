#!/usr/bin/env bash
# Everything CI runs for the VS Code extension, in order, with timings:
#   unit tests (node --test), type check, .vsix packaging, the settings drift test,
#   the end-to-end set-up (idempotent) and the end-to-end tests in code-server.
# First run on a bare machine: ~5 min and ~1.2 GB (npm ci ~1 min/180 MB, setup-e2e ~2.5 min/
# 0.8 GB plus ~360 MB of Debian packages, e2e ~1 min); later runs ~1.5 min.
# Needs: Node 20+/npm, the repo's Python venv on PATH or in .venv, root or sudo for apt the first time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
EXT="$ROOT/editors/vscode"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[[ -x "$PYTHON" ]] || PYTHON=python3

timed() { local t0=$SECONDS; "$@"; echo "[vscode-ci] $* : $((SECONDS - t0)) s" >&2; }

cd "$EXT"
[[ -d node_modules/vscode-languageclient ]] || timed npm ci --no-audit --no-fund
timed npm test
timed npm run --silent typecheck
timed env PYTHON="$PYTHON" sh scripts/package.sh "$EXT/codestral-ls.vsix" >/dev/null
cd "$ROOT"
timed "$PYTHON" -m pytest -q tests/editors/test_vscode_settings.py
timed bash "$EXT/scripts/setup-e2e.sh"
CODESTRAL_E2E_REQUIRED=1 timed "$PYTHON" -m pytest -q -m editor tests/editors/test_vscode_e2e.py
