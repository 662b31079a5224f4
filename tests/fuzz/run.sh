#!/usr/bin/env bash
# Builds the reader's libFuzzer targets with clang++ (ASan + UBSan) and runs each for a bounded time, starting
# from the checked-in seed corpus. Exits 1, naming the input, when a target crashed, hung, leaked or broke one
# of the properties in fuzz_entry.hpp; the input is kept in $build/artifacts/. Copy it to
# tests/fuzz/regressions/<target>/ with the fix: the normal suite replays those (reader_fuzz_regressions).
#
#   tests/fuzz/run.sh [SECONDS]   seconds per target: default 30, or $SPANLOG_FUZZ_SECONDS
#   tests/fuzz/run.sh --build     only build (into $SPANLOG_FUZZ_BUILD, default build-fuzz/)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SPANLOG_FUZZ_BUILD:-$root/build-fuzz}
build_only=false
seconds=${SPANLOG_FUZZ_SECONDS:-30}
case "${1:-}" in
  --build) build_only=true ;;
  '') ;;
  *) seconds=$1 ;;
esac
targets=(jsonl rules)

# The build is a small ninja file rather than a meson build directory: the targets need clang++, the
# sanitizers and coverage instrumentation on the reader's sources, and nothing else of the project.
mkdir -p "$build/obj" "$build/artifacts"
# The whole reader layer: it includes nothing from the layers above it (scripts/check_layers.py), so the
# targets build from it alone whatever files it gains.
reader_sources=($(cd "$root/tools" && ls reader/*.cpp))
{
  echo "cxx = ${SPANLOG_FUZZ_CXX:-clang++}"
  echo "flags = -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link" \
       "-fno-sanitize-recover=all -Wall -Wextra -Wpedantic -Werror -I$root/tools $(pkg-config --cflags simdjson fmt)"
  echo "libs = $(pkg-config --libs simdjson fmt)"
  echo "rule cxx"
  echo "  command = \$cxx -MD -MF \$out.d \$flags -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = clang++ \$in"
  echo "rule link"
  echo "  command = \$cxx -fsanitize=fuzzer,address,undefined \$in -o \$out \$libs"
  echo "  description = link \$out"
  objects=()
  for source in "${reader_sources[@]}"; do
    object="obj/${source//\//_}.o"
    objects+=("$object")
    echo "build $object: cxx $root/tools/$source"
  done
  for target in "${targets[@]}"; do
    echo "build obj/fuzz_$target.o: cxx $root/tests/fuzz/fuzz_$target.cpp"
    echo "build fuzz_$target: link obj/fuzz_$target.o ${objects[*]}"
  done
} > "$build/build.ninja.new"
# Rewritten only when it changed, so that ninja does not rebuild everything.
if cmp -s "$build/build.ninja.new" "$build/build.ninja"; then rm "$build/build.ninja.new"
else mv "$build/build.ninja.new" "$build/build.ninja"; fi
if ! ninja -j2 -C "$build" >"$build/build.log" 2>&1; then
  cat "$build/build.log"
  echo "FUZZ: the fuzz targets did not build (see above)"
  exit 1
fi
$build_only && exit 0

# The sanitizers' reports are what the fuzzer acts on; options inherited from the test command do not apply.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus-$target"
  max_len=20000
  [ "$target" = rules ] && max_len=256
  log="$build/fuzz_$target.log"
  rm -f "$build/artifacts/$target-"*
  # The first corpus directory receives what the fuzzer finds new; the checked-in seeds are only read.
  "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -dict="$root/tests/fuzz/$target.dict" -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 \
      "$build/corpus-$target" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1
  result=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ $result -ne 0 ]; then
    status=1
    echo "FUZZ: fuzz_$target FAILED (status $result) after ${runs:-?} runs; the end of $log:"
    grep -v '^#' "$log" | tail -40
    for artifact in "$build/artifacts/$target-"*; do
      [ -e "$artifact" ] || continue
      echo "FUZZ: input that failed: $artifact (replay: $build/fuzz_$target $artifact);"
      echo "      after the fix, keep it: cp $artifact tests/fuzz/regressions/$target/"
    done
  else
    echo "FUZZ: fuzz_$target: ${seconds} s, ${runs:-?} runs, no crash ($(ls "$build/corpus-$target" | wc -l) inputs in its corpus)"
  fi
done
exit $status
