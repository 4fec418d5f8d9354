#!/usr/bin/env bash
# Installs what the extension tests need to run inside a real VS Code on a machine that can reach
# only the npm registry and Debian: Node 24 and code-server (VS Code's server build) from npm, under
# ~/.cache/vsc-test, and Debian's chromium + libkrb5-dev. Idempotent: a second run does nothing.
set -euo pipefail
DIR=${VSC_TEST_DIR:-$HOME/.cache/vsc-test}
CS_VERSION=${CS_VERSION:-4.139.1}
NODE_MAJOR=24

missing=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)   # code-server's kerberos module compiles against it
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup-vscode-test: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup-vscode-test: missing Debian packages ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

NODE24="$DIR/node24/node_modules/node/bin/node"
if ! [ -x "$NODE24" ] || ! "$NODE24" -v | grep -q "^v$NODE_MAJOR\."; then
  echo "setup-vscode-test: installing Node $NODE_MAJOR from npm into $DIR/node24"
  mkdir -p "$DIR/node24"
  (cd "$DIR/node24" && echo '{"private":true}' > package.json && npm i --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR")
fi

if ! [ -f "$DIR/cs/.ok-$CS_VERSION" ]; then
  case "$(uname -m)" in x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
  echo "setup-vscode-test: installing code-server $CS_VERSION into $DIR/cs (about 3 minutes the first time)"
  mkdir -p "$DIR/cs"
  cd "$DIR/cs"
  echo '{"private":true,"allowScripts":{"code-server":true}}' > package.json
  # Its postinstall runs `npm install` in lib/vscode and builds native modules with node-gyp, which
  # must target Node 24's ABI: put Node 24 first on PATH and point node-gyp at its headers.
  PATH="$(dirname "$NODE24"):$PATH" \
    npm_config_nodedir="$DIR/node24/node_modules/node/node_modules/node-linux-$ARCH" \
    npm i --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION"
  touch "$DIR/cs/.ok-$CS_VERSION"
fi
echo "setup-vscode-test: ready (Node $("$NODE24" -v), code-server $CS_VERSION in $DIR)"
