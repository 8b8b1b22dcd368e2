#!/usr/bin/env bash
# Runs every nox test on a fresh machine: installs what the tests need (the
# pinned Claude Code CLI from npm into a cache directory), then the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

CLAUDE_VERSION=2.1.328
CACHE="${NOX_TEST_CACHE:-$HOME/.cache/nox-test}"
CLAUDE_DIR="$CACHE/claude-$CLAUDE_VERSION"
export NOX_CLAUDE_BIN="$CLAUDE_DIR/node_modules/.bin/claude"
# Never let a Claude Code process started by a test update itself.
export DISABLE_AUTOUPDATER=1

if ! "$NOX_CLAUDE_BIN" --version 2>/dev/null | grep -q "$CLAUDE_VERSION"; then
  echo "installing Claude Code $CLAUDE_VERSION into $CLAUDE_DIR"
  mkdir -p "$CLAUDE_DIR"
  npm install --silent --no-fund --no-audit --prefix "$CLAUDE_DIR" "@anthropic-ai/claude-code@$CLAUDE_VERSION"
  "$NOX_CLAUDE_BIN" --version
fi

cargo test --all-targets "$@"
