#!/usr/bin/env bash
# Judges a Chrome Trace Event file: jq checks that it is one JSON object whose every event has "ph", "ts",
# "pid" and "tid" (metadata events included: spanlog gives them ts 0), then the DevTools trace engine must
# parse it and find the threads and slices (check-chrome.mjs, whose options follow the file).
# Usage: check-chrome.sh FILE [--threads NAME,NAME...] [--slices N]. Exit 0 ok, 1 rejected, 2 a tool missing.
set -uo pipefail
here=$(dirname "$0")
file=${1:?usage: check-chrome.sh FILE [--threads NAME,NAME...] [--slices N]}
shift
command -v jq >/dev/null || { echo "check-chrome: jq not found; install it (scripts/install-deps.sh)"; exit 2; }
command -v node >/dev/null || { echo "check-chrome: node not found; install it (scripts/install-deps.sh)"; exit 2; }

if ! jq -e 'type == "object" and (.traceEvents | type == "array" and length > 0)' "$file" >/dev/null 2>&1; then
  echo "$file: jq: not a JSON object with a non-empty \"traceEvents\" array"
  exit 1
fi
lacking=$(jq -c '.traceEvents[] | select(type != "object" or (has("ph") and has("ts") and has("pid") and has("tid") | not))' "$file")
if [ -n "$lacking" ]; then
  echo "$file: jq: events without all of ph, ts, pid, tid:"
  head -5 <<<"$lacking"
  exit 1
fi
exec node "$here/check-chrome.mjs" "$file" "$@"
