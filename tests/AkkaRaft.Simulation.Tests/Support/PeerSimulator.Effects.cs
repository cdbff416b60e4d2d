using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests.Support;

// The shell of each simulated peer: events become inputs of its PeerLogic, and its effects are carried out in order,
// as the actor shell carries them out: journal writes go to the simulated disk, messages to the simulated network,
// entries and queries to the state machine at once (it answers its clients over the network).
internal sealed partial class PeerSimulator
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = new();
    private readonly Dictionary<ulong, Entry> _appliedAt = new();

    private enum Input : byte
    {
        Start,
        Tick,
        Step,
        Request,
        BatchDurable,
        SnapshotRecordSaved,
        StateMachineSnapshot,
        SessionTimer,
    }

    private void Handle(in SimEvent ev)
    {
        var peer = ev.Peer;
        switch (ev.Kind)
        {
            case SimEventKind.Tick:
                if (!peer!.Up || peer.Epoch != ev.Epoch) return;
                Schedule(Now + peer.TickPeriod, new SimEvent(SimEventKind.Tick) { Peer = peer, Epoch = peer.Epoch });
                Feed(peer, Input.Tick, null, null);
                break;
            case SimEventKind.Raft:
                var message = (RaftMessage)ev.Payload!;
                // Checked again on arrival: a partition that began since, or a crash, stops a message in flight.
                if (!peer!.Up || Network.IsCut(message.From, message.To))
                {
                    Network.Dropped++;
                    return;
                }
                Network.Delivered++;
                Feed(peer, Input.Step, message, null);
                break;
            case SimEventKind.Request:
                if (!peer!.Up || (ev.From != 0 && Network.IsCut(ev.From, peer.Id)))
                {
                    Network.Dropped++;
                    return;
                }
                Feed(peer, Input.Request, ev.Payload, ev.Client);
                break;
            case SimEventKind.Answer:
                ev.Client!.OnAnswer(ev.Payload!);
                break;
            case SimEventKind.Disk:
                peer!.Disk.Complete((DiskWrite)ev.Payload!);
                break;
            case SimEventKind.StateMachineSnapshot:
                if (!peer!.Up || peer.Epoch != ev.Epoch) return;
                Feed(peer, Input.StateMachineSnapshot, ev.Payload, null);
                break;
            case SimEventKind.Call:
                ((Action)ev.Payload!)();
                break;
        }
    }

    /// <summary>The disk acknowledges <paramref name="write"/> to the incarnation that made it.</summary>
    internal void Acknowledge(SimPeer peer, DiskWrite write)
    {
        if (!peer.Up) throw new InvalidOperationException($"{peer}'s disk acknowledged a write of epoch {write.Epoch} while the peer is down");
        if (write.Failed)
        {
            // A failed journal write stops a persistent actor; its backoff supervisor starts it again from the journal.
            StopAndRestart(peer.Id, "a journal write failed");
            return;
        }
        switch (write.Kind)
        {
            case DiskWriteKind.Events:
                Feed(peer, Input.BatchDurable, write, null);
                break;
            case DiskWriteKind.SnapshotRecord:
                Feed(peer, Input.SnapshotRecordSaved, write, null);
                break;
        }
    }

    /// <summary>Feeds one input to <paramref name="peer"/>'s logic and carries out its effects.</summary>
    private void Feed(SimPeer peer, Input input, object? payload, SimClient? client)
    {
        var logic = peer.Logic!;
        try
        {
            var effects = input switch
            {
                Input.Start => logic.Start(Now),
                Input.Tick => logic.Tick(Now),
                Input.Step => logic.Step((RaftMessage)payload!, Now),
                Input.Request => logic.Request(payload!, client!, Now),
                Input.BatchDurable => logic.BatchDurable(((DiskWrite)payload!).Token, ((DiskWrite)payload).LastSequenceNr, Now),
                Input.SnapshotRecordSaved => logic.SnapshotRecordSaved(((DiskWrite)payload!).FirstSequenceNr, Now),
                Input.SessionTimer => logic.SessionTimerFired((long)payload!, Now),
                _ => logic.StateMachineSnapshotTaken(((StateMachineSnapshot)payload!).Index, ((StateMachineSnapshot)payload).Data, Now),
            };
            CarryOut(peer, effects);
        }
        catch (Exception e) when (_options.SuperviseInvariantViolations && e is not PeerSimulationException)
        {
            // What the actor's supervisor does with a failing peer: restart it from its journal.
            InvariantRestarts++;
            StopAndRestart(peer.Id, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Carries out the effects in order, as the actor shell does; stops when the peer went down meanwhile.</summary>
    private void CarryOut(SimPeer peer, PeerEffects<SimClient> effects)
    {
        var epoch = peer.Epoch;
        foreach (var effect in effects)
        {
            if (peer.Epoch != epoch) return;
            switch (effect.Kind)
            {
                case PeerEffectKind.Persist:
                    peer.Disk.Persist(effect.Events, effect.Token);
                    break;
                case PeerEffectKind.SaveSnapshotRecord:
                    peer.Disk.SaveSnapshot(effect.SnapshotRecord, effect.SequenceNr);
                    OnSnapshotSave?.Invoke(peer);
                    break;
                case PeerEffectKind.DeleteUpTo:
                    peer.Disk.DeleteUpTo(effect.SequenceNr);
                    break;
                case PeerEffectKind.Send:
                    SendRaft(effect.Message);
                    break;
                case PeerEffectKind.Forward:
                    if (_peers.ContainsKey(effect.To)) Forward(peer.Id, effect.To, effect.Request, effect.Client!);
                    else Answer(effect.Client!, effect.Answer);
                    break;
                case PeerEffectKind.Reply:
                    Answer(effect.Client!, effect.Answer);
                    break;
                case PeerEffectKind.ApplyEntries:
                    Apply(peer, effect);
                    break;
                case PeerEffectKind.ServeQuery:
                    Answer(effect.Client!, peer.Machine!.Query(effect.Query, effect.IsTypedQuery, effect.Leader, effect.Term, effect.Path));
                    break;
                case PeerEffectKind.RestoreStateMachine:
                    peer.Machine!.Restore(effect.Data, effect.Index);
                    break;
                case PeerEffectKind.TakeStateMachineSnapshot:
                    // Taken now, after everything handed over so far, as the state machine actor would in mailbox order;
                    // its answer comes back as a message.
                    Schedule(Now, new SimEvent(SimEventKind.StateMachineSnapshot) { Peer = peer, Epoch = peer.Epoch, Payload = peer.Machine!.TakeSnapshot() });
                    break;
                case PeerEffectKind.RoleChanged:
                    OnRoleChanged(peer, effect.RoleChange);
                    break;
                case PeerEffectKind.ArmSessionTimer:
                    ArmSessionTimer(peer, effect.SessionId, effect.After);
                    break;
                case PeerEffectKind.DisarmSessionTimer:
                    peer.SessionTimers.Remove(effect.SessionId);
                    break;
                default:
                    throw new InvalidOperationException($"unknown effect {effect}");
            }
        }
    }

    /// <summary>A virtual timer, as the session's child actor keeps one: it fires once unless re-armed, dropped, or the peer went down.</summary>
    private void ArmSessionTimer(SimPeer peer, long sessionId, TimeSpan after)
    {
        var token = ++peer.SessionTimerToken;
        peer.SessionTimers[sessionId] = token;
        var epoch = peer.Epoch;
        ScheduleCall(Now + after, () =>
        {
            if (!peer.Up || peer.Epoch != epoch || !peer.SessionTimers.TryGetValue(sessionId, out var armed) || armed != token) return;
            peer.SessionTimers.Remove(sessionId);
            Feed(peer, Input.SessionTimer, sessionId, null);
        });
    }

    private void Apply(SimPeer peer, in PeerEffect<SimClient> effect)
    {
        var entries = effect.Entries;
        var machine = peer.Machine!;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            CheckApplied(peer, entry);
            var client = effect.ReplyFor(i);
            if (machine.Apply(entry, effect.Leader, answer: client is not null) is { } answer) Answer(client!, answer);
        }
    }

    private void OnRoleChanged(SimPeer peer, PeerRoleChanged change)
    {
        peer.Role = change.Role;
        peer.Leader = change.Leader;
        peer.Term = change.Term;
        Trace($"peer {peer.Id} is {change.Role} in term {change.Term} (leader {change.Leader})");
        if (!_options.CheckSafety || change.Role != RaftRole.Leader) return;
        // Raft §5.2, election safety: at most one leader per term.
        if (_leaderOfTerm.TryGetValue(change.Term, out var other) && other != peer.Id)
            throw new PeerSimulationException($"seed {Seed}, at {Now.TotalMilliseconds:F1} ms: election safety broken: peers {other} and {peer.Id} both lead term {change.Term}");
        _leaderOfTerm[change.Term] = peer.Id;
    }

    /// <summary>Raft §5.4.3, state machine safety: every peer applies the same entry at each index.</summary>
    private void CheckApplied(SimPeer peer, Entry entry)
    {
        if (!_options.CheckSafety) return;
        if (!_appliedAt.TryGetValue(entry.Index, out var first))
        {
            _appliedAt.Add(entry.Index, entry);
            return;
        }
        if (first.Term != entry.Term || first.Type != entry.Type || !first.Data.AsSpan().SequenceEqual(entry.Data))
        {
            throw new PeerSimulationException(
                $"seed {Seed}, at {Now.TotalMilliseconds:F1} ms: state machine safety broken: peer {peer.Id} applies term {entry.Term} at index {entry.Index}, where another peer applied term {first.Term}");
        }
    }

    // ------------------------------------------------------------------ the network

    private void SendRaft(RaftMessage message)
    {
        if (!_peers.TryGetValue(message.To, out var target) || Network.IsCut(message.From, message.To) || Random.Chance(Network.DropRate))
        {
            Network.Dropped++;
            return;
        }
        Schedule(Now + LinkDelay(), new SimEvent(SimEventKind.Raft) { Peer = target, Payload = message });
        if (Random.Chance(Network.DuplicateRate))
        {
            Network.Duplicated++;
            Schedule(Now + LinkDelay(), new SimEvent(SimEventKind.Raft) { Peer = target, Payload = message });
        }
    }

    /// <summary>A client request passed from one peer to another; never duplicated (without client sessions, a duplicate would apply twice).</summary>
    private void Forward(ulong from, ulong to, object request, SimClient client)
    {
        if (Network.IsCut(from, to) || Random.Chance(Network.DropRate))
        {
            Network.Dropped++;
            return;
        }
        Schedule(Now + LinkDelay(), new SimEvent(SimEventKind.Request) { Peer = _peers[to], Payload = request, Client = client, From = from });
    }

    /// <summary>A client's request to peer <paramref name="to"/>: delayed, never lost (the peer may be down on arrival).</summary>
    public void SendRequest(ulong to, object request, SimClient client) =>
        Schedule(Now + Random.Upto(Network.MaxDelay), new SimEvent(SimEventKind.Request) { Peer = _peers[to], Payload = request, Client = client });

    private void Answer(SimClient client, object answer) =>
        Schedule(Now + Random.Upto(Network.MaxDelay), new SimEvent(SimEventKind.Answer) { Client = client, Payload = answer });

    private TimeSpan LinkDelay()
    {
        var delay = Random.Upto(Network.MaxDelay);
        if (Random.Chance(Network.StallRate))
        {
            Network.Delayed++;
            return delay + TimeSpan.FromMilliseconds(300) + Random.Upto(TimeSpan.FromMilliseconds(1200));
        }
        if (!Random.Chance(Network.LongDelayRate)) return delay;
        Network.Delayed++;
        return delay + TimeSpan.FromMilliseconds(20) + Random.Upto(TimeSpan.FromMilliseconds(130));
    }
}

internal enum SimEventKind : byte
{
    Tick,
    Raft,
    Request,
    Answer,
    Disk,
    StateMachineSnapshot,
    Call,
}

/// <summary>Something due at a point of virtual time.</summary>
internal struct SimEvent(SimEventKind kind)
{
    public SimEventKind Kind { get; } = kind;

    /// <summary>When it is due, in ticks (set when scheduled).</summary>
    public long Time { get; set; }

    public SimPeer? Peer { get; init; }

    /// <summary>The peer's epoch when scheduled, for events that belong to one incarnation.</summary>
    public int Epoch { get; init; }

    public object? Payload { get; init; }

    public SimClient? Client { get; init; }

    /// <summary>The peer a forwarded request comes from (0: straight from its client).</summary>
    public ulong From { get; init; }

    public override readonly string ToString() => Kind switch
    {
        SimEventKind.Tick => $"tick of {Peer}",
        SimEventKind.Call => "a scheduled call",
        _ => $"{Kind} {Payload} to {(object?)Peer ?? Client}",
    };
}
