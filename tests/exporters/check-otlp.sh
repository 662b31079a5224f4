#!/usr/bin/env bash
# Judges an OTLP/JSON file against the OpenTelemetry protobuf schema (check-otlp.mjs).
# Usage: check-otlp.sh traces|metrics|logs FILE. Exit 0 ok, 1 rejected, 2 a tool missing.
set -uo pipefail
command -v node >/dev/null || { echo "check-otlp: node not found; install it (scripts/install-deps.sh)"; exit 2; }
exec node "$(dirname "$0")/check-otlp.mjs" "$@"
