#!/usr/bin/env bash
# Issue #16's benchmark: consistent-read throughput with every get sent to the leader, against gets spread over the
# three members (each follower answers with a read index from the leader). Starts three `akkaraft serve` processes
# founding a static cluster on loopback (HTTP 9510/9512/9514, Raft 9511/9513/9515, data in a temporary directory),
# then runs `akkaraft-loadgen` ROUNDS times in each mode, alternating, and prints each node's CPU time per round.
#
# On one machine the three members share its cores, which is not what spreading is for: members on machines of
# their own each bring their own CPU. With CPU_QUOTA set (root only) each member runs in a cgroup (v1 `cpu`
# controller) of its own capped at that share of one core (0.5 = half a core), as three small machines would be;
# the load generator is not capped. Without it, the members share the machine's cores as they please.
#
#   bash bench/follower-reads.sh                       # no caps
#   CPU_QUOTA=0.33 ROUNDS=3 WARMUP=60 bash bench/follower-reads.sh
#   CPU_QUOTA=0.5 bash bench/follower-reads.sh --clients 32 --duration 15
#
# Arguments after the script's name go to the load generator (defaults: --clients 64 --duration 10 --warmup 2
# --value-bytes 256); the script adds --read-percent 100 --level consistent, and --spread-reads in the spread rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: use the Release builds already there
  dotnet build src/AkkaRaft.Server -c Release --nologo -v quiet
  dotnet build bench/AkkaRaft.LoadGen -c Release --nologo -v quiet
fi
exe="src/AkkaRaft.Server/bin/Release/net10.0/akkaraft.dll"
loadgen="bench/AkkaRaft.LoadGen/bin/Release/net10.0/akkaraft-loadgen.dll"
rounds="${ROUNDS:-3}"
quota="${CPU_QUOTA:-}"
data="$(mktemp -d /tmp/akkaraft-follower-reads-XXXXXX)"
peers="r1=127.0.0.1:9511,r2=127.0.0.1:9513,r3=127.0.0.1:9515"
cgroups=/sys/fs/cgroup/cpu

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  if [ -n "$quota" ]; then
    for i in 1 2 3; do rmdir "$cgroups/akkaraft-bench-r$i" 2>/dev/null || true; done
  fi
  rm -rf "$data"
}
trap stop EXIT

if [ -n "$quota" ]; then
  if [ "$(id -u)" -ne 0 ] || [ ! -w "$cgroups" ]; then
    echo "CPU_QUOTA needs root and a writable cgroup v1 cpu controller at $cgroups" >&2
    exit 2
  fi
  # A short period (10 ms by default, CPU_PERIOD_US) spreads the cap evenly: with the kernel's 100 ms a capped member
  # would run flat out and then stand still for tens of milliseconds, long enough to miss heartbeats.
  period="${CPU_PERIOD_US:-10000}"
  share=$(awk -v q="$quota" -v p="$period" 'BEGIN { printf "%d", q * p }')
  echo "each member capped at $quota of a core (cpu.cfs_quota_us=$share per ${period} µs)"
fi

for i in 1 2 3; do
  http="127.0.0.1:95$((i * 2 + 8))"
  raft="127.0.0.1:95$((i * 2 + 9))"
  if [ -n "$quota" ]; then
    group="$cgroups/akkaraft-bench-r$i"
    mkdir -p "$group"
    echo "$period" > "$group/cpu.cfs_period_us"
    echo "$share" > "$group/cpu.cfs_quota_us"
    # The shell that starts the member joins the group first, so the member is in it from its first instruction.
    sh -c "echo \$\$ > $group/cgroup.procs; exec dotnet $exe serve -id r$i -haddr $http -raddr $raft -peers $peers $data/r$i" > "$data/r$i.log" 2>&1 &
  else
    dotnet "$exe" serve -id "r$i" -haddr "$http" -raddr "$raft" -peers "$peers" "$data/r$i" > "$data/r$i.log" 2>&1 &
  fi
  pids+=($!)
done

for _ in $(seq 1 600); do
  if curl -sf 127.0.0.1:9510/status | grep -q '"leader":"r'; then break; fi
  sleep 0.2
done
leader_now() { curl -sf 127.0.0.1:9510/status | grep -o '"leader":"r[0-9]"' | grep -o 'r[0-9]' || echo none; }

ticks() { # utime + stime of member $1, in clock ticks
  awk '{ print $14 + $15 }' "/proc/${pids[$(($1 - 1))]}/stat"
}

args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(--clients 64 --duration 10 --warmup 2 --value-bytes 256); fi
# Fresh processes run slowly until .NET's tiered compilation has optimized their hot paths (throughput tripled over
# the first two minutes of rounds here): WARMUP seconds (default 60) of both modes, unreported, come first.
warmup="${WARMUP:-60}"
if [ "$warmup" -gt 0 ]; then
  echo "--- warm-up: ${warmup}s of unreported load, half of it spread"
  dotnet "$loadgen" --endpoints 127.0.0.1:9510 --read-percent 100 --level consistent --clients 64 --value-bytes 256 --warmup 0 --duration $((warmup / 2)) > /dev/null
  dotnet "$loadgen" --endpoints 127.0.0.1:9510 --read-percent 100 --level consistent --clients 64 --value-bytes 256 --warmup 0 --duration $((warmup / 2)) --spread-reads > /dev/null
fi
for round in $(seq 1 "$rounds"); do
  for mode in leader spread; do
    extra=()
    if [ "$mode" = spread ]; then extra=(--spread-reads); fi
    leader=$(leader_now)
    before=("$(ticks 1)" "$(ticks 2)" "$(ticks 3)")
    echo "--- round $round, gets to: $mode ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
    dotnet "$loadgen" --endpoints 127.0.0.1:9510 --read-percent 100 --level consistent "${args[@]}" "${extra[@]}"
    echo "CPU ticks (1/100 s) this round: r1 $(($(ticks 1) - before[0])), r2 $(($(ticks 2) - before[1])), r3 $(($(ticks 3) - before[2])) (leader $leader before the round, $(leader_now) after)"
  done
done
