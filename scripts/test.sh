#!/usr/bin/env bash
# Set up (see setup.sh) and run the whole test suite; extra arguments go to pytest.
# Usage: bash scripts/test.sh            EXTRAS=dev,data,torch bash scripts/test.sh   (adds the PyTorch parity tests)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-dev,data}" bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
