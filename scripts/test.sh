#!/usr/bin/env bash
# Builds and runs every test program, then prints one line `N passed, N failed` counted from doctest's
# test cases across all of them (a program that dies before its summary counts as one failed case).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
status=0
python3 tools/amalgamate.py --check || status=1
build=build-test
[ -d "$build/meson-private" ] || meson setup "$build" -Dtests=true -Dexamples=true -Dreader=true >/dev/null || exit 1
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --num-processes 2 || status=1
python3 scripts/doctest_totals.py "$build/meson-logs/testlog.json" || status=1
exit $status
