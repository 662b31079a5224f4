#!/usr/bin/env bash
# Builds and runs every test program three times: a plain build, ASan+UBSan, and TSan (with clang++, whose
# TSan understands the standalone fences g++ warns about). Then prints one line `N passed, N failed` counted
# from doctest's test cases across all of them (a program that dies before its summary counts as a failure).
# SPANLOG_TEST_SANITIZERS=0 runs the plain build only (quicker, for a first look).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
status=0
python3 tools/amalgamate.py --check || status=1
scripts/check-format.sh || status=1

logs=()
run_suite() {  # NAME, then environment assignments (CXX=...), then meson options
  local build=$1
  shift
  local env=()
  while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do env+=("$1"); shift; done
  if [ ! -d "$build/meson-private" ]; then
    env "${env[@]}" meson setup "$build" -Dtests=true -Dexamples=true -Dreader=true "$@" >/dev/null || return 1
  fi
  echo "== $build: building"
  ninja -C "$build" >/dev/null || { ninja -C "$build" | tail -40; return 1; }
  echo "== $build: testing"
  meson test -C "$build" --print-errorlogs --num-processes 2 || status=1
  logs+=("$build/meson-logs/testlog.json")
}

# The exporter checkers' npm packages (tests/exporters, pinned by its package-lock.json), installed again only
# when the lock file changed. If npm cannot install them, the exporters_check test fails and says so.
exporters=tests/exporters
if ! cmp -s "$exporters/package-lock.json" "$exporters/node_modules/.installed-package-lock.json" 2>/dev/null; then
  if npm ci --prefix "$exporters" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null; then
    cp "$exporters/package-lock.json" "$exporters/node_modules/.installed-package-lock.json"
  else
    echo "npm ci --prefix $exporters failed: the exporter checks will fail" >&2
    status=1
  fi
fi

# The browser checks' npm packages (tests/browser: playwright-core, driving Debian's chromium), the same way.
browser=tests/browser
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.installed-package-lock.json" 2>/dev/null; then
  if npm ci --prefix "$browser" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null; then
    cp "$browser/package-lock.json" "$browser/node_modules/.installed-package-lock.json"
  else
    echo "npm ci --prefix $browser failed: the view_browser test will fail" >&2
    status=1
  fi
fi

run_suite build-test || status=1
if [ "${SPANLOG_TEST_SANITIZERS:-1}" != 0 ]; then
  # Crash tests install their own handlers: the sanitizers must not take SIGSEGV/SIGABRT for themselves.
  export ASAN_OPTIONS=handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:detect_leaks=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0
  run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false || status=1
  run_suite build-tsan CXX=clang++ -Db_sanitize=thread -Db_lundef=false || status=1
fi
# libFuzzer over the JSONL reader and the rule grammar, each for a bounded time (SPANLOG_FUZZ_SECONDS, 30).
tests/fuzz/run.sh || status=1
python3 scripts/doctest_totals.py "${logs[@]}" || status=1
exit $status
