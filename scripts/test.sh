#!/usr/bin/env bash
# Set everything up and run the whole test suite (unit, integration with a real
# Chroma server and a local OpenAI-compatible server, end-to-end in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
fi
export RAG_TEST_ARTIFACTS=${RAG_TEST_ARTIFACTS:-test-artifacts}
exec .venv/bin/python -m pytest "$@"
