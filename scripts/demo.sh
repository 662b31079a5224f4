#!/usr/bin/env bash
# Builds spanlog, runs the pipeline example (a discovery phase, parallel workers, a synthesis phase) and
# prints the reader's summary of the run it recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build/meson-private ] || meson setup build --buildtype=release >/dev/null
ninja -C build examples/pipeline tools/spanlog >/dev/null
export SPANLOG_DIR="$PWD/build/demo-runs"
./build/examples/pipeline 48 4
./build/tools/spanlog summary
