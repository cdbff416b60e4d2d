using AkkaRaft.Client;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// A peer leading a group of one, its effects carried out at once against a real state machine host as the actor shell
/// carries them out: watches set on the host and their triggers' answers, lock waiters kept until an applied entry
/// settles them, session timers kept virtually. Every answer a client gets is recorded, in order, so a test sees a
/// second answer if one came.
/// </summary>
internal sealed class CoordinationPeer
{
    private readonly Dictionary<object, List<object>> _answers = new();
    private readonly Dictionary<long, object> _watchClients = new();
    private readonly Dictionary<(string, long), object> _lockWaiters = new();
    private readonly SortedDictionary<long, TimeSpan> _timers = new();
    private long _sequenceNr;

    private CoordinationPeer(RaftPeerSettings settings)
    {
        Logic = new PeerLogic<object>(new PeerLogicSetup(1, [1], settings, 1 << 20, new SeededRandomSource(1)), RecoveredPeer.Empty());
        Host = new StateMachineHost(new KvStateMachine(KvSettings.Default), settings.Watches);
    }

    public PeerLogic<object> Logic { get; }

    public StateMachineHost Host { get; }

    public TimeSpan Now { get; private set; }

    public static CoordinationPeer Elected(RaftPeerSettings? settings = null)
    {
        var peer = new CoordinationPeer(settings ?? RaftPeerSettings.Default);
        peer.Run(l => l.Start(peer.Now));
        peer.RunFor(TimeSpan.FromSeconds(2));
        if (peer.Logic.Role != RaftRole.Leader) throw new InvalidOperationException("the solo peer was not elected");
        return peer;
    }

    /// <summary>Sends <paramref name="request"/> from a new client and returns the client (its answers: <see cref="AnswersOf"/>).</summary>
    public object Send(object request)
    {
        var client = new object();
        _answers[client] = new List<object>();
        Run(l => l.Request(request, client, Now));
        return client;
    }

    /// <summary>Sends <paramref name="request"/> and returns its one answer.</summary>
    public object Ask(object request)
    {
        var answers = AnswersOf(Send(request));
        return answers.Count == 1 ? answers[0] : throw new InvalidOperationException($"{answers.Count} answers to {request}: {string.Join(", ", answers)}");
    }

    public IReadOnlyList<object> AnswersOf(object client) => _answers[client];

    public long Open(TimeSpan ttl) => ((SessionOpened)Ask(new OpenSession(ttl))).SessionId;

    public WriteResult Put(string key, string value, long session = 0) =>
        (WriteResult)Ask(new Write(Client.Kv.KvCommands.Put(key, value, ephemeral: session != 0)) { SessionId = session });

    public WriteResult Delete(string key) => (WriteResult)Ask(new Write(Client.Kv.KvCommands.Delete(key)));

    /// <summary>A leader of a later term speaks: this peer steps down.</summary>
    public void StepDown() => Run(l => l.Step(new Heartbeat(2, 1, l.Term + 1, 0, 0), Now));

    /// <summary>Ticks every heartbeat interval for <paramref name="duration"/>, firing the session timers that are due.</summary>
    public void RunFor(TimeSpan duration)
    {
        var end = Now + duration;
        var step = RaftPeerSettings.Default.HeartbeatInterval;
        while (Now + step <= end)
        {
            Now += step;
            Run(l => l.Tick(Now));
            foreach (var (id, _) in _timers.Where(t => t.Value <= Now).ToList())
            {
                _timers.Remove(id);
                Run(l => l.SessionTimerFired(id, Now));
            }
        }
    }

    private void Answer(object client, object answer) => _answers[client].Add(answer);

    private void Run(Func<PeerLogic<object>, PeerEffects<object>> input)
    {
        var effects = new List<PeerEffect<object>>();
        foreach (var effect in input(Logic)) effects.Add(effect);
        foreach (var effect in effects)
        {
            switch (effect.Kind)
            {
                case PeerEffectKind.Persist:
                    _sequenceNr += effect.Events.Count;
                    var token = effect.Token;
                    Run(l => l.BatchDurable(token, _sequenceNr, Now));
                    break;
                case PeerEffectKind.Reply:
                    Answer(effect.Client!, effect.Answer);
                    break;
                case PeerEffectKind.ApplyEntries:
                    for (var i = 0; i < effect.Entries.Count; i++)
                    {
                        var client = effect.ReplyFor(i);
                        var answer = Host.Apply(effect.Entries[i], effect.Leader, client is not null);
                        if (answer is LockQueued queued)
                        {
                            // As the actor: what the entries before did to the session's place goes to the waiter before.
                            SettleLockWaiters(effect.Leader);
                            _lockWaiters[(queued.Name, queued.SessionId)] = client!;
                        }
                        else if (answer is not null) Answer(client!, answer);
                    }
                    Deliver(effect.Leader);
                    break;
                case PeerEffectKind.ServeQuery:
                    Answer(effect.Client!, Host.Query(effect.Query, effect.IsTypedQuery, effect.Leader, effect.Term, effect.Path));
                    break;
                case PeerEffectKind.SetWatch:
                    var (id, immediate) = Host.AddWatch(effect.WatchRequest);
                    if (immediate is not null) Answer(effect.Client!, immediate);
                    else
                    {
                        _watchClients[id] = effect.Client!;
                        Answer(effect.Client!, new WatchSet(id, Host.WatchAfterIndex(id), effect.Leader));
                    }
                    break;
                case PeerEffectKind.ListCoordination:
                    Answer(effect.Client!, Host.List(effect.Listing.Limit, effect.Listing.ExpiresIn, effect.Leader));
                    break;
                case PeerEffectKind.WatchesLeaderLost:
                    Host.LeadershipLost();
                    Deliver(0);
                    break;
                case PeerEffectKind.ArmSessionTimer:
                    _timers[effect.SessionId] = Now + effect.After;
                    break;
                case PeerEffectKind.DisarmSessionTimer:
                    _timers.Remove(effect.SessionId);
                    break;
                case PeerEffectKind.SaveSnapshotRecord:
                    var at = effect.SequenceNr;
                    Run(l => l.SnapshotRecordSaved(at, Now));
                    break;
                case PeerEffectKind.TakeStateMachineSnapshot:
                    var snapshot = Host.TakeSnapshot();
                    Run(l => l.StateMachineSnapshotTaken(snapshot.Index, snapshot.Data, Now));
                    break;
            }
        }
    }

    /// <summary>As the state machine actor: the fired watches to their clients, the settled lock waiters their answer.</summary>
    private void Deliver(ulong leader)
    {
        foreach (var fired in Host.TakeFiredWatches())
        {
            if (_watchClients.Remove(fired.WatchId, out var client)) Answer(client, fired);
        }
        SettleLockWaiters(leader);
    }

    private void SettleLockWaiters(ulong leader)
    {
        foreach (var change in Host.TakeLockEvents())
        {
            if (!_lockWaiters.Remove((change.Name, change.SessionId), out var client)) continue;
            Answer(client, change.Granted
                ? new LockAcquired(change.Name, change.SessionId, change.Token, leader)
                : change.SessionEnded ? new SessionNotFound(change.SessionId, "ended") : new LockNotHeld(change.Name, change.SessionId, "left the queue"));
        }
    }

    /// <summary>Drops a watch as its trigger does when it times out or its client dies.</summary>
    public bool Drop(long watchId) => _watchClients.Remove(watchId) & Host.RemoveWatch(watchId);
}
