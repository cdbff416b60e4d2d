#!/usr/bin/env bash
# The gRPC-vs-HTTP comparison of docs/BENCHMARKS.md ("Puts through gRPC against HTTP").
#   NODES=3 (default; or 5): that many members; puts at 1, 16 and 64 clients.
#   NODES=1: one member; at 1 client, stale gets (the call's own cost: no Raft round) and puts (one local fsync).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: use the Release builds already there
  dotnet build src/AkkaRaft.Server -c Release --nologo -v quiet
  dotnet build bench/AkkaRaft.LoadGen -c Release --nologo -v quiet
fi
B=src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll
L=bench/AkkaRaft.LoadGen/bin/Release/net10.0/akkaraft-loadgen.dll
D=$(mktemp -d)
nodes=${NODES:-3}
case "$nodes" in 1|3|5) ;; *) echo "grpc-vs-http.sh: NODES must be 1, 3 or 5, got '$nodes'" >&2; exit 2 ;; esac
peers=""
for i in $(seq 1 "$nodes"); do peers+="${peers:+,}n$i=127.0.0.1:$((9619 + 2 * i))"; done
pids=()
for i in $(seq 1 "$nodes"); do
  h=$((9618 + 2 * i)); r=$((h + 1))
  dotnet $B serve -id n$i -haddr 127.0.0.1:$h -raddr 127.0.0.1:$r -peers "$peers" -data $D/n$i > $D/n$i.log 2>&1 &
  pids+=($!)
done
trap 'kill ${pids[@]} 2>/dev/null; sleep 2; rm -rf $D' EXIT
sleep 12
common="--endpoints 127.0.0.1:9620 --value-bytes 256 --warmup 2"
if [ "$nodes" = 1 ]; then
  dotnet $L $common --clients 1 --duration 10 > /dev/null
  dotnet $L $common --clients 1 --duration 10 --target grpc > /dev/null
  for round in 1 2 3; do
    echo "== round $round, 1 client, stale gets: HTTP"; dotnet $L $common --clients 1 --duration 5 --read-percent 100 --level stale | grep '^get:'
    echo "== round $round, 1 client, stale gets: gRPC"; dotnet $L $common --clients 1 --duration 5 --read-percent 100 --level stale --target grpc | grep '^get:'
    echo "== round $round, 1 client, puts: HTTP"; dotnet $L $common --clients 1 --duration 6 | grep '^put:'
    echo "== round $round, 1 client, puts: gRPC"; dotnet $L $common --clients 1 --duration 6 --target grpc | grep '^put:'
  done
  exit 0
fi
dotnet $L $common --clients 16 --duration 25 > /dev/null
dotnet $L $common --clients 16 --duration 25 --target grpc > /dev/null
for c in 1 16 64; do
  echo "== $c clients HTTP"; dotnet $L $common --duration 10 --clients $c | grep -iE "puts/s|ops/s|p50|p99" | head -4
  echo "== $c clients gRPC"; dotnet $L $common --duration 10 --clients $c --target grpc | grep -iE "puts/s|ops/s|p50|p99" | head -4
done
