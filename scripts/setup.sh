#!/usr/bin/env bash
# Set up everything tinygrad_edu needs, idempotently: Graphviz's `dot` (system package, when it is missing and
# we may install packages), a virtual environment in .venv, and the package with the extras in $EXTRAS
# (default: dev). Usage: bash scripts/setup.sh        EXTRAS=dev,torch bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-dev}"
PYTHON="${PYTHON:-python3}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v dot >/dev/null; then
  echo "setup: Graphviz's dot is missing; installing the system package 'graphviz'..."
  apt_install graphviz || echo "setup: could not install Graphviz (needs root or sudo and apt-get). Install it yourself: " \
    "'sudo apt-get install graphviz' (Debian/Ubuntu) or 'brew install graphviz' (macOS). Without it lessons still write .dot files."
fi

if ! command -v bwrap >/dev/null && [ "$(uname -s)" = Linux ]; then
  # homework and exercise code runs sandboxed; bubblewrap adds a read-only file system, no network and a PID namespace
  echo "setup: bubblewrap (bwrap) is missing; installing the system package 'bubblewrap'..."
  apt_install bubblewrap || echo "setup: could not install bubblewrap; student code will run with process limits only" \
    "(the reports say so). Install it with 'sudo apt-get install bubblewrap'."
fi

if [[ ",$EXTRAS," == *",dev,"* ]] && ! command -v tmux >/dev/null; then
  # only the test that drives `lesson --step` in a real terminal needs it (and skips without it)
  apt_install tmux || echo "setup: tmux is missing; the terminal test of --step will be skipped"
fi

if [[ ",$EXTRAS," == *",dev,"* ]] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  # the browser tests of the interactive pages drive the system Chromium with Playwright (and skip without it);
  # never `playwright install`: the Debian package is the browser
  apt_install chromium || echo "setup: Chromium is missing (sudo apt-get install chromium); the browser tests will be skipped"
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "setup: python3 -m venv failed; installing python3-venv..."
    apt_install python3-venv || { echo "setup: install python3-venv (sudo apt-get install python3-venv) and rerun"; exit 1; }
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[${EXTRAS}]"
