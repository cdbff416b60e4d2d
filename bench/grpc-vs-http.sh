#!/usr/bin/env bash
# The gRPC-vs-HTTP put comparison of docs/BENCHMARKS.md ("Puts through gRPC against HTTP").
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: use the Release builds already there
  dotnet build src/AkkaRaft.Server -c Release --nologo -v quiet
  dotnet build bench/AkkaRaft.LoadGen -c Release --nologo -v quiet
fi
B=src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll
L=bench/AkkaRaft.LoadGen/bin/Release/net10.0/akkaraft-loadgen.dll
D=$(mktemp -d)
peers="n1=127.0.0.1:9621,n2=127.0.0.1:9623,n3=127.0.0.1:9625"
pids=()
for i in 1 2 3; do
  h=$((9618 + 2 * i)); r=$((h + 1))
  dotnet $B serve -id n$i -haddr 127.0.0.1:$h -raddr 127.0.0.1:$r -peers $peers -data $D/n$i > $D/n$i.log 2>&1 &
  pids+=($!)
done
trap 'kill ${pids[@]} 2>/dev/null; sleep 2; rm -rf $D' EXIT
sleep 12
common="--endpoints 127.0.0.1:9620 --value-bytes 256 --warmup 2"
dotnet $L $common --clients 16 --duration 25 > /dev/null
dotnet $L $common --clients 16 --duration 25 --target grpc > /dev/null
for c in 1 16 64; do
  echo "== $c clients HTTP"; dotnet $L $common --duration 10 --clients $c | grep -iE "puts/s|ops/s|p50|p99" | head -4
  echo "== $c clients gRPC"; dotnet $L $common --duration 10 --clients $c --target grpc | grep -iE "puts/s|ops/s|p50|p99" | head -4
done
