#!/usr/bin/env bash
# Issue #14's benchmark: keep-alives per second one leader sustains with 10,000 open sessions. Starts three
# `akkaraft serve` processes founding a static cluster on loopback (HTTP 9410/9412/9414, Raft 9411/9413/9415, data in
# a temporary directory), runs `akkaraft-loadgen --mode keepalive` against the leader, then stops the nodes.
# Arguments after the script's name go to the load generator (defaults: --sessions 10000 --clients 32 --duration 20).
#
#   bash bench/keepalive-sessions.sh
#   bash bench/keepalive-sessions.sh --sessions 10000 --clients 64 --duration 30
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: use the Release builds already there
  dotnet build src/AkkaRaft.Server -c Release --nologo -v quiet
  dotnet build bench/AkkaRaft.LoadGen -c Release --nologo -v quiet
fi
exe="src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll"
data="$(mktemp -d /tmp/akkaraft-keepalive-XXXXXX)"
peers="k1=127.0.0.1:9411,k2=127.0.0.1:9413,k3=127.0.0.1:9415"

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  rm -rf "$data"
}
trap stop EXIT

for i in 1 2 3; do
  http="127.0.0.1:94$((i * 2 + 8))"
  raft="127.0.0.1:94$((i * 2 + 9))"
  dotnet "$exe" serve -id "k$i" -haddr "$http" -raddr "$raft" -peers "$peers" "$data/k$i" > "$data/k$i.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 1 300); do
  if curl -sf 127.0.0.1:9410/status | grep -q '"leader":"k'; then break; fi
  sleep 0.2
done

args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(--sessions 10000 --clients 32 --duration 20); fi
dotnet bench/AkkaRaft.LoadGen/bin/Release/net10.0/akkaraft-loadgen.dll --mode keepalive --endpoints 127.0.0.1:9410 "${args[@]}"
echo "leader afterwards: $(curl -sf 127.0.0.1:9410/status | grep -o '"leader":"[^"]*"')"
