#!/usr/bin/env sh
# Builds the extension and packages it as editors/vscode/codestral-ls.vsix (or the path in $1).
# Needs Node 20+ and the npm registry the first time (npm ci); the bundle carries its dependencies.
set -eu
cd "$(dirname "$0")/.."
out="${1:-codestral-ls.vsix}"
[ -d node_modules/vscode-languageclient ] || npm ci --no-audit --no-fund
npm run --silent typecheck
npm run --silent build
# --no-dependencies: esbuild has bundled vscode-languageclient into dist/extension.js.
npx vsce package --no-dependencies --skip-license --allow-missing-repository -o "$out" >&2
echo "$out"
