#!/usr/bin/env bash
# How long an empty node takes to catch up from a large state, by snapshot (docs/BENCHMARKS.md, "Snapshot transfer").
# Two real `akkaraft serve` processes on loopback: a founder is loaded with COUNT values of 16,000,000 bytes each through
# HTTP and compacts its log once into one snapshot of about COUNT x 16 MB; then an empty node is started with --join and
# timed until it has installed the snapshot (fetched from the founder's snapshot port) and applied up to the founder's
# commit. The snapshot store caps a snapshot at 1,000,000,000 bytes, so COUNT is at most 62 (0.99 GB).
#   bench/snapshot-catchup.sh [COUNT]      (default 60: 0.96 GB)
# Build first: dotnet build src/AkkaRaft.Server -c Release. Needs curl, jq, bc.
set -euo pipefail
count=${1:-60}
value=16000000
here=$(cd "$(dirname "$0")/.." && pwd)
exe="$here/src/AkkaRaft.Server/bin/Release/net10.0/akkaraft"
root=$(mktemp -d /tmp/akkaraft-catchup.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  cp "$root"/n*.log /tmp/ 2>/dev/null || true  # the two nodes' logs stay in /tmp/n1.log and /tmp/n2.log
  rm -rf "$root"
}
trap cleanup EXIT

# Limits raised for 16 MB values and a ~1 GB snapshot; compaction once, after COUNT entries.
common=(--set akkaraft.raft.max-log-count=$count --set akkaraft.raft.max-log-bytes=4GiB
        --set akkaraft.raft.max-snapshot-bytes=1000000000 --set akkaraft.persistence.snapshot-store.max-snapshot-bytes=1000000000
        --set akkaraft.kv.max-value-bytes=16MiB --set akkaraft.http.max-body-bytes=20MiB
        --set akkaraft.persistence.journal.max-event-bytes=20MiB --set akkaraft.remote.maximum-frame-size-bytes=20MiB
        --set akkaraft.http.request-timeout=60s --set akkaraft.raft.request-timeout=60s --set akka.loglevel=INFO)
"$exe" serve --id n1 --http 127.0.0.1:18191 --raft 127.0.0.1:18189 --data "$root/n1" "${common[@]}" >"$root/n1.log" 2>&1 &
pids+=($!)
until curl -sf http://127.0.0.1:18191/status | jq -e '.role == "leader"' >/dev/null 2>&1; do sleep 0.2; done

start=$(date +%s.%N)
for ((i = 0; i < count; i++)); do
  letter=$(printf "\\$(printf '%03o' $((97 + i % 26)))")
  { printf '{"big-%d": "' "$i"; head -c $value /dev/zero | tr '\0' "$letter"; printf '"}'; } >"$root/body.json"
  until curl -sf -o /dev/null -X POST --data-binary @"$root/body.json" http://127.0.0.1:18191/key; do sleep 0.5; done
done
loaded=$(date +%s.%N)
until [ "$(curl -sf http://127.0.0.1:18191/status | jq '.firstIndex')" -gt 1 ]; do sleep 0.5; done
compacted=$(date +%s.%N)
commit=$(curl -sf http://127.0.0.1:18191/status | jq '.commitIndex')
echo "loaded $count values of $value bytes in $(echo "$loaded - $start" | bc) s; log compacted $(echo "$compacted - $loaded" | bc) s later; commit $commit"

joined=$(date +%s.%N)
"$exe" serve --id n2 --http 127.0.0.1:18291 --raft 127.0.0.1:18289 --data "$root/n2" --join 127.0.0.1:18191 "${common[@]}" >"$root/n2.log" 2>&1 &
pids+=($!)
until curl -sf http://127.0.0.1:18291/status 2>/dev/null | jq -e ".lastSnapshot.installed >= 1 and .appliedIndex >= $commit" >/dev/null 2>&1; do sleep 0.2; done
caught=$(date +%s.%N)
echo "snapshot file served by the founder: $(ls -l "$root/n1/snapshots" | awk '/\.snap$/ {print $5}' | head -1) bytes"
echo "empty node: process start to snapshot installed and applied up to $commit: $(echo "$caught - $joined" | bc) s"
echo "transfer events (founder, then joiner):"
grep -h "snapshot transfer" "$root/n1.log" "$root/n2.log" | sed -E 's/^\[INFO\]\[([^]]*)\].*snapshot transfer: /  \1 /'
curl -sf "http://127.0.0.1:18291/key/big-$((count - 1))?level=stale" | head -c 40; echo
