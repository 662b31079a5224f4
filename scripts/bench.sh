#!/usr/bin/env bash
# The benchmark suite: builds spanlog optimized with the benchmarks and the reader, and prints one markdown
# table (recorder hot path against an inline baseline, threads, flusher, sustained, burst, peers, reader,
# callgrind instruction counts), then what spanlog costs a real program (workload_bench, with perf's view of
# the flusher). Extra arguments go to recorder_bench (e.g. --reps 9 --seconds 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=build-bench
[ -d "$build/meson-private" ] || meson setup "$build" -Dbench=true -Dreader=true -Dtests=false -Dexamples=false >/dev/null
meson configure "$build" -Dbench=true -Dreader=true >/dev/null
ninja -C "$build" -j2 bench/recorder_bench bench/workload_bench bench/workload_plain bench/workload_stats tools/spanlog >/dev/null
"$build/bench/recorder_bench" --reader "$build/tools/spanlog" "$@"
echo
"$build/bench/workload_bench" --reps 7 --profile
