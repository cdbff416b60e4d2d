#!/usr/bin/env bash
# What the fault harness (tests/AkkaRaft.Faults) needs besides root: iproute2 with
# network namespaces and iptables (with its statistic match). Installs Debian's
# `iptables` package when it is missing and we are root. Idempotent. Never touches
# the host's network: the harness makes and removes its own namespaces and bridge.
set -euo pipefail

if ! command -v iptables-restore >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ".ci/netns.sh: installing iptables from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null 2>&1 || {
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null
    }
  else
    echo ".ci/netns.sh: iptables is not installed; install the 'iptables' package (as root) and run this again" >&2
    exit 1
  fi
fi
if ! command -v ip >/dev/null 2>&1; then
  echo ".ci/netns.sh: 'ip' (iproute2) is missing" >&2
  exit 1
fi
