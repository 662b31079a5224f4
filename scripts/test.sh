#!/usr/bin/env bash
# Builds and runs every test program three times: a plain build, ASan+UBSan, and TSan (with clang++, whose
# TSan understands the standalone fences g++ warns about); the ASan build leaves out the compile suite, which
# the other two run with g++ and clang++. It prints each stage's elapsed time, then one line `N passed, N failed`
# counted from doctest's test cases across all of them (a program that dies before its summary counts as a
# failure).
# SPANLOG_TEST_SANITIZERS=0 runs the plain build only (quicker, for a first look).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
status=0
python3 tools/amalgamate.py --check || status=1
scripts/check-format.sh || status=1
# Layers point down only (docs/contributing.md); the self-test shows the check can fail.
python3 scripts/check_layers.py --self-test && python3 scripts/check_layers.py || status=1
# One naming style: types in CamelCase (docs/contributing.md).
python3 scripts/check_naming.py --self-test && python3 scripts/check_naming.py || status=1

started=$SECONDS
elapsed() { echo "$((SECONDS - started)) s"; }

logs=()
# Line tables only (-g1): the sanitizers' reports and a debugger's backtraces still name file and line, and the
# builds compile about a third faster than with full debug information.
debug_info=(-Ddebug=false -Dcpp_args=-g1)
run_suite() {  # NAME, then environment assignments (CXX=...), then meson options; $test_args go to meson test
  local build=$1
  shift
  logs+=("$build/meson-logs/testlog.json")  # counted as a failure if the build fails before writing it
  rm -f "$build/meson-logs/testlog.json"
  local env=()
  while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do env+=("$1"); shift; done
  if [ ! -d "$build/meson-private" ]; then
    env "${env[@]}" meson setup "$build" -Dtests=true -Dexamples=true -Dreader=true "${debug_info[@]}" "$@" \
      >/dev/null || return 1
  fi
  echo "== $build: building ($(elapsed))"
  if ! ninja -C "$build" >"$build/ninja.log" 2>&1; then
    grep '^FAILED' "$build/ninja.log" | head -10
    grep -m 20 'error' "$build/ninja.log"
    return 1
  fi
  echo "== $build: testing ($(elapsed))"
  meson test -C "$build" --print-errorlogs --num-processes 2 "${test_args[@]}" || status=1
  echo "== $build: done ($(elapsed))"
}
test_args=()

# The outside checkers' npm packages, each pinned by its package-lock.json and installed again only when the
# lock file changed: tests/exporters (promtool's peers, OpenTelemetry's protobuf code, trace_engine) and
# tests/browser (playwright-core, driving Debian's chromium). If npm cannot install them, the tests that use
# them fail and say so.
install_npm_packages() {  # DIR, then the tests that need it
  local dir=$1
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-package-lock.json" 2>/dev/null && return 0
  if npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null; then
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-package-lock.json"
  else
    echo "npm ci --prefix $dir failed: $2 will fail" >&2
    return 1
  fi
}
install_npm_packages tests/exporters "the exporter checks" || status=1
install_npm_packages tests/browser "the view_browser test" || status=1

run_suite build-test || status=1
if [ "${SPANLOG_TEST_SANITIZERS:-1}" != 0 ]; then
  # Crash tests install their own handlers: the sanitizers must not take SIGSEGV/SIGABRT for themselves.
  export ASAN_OPTIONS=handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:detect_leaks=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0
  # -O1: g++ compiles with UBSan at -O2 about twice as slowly, for no more findings.
  # The compile suite checks what the compiler says about the headers and the installed package: the plain
  # build runs it with g++ and the TSan build with clang++, so the ASan build (g++ again) would only repeat it.
  test_args=(--no-suite compile)
  run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 || status=1
  test_args=()
  run_suite build-tsan CXX=clang++ -Db_sanitize=thread -Db_lundef=false || status=1
fi
# libFuzzer over the JSONL reader and the rule grammar, each for a bounded time (SPANLOG_FUZZ_SECONDS, 30).
tests/fuzz/run.sh || status=1
echo "== all suites done ($(elapsed))"
python3 scripts/doctest_totals.py "${logs[@]}" || status=1
exit $status
