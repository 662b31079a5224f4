#!/usr/bin/env bash
# The benchmark suite: builds spanlog optimized with the benchmarks and the reader, and prints one markdown
# table (recorder hot path against an inline baseline, threads, flusher, sustained, burst, peers, reader,
# callgrind instruction counts). Extra arguments go to recorder_bench (e.g. --reps 9 --seconds 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=build-bench
[ -d "$build/meson-private" ] || meson setup "$build" -Dbench=true -Dreader=true -Dtests=false -Dexamples=false >/dev/null
meson configure "$build" -Dbench=true -Dreader=true >/dev/null
ninja -C "$build" -j2 bench/recorder_bench tools/spanlog >/dev/null
exec "$build/bench/recorder_bench" --reader "$build/tools/spanlog" "$@"
