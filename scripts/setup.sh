#!/usr/bin/env bash
# Everything Spaceport needs on a fresh Debian machine with Node.js 20, in one step:
#   bash scripts/setup.sh && npm start     # the gateway with its demo spaces
#   bash scripts/setup.sh && npm test      # the whole suite
# It installs the Debian packages that are missing (as root; otherwise it prints the apt-get line
# to run and stops), then the npm packages when package-lock.json changed since the last install.
# Each step says what it does. Safe to run again: a machine that has everything is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }
missing=()
lack() { missing+=($1); say "missing $2"; }

have() { command -v "$1" >/dev/null 2>&1; }
# The Python tests take the first python3 (on the PATH, or Debian's) that has the modules they
# need; apt installs them for Debian's.
has_modules() { python3 -c "import $1" >/dev/null 2>&1 || /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }

have ffmpeg || lack ffmpeg 'ffmpeg (the audio-image-to-video worker encodes with it)'
have colmap || lack colmap 'colmap (the images-to-3d demo space reconstructs scenes with it)'
have flite || lack flite 'flite (the text-to-speech demo space speaks with it)'
have pocketsphinx_continuous && [ -d /usr/share/pocketsphinx/model/en-us ] ||
  lack 'pocketsphinx pocketsphinx-en-us' 'pocketsphinx (the speech-to-text demo space listens with it)'
have redis-server || lack redis-server 'redis-server (the suite runs the Redis engine against a real Redis)'
have nginx || lack nginx 'nginx (the suite runs instances behind a real reverse proxy)'
have chromium || have chromium-browser || lack chromium 'chromium (the browser tests drive the web UI in it)'
have python3 || lack python3 'python3 (the Python SDK and its tests)'
has_modules pytest || lack python3-pytest 'pytest (the Python SDK tests)'
has_modules 'venv, ensurepip' || lack python3-venv 'venv (the suite installs the Python package into a fresh virtual environment)'
has_modules prometheus_client || lack python3-prometheus-client "prometheus_client (the suite parses /metrics with the Prometheus project's text parser)"
has_modules 'socketio, websocket, requests' ||
  lack 'python3-socketio python3-websocket python3-requests' 'python-socketio (the WebSocket Spaces remote apps in the tests)'

if [ ${#missing[@]} -eq 0 ]; then
  say 'Debian packages: all present'
elif [ "$(id -u)" -eq 0 ] && have apt-get; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "as root, run: apt-get install ${missing[*]}   (then this script again)"
  exit 1
fi

# npm ci empties node_modules first, so it runs only when the lock file is newer than the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say 'installing npm packages (npm ci)'
  npm ci --no-audit --no-fund
else
  say 'npm packages: up to date'
fi
say 'done'
