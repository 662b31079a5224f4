#!/usr/bin/env bash
# Installs the Debian 12 packages spanlog builds and tests with. As root it installs what is missing;
# otherwise it names the command to run and fails when something is missing.
set -euo pipefail
packages=(
  g++ clang clang-format libclang-rt-14-dev meson ninja-build cmake pkg-config python3 jq
  libfmt-dev libconcurrentqueue-dev libsimdjson-dev doctest-dev libcli11-dev
  prometheus nodejs npm
  libsqlite3-dev libpq-dev postgresql-15
  libcpp-httplib-dev chromium
  libspdlog-dev libreaderwriterqueue-dev valgrind
)
# A package counts as present when an installed package provides it: NodeSource's nodejs provides npm and
# conflicts with Debian's, which would otherwise replace it with an older Node.
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" && return 0
  dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null | grep '^install ok installed|' |
    cut -d'|' -f2 | tr ',' '\n' | sed 's/ *(.*//; s/^ *//' | grep -x "$1" >/dev/null
}
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
