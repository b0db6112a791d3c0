#!/usr/bin/env bash
# Every test, on a fresh machine or a used one: installs what is missing, then runs
#   0. ruff and mypy --strict over the Python package and its tests,
#   1. the VS Code extension's TypeScript unit tests (node's test runner), and its .vsix as a user
#      builds it (with the server wheel from this checkout),
#   2. pytest over tests/: pure tables, fake-endpoint and SDK-oracle tests, end-to-end through
#      real LSP clients, a real headless Neovim, and a real VS Code (code-server + Chromium).
# --fast skips the VS Code end-to-end set-up (~3 min, ~1 GB the first time); the end-to-end test
# then skips itself unless an earlier run set it up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fast=0
if [[ "${1:-}" == "--fast" ]]; then fast=1; shift; fi

# Emacs with eglot and lsp-mode: the documented Emacs configurations are tested as written.
if ! command -v emacs >/dev/null || ! dpkg-query -W elpa-eglot elpa-lsp-mode >/dev/null 2>&1; then
  echo "== installing Emacs, eglot and lsp-mode (Debian)"
  { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      emacs-nox elpa-eglot elpa-lsp-mode >/dev/null; } || echo "   (not installed: the Emacs tests will say they skipped)"
fi

python="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,dev]'

echo "== ruff and mypy --strict"
.venv/bin/ruff check .
.venv/bin/mypy

echo "== VS Code extension: build, unit tests and the .vsix"
repo="$PWD"
(
  cd editors/vscode
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent typecheck
  npm run --silent build
  npm test
  PYTHON="$repo/.venv/bin/python" sh scripts/package.sh >/dev/null
)

if [[ $fast == 0 ]]; then
  echo "== VS Code end-to-end set-up (code-server, Chromium, playwright-core)"
  bash editors/vscode/scripts/setup-e2e.sh
  # Set up on purpose: a broken set-up must fail the run, not skip the test.
  export CODESTRAL_E2E_REQUIRED=1
fi

echo "== pytest"
exec .venv/bin/python -m pytest "$@"
