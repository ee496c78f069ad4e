#!/usr/bin/env bash
# Set up (see setup.sh) and run lesson N end to end, writing its graphs to out/ as SVG (and .dot).
# Usage: bash scripts/lesson.sh 1 [--step]
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-data,charts}" bash scripts/setup.sh   # data: the digits the training lessons use; charts: matplotlib
N="${1:-1}"; shift || true
exec .venv/bin/tinygrad-edu lesson "$N" --out out "$@"
