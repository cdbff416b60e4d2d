#!/usr/bin/env bash
# Installs Debian's chromium for the web console's browser tests (tests/AkkaRaft.Console.Tests), which drive
# /usr/bin/chromium with Playwright; Playwright never downloads a browser of its own here. Idempotent: installs only
# when /usr/bin/chromium is missing. Needs root and apt-get the first time.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo ".ci/chromium.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) at /usr/bin/chromium"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo ".ci/chromium.sh: installing chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo ".ci/chromium.sh: $(/usr/bin/chromium --version)"
else
  echo ".ci/chromium.sh: /usr/bin/chromium is missing; install the 'chromium' package (as root) and run this again" >&2
  exit 1
fi
