#!/usr/bin/env bash
# Judges a Prometheus text exposition file with Prometheus's own promtool: it must parse, and the linter
# must have nothing to say (promtool prints lint problems and exits 3; any output at all is a rejection).
# Usage: check-prom.sh FILE. Exit 0 ok, 1 rejected, 2 promtool missing.
set -uo pipefail
file=${1:?usage: check-prom.sh FILE}
command -v promtool >/dev/null ||
  { echo "check-prom: promtool not found; install the prometheus package (scripts/install-deps.sh)"; exit 2; }
[ -r "$file" ] || { echo "$file: cannot read"; exit 1; }
output=$(promtool check metrics <"$file" 2>&1)
status=$?
if [ $status -ne 0 ] || [ -n "$output" ]; then
  echo "$file: promtool check metrics (status $status):"
  echo "$output"
  exit 1
fi
echo "ok: promtool check metrics: $(grep -c '^# TYPE ' "$file") metric families, no lint problems"
