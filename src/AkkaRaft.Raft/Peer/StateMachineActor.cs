using Akka.Actor;
using AkkaRaft.Raft.Core;
using AkkaRaft.Client;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Peer;

// The messages between a RaftPeer and its state machine child, one per state machine effect of its PeerLogic. The
// peer sends them in log order and the mailbox keeps that order, so a query sent after a batch of entries is
// answered on the state after them.

/// <summary>Committed entries to apply, in order, with the client to answer for some of them.</summary>
/// <param name="Entries">Consecutive committed entries.</param>
/// <param name="Replies">For each entry, the client waiting for its result (null when none); null when no entry has one.</param>
/// <param name="Leader">The leader to name in the answers.</param>
internal sealed record ApplyEntries(IReadOnlyList<Entry> Entries, IActorRef?[]? Replies, ulong Leader);

/// <summary>Replace the state by a snapshot's (received from the leader, or loaded at start).</summary>
internal sealed record RestoreStateMachine(byte[] Data, ulong Index, ulong Term);

/// <summary>Answer a query on the current state; <paramref name="Typed"/> when it is a typed query's frame.</summary>
internal sealed record ServeQuery(byte[] Query, bool Typed, IActorRef Client, ulong Leader, ulong Term, ReadPath Path);

/// <summary>Set a one-shot watch for <paramref name="Client"/> on the state after every entry sent before (on the leader).</summary>
internal sealed record SetWatch(Watch Watch, IActorRef Client, ulong Leader, ulong Term);

/// <summary>Answer <paramref name="Client"/> with the sessions, locks and watches, on the state after every entry sent before (on the leader).</summary>
internal sealed record ListOnHost(CoordinationListRequest Listing, IActorRef Client, ulong Leader);

/// <summary>The peer stopped leading: every watch fires leader_changed.</summary>
internal sealed record WatchesLeaderLost
{
    public static WatchesLeaderLost Instance { get; } = new();
}

/// <summary>Write a snapshot of the current state; the answer is <see cref="StateMachineSnapshot"/>.</summary>
internal sealed record TakeStateMachineSnapshot
{
    public static TakeStateMachineSnapshot Instance { get; } = new();
}

/// <summary>
/// Runs an <see cref="IStateMachine"/> (through a <see cref="StateMachineHost"/>) as the child of a <see cref="RaftPeer"/>:
/// applies committed entries strictly in log order, answers the clients waiting for them, serves queries and writes
/// snapshots. A failure here is a bug of the state machine (committed entries cannot be refused): the peer escalates it.
/// </summary>
/// <remarks>
/// <para>
/// A state machine that keeps part of its state in a child actor (<see cref="IChildActorStateMachine"/>) gets that
/// child here. A command the child serves is sent to it and everything after it (the rest of the batch, later
/// batches, queries, snapshots, restores, watches) is stashed until the child answers, so entries stay in log order;
/// a snapshot waits the same way for the child's part. Queries the child serves go to it, and it answers the client:
/// the child's mailbox keeps them after the commands sent before. A KV command never leaves this actor.
/// </para>
/// <para>
/// Supervision: a failing child (the state machine's, or a watch trigger) is a bug, not a refused entry; it is
/// escalated, so this actor fails and the peer (which escalates too) fails rather than runs on with a state that
/// lost a committed entry; its supervisor starts it again from its journal.
/// </para>
/// Each waiting watch is a child actor (<see cref="WatchTrigger"/>, named <c>watch-{id}</c>) that DeathWatches its client
/// and keeps its timeout; the host's registry decides when it fires. A client whose acquire queued it behind a lock's
/// holder is kept here until an applied entry grants it the lock or takes it out of the queue.
/// </remarks>
internal sealed class StateMachineActor : ReceiveActor, IWithUnboundedStash
{
    private readonly StateMachineHost _host;
    private readonly IActorRef? _child;

    /// <summary>The batch being applied while one of its entries is with the child, and the next entry to apply.</summary>
    private ApplyEntries? _batch;
    private int _next;

    /// <summary>Who asked for the snapshot whose child part is awaited.</summary>
    private IActorRef? _snapshotFor;
    private readonly Dictionary<long, IActorRef> _triggers = new();
    private readonly Dictionary<(string Name, long SessionId), IActorRef> _lockWaiters = new();
    private ulong _leader;

    /// <summary>
    /// The term of the last entry applied (or restored from a snapshot): the term a lock granted by an applied entry,
    /// and a watch fired by one, is answered with.
    /// </summary>
    private ulong _term;

    public StateMachineActor(IStateMachine machine, WatchSettings watches)
    {
        _host = new StateMachineHost(machine, watches);
        if (_host.Child is { } child) _child = Context.ActorOf(child.ChildProps!, child.ChildName);
        Receive<ApplyEntries>(OnApply);
        Receive<RestoreStateMachine>(OnRestore);
        Receive<ServeQuery>(OnQuery);
        Receive<TakeStateMachineSnapshot>(_ =>
        {
            if (_child is null)
            {
                Sender.Tell(_host.TakeSnapshot(), Self);
                return;
            }
            _snapshotFor = Sender;
            _child.Tell(ChildSnapshot.Instance, Self);
            BecomeStacked(WaitingForChild);
        });
        Receive<SetWatch>(OnSetWatch);
        Receive<ListOnHost>(list => list.Client.Tell(_host.List(list.Listing.Limit, list.Listing.ExpiresIn, list.Leader), Context.Parent));
        Receive<WatchesLeaderLost>(_ =>
        {
            _host.LeadershipLost();
            Deliver();
        });
        Receive<WatchTrigger.Ended>(ended =>
        {
            // Timed out, or its client died: the registry forgets it (unless it fired meanwhile; then the trigger is gone already).
            if (_triggers.TryGetValue(ended.WatchId, out var trigger) && trigger.Equals(Sender))
            {
                _triggers.Remove(ended.WatchId);
                _host.RemoveWatch(ended.WatchId);
            }
        });
    }

    /// <summary>How many watch triggers wait (tests).</summary>
    internal int Triggers => _triggers.Count;

    public IStash Stash { get; set; } = null!;

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <summary>While the child applies an entry or writes its snapshot part: everything else waits, in order.</summary>
    private void WaitingForChild()
    {
        Receive<ChildApplied>(applied =>
        {
            var client = _batch!.Replies?[_next - 1];
            Answer(_host.Complete(applied), client);
            UnbecomeStacked();
            if (ApplyRest()) Stash.UnstashAll();
        });
        Receive<ChildSnapshotPart>(part =>
        {
            _snapshotFor!.Tell(_host.TakeSnapshot(part), Self);
            _snapshotFor = null;
            UnbecomeStacked();
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnApply(ApplyEntries batch)
    {
        _leader = batch.Leader;
        var entries = batch.Entries;
        if (entries.Count > 0) _term = entries[^1].Term;
        _batch = batch;
        _next = 0;
        ApplyRest();
    }

    /// <summary>Applies the batch's entries from <see cref="_next"/>; false when one went to the child (then this actor waits for it).</summary>
    private bool ApplyRest()
    {
        var batch = _batch!;
        var entries = batch.Entries;
        while (_next < entries.Count)
        {
            var client = batch.Replies?[_next];
            var answer = _host.Apply(entries[_next++], batch.Leader, answer: client is not null);
            if (answer is DeferredApply deferred)
            {
                _child!.Tell(deferred.Apply, Self);
                BecomeStacked(WaitingForChild);
                return false;
            }
            Answer(answer, client);
        }
        _batch = null;
        Deliver();
        return true;
    }

    private void Answer(object? answer, IActorRef? client)
    {
        if (answer is LockQueued queued)
        {
            // Answered when an applied entry grants the lock, or drops the session from the queue. What the entries
            // before this one did to the session's place goes to the waiter before: a grant of an earlier place (passed
            // on and lost again before this acquire queued it anew) must not answer this one.
            SettleLockWaiters();
            if (_lockWaiters.Remove((queued.Name, queued.SessionId), out var earlier) && !earlier.Equals(client))
                earlier.Tell(new RequestRejected($"a newer acquire of lock '{queued.Name}' by session {queued.SessionId} waits instead of this one"), Context.Parent);
            _lockWaiters[(queued.Name, queued.SessionId)] = client!;
        }
        else if (answer is not null) client!.Tell(answer, Context.Parent);
    }

    private void OnQuery(ServeQuery query)
    {
        if (_child is not null && !query.Typed && _host.Child!.ServedByChild(query.Query))
        {
            _child.Tell(new ChildQuery(query.Query, query.Client, Context.Parent, _host.Applied, query.Leader, query.Term, query.Path), Self);
            return;
        }
        query.Client.Tell(_host.Query(query.Query, query.Typed, query.Leader, query.Term, query.Path), Context.Parent);
    }

    private void OnRestore(RestoreStateMachine restore)
    {
        // The child's mailbox keeps its part behind every command and query sent to it before.
        if (_host.Restore(restore.Data, restore.Index) is { } toChild) _child!.Tell(toChild, Self);
        _term = restore.Term;
        // The snapshot may hold grants and removals this peer never applied one by one: settle its waiting clients.
        foreach (var ((name, session), client) in _lockWaiters.ToList())
        {
            var (holder, token) = _host.Locks.HolderOf(name);
            if (holder == session) client.Tell(new LockAcquired(name, session, token, _leader) { Term = _term }, Context.Parent);
            else if (_host.Locks.WaitersOf(name).Contains(session)) continue;
            else client.Tell(Dropped(name, session, sessionEnded: !_host.Sessions.Contains(session)), Context.Parent);
            _lockWaiters.Remove((name, session));
        }
        _host.TakeLockEvents();
        Deliver();
    }

    private void OnSetWatch(SetWatch set)
    {
        var (id, answer) = _host.AddWatch(set.Watch);
        if (answer is not null)
        {
            // Fired at once: answered by the leader that took the watch, in the term it took it.
            set.Client.Tell(answer is WatchFired fired ? fired with { Term = set.Term, Leader = set.Leader } : answer, Context.Parent);
            return;
        }
        var announce = new WatchSet(id, _host.WatchAfterIndex(id), set.Leader) { Term = set.Term };
        _triggers.Add(id, Context.ActorOf(WatchTrigger.Props(id, set.Client, set.Watch.Timeout!.Value, announce), $"watch-{id}"));
    }

    /// <summary>Hands what fired to the watches' triggers and answers the lock waiters the applied entries settled.</summary>
    private void Deliver()
    {
        foreach (var fired in _host.TakeFiredWatches())
        {
            // A change or a session's end is answered by the leader that applied it; a lost leadership names no leader.
            if (!_triggers.Remove(fired.WatchId, out var trigger)) continue;
            trigger.Tell(fired.Reason == WatchReason.LeaderChanged ? fired : fired with { Term = _term, Leader = _leader }, Self);
        }
        SettleLockWaiters();
    }

    /// <summary>Answers the lock waiters that the entries applied so far granted the lock or took out of its queue.</summary>
    private void SettleLockWaiters()
    {
        foreach (var change in _host.TakeLockEvents())
        {
            if (!_lockWaiters.Remove((change.Name, change.SessionId), out var client)) continue;
            client.Tell(change.Granted ? new LockAcquired(change.Name, change.SessionId, change.Token, _leader) { Term = _term } : Dropped(change), Context.Parent);
        }
    }

    /// <summary>The answer to a waiter that left the queue: by the entry that took it out, not by what later entries of the batch did to its session.</summary>
    private static object Dropped(LockEvent change) => Dropped(change.Name, change.SessionId, change.SessionEnded);

    private static object Dropped(string name, long session, bool sessionEnded) => sessionEnded
        ? new SessionNotFound(session, $"session {session} ended while it waited for lock '{name}'")
        : new LockNotHeld(name, session, $"session {session} left the queue of lock '{name}' (released) before it got the lock");
}
