using AkkaRaft.Client;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.TestSupport.Simulation;

// The client layer: each client runs one operation at a time against the node it believes leads, follows
// NotLeader hints, retries operations that certainly did not take effect, and gives up after a timeout
// (recording an unknown outcome). Clients reach every node (they sit outside the partitioned network).
public sealed partial class ClusterSimulation
{
    private void StartOperation(SimClient client)
    {
        if (client.OpId >= 0 || _report.Invoked >= _options.Operations) return;
        var key = _keys[_random.Next(_keys.Length)];
        var roll = _random.Next(100);
        var value = $"{client.Id}.{client.Counter++}";
        KvRequest request = roll switch
        {
            < 35 => new KvRequest(KvKind.Get, key),
            < 65 => new KvRequest(KvKind.Put, key, value),
            < 80 => new KvRequest(KvKind.Delete, key),
            _ => new KvRequest(KvKind.Cas, key, value, _random.Next(3) == 0 ? null : LastValueSeen(client, key)),
        };
        client.Request = request;
        client.OpId = _history.Invoke(client.Id, request, _now);
        _report.Invoked++;
        Schedule(_options.OperationTimeoutMs, new SimEvent(EventKind.ClientTimeout) { Client = client, OpId = client.OpId });
        SendAttempt(client, client.OpId);
    }

    private static string? LastValueSeen(SimClient client, string key) => client.LastSeen.GetValueOrDefault(key);

    private void SendAttempt(SimClient client, int opId)
    {
        if (client.OpId != opId) return;
        if (client.Target == 0 || !_nodes.ContainsKey(client.Target)) client.Target = _nodeList[_random.Next(_nodeList.Count)].Id;
        client.RequestId = ++_requestIds;
        var request = new SimRequest(client, client.RequestId, client.OpId, client.Request!);
        Schedule(1 + _random.Next(3), new SimEvent(EventKind.ClientArrive) { Node = _nodes[client.Target], Request = request });
    }

    private void OnRequestArrives(SimNode node, SimRequest request)
    {
        if (!node.Up) return; // lost with the node: the client will time out
        var operation = request.Operation;
        if (operation.Kind == KvKind.Get)
        {
            var context = (ulong)request.RequestId;
            var result = _options.LeaseReads ? node.Raft.LeaseRead(context) : node.Raft.ReadIndex(context);
            if (result.IsAccepted) node.PendingReads[context] = request;
            else Reply(request, ClientReplyKind.NotLeader, null, result.LeaderHint);
        }
        else
        {
            var result = node.Raft.Propose(new KvCommand(request.OpId, operation).Encode());
            if (result.IsAccepted) node.PendingWrites[result.Index] = (request, result.Term);
            else Reply(request, ClientReplyKind.NotLeader, null, result.LeaderHint);
        }
        Pump(node);
    }

    private void Reply(SimRequest request, ClientReplyKind kind, KvResponse? response, ulong leaderHint) =>
        Schedule(1 + _random.Next(3), new SimEvent(EventKind.ClientReply)
        {
            Client = request.Client,
            RequestId = request.RequestId,
            Reply = new ClientReply(kind, response, leaderHint),
        });

    private void OnReply(SimClient client, long requestId, ClientReply reply)
    {
        if (client.OpId < 0 || client.RequestId != requestId) return; // an answer to an abandoned attempt
        if (reply.Kind == ClientReplyKind.Ok)
        {
            _history.Return(client.OpId, reply.Response!, _now);
            _report.Completed++;
            if (client.Request!.Kind == KvKind.Get) client.LastSeen[client.Request.Key] = reply.Response!.Value;
            else if (client.Request.Kind is KvKind.Put or KvKind.Cas && reply.Response!.Ok) client.LastSeen[client.Request.Key] = client.Request.Value;
            client.OpId = -1;
            Schedule(_random.Next(6), new SimEvent(EventKind.ClientStart) { Client = client });
            return;
        }
        // Not leader, or our entry lost its index: the operation certainly did not happen, so try again.
        client.Target = reply.LeaderHint != 0 && _nodes.ContainsKey(reply.LeaderHint)
            ? reply.LeaderHint
            : _nodeList[_random.Next(_nodeList.Count)].Id;
        Schedule(2 + _random.Next(10), new SimEvent(EventKind.ClientRetry) { Client = client, OpId = client.OpId });
    }

    private void OnClientTimeout(SimClient client, int opId)
    {
        if (client.OpId != opId) return;
        _history.Timeout(opId);
        _report.TimedOut++;
        client.OpId = -1;
        client.RequestId = -1;
        client.Target = 0;
        Schedule(_random.Next(6), new SimEvent(EventKind.ClientStart) { Client = client });
    }

    // ------------------------------------------------------------------ faults

    private void InjectFault()
    {
        Schedule(_options.FaultIntervalMs / 2 + _random.Next(_options.FaultIntervalMs), new SimEvent(EventKind.Fault));
        var roll = _random.Next(100);
        if (roll < 14 && _options.Partitions) Partition();
        else if (roll < 26 && _options.Partitions) IsolateOne();
        else if (roll < 36 && _options.Partitions) CutOneDirection();
        else if (roll < 54 && _options.Crashes) CrashOne();
        else if (roll < 62 && _options.Transfers) TransferLeadership();
        else if (roll < 70 && _options.MembershipChanges) ChangeMembership();
        else if (roll < 73 && _options.Crashes) PowerFailure();
        else HealAll();
    }

    private void Partition()
    {
        _cut.Clear();
        var side = new HashSet<ulong>();
        foreach (var node in _nodeList)
        {
            if (_random.Next(2) == 0) side.Add(node.Id);
        }
        foreach (var a in _nodeList)
        {
            foreach (var b in _nodeList)
            {
                if (side.Contains(a.Id) != side.Contains(b.Id)) _cut.Add((a.Id, b.Id));
            }
        }
        _report.Count(FaultKinds.Partition);
        Trace($"partition: [{string.Join(",", side)}] | rest");
    }

    private void IsolateOne()
    {
        var victim = _nodeList[_random.Next(_nodeList.Count)].Id;
        foreach (var other in _nodeList)
        {
            if (other.Id == victim) continue;
            _cut.Add((victim, other.Id));
            _cut.Add((other.Id, victim));
        }
        _report.Count(FaultKinds.Isolate);
        Trace($"isolate {victim}");
    }

    private void CutOneDirection()
    {
        var from = _nodeList[_random.Next(_nodeList.Count)].Id;
        var to = _nodeList[_random.Next(_nodeList.Count)].Id;
        if (from == to) return;
        _cut.Add((from, to));
        _report.Count(FaultKinds.Asymmetric);
        Trace($"cut {from} -> {to}");
    }

    private void HealAll()
    {
        if (_cut.Count == 0) return;
        _cut.Clear();
        _report.Count(FaultKinds.Heal);
        Trace("heal");
    }

    private void CrashOne()
    {
        var voters = CurrentVoterCount();
        var down = 0;
        foreach (var node in _nodeList)
        {
            if (!node.Up) down++;
        }
        // Keep a quorum able to exist so the run makes progress: at most a minority down at once.
        if (down >= (voters - 1) / 2) return;
        var victim = _nodeList[_random.Next(_nodeList.Count)];
        if (!victim.Up) return;
        CrashNode(victim, 50 + _random.Next(400));
        _report.Count(FaultKinds.Crash);
    }

    /// <summary>Every node loses power at once; each restarts from its disk.</summary>
    private void PowerFailure()
    {
        foreach (var node in _nodeList)
        {
            if (node.Up) CrashNode(node, 20 + _random.Next(300));
        }
        _report.Count(FaultKinds.PowerFailure);
    }

    private void CrashNode(SimNode victim, long restartAfterMs)
    {
        Trace($"node {victim.Id}: crash (term={victim.Raft.Term} vote={victim.Storage.HardState.Vote} last={victim.Storage.LastIndex})");
        victim.Up = false;
        victim.Epoch++;
        victim.Outstanding = null; // its unfinished write is lost
        victim.PendingReads.Clear();
        victim.PendingWrites.Clear();
        victim.ReadsWaitingApply.Clear();
        if (victim.Durable is not null)
        {
            // Only what reached the disk survives.
            victim.PageCache.Clear();
            victim.Storage = Clone(victim.Durable);
        }
        Schedule(restartAfterMs, new SimEvent(EventKind.Restart) { Node = victim });
    }

    private void RestartNode(SimNode node)
    {
        if (node.Up) return;
        _restartCount++;
        StartCore(node);
        _report.Count(FaultKinds.Restart);
    }

    private SimNode? CurrentLeader()
    {
        SimNode? leader = null;
        foreach (var node in _nodeList)
        {
            if (!node.Up || node.Raft.Role != RaftRole.Leader) continue;
            if (leader is null || node.Raft.Term > leader.Raft.Term) leader = node;
        }
        return leader;
    }

    private int CurrentVoterCount()
    {
        var leader = CurrentLeader();
        if (leader is not null) return leader.Raft.Configuration.Voters.Length;
        var max = 0;
        foreach (var node in _nodeList) max = Math.Max(max, node.Raft.Configuration.Voters.Length);
        return max;
    }

    private void TransferLeadership()
    {
        var leader = CurrentLeader();
        if (leader is null) return;
        var voters = leader.Raft.Configuration.Voters;
        var target = voters[_random.Next(voters.Length)];
        if (target == leader.Id) return;
        _current = leader;
        if (leader.Raft.TransferLeadership(target).IsAccepted) _report.Count(FaultKinds.Transfer);
        Trace($"transfer {leader.Id} -> {target}");
        Pump(leader);
    }

    private void ChangeMembership()
    {
        var leader = CurrentLeader();
        if (leader is null) return;
        var voters = leader.Raft.Configuration.Voters;
        _current = leader;
        RequestResult result;
        if (_options.JointChanges)
        {
            result = leader.Raft.ProposeConfChange(ReplaceVoters(leader.Raft.Configuration));
            if (result.IsAccepted) _report.Count(FaultKinds.JointChange);
        }
        else if (voters.Length >= _options.Nodes)
        {
            // Remove any voter, the leader included (it steps down once the removal commits).
            var victim = voters[_random.Next(voters.Length)];
            result = leader.Raft.ProposeConfChange(ConfChange.Remove(victim));
        }
        else
        {
            var id = _nextNodeId++;
            AddNode(id, MemoryStorage.ForJoiningNode());
            result = leader.Raft.ProposeConfChange(ConfChange.AddVoter(id));
        }
        if (result.IsAccepted) _report.Count(FaultKinds.Membership);
        Trace($"membership change at leader {leader.Id}: {result.Status} index={result.Index} -> conf {leader.Raft.Configuration}");
        Pump(leader);
    }

    /// <summary>A joint change to a random set of 3 to <see cref="SimulationOptions.Nodes"/> voters, fresh nodes among them.</summary>
    private ConfChange ReplaceVoters(ConfState current)
    {
        var size = 3 + _random.Next(Math.Max(1, _options.Nodes - 2));
        var kept = _random.Next(3) == 0 ? 0 : _random.Next(Math.Min(size, current.Voters.Length));
        var target = current.Voters.OrderBy(_ => _random.NextRaw()).Take(kept).ToList();
        while (target.Count < size)
        {
            var id = _nextNodeId++;
            AddNode(id, MemoryStorage.ForJoiningNode());
            target.Add(id);
        }
        // At least one old voter goes and one new comes, so this is always a joint change.
        return ConfChange.Reaching(current, target, []) ?? throw new InvalidOperationException($"no change from {current} to [{string.Join(",", target)}]");
    }
}
