#!/usr/bin/env sh
# Builds the extension and packages it as editors/vscode/codestral-ls-VERSION.vsix (or the path in $1),
# with the server from this checkout bundled as a wheel in server/ (installed by the extension
# on first use into a private venv; see src/bundledServer.ts).
# Needs Node 20+, a Python 3.11+ ($PYTHON, else python3) with pip, and the npm registry the first
# time (npm ci); building the wheel fetches setuptools from the package index unless pip has it cached.
set -eu
cd "$(dirname "$0")/.."
out="${1:-codestral-ls-$(node -p 'require("./package.json").version').vsix}"
python="${PYTHON:-python3}"
[ -d node_modules/vscode-languageclient ] || npm ci --no-audit --no-fund
npm run --silent typecheck
npm run --silent build

# The server wheel, built from a copy of the sources (no stale build/ or egg-info from the checkout).
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
(cd ../.. && tar --exclude=__pycache__ -cf - pyproject.toml README.md codestral_ls) | tar -xf - -C "$src"
rm -rf server && mkdir server
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir server "$src" >&2
ls server/codestral_ls-*.whl >/dev/null

# --no-dependencies: esbuild has bundled vscode-languageclient into dist/extension.js.
npx vsce package --no-dependencies --skip-license --allow-missing-repository -o "$out" >&2
echo "$out"
