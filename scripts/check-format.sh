#!/usr/bin/env bash
# Lists the C++ sources that differ from what clang-format makes of them with the repo's .clang-format, and
# fails when there are any. `scripts/check-format.sh --fix` formats them in place.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.hpp' '*.cpp' '*.h' ':!single_include/*')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${sources[@]}"
  exit 0
fi
unformatted=()
for f in "${sources[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
[ ${#unformatted[@]} -eq 0 ] && exit 0
echo "not clang-formatted (scripts/check-format.sh --fix): ${unformatted[*]}" >&2
exit 1
