#!/usr/bin/env bash
# Installs the Debian packages the appliance needs, printing what it installs.
# runsc comes from bookworm-backports: bookworm's own build is too old to run sandboxes.
# Usage: install-system.sh [--with-test-tools]   (adds Chromium for the browser tests)
set -euo pipefail

want_tests=0
[ "${1:-}" = "--with-test-tools" ] && want_tests=1

if [ "$(id -u)" != "0" ]; then
  echo "install-system: not root; skipping system packages (need runsc from bookworm-backports, nftables, iproute2)" >&2
  exit 0
fi

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# tini is the sandboxes' init; python3 (Debian's, in /usr) is in the default image.
for p in nftables iproute2 tini python3; do have_pkg "$p" || missing+=("$p"); done
[ "$want_tests" = 1 ] && { have_pkg chromium || missing+=(chromium); }

runsc_ok=0
if command -v runsc >/dev/null 2>&1 && runsc --version 2>/dev/null | grep -qE 'release-20(2[4-9]|[3-9][0-9])'; then runsc_ok=1; fi
if have_pkg runsc && dpkg-query -W -f='${Version}' runsc | grep -qE '^0\.0~20(2[4-9]|[3-9][0-9])'; then runsc_ok=1; fi

if [ "${#missing[@]}" = 0 ] && [ "$runsc_ok" = 1 ]; then
  exit 0
fi

if [ "$runsc_ok" = 0 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "install-system: adding the bookworm-backports suite to apt's sources"
  src=/etc/apt/sources.list.d/debian.sources
  uri=$(awk '/^URIs:/{print $2; exit}' "$src" 2>/dev/null || true)
  key=$(awk '/^Signed-By:/{print $2; exit}' "$src" 2>/dev/null || true)
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm-backports
Components: main
Signed-By: ${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
SRC
fi

echo "install-system: apt-get update"
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-system: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$runsc_ok" = 0 ]; then
  echo "install-system: installing runsc from bookworm-backports"
  apt-get install -y -qq -t bookworm-backports runsc >/dev/null
fi
echo "install-system: done"
