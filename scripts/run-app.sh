#!/usr/bin/env bash
# Set everything up (virtual environment, install, index) and start the app on
# http://localhost:8501. Offline by default: no API key needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag index
exec .venv/bin/rag serve
