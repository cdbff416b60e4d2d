using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

internal sealed partial class ActorCell
{
    // Children may be created from any thread (system.ActorOf creates children of the user guardian), so the registry
    // is guarded by a lock; it is not on the message path. A Dictionary iterates in insertion order (with removals
    // deterministically), which keeps the simulation reproducible.
    private readonly object _childrenLock = new();
    private readonly Dictionary<string, ChildRestartStats> _children = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _stoppingChildren = new(ReferenceEqualityComparer.Instance);
    private long _nextNameId;

    public IReadOnlyList<IActorRef> Children
    {
        get
        {
            lock (_childrenLock)
            {
                var list = new List<IActorRef>(_children.Count);
                foreach (var stats in _children.Values) list.Add(stats.Child);
                return list;
            }
        }
    }

    private List<ChildRestartStats> ChildStats()
    {
        lock (_childrenLock) return [.. _children.Values];
    }

    public IActorRef ActorOf(Props props, string? name = null) => AttachChild(props, name, systemService: false);

    /// <summary>Creates and registers a child. Thread-safe.</summary>
    internal LocalActorRef AttachChild(Props props, string? name, bool systemService)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is null) name = NextChildName();
        else ActorNames.Validate(name, allowReserved: systemService);
        var path = Self.Path.Child(name).WithUid(System.NextActorUid());
        Deployment? deployment = null;
        var deployments = System.Settings.Deployments;
        if (deployments.Count > 0) deployments.TryGetValue(path.ToStringWithoutAddress(), out deployment);
        var dispatcher = System.LookupDispatcher(deployment?.Dispatcher ?? props.Dispatcher);
        var capacity = deployment?.MailboxCapacity ?? props.Mailbox?.Capacity ?? System.Settings.MailboxCapacity;
        var child = new ActorCell(System, path, props, Self, dispatcher, capacity);
        lock (_childrenLock)
        {
            if (_terminating) throw new InvalidOperationException($"cannot create actor [{name}]: its parent {Self.Path} is stopping");
            if (!_children.TryAdd(name, new ChildRestartStats(child.Self)))
                throw new InvalidActorNameException($"actor name [{name}] is not unique: {Self.Path} already has a child with that name");
        }
        child.Self.SendSystem(Dispatch.Create.Instance);
        return child.Self;
    }

    private string NextChildName()
    {
        var id = Interlocked.Increment(ref _nextNameId) - 1;
        Span<char> buffer = stackalloc char[16];
        var i = buffer.Length;
        do
        {
            buffer[--i] = (char)('a' + (int)(id % 26));
            id /= 26;
        }
        while (id > 0);
        buffer[--i] = '$';
        return new string(buffer[i..]);
    }

    public IActorRef Child(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_childrenLock) return _children.TryGetValue(name, out var stats) ? stats.Child : ActorRefs.Nobody;
    }

    /// <summary>The live child named <paramref name="name"/>, or null (path resolution, any thread).</summary>
    internal LocalActorRef? ChildByName(string name)
    {
        lock (_childrenLock) return _children.TryGetValue(name, out var stats) ? stats.Child : null;
    }

    private ChildRestartStats? StatsOf(IActorRef child)
    {
        lock (_childrenLock)
        {
            return _children.TryGetValue(child.Path.Name, out var stats) && ReferenceEquals(stats.Child, child) ? stats : null;
        }
    }

    private bool TryRemoveChild(IActorRef child)
    {
        lock (_childrenLock)
        {
            if (_children.TryGetValue(child.Path.Name, out var stats) && ReferenceEquals(stats.Child, child))
            {
                _children.Remove(child.Path.Name);
                return true;
            }
            return false;
        }
    }

    private bool HasChildren
    {
        get
        {
            lock (_childrenLock) return _children.Count > 0;
        }
    }

    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is not LocalActorRef local)
        {
            if (actor is EmptyLocalActorRef || ReferenceEquals(actor, ActorRefs.Nobody)) return;
            throw new InvalidOperationException($"Stop only works on local actors; send PoisonPill to {actor.Path}");
        }
        if (ReferenceEquals(local.Cell.ParentRef, Self) && StatsOf(local) is not null) _stoppingChildren.Add(local);
        local.SendSystem(Dispatch.Terminate.Instance);
    }

    private void HandleChildTerminated(IActorRef child)
    {
        _stoppingChildren.Remove(child);
        if (_terminating)
        {
            if (!HasChildren) FinishTerminate();
        }
        else if (_pendingRecreate is not null && _stoppingChildren.Count == 0)
        {
            var cause = _pendingRecreate;
            _pendingRecreate = null;
            FinishRecreate(cause);
        }
        else if (_parent is null)
        {
            // The root guardian: a guardian stopped on its own (it failed), so the system goes down, as in Akka.
            System.Log.Warning("guardian {0} stopped; terminating the actor system", child.Path);
            Self.SendSystem(Dispatch.Terminate.Instance);
        }
    }
}

/// <summary>The rules for actor names (Akka's).</summary>
internal static class ActorNames
{
    private const string Allowed = "-_.*$+:@&=,!~';";

    public static void Validate(string name, bool allowReserved)
    {
        if (name.Length == 0) throw new InvalidActorNameException("an actor name cannot be empty");
        if (!allowReserved && name[0] == '$') throw new InvalidActorNameException($"actor name [{name}] is invalid: names starting with '$' are reserved for generated names");
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c) || Allowed.Contains(c)) continue;
            throw new InvalidActorNameException($"actor name [{name}] is invalid: character '{c}' is not allowed (use ASCII letters, digits or {Allowed})");
        }
    }
}
