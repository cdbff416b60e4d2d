using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

internal sealed partial class ActorCell
{
    private readonly Dictionary<IActorRef, object?> _watching = new();
    private readonly HashSet<IActorRef> _watchedBy = new();
    // Terminated messages the kernel queued, by watched actor; those cancelled by Unwatch before delivery are dropped.
    // Tracked by instance so that a Terminated forwarded by another actor is delivered like any message.
    private readonly Dictionary<IActorRef, Terminated> _terminatedQueued = new();
    private readonly HashSet<Terminated> _terminatedCancelled = new(ReferenceEqualityComparer.Instance);

    public IActorRef Watch(IActorRef subject) => WatchCore(subject, null);

    public IActorRef WatchWith(IActorRef subject, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WatchCore(subject, message);
    }

    private IActorRef WatchCore(IActorRef subject, object? custom)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (ReferenceEquals(subject, Self)) return subject;
        if (_watching.ContainsKey(subject))
        {
            _watching[subject] = custom;
            return subject;
        }
        _watching.Add(subject, custom);
        switch (subject)
        {
            case LocalActorRef local:
                local.SendSystem(new Dispatch.Watch(local, Self));
                break;
            case EmptyLocalActorRef:
                Self.SendSystem(new DeathWatchNotification(subject, existenceConfirmed: false, addressTerminated: false));
                break;
            default:
                if (ReferenceEquals(subject, ActorRefs.Nobody))
                    Self.SendSystem(new DeathWatchNotification(subject, existenceConfirmed: false, addressTerminated: false));
                else
                    System.WatchNonLocal(subject, Self);
                break;
        }
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_watching.Remove(subject)) SendUnwatch(subject);
        if (_terminatedQueued.Remove(subject, out var queued)) _terminatedCancelled.Add(queued);
        return subject;
    }

    private void SendUnwatch(IActorRef subject)
    {
        if (subject is LocalActorRef local) local.SendSystem(new Dispatch.Unwatch(local, Self));
        else if (subject is not EmptyLocalActorRef && !ReferenceEquals(subject, ActorRefs.Nobody)) System.UnwatchNonLocal(subject, Self);
    }

    private void UnwatchWatchedActors()
    {
        foreach (var subject in _watching.Keys) SendUnwatch(subject);
        _watching.Clear();
        _terminatedQueued.Clear();
        _terminatedCancelled.Clear();
    }

    /// <summary>False for a Terminated the kernel queued and Unwatch cancelled since.</summary>
    private bool ShouldDeliver(Terminated terminated)
    {
        if (_terminatedCancelled.Remove(terminated)) return false;
        if (_terminatedQueued.TryGetValue(terminated.ActorRef, out var queued) && ReferenceEquals(queued, terminated))
            _terminatedQueued.Remove(terminated.ActorRef);
        return true;
    }

    private void AddWatcher(IActorRef watchee, IActorRef watcher)
    {
        if (!ReferenceEquals(watchee, Self) || ReferenceEquals(watcher, Self)) return;
        _watchedBy.Add(watcher);
    }

    private void RemoveWatcher(IActorRef watchee, IActorRef watcher)
    {
        if (ReferenceEquals(watchee, Self)) _watchedBy.Remove(watcher);
    }

    private void WatchedActorTerminated(DeathWatchNotification notification)
    {
        var actor = notification.Actor;
        var wasChild = TryRemoveChild(actor);
        if (_watching.Remove(actor, out var custom) && !_terminating)
        {
            if (custom is null)
            {
                var terminated = new Terminated(actor, notification.ExistenceConfirmed, notification.AddressTerminated);
                _terminatedQueued[actor] = terminated;
                Self.Tell(terminated, actor);
            }
            else
            {
                Self.Tell(custom, actor);
            }
        }
        if (wasChild) HandleChildTerminated(actor);
    }

    private void TellWatchersWeDied()
    {
        foreach (var watcher in _watchedBy) NotifyWatcher(watcher, existenceConfirmed: true);
        _watchedBy.Clear();
    }

    private void NotifyWatcher(IActorRef watcher, bool existenceConfirmed)
    {
        if (watcher is LocalActorRef local) local.SendSystem(new DeathWatchNotification(Self, existenceConfirmed, addressTerminated: false));
        else watcher.Tell(new Terminated(Self, existenceConfirmed, AddressTerminated: false), Self);
    }
}
