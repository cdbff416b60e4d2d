#!/usr/bin/env bash
# Starts a local 3-node AkkaRaft cluster, the way raftdb's README starts its nodes, and keeps it running until
# Ctrl+C (which stops the three nodes gracefully). Data lives under ./data/cluster/<node> (override: DATA=dir).
#
#   node01  HTTP 127.0.0.1:8091  Raft 127.0.0.1:8089   (founds the cluster)
#   node02  HTTP 127.0.0.1:8191  Raft 127.0.0.1:8189   (-join 127.0.0.1:8091)
#   node03  HTTP 127.0.0.1:8291  Raft 127.0.0.1:8289   (-join 127.0.0.1:8091)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DATA:-./data/cluster}"
mkdir -p "$data"

echo "> dotnet build src/AkkaRaft.Server -c Release"
dotnet build src/AkkaRaft.Server -c Release --nologo -v quiet
exe="src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll"

pids=()
stop() {
  echo "stopping the cluster"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM

start() { # id http raft [join]
  local args=(serve -id "$1" -haddr "$2" -raddr "$3")
  if [ $# -ge 4 ]; then args+=(-join "$4"); fi
  echo "> dotnet $exe ${args[*]} $data/$1"
  dotnet "$exe" "${args[@]}" "$data/$1" > >(sed "s/^/[$1] /") 2>&1 &
  pids+=($!)
}

start node01 127.0.0.1:8091 127.0.0.1:8089
for _ in $(seq 1 100); do
  curl -sf 127.0.0.1:8091/status > /dev/null 2>&1 && break
  sleep 0.2
done
# A restarted node01..03 with data rejoins as itself; -join on an existing member is harmless.
start node02 127.0.0.1:8191 127.0.0.1:8189 127.0.0.1:8091
start node03 127.0.0.1:8291 127.0.0.1:8289 127.0.0.1:8091

cat <<'TXT'

Cluster starting. Try:
  curl -X POST 127.0.0.1:8091/key -d '{"foo": "bar"}' -L
  curl -X GET 127.0.0.1:8191/key/foo?level=consistent -L
  dotnet src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll cluster status --endpoints 127.0.0.1:8291
Ctrl+C stops all three nodes.
TXT
wait
