#!/usr/bin/env bash
# Installs the real programs the test suite runs beside codex-lsp, so `make test` runs every test
# with nothing skipped: the Codex CLI (differential apply_patch and rollout tests, benchmarks),
# two npm MCP servers, code-server (the VS Code extension's end-to-end test) and, from Debian,
# Chromium, ripgrep and the headers code-server's native modules build with.
#
#   bash tests/peers.sh DIR     installs into DIR (a cache outside the repository; idempotent)
#                               and writes DIR/env.sh, the variables the tests read
#
# Debian packages are installed only when run as root; otherwise the script names exactly what
# to install and stops. Everything else comes from the npm registry, pinned.
set -euo pipefail
dir=${1:?usage: tests/peers.sh CACHE_DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
log() { echo "peers: $*" >&2; }

codex_version=0.169.0
code_server_version=4.100.3

missing=()
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/include/gssapi.h ] || missing+=(libkrb5-dev)  # code-server's kerberos module
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
  else
    log "missing system packages; install them, then run make test again:"
    log "  sudo apt-get install ${missing[*]}"
    exit 1
  fi
fi

npm_install() {  # npm_install FOLDER PACKAGE...: a private node_modules under the cache
  local folder=$1
  shift
  mkdir -p "$folder"
  (cd "$folder" && npm install --silent --no-audit --no-fund "$@" >&2)
}

codex="$dir/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
if [ ! -x "$codex" ]; then
  log "installing the Codex CLI $codex_version"
  npm_install "$dir/codex" "@openai/codex@$codex_version"
fi

mcp="$dir/mcp"
if [ ! -x "$mcp/node_modules/.bin/mcp-server-memory" ]; then
  log "installing the npm MCP servers"
  npm_install "$mcp" @modelcontextprotocol/server-filesystem @modelcontextprotocol/server-memory
fi

# code-server's ripgrep postinstall downloads from GitHub, which CI cannot reach: its cache is
# seeded with Debian's rg. node-pty's postinstall runs `npx node-gyp`, hence npm_config_yes.
code_server="$dir/code-server/node_modules/.bin/code-server"
if [ ! -x "$code_server" ]; then
  log "installing code-server $code_server_version"
  seed="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  stage=$(mktemp -d)
  mkdir -p "$seed"
  cp "$(command -v rg)" "$stage/"
  tar czf "$seed/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$stage" rg
  rm -rf "$stage"
  mkdir -p "$dir/code-server"
  if ! (cd "$dir/code-server" && npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --foreground-scripts "code-server@$code_server_version" \
    >"$dir/code-server.log" 2>&1); then
    tail -40 "$dir/code-server.log" >&2
    log "installing code-server failed; the whole log is $dir/code-server.log"
    exit 1
  fi
fi

printf 'export CODEX_BIN=%s\nexport MCP_NPM_DIR=%s\nexport CODE_SERVER_BIN=%s\n' \
  "$codex" "$mcp" "$code_server" >"$dir/env.sh"
